"""One portfolio through the kernel (the K = 1 case, everything recorded), and the
buy-and-hold portfolios that benchmarks and the BTC reference are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.engine.arrays import Window, WindowArrays, run_kernel
from indexlab.holdings import Holdings
from indexlab.market import Market
from indexlab.result import PortfolioRun


@dataclass(frozen=True)
class Trading:
    """How one portfolio trades: candidate rows, their compact targets (columns and
    values, candidates x slots), and when they must trade."""

    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    forced: np.ndarray | None = None  # default: every candidate is scheduled
    exposure: np.ndarray | None = None  # default: always invested
    drift_threshold: float = 0.0
    drift_relative: bool = False
    delisting_keep: float = 1.0  # share of the last-close value a data stop returns


def simulate(arrays: WindowArrays, trading: Trading, cost_rate: float) -> PortfolioRun:
    """One portfolio: the K = 1 case of the batched kernel, with everything recorded."""
    out = run_kernel(
        arrays,
        trading.rows,
        np.asarray(trading.columns)[:, None, :],
        np.asarray(trading.values)[:, None, :],
        cost_rate=np.array([cost_rate]),
        forced=trading.forced,
        exposure=None if trading.exposure is None else np.asarray(trading.exposure)[:, None],
        drift_threshold=np.array([trading.drift_threshold]),
        drift_relative=np.array([trading.drift_relative]),
        delisting_keep=np.array([trading.delisting_keep]),
        record=True,
    )
    did = out.reason[:, 0] >= 0  # the candidates that traded
    n_liq = out.n_liq
    trade_values = np.column_stack(
        [out.value_pre[did, 0], out.traded[did, 0], out.cost[did, 0], out.turnover[did, 0]]
    )
    held_units, held_weights = Holdings.from_slots(
        out.held_columns[did, 0], out.held_count[did, 0], out.held_units[did, 0],
        out.held_weights[did, 0],
    )  # fmt: skip
    return PortfolioRun(
        dates=arrays.dates,
        market_dates=arrays.market_dates,
        start_pos=arrays.window.start_pos,
        equity_values=out.equity[:, 0],
        assets=arrays.assets,
        targets=Holdings.from_targets(
            np.asarray(trading.columns)[did], np.asarray(trading.values)[did]
        ),
        held_weights=held_weights,
        rebalance_rows=np.asarray(trading.rows)[did],
        held_units=held_units,
        trade_values=trade_values,
        trade_reasons=out.reason[did, 0],
        liquidation_rows=np.column_stack([out.liq_row[:n_liq], out.liq_asset[:n_liq]]),
        liquidation_values=np.column_stack([out.liq_units[:n_liq], out.liq_price[:n_liq]]),
        last_valid=np.asarray(arrays.last_valid),
        stale_values=out.stale,
    )


def hold_rows(first_valid: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate rows of a buy-and-hold over ``n_rows``: the first (bought at the last
    valid close so far), and the first valid close if it comes later (an order on an
    asset with no close yet waits for it); and which of them are scheduled."""
    if 0 < first_valid < n_rows:
        return np.array([0, first_valid], dtype=np.int64), np.array([True, False])
    return np.array([0], dtype=np.int64), np.array([True])


def buy_and_hold(arrays: WindowArrays, rate: float) -> PortfolioRun:
    """Buy-and-hold of the single asset of ``arrays``: all in it on the first run date
    at its last valid close (or at its first close, if it has none yet), with the
    costs, and held."""
    rows, forced = hold_rows(int(arrays.first_valid[0]), len(arrays.dates))
    ones = np.ones((len(rows), 1))
    trading = Trading(rows, np.zeros((len(rows), 1), dtype=np.int64), ones, forced=forced)
    return simulate(arrays, trading, rate)


def hold_column(
    column: np.ndarray,
    label: str,
    dates: pd.DatetimeIndex,
    window: Window,
    rate: float,
    run_dates: pd.DatetimeIndex | None = None,
    assets: pd.Index | None = None,
) -> PortfolioRun:
    """Buy-and-hold of one price column on the market's dates (valid prices or NaN)."""
    arrays = WindowArrays.from_column(column, label, dates, window, run_dates, assets)
    return buy_and_hold(arrays, rate)


def hold_asset(
    market: Market,
    asset: str,
    window: Window,
    rate: float,
    dates: pd.DatetimeIndex | None = None,
) -> PortfolioRun:
    """``asset`` of the market bought and held over the window (see buy_and_hold);
    ``dates``: the window's dates, when the caller has them."""
    j = market.asset_ids.get_loc(asset)
    return hold_column(
        market.close_values[:, j],
        asset,
        market.dates,
        window,
        rate,
        dates,
        market.asset_ids[j : j + 1],
    )


def held_equity(
    market: Market, asset: str, window: Window, rate: float, dates: pd.DatetimeIndex
) -> pd.Series:
    """The equity of ``asset`` bought and held over the window."""
    return hold_asset(market, asset, window, rate, dates).equity


def hold_note(label: str, run: PortfolioRun, dates: pd.DatetimeIndex) -> str | None:
    """What a run says about a buy-and-hold that could not buy on its first day."""
    if (run.held_weights.record(0)[1] > 0).any():
        return None
    if len(run.rebalance_rows) > 1:
        day = dates[int(run.rebalance_rows[1])].date()
        return (
            f"benchmark {label}: no valid close before {day}; bought at that first close, "
            "cash before"
        )
    return f"benchmark {label}: no valid price during the run; it holds cash"


def reference_asset(market: Market) -> str | None:
    """The asset that beta and correlation are measured against: the id ``bitcoin`` or
    ``BTC``, else the one asset with the symbol BTC, if any (no fuzzy search: this runs
    on every backtest)."""
    for name in ("bitcoin", "BTC"):
        if name in market.asset_ids:
            return name
    symbols = market.assets["symbol"].astype("string").str.lower()
    matches = symbols.index[symbols == "btc"]
    return str(matches[0]) if len(matches) == 1 else None
