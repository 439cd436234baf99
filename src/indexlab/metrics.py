"""Performance statistics (DESIGN section 4) as pure functions.

Every function accepts a ``Series`` (returns a float), a ``DataFrame`` with one
column per portfolio (returns a ``Series``), or an ``ndarray`` (1-D: a float; 2-D:
one value per column). Equity is in units of the initial capital ``C0`` (so
``C0 = 1`` unless ``initial`` says otherwise); returns are simple daily returns
``r_t = E_t / E_{t-1} - 1`` for t = 1..T. ``periods`` is the number of periods per
year, N = 365 for a market that trades every day.
"""

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


# ---------------------------------------------------------------- the table
METRIC_COLUMNS = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "longest_drawdown_days",
    "calmar",
    "best_day",
    "worst_day",
    "beta_btc",
    "correlation_btc",
    "avg_turnover",
    "total_cost",
    "n_rebalances",
)


def trade_statistics(
    traded: np.ndarray,
    turnover: np.ndarray,
    cost: np.ndarray,
    value_pre: np.ndarray,
    fills: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From (trades x K) arrays (``traded``: whether the row is a trade of that column;
    one-way turnover, cost and value before trading; ``fills``: which trades complete an
    earlier order at an asset's first close): per column, the mean one-way turnover of
    the rebalances after the first (the initial buy), the total cost
    1 - prod_k (1 - cost_k / V_k) over every trade (the share of wealth the costs took:
    it equals 1 - E_T / E_T without costs on the same trades) and the number of
    rebalances (trades that are not fills)."""
    traded = np.asarray(traded, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(traded & (value_pre > 0), cost / value_pre, 0.0)
    did = traded if fills is None else traded & ~np.asarray(fills, dtype=bool)
    counts = did.sum(axis=0)
    one_way = np.where(did, turnover, 0.0)
    if did.shape[0] == 0:
        zeros = np.zeros(did.shape[1])
        return zeros, zeros.copy(), counts
    initial = one_way[np.argmax(did, axis=0), np.arange(did.shape[1])]
    later = one_way.sum(axis=0) - np.where(counts > 0, initial, 0.0)
    avg_turnover = np.where(counts > 1, later / np.maximum(counts - 1, 1), 0.0)
    total_cost = 1.0 - np.prod(1.0 - share, axis=0)
    return avg_turnover, total_cost, counts


def summary(
    equity: pd.DataFrame,
    *,
    reference_equity: pd.Series | None = None,
    trades: dict[str, pd.DataFrame] | None = None,
    risk_free: float = 0.0,
    periods: int = PERIODS_PER_YEAR,
) -> pd.DataFrame:
    """One row per portfolio (column of ``equity``), one column per metric: the
    pandas face of :func:`summary_arrays`.

    ``reference_equity`` (BTC held) gives ``beta_btc`` and ``correlation_btc``.
    ``trades`` (per portfolio and trade: ``turnover``, ``cost`` and
    ``value_pre_trade``) gives ``avg_turnover``, ``total_cost`` and ``n_rebalances``
    (see :func:`trade_statistics`).
    """
    names = list(equity.columns)
    stats = np.full((3, len(names)), np.nan)
    for k, name in enumerate(names):
        frame = (trades or {}).get(name)
        if frame is None:
            continue
        columns = [frame[c].to_numpy(dtype=np.float64)[:, None] for c in
                   ("turnover", "cost", "value_pre_trade")]  # fmt: skip
        traded = np.ones((len(frame), 1), dtype=bool)
        fills = (
            (frame["reason"] == "first price").to_numpy()[:, None] if "reason" in frame else None
        )
        stats[:, k] = [x[0] for x in trade_statistics(traded, *columns, fills)]
    reference = None
    if reference_equity is not None:
        reference = reference_equity.reindex(equity.index).to_numpy(dtype=np.float64)
    table = summary_arrays(
        equity.to_numpy(dtype=np.float64),
        pd.DatetimeIndex(equity.index),
        reference_equity=reference,
        turnover=stats[0],
        cost_share=stats[1],
        trades=stats[2],
        risk_free=risk_free,
        periods=periods,
    )
    table.index = pd.Index(names, name="portfolio")
    return table


def summary_arrays(
    equity: np.ndarray,
    dates: pd.DatetimeIndex,
    *,
    reference_equity: np.ndarray | None = None,
    turnover: np.ndarray | None = None,
    cost_share: np.ndarray | None = None,
    trades: np.ndarray | None = None,
    risk_free: float = 0.0,
    periods: int = PERIODS_PER_YEAR,
) -> pd.DataFrame:
    """The metrics of K portfolios at once, from a (T x K) equity array on ``dates``
    (DESIGN section 4; each formula is the docstring of the metric's own function).

    ``turnover`` (K) is the mean one-way turnover per trade after the initial buy,
    ``cost_share`` (K) the total cost, ``trades`` (K) their count (see
    :func:`trade_statistics`).
    """
    values = np.asarray(equity, dtype=np.float64)
    n, k = values.shape
    days = float((dates[-1] - dates[0]) / pd.Timedelta(days=1)) if n > 1 else 0.0
    final = values[-1]
    out = {"total_return": final - 1.0}
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(final > 0, final ** (365.0 / days) - 1.0, -1.0) if days > 0 else np.nan
        out["cagr"] = np.broadcast_to(growth, (k,)).astype(np.float64)
        r = values[1:] / values[:-1] - 1.0 - _daily_rate(risk_free, periods)
        raw = values[1:] / values[:-1] - 1.0
        m = r.shape[0]
        sd = r.std(axis=0, ddof=1) if m >= 2 else np.full(k, np.nan)
        mean = r.mean(axis=0) if m >= 1 else np.full(k, np.nan)
        out["volatility"] = raw.std(axis=0, ddof=1) * np.sqrt(periods) if m >= 2 else sd
        out["sharpe"] = np.where(sd > 0, mean / sd * np.sqrt(periods), np.nan)
        downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2, axis=0)) if m >= 1 else sd
        out["sortino"] = np.where(downside > 0, mean / downside * np.sqrt(periods), np.nan)
        depth = (values / np.maximum.accumulate(values, axis=0) - 1.0).min(axis=0)
        out["max_drawdown"] = depth
        out["longest_drawdown_days"] = longest_drawdown_spans(values, _day_numbers(dates, n))
        out["calmar"] = np.where(depth < 0, out["cagr"] / np.abs(depth), np.nan)
        out["best_day"] = raw.max(axis=0) if m else np.full(k, np.nan)
        out["worst_day"] = raw.min(axis=0) if m else np.full(k, np.nan)
        if reference_equity is not None and m >= 2:
            b = reference_equity[1:] / reference_equity[:-1] - 1.0
            ok = np.isfinite(b)
            b = b[ok]
            x = raw[ok]
            xc = x - x.mean(axis=0)
            bc = b - b.mean()
            cov = (xc * bc[:, None]).sum(axis=0) / (len(b) - 1)
            var_b = bc @ bc / (len(b) - 1)
            sd_x = np.sqrt((xc**2).sum(axis=0) / (len(b) - 1))
            out["beta_btc"] = cov / var_b if var_b > 0 else np.full(k, np.nan)
            sd_b = np.sqrt(var_b)
            out["correlation_btc"] = np.where(sd_x > 0, cov / (sd_x * sd_b), np.nan)
        else:
            out["beta_btc"] = np.full(k, np.nan)
            out["correlation_btc"] = np.full(k, np.nan)
    out["avg_turnover"] = np.full(k, np.nan) if turnover is None else turnover
    out["total_cost"] = np.full(k, np.nan) if cost_share is None else cost_share
    out["n_rebalances"] = np.full(k, np.nan) if trades is None else trades.astype(np.float64)
    return pd.DataFrame({c: np.asarray(out[c], dtype=np.float64) for c in METRIC_COLUMNS})
