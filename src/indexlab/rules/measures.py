"""Per-asset measures used to rank and to weight, as (date x asset) arrays.

- ``market_cap``: the market cap on the day;
- ``market_cap_sma``: its simple moving average over the last ``window_days`` days
  (the valid values among them);
- ``market_cap_ema``: its exponential moving average, skipping missing days, with
  ``alpha = 2 / (window_days + 1)`` (``window_days`` is the span) or, when
  ``halflife_days`` is given, ``alpha = 1 - 0.5 ** (1 / halflife_days)`` (a day's
  weight halves every ``halflife_days`` days). The recursion is pandas'
  ``adjust=False``: ``ema_t = alpha * cap_t + (1 - alpha) * ema_prev``, starting from
  the first valid cap, where ``ema_prev`` is the value of the last valid day.

A smoothed measure is defined only on days the market cap itself is valid: an asset
must be alive on the snapshot day to be ranked or weighted. Each value uses data up
to its own day only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.market import Market
from indexlab.spec.model import Measure


def measure_values(market: Market, measure: Measure) -> np.ndarray:
    """The measure on every date of ``market`` (``NaN`` where undefined)."""
    caps = market.market_cap_values
    if measure.kind == "market_cap":
        return caps
    frame = pd.DataFrame(caps, copy=False)
    if measure.kind == "market_cap_sma":
        smooth = frame.rolling(measure.window_days, min_periods=1).mean()
    elif measure.kind == "market_cap_ema":
        if measure.halflife_days is not None:
            smoothing = {"halflife": measure.halflife_days}
        else:
            smoothing = {"span": measure.window_days}
        smooth = frame.ewm(**smoothing, adjust=False, ignore_na=True).mean()
    else:
        raise ValueError(f"unknown measure {measure.kind!r}")
    values = smooth.to_numpy(dtype=np.float64, copy=True)
    values[np.isnan(caps)] = np.nan
    return values
