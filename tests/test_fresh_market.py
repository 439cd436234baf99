"""A Market derives its arrays once (issue 17, item 1): a fresh Market's first run
gives the very equity of a warm run; its scan for each asset's first and last valid
row is not made again, by a second run or by a market derived with
``with_total_market_cap``; and no run makes a forward-filled close panel (the kernel
carries the last valid closes itself). No timing here: the speed is measured by
``make bench`` (row "A: fresh Market, first run")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from panels import random_panel

import indexlab
import indexlab.market
from indexlab.market import Market


def _strategy(top_n: int = 4) -> indexlab.Strategy:
    return indexlab.Strategy(
        name="fresh",
        universe=indexlab.Universe(top_n=top_n, exclude=()),
        weighting=indexlab.Weighting(scheme="market_cap"),
        rebalance=indexlab.Rebalance(frequency="weekly"),
        costs=indexlab.Costs(fee_bps=10.0, slippage_bps=5.0),
        lag_days=1,
        benchmarks=(),
    )


def _market(seed: int) -> Market:
    close, caps = random_panel(seed, 160, 12, gap_rate=0.05)
    return Market.from_panels(close, caps)


@pytest.fixture
def scans(monkeypatch) -> dict[str, list[int]]:
    """Counts the scans (``valid_bounds``) and forward fills (``fill_and_bounds``) of a
    close panel, by its columns."""
    calls: dict[str, list[int]] = {"valid_bounds": [], "fill_and_bounds": []}
    for name in calls:
        real = getattr(indexlab.market, name)

        def counted(close: np.ndarray, real=real, name=name):
            calls[name].append(close.shape[1])
            return real(close)

        monkeypatch.setattr(indexlab.market, name, counted)
    return calls


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_fresh_markets_first_run_equals_a_warm_run(seed: int) -> None:
    strategy = _strategy()
    warm = _market(seed)
    indexlab.run(strategy, warm, warn=False)  # derives the arrays
    expected = indexlab.run(strategy, warm, warn=False)
    first = indexlab.run(strategy, _market(seed), warn=False)  # derives them afresh
    pd.testing.assert_frame_equal(first.equity, expected.equity, check_exact=True)
    pd.testing.assert_frame_equal(first.trades, expected.trades, check_exact=True)


def test_a_first_run_scans_once_and_fills_nothing_a_second_run_fills_once(scans) -> None:
    market = _market(5)
    strategy = _strategy().replace(benchmarks=("A00",))  # a benchmark holds one asset
    once = indexlab.run(strategy, market, warn=False)
    first_stale = once.stale_weight  # the kernel's sums: no panel, no pass for gaps
    first, last = market.first_valid_positions(), market.last_valid_positions()
    assert len(first) == len(last) == 12
    assert scans == {"valid_bounds": [12], "fill_and_bounds": []}
    # A Market that runs again keeps a forward-filled panel (the product reads it
    # quicker than the kernel carries the closes): made once, the same results.
    again = [indexlab.run(strategy, market, warn=False) for _ in range(2)]
    assert scans == {"valid_bounds": [12], "fill_and_bounds": [12]}
    for result in again:
        pd.testing.assert_frame_equal(result.equity, again[0].equity, check_exact=True)
        assert result.stale_weight.to_numpy().tobytes() == first_stale.to_numpy().tobytes()
    fresh = indexlab.run(strategy, _market(5), warn=False)
    pd.testing.assert_frame_equal(fresh.equity, again[0].equity, check_exact=True)
    np.testing.assert_array_equal(first, market._filled[1])
    np.testing.assert_array_equal(last, market._filled[2])


def test_a_market_with_the_total_market_cap_keeps_what_was_derived(scans) -> None:
    market = _market(6)
    strategy = _strategy()
    before = indexlab.run(strategy, market, warn=False)
    total = market.market_cap.sum(axis=1) * 1.5
    with_total = market.with_total_market_cap(total)
    after = indexlab.run(strategy, with_total, warn=False)
    assert scans["valid_bounds"] == [12]
    assert with_total.first_valid_positions() is market.first_valid_positions()
    pd.testing.assert_frame_equal(after.equity, before.equity, check_exact=True)


def test_a_market_with_other_closes_derives_its_own() -> None:
    market = _market(7)
    assert market.close_ffill_values.shape == (160, 12)  # derived on the first market
    halved = Market(
        close=market.close / 2,
        market_cap=market.market_cap,
        volume=None,
        assets=market.assets,
    )
    other = halved.with_total_market_cap(market.market_cap.sum(axis=1) * 2)
    np.testing.assert_array_equal(other.close_ffill_values, market.close_ffill_values / 2)


def test_the_derived_arrays_are_read_only_in_the_kernels_layout() -> None:
    market = _market(8)
    for values in (market.close_values, market.close_ffill_values, market.market_cap_values):
        assert values.dtype == np.float64
        assert values.flags.c_contiguous
        assert not values.flags.writeable
    assert market.close_values.shape == market.close_ffill_values.shape == market.close.shape
