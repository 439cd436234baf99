"""Many configurations through the batched kernel, with shared work done once.

Configurations whose candidate trade rows coincide (same window, schedules, drift
and risk-off switches) are simulated together: their target weights are stacked into
one (candidates x K x assets) array and the kernel values all K portfolios with one
matrix product per segment. Planning shares screens, rankings and measures between
configurations through a memo. Metrics are computed for all K at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.engine import Configuration, configure
from indexlab.engine.arrays import WindowArrays, run_kernel
from indexlab.engine.kernels import TRADE_FIRST_PRICE
from indexlab.engine.memo import BoundedMemo, forget_per_strategy
from indexlab.engine.portfolio import hold_asset, reference_asset
from indexlab.errors import IndexlabError
from indexlab.market import Market
from indexlab.metrics import METRIC_COLUMNS, summary_arrays, trade_statistics
from indexlab.sweep.spec import Config

BYTES_PER_FLOAT = 8
# The share of a memory budget that planning's memo may hold (shared rankings, screens).
MEMO_SHARE = 0.25
# The most one kernel call's arrays take, whatever the budget.
KERNEL_BATCH_BYTES = 256e6
# A group whose plans target more than this share of the assets runs on the whole panel.
COMPACT_SHARE = 0.5


@dataclass
class _Planned:
    config: Config
    configuration: Configuration


def chunk_size(
    n_candidates: int, n_days: int, n_assets: int, memory_bytes: float, n_slots: int | None = None
) -> int:
    """How many portfolios of a group fit a memory budget: their compact targets
    (candidates x slots, a column and a weight each, twice for copies), equity (days),
    the kernel's book (units twice, held and target lists, reserves: assets) and
    per-trade records (candidates)."""
    slots = n_assets if n_slots is None else n_slots
    per_portfolio = BYTES_PER_FLOAT * (
        4 * n_candidates * slots + 3 * n_days + 6 * n_assets + 6 * n_candidates
    )
    return max(1, int(memory_bytes // max(per_portfolio, 1)))


def member_bound(strategy, n_assets: int) -> int:
    """The most target slots a configuration's plan can have: its count rule's bound
    (top N, the rank band's width, the most members) and its fixed-weight assets, or
    every asset (a weights file, coverage without ``max_n``)."""
    rule = strategy.universe
    if strategy.weighting.scheme == "file":
        return n_assets
    if rule.rank_band is not None:
        bound = rule.rank_band[1] - rule.rank_band[0] + 1
    elif rule.coverage is not None:
        bound = rule.max_n if rule.max_n is not None else n_assets
    else:
        bound = rule.top_n if rule.top_n is not None else rule.max_n
        bound = n_assets if bound is None else bound
    return min(n_assets, bound + len(strategy.weighting.fixed))


def compact_arrays(arrays: WindowArrays, plans: list) -> tuple[WindowArrays, np.ndarray | None]:
    """The window arrays of only the assets some plan ever targets, and each asset's
    column among them (-1: none), or ``arrays`` and ``None`` when most assets are
    targeted. A sweep of top-200 indices over 10,000 coins targets ~1,200 of them in
    20 years: the kernel's valuation (a matrix product over the columns) and its
    reads then cover 12 % of the panel, once per batch (issue 17, item 4). Holdings,
    pending orders and data stops only ever concern targeted assets."""
    n_assets = arrays.close.shape[1]
    targeted = np.zeros(n_assets, dtype=bool)
    for plan in plans:
        targeted[plan.columns[plan.columns >= 0]] = True
    keep = np.flatnonzero(targeted)
    if len(keep) > COMPACT_SHARE * n_assets:
        return arrays, None
    position = np.full(n_assets, -1, dtype=np.int64)
    position[keep] = np.arange(len(keep))
    compact = arrays.columns(keep)
    return compact, position


def run_configs(
    market: Market,
    configs: list[Config],
    *,
    memory_bytes: float = 2e9,
    keep_equity: bool = False,
    memo: dict | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Metrics of every configuration (one row each: ``config_id``, its parameters, the
    metrics of :func:`indexlab.metrics.summary`, ``error``), and their equity when
    ``keep_equity``. A configuration that cannot run (an empty universe, ...) gets its
    error message and no metrics; the others run. ``memo`` (a
    :class:`~indexlab.engine.memo.BoundedMemo` kept across calls on the same market)
    shares planning work between calls; ``memory_bytes`` bounds the memo (a quarter)
    and the kernel's arrays (the rest). ``on_planned(n)`` is told how many
    configurations are planned so far (planning can take most of a chunk's time)."""
    # The planning memo takes at most a quarter of the budget, the kernel the rest.
    memo = BoundedMemo(memory_bytes * MEMO_SHARE) if memo is None else memo
    memory_bytes *= 1 - MEMO_SHARE
    groups: dict[tuple, list[_Planned]] = defaultdict(list)
    rows: dict[str, dict] = {}
    for n, config in enumerate(configs, 1):
        rows[config.id] = {"config_id": config.id, **config.params, "error": None}
        try:
            configuration = configure(config.strategy, market, memo)
        except IndexlabError as exc:
            rows[config.id]["error"] = str(exc)
            continue
        finally:
            if on_planned is not None:
                on_planned(n)
        groups[configuration.group].append(_Planned(config, configuration))
    equities: dict[str, pd.Series] = {}
    btc = reference_asset(market)
    for (start_pos, end_pos, _, _), members in groups.items():
        window = members[0].configuration.window
        plans = [p.configuration.plan for p in members]
        arrays, position = compact_arrays(WindowArrays.build(market, window), plans)
        dates = market.dates[start_pos : end_pos + 1]
        slots = max(plan.columns.shape[1] for plan in plans)
        n_rows = len(plans[0].rows)
        n_days, n_assets = len(dates), len(arrays.assets)
        size = chunk_size(n_rows, n_days, n_assets, memory_bytes, slots)
        # Past a few hundred MB, bigger batches only cost page faults and cache misses.
        size = min(size, chunk_size(n_rows, n_days, n_assets, KERNEL_BATCH_BYTES, slots))
        for first in range(0, len(members), size):
            chunk = members[first : first + size]
            table = _run_chunk(
                market, arrays, position, window, dates, chunk, btc, equities, keep_equity
            )
            for planned, metrics in zip(chunk, table.to_dict("records"), strict=True):
                rows[planned.config.id].update(metrics)
    # What other chunks share (screens, rankings, schedules) stays in the memo.
    forget_per_strategy(memo)
    frame = pd.DataFrame([rows[c.id] for c in configs])
    for column in METRIC_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame, equities


def _run_chunk(
    market, arrays, position, window, dates, chunk, btc, equities, keep_equity
) -> pd.DataFrame:
    """``position``: each market column's column in ``arrays`` (None: the same)."""
    strategies = [p.config.strategy for p in chunk]
    plans = [p.configuration.plan for p in chunk]
    width = max(plan.columns.shape[1] for plan in plans)
    columns = np.full((len(plans[0].rows), len(chunk), width), -1, dtype=np.int64)
    values = np.zeros(columns.shape)
    for k, plan in enumerate(plans):
        mine = (
            plan.columns
            if position is None
            else np.where(plan.columns >= 0, position[plan.columns], -1)
        )
        columns[:, k, : plan.columns.shape[1]] = mine
        values[:, k, : plan.values.shape[1]] = plan.values
    exposure = None
    exposures = [p.configuration.exposure for p in chunk]
    if any(e is not None for e in exposures):
        exposure = np.column_stack([np.ones(len(dates)) if e is None else e for e in exposures])
    out = run_kernel(
        arrays,
        plans[0].rows,
        columns,
        values,
        cost_rate=np.array([s.costs.rate for s in strategies]),
        forced=plans[0].forced,
        exposure=exposure,
        drift_threshold=np.array([s.rebalance.drift_threshold or 0.0 for s in strategies]),
        drift_relative=np.array([s.rebalance.drift_mode == "relative" for s in strategies]),
        delisting_keep=np.array([s.costs.delisting_keep for s in strategies]),
    )
    avg_turnover, total_cost, counts = trade_statistics(
        out.reason >= 0, out.turnover, out.cost, out.value_pre, out.reason == TRADE_FIRST_PRICE
    )
    # BTC held with each portfolio's costs (for beta and correlation): the portfolios
    # sharing a rate are summarised together against theirs.
    keys = [s.costs.rate for s in strategies]
    parts = []
    for key in dict.fromkeys(keys):
        index = np.array([k for k, other in enumerate(keys) if other == key])
        reference = None
        if btc is not None:
            reference = hold_asset(market, btc, window, key, dates).equity_values
        part = summary_arrays(
            out.equity[:, index],
            dates,
            reference_equity=reference,
            turnover=avg_turnover[index],
            cost_share=total_cost[index],
            trades=counts[index],
        )
        part.index = index
        parts.append(part)
    table = pd.concat(parts).sort_index()
    if keep_equity:
        for k, planned in enumerate(chunk):
            equities[planned.config.id] = pd.Series(out.equity[:, k], index=dates, name="equity")
    return table
