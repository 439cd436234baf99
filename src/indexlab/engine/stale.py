"""How much of a portfolio was valued at a stale price (issue 16, item 7).

Between two valid closes of an asset (a gap in daily data, or the month between two
snapshots of an asset known only from monthly data) a holding is worth its last valid
close, carried forward (DESIGN section 3). The *stale weight* of a day is the share of
the portfolio's value held in such assets that day: units held times the carried close,
over the portfolio's value (cash included, so a portfolio half in cash with a quarter of
its value in a stale asset has a stale weight of 25 %). A position past its asset's data
stop is not stale: it has been turned into cash (or written off) by then.

Worked example (docs/design-notes.md, "Stale prices"): A closes 10, -, -, 16 and B
closes 10 every day; half in each on day 0 (0.05 units each). Day 1: A is carried at
10, worth 0.5 of 1.0: stale weight 50 %; day 2 likewise; day 3 A closes again: 0 %.
The average over the four days is 25 %, the maximum 50 %.

A run's kernel adds these values up as it values each day (``PortfolioRun.stale_values``:
it reads each row of closes anyway, so a fresh Market's first run needs no pass of its
own, issue 17 item 1); :func:`stale_weight` computes the same sums, bit for bit, from
the market's gaps (:func:`interior_gaps`, one pass over the closes per Market) and the
run's trade records, for a run without them.
"""

from __future__ import annotations

import weakref

import numba
import numpy as np
import pandas as pd

from indexlab.market import Market
from indexlab.result import PortfolioRun


@numba.njit(cache=True, nogil=True)
def _gap_rows(close: np.ndarray, first: np.ndarray, last: np.ndarray):
    """Each column's rows without a valid close strictly between its first and last
    valid one, as ``starts`` (columns + 1) into ``rows`` (increasing per column). One
    pass over the panel in memory order counts them, a second over the rows with gaps
    fills them in."""
    n_rows, n_cols = close.shape
    starts = np.zeros(n_cols + 1, dtype=np.int64)
    counts = np.zeros(n_cols, dtype=np.int64)
    gappy_rows = np.zeros(n_rows, dtype=np.bool_)
    for t in range(n_rows):
        row_gaps = 0
        for j in range(n_cols):  # branch-free: most cells are no gap
            gap = (close[t, j] != close[t, j]) & (first[j] < t) & (t < last[j])
            counts[j] += gap
            row_gaps += gap
        gappy_rows[t] = row_gaps > 0
    for j in range(n_cols):  # loops, not slices or flatnonzero: quicker to compile
        starts[j + 1] = starts[j] + counts[j]
    rows = np.empty(starts[n_cols], dtype=np.int64)
    fill = starts[:-1].copy()
    for t in range(n_rows):  # the second pass reads only rows with gaps
        if not gappy_rows[t]:
            continue
        for j in range(n_cols):
            if close[t, j] != close[t, j] and first[j] < t < last[j]:
                rows[fill[j]] = t
                fill[j] += 1
    return starts, rows


# Per close panel (by id, while it lives): each asset's gap rows inside its life.
_GAPS: dict[int, tuple[weakref.ref, tuple[np.ndarray, np.ndarray]]] = {}


def interior_gaps(market: Market) -> tuple[np.ndarray, np.ndarray]:
    """Per asset, the market rows without a close inside its life (only there can it be
    valued at a stale price), as ``(starts, rows)``: asset j's are
    ``rows[starts[j]:starts[j + 1]]``. One pass over the panel per Market."""
    close = market.close_values
    key = id(close)
    cached = _GAPS.get(key)
    if cached is not None and cached[0]() is close:
        return cached[1]
    gaps = _gap_rows(close, market.first_valid_positions(), market.last_valid_positions())
    _GAPS[key] = (weakref.ref(close, lambda _ref, key=key: _GAPS.pop(key, None)), gaps)
    return gaps


@numba.njit(cache=True)
def _first_gap(gap_rows, starts, i, begin) -> int:
    """The index in ``gap_rows`` of asset i's first gap on or after market row ``begin``."""
    return starts[i] + np.searchsorted(gap_rows[starts[i] : starts[i + 1]], begin)


@numba.njit(cache=True, inline="always")
def _carried(close, t, i) -> float:
    """Asset i's last valid close before market row ``t`` (inside its life: there is one)."""
    r = t - 1
    while close[r, i] != close[r, i]:
        r -= 1
    return close[r, i]


@numba.njit(cache=True)
def _stale_values(
    close, offset, n_rows, rows, held, held_columns, units, starts, gap_rows
) -> np.ndarray:
    """Per run row (``n_rows``): the value held in assets without a valid close that
    row, inside their life, at their last valid close in the market's ``close``. Trade
    r's holdings (asset columns ``held_columns[held[r]:held[r + 1]]``, in any order, and
    their ``units``) are held from its row (``rows``) to the next; an asset's gaps are
    market rows ``gap_rows[starts[i]:starts[i + 1]]``, the run's row 0 being market row
    ``offset``. A day's stale values are added up by increasing asset column, whatever
    the holdings' order, so the sum's bits do not depend on it."""
    out = np.zeros(n_rows)
    longest = np.max(held[1:] - held[:-1]) if rows.size else 0
    stale = np.empty(longest, dtype=np.int64)  # a trade's entries with a gap, by column
    for r in range(rows.size):
        begin = rows[r] + offset
        until = (rows[r + 1] if r + 1 < rows.size else n_rows) + offset
        n_stale = 0
        for entry in range(held[r], held[r + 1]):
            i = held_columns[entry]
            if units[entry] == 0.0 or starts[i] == starts[i + 1]:
                continue
            k = _first_gap(gap_rows, starts, i, begin)
            if k < starts[i + 1] and gap_rows[k] < until:
                q = n_stale  # insertion by column: few holdings have gaps in a span
                while q > 0 and held_columns[stale[q - 1]] > i:
                    stale[q] = stale[q - 1]
                    q -= 1
                stale[q] = entry
                n_stale += 1
        for q in range(n_stale):
            i = held_columns[stale[q]]
            k = _first_gap(gap_rows, starts, i, begin)
            while k < starts[i + 1] and gap_rows[k] < until:
                out[gap_rows[k] - offset] += units[stale[q]] * _carried(close, gap_rows[k], i)
                k += 1
    return out


def stale_weight(
    run: PortfolioRun, close: np.ndarray, gaps: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """The share of ``run``'s value held at a carried close on each of its days;
    ``close``: the market's valid closes (``NaN`` elsewhere); ``gaps``:
    :func:`interior_gaps` of the market."""
    starts, gap_rows = gaps
    if len(run.rebalance_rows) == 0 or gap_rows.size == 0:
        return np.zeros(len(run.dates))
    return _share(run, _stale_values(
        close,
        int(run.start_pos),
        len(run.dates),
        np.asarray(run.rebalance_rows, dtype=np.int64),
        run.held_units.starts,
        run.held_units.columns,
        run.held_units.values,
        starts,
        gap_rows,
    ))  # fmt: skip


def _share(run: PortfolioRun, stale: np.ndarray) -> np.ndarray:
    equity = run.equity_values
    return np.divide(stale, equity, out=np.zeros_like(stale), where=equity > 0)


def stale_weight_series(run: PortfolioRun, market: Market) -> pd.Series:
    """:func:`stale_weight` of ``run`` on ``market``, as a series on the run's dates: from
    the values the kernel added up as it went (``run.stale_values``, the same sums, bit
    for bit), else from the market's gaps (one pass over its closes)."""
    if run.stale_values is not None and len(run.stale_values) == len(run.dates):
        share = _share(run, run.stale_values)
    else:
        share = stale_weight(run, market.close_values, interior_gaps(market))
    return pd.Series(share, index=run.dates, name="stale_weight")


def _percent(share: float) -> str:
    return f"{share * 100:.3g}%"


def stale_note(share: pd.Series) -> list[str]:
    """The run note on stale prices (none when no day held any)."""
    if not (share > 0).any():
        return []
    day = share.idxmax()
    return [
        f"stale prices: on average {_percent(float(share.mean()))} of the strategy's value "
        f"(at most {_percent(float(share.max()))}, on {day.date()}) was held in assets "
        f"without a close that day, valued at their last close; {int((share > 0).sum())} of "
        f"{len(share)} days (Result.stale_weight)"
    ]
