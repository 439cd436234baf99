"""One function per metric of DESIGN section 4, each with its formula; the input
conventions (Series, DataFrame or ndarray; equity in units of C0; simple daily
returns; N periods a year) are stated once in :mod:`indexlab.metrics`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

PERIODS_PER_YEAR = 365


# ---------------------------------------------------------------- plumbing
def _apply(x: Any, core: Callable[..., float], *args: Any, name: str = "") -> Any:
    """Run a 1-D ``core(values, index, *args)`` over each column of ``x``."""
    if isinstance(x, pd.Series):
        return core(x.to_numpy(dtype=np.float64), x.index, *args)
    if isinstance(x, pd.DataFrame):
        values = {c: core(x[c].to_numpy(dtype=np.float64), x.index, *args) for c in x.columns}
        return pd.Series(values, name=name or None, dtype=np.float64)
    array = np.asarray(x, dtype=np.float64)
    if array.ndim == 1:
        return core(array, None, *args)
    if array.ndim == 2:
        return np.array([core(array[:, k], None, *args) for k in range(array.shape[1])])
    raise ValueError(f"expected a 1-D or 2-D array, got {array.ndim} dimensions")


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _daily_rate(annual_rate: float, periods: int) -> float:
    return (1.0 + annual_rate) ** (1.0 / periods) - 1.0


def _span_days(index: pd.Index | None, n: int) -> float:
    """Calendar days from the first to the last observation (rows - 1 without dates)."""
    if isinstance(index, pd.DatetimeIndex) and n > 0:
        return float((index[-1] - index[0]) / pd.Timedelta(days=1))
    return float(n - 1)


# ---------------------------------------------------------------- returns
def returns(equity: pd.Series | pd.DataFrame | np.ndarray) -> Any:
    """Simple returns r_t = E_t / E_{t-1} - 1 for t = 1..T (the first row is dropped)."""
    if isinstance(equity, pd.Series | pd.DataFrame):
        return (equity / equity.shift(1) - 1.0).iloc[1:]
    array = np.asarray(equity, dtype=np.float64)
    return array[1:] / array[:-1] - 1.0


# ---------------------------------------------------------------- equity-based
def total_return(equity: Any, initial: float = 1.0) -> Any:
    """E_T / C0 - 1."""
    return _apply(equity, lambda v, _i: v[-1] / initial - 1.0, name="total_return")


def _cagr_core(v: np.ndarray, index: pd.Index | None, initial: float) -> float:
    days = _span_days(index, len(v))
    if days <= 0:
        return np.nan
    growth = v[-1] / initial
    return growth ** (365.0 / days) - 1.0 if growth > 0 else -1.0


def cagr(equity: Any, initial: float = 1.0) -> Any:
    """(E_T / C0) ** (365 / D) - 1, D the calendar days from the first to the last date.

    Without dates (an ndarray), D is the number of rows minus one.
    """
    return _apply(equity, _cagr_core, initial, name="cagr")


def drawdown(equity: pd.Series | pd.DataFrame | np.ndarray) -> Any:
    """Drawdown series E_t / max_{s<=t} E_s - 1 (0 at a new high, negative below it)."""
    if isinstance(equity, pd.Series | pd.DataFrame):
        return equity / equity.cummax() - 1.0
    array = np.asarray(equity, dtype=np.float64)
    return array / np.maximum.accumulate(array, axis=0) - 1.0


def _max_drawdown_core(v: np.ndarray, _index: Any = None) -> float:
    return float(np.min(v / np.maximum.accumulate(v) - 1.0))


def max_drawdown(equity: Any) -> Any:
    """min over t = 0..T of E_t / max_{s<=t} E_s - 1: a negative fraction, 0 if none."""
    return _apply(equity, _max_drawdown_core, name="max_drawdown")


def drawdown_periods(equity: pd.Series) -> pd.DataFrame:
    """Every drawdown of one equity curve, deepest first.

    Columns: ``peak`` (last date at the high), ``trough``, ``recovery`` (first date
    back at or above the peak; ``NaT`` if never), ``depth`` (negative fraction),
    ``days`` (calendar days from the peak to the recovery, or to the last date if
    unrecovered) and ``recovered``.
    """
    values = equity.to_numpy(dtype=np.float64)
    dates = pd.DatetimeIndex(equity.index)
    peak_value = np.maximum.accumulate(values)
    below = values < peak_value
    rows = []
    n = len(values)
    t = 0
    while t < n:
        if not below[t]:
            t += 1
            continue
        start = t
        while t < n and below[t]:
            t += 1
        peak = start - 1  # below[] is False at 0, so a drawdown starts after a high
        segment = values[start:t]
        trough = start + int(np.argmin(segment))
        recovered = t < n
        end = t if recovered else n - 1
        rows.append(
            {
                "peak": dates[peak],
                "trough": dates[trough],
                "recovery": dates[t] if recovered else pd.NaT,
                "depth": values[trough] / peak_value[trough] - 1.0,
                "days": int((dates[end] - dates[peak]).days),
                "recovered": recovered,
            }
        )
    frame = pd.DataFrame(rows, columns=["peak", "trough", "recovery", "depth", "days", "recovered"])
    return frame.sort_values("depth", kind="stable").reset_index(drop=True)


def longest_drawdown_days(equity: Any) -> Any:
    """The longest span from a peak to its recovery (first date with E at or above the
    peak), or to the last date if unrecovered: in calendar days, or rows without dates.

    quantstats counts a recovered drawdown one day shorter than this.
    """

    def core(v: np.ndarray, index: pd.Index | None) -> float:
        return float(longest_drawdown_spans(v[:, None], _day_numbers(index, len(v)))[0])

    return _apply(equity, core, name="longest_drawdown_days")


def _day_numbers(index: pd.Index | None, n: int) -> np.ndarray:
    """Calendar days since the first date (row numbers without dates)."""
    if isinstance(index, pd.DatetimeIndex) and n > 0:
        return ((index - index[0]) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)
    return np.arange(n, dtype=np.float64)


def longest_drawdown_spans(equity: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Per column of a (T x K) equity array: the longest span, in the units of ``days``
    (T, increasing: calendar day numbers), from a peak to its recovery or to the last
    row. The one implementation behind :func:`longest_drawdown_days`."""
    values = np.asarray(equity, dtype=np.float64)
    n = values.shape[0]
    if n == 0:
        return np.zeros(values.shape[1])
    at_high = values >= np.maximum.accumulate(values, axis=0)
    day = np.asarray(days, dtype=np.float64)[:, None]
    # The day of the latest high up to each row (row 0 is always a high).
    last_high = np.maximum.accumulate(np.where(at_high, day, day[0]), axis=0)
    # A drawdown ends where a row is back at its high after rows below it.
    recovered = at_high[1:] & ~at_high[:-1]
    spans = np.where(recovered, day[1:] - last_high[:-1], 0.0)
    longest = spans.max(axis=0) if n > 1 else np.zeros(values.shape[1])
    open_span = np.where(~at_high[-1], day[-1, 0] - last_high[-1], 0.0)
    return np.maximum(longest, open_span)


def calmar(equity: Any, initial: float = 1.0) -> Any:
    """CAGR / |max drawdown| (NaN without a drawdown)."""

    def core(v: np.ndarray, index: pd.Index | None) -> float:
        depth = _max_drawdown_core(v)
        return _cagr_core(v, index, initial) / abs(depth) if depth < 0 else np.nan

    return _apply(equity, core, name="calmar")


# ---------------------------------------------------------------- returns-based
def volatility(returns: Any, periods: int = PERIODS_PER_YEAR) -> Any:
    """std(r, ddof=1) * sqrt(N)."""

    def core(v: np.ndarray, _i: Any) -> float:
        x = _finite(v)
        return float(np.std(x, ddof=1) * np.sqrt(periods)) if len(x) >= 2 else np.nan

    return _apply(returns, core, name="volatility")


def sharpe(returns: Any, risk_free: float = 0.0, periods: int = PERIODS_PER_YEAR) -> Any:
    """mean(r - rf) / std(r - rf, ddof=1) * sqrt(N); ``risk_free`` is annual, made daily
    geometrically: rf = (1 + risk_free) ** (1 / N) - 1."""
    rf = _daily_rate(risk_free, periods)

    def core(v: np.ndarray, _i: Any) -> float:
        excess = _finite(v) - rf
        if len(excess) < 2:
            return np.nan
        sd = np.std(excess, ddof=1)
        return float(np.mean(excess) / sd * np.sqrt(periods)) if sd > 0 else np.nan

    return _apply(returns, core, name="sharpe")


def sortino(returns: Any, risk_free: float = 0.0, periods: int = PERIODS_PER_YEAR) -> Any:
    """mean(r - rf) / DD * sqrt(N), with the downside deviation
    DD = sqrt(mean(min(r - rf, 0) ** 2)) averaged over all observations (target 0)."""
    rf = _daily_rate(risk_free, periods)

    def core(v: np.ndarray, _i: Any) -> float:
        excess = _finite(v) - rf
        if len(excess) == 0:
            return np.nan
        downside = np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2))
        return float(np.mean(excess) / downside * np.sqrt(periods)) if downside > 0 else np.nan

    return _apply(returns, core, name="sortino")


def _extreme(v: np.ndarray, pick: Callable[[np.ndarray], float]) -> float:
    x = _finite(v)
    return float(pick(x)) if len(x) else np.nan


def best_day(returns: Any) -> Any:
    """The largest daily return."""
    return _apply(returns, lambda v, _i: _extreme(v, np.max), name="best_day")


def worst_day(returns: Any) -> Any:
    """The smallest daily return."""
    return _apply(returns, lambda v, _i: _extreme(v, np.min), name="worst_day")


def _paired(v: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(v) & np.isfinite(b)
    return v[ok], b[ok]


def beta(returns: Any, benchmark_returns: pd.Series | np.ndarray) -> Any:
    """cov(r, b) / var(b) over the days both are known (ddof = 1 in both)."""
    bench = np.asarray(benchmark_returns, dtype=np.float64)

    def core(v: np.ndarray, _i: Any) -> float:
        x, b = _paired(v, bench)
        if len(x) < 2 or np.var(b, ddof=1) == 0:
            return np.nan
        return float(np.cov(x, b, ddof=1)[0, 1] / np.var(b, ddof=1))

    return _apply(returns, core, name="beta")


def correlation(returns: Any, benchmark_returns: pd.Series | np.ndarray) -> Any:
    """Pearson correlation of r and b over the days both are known."""
    bench = np.asarray(benchmark_returns, dtype=np.float64)

    def core(v: np.ndarray, _i: Any) -> float:
        x, b = _paired(v, bench)
        if len(x) < 2 or np.std(x) == 0 or np.std(b) == 0:
            return np.nan
        return float(np.corrcoef(x, b)[0, 1])

    return _apply(returns, core, name="correlation")
