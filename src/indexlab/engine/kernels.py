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
    execute_trade,
    fill_pending,
    has_pending_fill,
    new_book,
    new_scratch,
    portfolio_value,
    post_trade_value,
    record_holdings,
    settle_delistings,
    write_down_stops,
)

__all__ = ["KernelRecord", "post_trade_value", "simulate_batch"]


def _follow_the_policies() -> None:
    """numba keys its disk cache of a function by the stamp of the file that defines it,
    not by the files it calls into (numba issue #8396): edited policies would leave a
    stale simulate_batch in the cache. When policies.py or blas.py is newer than this
    file, this file's stamp moves forward, before the kernel below is decorated, so the
    cache is rebuilt once. (Nothing changes in an installed copy, where no file changes.)"""
    here = Path(__file__)
    try:
        callees = [here.with_name(name).stat().st_mtime for name in ("policies.py", "blas.py")]
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
    are the delistings of portfolio 0 (``n_liq`` of them)."""

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


@numba.njit(cache=True)
def _value_segment(equity, prices, units_by_asset, cash, first, stop, work) -> None:
    """Every portfolio's value on rows first..stop-1: one matrix product (BLAS, called
    directly: :mod:`indexlab.engine.blas` says why), plus cash."""
    if stop > first:
        matmul_into(equity[first:stop], prices[first:stop], units_by_asset, work)
        for k in range(cash.size):
            for r in range(first, stop):
                equity[r, k] += cash[k]


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
    prices: np.ndarray,
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
) -> KernelRecord:
    """Simulate K portfolios that share their candidate trade rows, over T rows.

    Between two candidate rows the units held are constant, so every portfolio's value
    on every day of the segment is one matrix product, prices (days x N) @ units
    (N x K), plus cash; a holding in a gap or past its data stop is worth its last
    valid close in ``prices``. At each candidate row each portfolio settles its data
    stops (fee-free), then trades if a policy says so.

    Inputs: ``close`` (T x N) valid closes, ``NaN`` elsewhere; ``prices`` (T x N) the
    last valid close up to each row (0 before the first); ``last_valid`` (N) each
    asset's last valid row in the whole data, relative to row 0 here; the increasing
    ``candidate_rows`` (C) with compact targets ``target_columns``/``target_values``
    (C x K x M: columns, -1 unused, and weights summing to <= 1) and ``forced`` (C,
    scheduled); ``exposure`` (T x K, 1 invested, 0 risk-off; changes on candidate
    rows) or (0 x 0) for always invested; per portfolio ``drift_threshold`` (<= 0: no
    drift checks), ``drift_relative``, ``cost_rate`` ((fee + slippage bps) / 1e4) and
    ``delisting_keep`` (the share of a position's last-close value its data stop
    returns: 1 ``last_close``, 0 ``zero``, 1 - h a haircut h);
    ``record``: keep positions and the delistings of portfolio 0, with room for
    ``liquidation_capacity`` (``n_liq`` counts past it, so the caller can retry).
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

    segment_start = np.int64(0)  # not the literal 0: one compiled callee, not two
    for j in range(n_candidates + 1):
        t = candidate_rows[j] if j < n_candidates else n_rows
        _value_segment(equity, prices, book.units_by_asset, book.cash, segment_start, t, work)
        for k in range(n_portfolios):
            if first_stop[k] <= t:
                keep = delisting_keep[k]
                if keep != 1.0 and first_stop[k] < t:  # stops inside the segment
                    write_down_stops(book, k, t, prices, delist_row, equity, keep)
                first_stop[k] = settle_delistings(
                    book, k, t, segment_start, n_rows, prices, delist_row, log, record, keep
                )
        if j == n_candidates:
            break
        close_t, prices_t = close[t], prices[t]
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
        segment_start = t + 1
    n_liq = log.count[0]
    return KernelRecord(
        equity, reason, fills[0], fills[1], fills[2], fills[3],
        held_count, held_columns, held_units, held_weights,
        n_liq, log.row, log.asset, log.units, log.price,
    )  # fmt: skip
