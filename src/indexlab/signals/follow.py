"""Following a signal on one asset: the equity of holding a weight of +1, 0 or -1,
trading at the close where it changes, with the engine's costs.

DESIGN section 3: with pre-trade value V, holding h and target weight w, the
post-trade value V' solves V' = V - c |V' w - h| exactly, c = (fee_bps +
slippage_bps) / 1e4, so the weight holds after costs. Units are constant between
trades (a short's value is cash + units x price with negative units); cash earns 0.
A short that loses the whole equity is closed at 0 and the equity stays there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.engine.policies import post_trade_value as solve_costs
from indexlab.errors import SpecError


def cost_rate(fee_bps: float, slippage_bps: float) -> float:
    """(fee_bps + slippage_bps) / 1e4, each in [0, 5000) and the sum below 5000."""
    for key, value in (("fee_bps", fee_bps), ("slippage_bps", slippage_bps)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 5000:
            raise SpecError(f"{key}: must be in [0, 5000), got {value!r}")
    rate = (fee_bps + slippage_bps) / 1e4
    if rate >= 0.5:
        raise SpecError("fee_bps + slippage_bps must be below 5000")
    return rate


def post_trade_value(value: float, holding: float, weight: float, rate: float) -> float:
    """Solve V' = V - c |V' w - h| for one asset (DESIGN section 3) with the engine's
    own solver, :func:`indexlab.engine.policies.post_trade_value` (one implementation
    of the fee equation, long, flat or short)."""
    return float(solve_costs(value, np.array([holding]), np.array([weight]), rate))


def follow_equity(
    prices: np.ndarray, weights: np.ndarray, rate: float
) -> tuple[np.ndarray, pd.DataFrame, int | None]:
    """Equity (units of C0, starting in cash) of holding ``weights[t]`` of one asset
    after the close of each row t, trading at the close where the weight changes.

    Returns the equity, the trades (``row, weight_before, weight_after,
    value_pre_trade, traded_notional, cost``) and the row of ruin (a short losing
    all the equity), if any.
    """
    n = len(prices)
    equity = np.ones(n)
    before = np.concatenate(([0.0], weights[:-1]))
    changes = np.flatnonzero(weights != before)
    units, cash = 0.0, 1.0
    records = []
    ruin = None
    for k, t in enumerate(changes):
        stop = int(changes[k + 1]) if k + 1 < len(changes) else n
        holding = units * prices[t]
        value = cash + holding
        new_value = post_trade_value(value, holding, float(weights[t]), rate)
        units = new_value * weights[t] / prices[t]
        cash = new_value - units * prices[t]
        records.append(
            (
                int(t),
                before[t],
                weights[t],
                value,
                abs(units * prices[t] - holding),
                value - new_value,
            )
        )
        path = cash + units * prices[t:stop]
        broke = np.flatnonzero(path <= 0.0)
        if broke.size:
            ruin = int(t + broke[0])
            path[broke[0] :] = 0.0
            equity[t:stop] = path
            equity[stop:] = 0.0
            break
        equity[t:stop] = path
    columns = ["row", "weight_before", "weight_after", "value_pre_trade", "traded_notional", "cost"]
    table = np.array(records, dtype=np.float64).reshape(-1, len(columns))
    trades = pd.DataFrame(table[:, 1:], columns=columns[1:])
    trades.insert(0, "row", table[:, 0].astype(np.int64))
    return equity, trades, ruin
