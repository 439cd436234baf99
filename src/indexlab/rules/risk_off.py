"""Risk-off switching: the whole index in cash while a market signal is bearish.

The state on each date comes from the market signal's last value on or before
t - ``lag_days`` (DESIGN section 3: a signal dated t first moves the portfolio at the
close of t + lag): bearish -> cash, bullish -> invested, neutral or no new value ->
unchanged. Before the signal's first value the index is invested: risk-off is an
overlay, and without a reading there is no reason to be out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.errors import SpecError
from indexlab.market import TOTAL_MARKET, Market
from indexlab.signals.exposure import held_direction
from indexlab.signals.rules import parse_rule
from indexlab.signals.values import read_signal
from indexlab.spec import Strategy


def market_signal(strategy: Strategy, market: Market) -> pd.Series:
    """The risk-off signal on the market's calendar (+1, -1, 0, ``NaN`` = no value)."""
    spec = strategy.risk_off
    total = spec.asset.lower().replace("_", "-") == TOTAL_MARKET
    if spec.rule is not None:
        rule = parse_rule(spec.rule)
        if total:
            if market.total_market_cap is None:
                raise SpecError(
                    "risk_off.asset: 'total-market' needs the total market cap series "
                    "(indexlab run --total-market FILE)"
                )
            prices = market.total_market_cap
        else:
            asset = market.resolve_asset(spec.asset, field_name="risk_off.asset")
            prices = market.close[asset]
        values = rule(prices)
    else:
        signal = read_signal(strategy.resolve_path(spec.signal_file), market)
        name = (
            TOTAL_MARKET if total else market.resolve_asset(spec.asset, field_name="risk_off.asset")
        )
        values = signal.series(name, market.dates)
    return pd.Series(values, index=market.dates, name="signal")


def risk_exposure(signal: pd.Series, lag_days: int) -> np.ndarray:
    """1.0 (invested) or 0.0 (cash) on each date of ``signal``'s calendar."""
    held = held_direction(signal, lag_days)  # last value on or before t - lag
    state = held.replace(0.0, np.nan).map({1.0: 1.0, -1.0: 0.0})
    return state.ffill().fillna(1.0).to_numpy(dtype=np.float64)
