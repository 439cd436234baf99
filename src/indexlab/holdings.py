"""Compact per-trade records of the assets a portfolio holds (issue 17, item 7).

A daily run trades on every row, and a portfolio holds a few of the market's assets:
dense (trades x assets) arrays of the units, weights and targets of each trade took
1.75 GB for a daily top-100 on 10,000 x 7,300 (three arrays of 584 MB), nearly all
zeros. A :class:`Holdings` keeps only the held assets, in compressed sparse rows (CSR):
record ``r`` (a trade) holds ``columns[starts[r]:starts[r + 1]]`` (asset columns, in
the order the engine held them: :meth:`Holdings.in_column_order` sorts them) with
``values`` at the same positions. Memory is O(trades x holdings).

Worked example: three trades on five assets, holding A and C, then C alone, then
nothing (all in cash)::

    dense          A    B    C    D    E        starts  = [0, 2, 3, 3]
    trade 0      0.5    0  0.5    0    0        columns = [2, 0, 2]
    trade 1        0    0  1.0    0    0        values  = [0.5, 0.5, 1.0]
    trade 2        0    0    0    0    0

:meth:`Holdings.dense` gives back the dense array (for small markets only); the
outputs read the compact form, over the assets ever held (:meth:`Holdings.on_columns`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Holdings"]


@dataclass(frozen=True, eq=False)
class Holdings:
    """Per record, the columns of the assets held and a value for each (see the module
    docstring): ``starts`` (records + 1), ``columns`` and ``values`` (entries)."""

    starts: np.ndarray
    columns: np.ndarray
    values: np.ndarray

    @classmethod
    def from_slots(
        cls, columns: np.ndarray, counts: np.ndarray, *values: np.ndarray
    ) -> tuple[Holdings, ...]:
        """From fixed-width slots (records x slots): record r uses its first
        ``counts[r]`` slots. One Holdings per ``values`` array, all sharing their
        ``starts`` and ``columns``, in the slots' order."""
        counts = np.asarray(counts, dtype=np.int64)
        used = np.arange(columns.shape[1]) < counts[:, None]
        starts, held = _starts(counts), columns[used]
        return tuple(cls(starts, held, np.asarray(v[used], dtype=np.float64)) for v in values)

    @classmethod
    def from_targets(cls, columns: np.ndarray, values: np.ndarray) -> Holdings:
        """From compact targets (records x slots, column -1 where a slot is unused)."""
        used = columns >= 0
        held = np.asarray(columns[used], dtype=np.int64)
        return cls(_starts(used.sum(axis=1)), held, np.asarray(values[used], dtype=np.float64))

    def in_column_order(self) -> Holdings:
        """The same records with their columns increasing (a column twice in a record
        keeps its order, so the last one still wins in :meth:`dense`)."""
        if self.columns.size < 2:
            return self
        key = self.records() * (int(self.columns.max()) + 1) + self.columns
        order = np.argsort(key, kind="stable")
        return Holdings(self.starts, self.columns[order], self.values[order])

    @property
    def n_records(self) -> int:
        return len(self.starts) - 1

    @property
    def nbytes(self) -> int:
        return self.starts.nbytes + self.columns.nbytes + self.values.nbytes

    def records(self) -> np.ndarray:
        """The record of each entry."""
        return np.repeat(np.arange(self.n_records, dtype=np.int64), np.diff(self.starts))

    def record(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns and values of record ``r``."""
        part = slice(self.starts[r], self.starts[r + 1])
        return self.columns[part], self.values[part]

    def held_columns(self, positive: bool = False) -> np.ndarray:
        """The columns, increasing, with a value != 0 (``positive``: > 0) in any record."""
        keep = self.values > 0 if positive else self.values != 0
        return np.unique(self.columns[keep])

    def count(self, positive: bool = True) -> np.ndarray:
        """Per record, how many values are > 0 (or != 0)."""
        keep = self.values > 0 if positive else self.values != 0
        return np.bincount(self.records()[keep], minlength=self.n_records)

    def on_columns(self, columns: np.ndarray) -> np.ndarray:
        """A dense (records x len(columns)) array over the increasing ``columns`` only
        (the assets ever held, not the market's); entries elsewhere are left out."""
        out = np.zeros((self.n_records, len(columns)))
        if len(columns) == 0 or self.columns.size == 0:
            return out
        position = np.minimum(np.searchsorted(columns, self.columns), len(columns) - 1)
        inside = columns[position] == self.columns
        out[self.records()[inside], position[inside]] = self.values[inside]
        return out

    def dense(self, n_assets: int) -> np.ndarray:
        """The (records x n_assets) array: for small markets, or a look in a notebook."""
        out = np.zeros((self.n_records, n_assets))
        out[self.records(), self.columns] = self.values
        return out


def _starts(counts: np.ndarray) -> np.ndarray:
    """Where each record's entries start, and (last) where the entries end."""
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return starts
