"""From a Strategy to what the kernel trades: candidate rows and target weights.

Planning is a pipeline of the steps :mod:`indexlab.rules` exports, each taking the
data as of its snapshot day and the previous step's typed output:

    calendar (schedule) -> screens (eligibility) -> members (ranking, selection,
    seasoning, buffers) -> weights (scheme, bounds, fixed weights) -> Plan

Decisions on row t use the snapshot at market row ``start_pos + t - lag_days``: data up
to that close and nothing later. A sweep passes a memo: each step's output is kept under
its inputs (:func:`indexlab.engine.memo.memoised`), so configurations that share them
share the work.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from indexlab.engine.memo import memoised
from indexlab.engine.plan_notes import ended_notes, membership_notes, weight_notes
from indexlab.market import Market
from indexlab.rules.measures import measure_values, observation_rows, observed
from indexlab.rules.prefix import RankedPrefix
from indexlab.rules.schedule import Calendar, calendar_key, plan_calendar, prior_reviews
from indexlab.rules.selection import (
    Members,
    Review,
    columns_of,
    depends_on_history,
    independent_columns,
    prefix_members,
    ranking_order,
    select,
    warmup_streak,
)
from indexlab.rules.universe import Screens, screen
from indexlab.rules.weighting import bounded_weights, power_weights
from indexlab.rules.weights_file import file_weights
from indexlab.spec import Strategy


@dataclass(frozen=True, eq=False)
class Plan:
    """Candidate trade rows (relative to the run window) and their target weights, kept
    compact: on each candidate row, the member columns and their weights (candidates x
    slots, column -1 in unused slots)."""

    rows: np.ndarray  # increasing candidate rows
    columns: np.ndarray  # (candidates x slots) asset columns, -1 unused
    values: np.ndarray  # (candidates x slots) their target weights
    forced: np.ndarray  # bool per candidate: scheduled (trades whatever the drift)
    review_rows: np.ndarray  # rows where membership was reviewed
    n_assets: int
    notes: list[str] = field(default_factory=list)

    @cached_property
    def weights(self) -> np.ndarray:
        """The targets as a dense (candidates x assets) array."""
        return dense(self.columns, self.values, self.n_assets)


def dense(columns: np.ndarray, values: np.ndarray, n_assets: int) -> np.ndarray:
    """Compact (rows x slots) weights as a dense (rows x assets) array."""
    out = np.zeros((len(columns), n_assets))
    rows, slots = np.nonzero(columns >= 0)
    out[rows, columns[rows, slots]] = values[rows, slots]
    return out


@dataclass(frozen=True, eq=False)
class Targets:
    """The weights step's output on the candidate rows: member columns, their target
    weights, which slots are members and which could be weighted, and where the bounds
    could not hold."""

    columns: np.ndarray
    values: np.ndarray
    used: np.ndarray
    weighable: np.ndarray
    feasible: np.ndarray


def _resolve_fixed(strategy: Strategy, market: Market) -> dict[int, float]:
    """The fixed-weight assets' columns and weights."""
    fixed = {}
    for name, weight in strategy.weighting.fixed.items():
        asset = market.resolve_asset(name, field_name=f"weighting.fixed.{name}")
        fixed[market.asset_ids.get_loc(asset)] = weight
    return fixed


def _screens_key(strategy: Strategy, snapshot: np.ndarray) -> tuple:
    """What the eligibility step reads: the snapshots, the universe's screens (its count
    rule and history rules neutralised), the ranking measure, the tags file's home."""
    rule = dataclasses.replace(
        strategy.universe,
        top_n=1,
        rank_band=None,
        max_n=None,
        coverage=None,
        min_n=None,
        min_market_cap=0.0,
        min_market_cap_members=None,
        seasoning_reviews=1,
        entry_rank=None,
        exit_rank=None,
        replacement_ratio=0.0,
    )
    origin = strategy.origin if strategy.universe.tags_file else ""
    return ("screens", snapshot.tobytes(), rule, strategy.ranking, origin)


class Planner:
    """The planning steps of one strategy over one run window (rows ``start_pos`` ..
    ``end_pos`` of the market), each memoised by its inputs when ``memo`` is given."""

    def __init__(self, strategy, market, start_pos, end_pos, memo=None, dates=None) -> None:
        self.strategy, self.market, self.memo = strategy, market, memo
        self.start_pos, self.end_pos = start_pos, end_pos
        self.dates = market.dates[start_pos : end_pos + 1] if dates is None else dates
        self.lag = strategy.lag_days
        self.fixed = _resolve_fixed(strategy, market)
        rule = strategy.universe
        self.prefix = (
            not self.fixed
            and not depends_on_history(rule)
            and rule.count_rule in ("top_n", "max_n")
        )

    def calendar(self, extra_rows: np.ndarray | None) -> Calendar:
        s = self.strategy
        key = (
            "calendar",
            self.start_pos,
            self.end_pos,
            calendar_key(s.rebalance),
            calendar_key(s.reconstitution),
            None if extra_rows is None else extra_rows.tobytes(),
            s.rebalance.drift_threshold is not None,
        )
        step = lambda: plan_calendar(self.dates, s.rebalance, s.reconstitution, extra_rows)  # noqa: E731
        return memoised(self.memo, key, step)

    def screens(self, snapshot: np.ndarray) -> tuple[tuple, Screens]:
        key = _screens_key(self.strategy, snapshot)
        return key, memoised(self.memo, key, lambda: screen(self.strategy, self.market, snapshot))

    def members(self, review_rows: np.ndarray) -> tuple[tuple, Members]:
        """The ranking and selection steps at every review; with the screens' key."""
        rule = self.strategy.universe
        key, screens = self.screens(self.start_pos + review_rows - self.lag)
        if self.fixed or depends_on_history(rule):
            always = np.zeros(len(self.market.asset_ids), dtype=bool)
            always[list(self.fixed)] = True
            streak = self.warmup(int(review_rows[0])) if rule.seasoning_reviews > 1 else None
            return key, select(rule, review_list(screens), always if self.fixed else None, streak)
        top = rule.top_n or rule.max_n
        # Alone, a top-N strategy needs the first N ranks only; a memo serves every N.
        keep = top if self.prefix and self.memo is None else None
        order, n_candidates = memoised(
            self.memo,
            ("order", key, rule.min_market_cap),
            lambda: ranking_order(
                screens.eligible, screens.market_cap, screens.measure, rule.min_market_cap, keep
            ),
        )
        if self.prefix:
            return key, prefix_members(order, n_candidates, top)
        columns = independent_columns(rule, order, n_candidates, screens.measure)
        return key, Members(columns, n_candidates)

    def warmup(self, first_review: int) -> np.ndarray:
        """Each asset's eligible reviews in a row before the first, on the review
        calendar reaching back into the data before the run (seasoning)."""
        rule, s = self.strategy.universe, self.strategy
        wanted = rule.seasoning_reviews - 1
        before = self.market.dates[: self.start_pos + first_review]
        prior = prior_reviews(before, s.reconstitution or s.rebalance, wanted)
        snapshot = prior[prior - self.lag >= 0] - self.lag
        reviews = review_list(self.screens(snapshot)[1]) if len(snapshot) else []
        listed = np.isfinite(self.market.close_values[0])
        return warmup_streak(rule, reviews, listed, wanted - len(reviews))

    def observation(self, snapshot: np.ndarray) -> np.ndarray | None:
        """Where each asset is read on each snapshot row: ``None`` (the row itself) or,
        with a staleness limit, its latest valid row within it (as ranking reads it)."""
        limit = self.strategy.universe.max_staleness_days
        if limit == 0:
            return None
        key = ("observed", snapshot.tobytes(), limit)
        return memoised(self.memo, key, lambda: observation_rows(self.market, snapshot, limit))

    def weights(self, calendar: Calendar, screens_key: tuple, members: Members) -> Targets:
        """The weighting step on the candidate rows: the members of the latest review,
        weighted from each row's own snapshot (within the staleness limit), then bounded."""
        latest = np.searchsorted(calendar.review_rows, calendar.rows, side="right") - 1
        snapshot = self.start_pos + calendar.rows - self.lag
        weighting = self.strategy.weighting
        measure = memoised(
            self.memo,
            ("measure", weighting.measure_spec),
            lambda: measure_values(self.market, weighting.measure_spec),
        )
        if members.order is not None:
            return self._prefix_weights(calendar, screens_key, members, latest, snapshot, measure)
        columns = members.columns[latest]
        used = columns >= 0
        safe = np.where(used, columns, 0)
        rows = self.observation(snapshot)
        close = observed(self.market.close_values, snapshot, safe, rows)
        wm = observed(measure, snapshot, safe, rows)
        with np.errstate(invalid="ignore"):
            weighable = used & np.isfinite(close) & np.isfinite(wm) & (wm > 0)
        fixed_values = np.zeros(columns.shape)
        is_fixed = np.zeros(columns.shape, dtype=bool)
        for column, weight in self.fixed.items():
            here = columns == column
            is_fixed |= here
            fixed_values[here & weighable] = weight
        rest = weighable & ~is_fixed
        raw = power_weights(np.where(rest, wm, 0.0), rest, weighting.exponent)
        bounded, feasible = self._bound(raw, rest, columns, 1.0 - fixed_values.sum(axis=1))
        return Targets(columns, bounded + fixed_values, used, weighable, feasible)

    def _prefix_weights(self, calendar, screens_key, members, latest, snapshot, measure):
        """Top-N members are a prefix of the ranking: the gathered prices, measures and
        running sums of every prefix are shared by all N (a sweep's common case)."""
        weighting, n = self.strategy.weighting, members.top
        limit = members.n_candidates[latest]
        # Ranks past the last candidate never count, nor ranks past N alone; a memo keeps
        # the first 256 ranks (or the power of two above N), which serve every N of a
        # usual sweep: all ranks of 10,000 coins made each entry 40 times larger.
        width = members.order.shape[1]
        if self.memo is None:
            width = min(width, n)
        else:
            width = min(width, int(limit.max(initial=0)), prefix_width(n))
        key = (
            "ordered",
            width,
            screens_key,
            self.strategy.universe.min_market_cap,
            calendar.rows.tobytes(),
            self.lag,
            self.strategy.universe.max_staleness_days,
            weighting.measure_spec,
            weighting.exponent,
        )

        def build() -> RankedPrefix:
            order = members.order[latest, :width]
            rows = self.observation(snapshot)
            gathered = (
                observed(self.market.close_values, snapshot, order, rows),
                observed(measure, snapshot, order, rows),
            )
            return RankedPrefix.build(order, limit, *gathered, weighting.exponent)  # fmt: skip

        prefix = memoised(self.memo, key, build)
        columns, used, weighable, raw = memoised(
            self.memo, ("take", key, n), lambda: prefix.take(n)
        )
        bounds = ("bounded", key, n, weighting.cap, weighting.cap_largest, weighting.floor)
        # Strategies that differ in costs only (a sweep's fee axis) share their weights.
        bounded, feasible = memoised(
            self.memo, bounds, lambda: self._bound(raw, weighable, columns, np.ones(len(raw)))
        )
        return Targets(columns, bounded, used, weighable, feasible)

    def _bound(self, raw, rest, columns, totals) -> tuple[np.ndarray, np.ndarray]:
        """The bounds step: caps, the largest member's cap, floors (pro rata)."""
        w = self.strategy.weighting
        if w.cap is None and w.cap_largest is None and w.floor is None:
            return raw * totals[:, None], np.ones(len(raw), dtype=bool)
        # The largest member: the largest raw weight, ties to the lowest asset id.
        top = raw.max(axis=1, keepdims=True)
        largest = np.argmin(np.where((raw == top) & rest, columns, np.iinfo(np.int64).max), axis=1)
        return bounded_weights(
            raw, cap=w.cap, cap_largest=w.cap_largest, floor=w.floor, totals=totals, largest=largest
        )


def prefix_width(n: int) -> int:
    """How many ranks a memoised :class:`RankedPrefix` keeps for a top ``n``: at least
    256, else the power of two from ``n`` up (each width's prefix is the same ranks, so
    every N up to it shares one)."""
    return max(256, 1 << (n - 1).bit_length())


def review_list(screens: Screens) -> list[Review]:
    """The screens of each review as the selection step reads them."""
    return [
        Review(screens.eligible[r], screens.market_cap[r], screens.measure[r])
        for r in range(len(screens.eligible))
    ]


def plan_targets(
    strategy: Strategy,
    market: Market,
    start_pos: int,
    end_pos: int,
    extra_rows: np.ndarray | None = None,
    memo: dict | None = None,
    dates: pd.DatetimeIndex | None = None,
) -> Plan:
    """The candidate rows and target weights of ``strategy`` over a run window;
    ``extra_rows`` are more rows that must trade (risk-off switches). ``memo`` (a dict
    kept across calls on the same market) shares the steps' outputs between strategies
    that have their inputs in common, as in a sweep."""
    planner = Planner(strategy, market, start_pos, end_pos, memo, dates)
    calendar = planner.calendar(extra_rows)
    n_assets = len(market.asset_ids)
    if strategy.weighting.scheme == "file":
        snapshot = market.dates[start_pos + calendar.rows - planner.lag]
        weights = file_weights(strategy, market, snapshot)
        columns = columns_of(weights > 0)
        values = np.where(columns >= 0, np.take_along_axis(weights, np.maximum(columns, 0), 1), 0.0)
        return Plan(calendar.rows, columns, values, calendar.forced, calendar.review_rows, n_assets)
    screens_key, members = planner.members(calendar.review_rows)
    notes = membership_notes(strategy, members, calendar, planner.dates, len(planner.fixed))
    targets = planner.weights(calendar, screens_key, members)
    notes += weight_notes(planner, targets, calendar) + ended_notes(planner, targets, calendar)
    return Plan(
        calendar.rows,
        targets.columns,
        targets.values,
        calendar.forced,
        calendar.review_rows,
        n_assets,
        notes,
    )
