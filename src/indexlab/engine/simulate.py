"""The pandas side of the engine: a Strategy and a Market in, a Result out.

This module turns the spec into arrays (run window, rebalance rows, target weights
from the rules), calls the numba kernel once per portfolio, and turns the arrays
back into pandas objects. No per-day Python work happens here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.engine import kernels
from indexlab.engine.plan import plan_targets
from indexlab.errors import SpecError
from indexlab.inspect import late_end_notes, survivorship_notes
from indexlab.market import Market
from indexlab.result import PortfolioRun, Result
from indexlab.rules.risk_off import market_signal, risk_exposure
from indexlab.sources.total_market import TOTAL_MARKET
from indexlab.spec import Strategy


@dataclass(frozen=True)
class Window:
    """The run's rows in the market: ``start_pos`` .. ``end_pos`` inclusive."""

    start_pos: int
    end_pos: int
    notes: tuple[str, ...]

    @property
    def length(self) -> int:
        return self.end_pos - self.start_pos + 1


def run_window(strategy: Strategy, market: Market) -> Window:
    """The dates a strategy runs over; a start before the first decision snapshot moves."""
    notes: list[str] = []
    lag = strategy.lag_days
    dates = market.dates
    if len(dates) <= lag:
        raise SpecError(
            f"lag_days: {lag} needs more than {lag} days of data; {market.source} has {len(dates)}"
        )
    earliest = dates[lag]
    start = earliest if strategy.start is None else strategy.start
    if start < earliest:
        notes.append(
            f"start moved from {start.date()} to {earliest.date()}: the data begin on "
            f"{dates[0].date()} and decisions use data {lag} day(s) old"
        )
        start = earliest
    end = dates[-1] if strategy.end is None else strategy.end
    if end > dates[-1]:
        notes.append(f"end moved from {end.date()} to {dates[-1].date()}: the data end there")
        end = dates[-1]
    if start > end:
        raise SpecError(
            f"{strategy.origin or strategy.name}: start {start.date()} is after the last "
            f"usable date {end.date()} of {market.source}"
        )
    return Window(
        start_pos=int(dates.get_loc(start)), end_pos=int(dates.get_loc(end)), notes=tuple(notes)
    )


def _readonly(values: np.ndarray, dtype: type) -> np.ndarray:
    """A C-contiguous read-only view: numba compiles one signature for all calls
    (it types writable and read-only arrays differently, and pandas hands out both)."""
    view = np.ascontiguousarray(values, dtype=dtype).view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class WindowArrays:
    """The arrays a portfolio is simulated on: the window's valid prices, the last
    price before the window, and each column's last valid row."""

    market_dates: pd.DatetimeIndex
    window: Window
    assets: pd.Index
    close: np.ndarray  # (window rows x assets), valid closes or NaN
    price_before: np.ndarray  # last valid close before the window (NaN if none)
    last_valid: np.ndarray  # each asset's last valid row, relative to the window

    @classmethod
    def build(cls, market: Market, window: Window) -> WindowArrays:
        return cls.from_panel(
            market.close_values,
            market.asset_ids,
            market.dates,
            window,
            last_valid=market.last_valid_positions(),
        )

    @classmethod
    def from_panel(
        cls,
        values: np.ndarray,
        assets: pd.Index,
        dates: pd.DatetimeIndex,
        window: Window,
        last_valid: np.ndarray | None = None,
    ) -> WindowArrays:
        """From a (market date x column) array of valid prices or NaN."""
        valid = ~np.isnan(values)
        if last_valid is None:
            ever = valid.any(axis=0)
            last_valid = np.where(ever, len(values) - 1 - np.argmax(valid[::-1], axis=0), -1)
        start = window.start_pos
        before = np.full(values.shape[1], np.nan)
        if start > 0:
            seen = valid[:start]
            last_seen = start - 1 - np.argmax(seen[::-1], axis=0)
            known = seen.any(axis=0)
            before[known] = values[last_seen[known], np.flatnonzero(known)]
        return cls(
            market_dates=dates,
            window=window,
            assets=assets,
            close=_readonly(values[start : window.end_pos + 1], np.float64),
            price_before=_readonly(before, np.float64),
            last_valid=_readonly(np.asarray(last_valid) - start, np.int64),
        )


@dataclass(frozen=True)
class Trading:
    """How a portfolio trades: candidate rows, their targets, and when they must trade."""

    rows: np.ndarray
    weights: np.ndarray
    forced: np.ndarray | None = None  # default: every candidate is scheduled
    exposure: np.ndarray | None = None  # default: always invested
    drift_threshold: float = 0.0
    drift_relative: bool = False


def _simulate(arrays: WindowArrays, trading: Trading, cost_rate: float) -> PortfolioRun:
    """Run the kernel for one portfolio over the columns of ``arrays``."""
    close, before, last_valid, assets = (
        arrays.close,
        arrays.price_before,
        arrays.last_valid,
        arrays.assets,
    )
    n_rows = close.shape[0]
    forced = np.ones(len(trading.rows), dtype=bool) if trading.forced is None else trading.forced
    exposure = np.ones(n_rows) if trading.exposure is None else trading.exposure
    capacity = int(close.shape[1]) + 16
    while True:
        out = kernels.simulate(
            close,
            before,
            last_valid,
            _readonly(trading.rows, np.int64),
            _readonly(trading.weights, np.float64),
            _readonly(forced, np.bool_),
            _readonly(exposure, np.float64),
            float(trading.drift_threshold),
            bool(trading.drift_relative),
            float(cost_rate),
            capacity,
        )
        n_liq = int(out[7])
        if n_liq <= capacity:
            break
        capacity = n_liq
    equity, reason, value_pre, traded, cost, units_post, weights_post = out[:7]
    liq_row, liq_asset, liq_units, liq_price, liq_kind = out[8:]
    did = reason >= 0  # the candidates that traded
    rebalance_rows = np.asarray(trading.rows)[did]
    value_pre, traded, cost = value_pre[did], traded[did], cost[did]
    units_post, weights_post = units_post[did], weights_post[did]
    target_weights = np.asarray(trading.weights)[did]
    window = arrays.window
    market_dates = arrays.market_dates
    dates = market_dates[window.start_pos : window.end_pos + 1]
    trades = pd.DataFrame(
        {
            "value_pre_trade": value_pre,
            "traded_notional": traded,
            "turnover": np.divide(
                traded, value_pre, out=np.zeros_like(traded), where=value_pre > 0
            ),
            "cost": cost,
            "n_assets": (weights_post > 0).sum(axis=1),
            "reason": np.asarray(kernels.TRADE_REASONS, dtype=object)[reason[did]],
        },
        index=pd.DatetimeIndex(dates[rebalance_rows], name="date"),
    )
    liq_asset = liq_asset[:n_liq]
    liquidations = pd.DataFrame(
        {
            "date": dates[liq_row[:n_liq]],
            "asset": assets[liq_asset],
            "last_valid_date": market_dates[last_valid[liq_asset] + window.start_pos],
            "units": liq_units[:n_liq],
            "price": liq_price[:n_liq],
            "value": liq_units[:n_liq] * liq_price[:n_liq],
            "reason": np.where(
                liq_kind[:n_liq] == kernels.LIQUIDATION_DELISTED,
                "delisted",
                "no price on rebalance date",
            ),
        }
    )
    return PortfolioRun(
        equity=pd.Series(equity, index=dates, name="equity"),
        assets=assets,
        target_weights=target_weights,
        weights_post=weights_post,
        rebalance_rows=rebalance_rows,
        units_post=units_post,
        trades=trades,
        liquidations=liquidations,
    )


def _benchmark_label(market: Market, asset: str) -> str:
    symbol = market.assets.at[asset, "symbol"]
    if isinstance(symbol, str) and symbol:
        shared = (market.assets["symbol"].astype("string").str.lower() == symbol.lower()).sum()
        if shared == 1:
            return symbol.upper()
    return asset


def _buy_and_hold(
    column: np.ndarray,
    label: str,
    dates: pd.DatetimeIndex,
    window: Window,
    lag_days: int,
    rate: float,
) -> PortfolioRun:
    """Buy-and-hold of one price column (market dates, valid prices or NaN): bought on
    the first run date whose snapshot day (t - lag_days) has a valid price, with
    weight 1, and held; cash before."""
    values = column.reshape(-1, 1)
    arrays = WindowArrays.from_panel(values, pd.Index([label]), dates, window)
    snapshot = np.arange(window.start_pos, window.end_pos + 1) - lag_days
    valid = np.isfinite(column[snapshot])
    rows = np.array([int(np.argmax(valid))] if valid.any() else [], dtype=np.int64)
    return _simulate(arrays, Trading(rows, np.ones((len(rows), 1))), rate)


def _bitcoin(market: Market) -> str | None:
    """The asset that beta and correlation are measured against, if the market has it."""
    for name in ("bitcoin", "BTC"):
        try:
            return market.resolve_asset(name)
        except SpecError:
            continue
    return None


def run(strategy: Strategy, market: Market) -> Result:
    """Backtest ``strategy`` on ``market`` and its benchmarks over the same dates and costs."""
    notes = survivorship_notes(market)  # of the whole data: a short run says nothing
    if strategy.end is not None:
        market = market.restrict(strategy.end)
    window = run_window(strategy, market)
    notes += [*late_end_notes(market), *market.notes]
    notes += window.notes
    arrays = WindowArrays.build(market, window)
    exposure = switches = None
    if strategy.risk_off is not None:
        signal = market_signal(strategy, market)
        exposure = risk_exposure(signal, strategy.lag_days)[window.start_pos : window.end_pos + 1]
        switches = np.flatnonzero(np.diff(exposure) != 0) + 1
        days_out = int((exposure == 0).sum())
        notes.append(
            f"risk-off on {strategy.risk_off.rule or strategy.risk_off.signal_file} of "
            f"{strategy.risk_off.asset}: {len(switches)} switches, in cash on {days_out} of "
            f"{len(exposure)} days"
        )
    plan = plan_targets(strategy, market, window.start_pos, window.end_pos, switches)
    notes.extend(plan.notes)
    rate = strategy.costs.rate
    drift = strategy.rebalance.drift_threshold
    trading = Trading(
        plan.rows,
        plan.weights,
        forced=plan.forced,
        exposure=exposure,
        drift_threshold=drift or 0.0,
        drift_relative=strategy.rebalance.drift_mode == "relative",
    )
    portfolios = {strategy.name: _simulate(arrays, trading, rate)}

    bench_assets: dict[str, str] = {}
    for entry in strategy.benchmarks:
        if entry.lower().replace("_", "-") == TOTAL_MARKET:
            if market.total_market_cap is None:
                raise SpecError(
                    f"benchmarks: {entry!r} needs the total market cap series "
                    "(indexlab run --total-market FILE, or Market.with_total_market_cap)"
                )
            if TOTAL_MARKET in bench_assets:
                raise SpecError(f"benchmarks: {entry!r} is listed already")
            column = market.total_market_cap.to_numpy(dtype=np.float64)
            portfolios[TOTAL_MARKET] = _buy_and_hold(
                column, TOTAL_MARKET, market.dates, window, strategy.lag_days, rate
            )
            bench_assets[TOTAL_MARKET] = TOTAL_MARKET
            notes.append(
                "benchmark total-market: the total market cap as a level (growth of the "
                "whole market's value, new coins included), not an investable portfolio"
            )
            continue
        asset = market.resolve_asset(entry, field_name="benchmarks")
        if asset in bench_assets.values():
            raise SpecError(f"benchmarks: {entry!r} names {asset!r}, which is listed already")
        label = _benchmark_label(market, asset)
        if label == strategy.name or label in bench_assets:
            label = asset  # the id is unique; the upper-cased symbol may not be
        if label == strategy.name:
            raise SpecError(f"benchmarks: {entry!r} has the strategy's own name {label!r}")
        bench_assets[label] = asset
        column = market.close_values[:, market.asset_ids.get_loc(asset)]
        bench = _buy_and_hold(column, asset, market.dates, window, strategy.lag_days, rate)
        if len(bench.rebalance_rows) == 0:
            notes.append(f"benchmark {label}: no valid price during the run; it holds cash")
        elif bench.rebalance_rows[0] > 0:
            day = market.dates[window.start_pos + int(bench.rebalance_rows[0])].date()
            notes.append(f"benchmark {label}: first bought on {day}; cash before")
        portfolios[label] = bench

    reference_equity = None
    btc = _bitcoin(market)
    if btc is not None:
        if btc in bench_assets.values():
            label = next(lbl for lbl, a in bench_assets.items() if a == btc)
            reference_equity = portfolios[label].equity
        else:
            column = market.close_values[:, market.asset_ids.get_loc(btc)]
            reference = _buy_and_hold(column, btc, market.dates, window, strategy.lag_days, rate)
            reference_equity = reference.equity
    return Result(
        strategy=strategy,
        market=market,
        dates=market.dates[window.start_pos : window.end_pos + 1],
        portfolios=portfolios,
        benchmark_assets=bench_assets,
        reference_equity=reference_equity,
        notes=tuple(notes),
    )
