"""Messy real data, hand-computed (issue 12): missing rows on a buy day, assets with
no price yet, gaps on trade days, a run cut short, drift against the targets of the
last trade, one-way turnover and the share of wealth the costs took."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from panels import panel_market, random_panel

import indexlab

ROOT = Path(__file__).resolve().parents[1]
DATES = pd.date_range("2021-03-01", periods=5, freq="D")
nan = np.nan


def market(close: dict[str, list[float]], cap: dict[str, list[float]] | None = None):
    index = DATES[: len(next(iter(close.values())))]
    cap = cap or {a: [1.0 if np.isfinite(x) else nan for x in v] for a, v in close.items()}
    return indexlab.Market.from_panels(
        pd.DataFrame(close, index=index), pd.DataFrame(cap, index=index), source="hand case"
    )


def strategy(**kwargs) -> indexlab.Strategy:
    base = dict(
        name="s",
        lag_days=0,
        benchmarks=(),
        universe=indexlab.Universe(1, exclude=()),
        costs=indexlab.Costs(fee_bps=100, slippage_bps=0),
    )
    base.update(kwargs)
    return indexlab.Strategy(**base)


# ---------------------------------------------------------------- item 1
def test_benchmark_missing_on_its_buy_day_is_bought_at_the_last_close():
    # A has no row on the first run date (day 2): the buy fills at its last close, 11,
    # with the fee; from then on it follows A. Never flat for one missing row.
    m = market({"A": [10.0, 11.0, nan, 12.0, 13.0], "B": [1.0, 1.0, 1.0, 1.0, 1.0]})
    r = indexlab.run(strategy(lag_days=1, start=DATES[2], benchmarks=("A",)), m)
    bought = 1 / 1.01
    np.testing.assert_allclose(
        r.equity["A"], [bought, bought * 12 / 11, bought * 13 / 11], rtol=1e-14
    )
    assert r.portfolios["A"].trades["cost"].iloc[0] == pytest.approx(1 - bought, rel=1e-12)
    assert not any("benchmark A" in note for note in r.notes)


def test_an_asset_with_no_close_yet_waits_for_its_first_and_the_run_says_so():
    # B lists on day 3: the benchmark holds cash until its first close (5), buys there
    # with the fee, then follows B (6 on day 4).
    m = market({"A": [1.0] * 5, "B": [nan, nan, nan, 5.0, 6.0]})
    r = indexlab.run(strategy(lag_days=1, benchmarks=("B",)), m)
    bought = 1 / 1.01
    np.testing.assert_allclose(r.equity["B"], [1.0, 1.0, bought, bought * 6 / 5], rtol=1e-14)
    assert r.portfolios["B"].trades["reason"].tolist() == ["scheduled", "first price"]
    assert any(f"no valid close before {DATES[3].date()}" in n for n in r.notes)
    # The fill completes the first order: one rebalance, no turnover after the initial
    # buy, and its cost is the wealth the costs took.
    row = r.metrics().loc["B"]
    assert (row["n_rebalances"], row["avg_turnover"]) == (1, 0)
    assert row["total_cost"] == pytest.approx(1 - 1 / 1.01, rel=1e-12)


def test_a_target_from_a_weights_file_waits_for_the_first_close(tmp_path):
    # The file puts half in A and half in B from day 0; B has no close before day 2.
    # Half is bought on day 0; B's half waits in cash and is bought at B's first close.
    path = tmp_path / "w.csv"
    path.write_text(f"date,asset,weight\n{DATES[0].date()},A,0.5\n{DATES[0].date()},B,0.5\n")
    m = market({"A": [10.0, 10.0, 10.0, 20.0, 20.0], "B": [nan, nan, 4.0, 4.0, 8.0]})
    s = strategy(
        weighting=indexlab.Weighting("file", weights_file=str(path)),
        rebalance=indexlab.Rebalance("none"),
        costs=indexlab.Costs(0, 0),
    )
    r = indexlab.run(s, m)
    # Day 3: A doubles (0.5 -> 1.0); day 4: B doubles (0.5 -> 1.0).
    np.testing.assert_allclose(r.equity["s"], [1.0, 1.0, 1.0, 1.5, 2.0], rtol=1e-14)
    assert r.trades["reason"].tolist() == ["scheduled", "first price"]


# ---------------------------------------------------------------- items 5 and 6
def test_cutting_the_run_short_turns_no_asset_into_a_delisting():
    # Six assets, all without a close on day 2 and alive after it. A run that ends on
    # day 2 holds them in a gap: valued at their last close, nothing liquidated, and
    # no note that their data stop.
    close = {f"C{j}": [10.0 + j, 11.0 + j, nan, 12.0 + j, 13.0 + j] for j in range(6)}
    m = market(close)
    s = strategy(
        universe=indexlab.Universe(6, exclude=()), end=DATES[2], costs=indexlab.Costs(0, 0)
    )
    r = indexlab.run(s, m)
    assert r.liquidations.empty
    assert not any("stop" in note for note in r.notes)
    whole = indexlab.run(s.replace(end=None), m)
    np.testing.assert_allclose(r.equity["s"], whole.equity["s"].iloc[:3], rtol=1e-15)


def test_liquidations_are_data_stops_dated_the_day_after_the_last_close():
    close, cap = random_panel(7, 200, 8, gap_rate=0.05)
    m = panel_market(close, cap)
    s = strategy(universe=indexlab.Universe(5, exclude=()), rebalance=indexlab.Rebalance("weekly"))
    liq = indexlab.run(s, m).liquidations
    assert len(liq) > 0
    assert (
        pd.DatetimeIndex(liq["date"])
        == pd.DatetimeIndex(liq["last_valid_date"]) + pd.Timedelta(days=1)
    ).all()
    last = m.close.apply(lambda c: c.last_valid_index())
    assert (pd.DatetimeIndex(liq["last_valid_date"]) == pd.DatetimeIndex(last[liq["asset"]])).all()


# ---------------------------------------------------------------- item 2
def test_a_missing_day_never_triggers_a_drift_trade():
    # Equal weights, monthly, 10 % absolute drift, 100 bps. B has no close on day 2:
    # nothing has drifted, so nothing trades after the initial buy.
    m = market({"A": [10.0] * 5, "B": [10.0, 10.0, nan, 10.0, 10.0]})
    s = strategy(
        universe=indexlab.Universe(2, exclude=()),
        weighting=indexlab.Weighting("equal"),
        rebalance=indexlab.Rebalance("monthly", drift_threshold=0.1),
    )
    r = indexlab.run(s, m)
    assert len(r.trades) == 1
    np.testing.assert_allclose(r.equity["s"], 1 / 1.01, rtol=1e-14)


def test_drift_is_measured_against_the_targets_of_the_last_trade():
    # Market-cap weights, caps proportional to prices, so fresh targets drift with the
    # holdings and never differ from them. A doubles on day 2: held 2/3 against the
    # 1/2 set at the last trade, a breach of 0.1; the trade goes to fresh targets
    # (2/3, 1/3, already held: nothing to pay) and sets them. Day 4: B doubles, held
    # 1/2 against 1/3: a breach again.
    m = market(
        {"A": [10.0, 10.0, 20.0, 20.0, 20.0], "B": [10.0, 10.0, 10.0, 10.0, 20.0]},
        {"A": [1.0, 1.0, 2.0, 2.0, 2.0], "B": [1.0, 1.0, 1.0, 1.0, 2.0]},
    )
    s = strategy(
        universe=indexlab.Universe(2, exclude=()),
        rebalance=indexlab.Rebalance("monthly", drift_threshold=0.1),
        costs=indexlab.Costs(0, 0),
    )
    r = indexlab.run(s, m)
    assert r.trades["reason"].tolist() == ["scheduled", "drift", "drift"]
    assert list(r.trades.index) == [DATES[0], DATES[2], DATES[4]]
    np.testing.assert_allclose(r.trades["turnover"].iloc[1:], 0.0, atol=1e-15)


# ---------------------------------------------------------------- item 7
def test_one_way_turnover_of_a_rotation_the_initial_buy_and_a_move_to_cash():
    # Top 1 by cap: A, then B (a full rotation), then neither has a price on the
    # snapshot of day 2 (all to cash), then A again.
    m = market(
        {"A": [1.0, 1.0, 1.0, 1.0], "B": [1.0, 1.0, 1.0, 1.0]},
        {"A": [2.0, 1.0, nan, 2.0], "B": [1.0, 2.0, nan, 1.0]},
    )
    s = strategy(rebalance=indexlab.Rebalance("daily"), costs=indexlab.Costs(0, 0))
    trades = indexlab.run(s, m).trades
    np.testing.assert_allclose(trades["turnover"], [1.0, 1.0, 1.0, 1.0], rtol=1e-14)
    np.testing.assert_allclose(trades["turnover_two_way"], [1.0, 2.0, 1.0, 1.0], rtol=1e-14)


# ---------------------------------------------------------------- item 8
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_total_cost_is_the_share_of_wealth_the_costs_took(seed):
    # Equal weights, daily, 100 bps: the trades' targets do not depend on costs, so the
    # wealth lost to costs is exactly 1 - E_T / E_T(no costs). The old sum of
    # cost / value passed 100 % on such a strategy.
    close, cap = random_panel(seed, 300, 12, gap_rate=0.0)
    m = panel_market(close, cap)
    s = strategy(
        universe=indexlab.Universe(8, exclude=()),
        weighting=indexlab.Weighting("equal"),
        rebalance=indexlab.Rebalance("daily"),
    )
    with_costs = indexlab.run(s, m)
    free = indexlab.run(s.replace(costs=indexlab.Costs(0, 0)), m)
    lost = 1 - with_costs.equity["s"].iloc[-1] / free.equity["s"].iloc[-1]
    total = with_costs.metrics().loc["s", "total_cost"]
    assert total == pytest.approx(lost, rel=1e-9)
    assert 0 < total < 1


# ---------------------------------------------------------------- item 10
def test_default_benchmarks_absent_from_the_data_are_skipped_with_a_note():
    m = market({"BTCX": [1.0, 2.0, 3.0], "A": [1.0, 1.0, 1.0]})
    m = indexlab.Market.from_panels(
        m.close,
        m.market_cap,
        assets=pd.DataFrame({"symbol": ["BTC", "AAA"]}, index=["BTCX", "A"]),
        source="hand case",
    )
    s = indexlab.Strategy(name="s", universe=indexlab.Universe(1, exclude=()), lag_days=0)
    assert s.benchmarks_are_default
    r = indexlab.run(s, m)
    assert list(r.equity.columns) == ["s", "BTC"]
    assert any("default benchmark TRX" in note and "skipped" in note for note in r.notes)
    shipped = indexlab.Strategy.from_toml(ROOT / "strategies" / "top100-mcap-monthly.toml")
    assert indexlab.run(shipped.replace(start=None), m).equity.columns[-1] == "BTC"
    with pytest.raises(indexlab.SpecError, match="TRX"):
        indexlab.run(s.replace(benchmarks=("TRX",)), m)
