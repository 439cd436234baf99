"""Built-in signals: hand-computed values, a slow reference loop, no look-ahead, and
precise errors for bad rule specs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import indexlab
from indexlab import SpecError
from indexlab.signals import Rule, above_sma, momentum, parse_rule, sma_cross

DATES = pd.date_range("2024-01-01", periods=8, freq="D")


def series(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=DATES[: len(values)], name="x")


def test_sma_cross_by_hand():
    close = series([1, 2, 3, 2, 1, 1, 4, 5])
    # SMA2: -, 1.5, 2.5, 2.5, 1.5, 1, 2.5, 4.5 ; SMA3: -, -, 2, 2.333, 2, 1.333, 2, 3.333
    expected = [np.nan, np.nan, 1, 1, -1, -1, 1, 1]
    np.testing.assert_array_equal(sma_cross(close, 2, 3).to_numpy(), expected)


def test_momentum_by_hand():
    close = series([1, 2, 3, 2, 2, 1, 4, 5])
    # close_t against close_{t-2}: 3>1, 2=2, 2<3, 1<2, 4>2, 5>1
    expected = [np.nan, np.nan, 1, 0, -1, -1, 1, 1]
    np.testing.assert_array_equal(momentum(close, 2).to_numpy(), expected)


def test_above_sma_by_hand():
    close = series([3, 1, 2, 2, 5, 1])
    # SMA3: -, -, 2, 1.667, 3, 2.667
    expected = [np.nan, np.nan, 0, 1, 1, -1]
    np.testing.assert_array_equal(above_sma(close, 3).to_numpy(), expected)


def test_a_gap_counts_at_the_last_close_and_a_flat_price_is_neutral():
    with_gap = series([1, 2, np.nan, 0.0, 5, 6])  # a zero close is invalid too
    filled = series([1, 2, 2, 2, 5, 6])
    for rule in (parse_rule("sma-cross:2,3"), parse_rule("momentum:2"), parse_rule("above-sma:3")):
        pd.testing.assert_series_equal(rule(with_gap), rule(filled))
    flat = series([7.1] * 8)
    assert (sma_cross(flat, 2, 5).dropna() == 0).all()
    assert (above_sma(flat, 3).dropna() == 0).all()
    assert (momentum(flat, 3).dropna() == 0).all()


def reference(close: np.ndarray, name: str, params: tuple[int, ...]) -> np.ndarray:
    """A slow loop over days, straight from the definitions in the rules' docstring."""
    prices = pd.Series(close).ffill().to_numpy()
    out = np.full(len(prices), np.nan)

    def mean_of_last(t: int, n: int) -> float:
        window = prices[t - n + 1 : t + 1]
        return np.nan if t - n + 1 < 0 or np.isnan(window).any() else float(np.mean(window))

    for t in range(len(prices)):
        if name == "sma-cross":
            left, right = mean_of_last(t, params[0]), mean_of_last(t, params[1])
        elif name == "momentum":
            left = prices[t]
            right = prices[t - params[0]] if t - params[0] >= 0 else np.nan
        else:
            left, right = prices[t], mean_of_last(t, params[0])
        if not (np.isnan(left) or np.isnan(right)):
            out[t] = 0.0 if abs(left - right) <= 1e-12 * abs(right) else np.sign(left - right)
    return out


prices_strategy = st.lists(
    st.one_of(st.floats(0.5, 50.0), st.just(np.nan)), min_size=2, max_size=80
)
rules_strategy = st.sampled_from(
    [
        ("sma-cross", (2, 5)),
        ("sma-cross", (1, 3)),
        ("momentum", (1,)),
        ("momentum", (4,)),
        ("above-sma", (3,)),
        ("above-sma", (1,)),
    ]
)


@settings(max_examples=60, deadline=None)
@given(prices_strategy, rules_strategy)
def test_rules_match_a_slow_loop(values, rule):
    close = pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values)))
    got = Rule(*rule)(close).to_numpy()
    np.testing.assert_array_equal(got, reference(np.asarray(values), *rule))


@settings(max_examples=60, deadline=None)
@given(prices_strategy, rules_strategy, st.data())
def test_changing_prices_after_t_changes_no_signal_up_to_t(values, rule, data):
    close = pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values)))
    t = data.draw(st.integers(0, len(values) - 1))
    changed = close.copy()
    after = len(values) - t - 1
    changed.iloc[t + 1 :] = data.draw(
        st.lists(st.floats(0.5, 50.0), min_size=after, max_size=after)
    )
    before, later = Rule(*rule)(close), Rule(*rule)(changed)
    pd.testing.assert_series_equal(before.iloc[: t + 1], later.iloc[: t + 1])
    # Computing on the data up to t only gives the same values too.
    pd.testing.assert_series_equal(before.iloc[: t + 1], Rule(*rule)(close.iloc[: t + 1]))


def test_rules_on_a_market_frame_and_as_a_signal():
    market = indexlab.demo_market()
    rule = parse_rule("sma-cross:10,30")
    signal = rule.signal(market, ["tron", "bitcoin"])
    assert signal.source == "sma-cross 10/30"
    pd.testing.assert_series_equal(
        signal.series("tron"), sma_cross(market.close["tron"], 10, 30).rename("tron")
    )
    first = market.close["tron"].first_valid_index()
    assert signal.series("tron").first_valid_index() == first + pd.Timedelta(days=29)


def test_parse_rule_defaults_and_spellings():
    assert parse_rule("sma-cross") == Rule("sma-cross", (50, 200))
    assert parse_rule(" SMA_cross : 20 , 100 ") == Rule("sma-cross", (20, 100))
    assert parse_rule("momentum").params == (90,)
    assert parse_rule("above-sma:150").label == "above-sma 150"
    assert parse_rule("sma-cross:50,200").spec == "sma-cross:50,200"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ema:20", r"unknown 'ema'; built in: sma-cross, momentum, above-sma"),
        ("sma-cross:200,50", r"fast \(200\) must be shorter than slow \(50\)"),
        ("sma-cross:50", r"takes 2 parameter\(s\) \(fast, slow\), got 1"),
        ("momentum:0", r"lookback_days: must be a whole number of days >= 1, got 0"),
        ("above-sma:2.5", r"'2.5' is not a whole number of days"),
        ("momentum:30,60", r"takes 1 parameter"),
    ],
)
def test_bad_rule_specs(text, message):
    with pytest.raises(SpecError, match=message):
        parse_rule(text)
    with pytest.raises(SpecError):
        sma_cross(series([1, 2]), 0, 3)
