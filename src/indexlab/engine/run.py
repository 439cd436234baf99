"""``indexlab.run``: a Strategy and a Market in, a Result out, the benchmarks through
the same engine over the same dates with the same costs."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from indexlab.coverage import coverage_notes
from indexlab.engine.arrays import Window, WindowArrays
from indexlab.engine.configure import configure
from indexlab.engine.explain import explain
from indexlab.engine.first_use import compile_notice
from indexlab.engine.portfolio import (
    held_equity,
    hold_asset,
    hold_column,
    hold_note,
    reference_asset,
    simulate,
)
from indexlab.engine.stale import stale_note, stale_weight_series
from indexlab.engine.warned import warn_once
from indexlab.errors import SpecError
from indexlab.market import TOTAL_MARKET, Market
from indexlab.result import PortfolioRun, Result
from indexlab.spec import Strategy


def _benchmark_label(market: Market, asset: str) -> str:
    symbol = market.assets.at[asset, "symbol"]
    if isinstance(symbol, str) and symbol:
        shared = (market.assets["symbol"].astype("string").str.lower() == symbol.lower()).sum()
        if shared == 1:
            return symbol.upper()
    return asset


def _listed(market: Market, name: str) -> bool:
    """Whether ``name`` is an asset id or an asset's symbol (any case) of ``market``."""
    if name in market.asset_ids:
        return True
    return bool((market.assets["symbol"].astype("string").str.lower() == name.lower()).any())


def _total_market(market: Market, entry: str, window: Window, dates, rate) -> PortfolioRun:
    if market.total_market_cap is None:
        raise SpecError(
            f"benchmarks: {entry!r} needs the total market cap series "
            "(indexlab run --total-market FILE, or Market.with_total_market_cap)"
        )
    column = market.total_market_cap.to_numpy(dtype=np.float64)
    return hold_column(column, TOTAL_MARKET, market.dates, window, rate, dates)


def _benchmarks(
    strategy: Strategy, market: Market, window: Window, dates: pd.DatetimeIndex
) -> tuple[dict[str, PortfolioRun], dict[str, str], list[str]]:
    """Each benchmark held over the run: portfolios by label, their assets, notes.
    A default benchmark the market lacks is skipped with a note; a named one is an
    error."""
    rate = strategy.costs.rate
    portfolios: dict[str, PortfolioRun] = {}
    assets: dict[str, str] = {}
    notes: list[str] = []
    defaults = strategy.benchmarks_are_default
    for entry in strategy.benchmarks:
        if entry.lower().replace("_", "-") == TOTAL_MARKET:
            if TOTAL_MARKET in assets:
                raise SpecError(f"benchmarks: {entry!r} is listed already")
            portfolios[TOTAL_MARKET] = _total_market(market, entry, window, dates, rate)
            assets[TOTAL_MARKET] = TOTAL_MARKET
            notes.append(
                "benchmark total-market: the total market cap as a level (growth of the "
                "whole market's value, new coins included), not an investable portfolio"
            )
            continue
        if defaults and not _listed(market, entry):
            # Checked before resolving: the error of an absent asset builds "did you
            # mean" suggestions over every id, which a skipped default never shows.
            notes.append(f"default benchmark {entry} is not in {market.source}: skipped")
            continue
        asset = market.resolve_asset(entry, field_name="benchmarks")
        if asset in assets.values():
            raise SpecError(f"benchmarks: {entry!r} names {asset!r}, which is listed already")
        label = _benchmark_label(market, asset)
        if label == strategy.name or label in assets:
            label = asset  # the id is unique; the upper-cased symbol may not be
        if label == strategy.name:
            raise SpecError(f"benchmarks: {entry!r} has the strategy's own name {label!r}")
        assets[label] = asset
        portfolios[label] = hold_asset(market, asset, window, rate, dates)
        note = hold_note(label, portfolios[label], dates)
        if note:
            notes.append(note)
    return portfolios, assets, notes


def run(strategy: Strategy, market: Market, *, warn: bool = True) -> Result:
    """Backtest ``strategy`` on ``market`` and its benchmarks over the same dates and costs.

    The run's notes (survivorship of the data, defaults used, benchmarks skipped, rows
    dropped at loading, ...) are kept in ``Result.notes`` and, unless ``warn=False``,
    also emitted as :class:`~indexlab.errors.IndexlabWarning` so a notebook shows them.
    """
    with compile_notice():
        return _run(strategy, market, warn)


def _run(strategy: Strategy, market: Market, warn: bool) -> Result:
    config = configure(strategy, market)
    window = config.window
    dates = market.dates[window.start_pos : window.end_pos + 1]
    # Notes of the whole data (a short run says nothing of survivorship), then the run's.
    notes = [*coverage_notes(market, until=dates[-1]), *market.notes, *config.notes]
    arrays = WindowArrays.build(market, window, dates, again=True)
    portfolios = {strategy.name: simulate(arrays, config.trading, strategy.costs.rate)}
    stale = stale_weight_series(portfolios[strategy.name], market)
    notes.extend(stale_note(stale))  # issue 16, item 7: weight valued at carried closes
    benchmarks, bench_assets, bench_notes = _benchmarks(strategy, market, window, dates)
    portfolios.update(benchmarks)
    notes.extend(bench_notes)

    reference = None
    btc = reference_asset(market)
    if btc is not None:
        if btc in bench_assets.values():
            label = next(lbl for lbl, a in bench_assets.items() if a == btc)
            reference = portfolios[label].equity
        else:
            # Computed when first asked for (a partial, so that a Result pickles).
            reference = functools.partial(
                held_equity, market, btc, window, strategy.costs.rate, dates
            )
    if warn:  # each text once per Market; all stay in Result.notes
        warn_once(notes, market, stacklevel=3)  # pointing at the caller of run()
    return Result(
        strategy=strategy,
        market=market,
        dates=dates,
        portfolios=portfolios,
        benchmark_assets=bench_assets,
        reference=reference,
        notes=tuple(notes),
        explanation=functools.partial(explain, config, market),
    )
