"""Plain-text tables: the terminal's and ``summary.txt``'s view of a frame.

Used by the command line (:mod:`indexlab.cli`) and by the library writers that save a
printed summary beside their tables (:mod:`indexlab.signals_output`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd


def aligned(rows: Sequence[Sequence[str]], left_columns: int = 1) -> str:
    """Rows of cells as aligned text: the first ``left_columns`` left-aligned, the rest
    right-aligned (numbers)."""
    if not rows:
        return ""
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(widths[k]) if k < left_columns else cell.rjust(widths[k])
            for k, cell in enumerate(row)
        ).rstrip()
        for row in rows
    )


def frame_text(
    frame: pd.DataFrame,
    formats: dict[str, Callable[[object], str]] | None = None,
    left_columns: int = 1,
    index: bool = False,
) -> str:
    """A DataFrame as aligned text, cells formatted per column."""
    formats = formats or {}
    data = frame.reset_index() if index else frame
    rows = [[str(c) for c in data.columns]]
    for record in data.itertuples(index=False):
        rows.append(
            [
                "–"
                if value is None or (isinstance(value, float) and value != value)
                else formats.get(str(column), str)(value)
                for column, value in zip(data.columns, record, strict=True)
            ]
        )
    return aligned(rows, left_columns)
