"""The entry-date study: the same strategy started on every month (or quarter), as a
distribution of outcomes against holding BTC over the same windows.

Each start is the first day of a month (or quarter) from the first date with a
decision snapshot (and not before the base strategy's ``start``). Each run lasts
``horizon_days``, or without a horizon runs to the base strategy's ``end`` (to the end
of the data when the base has none); a run never goes past the base's ``end`` or the
data's end, and a start that leaves less than the whole horizon (30 days without one)
before that end is dropped. BTC is bought and held on the same dates with the same
costs, through the same engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.engine import run
from indexlab.errors import SpecError, UniverseError
from indexlab.market import Market
from indexlab.spec import Strategy
from indexlab.sweep.spec import EntryStudy

COLUMNS = (
    "start",
    "end",
    "days",
    "total_return",
    "cagr",
    "max_drawdown",
    "btc_total_return",
    "btc_cagr",
    "btc_max_drawdown",
    "excess_cagr",
)


def entry_dates(market: Market, strategy: Strategy, study: EntryStudy) -> pd.DatetimeIndex:
    """The start dates of the study."""
    first = market.dates[min(strategy.lag_days, len(market.dates) - 1)]
    last = market.end - pd.Timedelta(days=study.horizon_days or 30)
    period = "MS" if study.frequency == "monthly" else "QS"
    starts = pd.date_range(first, last, freq=period)
    if strategy.start is not None:
        starts = starts[starts >= strategy.start]
    if strategy.end is not None:
        starts = starts[starts <= strategy.end - pd.Timedelta(days=study.horizon_days or 30)]
    return pd.DatetimeIndex(starts, name="start")


def run_end(strategy: Strategy, study: EntryStudy, start: pd.Timestamp) -> pd.Timestamp | None:
    """The last date of the run from ``start``: ``start + horizon_days``, never past the
    base strategy's ``end``; without a horizon, the base's ``end`` (None: the data's end)."""
    if study.horizon_days is None:
        return strategy.end
    end = start + pd.Timedelta(days=study.horizon_days)
    return end if strategy.end is None else min(end, strategy.end)


def entry_study(market: Market, strategy: Strategy, study: EntryStudy) -> pd.DataFrame:
    """One row per start date: the strategy's and BTC's total return, CAGR and max
    drawdown over the same window, and the CAGR difference."""
    try:
        btc = market.resolve_asset("bitcoin")
    except SpecError:
        btc = market.resolve_asset("BTC")
    rows = []
    for start in entry_dates(market, strategy, study):
        one = strategy.replace(start=start, end=run_end(strategy, study, start), benchmarks=(btc,))
        try:
            result = run(one, market, warn=False)  # the study states its own notes
        except UniverseError:
            continue
        metrics = result.metrics()
        mine, theirs = metrics.iloc[0], metrics.iloc[1]
        rows.append(
            {
                "start": result.dates[0],
                "end": result.dates[-1],
                "days": len(result.dates),
                "total_return": mine["total_return"],
                "cagr": mine["cagr"],
                "max_drawdown": mine["max_drawdown"],
                "btc_total_return": theirs["total_return"],
                "btc_cagr": theirs["cagr"],
                "btc_max_drawdown": theirs["max_drawdown"],
                "excess_cagr": mine["cagr"] - theirs["cagr"],
            }
        )
    if not rows:
        raise SpecError("entry_study: no start date leaves a whole horizon in the data")
    return pd.DataFrame(rows, columns=list(COLUMNS))


def describe_entry_study(table: pd.DataFrame) -> dict[str, float]:
    """How often and by how much the strategy beat BTC across start dates."""
    excess = table["excess_cagr"].to_numpy(dtype=np.float64)
    return {
        "starts": float(len(table)),
        "share_beating_btc": float(np.mean(excess > 0)),
        "median_excess_cagr": float(np.median(excess)),
        "median_cagr": float(table["cagr"].median()),
        "median_btc_cagr": float(table["btc_cagr"].median()),
        "worst_cagr": float(table["cagr"].min()),
        "best_cagr": float(table["cagr"].max()),
    }
