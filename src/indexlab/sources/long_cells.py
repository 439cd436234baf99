"""Where each row of a long table goes in the panels: its cell, ``day * n_assets +
asset`` in a C-ordered (date x asset) array.

The asset ids are dictionary codes (Parquet stores them so; a DataFrame's are
factorised), made global across chunks, stripped, then sorted; the days come from
:mod:`indexlab.sources.long_dates`. A duplicated (date, asset) is found without
sorting when the table is in (date, asset) or (asset, date) order, as importers
write it, and otherwise by writing each row's number into its cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.errors import DataError
from indexlab.sources.long_columns import Codebook, RowNames

STEP = 1 << 20  # rows per slice in the passes over all rows (bounded temporaries)


@dataclass(frozen=True)
class Cells:
    """Each row's cell; the panels' asset ids (sorted) and contiguous calendar."""

    cell: np.ndarray
    columns: pd.Index
    calendar: pd.DatetimeIndex

    @property
    def n_assets(self) -> int:
        return len(self.columns)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.calendar), len(self.columns)

    def asset_of(self, i: int) -> str:
        return str(self.columns[int(self.cell[i]) % self.n_assets])

    def date_of(self, i: int) -> pd.Timestamp:
        return self.calendar[int(self.cell[i]) // self.n_assets]

    def asset_codes(self, rows: slice) -> np.ndarray:
        return self.cell[rows].astype(np.int64) % self.n_assets

    def day_codes(self, rows: slice) -> np.ndarray:
        return self.cell[rows].astype(np.int64) // self.n_assets


class AssetReader:
    """Each row's asset as a code into the distinct ids (stripped), read batch by
    batch; :meth:`finish` raises on a missing or empty id (naming the row) or returns
    the codes, the ids and which ids rows use (a batch's dictionary may hold more)."""

    def __init__(self, n_rows: int) -> None:
        self.book = Codebook(strip=True)
        self.codes = np.empty(n_rows, dtype=np.int32)
        self.used = np.zeros(0, dtype=bool)
        self.missing: int | None = None

    def read(self, chunk, offset: int) -> None:
        codes = self.book.encode(chunk)
        missing = codes < 0
        if missing.any() and self.missing is None:
            self.missing = offset + int(np.argmax(missing))
        self.codes[offset : offset + len(codes)] = codes
        if len(self.used) < len(self.book.values):
            grown = np.zeros(len(self.book.values), dtype=bool)
            grown[: len(self.used)] = self.used
            self.used = grown
        self.used[codes[~missing] if self.missing is not None else codes] = True

    def finish(self, rows: RowNames) -> tuple[np.ndarray, list[str], np.ndarray]:
        if self.missing is not None:
            raise DataError(f"{rows.at(self.missing, 'asset')}: missing asset id")
        return self.codes, self.book.values, self.used


def cells(days: np.ndarray, codes: np.ndarray, values: list[str], used: np.ndarray) -> Cells:
    """The cells of rows on ``days`` (days since 1970) of assets ``codes`` (into
    ``values``); the ``used`` ids get columns, sorted by id. Cells are int32 when the
    panels have fewer than 2**31 cells, then written over ``days``."""
    ids = np.asarray(values, dtype=str)
    order = np.flatnonzero(used)[np.argsort(ids[used], kind="stable")]
    first_day, last_day = int(days.min()), int(days.max())
    n_assets, n_days = len(order), last_day - first_day + 1
    kind = np.int32 if n_days * n_assets < 2**31 else np.int64
    rank = np.full(len(values), -1, dtype=kind)
    rank[order] = np.arange(len(order))
    # Written over the day numbers (int32) when it fits: no new memory to touch.
    cell = days if kind is np.int32 and days.dtype == np.int32 else np.empty(len(days), kind)
    for start in range(0, len(days), STEP):
        rows = slice(start, start + STEP)
        day = days[rows].astype(kind, copy=False) - kind(first_day)
        cell[rows] = day * kind(n_assets) + rank[codes[rows]]
    calendar = pd.date_range(
        pd.Timestamp(np.datetime64(first_day, "D")),
        periods=n_days,
        freq="D",
        name="date",
        unit="ns",
    )
    return Cells(cell, pd.Index(ids[order], name="asset"), calendar)


def _increasing(key) -> bool:
    """Whether ``key(rows)`` over all rows, slice by slice, is strictly increasing."""
    n = key.n_rows
    previous = None
    for start in range(0, n, STEP):
        part = key(slice(start, min(start + STEP, n)))
        if previous is not None and len(part) and part[0] <= previous:
            return False
        if np.any(part[1:] <= part[:-1]):
            return False
        if len(part):
            previous = part[-1]
    return True


class _Key:
    def __init__(self, cells: Cells, asset_major: bool):
        self.cells, self.asset_major, self.n_rows = cells, asset_major, len(cells.cell)

    def __call__(self, rows: slice) -> np.ndarray:
        if not self.asset_major:
            return self.cells.cell[rows]
        return self.cells.asset_codes(rows) * len(self.cells.calendar) + self.cells.day_codes(rows)


def increasing(cells: Cells) -> bool:
    """Whether the rows are in strict (date, asset) order: then no two share a cell,
    and a batch whose cells span as many cells as it has rows fills them all."""
    return _increasing(_Key(cells, False))


def duplicated_rows(cells: Cells) -> np.ndarray | None:
    """A mask of the rows whose (date, asset) is on another row too, or None."""
    if increasing(cells) or _increasing(_Key(cells, True)):
        return None
    n_rows, n_cells = len(cells.cell), cells.shape[0] * cells.shape[1]
    owner = np.empty(n_cells, dtype=np.int32 if n_rows < 2**31 else np.int64)
    for start in range(0, n_rows, STEP):
        rows = slice(start, start + STEP)
        owner[cells.cell[rows]] = np.arange(start, min(start + STEP, n_rows))
    # Every cell ends with one owner: the other rows of a duplicated cell are not it.
    taken = np.zeros(n_cells, dtype=bool)
    for start in range(0, n_rows, STEP):
        rows = slice(start, start + STEP)
        other = owner[cells.cell[rows]] != np.arange(start, min(start + STEP, n_rows))
        taken[cells.cell[rows][other]] = True
    del owner
    if not taken.any():
        return None
    return taken[cells.cell]


def duplicate_error(cells: Cells, duplicated: np.ndarray, rows: RowNames) -> DataError:
    """The error naming the first duplicated (date, asset) and its rows (up to 3)."""
    first = int(np.argmax(duplicated))
    same = np.flatnonzero(cells.cell == cells.cell[first])
    where = " and ".join(rows.position(int(r)) for r in same[:3])
    return DataError(
        f"{rows.origin}: duplicated (date, asset) rows: {cells.asset_of(first)!r} on "
        f"{cells.date_of(first).date()} appears at {where} ({int(duplicated.sum())} rows involved)"
    )
