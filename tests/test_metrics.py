"""Metrics against quantstats and empyrical (periods=365), hand cases and properties."""

from __future__ import annotations

import warnings

import empyrical
import numpy as np
import pandas as pd
import pytest
import quantstats as qs
from hypothesis import given, settings
from hypothesis import strategies as st

from indexlab import metrics

N = 365


def random_equity(seed: int, n: int = 900) -> pd.Series:
    rng = np.random.default_rng(seed)
    r = rng.standard_t(4, n) * 0.03 + 0.0004
    equity = np.cumprod(np.concatenate([[0.999], 1 + r]))
    return pd.Series(equity, index=pd.date_range("2019-01-01", periods=n + 1, freq="D"))


@pytest.fixture(params=[0, 1, 2])
def equity(request) -> pd.Series:
    return random_equity(request.param)


def test_against_empyrical(equity):
    r = metrics.returns(equity)
    assert metrics.volatility(r) == pytest.approx(
        empyrical.annual_volatility(r, annualization=N), rel=1e-12
    )
    assert metrics.sharpe(r) == pytest.approx(empyrical.sharpe_ratio(r, annualization=N), rel=1e-12)
    assert metrics.sortino(r) == pytest.approx(
        empyrical.sortino_ratio(r, annualization=N), rel=1e-12
    )
    # empyrical starts the curve at 1 before the first return; ours starts at E_0.
    assert metrics.max_drawdown(equity) == pytest.approx(empyrical.max_drawdown(r), rel=1e-12)
    rf = 0.04
    rf_daily = (1 + rf) ** (1 / N) - 1
    assert metrics.sharpe(r, rf) == pytest.approx(
        empyrical.sharpe_ratio(r, risk_free=rf_daily, annualization=N), rel=1e-12
    )


def test_against_quantstats(equity):
    r = metrics.returns(equity)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert metrics.volatility(r) == pytest.approx(qs.stats.volatility(r, periods=N), rel=1e-12)
        assert metrics.sharpe(r) == pytest.approx(qs.stats.sharpe(r, periods=N), rel=1e-12)
        assert metrics.sortino(r) == pytest.approx(qs.stats.sortino(r, periods=N), rel=1e-12)
        assert metrics.max_drawdown(equity) == pytest.approx(qs.stats.max_drawdown(r), rel=1e-12)
        details = qs.stats.drawdown_details(qs.stats.to_drawdown_series(r))
    # quantstats counts from the first day under water to the last (inclusive), so a
    # recovered drawdown is one day shorter than our peak-to-recovery span; an
    # unrecovered one runs to the last date in both (DESIGN section 4).
    ours = metrics.drawdown_periods(equity).set_index("trough")
    theirs = details.assign(valley=pd.to_datetime(details["valley"])).set_index("valley")
    assert len(ours) == len(theirs) >= 1
    theirs = theirs.loc[ours.index]  # the same drawdowns, matched by their trough
    expected_days = ours["days"] - ours["recovered"].astype(int)
    np.testing.assert_array_equal(theirs["days"].to_numpy(), expected_days.to_numpy())
    np.testing.assert_allclose(ours["depth"] * 100, theirs["max drawdown"], rtol=1e-9)


def test_cagr_total_return_calmar_by_hand():
    # 1 -> 1.21 over 730 calendar days: CAGR 10 %; drawdown 1.1 -> 0.88 is -20 %.
    equity = pd.Series(
        [1.0, 1.1, 0.88, 1.21],
        index=pd.to_datetime(["2020-01-01", "2020-06-01", "2021-01-01", "2021-12-31"]),
    )
    assert metrics.total_return(equity) == pytest.approx(0.21)
    assert metrics.cagr(equity) == pytest.approx(1.21 ** (365 / 730) - 1)
    assert metrics.max_drawdown(equity) == pytest.approx(-0.2)
    assert metrics.calmar(equity) == pytest.approx((1.21 ** (365 / 730) - 1) / 0.2)
    # Peak 2020-06-01, recovered 2021-12-31.
    assert metrics.longest_drawdown_days(equity) == 578


def test_unrecovered_drawdown_runs_to_the_last_date():
    equity = pd.Series([1.0, 2.0, 1.5, 1.8], index=pd.date_range("2020-01-01", periods=4))
    periods = metrics.drawdown_periods(equity)
    assert len(periods) == 1 and not periods["recovered"].iloc[0]
    assert periods["days"].iloc[0] == 2
    assert periods["peak"].iloc[0] == pd.Timestamp("2020-01-02")


def test_loss_on_the_first_day_counts():
    equity = pd.Series([1.0, 0.5, 1.0], index=pd.date_range("2020-01-01", periods=3))
    assert metrics.max_drawdown(equity) == pytest.approx(-0.5)
    assert metrics.worst_day(metrics.returns(equity)) == pytest.approx(-0.5)


def test_series_dataframe_and_ndarray_agree():
    frame = pd.DataFrame({"a": random_equity(3), "b": random_equity(4)})
    r = metrics.returns(frame)
    for func, data in [
        (metrics.total_return, frame),
        (metrics.max_drawdown, frame),
        (metrics.volatility, r),
        (metrics.sharpe, r),
        (metrics.sortino, r),
        (metrics.best_day, r),
    ]:
        per_frame = func(data)
        per_series = [func(data[c]) for c in data.columns]
        per_array = func(data.to_numpy())
        np.testing.assert_allclose(per_frame.to_numpy(), per_series, rtol=1e-14)
        np.testing.assert_allclose(per_array, per_series, rtol=1e-14)
        assert func(data["a"].to_numpy()) == pytest.approx(per_series[0], rel=1e-14)
    # Without dates, CAGR counts rows as days: the same here (a daily calendar).
    assert metrics.cagr(frame["a"].to_numpy()) == pytest.approx(metrics.cagr(frame["a"]), rel=1e-12)


def test_beta_and_correlation():
    rng = np.random.default_rng(5)
    b = rng.normal(0, 0.03, 1000)
    r = 1.5 * b + rng.normal(0, 0.01, 1000)
    assert metrics.beta(r, b) == pytest.approx(np.cov(r, b)[0, 1] / np.var(b, ddof=1))
    assert metrics.beta(2 * b, b) == pytest.approx(2.0)
    assert metrics.correlation(r, b) == pytest.approx(np.corrcoef(r, b)[0, 1])
    assert metrics.beta(r, b) == pytest.approx(empyrical.beta(r, b), rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 1000), shift=st.floats(0.0001, 0.01))
def test_metamorphic_properties(seed, scale, shift):
    equity = random_equity(seed, 200)
    r = metrics.returns(equity)
    # Scaling the equity (another initial capital) changes no return-based metric.
    for func in (metrics.volatility, metrics.sharpe, metrics.sortino):
        assert func(metrics.returns(equity * scale)) == pytest.approx(func(r), rel=1e-9)
    assert metrics.max_drawdown(equity * scale) == pytest.approx(
        metrics.max_drawdown(equity), rel=1e-9
    )
    # Adding a constant to returns leaves volatility and raises Sharpe by shift/sd*sqrt(N).
    assert metrics.volatility(r + shift) == pytest.approx(metrics.volatility(r), rel=1e-9)
    expected = metrics.sharpe(r) + shift / r.std(ddof=1) * np.sqrt(N)
    assert metrics.sharpe(r + shift) == pytest.approx(expected, rel=1e-9)
    # The drawdown is never positive and is 0 at the running high.
    dd = metrics.drawdown(equity)
    assert (dd <= 0).all() and (dd[equity == equity.cummax()] == 0).all()


def test_too_few_observations_give_nan_not_errors():
    one_day = pd.Series([0.99], index=pd.date_range("2020-01-01", periods=1))
    r = metrics.returns(one_day)
    assert len(r) == 0
    for func in (
        metrics.volatility,
        metrics.sharpe,
        metrics.sortino,
        metrics.best_day,
        metrics.worst_day,
    ):
        assert np.isnan(func(r))
    assert np.isnan(metrics.cagr(one_day))
    assert metrics.total_return(one_day) == pytest.approx(-0.01)
    assert metrics.max_drawdown(one_day) == 0.0
    two = metrics.returns(pd.Series([1.0, 1.1], index=pd.date_range("2020-01-01", periods=2)))
    assert np.isnan(metrics.volatility(two)) and metrics.best_day(two) == pytest.approx(0.1)
