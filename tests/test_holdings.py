"""Positions are recorded for the held assets only (issue 17, item 7): a daily run on a
wide market keeps records of O(trades x holdings) bytes, not O(trades x assets), no
output builds the dense arrays, and the compact records densify to what the dense
ones held: checked against the positions rebuilt independently from the trades.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from panels import panel_market, random_panel

import indexlab
from indexlab import bridges
from indexlab.engine import portfolio, stale
from indexlab.holdings import Holdings
from indexlab.output import write_run


# ------------------------------------------------------------------ the record itself
def test_the_worked_example_of_the_module_docstring():
    dense = np.array([[0.5, 0, 0.5, 0, 0], [0, 0, 1.0, 0, 0], [0, 0, 0, 0, 0]])
    # Slots in any order, garbage past each record's count.
    slots = np.array([[2, 0], [2, 7], [9, 9]])
    values = np.array([[0.5, 0.5], [1.0, -1.0], [3.0, 3.0]])
    (held,) = Holdings.from_slots(slots, np.array([2, 1, 0]), values)
    assert held.starts.tolist() == [0, 2, 3, 3]
    assert held.columns.tolist() == [2, 0, 2]  # in the slots' order
    assert held.values.tolist() == [0.5, 0.5, 1.0]
    assert held.in_column_order().columns.tolist() == [0, 2, 2]
    np.testing.assert_array_equal(held.dense(5), dense)
    assert held.held_columns().tolist() == [0, 2]
    np.testing.assert_array_equal(held.on_columns(np.array([0, 2])), dense[:, [0, 2]])
    assert held.count().tolist() == [2, 1, 0]
    targets = Holdings.from_targets(np.array([[2, 0, -1], [-1, -1, 2]]), np.ones((2, 3)))
    assert targets.starts.tolist() == [0, 2, 3] and targets.columns.tolist() == [2, 0, 2]


def test_stale_values_add_up_by_column_whatever_the_order_of_the_holdings():
    # Twelve holdings, all without a close on the same days: the sum of their stale
    # values is taken by increasing column (as the dense records were read), so a
    # record in another order gives the same bits.
    rng = np.random.default_rng(3)
    n_rows, n_assets = 6, 12
    close = rng.uniform(0.1, 10.0, (n_rows, n_assets))
    close[2:4] = np.nan  # the gaps, valued at the close of row 1
    prices = np.where(np.isnan(close), close[1], close)
    starts = np.arange(n_assets + 1, dtype=np.int64) * 2
    gap_rows = np.tile(np.array([2, 3], dtype=np.int64), n_assets)
    rows, held = np.array([0, 4], dtype=np.int64), np.array([0, n_assets, 2 * n_assets])
    columns = np.concatenate([np.arange(n_assets)] * 2).astype(np.int64)
    units = rng.uniform(0.0, 3.0, 2 * n_assets)
    by_column = stale._stale_values(close, 0, n_rows, rows, held, columns, units, starts, gap_rows)
    shuffled = rng.permutation(n_assets)
    naive = [0.0, 0.0]
    for i in shuffled:  # the sum in the shuffled order differs in its last bits
        naive = [naive[0] + units[i] * prices[2, i], naive[1] + units[i] * prices[3, i]]
    exact = [0.0, 0.0]
    for i in range(n_assets):
        exact = [exact[0] + units[i] * prices[2, i], exact[1] + units[i] * prices[3, i]]
    assert naive != exact and by_column[2:4].tolist() == exact
    order = np.concatenate([shuffled, n_assets + rng.permutation(n_assets)])
    again = stale._stale_values(
        close, 0, n_rows, rows, held, columns[order], units[order], starts, gap_rows
    )
    assert again.tobytes() == by_column.tobytes()


# -------------------------------------------------------- memory on a wide market
N_ASSETS, N_DAYS, TOP_N = 3_000, 400, 50


@pytest.fixture(scope="module")
def wide_market() -> indexlab.Market:
    rng = np.random.default_rng(17)
    dates = pd.date_range("2022-01-01", periods=N_DAYS, freq="D")
    assets = [f"coin-{j:04d}" for j in range(N_ASSETS)]
    close = np.exp(np.cumsum(rng.normal(0, 0.05, (N_DAYS, N_ASSETS)), axis=0))
    supply = np.exp(rng.normal(17, 2, N_ASSETS))
    close[rng.random(close.shape) < 0.01] = np.nan  # some gaps: a stale price or two
    frame = pd.DataFrame(close, index=dates, columns=assets)
    return indexlab.Market.from_panels(frame, frame * supply, source="wide synthetic")


def daily_top(n: int, **kwargs) -> indexlab.Strategy:
    base = dict(
        name="s",
        universe=indexlab.Universe(top_n=n, exclude=()),
        weighting=indexlab.Weighting("market_cap"),
        rebalance=indexlab.Rebalance("daily"),
        costs=indexlab.Costs(10.0, 5.0),
        lag_days=1,
        benchmarks=(),
    )
    base.update(kwargs)
    return indexlab.Strategy(**base)


def test_a_daily_run_on_a_wide_market_records_holdings_not_the_market(
    wide_market, monkeypatch, tmp_path
):
    recorded = []
    run_kernel = portfolio.run_kernel

    def spy(*args, **kwargs):
        out = run_kernel(*args, **kwargs)
        recorded.append(out)
        return out

    monkeypatch.setattr(portfolio, "run_kernel", spy)
    result = indexlab.run(daily_top(TOP_N), wide_market, warn=False)
    run = result.portfolios["s"]
    n_trades = len(run.rebalance_rows)
    assert n_trades == N_DAYS - 1
    dense_bytes = n_trades * N_ASSETS * 8  # one of the three dense arrays of before

    # The kernel's record: slots as wide as a trade's targets, not the market.
    (out,) = [o for o in recorded if o.held_count.size]
    for slots in (out.held_columns, out.held_units, out.held_weights):
        assert slots.shape[:2] == (n_trades, 1) and slots.shape[2] <= TOP_N
    kernel_bytes = sum(a.nbytes for a in (out.held_columns, out.held_units, out.held_weights))
    assert kernel_bytes <= n_trades * TOP_N * 3 * 8

    # The run's records: per trade, a column and a value per holding (and a start).
    per_holding = 8 + 8 + 8  # column, units, weight (units and weights share columns)
    record_bytes = run.held_units.nbytes + run.held_weights.values.nbytes
    assert record_bytes <= n_trades * TOP_N * per_holding + 8 * (n_trades + 1)
    assert run.targets.nbytes <= n_trades * TOP_N * 16 + 8 * (n_trades + 1)
    assert record_bytes + run.targets.nbytes < 3 * dense_bytes / 20  # 36x less here

    # No output builds the dense (trades x assets) arrays.
    def refuse(self, n_assets):
        raise AssertionError("a dense (trades x assets) record was built")

    monkeypatch.setattr(Holdings, "dense", refuse)
    held = run.held_units.held_columns()
    assert result.daily_weights.shape == (N_DAYS - 1, len(held)) and len(held) < N_ASSETS
    assert result.stale_weight.max() > 0
    held_per_trade = result.trades["n_assets"]  # (one less where a target's data stopped)
    assert held_per_trade.max() == TOP_N and held_per_trade.median() == TOP_N
    assert len(result.weights_long) == held_per_trade.sum()
    assert result.weights.shape[1] == len(held)
    assert result.target_weights.shape[1] <= len(held)
    size, _, _ = bridges.vectorbt_orders(result, run, "weights", 1.0)
    assert size.shape == (N_DAYS - 1, len(held))
    write_run(result, tmp_path / "run", report=False)
    assert not {"units_post", "weights_post", "target_weights"} & set(vars(run))


# ------------------------------------------- densified = the positions of the trades
def positions_from_trades(result: indexlab.Result, top_n: int) -> tuple:
    """The dense target weights, units and weights after each trade, rebuilt without
    the engine's records: targets from the snapshot (the day before, lag 1: the top N
    by market cap among assets with a valid close and cap, weights cap / sum), units
    V' w / price with V' = value before - cost (an asset without a price yet or past
    its last close stays in cash), weights units x price / equity at that close."""
    market = result.market
    close = market.close.where(market.close > 0)
    cap = market.market_cap.where(market.market_cap > 0)
    prices = close.ffill().fillna(0.0)
    last_close = close.apply(pd.Series.last_valid_index)
    trades = result.trades
    targets, units, weights = (np.zeros((len(trades), len(close.columns))) for _ in range(3))
    for j, (day, trade) in enumerate(trades.iterrows()):
        snapshot = market.dates[market.dates.get_loc(day) - 1]
        valid = cap.loc[snapshot][close.loc[snapshot].notna()].dropna()
        top = sorted(valid.index, key=lambda asset: (-valid[asset], asset))[:top_n]
        columns = close.columns.get_indexer(top)
        targets[j, columns] = valid[top] / valid[top].sum()
        price = prices.loc[day].to_numpy()
        tradeable = (price > 0) & (last_close.to_numpy() >= day)
        after = trade["value_pre_trade"] - trade["cost"]
        units[j] = np.where(tradeable, after * targets[j] / np.where(price > 0, price, 1), 0)
        weights[j] = units[j] * price / result.equity.loc[day, result.name]
    return targets, units, weights


@pytest.mark.parametrize("seed", [1, 7, 42])
@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_the_compact_records_densify_to_the_positions_of_the_trades(seed, frequency):
    close, cap = random_panel(seed, 120, 10, gap_rate=0.1, ties=False)
    market = panel_market(close, cap)
    strategy = daily_top(4, rebalance=indexlab.Rebalance(frequency))
    result = indexlab.run(strategy, market, warn=False)
    run = result.portfolios["s"]
    assert (result.trades["reason"] == "scheduled").all()
    targets, units, weights = positions_from_trades(result, 4)
    np.testing.assert_allclose(run.target_weights, targets, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(run.units_post, units, rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(run.weights_post, weights, rtol=1e-11, atol=1e-15)
    # Exactly zero wherever nothing is held, and no record lists an asset twice.
    assert ((run.units_post != 0) == (units != 0)).all()
    for r in range(run.held_units.n_records):
        columns, _ = run.held_units.in_column_order().record(r)
        assert (np.diff(columns) > 0).all()
    # The frames of the Result read the same numbers.
    frame = result.weights.reindex(columns=market.asset_ids, fill_value=0.0)
    np.testing.assert_array_equal(frame.to_numpy(), run.weights_post)
