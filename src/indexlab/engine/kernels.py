"""Numba kernels of the simulation. Arrays in, arrays out; no pandas here.

Conventions (DESIGN section 3): units held are constant between rebalances; a gap is
valued at the asset's last valid close; the first date after an asset's last valid
close a position still held becomes cash at that close, fee-free, before any trade;
a rebalance trades at the close to target weights, paying proportional costs solved
exactly so that the target weights hold after costs.

An asset without a valid close on a rebalance date cannot be traded at a market price:
a position in it is closed at its last valid close without fee, exactly as a delisting
would close it, and a target weight on it stays in cash until the next rebalance. This
is what keeps the engine free of look-ahead: on such a day nobody can know whether the
asset is in a data gap or dead, so both cases must be treated alike.
"""

from __future__ import annotations

import numba
import numpy as np

LIQUIDATION_DELISTED = 0
LIQUIDATION_NO_PRICE = 1
TRADE_SCHEDULED = 0
TRADE_DRIFT = 1
TRADE_RISK_OFF = 2
TRADE_RISK_ON = 3


@numba.njit(cache=True)
def post_trade_value(
    value: float, holdings: np.ndarray, weights: np.ndarray, cost_rate: float
) -> float:
    """Solve V' = V - c * sum_i |V' w_i - h_i| for V' exactly.

    g(x) = x + c * sum_i |x w_i - h_i| - V is convex, piecewise linear and increasing
    (c * sum w_i < 1), so Newton's method started at x = V (where g >= 0) walks down
    the pieces monotonically and stops on the exact root in finitely many steps.
    """
    if cost_rate == 0.0:
        return value
    x = value
    for _ in range(200):
        numerator = value
        denominator = 1.0
        for i in range(weights.size):
            w = weights[i]
            h = holdings[i]
            if w == 0.0 and h == 0.0:
                continue
            # Left derivative at a kink: we approach the root from the right.
            s = 1.0 if x * w - h > 0.0 else -1.0
            numerator += cost_rate * s * h
            denominator += cost_rate * s * w
        x_next = numerator / denominator
        if x_next == x or abs(x_next - x) <= 1e-16 * abs(x):
            return x_next
        x = x_next
    return x


@numba.njit(cache=True)
def _drifted_too_far(
    holdings: np.ndarray, value: float, targets: np.ndarray, threshold: float, relative: bool
) -> bool:
    """Whether any weight (holding / value) deviates from its target by more than
    ``threshold``: |w - target| (absolute) or |w / target - 1| (relative; a position
    whose target is 0 always counts as too far)."""
    if value <= 0.0:
        return False
    for q in range(holdings.size):
        weight = holdings[q] / value
        target = targets[q]
        if relative:
            if target > 0.0:
                if abs(weight / target - 1.0) > threshold:
                    return True
            elif weight > 0.0:
                return True
        elif abs(weight - target) > threshold:
            return True
    return False


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
    record: bool,
    liquidation_capacity: int,
):
    """Simulate K portfolios that share their candidate trade rows, over T rows.

    Between two candidate rows the units held are constant, so the value of every
    portfolio on every day of the segment is one matrix product: prices (days x N) @
    units (N x K), plus cash. Gaps and delisted assets are valued at their last valid
    close in ``prices``, which is exactly what turning them into cash at that close
    is worth, so the product stays right until the next candidate row, where each
    portfolio liquidates what it must (fee-free) and trades.

    Args:
        close: (T x N) valid closes, ``NaN`` elsewhere: what can be traded on a day.
        prices: (T x N) the last valid close up to each day (0 where none yet).
        last_valid: row of each asset's last valid close in the whole data, relative
            to the first row here (may be negative, or >= T when it lies beyond).
        candidate_rows: increasing rows at which portfolios may trade.
        target_columns, target_values: (C x K x M) the target weights on those rows,
            compact: asset columns (-1 in unused slots) and weights; each sums to <= 1.
        forced: (C) whether the row trades whatever the drift (a scheduled rebalance).
        exposure: (T x K) 1 to be invested, 0 in cash (risk-off); (0 x 0): always 1.
            A change of exposure must fall on a candidate row.
        drift_threshold: (K) <= 0 for no drift checks; ``drift_relative`` (K) the test.
        cost_rate: (K) (fee_bps + slippage_bps) / 1e4.
        record: keep units and weights after each trade, and liquidation records
            (for a single backtest's Result; off in sweeps to save memory).
        liquidation_capacity: room for liquidation records of portfolio 0; the count
            is returned even when it exceeds this, so the caller can retry.

    Returns:
        equity (T x K); per candidate and portfolio: reason (``TRADE_*`` or -1 when it
        did not trade), value_pre, traded notional, cost; units_post and weights_post
        (C x K x N, or empty without ``record``); and the liquidations of portfolio 0:
        count, rows, assets, units, prices, kinds.
    """
    n_rows, n_assets = close.shape
    n_candidates = candidate_rows.size
    n_portfolios = cost_rate.size
    n_slots = target_columns.shape[2]
    invested_always = exposure.shape[0] == 0
    equity = np.empty((n_rows, n_portfolios))
    reason = np.full((n_candidates, n_portfolios), -1, dtype=np.int64)
    value_pre = np.zeros((n_candidates, n_portfolios))
    traded = np.zeros((n_candidates, n_portfolios))
    cost = np.zeros((n_candidates, n_portfolios))
    keep = n_candidates if record else 0
    units_post = np.zeros((keep, n_portfolios, n_assets))
    weights_post = np.zeros((keep, n_portfolios, n_assets))
    capacity = liquidation_capacity if record else 0
    liq_row = np.empty(capacity, dtype=np.int64)
    liq_asset = np.empty(capacity, dtype=np.int64)
    liq_units = np.empty(capacity)
    liq_price = np.empty(capacity)
    liq_kind = np.empty(capacity, dtype=np.int64)
    n_liq = 0

    units = np.zeros((n_portfolios, n_assets))
    # The same units as (assets x portfolios), kept in step: the layout the matrix
    # product of each segment reads fastest.
    units_by_asset = np.zeros((n_assets, n_portfolios))
    cash = np.ones(n_portfolios)
    # Each portfolio's held assets as a list, and the earliest row one of them delists:
    # the work at a candidate row is over held and targeted assets only.
    held = np.empty((n_portfolios, n_assets), dtype=np.int64)
    held_n = np.zeros(n_portfolios, dtype=np.int64)
    never = n_rows + 1
    first_delisting = np.full(n_portfolios, never, dtype=np.int64)
    delist_row = last_valid + 1  # the first row after an asset's last valid close
    active = np.empty(n_assets, dtype=np.int64)
    marked = np.zeros(n_assets, dtype=np.bool_)
    goal = np.zeros(n_assets)  # the target weight of each active asset (scratch)
    goals = np.empty(n_assets)
    holdings = np.empty(n_assets)
    weights = np.empty(n_assets)

    segment_start = 0
    for j in range(n_candidates + 1):
        t = candidate_rows[j] if j < n_candidates else n_rows
        # The days before this candidate row: one matrix product for all portfolios.
        if t > segment_start:
            equity[segment_start:t] = np.dot(prices[segment_start:t], units_by_asset)
            for k in range(n_portfolios):
                for r in range(segment_start, t):
                    equity[r, k] += cash[k]
        # Delistings up to and including row t become cash at the last close.
        for k in range(n_portfolios):
            if first_delisting[k] > t:
                continue
            kept = 0
            first_delisting[k] = never
            for q in range(held_n[k]):
                i = held[k, q]
                if delist_row[i] <= t and delist_row[i] < n_rows:
                    day = max(delist_row[i], segment_start)
                    cash[k] += units[k, i] * prices[day, i]
                    if record and k == 0:
                        if n_liq < capacity:
                            liq_row[n_liq] = day
                            liq_asset[n_liq] = i
                            liq_units[n_liq] = units[k, i]
                            liq_price[n_liq] = prices[day, i]
                            liq_kind[n_liq] = LIQUIDATION_DELISTED
                        n_liq += 1
                    units[k, i] = 0.0
                    units_by_asset[i, k] = units[k, i]
                else:
                    held[k, kept] = i
                    kept += 1
                    if delist_row[i] < first_delisting[k] and delist_row[i] < n_rows:
                        first_delisting[k] = delist_row[i]
            held_n[k] = kept
        if j == n_candidates:
            break
        for k in range(n_portfolios):
            # The assets that matter here: held ones, then targeted ones.
            n_active = 0
            for q in range(held_n[k]):
                i = held[k, q]
                active[n_active] = i
                marked[i] = True
                n_active += 1
            for q in range(n_slots):
                i = target_columns[j, k, q]
                if i < 0:
                    continue
                goal[i] = target_values[j, k, q]
                if not marked[i]:
                    active[n_active] = i
                    marked[i] = True
                    n_active += 1
            for q in range(n_active):
                i = active[q]
                marked[i] = False
                goals[q] = goal[i]
                goal[i] = 0.0
            invested = invested_always or exposure[t, k] > 0.0
            was_invested = invested_always or t == 0 or exposure[t - 1, k] > 0.0
            trade = -1
            if not invested:
                if held_n[k] > 0:
                    trade = TRADE_RISK_OFF  # sell everything; nothing to do if in cash
            elif not was_invested:
                trade = TRADE_RISK_ON
            elif forced[j]:
                trade = TRADE_SCHEDULED
            elif drift_threshold[k] > 0.0:
                value = cash[k]
                for q in range(held_n[k]):
                    i = held[k, q]
                    value += units[k, i] * prices[t, i]
                for q in range(n_active):
                    i = active[q]
                    holdings[q] = units[k, i] * prices[t, i]
                    weights[q] = goals[q]
                if _drifted_too_far(
                    holdings[:n_active],
                    value,
                    weights[:n_active],
                    drift_threshold[k],
                    drift_relative[k],
                ):
                    trade = TRADE_DRIFT
            if trade >= 0:
                # A position with no price today cannot be traded: it becomes cash at its
                # last close, fee-free, as a delisting would (see the module docstring).
                for q in range(held_n[k]):
                    i = held[k, q]
                    if close[t, i] != close[t, i]:
                        cash[k] += units[k, i] * prices[t, i]
                        if record and k == 0:
                            if n_liq < capacity:
                                liq_row[n_liq] = t
                                liq_asset[n_liq] = i
                                liq_units[n_liq] = units[k, i]
                                liq_price[n_liq] = prices[t, i]
                                liq_kind[n_liq] = LIQUIDATION_NO_PRICE
                            n_liq += 1
                        units[k, i] = 0.0
                        units_by_asset[i, k] = units[k, i]
                value = cash[k]
                scale = 0.0 if trade == TRADE_RISK_OFF else 1.0
                for q in range(n_active):
                    i = active[q]
                    h = units[k, i] * prices[t, i] if units[k, i] != 0.0 else 0.0
                    holdings[q] = h
                    value += h
                    w = goals[q] * scale
                    # Without a valid close today the asset cannot be bought: cash.
                    weights[q] = w if (w > 0.0 and close[t, i] == close[t, i]) else 0.0
                new_value = post_trade_value(
                    value, holdings[:n_active], weights[:n_active], cost_rate[k]
                )
                in_assets = 0.0
                notional = 0.0
                kept = 0
                first_delisting[k] = never
                for q in range(n_active):
                    i = active[q]
                    target = new_value * weights[q]
                    notional += abs(target - holdings[q])
                    if weights[q] > 0.0:
                        units[k, i] = target / prices[t, i]
                        units_by_asset[i, k] = units[k, i]
                        in_assets += target
                        held[k, kept] = i
                        kept += 1
                        if delist_row[i] < first_delisting[k] and delist_row[i] < n_rows:
                            first_delisting[k] = delist_row[i]
                    else:
                        units[k, i] = 0.0
                        units_by_asset[i, k] = units[k, i]
                    if record:
                        units_post[j, k, i] = units[k, i]
                        weights_post[j, k, i] = weights[q]
                held_n[k] = kept
                cash[k] = new_value - in_assets
                reason[j, k] = trade
                value_pre[j, k] = value
                traded[j, k] = notional
                cost[j, k] = value - new_value
            total = cash[k]
            for q in range(held_n[k]):
                i = held[k, q]
                total += units[k, i] * prices[t, i]
            equity[t, k] = total
        segment_start = t + 1
    return (
        equity,
        reason,
        value_pre,
        traded,
        cost,
        units_post,
        weights_post,
        n_liq,
        liq_row,
        liq_asset,
        liq_units,
        liq_price,
        liq_kind,
    )
