"""Flip analytics and the exposure function: hand-computed cases, the engine's cost
convention, metamorphic properties and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexlab import DataError, SpecError
from indexlab.signals import analyze_flips, exposure, follow_equity, parse_rule, post_trade_value

DATES = pd.date_range("2024-01-01", periods=10, freq="D", name="date")
PRICE = pd.Series([10, 11, 12, 9, 8, 6, 7, 9, 11, 14], index=DATES, dtype=float, name="X")
SIGNAL = pd.Series([1, 1, 1, -1, -1, 1, 1, 0, 0, 0], index=DATES, dtype=float)
C = 0.001  # 10 bps


def day(k: int) -> pd.Timestamp:
    return DATES[k]


# ---------------------------------------------------------------- the flip table
def test_flip_table_by_hand_with_lag_1():
    a = analyze_flips(PRICE, SIGNAL, lag_days=1, fee_bps=10, slippage_bps=0)
    f = a.flips
    # Held after the close of t: the signal of t - 1, so rows 1.. are known.
    assert list(f["date"]) == [day(1), day(4), day(6), day(8)]
    assert list(f["signal_date"]) == [day(0), day(3), day(5), day(7)]
    assert list(f["direction"]) == ["bullish", "bearish", "bullish", "neutral"]
    assert f["previous"].isna().iloc[0] and list(f["previous"].iloc[1:]) == [
        "bullish",
        "bearish",
        "bullish",
    ]
    assert list(f["price"]) == [11, 8, 7, 11]
    assert list(f["next_price"].iloc[:3]) == [8, 7, 11] and np.isnan(f["next_price"].iloc[3])
    assert list(f["next_date"].iloc[:3]) == [day(4), day(6), day(8)] and pd.isna(
        f["next_date"].iloc[3]
    )
    np.testing.assert_allclose(f["return"], [8 / 11 - 1, 7 / 8 - 1, 11 / 7 - 1, 14 / 11 - 1])
    assert list(f["days"]) == [3, 2, 2, 1]
    # Inside the segment, from its own start: 11, 12, 9, 8 -> 8 / 12 - 1; 8, 6, 7 -> 6 / 8 - 1.
    np.testing.assert_allclose(f["max_drawdown"], [8 / 12 - 1, 6 / 8 - 1, 0, 0])
    assert list(f["open"]) == [False, False, False, True]
    assert a.return_since_last_flip == pytest.approx(14 / 11 - 1)
    assert a.current_signal == "neutral" and a.pending is None
    # Hits: the first bullish fell, the bearish fell, the second bullish rose.
    assert a.hit_rate == pytest.approx(2 / 3)
    stats = a.segment_stats()
    assert stats.loc["bullish", ["segments", "hits"]].tolist() == [2, 1]
    assert stats.loc["bullish", "mean_return"] == pytest.approx(((8 / 11 - 1) + (11 / 7 - 1)) / 2)
    assert stats.loc["bullish", "median_return"] == pytest.approx(((8 / 11 - 1) + (11 / 7 - 1)) / 2)
    assert stats.loc["bearish", ["segments", "hits", "hit_rate"]].tolist() == [1, 1, 1.0]
    assert stats.loc["bearish", "mean_days"] == 2
    assert stats.loc["neutral", "segments"] == 0  # the open segment is left out
    assert stats.loc["all", "hit_rate"] == pytest.approx(2 / 3)
    assert a.price.index[0] == day(1) and "analysis starts on 2024-01-02" in a.notes[0]


def test_a_segment_that_ends_where_it_began_is_no_hit():
    price = pd.Series([5, 6, 5, 4, 4, 4], index=DATES[:6], dtype=float)
    signal = pd.Series([1, 1, -1, -1, 1, 1], index=DATES[:6], dtype=float)
    a = analyze_flips(price, signal, lag_days=0)
    # Bullish 5 -> 5 (flat: not a hit), bearish 5 -> 4 (a hit), bullish open.
    assert list(a.flips["return"].iloc[:2]) == [0.0, 4 / 5 - 1]
    assert a.hit_rate == 0.5
    assert a.segment_stats().loc["bullish", "hits"] == 0


def test_lag_0_trades_at_the_close_of_the_signal():
    a = analyze_flips(PRICE, SIGNAL, lag_days=0, fee_bps=0, slippage_bps=0)
    assert list(a.flips["date"]) == [day(0), day(3), day(5), day(7)]
    assert list(a.flips["signal_date"]) == list(a.flips["date"])
    assert list(a.flips["price"]) == [10, 9, 6, 9]
    np.testing.assert_allclose(a.flips["return"], [9 / 10 - 1, 6 / 9 - 1, 9 / 6 - 1, 14 / 9 - 1])


def test_each_signal_date_first_moves_the_position_lag_days_later():
    for lag in range(4):
        a = analyze_flips(PRICE, SIGNAL, lag_days=lag, fee_bps=0, slippage_bps=0)
        flips_dated = SIGNAL.index[SIGNAL.diff().fillna(1) != 0]
        executed = a.flips["date"].iloc[1:]
        assert list(executed) == [
            d + pd.Timedelta(days=lag)
            for d in flips_dated[1:]
            if d + pd.Timedelta(days=lag) <= DATES[-1]
        ]


def test_pending_flip_and_as_of():
    signal = SIGNAL.copy()
    signal.iloc[9] = -1.0  # dated the last day: traded only at the close of the next
    a = analyze_flips(PRICE, signal, lag_days=1)
    assert a.current_signal == "bearish"
    assert a.flips["direction"].iloc[-1] == "neutral"
    assert a.pending["signal_date"] == day(9) and a.pending["direction"] == "bearish"
    assert a.pending["date"] == day(9) + pd.Timedelta(days=1)
    early = analyze_flips(PRICE, signal, lag_days=1, end=day(5))
    assert early.as_of == day(5) and list(early.flips["date"]) == [day(1), day(4)]
    assert early.return_since_last_flip == pytest.approx(6 / 8 - 1)
    assert early.pending["direction"] == "bullish"  # signal of day 5, traded on day 6


def test_sparse_signal_holds_and_may_start_before_the_price():
    sparse = pd.Series([1.0, -1.0], index=[pd.Timestamp("2023-12-01"), day(4)])
    a = analyze_flips(PRICE, sparse, lag_days=1, fee_bps=0, slippage_bps=0)
    assert a.price.index[0] == day(0)  # the value of 2023-12-01 is in force from the start
    assert list(a.flips["date"]) == [day(0), day(5)]
    assert list(a.flips["direction"]) == ["bullish", "bearish"]


def test_gaps_are_valued_at_the_last_close_and_the_life_bounds_the_analysis():
    price = PRICE.copy()
    price.iloc[[0, 6, 9]] = [np.nan, np.nan, -1.0]  # before listing, a gap, after the last close
    a = analyze_flips(price, SIGNAL, lag_days=1, fee_bps=0, slippage_bps=0)
    assert a.price.index[0] == day(1) and a.price.index[-1] == day(8)
    assert a.price.loc[day(6)] == 6.0  # the gap at the close before it
    assert a.flips["price"].iloc[2] == 6.0  # a flip traded in the gap, at the last close
    assert any("1 day(s) without a valid close" in n for n in a.notes)


def test_segment_returns_chain_to_the_whole_move_and_scaling_changes_nothing():
    rng = np.random.default_rng(3)
    price = pd.Series(
        np.exp(np.cumsum(rng.normal(0, 0.05, 400))), index=pd.date_range("2020-01-01", periods=400)
    )
    signal = parse_rule("sma-cross:5,20")(price)
    a = analyze_flips(price, signal, lag_days=1)
    assert np.prod(1 + a.flips["return"]) == pytest.approx(a.price.iloc[-1] / a.price.iloc[0])
    assert (a.flips["next_date"].iloc[:-1].to_numpy() == a.flips["date"].iloc[1:].to_numpy()).all()
    scaled = analyze_flips(price * 1000, signal, lag_days=1)
    pd.testing.assert_series_equal(a.flips["return"], scaled.flips["return"])
    pd.testing.assert_frame_equal(a.equity, scaled.equity)
    # Without costs, following long-only compounds exactly the bullish segments.
    free = analyze_flips(price, signal, lag_days=1, fee_bps=0, slippage_bps=0)
    bullish = free.flips[free.flips["direction"] == "bullish"]
    assert free.equity["signal"].iloc[-1] == pytest.approx(np.prod(1 + bullish["return"]))


# ---------------------------------------------------------------- following, with costs
def test_following_long_only_with_costs_by_hand():
    a = analyze_flips(PRICE, SIGNAL, lag_days=1, fee_bps=7, slippage_bps=3)
    v1 = 1 / (1 + C)  # buy at 11 from cash: V' = 1 / (1 + c)
    v4 = v1 * 8 / 11 * (1 - C)  # sell at 8: V' = V (1 - c)
    v6 = v4 / (1 + C)  # buy at 7
    v8 = v6 * 11 / 7 * (1 - C)  # sell at 11 (neutral)
    expected = [v1, v1 * 12 / 11, v1 * 9 / 11, v4, v4, v6, v6 * 9 / 7, v8, v8]
    np.testing.assert_allclose(a.equity["signal"].to_numpy(), expected, rtol=1e-13)
    np.testing.assert_allclose(
        a.equity["buy_and_hold"].to_numpy(), PRICE.iloc[1:] / 11 / (1 + C), rtol=1e-13
    )
    assert list(a.trades["date"]) == [day(1), day(4), day(6), day(8)]
    np.testing.assert_allclose(
        a.trades["cost"], [1 - v1, v1 * 8 / 11 * C, v4 - v6, v6 * 11 / 7 * C], rtol=1e-12
    )
    assert list(a.exposure) == [1, 1, 1, 0, 0, 1, 1, 0, 0]
    m = a.metrics()
    assert m.loc["signal", "n_trades"] == 4 and m.loc["buy_and_hold", "n_trades"] == 1
    assert m.loc["signal", "total_return"] == pytest.approx(v8 - 1)


def test_following_long_short_with_costs_by_hand():
    a = analyze_flips(PRICE, SIGNAL, lag_days=1, fee_bps=10, slippage_bps=0, short=True)
    v1 = 1 / (1 + C)
    value4 = v1 * 8 / 11
    short4 = value4 * (1 - C) / (1 + C)  # long -> short: sell 2x the position's size
    # The short holds constant units: value = 2 V' - V' P / 8 until it is covered.
    value6 = short4 * (2 - 7 / 8)
    long6 = (value6 - C * short4 * 7 / 8) / (1 + C)  # cover the short and buy
    v8 = long6 * 11 / 7 * (1 - C)
    expected = [
        v1,
        v1 * 12 / 11,
        v1 * 9 / 11,
        short4,
        short4 * (2 - 6 / 8),
        long6,
        long6 * 9 / 7,
        v8,
        v8,
    ]
    np.testing.assert_allclose(a.equity["signal"].to_numpy(), expected, rtol=1e-13)
    assert list(a.exposure) == [1, 1, 1, -1, -1, 1, 1, 0, 0]
    assert a.assumptions()["Following"].startswith("long when bullish, short when bearish")


def test_short_from_cash_and_back_to_cash_by_hand():
    price = pd.Series([10, 8, 6, 9], index=DATES[:4], dtype=float)
    signal = pd.Series([-1, -1, 0, 0], index=DATES[:4], dtype=float)
    a = analyze_flips(price, signal, lag_days=0, fee_bps=10, slippage_bps=0, short=True)
    short = 1 / (1 + C)  # sell short from cash: V' = V - c V'
    covered = short * (2 - 6 / 10) - C * short * 6 / 10  # buy back 0.6 V' of notional
    np.testing.assert_allclose(
        a.equity["signal"], [short, short * 1.2, covered, covered], rtol=1e-13
    )
    assert a.trades["traded_notional"].tolist() == pytest.approx([short, short * 0.6])


def test_a_short_that_loses_everything_stays_at_zero():
    price = pd.Series([10, 10, 15, 25, 30, 5], index=DATES[:6], dtype=float)
    signal = pd.Series([-1, -1, -1, -1, 1, 1], index=DATES[:6], dtype=float)
    a = analyze_flips(price, signal, lag_days=0, fee_bps=0, slippage_bps=0, short=True)
    # Short at 10 with 1: value 2 - P / 10 -> 1, 0.5, -0.5: wiped out on day 3.
    np.testing.assert_allclose(a.equity["signal"].to_numpy(), [1, 1, 0.5, 0, 0, 0])
    assert any("lost the whole equity on 2024-01-04" in n for n in a.notes)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.01, 100.0),
    st.floats(-100.0, 100.0),
    st.sampled_from([-1.0, 0.0, 1.0]),
    st.floats(0.0, 0.3),
)
def test_the_cost_solution_for_one_asset_long_flat_or_short(value, holding, weight, rate):
    """The engine's solver of V' = V - c |V' w - h| (DESIGN section 3), which signals
    use too, equals the closed form for one asset: the root of whichever linear branch
    satisfies its own sign condition."""
    value = value + max(0.0, -holding)  # a value that can carry the holding
    ours = post_trade_value(value, holding, weight, rate)
    rising = (value + rate * holding) / (1.0 + rate * weight)  # branch x w - h >= 0
    closed = (
        rising
        if rising * weight - holding >= 0
        else ((value - rate * holding) / (1.0 - rate * weight))
    )
    assert ours == pytest.approx(closed, rel=1e-12, abs=1e-14)
    assert ours == pytest.approx(value - rate * abs(ours * weight - holding), rel=1e-12, abs=1e-14)


def test_follow_equity_without_costs_compounds_the_exposure():
    rng = np.random.default_rng(0)
    prices = np.exp(np.cumsum(rng.normal(0, 0.03, 300)))
    weights = (rng.random(300) < 0.5).astype(float)
    equity, _, ruin = follow_equity(prices, weights, 0.0)
    expected = np.cumprod(
        np.concatenate(([1.0], 1 + weights[:-1] * (prices[1:] / prices[:-1] - 1)))
    )
    np.testing.assert_allclose(equity, expected, rtol=1e-12)
    assert ruin is None


# ---------------------------------------------------------------- no look-ahead
@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(40, 150), st.integers(0, 3), st.booleans())
def test_no_look_ahead_in_the_analysis(seed, cut, lag, short):
    """The analysis as of day d (end=d) equals the analysis of data that stop at d, and
    changing prices after d changes no flip, signal or equity up to d."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=200)
    price = pd.Series(np.exp(np.cumsum(rng.normal(0, 0.04, 200))), index=index)
    changed = price.copy()
    changed.iloc[cut + 1 :] *= np.exp(rng.normal(0, 0.3, 200 - cut - 1))
    rule = parse_rule("sma-cross:3,12")
    d = index[cut]
    full = analyze_flips(price, rule(price), lag_days=lag, short=short, end=d)
    other = analyze_flips(changed, rule(changed), lag_days=lag, short=short, end=d)
    cut_data = analyze_flips(price.loc[:d], rule(price.loc[:d]), lag_days=lag, short=short)
    for a in (other, cut_data):
        pd.testing.assert_frame_equal(full.flips, a.flips)
        pd.testing.assert_frame_equal(full.equity, a.equity)
        assert full.return_since_last_flip == a.return_since_last_flip
    # Closed segments of the whole history that end by d are those of the analysis as of d.
    whole = analyze_flips(price, rule(price), lag_days=lag, short=short)
    done = whole.flips[whole.flips["next_date"] <= d]
    pd.testing.assert_frame_equal(done, full.closed.loc[done.index])


# ---------------------------------------------------------------- exposure (item 4)
def test_exposure_by_hand():
    index = pd.date_range("2024-01-01", periods=8)
    signal = pd.Series([np.nan, 1, 1, -1, 0, np.nan, 1, -1], index=index)
    # Held: the last value on or before t - 2.
    assert exposure(signal, 2).tolist() == [0, 0, 0, 1, 1, 0, 0, 0]
    assert exposure(signal, 2, short=True).tolist() == [0, 0, 0, 1, 1, -1, 0, 0]
    assert exposure(signal, 0, short=True).tolist() == [0, 1, 1, -1, 0, 0, 1, -1]
    words = signal.map({1: "bullish", -1: "bearish", 0: "neutral"})
    pd.testing.assert_series_equal(exposure(words, 1), exposure(signal, 1))
    frame = pd.DataFrame({"a": signal, "b": -signal})
    both = exposure(frame, 1, short=True)
    pd.testing.assert_series_equal(both["b"], exposure(-signal, 1, short=True).rename("b"))
    assert both.dtypes.eq(np.float64).all() and not both.isna().any().any()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from([1.0, -1.0, 0.0, np.nan]), min_size=1, max_size=40),
    st.integers(0, 5),
    st.booleans(),
)
def test_a_signal_dated_t_first_changes_the_exposure_at_t_plus_lag(values, lag, short):
    index = pd.date_range("2024-01-01", periods=len(values))
    signal = pd.Series(values, index=index)
    got = exposure(signal, lag, short=short)
    held = signal.ffill()
    for t in range(len(values)):
        source = held.iloc[t - lag] if t - lag >= 0 else np.nan
        want = 0.0 if np.isnan(source) else (source if short or source >= 0 else 0.0)
        assert got.iloc[t] == want
    # Changing the signal on day s changes nothing before s + lag.
    s = len(values) // 2
    flipped = signal.copy()
    flipped.iloc[s] = 1.0 if flipped.iloc[s] != 1.0 else -1.0
    other = exposure(flipped, lag, short=short)
    pd.testing.assert_series_equal(got.iloc[: s + lag], other.iloc[: s + lag])


def test_exposure_and_analysis_errors():
    index = pd.date_range("2024-01-01", periods=3)
    with pytest.raises(SpecError, match="contiguous daily calendar"):
        exposure(pd.Series([1, 1], index=index[[0, 2]]))
    with pytest.raises(SpecError, match=r"'up' is not a signal value"):
        exposure(pd.Series(["up", "bullish", "bullish"], index=index))
    with pytest.raises(SpecError, match="lag_days: must be a whole number of days >= 0, got -1"):
        exposure(pd.Series([1, 1, 1], index=index), -1)
    with pytest.raises(SpecError, match="fee_bps: must be in"):
        analyze_flips(PRICE, SIGNAL, fee_bps=-1)
    with pytest.raises(DataError, match="the signal is known on no date"):
        analyze_flips(PRICE, pd.Series([1.0], index=[day(9)]), lag_days=1)
    with pytest.raises(DataError, match="no valid price on or before"):
        analyze_flips(PRICE, SIGNAL, end="2023-12-01")
    with pytest.raises(DataError, match="no valid price from 2024-02-01"):
        analyze_flips(PRICE, SIGNAL, start="2024-02-01")
