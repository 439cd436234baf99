"""The summary table of many portfolios at once (DESIGN section 4): one row per
portfolio, one column per metric, from equity curves and trade records. Each metric's
formula is the docstring of its own function in :mod:`indexlab.metrics.stats`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.metrics.stats import (
    PERIODS_PER_YEAR,
    _daily_rate,
    _day_numbers,
    longest_drawdown_spans,
)

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
        out["beta_btc"], out["correlation_btc"] = _beta_correlation(raw, reference_equity)
    out["avg_turnover"] = np.full(k, np.nan) if turnover is None else turnover
    out["total_cost"] = np.full(k, np.nan) if cost_share is None else cost_share
    out["n_rebalances"] = np.full(k, np.nan) if trades is None else trades.astype(np.float64)
    return pd.DataFrame({c: np.asarray(out[c], dtype=np.float64) for c in METRIC_COLUMNS})


def _beta_correlation(raw: np.ndarray, reference_equity: np.ndarray | None):
    """Beta and correlation of (T-1 x K) daily returns to the reference's, over the days
    the reference has a return (ddof = 1)."""
    k = raw.shape[1]
    if reference_equity is None or raw.shape[0] < 2:
        return np.full(k, np.nan), np.full(k, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = reference_equity[1:] / reference_equity[:-1] - 1.0
        ok = np.isfinite(b)
        b, x = b[ok], raw[ok]
        xc = x - x.mean(axis=0)
        bc = b - b.mean()
        cov = (xc * bc[:, None]).sum(axis=0) / (len(b) - 1)
        var_b = bc @ bc / (len(b) - 1)
        sd_x = np.sqrt((xc**2).sum(axis=0) / (len(b) - 1))
        beta = cov / var_b if var_b > 0 else np.full(k, np.nan)
        correlation = np.where(sd_x > 0, cov / (sd_x * np.sqrt(var_b)), np.nan)
    return beta, correlation
