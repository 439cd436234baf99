"""How much of the index was valued at a stale price (issue 16, item 7):
``Result.stale_weight`` and the run's note, by hand on a tiny market and against a slow
reference built from ``Result.daily_weights`` on random panels.

The tiny market (lag 0, no costs, equal weights, bought on day 0 only):

    day        0     1     2     3     4
    A close   10     -     -    16    16      a gap (e.g. between monthly snapshots)
    B close   10    10    10    10    10

Day 0: 0.05 units of each. Days 1 and 2: A has no close and is carried at 10, worth 0.5
of V = 1.0: a stale weight of 50 %. Days 3 and 4: A closes again: 0 %. Average over the
five days 1.0 / 5 = 20 %, maximum 50 % (first on day 1), on 2 of 5 days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from panels import panel_market, random_panel

import indexlab

DATES = pd.date_range("2021-03-01", periods=5, freq="D")
NAN = np.nan


def tiny_market(a: list[float]) -> indexlab.Market:
    close = pd.DataFrame({"A": a, "B": [10.0] * len(a)}, index=DATES[: len(a)])
    return indexlab.Market.from_panels(close, close * 100.0, source="hand case")


def strategy(**kwargs) -> indexlab.Strategy:
    base = dict(
        name="s",
        universe=indexlab.Universe(top_n=2, exclude=()),
        weighting=indexlab.Weighting("equal"),
        rebalance=indexlab.Rebalance("none"),
        costs=indexlab.Costs(0.0, 0.0),
        lag_days=0,
        benchmarks=(),
    )
    base.update(kwargs)
    return indexlab.Strategy(**base)


def test_stale_weight_by_hand():
    result = indexlab.run(strategy(), tiny_market([10.0, NAN, NAN, 16.0, 16.0]), warn=False)
    np.testing.assert_allclose(result.stale_weight, [0.0, 0.5, 0.5, 0.0, 0.0], rtol=1e-14)
    assert result.stale_weight.index.equals(result.dates)
    assert result.stale_weight.mean() == pytest.approx(0.2)
    notes = [n for n in result.notes if n.startswith("stale prices")]
    assert notes == [
        "stale prices: on average 20% of the strategy's value (at most 50%, on 2021-03-02) "
        "was held in assets without a close that day, valued at their last close; 2 of 5 "
        "days (Result.stale_weight)"
    ]


def test_a_data_stop_is_not_stale_and_a_gap_in_all_of_the_index_is_100_percent():
    # A stops after day 2 (its data end): from day 3 it is cash, not a stale holding.
    result = indexlab.run(strategy(), tiny_market([10.0, 12.0, 14.0, NAN, NAN]), warn=False)
    assert (result.stale_weight == 0).all()
    assert not any(n.startswith("stale prices") for n in result.notes)
    # Top 1: all in A, which has no close on days 1 and 2.
    single = strategy(universe=indexlab.Universe(top_n=1, exclude=()))
    market = indexlab.Market.from_panels(
        pd.DataFrame({"A": [10.0, NAN, NAN, 16.0, 16.0], "B": [1.0] * 5}, index=DATES),
        pd.DataFrame({"A": [100.0] * 5, "B": [1.0] * 5}, index=DATES),
        source="hand case",
    )
    held = indexlab.run(single, market, warn=False)
    np.testing.assert_allclose(held.stale_weight, [0.0, 1.0, 1.0, 0.0, 0.0], rtol=1e-14)


@pytest.mark.parametrize("seed", [1, 7, 42])
@pytest.mark.parametrize("frequency", ["daily", "weekly", "monthly"])
def test_stale_weight_equals_a_slow_reference_from_daily_weights(seed, frequency):
    close, cap = random_panel(seed, 150, 8, gap_rate=0.15)
    market = panel_market(close, cap)
    s = strategy(
        universe=indexlab.Universe(top_n=4, exclude=()),
        weighting=indexlab.Weighting("market_cap"),
        rebalance=indexlab.Rebalance(frequency, drift_threshold=0.05),
        costs=indexlab.Costs(10.0, 5.0, "zero"),
        lag_days=1,
    )
    result = indexlab.run(s, market, warn=False)
    weights = result.daily_weights
    panel = market.close.loc[result.dates, weights.columns]
    last = market.close[weights.columns].apply(lambda c: c.last_valid_index())
    alive = pd.DataFrame({a: result.dates <= last[a] for a in weights.columns}, index=result.dates)
    expected = (weights * (panel.isna() & alive)).sum(axis=1)
    np.testing.assert_allclose(result.stale_weight, expected, rtol=1e-12, atol=1e-15)
