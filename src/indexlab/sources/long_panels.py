"""The numeric columns of a long table (``close``, ``market_cap``, ``volume``) checked
chunk by chunk and written straight into their (date x asset) float64 panels.

Per column the checks run in a fixed order (not a number; for closes, not a valid
price; above the column's range) and the first row failing the first check in that
order is the one reported, as if the whole column had been checked at once.
Values read as unknown (market caps missing, zero or negative; negative volumes) are
counted for the notes, with the first row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indexlab import quality
from indexlab.errors import DataError
from indexlab.sources.long_cells import Cells
from indexlab.sources.long_columns import (
    LongColumns,
    RowNames,
    as_series,
    float_values,
    is_numeric,
)


@dataclass
class _Faults:
    """The first fault of each kind (row, the cell as stored) and the unknown values."""

    first: dict[str, tuple[int, object]] = field(default_factory=dict)
    unknown: int = 0
    first_unknown: int | None = None

    def note(self, kind: str, mask: np.ndarray, offset: int, raw) -> None:
        if kind not in self.first and mask.any():
            i = int(np.argmax(mask))
            self.first[kind] = (offset + i, raw(i))

    def count(self, mask: np.ndarray, offset: int) -> None:
        n = int(np.count_nonzero(mask))
        if n and self.first_unknown is None:
            self.first_unknown = offset + int(np.argmax(mask))
        self.unknown += n


def _values(chunk, offset: int, faults: _Faults) -> tuple[np.ndarray, object]:
    """A chunk's values as float64 (NaN where missing, or where text is not a number)
    and how to get the stored cell at a chunk position (for messages)."""
    if is_numeric(chunk):
        values = float_values(chunk)
        return values, lambda i: values[i]
    raw = as_series(chunk).reset_index(drop=True)
    parsed = pd.to_numeric(raw, errors="coerce")
    not_number = parsed.isna().to_numpy() & raw.notna().to_numpy()
    faults.note("number", not_number, offset, lambda i: raw.iloc[i])
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan), lambda i: raw.iloc[i]


def _chunk_faults(column: str, values: np.ndarray, offset: int, faults: _Faults, raw) -> np.ndarray:
    """Checks one chunk of ``column``; returns the values to write (unknown ones NaN)."""
    if column == "close":
        with np.errstate(invalid="ignore"):
            faults.note("price", ~np.isfinite(values) | (values <= 0), offset, raw)
    with np.errstate(invalid="ignore"):
        faults.note("range", np.isinf(values) | (values > quality.LIMITS[column]), offset, raw)
    if column == "close":
        return values
    with np.errstate(invalid="ignore"):
        if column == "market_cap":
            unknown = ~(np.isfinite(values) & (values > 0))
        else:
            unknown = np.isfinite(values) & (values < 0) | np.isinf(values)
    faults.count(unknown, offset)
    # A new array: the chunk may be a view of the caller's DataFrame.
    return np.where(unknown, np.nan, values) if unknown.any() else values


def _raise(column: str, faults: _Faults, cells: Cells, rows: RowNames) -> None:
    from indexlab.sources.long_table import quote_cell

    for kind in ("number", "price", "range"):
        if kind not in faults.first:
            continue
        i, raw = faults.first[kind]
        at = rows.at(i, column)
        if kind == "number":
            raise DataError(f"{at}: {quote_cell(raw)} is not a number")
        if kind == "price":
            raise DataError(
                f"{at}: {quote_cell(raw)} is not a valid price for asset "
                f"{cells.asset_of(i)!r} on {cells.date_of(i).date()} (must be a finite number > 0)"
            )
        raise DataError(f"{at}: {quote_cell(raw)} {quality.RANGES[column]}")


def panels(
    columns: LongColumns,
    names: tuple[str, ...],
    cells: Cells,
    rows: RowNames,
    in_order: bool = False,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The panels of the columns ``names`` (NaN where no row), in one pass over the
    table, and the notes on values read as unknown; a fault is an error naming the row
    and the column (the columns' faults in the order of ``names``). ``in_order``: the
    rows are in strict (date, asset) order, so a batch of consecutive cells is copied
    rather than scattered."""
    arrays = {name: np.empty(cells.shape, dtype=np.float64) for name in names}
    if columns.n_rows != cells.shape[0] * cells.shape[1]:  # else every cell gets a row
        for values_panel in arrays.values():
            values_panel.fill(np.nan)
    faults = {name: _Faults() for name in names}
    for offset, chunks in columns.chunks(*names):
        n = len(chunks[0])
        where = cells.cell[offset : offset + n]
        if in_order and n and int(where[-1]) - int(where[0]) == n - 1:
            where = slice(int(where[0]), int(where[0]) + n)  # the same cells, as a run
        for name, chunk in zip(names, chunks, strict=True):
            values, raw = _values(chunk, offset, faults[name])
            values = _chunk_faults(name, values, offset, faults[name], raw)
            arrays[name].reshape(-1)[where] = values
        del chunks, values
    for name in names:
        _raise(name, faults[name], cells, rows)
    frames = {
        name: pd.DataFrame(values_panel, index=cells.calendar, columns=cells.columns, copy=False)
        for name, values_panel in arrays.items()
    }
    notes = [_note(name, faults[name], columns.n_rows, rows) for name in names]
    return frames, [note for note in notes if note]


def _note(column: str, faults: _Faults, n_rows: int, rows: RowNames) -> str | None:
    if not faults.unknown:
        return None
    first, origin = rows.position(faults.first_unknown), rows.origin
    if column == "market_cap":
        return (
            f"{origin}: {faults.unknown} of {n_rows} market caps missing, zero or "
            f"negative, read as unknown (first at {first})"
        )
    return (
        f"{origin}: {faults.unknown} negative or infinite volumes read as unknown "
        f"(first at {first})"
    )
