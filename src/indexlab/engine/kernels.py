"""The numba kernel of the simulation: arrays in, a named record out; no pandas here.

Conventions (DESIGN section 3): units held are constant between trades; a holding
without a valid close is valued at its last valid close; the first row after an
asset's last valid close in the data (its data stop), a position still held becomes
cash at that close, fee-free, before any trade; a trade fills every position at its
last valid close, paying proportional costs solved exactly so that the target
weights hold after costs; a target on an asset with no valid close yet waits, in
cash, for its first close. The policies are in :mod:`indexlab.engine.policies`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numba
import numpy as np

from indexlab.engine.blas import matmul_into, new_work
from indexlab.engine.policies import (
    Log,
    clear_targets,
    drift_breached,
    fill_pending,
    has_pending_fill,
    new_book,
    portfolio_value,
    post_trade_value,
    record_holdings,
    settle_delistings,
    write_down_stops,
)
from indexlab.engine.trades import execute_trade, new_scratch

__all__ = ["KernelRecord", "post_trade_value", "simulate_batch"]


_CALLEES = ("policies.py", "trades.py", "blas.py")


def _follow_the_policies() -> None:
    """numba keys its disk cache of a function by the stamp of the file that defines it,
    not by the files it calls into (numba issue #8396): edited policies would leave a
    stale simulate_batch in the cache. When a file it calls into is newer than this
    file, this file's stamp moves forward, before the kernel below is decorated, so the
    cache is rebuilt once. (Nothing changes in an installed copy, where no file changes.)"""
    here = Path(__file__)
    try:
        callees = [here.with_name(name).stat().st_mtime for name in _CALLEES]
        if max(callees) > here.stat().st_mtime:
            os.utime(here)
    except OSError:
        pass  # a read-only install: its files do not change either


_follow_the_policies()

TRADE_SCHEDULED = 0
TRADE_DRIFT = 1
TRADE_RISK_OFF = 2
TRADE_RISK_ON = 3
TRADE_FIRST_PRICE = 4


class KernelRecord(NamedTuple):
    """What :func:`simulate_batch` returns. Per candidate row and portfolio (C x K):
    ``reason`` (a ``TRADE_*`` code, -1 where it did not trade), ``value_pre`` (value
    before trading), ``traded`` (notional), ``cost``, ``turnover`` (one-way: half the
    sum of absolute weight changes, cash included). The positions after each trade,
    when recorded (else empty): ``held_count`` (C x K) assets held, and in their first
    ``held_count`` slots ``held_columns``, ``held_units`` and ``held_weights`` (C x K x
    M, M the target slots: a portfolio never holds more assets than a trade targets),
    in no particular order; held assets only, never (C x K x N). The ``liq_*`` arrays
    are the delistings of portfolio 0 (``n_liq`` of them); ``stale`` (T, when recorded,
    else empty) portfolio 0's value held at a carried close on each row."""

    equity: np.ndarray
    reason: np.ndarray
    value_pre: np.ndarray
    traded: np.ndarray
    cost: np.ndarray
    turnover: np.ndarray
    held_count: np.ndarray
    held_columns: np.ndarray
    held_units: np.ndarray
    held_weights: np.ndarray
    n_liq: int
    liq_row: np.ndarray
    liq_asset: np.ndarray
    liq_units: np.ndarray
    liq_price: np.ndarray
    stale: np.ndarray


# The valuation writes a block of rows of carried prices at a time, small enough to stay
# in a core's cache: a segment longer than BLOCK_BYTES' worth of rows is cut into blocks
# of a multiple of BLOCK_ROWS rows (the product groups rows by 4 or 8: cut there, each
# row's sum is the one the whole segment's product gives, bit for bit).
BLOCK_BYTES = 1 << 18
BLOCK_ROWS = 16


@numba.njit(cache=True, inline="always")
def _carry_rows(close, first, stop, before, out):
    """Rows first..stop-1 (at most 4) of carried prices into ``out``'s first rows, from
    ``before`` (the prices of row first - 1); returns the last row written. Four rows
    are read side by side (four streams from memory read faster than one). No branch,
    and no store into what is read (the compiler would make it a masked store): vector
    instructions. ``v - v == 0`` is true exactly for a finite v."""
    if stop - first < 4:
        for r in range(first, stop):
            row, written = close[r], out[r - first]
            for i in range(before.size):
                value, last = row[i], before[i]
                written[i] = value if value - value == 0.0 else last
            before = written
        return before
    a, b, c, d = close[first], close[first + 1], close[first + 2], close[first + 3]
    for i in range(before.size):
        va, vb, vc, vd, last = a[i], b[i], c[i], d[i], before[i]
        last = va if va - va == 0.0 else last
        out[0, i] = last
        last = vb if vb - vb == 0.0 else last
        out[1, i] = last
        last = vc if vc - vc == 0.0 else last
        out[2, i] = last
        out[3, i] = vd if vd - vd == 0.0 else last
    return out[3]


@numba.njit(cache=True)
def _value_segment(equity, close, filled, carried, block, book, first, stop, work, stale) -> None:
    """Every portfolio's value on rows first..stop-1, and ``carried`` (each asset's last
    valid close) brought to row stop - 1. Block by block of rows, the carried prices
    are written into ``block``, then valued by one matrix product (BLAS, called
    directly: :mod:`indexlab.engine.blas` says why), plus cash: the product reads them
    from the cache, not from a forward-filled panel in memory; unless such a panel is
    given (``filled``, the rows of ``close``; 0 rows: none), which the product then
    reads (a Market that runs again keeps one: reading it is quicker than carrying).
    ``stale``: see :class:`Stale` (nothing if its array is empty)."""
    if filled.shape[0] > 0:  # a forward-filled panel is at hand: the product reads it
        if stop > first:
            matmul_into(equity[first:stop], filled[first:stop], book.units_by_asset, work)
            for i in range(carried.size):
                carried[i] = filled[stop - 1, i]
        for k in range(book.cash.size):
            for r in range(first, stop):
                equity[r, k] += book.cash[k]
        return
    size = block.shape[0]
    for begin in range(first, stop, size):
        end = min(begin + size, stop)
        before = carried
        for r in range(begin, end, 4):
            before = _carry_rows(close, r, min(r + 4, end), before, block[r - begin : end - begin])
        for i in range(carried.size):
            carried[i] = before[i]
        if stale.values.size:  # apart: in the loop above, it slows the loop down
            _stale_block(book, close, block, begin, end, stale)
        matmul_into(equity[begin:end], block[: end - begin], book.units_by_asset, work)
    for k in range(book.cash.size):
        for r in range(first, stop):
            equity[r, k] += book.cash[k]


class Stale(NamedTuple):
    """Portfolio 0's value held at a carried close, per row (``values``; issue 16, item
    7): the assets it holds without a valid close that row, before their data stop
    (``last_valid``), at their last valid close. Its holdings are listed by increasing
    column (``columns``, ``count[0]`` of them), the order the sum is taken in, so that
    its bits do not depend on the order of the holdings. Only the holdings that
    ``gappy`` marks are listed (an asset without a gap in its life is never valued at
    a carried close before its data stop)."""

    values: np.ndarray
    columns: np.ndarray
    count: np.ndarray
    last_valid: np.ndarray
    gappy: np.ndarray


@numba.njit(cache=True, inline="always")
def _stale_value(book, close_row, prices_row, r, stale) -> float:
    total = 0.0
    for q in range(stale.count[0]):
        i = stale.columns[q]
        if close_row[i] != close_row[i] and r < stale.last_valid[i]:
            total += book.units[0, i] * prices_row[i]
    return total


@numba.njit(cache=True, inline="always")
def _stale_block(book, close, block, begin, end, stale) -> None:
    """:func:`_stale_value` of rows begin..end-1 (``block`` holds their prices), column
    by column: each row's sum is still taken by increasing column."""
    for r in range(begin, end):
        stale.values[r] = 0.0
    for q in range(stale.count[0]):
        i = stale.columns[q]
        stop, units = min(end, stale.last_valid[i]), book.units[0, i]
        for r in range(begin, stop):
            if close[r, i] != close[r, i]:
                stale.values[r] += units * block[r - begin, i]


@numba.njit(cache=True, inline="always")
def _list_stale_columns(book, stale) -> None:
    """Portfolio 0's holdings with gaps into ``stale.columns``, by increasing column."""
    n = 0
    for q in range(book.held_n[0]):  # insertion sort: a trade's holdings are few
        i, at = book.held[0, q], n
        if not stale.gappy[i]:
            continue
        n += 1
        while at > 0 and stale.columns[at - 1] > i:
            stale.columns[at] = stale.columns[at - 1]
            at -= 1
        stale.columns[at] = i
    stale.count[0] = n


@numba.njit(cache=True, inline="always")
def _block_rows(candidate_rows, n_rows, n_assets) -> int:
    """The rows of the valuation's block: the longest segment between candidate rows,
    or fewer (a multiple of ``BLOCK_ROWS`` near ``BLOCK_BYTES``), at least 1."""
    longest, previous = 0, -1
    for j in range(candidate_rows.size):
        longest = max(longest, candidate_rows[j] - previous - 1)
        previous = candidate_rows[j]
    longest = max(longest, n_rows - previous - 1)
    cap = max(BLOCK_BYTES // (8 * max(n_assets, 1)) // BLOCK_ROWS, 1) * BLOCK_ROWS
    return max(min(longest, cap), 1)


@numba.njit(cache=True)
def _decide(book, k, j, t, forced, exposure, close_t, prices_t, threshold, relative) -> int:
    """Why portfolio k trades on candidate j (row t), or -1: risk switches first, then
    the schedule, then drift against the targets set at the last trade."""
    always = exposure.shape[0] == 0
    invested = always or exposure[t, k] > 0.0
    was_invested = always or t == 0 or exposure[t - 1, k] > 0.0
    if not invested:
        if book.held_n[k] > 0:
            return TRADE_RISK_OFF
        clear_targets(book, k)  # in cash: nothing to hold, no order to wait
        return -1
    if not was_invested:
        return TRADE_RISK_ON
    if forced[j]:
        return TRADE_SCHEDULED
    if threshold > 0.0 and drift_breached(book, k, close_t, prices_t, threshold, relative):
        return TRADE_DRIFT
    if has_pending_fill(book, k, close_t):
        return TRADE_FIRST_PRICE
    return -1


@numba.njit(cache=True)
def simulate_batch(
    close: np.ndarray,
    opening: np.ndarray,
    last_valid: np.ndarray,
    candidate_rows: np.ndarray,
    target_columns: np.ndarray,
    target_values: np.ndarray,
    forced: np.ndarray,
    exposure: np.ndarray,
    drift_threshold: np.ndarray,
    drift_relative: np.ndarray,
    cost_rate: np.ndarray,
    delisting_keep: np.ndarray,
    record: bool,
    liquidation_capacity: int,
    gappy: np.ndarray,
    filled: np.ndarray,
) -> KernelRecord:
    """Simulate K portfolios that share their candidate trade rows, over T rows.

    Between two candidate rows the units held are constant, so every portfolio's value
    on every day of the segment is one matrix product, prices (days x N) @ units
    (N x K), plus cash; a holding in a gap or past its data stop is worth its last
    valid close, which the kernel carries from row to row (no forward-filled panel is
    made: a fresh Market's first run costs what a warm one does, issue 17 item 1). At
    each candidate row each portfolio settles its data stops (fee-free), then trades
    if a policy says so.

    Inputs: ``close`` (T x N) valid closes, ``NaN`` elsewhere; ``opening`` (N) each
    asset's last valid close before row 0 (0 if none); ``last_valid`` (N) each
    asset's last valid row in the whole data, relative to row 0 here; the increasing
    ``candidate_rows`` (C) with compact targets ``target_columns``/``target_values``
    (C x K x M: columns, -1 unused, and weights summing to <= 1) and ``forced`` (C,
    scheduled); ``exposure`` (T x K, 1 invested, 0 risk-off; changes on candidate
    rows) or (0 x 0) for always invested; per portfolio ``drift_threshold`` (<= 0: no
    drift checks), ``drift_relative``, ``cost_rate`` ((fee + slippage bps) / 1e4) and
    ``delisting_keep`` (the share of a position's last-close value its data stop
    returns: 1 ``last_close``, 0 ``zero``, 1 - h a haircut h);
    ``record``: keep positions, the delistings of portfolio 0, with room for
    ``liquidation_capacity`` (``n_liq`` counts past it, so the caller can retry), and
    portfolio 0's value held at a carried close on each row (``stale``), counting the
    assets ``gappy`` marks (N: those with rows without a valid close inside their life,
    no other is ever held at a carried close; empty: ``stale`` is not added up);
    ``filled``: the last valid close up to each row (T x N), if at hand, else (0 x 0).
    """
    n_rows, n_assets = close.shape
    n_candidates = candidate_rows.size
    n_portfolios = cost_rate.size
    equity = np.empty((n_rows, n_portfolios))
    # Zeros are made flat and reshaped, other values filled in: each signature of
    # np.zeros / np.full / np.ones is a compile of its own, a reshape is not.
    reason = np.empty((n_candidates, n_portfolios), dtype=np.int64)
    reason[:, :] = -1
    n_fills = 4 * n_candidates * n_portfolios  # value_pre, notional, cost, turnover
    fills = np.zeros(n_fills).reshape((4, n_candidates, n_portfolios))
    keep, n_slots = (n_candidates if record else 0), max(target_columns.shape[2], 1)
    held_count = np.zeros(keep * n_portfolios, dtype=np.int64).reshape((keep, n_portfolios))
    held_columns = np.empty((keep, n_portfolios, n_slots), dtype=np.int64)
    held_units = np.empty((keep, n_portfolios, n_slots))
    held_weights = np.empty((keep, n_portfolios, n_slots))
    capacity = liquidation_capacity if record else 0
    log = Log(
        np.zeros(1, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity),
        np.empty(capacity),
    )
    book = new_book(n_portfolios, n_assets, target_columns.shape[2])
    scratch = new_scratch(n_assets)
    work = new_work()
    never = n_rows + 1
    first_stop = np.empty(n_portfolios, dtype=np.int64)
    for k in range(n_portfolios):
        first_stop[k] = never
    delist_row = last_valid + 1  # the first row after an asset's last valid close

    carried = np.empty(n_assets)  # each asset's last valid close so far (0 if none)
    for i in range(n_assets):
        carried[i] = opening[i]
    stale = Stale(
        np.zeros(n_rows if record and gappy.size > 0 else 0),
        np.empty(n_slots, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        last_valid,
        gappy,
    )
    n_block = _block_rows(candidate_rows, n_rows, n_assets) if filled.shape[0] == 0 else 0
    block = np.zeros(n_block * n_assets).reshape((n_block, n_assets))

    segment_start = np.int64(0)  # not the literal 0: one compiled callee, not two
    for j in range(n_candidates + 1):
        t = candidate_rows[j] if j < n_candidates else n_rows
        _value_segment(equity, close, filled, carried, block, book, segment_start, t, work, stale)
        changed = False  # portfolio 0's holdings (for ``stale``)
        for k in range(n_portfolios):  # carried: up to row t - 1, past every stop <= t
            if first_stop[k] <= t:
                changed |= k == 0
                keep = delisting_keep[k]
                if keep != 1.0 and first_stop[k] < t:  # stops inside the segment
                    write_down_stops(book, k, t, carried, delist_row, equity, keep)
                first_stop[k] = settle_delistings(
                    book, k, t, segment_start, n_rows, carried, delist_row, log, record, keep
                )
        if j == n_candidates:
            break
        close_t, prices_t = close[t], carried
        for i in range(n_assets):
            if filled.shape[0] > 0:
                carried[i] = filled[t, i]
            elif close_t[i] - close_t[i] == 0.0:
                carried[i] = close_t[i]
        for k in range(n_portfolios):
            trade = _decide(
                book, k, j, t, forced, exposure, close_t, prices_t,
                drift_threshold[k], drift_relative[k],
            )  # fmt: skip
            if trade == TRADE_FIRST_PRICE:
                fill = fill_pending(book, k, close_t, prices_t, cost_rate[k], delist_row, n_rows)
            elif trade >= 0:
                scale = 0.0 if trade == TRADE_RISK_OFF else 1.0
                fill = execute_trade(
                    book, k, t, target_columns[j, k], target_values[j, k], scale,
                    prices_t, delist_row, n_rows, cost_rate[k], drift_threshold[k] > 0.0, scratch,
                )  # fmt: skip
            if trade >= 0:
                changed |= k == 0
                first_stop[k] = fill.earliest_stop
                reason[j, k] = trade
                fills[0, j, k] = fill.value_pre
                fills[1, j, k] = fill.notional
                fills[2, j, k] = fill.cost
                fills[3, j, k] = fill.turnover
                if record:
                    held_count[j, k] = record_holdings(
                        book, k, prices_t, held_columns[j, k], held_units[j, k], held_weights[j, k]
                    )
            equity[t, k] = portfolio_value(book, k, prices_t)
        if stale.values.size:
            if changed:
                _list_stale_columns(book, stale)
            stale.values[t] = _stale_value(book, close_t, prices_t, t, stale)
        segment_start = t + 1
    n_liq = log.count[0]
    return KernelRecord(
        equity, reason, fills[0], fills[1], fills[2], fills[3],
        held_count, held_columns, held_units, held_weights,
        n_liq, log.row, log.asset, log.units, log.price, stale.values,
    )  # fmt: skip
