"""Inverse-volatility and liquidity weights (issue 15, item 7), by hand and in sweeps."""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
from panels import random_panel

import indexlab
from indexlab.sweep import SweepSpec, run_configs

DATES = pd.date_range("2022-01-01", periods=5, freq="D")


def _market(close, volume=None) -> indexlab.Market:
    close = pd.DataFrame(close, index=DATES[: len(next(iter(close.values())))])
    caps = close * 1e6
    vol = None if volume is None else pd.DataFrame(volume, index=close.index)
    return indexlab.Market.from_panels(close, caps, vol, source="hand case")


def _weights_on(market, weighting, day) -> pd.Series:
    strategy = indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(2, exclude=()),
        weighting=weighting,
        rebalance=indexlab.Rebalance("none"),
        costs=indexlab.Costs(0, 0),
        lag_days=0,
        start=DATES[day],
        benchmarks=(),
    )
    return indexlab.run(strategy, market).weights.iloc[0]


def test_inverse_volatility_weights_by_hand():
    # Window 3: on day 3 the returns are A +10 %, -10 %, +10 % and B +1 %, -0.99 %,
    # +1 %; weights are proportional to 1 / their sample standard deviations.
    market = _market({"A": [100.0, 110.0, 99.0, 108.9], "B": [100.0, 101.0, 100.0, 101.0]})
    sd_a = statistics.stdev([0.1, -0.1, 0.1])
    sd_b = statistics.stdev([0.01, 100 / 101 - 1, 0.01])
    expected = np.array([1 / sd_a, 1 / sd_b]) / (1 / sd_a + 1 / sd_b)
    w = _weights_on(market, indexlab.Weighting("inverse_volatility", window_days=3), 3)
    np.testing.assert_allclose(w[["A", "B"]].to_numpy(), expected, rtol=1e-12)


def test_inverse_volatility_needs_two_returns_between_valid_closes():
    # A's close is missing on day 2: on day 3 its only return in a 3-day window is day 1's
    # (days 2 and 3 have no pair of valid closes), so it cannot be weighted: B takes all.
    market = _market({"A": [100.0, 110.0, np.nan, 108.9], "B": [100.0, 101.0, 100.0, 101.0]})
    w = _weights_on(market, indexlab.Weighting("inverse_volatility", window_days=3), 3)
    assert w.get("A", 0.0) == 0.0 and w["B"] == pytest.approx(1.0, rel=1e-14)


def test_liquidity_weights_by_hand():
    # Window 2: on day 3 the mean volumes are A (30 + 40) / 2 = 35 and B 5.
    market = _market(
        {"A": [1.0, 1.0, 1.0, 1.0], "B": [1.0, 1.0, 1.0, 1.0]},
        {"A": [10.0, 20.0, 30.0, 40.0], "B": [5.0, 5.0, 5.0, 5.0]},
    )
    w = _weights_on(market, indexlab.Weighting("liquidity", window_days=2), 3)
    np.testing.assert_allclose(w[["A", "B"]].to_numpy(), [35 / 40, 5 / 40], rtol=1e-14)


def test_errors_name_the_key():
    with pytest.raises(indexlab.SpecError, match="weighting.measure"):
        indexlab.Weighting("liquidity", measure="market_cap_ema")
    market = _market({"A": [1.0, 1.0, 1.0, 1.0], "B": [1.0, 1.0, 1.0, 1.0]})
    with pytest.raises(indexlab.DataError, match="volume"):
        _weights_on(market, indexlab.Weighting("liquidity"), 3)


def test_new_schemes_in_a_sweep_equal_single_runs():
    close, caps = random_panel(5, 200, 8, gap_rate=0.03)
    volume = caps * np.random.default_rng(5).uniform(0.001, 0.05, caps.shape)
    market = indexlab.Market.from_panels(close, caps, volume, source="random panel")
    base = indexlab.Strategy(
        name="base", universe=indexlab.Universe(top_n=4, exclude=()), benchmarks=()
    )
    grid = {
        "weighting.scheme": ("inverse_volatility", "liquidity", "market_cap"),
        "weighting.window_days": (5, 20),
        "weighting.cap": (None, 0.4),
    }
    configs = SweepSpec(base=base, grid=grid).configs()
    table, equity = run_configs(market, configs, keep_equity=True)
    assert table["error"].isna().all(), table["error"].dropna().head()
    finals = set()
    for config in configs:
        single = indexlab.run(config.strategy, market)
        np.testing.assert_allclose(
            equity[config.id].to_numpy(), single.equity.iloc[:, 0].to_numpy(), rtol=1e-12
        )
        finals.add(round(float(single.equity.iloc[-1, 0]), 12))
    # Every scheme, window and cap changes the result, except the window of market-cap
    # weights (not smoothed: unused): 12 configurations, 10 results.
    assert len(finals) == 10
