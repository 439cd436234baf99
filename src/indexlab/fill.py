"""Compiled passes over a (date x asset) panel, each reading it once.

:func:`fill_and_bounds`: the last valid close up to each date, and each asset's first
and last valid row. The engine needs all three on a Market's first run (issue 17, item
1): pandas' ``ffill`` and two ``argmax`` scans took 4 to 5 times a warm backtest. The
loop has no branch (each cell selects its value and its bounds), so the compiler turns
it into vector instructions.

:func:`valid_copy`: the copy of a panel ``Market.from_panels`` keeps, invalid values
read as ``NaN``, and the first value above a limit.

What is left of their time is mostly the first touch of the new panel each writes: on
the 2-core reference machine (a virtual machine) a new 4 KB page costs ~3.5 us, 71,000
of them for 10,000 x 3,650. Both let numpy allocate their output, which asks the kernel
for 2 MB pages for arrays of 4 MB or more (numba's own ``np.empty`` does not). On that
machine, while Markets were made and dropped, the hint won more often than not but not
always: the median first run on 10,000 x 3,650 took 226 ms with it against 395 ms in small pages in
one series, 794 against 395 in another; ``from_panels`` 195 against 549 ms; single calls
took up to 1 s and 2 s when the kernel had no free 2 MB page at hand (the loader, which
writes many panels at once, turns the hint off: ``sources.long_columns.small_pages``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


def valid_bounds(close: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``first[j]``, ``last[j]``: the first and last row where ``close[:, j]`` is finite
    (-1 if never); ``gaps[j]``: how many rows between them are not. ``close`` should be
    C-ordered (it is read row by row)."""
    n_rows, n_cols = close.shape
    first = np.full(n_cols, n_rows, dtype=np.int64)
    last = np.full(n_cols, -1, dtype=np.int64)
    valid = np.zeros(n_cols, dtype=np.int64)
    _bounds_into(close, first, last, valid)
    never = first == n_rows
    first[never] = -1
    return first, last, np.where(never, 0, last - first + 1 - valid)


@njit(cache=True, nogil=True)
def _bounds_into(close, first, last, valid) -> None:
    """:func:`valid_bounds` into ``first`` (holding the row count), ``last`` (-1) and
    ``valid`` (0: how many valid rows)."""
    n_rows, n_cols = close.shape
    never = n_rows
    t = 0
    while t + 4 <= n_rows:  # four rows side by side: four streams, a quarter of the updates
        a, b, c, d = close[t], close[t + 1], close[t + 2], close[t + 3]
        for j in range(n_cols):
            va, vb, vc, vd = a[j], b[j], c[j], d[j]
            ka, kb, kc, kd = va - va == 0.0, vb - vb == 0.0, vc - vc == 0.0, vd - vd == 0.0
            earliest = t if ka else (t + 1 if kb else (t + 2 if kc else (t + 3 if kd else never)))
            first[j] = min(first[j], earliest)
            last[j] = t + 3 if kd else (t + 2 if kc else (t + 1 if kb else (t if ka else last[j])))
            valid[j] += (1 if ka else 0) + (1 if kb else 0) + (1 if kc else 0) + (1 if kd else 0)
        t += 4
    for r in range(t, n_rows):
        for j in range(n_cols):
            value = close[r, j]
            is_valid = value - value == 0.0
            first[j] = min(first[j], r if is_valid else never)
            last[j] = r if is_valid else last[j]
            valid[j] += 1 if is_valid else 0


def fill_and_bounds(close: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``filled[t, j]``: the last finite ``close[s, j]`` with ``s <= t`` (0 before the
    first); ``first[j]``, ``last[j]``: the first and last row where ``close[:, j]`` is
    finite (-1 if never). ``close`` should be C-ordered (it is read row by row)."""
    n_rows, n_cols = close.shape
    filled = np.empty((n_rows, n_cols))  # numpy's allocation: see the module's docstring
    first = np.full(n_cols, -1, dtype=np.int64)
    last = np.full(n_cols, -1, dtype=np.int64)
    if n_rows > 0:
        _fill_into(close, filled, first, last)
    return filled, first, last


@njit(cache=True, nogil=True)
def _fill_into(close, filled, first, last) -> None:
    """:func:`fill_and_bounds` into ``filled``, ``first``, ``last`` (at least one row;
    ``first`` and ``last`` hold -1). ``v - v == 0`` is true exactly for a finite ``v``
    (inf - inf and NaN - NaN are NaN), and needs no branch."""
    n_rows, n_cols = close.shape
    never = n_rows  # above every row: min() keeps the first one found
    for j in range(n_cols):
        value = close[0, j]
        valid = value - value == 0.0
        filled[0, j] = value if valid else 0.0
        first[j] = 0 if valid else never
        last[j] = 0 if valid else -1
    for t in range(1, n_rows):
        for j in range(n_cols):
            value = close[t, j]
            valid = value - value == 0.0
            filled[t, j] = value if valid else filled[t - 1, j]
            first[j] = min(first[j], t if valid else never)
            last[j] = t if valid else last[j]
    for j in range(n_cols):
        if first[j] == never:
            first[j] = -1


def valid_copy(
    values: np.ndarray, strict: bool, limit: float
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """A C-ordered float64 copy of ``values`` (2-d) with ``NaN`` where a value is not
    finite and > 0 (``>= 0`` unless ``strict``), and the position of its first value
    above ``limit`` in row-major order, as ``(row, column)``, or None. One pass, where
    numpy's masks took five over the panel and as many temporary arrays
    (``Market.from_panels`` makes each panel this way)."""
    source = np.ascontiguousarray(values, dtype=np.float64)
    copy = np.empty(source.shape)  # numpy's allocation: see the module's docstring
    if source.size == 0:
        return copy, None
    first = _valid_into(source.reshape(-1), copy.reshape(-1), not strict, limit)
    return copy, None if first < 0 else divmod(int(first), source.shape[1])


@njit(cache=True, nogil=True)
def _valid_into(source, copy, zero_valid, limit) -> int:
    """:func:`valid_copy` over the flat arrays; returns the flat position of the first
    value above ``limit`` (-1: none)."""
    n = source.size
    first = n
    for i in range(n):
        value = source[i]
        valid = (value - value == 0.0) & ((value > 0.0) | (zero_valid & (value == 0.0)))
        kept = value if valid else np.nan
        copy[i] = kept
        first = min(first, i if kept > limit else n)
    return first if first < n else -1
