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

- ``inverse_volatility``: 1 / the standard deviation (ddof = 1) of the daily returns
  close_t / close_{t-1} - 1 over the last ``window_days`` days (returns between two
  consecutive valid closes; at least two of them);
- ``volume``: the mean of the valid daily volumes over the last ``window_days`` days.

A market-cap measure is defined only on days the market cap itself is valid, the
others on days the close is: an asset must be alive on the snapshot day to be ranked
or weighted. Each value uses data up to its own day only.

Sparse data (monthly snapshots beside daily rows): with ``universe.max_staleness_days``
k > 0, an asset without a valid close and market cap on a snapshot day s is read on its
*observation day*, the latest day r with s - k <= r <= s that has both
(:func:`observation_rows`); its close, market cap and measures are those of r. Nothing
after s is read. With k = 0 the observation day is s itself, as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.errors import DataError
from indexlab.market import Market
from indexlab.spec.model import Measure


def _alive_only(values: np.ndarray, alive: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=np.float64, copy=True)
    out[~alive] = np.nan
    return out


def inverse_volatility(market: Market, window_days: int) -> np.ndarray:
    """1 / std(daily returns over the last ``window_days`` days), ``NaN`` without a
    close that day, with fewer than two returns, or with no variation."""
    close = pd.DataFrame(market.close_values, copy=False)
    returns = close / close.shift(1) - 1.0  # NaN unless both closes are valid
    spread = returns.rolling(window_days, min_periods=2).std(ddof=1).to_numpy()
    with np.errstate(divide="ignore"):
        inverse = np.where(spread > 0, 1.0 / spread, np.nan)
    return _alive_only(inverse, np.isfinite(market.close_values))


def mean_volume(market: Market, window_days: int) -> np.ndarray:
    """The mean valid daily volume over the last ``window_days`` days."""
    if market.volume is None:
        raise DataError(
            f"{market.source}: weighting by liquidity needs volumes; the data have no "
            "'volume' column"
        )
    volume = market.volume.rolling(window_days, min_periods=1).mean().to_numpy()
    return _alive_only(volume, np.isfinite(market.close_values))


def measure_values(market: Market, measure: Measure) -> np.ndarray:
    """The measure on every date of ``market`` (``NaN`` where undefined)."""
    caps = market.market_cap_values
    if measure.kind == "market_cap":
        return caps
    if measure.kind == "inverse_volatility":
        return inverse_volatility(market, measure.window_days)
    if measure.kind == "volume":
        return mean_volume(market, measure.window_days)
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


def observation_rows(market: Market, snapshot: np.ndarray, max_staleness_days: int) -> np.ndarray:
    """For each snapshot row s and asset: the latest row r, s - ``max_staleness_days``
    <= r <= s, with a valid close and a valid market cap, or -1 (snapshots x assets)."""
    close, caps = market.close_values, market.market_cap_values
    c, m = close[snapshot], caps[snapshot]
    valid = np.isfinite(c) & (c > 0) & np.isfinite(m) & (m > 0)
    found = np.where(valid, snapshot[:, None], -1)
    # Then day by day backwards, over the pairs still open that can have a valid close
    # in the window: listed before the snapshot, not dead before the window starts.
    first, last = market.first_valid_positions(), market.last_valid_positions()
    open_ = ~valid & (first[None, :] >= 0) & (first[None, :] < snapshot[:, None])
    open_ &= last[None, :] >= snapshot[:, None] - max_staleness_days
    review, asset = np.nonzero(open_)
    for back in range(1, max_staleness_days + 1):
        if not len(review):
            break
        rows = snapshot[review] - back
        c, m = close[rows, asset], caps[rows, asset]
        hit = np.isfinite(c) & (c > 0) & np.isfinite(m) & (m > 0)
        found[review[hit], asset[hit]] = rows[hit]
        keep = ~hit & (rows > first[asset])  # nothing valid before the first close
        review, asset = review[keep], asset[keep]
    return found


def observed(
    values: np.ndarray,
    snapshot: np.ndarray,
    columns: np.ndarray | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """``values`` (dates x assets) on each snapshot row for ``columns`` (snapshots x
    slots; default every asset), read on the observation rows ``rows`` (from
    :func:`observation_rows`; ``None``: the snapshot rows themselves), ``NaN`` where
    there is none."""
    if columns is None:
        if rows is None:
            return values[snapshot]
        columns = np.broadcast_to(np.arange(values.shape[1]), rows.shape)
    if rows is None:
        return values[snapshot[:, None], columns]
    at = np.take_along_axis(rows, columns, axis=1)
    return np.where(at >= 0, values[np.maximum(at, 0), columns], np.nan)
