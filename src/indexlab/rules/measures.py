"""Per-asset measures used to rank and to weight, as (date x asset) arrays.

- ``market_cap``: the market cap on the day;
- ``market_cap_sma``: its simple moving average over the last ``window_days`` days
  (the valid values among them);
- ``market_cap_ema``: its exponential moving average, span ``window_days``
  (alpha = 2 / (span + 1)), skipping missing days.

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
        smooth = frame.ewm(span=measure.window_days, adjust=False, ignore_na=True).mean()
    else:
        raise ValueError(f"unknown measure {measure.kind!r}")
    values = smooth.to_numpy(dtype=np.float64, copy=True)
    values[np.isnan(caps)] = np.nan
    return values
