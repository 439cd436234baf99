"""Hand-computed backtests: every number below is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import indexlab

DATES = pd.date_range("2021-03-01", periods=5, freq="D")


def market(close: dict[str, list[float]], cap: dict[str, list[float]]) -> indexlab.Market:
    n = len(next(iter(close.values())))
    index = DATES[:n]
    return indexlab.Market.from_panels(
        pd.DataFrame(close, index=index), pd.DataFrame(cap, index=index), source="hand case"
    )


def strategy(**kwargs) -> indexlab.Strategy:
    # Costs and exclusions stated: the hand computations assume none unless given.
    base = dict(name="s", lag_days=0, benchmarks=(), costs=indexlab.Costs(0, 0))
    base.update(kwargs)
    return indexlab.Strategy(**base)


def test_two_assets_one_rebalance_with_fees():
    # A: 10 -> 12, B: 20 -> 18; caps 600 and 400 give weights 0.6 / 0.4; 100 bps.
    m = market({"A": [10.0, 12.0], "B": [20.0, 18.0]}, {"A": [600.0, 720.0], "B": [400, 360]})
    r = indexlab.run(
        strategy(
            universe=indexlab.Universe(2),
            costs=indexlab.Costs(fee_bps=100, slippage_bps=0),
            rebalance=indexlab.Rebalance("monthly"),
        ),
        m,
    )
    # The initial buy from cash: V' = 1 / (1 + c); then A gains 20 %, B loses 10 %.
    e0 = 1 / 1.01
    e1 = (0.6 * 1.2 + 0.4 * 0.9) / 1.01
    np.testing.assert_allclose(r.equity["s"], [e0, e1], rtol=1e-14)
    assert r.trades["cost"].iloc[0] == pytest.approx(1 - e0, rel=1e-12)
    np.testing.assert_allclose(r.weights.loc[DATES[0]], [0.6, 0.4], rtol=1e-14)


def test_second_rebalance_pays_fee_on_the_exact_traded_amount():
    # Day 1 caps are equal, so the target is 50/50. Holdings are hA = 0.72/1.01 and
    # hB = 0.36/1.01; selling A and buying B trades hA - hB in all, so
    # V' = V - c (hA - hB) = (1.08 - 0.01 * 0.36) / 1.01 exactly.
    m = market({"A": [10.0, 12.0], "B": [20.0, 18.0]}, {"A": [600.0, 500.0], "B": [400, 500]})
    r = indexlab.run(
        strategy(
            universe=indexlab.Universe(2),
            costs=indexlab.Costs(fee_bps=100, slippage_bps=0),
            rebalance=indexlab.Rebalance("daily"),
        ),
        m,
    )
    np.testing.assert_allclose(r.equity["s"].iloc[1], (1.08 - 0.0036) / 1.01, rtol=1e-14)
    np.testing.assert_allclose(r.trades["traded_notional"].iloc[1], 0.36 / 1.01, rtol=1e-13)
    np.testing.assert_allclose(r.weights.iloc[1], [0.5, 0.5], rtol=1e-14)


def test_no_trade_when_drift_already_matches_the_target():
    # Caps move exactly with prices, so day-1 market-cap weights equal the drifted ones.
    m = market({"A": [10.0, 12.0], "B": [20.0, 18.0]}, {"A": [600.0, 720.0], "B": [400, 360]})
    r = indexlab.run(
        strategy(
            universe=indexlab.Universe(2),
            costs=indexlab.Costs(fee_bps=100, slippage_bps=0),
            rebalance=indexlab.Rebalance("daily"),
        ),
        m,
    )
    assert r.trades["turnover"].iloc[1] == pytest.approx(0, abs=1e-15)
    assert r.equity["s"].iloc[1] == pytest.approx(1.08 / 1.01, rel=1e-14)


@pytest.mark.parametrize(
    ("caps", "cap", "expected"),
    [
        # A at 0.5; its excess 0.2 goes to B and C in proportion 2:1.
        ([70, 20, 10], 0.5, [0.5, 0.2 + 0.2 * 2 / 3, 0.1 + 0.2 / 3]),
        # A capped, then B exceeds after the first hand-out and is capped too; C gets the rest.
        ([50, 40, 10], 0.35, [0.35, 0.35, 0.30]),
        # 3 x 0.2 < 1: the cap is infeasible, equal weights.
        ([50, 40, 10], 0.2, [1 / 3, 1 / 3, 1 / 3]),
    ],
)
def test_capped_weights(caps, cap, expected):
    m = market(
        {"A": [1.0], "B": [1.0], "C": [1.0]}, {"A": [caps[0]], "B": [caps[1]], "C": [caps[2]]}
    )
    r = indexlab.run(
        strategy(universe=indexlab.Universe(3), weighting=indexlab.Weighting("market_cap", cap)), m
    )
    np.testing.assert_allclose(r.weights.iloc[0].to_numpy(), expected, rtol=1e-12)
    assert any("cannot hold" in n for n in r.notes) == (cap * 3 < 1)


def test_delisting_mid_period_becomes_cash_at_the_last_close():
    # Equal weights, no fees: 0.05 units of each. A's last close is 12 on day 2; on day 3
    # its 0.05 units become 0.6 in cash, which stays flat while B doubles on day 4.
    nan = np.nan
    m = market(
        {"A": [10.0, 11.0, 12.0, nan, nan], "B": [10.0, 10.0, 10.0, 10.0, 20.0]},
        {"A": [1.0, 1.0, 1.0, nan, nan], "B": [1.0, 1.0, 1.0, 1.0, 1.0]},
    )
    r = indexlab.run(
        strategy(universe=indexlab.Universe(2), weighting=indexlab.Weighting("equal")), m
    )
    np.testing.assert_allclose(r.equity["s"], [1.0, 1.05, 1.1, 1.1, 1.6], rtol=1e-14)
    liq = r.liquidations
    assert list(liq["asset"]) == ["A"]
    assert liq["date"].iloc[0] == DATES[3] and liq["last_valid_date"].iloc[0] == DATES[2]
    assert liq["value"].iloc[0] == pytest.approx(0.6, rel=1e-14)


def test_gap_on_a_rebalance_date_is_traded_at_the_last_close_with_costs():
    # Lag 0, daily, 100 bps, top 1 by cap (A 9 > B 1). A has no close on day 3: it is
    # not a candidate that day, so the index rotates into B; A is sold at its last
    # close (11) like any trade, with the fee (DESIGN section 3), not closed fee-free.
    # On day 4 A is back and larger: B is sold, A bought at 13, with the fee again.
    nan = np.nan
    m = market(
        {"A": [10.0, 10.0, 11.0, nan, 13.0], "B": [5.0, 5.0, 5.0, 5.0, 5.0]},
        {"A": [9.0, 9.0, 9.0, nan, 9.0], "B": [1.0, 1.0, 1.0, 1.0, 1.0]},
    )
    s = strategy(
        universe=indexlab.Universe(1),
        costs=indexlab.Costs(fee_bps=100, slippage_bps=0),
        rebalance=indexlab.Rebalance("daily"),
    )
    r = indexlab.run(s, m)
    rotation = 0.99 / 1.01  # V' = V - c (V' + V): sell all of one, buy all of the other
    e0 = 1 / 1.01
    e2 = e0 * 1.1
    e3 = e2 * rotation
    e4 = e3 * rotation
    np.testing.assert_allclose(r.equity["s"], [e0, e0, e2, e3, e4], rtol=1e-14)
    assert r.liquidations.empty
    trades = r.trades
    assert trades.loc[DATES[3], "cost"] == pytest.approx(e2 - e3, rel=1e-12)
    assert trades.loc[DATES[3], "turnover"] == pytest.approx(1.0, rel=1e-12)
    assert r.weights.loc[DATES[3], "B"] == pytest.approx(1.0, rel=1e-14)


def test_benchmark_is_buy_and_hold_with_the_same_costs():
    m = market({"A": [10.0, 12.0, 9.0], "B": [1.0, 2.0, 4.0]}, {"A": [5.0, 5, 5], "B": [1.0, 1, 1]})
    r = indexlab.run(
        strategy(universe=indexlab.Universe(1), costs=indexlab.Costs(20, 5), benchmarks=("B",)), m
    )
    np.testing.assert_allclose(r.equity["B"], np.array([1.0, 2.0, 4.0]) / 1.0025, rtol=1e-14)
    assert list(r.equity.columns) == ["s", "B"]


def test_universe_empty_everywhere_is_an_error():
    m = market({"A": [1.0, 1.0]}, {"A": [np.nan, np.nan]})
    with pytest.raises(indexlab.UniverseError, match="empty on every review date"):
        indexlab.run(strategy(universe=indexlab.Universe(5)), m)


def test_exclusion_by_tag_and_by_symbol():
    m = indexlab.Market.from_panels(
        pd.DataFrame({"usdt": [1.0], "btc": [100.0], "x": [1.0]}, index=DATES[:1]),
        pd.DataFrame({"usdt": [500.0], "btc": [400.0], "x": [100.0]}, index=DATES[:1]),
        assets=pd.DataFrame({"symbol": ["USDT", "BTC", "XX"]}, index=["usdt", "btc", "x"]),
        tags={"usdt": {"stablecoin"}},
    )
    r = indexlab.run(strategy(universe=indexlab.Universe(1, ("stablecoin",))), m)
    assert list(r.weights.columns) == ["btc"]
    r = indexlab.run(strategy(universe=indexlab.Universe(1, ("stablecoin", "BTC"))), m)
    assert list(r.weights.columns) == ["x"]
    with pytest.raises(indexlab.SpecError, match="no asset with id or symbol 'DOGE'"):
        indexlab.run(strategy(universe=indexlab.Universe(1, ("DOGE",))), m)


def test_benchmarks_listed_twice_or_named_like_the_strategy():
    m = market({"A": [1.0, 2.0], "B": [1.0, 1.0]}, {"A": [5.0, 5.0], "B": [1.0, 1.0]})
    with pytest.raises(indexlab.SpecError, match="'A' names 'A', which is listed already"):
        indexlab.run(strategy(universe=indexlab.Universe(1), benchmarks=("A", "A")), m)
    with pytest.raises(indexlab.SpecError, match="has the strategy's own name 'A'"):
        indexlab.run(strategy(name="A", universe=indexlab.Universe(1), benchmarks=("A",)), m)


def test_daily_weights_drift_and_add_up_with_cash():
    # Equal weights, no fees. A doubles on day 1: weights 2/3 and 1/3; A's data stop
    # after day 2, so from day 3 its value is cash; day 4 (monthly) has no rebalance.
    nan = np.nan
    m = market(
        {"A": [10.0, 20.0, 20.0, nan, nan], "B": [10.0, 10.0, 10.0, 10.0, 20.0]},
        {"A": [1.0, 1.0, 1.0, nan, nan], "B": [1.0, 1.0, 1.0, 1.0, 1.0]},
    )
    r = indexlab.run(
        strategy(universe=indexlab.Universe(2), weighting=indexlab.Weighting("equal")), m
    )
    w = r.daily_weights
    np.testing.assert_allclose(w["A"], [0.5, 2 / 3, 2 / 3, 0, 0], atol=1e-15)
    np.testing.assert_allclose(w["B"], [0.5, 1 / 3, 1 / 3, 0.5 / 1.5, 1.0 / 2.0], atol=1e-15)
    assert (w.sum(axis=1) <= 1 + 1e-12).all()
