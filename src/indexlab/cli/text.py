"""Plain-text tables for the terminal (the table layout itself is
:mod:`indexlab.report.text`, shared with the library's printed summaries)."""

from __future__ import annotations

import pandas as pd

from indexlab.report.text import aligned, frame_text

__all__ = ["aligned", "frame_text", "metrics_text"]


def metrics_text(table: pd.DataFrame) -> str:
    """The metrics table, one row per metric and one column per portfolio, each cell
    formatted as the report formats it."""
    from indexlab.report.formats import format_metric

    rows = [["", *map(str, table.index)]]
    for name in table.columns:
        rows.append([name, *(format_metric(name, v) for v in table[name].to_numpy(dtype=float))])
    return aligned(rows)
