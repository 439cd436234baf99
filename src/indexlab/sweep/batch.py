"""Many configurations through the batched kernel, with shared work done once.

Configurations whose candidate trade rows coincide (same window, schedules, drift
and risk-off switches) are simulated together: their target weights are stacked into
one (candidates x K x assets) array and the kernel values all K portfolios with one
matrix product per segment. Planning shares screens, rankings and measures between
configurations through a memo. Metrics are computed for all K at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.engine.plan import BoundedMemo, forget_per_strategy, plan_targets
from indexlab.engine.simulate import (
    WindowArrays,
    _bitcoin,
    _hold_asset,
    run_kernel,
    run_window,
)
from indexlab.errors import IndexlabError
from indexlab.market import Market
from indexlab.metrics import METRIC_COLUMNS, summary_arrays
from indexlab.rules.risk_off import market_signal, risk_exposure
from indexlab.sweep.spec import Config

BYTES_PER_FLOAT = 8
# The share of a memory budget that planning's memo may hold (shared rankings, screens).
MEMO_SHARE = 0.25
# The most one kernel call's arrays take, whatever the budget.
KERNEL_BATCH_BYTES = 256e6


@dataclass
class _Planned:
    config: Config
    rows: np.ndarray
    columns: np.ndarray  # compact targets: (candidates x slots) columns and values
    values: np.ndarray
    forced: np.ndarray
    exposure: np.ndarray | None


def _plan(config: Config, market: Market, memo: dict) -> tuple[tuple, _Planned]:
    strategy = config.strategy
    window = run_window(strategy, market)
    exposure = switches = None
    if strategy.risk_off is not None:
        key = ("risk", strategy.risk_off, strategy.lag_days, strategy.origin)
        if key not in memo:
            memo[key] = risk_exposure(market_signal(strategy, market), strategy.lag_days)
        exposure = memo[key][window.start_pos : window.end_pos + 1]
        switches = np.flatnonzero(np.diff(exposure) != 0) + 1
    plan = plan_targets(strategy, market, window.start_pos, window.end_pos, switches, memo)
    group = (window.start_pos, window.end_pos, plan.rows.tobytes(), plan.forced.tobytes())
    return group, _Planned(config, plan.rows, plan.columns, plan.values, plan.forced, exposure)


def chunk_size(
    n_candidates: int, n_days: int, n_assets: int, memory_bytes: float, n_slots: int | None = None
) -> int:
    """How many portfolios of a group fit a memory budget: their compact targets
    (candidates x slots, a column and a weight each, twice for copies), equity (days),
    the kernel's units and held lists (assets) and per-trade records (candidates)."""
    slots = n_assets if n_slots is None else n_slots
    per_portfolio = BYTES_PER_FLOAT * (
        4 * n_candidates * slots + 3 * n_days + 2 * n_assets + 4 * n_candidates
    )
    return max(1, int(memory_bytes // max(per_portfolio, 1)))


def run_configs(
    market: Market,
    configs: list[Config],
    *,
    memory_bytes: float = 2e9,
    keep_equity: bool = False,
    memo: dict | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Metrics of every configuration (one row each: ``config_id``, its parameters, the
    metrics of :func:`indexlab.metrics.summary`, ``error``), and their equity when
    ``keep_equity``. A configuration that cannot run (an empty universe, ...) gets its
    error message and no metrics; the others run. ``memo`` (a
    :class:`~indexlab.engine.plan.BoundedMemo` kept across calls on the same market)
    shares planning work between calls; ``memory_bytes`` bounds the memo (a quarter)
    and the kernel's arrays (the rest)."""
    # The planning memo takes at most a quarter of the budget, the kernel the rest.
    memo = BoundedMemo(memory_bytes * MEMO_SHARE) if memo is None else memo
    memory_bytes *= 1 - MEMO_SHARE
    groups: dict[tuple, list[_Planned]] = defaultdict(list)
    rows: dict[str, dict] = {}
    for config in configs:
        rows[config.id] = {"config_id": config.id, **config.params, "error": None}
        try:
            group, planned = _plan(config, market, memo)
        except IndexlabError as exc:
            rows[config.id]["error"] = str(exc)
            continue
        groups[group].append(planned)
    equities: dict[str, pd.Series] = {}
    btc = _bitcoin(market)
    for (start_pos, end_pos, _, _), members in groups.items():
        window = run_window(members[0].config.strategy, market)
        arrays = WindowArrays.build(market, window)
        dates = market.dates[start_pos : end_pos + 1]
        slots = max(p.columns.shape[1] for p in members)
        n_rows, n_days, n_assets = len(members[0].rows), len(dates), len(market.asset_ids)
        size = chunk_size(n_rows, n_days, n_assets, memory_bytes, slots)
        # Past a few hundred MB, bigger batches only cost page faults and cache misses.
        size = min(size, chunk_size(n_rows, n_days, n_assets, KERNEL_BATCH_BYTES, slots))
        for first in range(0, len(members), size):
            chunk = members[first : first + size]
            table = _run_chunk(market, arrays, window, dates, chunk, btc, equities, keep_equity)
            for planned, metrics in zip(chunk, table.to_dict("records"), strict=True):
                rows[planned.config.id].update(metrics)
    # What other chunks share (screens, rankings, schedules) stays in the memo.
    forget_per_strategy(memo)
    frame = pd.DataFrame([rows[c.id] for c in configs])
    for column in METRIC_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame, equities


def _run_chunk(market, arrays, window, dates, chunk, btc, equities, keep_equity) -> pd.DataFrame:
    strategies = [p.config.strategy for p in chunk]
    width = max(p.columns.shape[1] for p in chunk)
    columns = np.full((len(chunk[0].rows), len(chunk), width), -1, dtype=np.int64)
    values = np.zeros(columns.shape)
    for k, planned in enumerate(chunk):
        columns[:, k, : planned.columns.shape[1]] = planned.columns
        values[:, k, : planned.values.shape[1]] = planned.values
    exposure = None
    if any(p.exposure is not None for p in chunk):
        exposure = np.column_stack(
            [np.ones(len(dates)) if p.exposure is None else p.exposure for p in chunk]
        )
    out = run_kernel(
        arrays,
        chunk[0].rows,
        columns,
        values,
        cost_rate=np.array([s.costs.rate for s in strategies]),
        forced=chunk[0].forced,
        exposure=exposure,
        drift_threshold=np.array([s.rebalance.drift_threshold or 0.0 for s in strategies]),
        drift_relative=np.array([s.rebalance.drift_mode == "relative" for s in strategies]),
    )
    equity, reason, value_pre, traded, cost = out[:5]
    did = reason >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        turnover = np.where(did, traded / value_pre, 0.0)
        share = np.where(did, cost / value_pre, 0.0)
    counts = did.sum(axis=0)
    # Mean turnover after the first trade (the initial buy) of each portfolio.
    first_trade = np.argmax(did, axis=0)
    later = did.copy()
    later[first_trade, np.arange(did.shape[1])] = False
    with np.errstate(invalid="ignore"):
        avg_turnover = np.where(
            counts > 1, (turnover * later).sum(axis=0) / np.maximum(counts - 1, 1), 0.0
        )
    # BTC held with each portfolio's lag and costs (for beta and correlation): the
    # portfolios sharing a (lag, rate) are summarised together against theirs.
    keys = [(s.lag_days, s.costs.rate) for s in strategies]
    parts = []
    for key in dict.fromkeys(keys):
        index = np.array([k for k, other in enumerate(keys) if other == key])
        reference = None
        if btc is not None:
            reference = _hold_asset(market, btc, window, key[0], key[1], dates).equity_values
        part = summary_arrays(
            equity[:, index],
            dates,
            reference_equity=reference,
            turnover=avg_turnover[index],
            cost_share=share.sum(axis=0)[index],
            trades=counts[index],
        )
        part.index = index
        parts.append(part)
    table = pd.concat(parts).sort_index()
    if keep_equity:
        for k, planned in enumerate(chunk):
            equities[planned.config.id] = pd.Series(equity[:, k], index=dates, name="equity")
    return table
