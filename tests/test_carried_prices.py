"""The kernel carries each asset's last valid close from row to row itself (issue 17,
item 1): no forward-filled panel. What would catch a wrong carried price: a run that
starts inside a gap (the price comes from before the window), a late listing, a
death; and valuations that equal, bit for bit, the matrix product of the
forward-filled prices, segments longer than the kernel's block of rows included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from panels import random_panel

import indexlab
from indexlab.engine import blas
from indexlab.engine.arrays import Window, WindowArrays, opening_prices, run_kernel
from indexlab.market import Market

NAN = np.nan


def _hand_market() -> Market:
    """a: in a gap on rows 1-3 (closes 10, -, -, -, 16, ...); b: listed on row 4;
    c: dies after row 4 (its last close, 40)."""
    dates = pd.date_range("2021-01-01", periods=8, freq="D")
    close = pd.DataFrame(
        {
            "a": [10, NAN, NAN, NAN, 16, 16, 16, 16],
            "b": [NAN, NAN, NAN, NAN, 5, 6, 6, 6],
            "c": [20, 20, 20, 30, 40, NAN, NAN, NAN],
        },
        index=dates,
    )
    caps = close * pd.Series({"a": 1e9, "b": 5e9, "c": 3e8})
    return Market.from_panels(close, caps)


def test_a_run_that_starts_in_a_gap_trades_at_the_close_before_the_window():
    # lag 2: the snapshot is row 0 (a and c valid); the run starts on row 2, where a is
    # in its gap: it is bought at 10, its last close before the window (read back over
    # row 1, also in the gap). Half each: 0.05 a and 0.025 c.
    market = _hand_market()
    strategy = indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(top_n=2, exclude=()),
        weighting=indexlab.Weighting(scheme="equal"),
        rebalance=indexlab.Rebalance(frequency="monthly"),
        costs=indexlab.Costs(fee_bps=0.0, slippage_bps=0.0),
        lag_days=2,
        start=pd.Timestamp("2021-01-03"),
        benchmarks=("b",),
    )
    result = indexlab.run(strategy, market, warn=False)
    # rows 2..7: a at 10, 10, 16 ...; c at 20, 30, 40, then 40 after its death
    expected = [1.0, 0.05 * 10 + 0.025 * 30, 0.05 * 16 + 0.025 * 40, 1.8, 1.8, 1.8]
    np.testing.assert_allclose(result.equity["s"].to_numpy(), expected, rtol=1e-14)
    # b waits in cash for its first close (row 4, at 5), then is worth 6 / 5
    np.testing.assert_allclose(result.equity["b"].to_numpy(), [1, 1, 1, 1.2, 1.2, 1.2])
    liquidated = result.liquidations
    assert liquidated["asset"].tolist() == ["c"] and liquidated["price"].tolist() == [40.0]
    # a is valued at its carried close on rows 2 and 3 only
    np.testing.assert_allclose(result.stale_weight.to_numpy(), [0.5, 0.5 / 1.25, 0, 0, 0, 0])


def test_opening_prices_are_the_last_close_before_the_row():
    close = np.array(
        [
            [1.0, NAN, 7.0, NAN],
            [2.0, NAN, NAN, NAN],
            [NAN, 4.0, NAN, NAN],
            [NAN, 5.0, 8.0, NAN],
        ]
    )
    first, last = np.array([0, 2, 0, -1]), np.array([1, 3, 3, -1])
    assert opening_prices(close, 0, first, last).tolist() == [[0.0, 0.0, 0.0, 0.0]]
    assert opening_prices(close, 2, first, last).tolist() == [[2.0, 0.0, 7.0, 0.0]]
    assert opening_prices(close, 3, first, last).tolist() == [[2.0, 4.0, 7.0, 0.0]]
    assert opening_prices(close, 4, first, last).tolist() == [[2.0, 5.0, 8.0, 0.0]]


def _filled(close: np.ndarray) -> np.ndarray:
    return pd.DataFrame(close).ffill().fillna(0.0).to_numpy()


@pytest.mark.parametrize("n_assets", [3, 40, 1_500])
def test_every_valuation_is_the_product_of_the_filled_prices_bit_for_bit(n_assets):
    # One trade, then 299 rows held: at 1,500 assets the kernel cuts them into blocks
    # of 64 rows. Each row's value must be the one the matrix product of the
    # forward-filled prices over the whole segment gives, plus the cash, bit for bit.
    close_frame, caps = random_panel(n_assets, 400, n_assets, gap_rate=0.1)
    market = Market.from_panels(close_frame, caps / 1e3)  # below the cap limit, 1e15
    prices = _filled(market.close_values)[37:400]
    window = Window(start_pos=37, end_pos=399, notes=())
    arrays = WindowArrays.build(market, window)
    tradeable = np.flatnonzero((prices[0] > 0) & (arrays.last_valid > 0))
    rng = np.random.default_rng(n_assets)
    columns = rng.choice(tradeable, min(len(tradeable), 30), replace=False)
    weights = rng.uniform(0.5, 1.0, len(columns))
    weights /= weights.sum() * 1.05
    rows = np.array([0, 300], dtype=np.int64)
    out = run_kernel(
        arrays, rows, np.stack([columns] * 2)[:, None, :], np.stack([weights] * 2)[:, None, :],
        cost_rate=np.array([0.0]), record=True,
    )  # fmt: skip
    held = out.held_count[0, 0]
    units = np.zeros((n_assets, 1))
    units[out.held_columns[0, 0, :held], 0] = out.held_units[0, 0, :held]
    in_assets = 0.0
    for w in weights:  # the kernel's own sum, in the same order: the cash it keeps
        in_assets += w
    expected = np.empty((299, 1))
    blas.matmul_into(expected, np.ascontiguousarray(prices[1:300]), units, blas.new_work())
    np.testing.assert_array_equal(out.equity[1:300, 0], expected[:, 0] + (1.0 - in_assets))


@pytest.mark.parametrize("seed", [0, 3, 11])
@pytest.mark.parametrize("frequency", ["weekly", "monthly"])
def test_the_kernels_stale_values_are_the_sums_over_the_gaps_bit_for_bit(seed, frequency):
    # The kernel adds up the value held at carried closes as it values each row; the
    # sums from the market's gaps and the trade records (engine.stale) are the same.
    from indexlab.engine import stale

    close, caps = random_panel(seed, 200, 14, gap_rate=0.15)
    market = Market.from_panels(close, caps)
    strategy = indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(top_n=6, exclude=()),
        weighting=indexlab.Weighting(scheme="market_cap"),
        rebalance=indexlab.Rebalance(frequency=frequency),
        costs=indexlab.Costs(fee_bps=10.0, slippage_bps=0.0),
        lag_days=1,
        benchmarks=(),
    )
    result = indexlab.run(strategy, market, warn=False)
    run = result.portfolios["s"]
    from_gaps = stale.stale_weight(run, market.close_values, stale.interior_gaps(market))
    assert (from_gaps > 0).any()
    assert result.stale_weight.to_numpy().tobytes() == from_gaps.tobytes()
