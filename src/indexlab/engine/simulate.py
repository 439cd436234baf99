"""The pandas side of the engine: a Strategy and a Market in, a Result out.

This module turns the spec into arrays (run window, rebalance rows, target weights
from the rules), calls the numba kernel once per portfolio, and turns the arrays
back into pandas objects. No per-day Python work happens here.
"""

from __future__ import annotations

import functools
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
    """The arrays portfolios are simulated on: over the run window, the valid closes
    (what can be traded), the last valid close up to each day (what holdings are worth;
    0 before an asset's first), and each column's last valid row."""

    market_dates: pd.DatetimeIndex
    window: Window
    dates: pd.DatetimeIndex  # the run window's dates
    assets: pd.Index
    close: np.ndarray  # (window rows x assets), valid closes or NaN
    prices: np.ndarray  # (window rows x assets), last valid close so far, 0 if none
    last_valid: np.ndarray  # each asset's last valid row, relative to the window

    @classmethod
    def build(
        cls, market: Market, window: Window, dates: pd.DatetimeIndex | None = None
    ) -> WindowArrays:
        """``dates``: the window's dates, when the caller has them already."""
        return cls._of(
            market.close_values,
            market.close_ffill_values,
            market.last_valid_positions(),
            market.asset_ids,
            market.dates,
            window,
            dates,
        )

    @classmethod
    def from_column(
        cls,
        values: np.ndarray,
        label: str,
        dates: pd.DatetimeIndex,
        window: Window,
        filled: np.ndarray | None = None,
        run_dates: pd.DatetimeIndex | None = None,
        assets: pd.Index | None = None,
    ) -> WindowArrays:
        """For one price column on the market's dates (valid prices or NaN), with its
        forward-filled version, the window's dates and the one-label index if known."""
        valid = np.isfinite(values)
        last = int(len(values) - 1 - np.argmax(valid[::-1])) if valid.any() else -1
        if filled is None:
            filled = pd.Series(values).ffill().fillna(0.0).to_numpy()
        assets = pd.Index([label]) if assets is None else assets
        return cls._of(
            values[:, None], filled[:, None], np.array([last]), assets, dates, window, run_dates
        )

    @classmethod
    def _of(cls, close, filled, last_valid, assets, dates, window, run_dates) -> WindowArrays:
        rows = slice(window.start_pos, window.end_pos + 1)
        return cls(
            market_dates=dates,
            window=window,
            dates=dates[rows] if run_dates is None else run_dates,
            assets=assets,
            close=_readonly(close[rows], np.float64),
            prices=_readonly(filled[rows], np.float64),
            last_valid=_readonly(np.asarray(last_valid) - window.start_pos, np.int64),
        )


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


_ALWAYS_INVESTED = np.zeros((0, 0))


def run_kernel(
    arrays: WindowArrays,
    rows: np.ndarray,
    columns: np.ndarray,
    values: np.ndarray,
    *,
    cost_rate: np.ndarray,
    forced: np.ndarray | None = None,
    exposure: np.ndarray | None = None,
    drift_threshold: np.ndarray | None = None,
    drift_relative: np.ndarray | None = None,
    record: bool = False,
):
    """The batched kernel for K portfolios sharing candidate ``rows``; targets are
    compact (candidates x K x slots): asset ``columns`` (-1 unused) and their weight
    ``values``; ``exposure`` (days x K) or None (always invested)."""
    k = columns.shape[1]
    forced = np.ones(len(rows), dtype=bool) if forced is None else forced
    threshold = np.zeros(k) if drift_threshold is None else drift_threshold
    relative = np.zeros(k, dtype=bool) if drift_relative is None else drift_relative
    capacity = int(arrays.close.shape[1]) + 16
    while True:
        out = kernels.simulate_batch(
            arrays.close,
            arrays.prices,
            arrays.last_valid,
            _readonly(rows, np.int64),
            _readonly(columns, np.int64),
            _readonly(values, np.float64),
            _readonly(forced, np.bool_),
            _readonly(_ALWAYS_INVESTED if exposure is None else exposure, np.float64),
            _readonly(threshold, np.float64),
            _readonly(relative, np.bool_),
            _readonly(cost_rate, np.float64),
            record,
            capacity,
        )
        n_liq = int(out[7])
        if n_liq <= capacity or not record:
            return out
        capacity = n_liq


def _dense(trading: Trading, n_assets: int) -> np.ndarray:
    from indexlab.engine.plan import scatter

    dense = np.zeros((len(trading.rows), n_assets))
    scatter(dense, trading.columns, trading.values)
    return dense


def _simulate(arrays: WindowArrays, trading: Trading, cost_rate: float) -> PortfolioRun:
    """One portfolio: the K = 1 case of the batched kernel, with everything recorded."""
    assets, last_valid = arrays.assets, arrays.last_valid
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
        record=True,
    )
    equity, reason, value_pre, traded, cost = (a[..., 0] if a.ndim == 2 else a for a in out[:5])
    units_post, weights_post = out[5][:, 0], out[6][:, 0]
    n_liq = int(out[7])
    liq_row, liq_asset, liq_units, liq_price, liq_kind = out[8:]
    did = reason >= 0  # the candidates that traded
    window = arrays.window
    return PortfolioRun(
        dates=arrays.dates,
        market_dates=arrays.market_dates,
        start_pos=window.start_pos,
        equity_values=equity,
        assets=assets,
        target_weights=_dense(trading, len(assets))[did],
        weights_post=weights_post[did],
        rebalance_rows=np.asarray(trading.rows)[did],
        units_post=units_post[did],
        trade_values=np.column_stack([value_pre[did], traded[did], cost[did]]),
        trade_reasons=reason[did],
        liquidation_rows=np.column_stack([liq_row[:n_liq], liq_asset[:n_liq]]),
        liquidation_values=np.column_stack([liq_units[:n_liq], liq_price[:n_liq]]),
        liquidation_kinds=liq_kind[:n_liq],
        last_valid=np.asarray(last_valid),
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
    filled: np.ndarray | None = None,
    run_dates: pd.DatetimeIndex | None = None,
    assets: pd.Index | None = None,
) -> PortfolioRun:
    """Buy-and-hold of one price column (market dates, valid prices or NaN): bought on
    the first run date whose snapshot day (t - lag_days) has a valid price, with
    weight 1, and held; cash before. ``run_dates`` and ``assets`` (the one-label
    index) save building them again."""
    arrays = WindowArrays.from_column(column, label, dates, window, filled, run_dates, assets)
    snapshot = np.arange(window.start_pos, window.end_pos + 1) - lag_days
    valid = np.isfinite(column[snapshot])
    rows = np.array([int(np.argmax(valid))] if valid.any() else [], dtype=np.int64)
    trading = Trading(rows, np.zeros((len(rows), 1), dtype=np.int64), np.ones((len(rows), 1)))
    return _simulate(arrays, trading, rate)


def _hold_asset(
    market: Market,
    asset: str,
    window: Window,
    lag_days: int,
    rate: float,
    dates: pd.DatetimeIndex | None = None,
) -> PortfolioRun:
    """``asset`` of the market bought and held over the window (see _buy_and_hold);
    ``dates``: the window's dates, when the caller has them."""
    j = market.asset_ids.get_loc(asset)
    return _buy_and_hold(
        market.close_values[:, j],
        asset,
        market.dates,
        window,
        lag_days,
        rate,
        market.close_ffill_values[:, j],
        dates,
        market.asset_ids[j : j + 1],
    )


def _held_equity(
    market: Market,
    asset: str,
    window: Window,
    lag_days: int,
    rate: float,
    dates: pd.DatetimeIndex,
) -> pd.Series:
    """The equity of ``asset`` bought and held over the window."""
    return _hold_asset(market, asset, window, lag_days, rate, dates).equity


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
    dates = market.dates[window.start_pos : window.end_pos + 1]
    arrays = WindowArrays.build(market, window, dates)
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
    plan = plan_targets(strategy, market, window.start_pos, window.end_pos, switches, dates=dates)
    notes.extend(plan.notes)
    rate = strategy.costs.rate
    drift = strategy.rebalance.drift_threshold
    trading = Trading(
        plan.rows,
        plan.columns,
        plan.values,
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
                column, TOTAL_MARKET, market.dates, window, strategy.lag_days, rate, None, dates
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
        bench = _hold_asset(market, asset, window, strategy.lag_days, rate, dates)
        if len(bench.rebalance_rows) == 0:
            notes.append(f"benchmark {label}: no valid price during the run; it holds cash")
        elif bench.rebalance_rows[0] > 0:
            day = market.dates[window.start_pos + int(bench.rebalance_rows[0])].date()
            notes.append(f"benchmark {label}: first bought on {day}; cash before")
        portfolios[label] = bench

    reference = None
    btc = _bitcoin(market)
    if btc is not None:
        if btc in bench_assets.values():
            label = next(lbl for lbl, a in bench_assets.items() if a == btc)
            reference = portfolios[label].equity
        else:
            # Computed when first asked for (a partial, so that a Result pickles).
            reference = functools.partial(
                _held_equity, market, btc, window, strategy.lag_days, rate, dates
            )
    return Result(
        strategy=strategy,
        market=market,
        dates=dates,
        portfolios=portfolios,
        benchmark_assets=bench_assets,
        reference=reference,
        notes=tuple(notes),
    )
