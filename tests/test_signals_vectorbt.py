"""Flip analytics against vectorbt's ``Portfolio.from_signals(...).trades``.

The trade dates come from the signal here, independently of indexlab: the signal
lagged by ``lag_days`` rows gives the direction held after each close, and vectorbt
enters and exits where it changes (vectorbt trades at the close of the bar it is
given, so the lag is applied to the signals fed to it). Then:

* long trades are the bullish segments (dates, prices, returns);
* with ``direction="both"`` short trades are the bearish segments, their returns
  negated;
* the open trade's return is the return since the last flip;
* with fees, vectorbt's portfolio value is the equity of following the signal:
  vectorbt's fee on order value is the engine's cost on traded notional.

vectorbt compiles its kernels on first use (10-20 s, once per test session).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexlab.signals import analyze_flips, parse_rule

# vectorbt itself warns about pandas deprecations; they are not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:::vectorbt")


@pytest.fixture(scope="module")
def vbt():
    """vectorbt, imported only when these tests run (the import alone takes seconds)."""
    import vectorbt

    return vectorbt


COLUMNS = {
    "Entry Timestamp": "entry",
    "Avg Entry Price": "entry_price",
    "Exit Timestamp": "exit",
    "Avg Exit Price": "exit_price",
    "Return": "return",
    "Direction": "direction",
    "Status": "status",
}


def held(signal: pd.Series, lag: int) -> pd.Series:
    """The direction behind the position after each close: signal of t - lag."""
    return signal.ffill().shift(lag)


def changes(direction: pd.Series, value: float) -> tuple[pd.Series, pd.Series]:
    """Days the held direction becomes ``value``, and days it stops being ``value``."""
    now = direction == value
    before = now.shift(1, fill_value=False)
    return now & ~before, ~now & before & direction.notna()


def vbt_trades(vbt, price: pd.Series, **signals) -> tuple[pd.DataFrame, pd.Series]:
    kwargs = {"freq": "1D", "init_cash": 1.0}
    pf = vbt.Portfolio.from_signals(price, **signals, **kwargs)
    trades = pf.trades.records_readable[list(COLUMNS)].rename(columns=COLUMNS)
    return trades, pf.value()


def assert_trades_are_segments(trades: pd.DataFrame, flips: pd.DataFrame, sign: float) -> None:
    """vectorbt's trades equal the segments (sign -1: short trades, returns negated)."""
    assert len(trades) == len(flips)
    np.testing.assert_array_equal(trades["entry"].to_numpy(), flips["date"].to_numpy())
    np.testing.assert_allclose(trades["entry_price"], flips["price"], rtol=1e-12)
    closed = trades["status"] == "Closed"
    assert closed.tolist() == (~flips["open"]).tolist()
    np.testing.assert_array_equal(
        trades.loc[closed, "exit"].to_numpy(), flips.loc[~flips["open"], "next_date"].to_numpy()
    )
    np.testing.assert_allclose(
        trades.loc[closed, "exit_price"], flips.loc[~flips["open"], "next_price"], rtol=1e-12
    )
    np.testing.assert_allclose(trades["return"], sign * flips["return"], rtol=1e-9, atol=1e-12)


def random_case(seed: int, n: int, neutral: bool) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2022-01-01", periods=n)
    price = pd.Series(np.exp(np.cumsum(rng.normal(0, 0.03, n))) * 50, index=index)
    runs = rng.integers(1, 12, n)
    values = rng.choice([1.0, -1.0, 0.0] if neutral else [1.0, -1.0], n)
    signal = pd.Series(np.repeat(values, runs)[:n], index=index)
    signal.iloc[: rng.integers(0, 5)] = np.nan  # not known at first
    return price, signal


CASES = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CASES
@given(st.integers(0, 2**31 - 1), st.integers(30, 200), st.integers(0, 2), st.booleans())
def test_long_trades_are_the_bullish_segments(vbt, seed, n, lag, neutral):
    price, signal = random_case(seed, n, neutral)
    a = analyze_flips(price, signal, lag_days=lag, fee_bps=0, slippage_bps=0)
    entries, exits = changes(held(signal, lag), 1.0)
    trades, _ = vbt_trades(vbt, price, entries=entries, exits=exits)
    bullish = a.flips[a.flips["direction"] == "bullish"]
    assert_trades_are_segments(trades, bullish, 1.0)
    if a.last_flip["direction"] == "bullish":
        assert trades["return"].iloc[-1] == pytest.approx(a.return_since_last_flip, rel=1e-9)


@CASES
@given(st.integers(0, 2**31 - 1), st.integers(30, 200), st.integers(0, 2))
def test_with_direction_both_short_trades_are_the_negated_bearish_segments(vbt, seed, n, lag):
    price, signal = random_case(seed, n, neutral=False)
    a = analyze_flips(price, signal, lag_days=lag, fee_bps=0, slippage_bps=0, short=True)
    direction = held(signal, lag)
    long_entries, _ = changes(direction, 1.0)
    short_entries, _ = changes(direction, -1.0)
    trades, _ = vbt_trades(vbt, price, entries=long_entries, exits=short_entries, direction="both")
    for name, sign in (("Long", 1.0), ("Short", -1.0)):
        own = a.flips[a.flips["direction"] == ("bullish" if sign > 0 else "bearish")]
        assert_trades_are_segments(trades[trades["direction"] == name], own, sign)
    # The open trade, long or short, gives the return since the last flip.
    sign = 1.0 if a.last_flip["direction"] == "bullish" else -1.0
    assert trades["return"].iloc[-1] == pytest.approx(sign * a.return_since_last_flip, rel=1e-9)


@CASES
@given(
    st.integers(0, 2**31 - 1),
    st.integers(30, 200),
    st.integers(0, 2),
    st.booleans(),
    st.floats(0.0, 100.0),
)
def test_following_the_signal_with_fees_is_vectorbts_portfolio_value(vbt, seed, n, lag, short, bps):
    # Long-only signals may be neutral; long/short ones are not (vectorbt's two-signal
    # form with direction="both" reverses, it cannot go to cash; its four-signal form
    # would cost a second compilation).
    price, signal = random_case(seed, n, neutral=not short)
    a = analyze_flips(price, signal, lag_days=lag, fee_bps=bps, slippage_bps=0, short=short)
    direction = held(signal, lag)
    if short:
        legs = {"entries": changes(direction, 1.0)[0], "exits": changes(direction, -1.0)[0]}
        legs["direction"] = "both"
    else:
        legs = dict(zip(("entries", "exits"), changes(direction, 1.0), strict=True))
    pf = vbt.Portfolio.from_signals(price, **legs, fees=bps / 1e4, freq="1D", init_cash=1.0)
    value = pf.value().reindex(a.equity.index)
    if not any("lost the whole equity" in note for note in a.notes):
        np.testing.assert_allclose(a.equity["signal"], value, rtol=1e-9)


# ---------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def tron_close(shared_data: Path, tmp_path_factory) -> pd.Series:
    """TRX's closes from the shared CoinGecko file, through indexlab's importer (a
    folder holding only a link to that file, so nothing is copied)."""
    from indexlab.sources.coingecko import import_coingecko
    from indexlab.sources.long_table import market_from_long

    folder = tmp_path_factory.mktemp("coins")
    os.symlink(shared_data / "coingecko-2025" / "coins" / "tron.csv.gz", folder / "tron.csv.gz")
    frame, _ = import_coingecko(folder)
    return market_from_long(frame).close["tron"]


def test_sma_cross_on_real_trx_matches_vectorbt(vbt, tron_close, shared_data):
    signal = parse_rule("sma-cross:50,200")(tron_close)
    as_of = "2025-07-01"
    for lag in (0, 1):
        a = analyze_flips(tron_close, signal, lag_days=lag, fee_bps=0, slippage_bps=0, end=as_of)
        price = tron_close.loc[:as_of]
        direction = held(signal.loc[:as_of], lag)
        long_entries, _ = changes(direction, 1.0)
        short_entries, _ = changes(direction, -1.0)
        trades, _ = vbt_trades(
            vbt, price, entries=long_entries, exits=short_entries, direction="both"
        )
        for name, sign in (("Long", 1.0), ("Short", -1.0)):
            own = a.flips[a.flips["direction"] == ("bullish" if sign > 0 else "bearish")]
            assert_trades_are_segments(trades[trades["direction"] == name], own, sign)
    # As of 2025-07-01 (lag 1): bullish since the cross of 2024-07-15, traded on the 16th;
    # the return since is the raw file's price ratio of those two days.
    assert a.current_signal == "bullish" and a.last_flip["date"] == pd.Timestamp("2024-07-16")
    raw = pd.read_csv(shared_data / "coingecko-2025" / "coins" / "tron.csv.gz")
    stamp = pd.to_datetime(raw["timestamp"], unit="ms", utc=True).dt.tz_localize(None)
    at = dict(zip(stamp, raw["price"], strict=True))
    expected = at[pd.Timestamp(as_of)] / at[pd.Timestamp("2024-07-16")] - 1
    assert a.return_since_last_flip == pytest.approx(expected, rel=1e-12)
    assert trades["return"].iloc[-1] == pytest.approx(a.return_since_last_flip, rel=1e-9)
