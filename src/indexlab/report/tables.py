"""The tables behind the report's figures: pure pandas, no plotting.

Every function takes equity in units of the initial capital C0 (so C0 = 1, the
strategy in the first column where it matters) and returns a DataFrame that a figure
draws and the export writes. Periods are calendar periods of the daily calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab import metrics

ROLLING_DAYS = 365
TOP_HOLDINGS = 10
OTHER = "other"
CASH = "cash"
CASH_SHOWN = 0.001  # less cash than this on every day is not worth a band


def rolling_statistics(
    equity: pd.DataFrame, window: int = ROLLING_DAYS, periods: int = metrics.PERIODS_PER_YEAR
) -> dict[str, pd.DataFrame]:
    """Rolling ``window``-day return, volatility and Sharpe of every portfolio.

    ``return``: E_t / E_{t-window} - 1. ``volatility``: std(r, ddof=1) * sqrt(N) over
    the ``window`` daily returns ending at t. ``sharpe``: mean(r) / std(r, ddof=1) *
    sqrt(N) over the same returns (risk-free rate 0). NaN until a full window exists.
    """
    daily = equity / equity.shift(1) - 1.0
    rolled = daily.rolling(window, min_periods=window)
    mean, std = rolled.mean(), rolled.std(ddof=1)
    return {
        "return": equity / equity.shift(window) - 1.0,
        "volatility": std * np.sqrt(periods),
        "sharpe": (mean / std.where(std > 0)) * np.sqrt(periods),
    }


def _period_returns(equity: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Return of each calendar period, from the last close of the period before (C0 = 1
    before the first): the product of (1 + period returns) is E_T / C0."""
    last = equity.resample(freq).last()
    before = last.shift(1)
    before.iloc[0] = 1.0
    return last / before - 1.0


def calendar_year_returns(equity: pd.DataFrame) -> pd.DataFrame:
    """Year x portfolio: the return of each calendar year (the first from C0 = 1, so its
    initial costs count; a partial first or last year covers only the run's days)."""
    table = _period_returns(equity, "YE")
    table.index = pd.Index(table.index.year, name="year")
    return table


def partial_years(index: pd.DatetimeIndex) -> dict[int, str]:
    """Years the run does not cover whole, with the span it does (``"from 3 Jan"``)."""
    first, last = pd.Timestamp(index[0]), pd.Timestamp(index[-1])
    spans = {}
    if (first.month, first.day) != (1, 1):
        spans[first.year] = f"from {first.day} {first:%b}"
    if (last.month, last.day) != (12, 31):
        to = f"to {last.day} {last:%b}"
        spans[last.year] = f"{spans[last.year]} {to}" if last.year in spans else to
    return spans


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Year x month (1..12) returns of one portfolio (first month from C0 = 1); NaN for
    months outside the run."""
    monthly = _period_returns(equity.to_frame(), "ME").iloc[:, 0]
    table = pd.DataFrame(
        {"year": monthly.index.year, "month": monthly.index.month, "value": monthly.to_numpy()}
    ).pivot(index="year", columns="month", values="value")
    table = table.reindex(columns=range(1, 13))
    table.columns.name = "month"
    return table


def allocation(
    daily_weights: pd.DataFrame, top: int = TOP_HOLDINGS, labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """Date x band weights: the ``top`` holdings with the largest average weight over
    the run (largest first), ``other`` for the rest, and ``cash`` when any is held.
    Each row sums to 1 (or 0 before the first trade)."""
    labels = labels or {}
    weights = daily_weights.fillna(0.0)
    largest = weights.mean().sort_values(ascending=False, kind="stable")
    chosen = [a for a in largest.index[:top] if largest[a] > 0]
    bands = weights[chosen].rename(columns=lambda a: labels.get(a, a))
    rest = weights.drop(columns=chosen).sum(axis=1)
    if len(chosen) < weights.shape[1]:
        bands[OTHER] = rest
    invested = weights.sum(axis=1)
    cash = (1.0 - invested).where(invested > 0, 0.0).clip(lower=0.0)
    if (cash > CASH_SHOWN).any():
        bands[CASH] = cash
    return bands


def rebalance_table(trades: pd.DataFrame) -> pd.DataFrame:
    """Per rebalance: ``constituents`` held after it, one-way ``turnover`` and ``cost``
    as fractions of the value before trading."""
    return pd.DataFrame(
        {
            "constituents": trades["n_assets"].astype(int),
            "turnover": trades["turnover"],
            "cost": trades["cost"] / trades["value_pre_trade"],
        },
        index=pd.DatetimeIndex(trades.index, name="date"),
    )


def worst_drawdowns(equity: pd.Series, count: int = 5) -> pd.DataFrame:
    """The ``count`` deepest drawdowns: ``start`` (the peak), ``trough``, ``recovery``
    (NaT if not recovered), ``depth`` and ``days`` (peak to recovery or last date)."""
    periods = metrics.drawdown_periods(equity).head(count)
    return periods.rename(columns={"peak": "start"})[
        ["start", "trough", "recovery", "depth", "days"]
    ]
