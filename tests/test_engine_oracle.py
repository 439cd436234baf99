"""The engine against the slow day-by-day oracle of reference_loop.py on random panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panels import panel_market, random_panel
from reference_loop import reference_backtest

import indexlab

SCHEMES = ["market_cap", "sqrt_market_cap", "equal"]
FREQUENCIES = ["daily", "weekly", "monthly", "quarterly"]


@st.composite
def cases(draw):
    n_days = draw(st.integers(20, 130))
    n_assets = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    lag = draw(st.integers(0, 2))
    start_offset = draw(st.integers(lag, max(lag, n_days // 3)))
    end_offset = draw(st.integers(start_offset, n_days - 1))
    params = {
        "top_n": draw(st.integers(1, n_assets + 1)),
        "scheme": draw(st.sampled_from(SCHEMES)),
        "cap": draw(st.one_of(st.none(), st.floats(0.1, 1.0))),
        "frequency": draw(st.sampled_from(FREQUENCIES)),
        "lag_days": lag,
        "fee_bps": draw(st.sampled_from([0.0, 1.0, 10.0, 25.0, 100.0])),
        "slippage_bps": draw(st.sampled_from([0.0, 5.0])),
        "exclude": draw(st.sets(st.sampled_from([f"A{j:02d}" for j in range(n_assets)]))),
        "drift": draw(st.one_of(st.none(), st.sampled_from([0.02, 0.1, 0.3]))),
        "drift_relative": draw(st.booleans()),
    }
    return n_days, n_assets, seed, start_offset, end_offset, params


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_engine_equals_day_by_day_oracle(case):
    n_days, n_assets, seed, start_offset, end_offset, p = case
    close, cap = random_panel(seed, n_days, n_assets)
    market = panel_market(close, cap)
    dates = market.dates
    exclude = tuple(sorted(p["exclude"]))
    strategy = indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(top_n=p["top_n"], exclude=exclude),
        weighting=indexlab.Weighting(p["scheme"], p["cap"]),
        rebalance=indexlab.Rebalance(
            p["frequency"],
            drift_threshold=p["drift"],
            drift_mode="relative" if p["drift_relative"] else "absolute",
        ),
        costs=indexlab.Costs(p["fee_bps"], p["slippage_bps"]),
        lag_days=p["lag_days"],
        start=dates[start_offset],
        end=dates[end_offset],
        benchmarks=(),
    )
    trades: list = []
    # The whole data: a data stop after the run's end is not a death within it.
    expected = reference_backtest(
        market.close,
        market.market_cap,
        start=dates[start_offset],
        end=dates[end_offset],
        top_n=p["top_n"],
        scheme=p["scheme"],
        cap=p["cap"],
        frequency=p["frequency"],
        lag_days=p["lag_days"],
        cost_rate=(p["fee_bps"] + p["slippage_bps"]) / 1e4,
        exclude=set(exclude),
        drift=p["drift"],
        drift_relative=p["drift_relative"],
        trades=trades,
    )
    try:
        result = indexlab.run(strategy, market)
    except indexlab.UniverseError:
        # Nothing selectable on any rebalance date: the oracle holds cash throughout.
        assert np.allclose(expected.to_numpy(), 1.0, rtol=0, atol=0)
        return
    equity = result.equity["s"]
    assert equity.index.equals(expected.index)
    np.testing.assert_allclose(equity.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=0)
    # The same trades: dates, value before, notional, cost, one-way turnover.
    mine = result.trades
    theirs = pd.DataFrame(trades, columns=["date", "value", "notional", "cost", "one_way"])
    assert list(mine.index) == list(theirs["date"])
    for column, other in (
        ("value_pre_trade", "value"),
        ("traded_notional", "notional"),
        ("cost", "cost"),
        ("turnover", "one_way"),
    ):
        np.testing.assert_allclose(mine[column], theirs[other], rtol=1e-9, atol=1e-12)
    # Daily weights drift from, and on rebalance dates equal, the post-trade weights.
    daily = result.daily_weights
    assert (daily.sum(axis=1) <= 1 + 1e-9).all() and (daily >= 0).all().all()
    on_rebalance = daily.loc[result.weights.index, result.weights.columns]
    np.testing.assert_allclose(on_rebalance.to_numpy(), result.weights.to_numpy(), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cut=st.integers(30, 110),
    lag=st.integers(0, 2),
    frequency=st.sampled_from(FREQUENCIES),
    fee=st.sampled_from([0.0, 10.0, 50.0]),
)
def test_no_look_ahead(seed, cut, lag, frequency, fee):
    """Changing any data after day t (prices, market caps, listings, gaps) leaves the
    equity up to t unchanged, as long as the data still say the same assets live on
    after t. Whether an asset's data stop is a fact of the data (DESIGN section 3: a
    position becomes cash, fee-free, the day after its last close), so it is the one
    thing about the future the engine may know; docs/design-notes.md says why."""
    close, cap = random_panel(seed, 120, 6)
    other_close, other_cap = random_panel(seed + 1, 120, 6)
    after = close.index > close.index[cut]
    changed_close = close.copy()
    changed_cap = cap.copy()
    changed_close.loc[after] = other_close.loc[after].to_numpy()
    changed_cap.loc[after] = other_cap.loc[after].to_numpy()
    lives_on = close.loc[after].notna().any()
    for asset in close.columns:
        if not lives_on[asset]:
            changed_close.loc[after, asset] = np.nan
        elif changed_close.loc[after, asset].isna().all():
            changed_close.loc[close.index[-1], asset] = 1.0
    strategy = indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(top_n=3),
        weighting=indexlab.Weighting("market_cap", 0.5),
        rebalance=indexlab.Rebalance(frequency),
        costs=indexlab.Costs(fee, 0),
        lag_days=lag,
        benchmarks=("A00",),
    )
    try:
        original = indexlab.run(strategy, panel_market(close, cap)).equity
        changed = indexlab.run(strategy, panel_market(changed_close, changed_cap)).equity
    except indexlab.UniverseError:
        return
    upto = original.index <= close.index[cut]
    assert upto.sum() > 0
    # Equal up to rounding: a position in a gap that the changed future turns into a
    # delisting is cash instead of units at the last close, the same value summed in
    # another order.
    pd.testing.assert_frame_equal(original.loc[upto], changed.loc[upto], rtol=1e-13, atol=0)
