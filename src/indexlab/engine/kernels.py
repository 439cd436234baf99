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
TRADE_REASONS = ("scheduled", "drift", "risk-off", "risk-on")


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
    units: np.ndarray,
    last_price: np.ndarray,
    cash: float,
    targets: np.ndarray,
    threshold: float,
    relative: bool,
) -> bool:
    """Whether any weight deviates from its target by more than ``threshold``:
    |w - target| (absolute) or |w / target - 1| (relative; a position whose target is
    0 always counts as too far)."""
    value = cash
    for i in range(units.size):
        if units[i] != 0.0:
            value += units[i] * last_price[i]
    if value <= 0.0:
        return False
    for i in range(units.size):
        weight = units[i] * last_price[i] / value if units[i] != 0.0 else 0.0
        target = targets[i]
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
def simulate(
    close: np.ndarray,
    initial_last_price: np.ndarray,
    last_valid: np.ndarray,
    candidate_rows: np.ndarray,
    target_weights: np.ndarray,
    forced: np.ndarray,
    exposure: np.ndarray,
    drift_threshold: float,
    drift_relative: bool,
    cost_rate: float,
    liquidation_capacity: int,
):
    """Simulate one portfolio over ``close`` (T x N, ``NaN`` where not valid).

    Args:
        close: valid closes, ``NaN`` elsewhere.
        initial_last_price: last valid close of each asset before the first row
            (``NaN`` if none), for assets in a gap when the run starts.
        last_valid: row of each asset's last valid close in the whole data, relative
            to the first row here (may be negative, or >= T when it lies beyond).
        candidate_rows: increasing rows at which the portfolio may trade.
        target_weights: (C x N) target weights on those rows; each row sums to <= 1,
            the rest is cash.
        forced: per candidate, whether it trades whatever the drift (a scheduled
            rebalance); the others trade only when a weight has drifted more than
            ``drift_threshold`` from its target.
        exposure: per row, 1 to be invested, 0 to be in cash (risk-off). A change of
            exposure must fall on a candidate row; going to 0 sells everything.
        drift_threshold: <= 0 for no drift checks; ``drift_relative`` picks the test.
        cost_rate: (fee_bps + slippage_bps) / 1e4.
        liquidation_capacity: room for liquidation records; the count is returned
            even when it exceeds this, so the caller can retry with more room.

    Returns:
        equity (T); per candidate: reason (``TRADE_*``, or -1 when it did not trade),
        value_pre, traded notional, cost, units_post (C x N), weights_post (C x N);
        and liquidations: count, rows, assets, units, prices, kinds
        (``LIQUIDATION_DELISTED`` or ``LIQUIDATION_NO_PRICE``).
    """
    n_rows, n_assets = close.shape
    n_candidates = candidate_rows.size
    equity = np.empty(n_rows)
    reason = np.full(n_candidates, -1, dtype=np.int64)
    value_pre = np.zeros(n_candidates)
    traded = np.zeros(n_candidates)
    cost = np.zeros(n_candidates)
    units_post = np.zeros((n_candidates, n_assets))
    weights_post = np.zeros((n_candidates, n_assets))
    liq_row = np.empty(liquidation_capacity, dtype=np.int64)
    liq_asset = np.empty(liquidation_capacity, dtype=np.int64)
    liq_units = np.empty(liquidation_capacity)
    liq_price = np.empty(liquidation_capacity)
    liq_kind = np.empty(liquidation_capacity, dtype=np.int64)
    n_liq = 0

    units = np.zeros(n_assets)
    last_price = initial_last_price.copy()
    holdings = np.zeros(n_assets)
    weights = np.zeros(n_assets)
    cash = 1.0
    r = 0
    for t in range(n_rows):
        for i in range(n_assets):
            p = close[t, i]
            if p == p:  # not NaN: closes here are valid or NaN
                last_price[i] = p
        # Delisting: after the last valid close, a held position becomes cash at it.
        for i in range(n_assets):
            if units[i] != 0.0 and last_valid[i] < t:
                cash += units[i] * last_price[i]
                if n_liq < liquidation_capacity:
                    liq_row[n_liq] = t
                    liq_asset[n_liq] = i
                    liq_units[n_liq] = units[i]
                    liq_price[n_liq] = last_price[i]
                    liq_kind[n_liq] = LIQUIDATION_DELISTED
                n_liq += 1
                units[i] = 0.0
        trade = -1
        if r < n_candidates and candidate_rows[r] == t:
            if exposure[t] <= 0.0:
                for i in range(n_assets):
                    if units[i] != 0.0:
                        trade = TRADE_RISK_OFF  # sell everything; nothing to do if in cash
            elif t > 0 and exposure[t - 1] <= 0.0:
                trade = TRADE_RISK_ON
            elif forced[r]:
                trade = TRADE_SCHEDULED
            elif drift_threshold > 0.0 and _drifted_too_far(
                units, last_price, cash, target_weights[r], drift_threshold, drift_relative
            ):
                trade = TRADE_DRIFT
        if trade >= 0:
            # A position with no price today cannot be traded: it becomes cash at its
            # last close, fee-free, as a delisting would (see the module docstring).
            for i in range(n_assets):
                if units[i] != 0.0 and close[t, i] != close[t, i]:
                    cash += units[i] * last_price[i]
                    if n_liq < liquidation_capacity:
                        liq_row[n_liq] = t
                        liq_asset[n_liq] = i
                        liq_units[n_liq] = units[i]
                        liq_price[n_liq] = last_price[i]
                        liq_kind[n_liq] = LIQUIDATION_NO_PRICE
                    n_liq += 1
                    units[i] = 0.0
            value = cash
            scale = 1.0 if trade != TRADE_RISK_OFF else 0.0
            for i in range(n_assets):
                h = units[i] * last_price[i] if units[i] != 0.0 else 0.0
                holdings[i] = h
                value += h
                w = target_weights[r, i] * scale
                # Without a valid close today the asset cannot be bought: its weight stays cash.
                weights[i] = w if (w > 0.0 and close[t, i] == close[t, i]) else 0.0
            new_value = post_trade_value(value, holdings, weights, cost_rate)
            in_assets = 0.0
            notional = 0.0
            for i in range(n_assets):
                target = new_value * weights[i]
                notional += abs(target - holdings[i])
                if weights[i] > 0.0:
                    units[i] = target / last_price[i]
                    in_assets += target
                else:
                    units[i] = 0.0
                units_post[r, i] = units[i]
                weights_post[r, i] = weights[i]
            cash = new_value - in_assets
            reason[r] = trade
            value_pre[r] = value
            traded[r] = notional
            cost[r] = value - new_value
        if r < n_candidates and candidate_rows[r] == t:
            r += 1
        total = cash
        for i in range(n_assets):
            if units[i] != 0.0:
                total += units[i] * last_price[i]
        equity[t] = total
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
