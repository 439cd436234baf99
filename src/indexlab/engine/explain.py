"""Why an asset is (not) in the index on a review date: the planning steps again, with
every screen and every selection reason kept, as tidy frames a notebook can filter.

``Result.universe()`` and ``Result.selection()`` call these on the run's own
configuration; nothing here runs during a backtest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.engine.configure import Configuration
from indexlab.engine.plan import Planner, review_list
from indexlab.market import Market
from indexlab.rules.measures import measure_values, observation_rows, observed
from indexlab.rules.selection import select_members
from indexlab.rules.universe import (
    age_screen,
    exclusion_mask,
    market_dated_tags,
    top_k_mask,
    volume_screen,
)
from indexlab.spec import Strategy
from indexlab.taxonomy import dated_tags


def _snapshots(config: Configuration) -> np.ndarray:
    window, strategy = config.window, config.strategy
    return window.start_pos + config.plan.review_rows - strategy.lag_days


def _exclusion_reasons(strategy: Strategy, market: Market, snapshot: np.ndarray) -> np.ndarray:
    """The first exclusion rule that removes each asset on each snapshot ('' if none)."""
    reasons = np.full((len(snapshot), len(market.asset_ids)), "", dtype=object)
    rule = strategy.universe
    if not rule.exclusions:
        return reasons
    extra = dated_tags(strategy.resolve_path(rule.tags_file)) if rule.tags_file else None
    tags = market_dated_tags(market, extra)
    for exclusion in rule.exclusions:
        mask = exclusion_mask(market, [exclusion], market.dates[snapshot], tags=tags)
        reasons[mask & (reasons == "")] = f"excluded: {exclusion.name}"
    return reasons


def universe_frame(config: Configuration, market: Market) -> pd.DataFrame:
    """One row per review date and asset listed then (a valid close on the snapshot day
    or in the data around it): ``date``, ``snapshot`` (the day whose data decided),
    ``asset``, ``eligible`` and, if not, ``reason`` (the first screen it failed), its
    ``market_cap`` and ranking ``measure`` on the snapshot day."""
    strategy, rule = config.strategy, config.strategy.universe
    snapshot = _snapshots(config)
    rows = None  # as the screens read them: within the staleness limit, if any
    if rule.max_staleness_days > 0:
        rows = observation_rows(market, snapshot, rule.max_staleness_days)
    close = observed(market.close_values, snapshot, rows=rows)
    caps = observed(market.market_cap_values, snapshot, rows=rows)
    measure = observed(measure_values(market, strategy.ranking), snapshot, rows=rows)
    reason = np.full(close.shape, "", dtype=object)

    def fail(mask: np.ndarray, text: str) -> None:
        reason[mask & (reason == "")] = text

    fail(~(np.isfinite(close) & (close > 0)), "no valid close")
    fail(~(np.isfinite(caps) & (caps > 0)), "no valid market cap")
    excluded = _exclusion_reasons(strategy, market, snapshot)
    reason[(reason == "") & (excluded != "")] = excluded[(reason == "") & (excluded != "")]
    fail(~np.isfinite(measure), "no ranking measure")
    base = reason == ""
    if rule.pre_top_k is not None:
        fail(~top_k_mask(measure, base, rule.pre_top_k), f"outside the top {rule.pre_top_k}")
    if rule.min_volume > 0 or rule.min_volume_ratio > 0:
        passed = volume_screen(
            market,
            snapshot,
            min_volume=rule.min_volume,
            min_ratio=rule.min_volume_ratio,
            window_days=rule.volume_window_days,
        )
        fail(~passed, "volume screen")
    if rule.min_age_days > 0:
        fail(~age_screen(market, snapshot, rule.min_age_days), f"listed < {rule.min_age_days} days")
    first, last = market.first_valid_positions(), market.last_valid_positions()
    listed = (first[None, :] >= 0) & (first[None, :] <= snapshot[:, None])
    listed &= last[None, :] >= snapshot[:, None]
    r, a = np.nonzero(listed)
    review_dates = market.dates[config.window.start_pos + config.plan.review_rows]
    return pd.DataFrame(
        {
            "date": review_dates[r],
            "snapshot": market.dates[snapshot][r],
            "asset": market.asset_ids[a],
            "eligible": reason[r, a] == "",
            "reason": reason[r, a],
            "market_cap": caps[r, a],
            "measure": measure[r, a],
        }
    )


def selection_frame(config: Configuration, market: Market) -> pd.DataFrame:
    """One row per review date and eligible asset or member: ``rank`` among those who
    could enter (0: could not), ``measure``, ``member_before``, ``selected`` and
    ``reason`` (why it is in, or why not)."""
    strategy, rule = config.strategy, config.strategy.universe
    window = config.window
    planner = Planner(strategy, market, window.start_pos, window.end_pos)
    review_rows = config.plan.review_rows
    screens_key, members = planner.members(review_rows)
    del screens_key
    selected = np.zeros((len(review_rows), len(market.asset_ids)), dtype=bool)
    rows, slots = np.nonzero(members.columns >= 0)
    selected[rows, members.columns[rows, slots]] = True
    screens = planner.screens(_snapshots(config))[1]
    detail: dict = {}
    streak = planner.warmup(int(review_rows[0])) if rule.seasoning_reviews > 1 else None
    select_members(rule, review_list(screens), None, streak, detail)
    before = np.vstack([np.zeros((1, selected.shape[1]), dtype=bool), selected[:-1]])
    show = detail["eligible"] | selected | screens.eligible
    r, a = np.nonzero(show)
    rank = detail["rank"][r, a]
    reasons = [
        _reason(rule, planner, bool(selected[i, j]), bool(before[i, j]), int(k),
                bool(detail["eligible"][i, j]), int(detail["streak"][i, j]), j)
        for i, j, k in zip(r, a, rank, strict=True)
    ]  # fmt: skip
    dates = market.dates[window.start_pos + review_rows]
    return pd.DataFrame(
        {
            "date": dates[r],
            "asset": market.asset_ids[a],
            "rank": rank,
            "measure": screens.measure[r, a],
            "member_before": before[r, a],
            "selected": selected[r, a],
            "reason": reasons,
        }
    )


def _reason(rule, planner, selected, before, rank, eligible, streak, column) -> str:
    """Why one asset is in the index at one review, or why not."""
    if column in planner.fixed:
        return "fixed weight" if selected else "fixed weight, no valid price"
    n = rule.top_n
    if selected:
        if rule.count_rule != "top_n":
            return f"rank {rank}: within the {rule.count_rule.replace('_', ' ')} rule"
        if before and rank > n:
            return f"rank {rank}: kept by the buffer (exit rank {rule.exit_rank or n})"
        if not before and rule.has_buffer:
            return f"rank {rank}: entered a free place"
        return f"rank {rank}: within the top {n}"
    if not eligible:
        return "below the market-cap threshold"
    if rank == 0:
        return f"not seasoned ({streak} of {rule.seasoning_reviews} reviews)"
    if before:
        return f"rank {rank}: beyond the exit rank {rule.exit_rank or n}"
    if rule.has_buffer:
        return f"rank {rank}: no free place for a newcomer"
    return f"rank {rank}: outside the {rule.count_rule.replace('_', ' ')} rule"


def explain(config: Configuration, market: Market, kind: str) -> pd.DataFrame:
    """``kind`` is ``universe`` (:func:`universe_frame`) or ``selection``."""
    return (universe_frame if kind == "universe" else selection_frame)(config, market)
