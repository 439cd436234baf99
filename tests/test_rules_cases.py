"""Hand-computed cases, one or more per index rule (docs/index-rules.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab.rules.schedule import schedule_positions
from indexlab.rules.selection import Review, select_members, warmup_streak
from indexlab.rules.weighting import bounded_weights
from indexlab.spec import (
    Exclusion,
    Measure,
    Rebalance,
    Reconstitution,
    Schedule,
    Universe,
    Weighting,
)


def review(caps, eligible=None, measure=None) -> Review:
    caps = np.asarray(caps, dtype=float)
    return Review(
        np.ones(len(caps), bool) if eligible is None else np.asarray(eligible),
        caps,
        caps if measure is None else np.asarray(measure, dtype=float),
    )


def members_of(rule: Universe, reviews: list[Review], always=None) -> list[list[int]]:
    members, _ = select_members(rule, reviews, always)
    return [list(np.flatnonzero(row)) for row in members]


# ---------------------------------------------------------------- selection
def test_market_cap_threshold_is_lower_for_members():
    # $10M to enter, $8M to stay: asset 1 enters at 12M, stays at 9M, leaves at 7M;
    # asset 2 at 9M never enters.
    rule = Universe(top_n=3, min_market_cap=10e6, min_market_cap_members=8e6)
    reviews = [review([50e6, 12e6, 9e6]), review([50e6, 9e6, 9e6]), review([50e6, 7e6, 9e6])]
    assert members_of(rule, reviews) == [[0, 1], [0, 1], [0]]


def test_seasoning_needs_k_consecutive_eligible_reviews():
    # Not waived at the first review: the count reaches back before it (the warm-up
    # streak). Assets 0 and 1 were eligible at the review before (streak 1), 2 and 3
    # were not. Review 0: 0 and 1 enter; 2 (streak 1 < k = 2) waits. Review 1: 2 drops
    # out, 3 appears (streak 1). Review 2: 3 enters (streak 2), 2 is back (streak 1).
    # Review 3: 2 enters.
    rule = Universe(top_n=5, seasoning_reviews=2)
    e = [[1, 1, 1, 0], [1, 1, 0, 1], [1, 1, 1, 1], [1, 1, 1, 1]]
    reviews = [review([9.0, 5.0, 4.0, 3.0], eligible=np.array(r, bool)) for r in e]
    members, _ = select_members(rule, reviews, streak=np.array([1, 1, 0, 0]))
    got = [list(np.flatnonzero(row)) for row in members]
    assert got == [[0, 1], [0, 1], [0, 1, 3], [0, 1, 2, 3]]


def test_warmup_streak_counts_reviews_before_the_run_and_before_the_data():
    # k = 3: two reviews before the first are wanted; one is in the data, one is not
    # (missing). Before the data an asset counts as eligible if it has a close on the
    # data's first day. Asset 0: listed, eligible before -> 2. Asset 1: listed, not
    # eligible at the review in the data -> 0. Asset 2: not listed on day 0 -> 0 + 1.
    rule = Universe(top_n=5, seasoning_reviews=3)
    before = [review([9.0, 5.0, 4.0], eligible=np.array([True, False, True]))]
    listed = np.array([True, True, False])
    streak = warmup_streak(rule, before, listed, missing=1)
    assert list(streak) == [2, 0, 1]


def test_seasoning_does_not_depend_on_the_start_date():
    # Monthly reviews, k = 2. C lists on Jan 10. Started on Jan 1, C is not seasoned on
    # Feb 1 (one eligible review) and enters on Mar 1. Started on Feb 1, the count
    # reaches back to Jan 1 (C not yet listed): the same members on Feb 1 and Mar 1.
    dates = pd.date_range("2020-12-01", "2021-03-05", freq="D")
    late = np.where(dates >= "2021-01-10", 1.0, np.nan)
    close = pd.DataFrame({"A": 1.0, "B": 1.0, "C": late}, index=dates)
    caps = pd.DataFrame({"A": 9.0, "B": 5.0, "C": 7.0 * late}, index=dates)
    market = indexlab.Market.from_panels(close, caps, source="hand case")

    def members(start: str) -> dict:
        s = indexlab.Strategy(
            name="s",
            universe=Universe(top_n=3, exclude=(), seasoning_reviews=2),
            rebalance=Rebalance("monthly"),
            costs=indexlab.Costs(0, 0),
            lag_days=0,
            start=pd.Timestamp(start),
            benchmarks=(),
        )
        weights = indexlab.run(s, market).weights
        return {d: sorted(weights.columns[weights.loc[d] > 0]) for d in weights.index}

    early, late_start = members("2021-01-01"), members("2021-02-01")
    assert early[pd.Timestamp("2021-02-01")] == ["A", "B"]
    assert early[pd.Timestamp("2021-03-01")] == ["A", "B", "C"]
    for day in ("2021-02-01", "2021-03-01"):
        assert late_start[pd.Timestamp(day)] == early[pd.Timestamp(day)]


def test_rank_band_coverage_and_max_n():
    caps = [50.0, 30.0, 10.0, 6.0, 4.0]  # shares 0.5, 0.3, 0.1, 0.06, 0.04
    assert members_of(Universe(rank_band=(2, 3)), [review(caps)]) == [[1, 2]]
    assert members_of(Universe(coverage=0.8), [review(caps)]) == [[0, 1]]
    assert members_of(Universe(coverage=0.81), [review(caps)]) == [[0, 1, 2]]
    assert members_of(Universe(coverage=0.95, max_n=3), [review(caps)]) == [[0, 1, 2]]
    assert members_of(Universe(coverage=0.4, min_n=2), [review(caps)]) == [[0, 1]]
    assert members_of(Universe(max_n=2), [review(caps)]) == [[0, 1]]


def test_rank_buffer_keeps_members_to_the_exit_rank():
    # N = 2, newcomers need rank <= 1, members stay while rank <= 3.
    rule = Universe(top_n=2, entry_rank=1, exit_rank=3)
    first = review([10.0, 9.0, 8.0, 7.0])  # members 0, 1
    second = review([10.0, 7.0, 8.0, 9.0])  # asset 1 falls to rank 4: out; rank 2 is asset 3
    third = review([7.5, 10.0, 9.0, 8.0])  # asset 0 at rank 4 out; 1 (rank 1) back as newcomer
    assert members_of(rule, [first, second, third]) == [[0, 1], [0, 3], [1, 3]]
    # A member exactly at the exit rank stays.
    at_exit = review([10.0, 6.0, 8.0, 7.0])  # asset 1 at rank 4 with exit 4
    assert members_of(Universe(top_n=2, entry_rank=1, exit_rank=4), [first, at_exit]) == [
        [0, 1],
        [0, 1],
    ]


def test_members_within_the_exit_rank_are_not_pushed_out_by_newcomers():
    # N = 2, exit rank 4 (entry rank N = 2). Members 0 and 1; at the next review asset
    # 2 is ranked 1, member 0 is 2nd and member 1 is 3rd: both members are within the
    # exit rank and stay; the newcomer has no free place. (Sorting the union by rank and
    # trimming would have pushed member 1 out.)
    rule = Universe(top_n=2, exit_rank=4)
    first = review([10.0, 9.0, 1.0, 0.5])
    second = review([8.0, 7.0, 12.0, 0.5])
    assert members_of(rule, [first, second]) == [[0, 1], [0, 1]]
    # When member 1 falls to rank 5 (outside the exit rank), the newcomer takes its place.
    third = review([8.0, 0.1, 12.0, 0.5, 0.4])
    fourth = review([10.0, 9.0, 1.0, 0.5, 0.45])
    assert members_of(rule, [fourth, third]) == [[0, 1], [0, 2]]


def test_replacement_ratio_buffer():
    # b = 10 %: a newcomer replaces the smallest member only if >= 1.1x larger.
    rule = Universe(top_n=2, replacement_ratio=0.1)
    first = review([10.0, 9.0, 5.0])
    slightly_larger = review([10.0, 9.0, 9.5])  # 9.5 < 1.1 * 9: no change
    much_larger = review([10.0, 9.0, 9.9])  # 9.9 >= 9.9: replaces asset 1
    assert members_of(rule, [first, slightly_larger, much_larger]) == [[0, 1], [0, 1], [0, 2]]


def test_fixed_weight_assets_are_members_outside_the_count():
    always = np.array([False, False, True])
    assert members_of(Universe(top_n=1), [review([10.0, 9.0, 1.0])], always) == [[0, 2]]


# ---------------------------------------------------------------- weights
def test_power_two_tier_caps_and_floors_by_hand():
    # CoinDesk-20-like: the largest capped at 30 %, the rest at 20 %.
    raw = np.array([[0.6, 0.2, 0.1, 0.05, 0.05]])
    w, ok = bounded_weights(raw, cap=0.2, cap_largest=0.3)
    # 0.3 and 0.2 fixed; 0.5 left for raw 0.1, 0.05, 0.05 -> 0.25, 0.125, 0.125 -> the
    # first is capped at 0.2, leaving 0.3 for the last two: 0.15 each.
    np.testing.assert_allclose(w[0], [0.3, 0.2, 0.2, 0.15, 0.15], rtol=1e-14)
    assert ok.all()
    # Bloomberg-Galaxy-like: 35 % cap, 1 % floor.
    raw = np.array([[0.7, 0.25, 0.045, 0.0005]])
    w, ok = bounded_weights(raw, cap=0.35, floor=0.01)
    # The two largest are capped (0.70 in all); 0.30 is left for 0.045 and 0.0005: scale 6.59,
    # so the smallest would get 0.0033 < 1 %: it is floored at 0.01, leaving 0.29 to 0.045.
    np.testing.assert_allclose(w[0], [0.35, 0.35, 0.29, 0.01], rtol=1e-12)
    w, ok = bounded_weights(np.array([[0.7, 0.25, 0.045, 0.005]]), cap=0.35, floor=0.01)
    np.testing.assert_allclose(w[0], [0.35, 0.35, 0.27, 0.03], rtol=1e-12)  # above the floor
    # Infeasible: 4 x 0.2 < 1 -> equal weights, reported.
    w, ok = bounded_weights(np.array([[0.4, 0.3, 0.2, 0.1]]), cap=0.2)
    np.testing.assert_allclose(w[0], 0.25)
    assert not ok[0]


def test_bounded_weights_match_the_iterative_literal_cap_on_many_rows():
    from reference_loop import cap_literal

    rng = np.random.default_rng(3)
    for _ in range(2000):
        n = int(rng.integers(1, 40))
        raw = rng.pareto(1.0, n) + 1e-4
        raw /= raw.sum()
        cap = float(rng.uniform(0.02, 1.0))
        w, ok = bounded_weights(raw[None, :], cap=cap)
        if n * cap < 1:
            assert not ok[0]
            continue
        literal = cap_literal(dict(enumerate(raw)), cap)
        np.testing.assert_allclose(w[0], [literal[i] for i in range(n)], rtol=1e-9, atol=1e-15)
        assert w[0].sum() == pytest.approx(1.0, rel=1e-12)


# ---------------------------------------------------------------- schedules
DATES = pd.date_range("2021-01-01", "2021-12-31", freq="D")


def on(schedule: Schedule) -> list[str]:
    return list(DATES[schedule_positions(DATES, schedule)].strftime("%m-%d"))


def test_schedules_by_hand():
    assert on(Schedule("quarterly")) == ["01-01", "04-01", "07-01", "10-01"]
    assert on(Schedule("quarterly", anchor="last")) == ["01-01", "03-31", "06-30", "09-30", "12-31"]
    feb = on(Schedule("monthly", anchor="day", day=31))
    assert feb[:4] == ["01-01", "01-31", "02-28", "03-31"]
    assert on(Schedule("quarterly", anchor="day", day=15)) == [
        "01-01",
        "01-15",
        "04-15",
        "07-15",
        "10-15",
    ]
    weekly = on(Schedule("weekly", weekday="friday"))
    assert weekly[:3] == ["01-01", "01-08", "01-15"]  # 2021-01-01 was a Friday
    assert on(Schedule("weekly"))[:3] == ["01-01", "01-04", "01-11"]  # Mondays
    assert on(
        Schedule("dates", dates=(pd.Timestamp("2021-03-03"), pd.Timestamp("2022-01-01")))
    ) == [
        "01-01",
        "03-03",
    ]
    assert on(Schedule("none")) == ["01-01"]


# ---------------------------------------------------------------- end to end
def small_market(close: dict, caps: dict, volume: dict | None = None, **kwargs) -> indexlab.Market:
    n = len(next(iter(close.values())))
    index = pd.date_range("2021-01-01", periods=n, freq="D")
    return indexlab.Market.from_panels(
        pd.DataFrame(close, index=index),
        pd.DataFrame(caps, index=index),
        None if volume is None else pd.DataFrame(volume, index=index),
        source="hand case",
        **kwargs,
    )


def run(market, **kwargs) -> indexlab.Result:
    base = {"name": "s", "lag_days": 0, "benchmarks": ()}
    base.update(kwargs)
    return indexlab.run(indexlab.Strategy(**base), market)


def test_dated_exclusions_by_tag_and_from_a_date(tmp_path):
    # 'usd' is a stablecoin only from 2021-01-03 (a tag file), 'big' excluded from
    # 2021-01-04 (the exclusion's own date). Daily rebalancing, top 1.
    n = 5
    m = small_market(
        {"usd": [1.0] * n, "big": [2.0] * n, "mid": [3.0] * n},
        {"usd": [100.0] * n, "big": [50.0] * n, "mid": [10.0] * n},
    )
    tags = tmp_path / "tags.csv"
    tags.write_text("asset,tags,effective_from\nusd,stablecoin,2021-01-03\n")
    rule = Universe(
        top_n=1,
        exclude=("stablecoin", Exclusion("big", pd.Timestamp("2021-01-04"))),
        tags_file=str(tags),
    )
    r = run(m, universe=rule, rebalance=Rebalance("daily"))
    held = r.weights.idxmax(axis=1)
    assert list(held) == ["usd", "usd", "big", "mid", "mid"]


def test_volume_and_age_screens():
    n = 10
    m = small_market(
        {"a": [1.0] * n, "b": [1.0] * n, "c": [np.nan] * 6 + [1.0] * 4},
        {"a": [100.0] * n, "b": [90.0] * n, "c": [200.0] * n},
        {"a": [1.0] * n, "b": [50.0] * n, "c": [50.0] * n},
    )
    # a trades $1 a day (median over 5 days < $10): out; c listed on day 6: too young.
    rule = Universe(top_n=1, min_volume=10.0, volume_window_days=5, min_age_days=5)
    r = run(m, universe=rule, rebalance=Rebalance("daily"), start=m.dates[5])
    assert set(r.weights.idxmax(axis=1)) == {"b"}
    # Relative: b's volume / cap = 0.55 and c's 0.25; a's 0.01.
    r = run(m, universe=Universe(top_n=1, min_volume_ratio=0.3), start=m.dates[7])
    assert set(r.weights.columns) == {"b"}


def test_smoothed_ranking_and_a_separate_weighting_measure():
    # On the last day 'spiky' jumps above 'steady'; a 3-day average still ranks steady
    # first. Weights by the day's market cap.
    m = small_market(
        {"steady": [1.0] * 4, "spiky": [1.0] * 4, "small": [1.0] * 4},
        {"steady": [100.0] * 4, "spiky": [40.0, 40.0, 40.0, 130.0], "small": [10.0] * 4},
    )
    sma = run(m, universe=Universe(top_n=1), ranking=Measure("market_cap_sma", 3), start=m.dates[3])
    spot = run(m, universe=Universe(top_n=1), start=m.dates[3])
    assert list(sma.weights.columns) == ["steady"] and list(spot.weights.columns) == ["spiky"]
    both = run(
        m,
        universe=Universe(top_n=2),
        ranking=Measure("market_cap_sma", 3),
        start=m.dates[3],
        weighting=Weighting("market_cap"),
    )
    np.testing.assert_allclose(
        both.weights.loc[m.dates[3], ["steady", "spiky"]], [100 / 230, 130 / 230]
    )


def test_fixed_weights_and_weights_file(tmp_path):
    m = small_market(
        {"a": [1.0] * 3, "b": [1.0] * 3, "c": [1.0] * 3},
        {"a": [60.0] * 3, "b": [30.0] * 3, "c": [10.0] * 3},
    )
    r = run(m, universe=Universe(top_n=2), weighting=Weighting("market_cap", fixed={"c": 0.5}))
    # c at 50 %; a and b share the other half by market cap: 1/3 and 1/6.
    np.testing.assert_allclose(r.weights.iloc[0][["a", "b", "c"]], [1 / 3, 1 / 6, 0.5])
    path = tmp_path / "w.csv"
    path.write_text("date,asset,weight\n2021-01-01,a,0.2\n2021-01-01,c,0.7\n2021-01-02,b,1.0\n")
    r = run(m, weighting=Weighting("file", weights_file=str(path)), rebalance=Rebalance("daily"))
    np.testing.assert_allclose(
        r.weights.loc[m.dates[0]].reindex(["a", "b", "c"]).fillna(0), [0.2, 0, 0.7]
    )
    np.testing.assert_allclose(
        r.weights.loc[m.dates[2]].reindex(["a", "b", "c"]).fillna(0), [0, 1, 0]
    )
    path.write_text("date,asset,weight\n2021-01-01,a,0.8\n2021-01-01,b,0.7\n")
    with pytest.raises(indexlab.DataError, match="weights of 2021-01-01 add up to 1.5 > 1"):
        run(m, weighting=Weighting("file", weights_file=str(path)))


def test_reconstitution_quarterly_with_monthly_weights():
    # Membership is reviewed on 01-01 and 04-01 only: b overtakes a on 02-01 but stays
    # out until April; weights reset monthly among the members.
    dates = pd.date_range("2021-01-01", "2021-04-02", freq="D")
    caps_b = np.where(dates >= "2021-01-20", 120.0, 50.0)
    m = indexlab.Market.from_panels(
        pd.DataFrame({"a": 1.0, "b": 1.0, "c": 1.0}, index=dates),
        pd.DataFrame({"a": 100.0, "b": caps_b, "c": 80.0}, index=dates),
        source="hand case",
    )
    r = run(
        m,
        universe=Universe(top_n=2),
        rebalance=Rebalance("monthly"),
        reconstitution=Reconstitution("quarterly"),
    )
    assert list(r.trades.index.strftime("%m-%d")) == ["01-01", "02-01", "03-01", "04-01"]
    assert set(r.weights.loc["2021-03-01"][lambda w: w > 0].index) == {"a", "c"}
    assert set(r.weights.loc["2021-04-01"][lambda w: w > 0].index) == {"a", "b"}


def test_drift_threshold_trades_when_a_weight_drifts_too_far():
    # Equal weights, no calendar after day 0. a rises 10 % a day: its weight is
    # 0.5 * 1.1^k / (0.5 * 1.1^k + 0.5); it passes 0.5 + 0.05 on day 3 (0.5707 > 0.55,
    # day 2: 0.5475), so the portfolio trades back to 50/50 on day 3.
    prices = [1.1**k for k in range(6)]
    m = small_market({"a": prices, "b": [1.0] * 6}, {"a": [9.0] * 6, "b": [8.0] * 6})
    r = run(
        m,
        universe=Universe(top_n=2),
        weighting=Weighting("equal"),
        rebalance=Rebalance("none", drift_threshold=0.05),
    )
    assert list(r.trades.index.strftime("%d")) == ["01", "04"]
    assert list(r.trades["reason"]) == ["scheduled", "drift"]
    # Relative: |w / 0.5 - 1| > 0.05 once w > 0.525: day 1 (0.5238) no, day 2 yes.
    r = run(
        m,
        universe=Universe(top_n=2),
        weighting=Weighting("equal"),
        rebalance=Rebalance("none", drift_threshold=0.05, drift_mode="relative"),
    )
    assert list(r.trades.index.strftime("%d")) == ["01", "03", "05"]


def test_risk_off_to_cash_and_back_with_costs(tmp_path):
    # Bearish dated 01-03 is traded at the close of 01-04 (lag 1): sold at 15 with a
    # 1 % fee; bullish dated 01-05 buys back at the 01-06 close (15), fee again; then
    # the price goes to 20.
    m = small_market({"a": [10.0, 10.0, 12.0, 15.0, 15.0, 15.0, 20.0]}, {"a": [5.0] * 7})
    path = tmp_path / "signal.csv"
    path.write_text("date,asset,signal\n2021-01-03,a,bearish\n2021-01-05,a,bullish\n")
    r = run(
        m,
        universe=Universe(top_n=1),
        costs=indexlab.Costs(fee_bps=100, slippage_bps=0),
        lag_days=1,
        risk_off=indexlab.spec.RiskOff("a", signal_file=str(path)),
    )
    # Buying from cash: V' = V / (1 + c); selling everything: V' = V - c V = V (1 - c).
    buy, sell = 1 / 1.01, 0.99
    out = 1.5 * buy * sell
    expected = [buy, 1.2 * buy, out, out, out * buy, out * buy * 20 / 15]
    np.testing.assert_allclose(r.equity["s"], expected, rtol=1e-12)
    assert list(r.trades["reason"]) == ["scheduled", "risk-off", "risk-on"]
    assert list(r.trades.index.strftime("%d")) == ["02", "04", "06"]
    assert r.trades["cost"].iloc[1] == pytest.approx(1.5 * buy * 0.01)
