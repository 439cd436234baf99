"""The notes planning leaves on a run: short or empty universes, bounds that cannot
hold, members without a price or measure, members ranked on data that end before their
trade (with a staleness limit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from indexlab.errors import UniverseError

if TYPE_CHECKING:
    from indexlab.engine.plan import Planner, Targets
    from indexlab.rules.schedule import Calendar
    from indexlab.rules.selection import Members


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def membership_notes(strategy, members: Members, calendar: Calendar, dates, n_fixed) -> list[str]:
    rule = strategy.universe
    counts, review_rows = members.counts, calendar.review_rows
    if not counts.any():
        raise UniverseError(
            f"{strategy.origin or strategy.name}: the universe is empty on every review date "
            f"from {dates[0].date()} to {dates[-1].date()} (no asset passed the exclusions "
            "and screens of [universe])"
        )
    notes = []
    short = counts < (rule.top_n or 0) + n_fixed
    if rule.count_rule == "top_n" and short.any():
        notes.append(
            f"fewer than top_n={rule.top_n} eligible assets on {int(short.sum())} of "
            f"{len(review_rows)} review dates (as few as {int(counts.min())}, first on "
            f"{dates[review_rows[_first(short)]].date()}); all eligible assets were held"
        )
    empty = counts == 0
    if empty.any():
        notes.append(
            f"no eligible asset on {int(empty.sum())} review date(s) (first on "
            f"{dates[review_rows[_first(empty)]].date()}); the portfolio held cash until the next"
        )
    return notes


def weight_notes(planner: Planner, targets: Targets, calendar: Calendar) -> list[str]:
    notes = []
    weighting, forced, dates = planner.strategy.weighting, calendar.forced, planner.dates
    if not targets.feasible.all():
        bounds = ", ".join(
            f"{k}={getattr(weighting, k)}"
            for k in ("cap", "cap_largest", "floor")
            if getattr(weighting, k) is not None
        )
        notes.append(
            f"weighting {bounds} cannot hold with so few assets on "
            f"{int((~targets.feasible).sum())} rebalance date(s) (first on "
            f"{dates[calendar.rows[_first(~targets.feasible)]].date()}): equal weights were "
            "used there"
        )
    lost = targets.used & ~targets.weighable
    if lost[forced].any():
        notes.append(
            f"{int(lost[forced].sum())} times a member had no valid price or weighting measure "
            "on a rebalance's snapshot day and got no weight (the others share its weight)"
        )
    for column in planner.fixed:
        missing = ((targets.columns == column) & targets.weighable).sum(axis=1) == 0
        if missing[forced].any():
            notes.append(
                f"fixed-weight asset {planner.market.asset_ids[column]} had no valid price on "
                f"{int(missing[forced].sum())} rebalance date(s): its weight went to the "
                "other members"
            )
    return notes


def ended_notes(planner: Planner, targets: Targets, calendar: Calendar) -> list[str]:
    """With a staleness limit, a member may be ranked on data that end before its trade
    day (its last snapshot): the engine holds its weight as cash (delisting); say so."""
    limit = planner.strategy.universe.max_staleness_days
    if limit == 0:
        return []
    last = planner.market.last_valid_positions()[np.maximum(targets.columns, 0)]
    rows = planner.start_pos + calendar.rows
    ended = (targets.columns >= 0) & (targets.values > 0) & (last < rows[:, None])
    ended &= calendar.forced[:, None]
    if not ended.any():
        return []
    share = np.where(ended, targets.values, 0.0).sum(axis=1)
    worst = int(np.argmax(share))
    return [
        f"{int(ended.sum())} times a member ranked on data up to {limit} days old "
        f"(universe.max_staleness_days) had no data left on its trade day: its target "
        f"weight was held as cash (on {int(ended.any(axis=1).sum())} rebalance dates, at "
        f"most {share[worst]:.2%} on {planner.dates[calendar.rows[worst]].date()})"
    ]
