"""From a Strategy to what the kernel trades: candidate rows and target weights.

Reviews (the reconstitution schedule) decide membership; every candidate row (the
rebalance schedule, the reviews, every day when drift is checked) gets target weights
for the current members. Decisions on row t use the snapshot at market row
``start_pos + t - lag_days``: data up to that close and nothing later.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from indexlab.errors import DataError, SpecError, UniverseError
from indexlab.market import Market
from indexlab.rules.measures import measure_values
from indexlab.rules.schedule import calendar_key, schedule_positions
from indexlab.rules.selection import (
    Review,
    columns_of,
    depends_on_history,
    independent_columns,
    ranking_order,
    select_members,
)
from indexlab.rules.universe import (
    age_screen,
    eligibility,
    exclusion_mask,
    market_dated_tags,
    top_k_mask,
    volume_screen,
)
from indexlab.rules.weighting import bounded_weights, power_weights
from indexlab.spec import Strategy
from indexlab.taxonomy import dated_tags


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
        dense = np.zeros((len(self.rows), self.n_assets))
        scatter(dense, self.columns, self.values)
        return dense


def scatter(dense: np.ndarray, columns: np.ndarray, values: np.ndarray) -> None:
    """Write compact (rows x slots) weights into a dense (rows x assets) array."""
    rows, slots = np.nonzero(columns >= 0)
    dense[rows, columns[rows, slots]] = values[rows, slots]


@dataclass(frozen=True, eq=False)
class _Ordered:
    """On each candidate row, every asset in rank order with what weighting needs:
    whether it can be weighted, its measure to the power p, and running sums of those,
    so that the normalised weights of the top N are a slice and a division."""

    order: np.ndarray  # (candidates x assets) columns, largest first
    limit: np.ndarray  # (candidates) how many are candidates
    weighable: np.ndarray  # (candidates x assets) valid price and measure, a candidate
    powered: np.ndarray  # measure ** p where weighable, else 0
    running: np.ndarray  # cumulative sums of powered along each row

    @classmethod
    def build(cls, order, limit, snapshot_rows, market, all_days, exponent) -> _Ordered:
        snap = snapshot_rows[:, None]
        close = market.close_values[snap, order]
        measure = all_days[snap, order]
        ranked = np.arange(order.shape[1])[None, :] < limit[:, None]
        with np.errstate(invalid="ignore"):
            weighable = ranked & np.isfinite(close) & np.isfinite(measure) & (measure > 0)
        base = np.where(weighable, measure, 0.0)
        if exponent == 0:
            powered = weighable.astype(np.float64)
        elif exponent == 1:
            powered = base
        elif exponent == 0.5:
            powered = np.sqrt(base)
        else:
            powered = np.where(weighable, np.power(base, exponent), 0.0)
        return cls(order, limit, weighable, powered, np.cumsum(powered, axis=1))

    def take(self, n: int):
        """Columns, used slots, weighable slots and normalised weights of the top n."""
        n = min(n, self.order.shape[1])
        count = np.minimum(self.limit, n)
        used = np.arange(n)[None, :] < count[:, None]
        columns = np.where(used, self.order[:, :n], -1)
        weighable = self.weighable[:, :n] & used
        total = self.running[np.arange(len(count)), np.maximum(count - 1, 0)]
        total = np.where(count > 0, total, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(
                weighable & (total[:, None] > 0), self.powered[:, :n] / total[:, None], 0.0
            )
        return columns, used, weighable, raw


def _nbytes(value: object) -> int:
    """Bytes of the arrays in a memo entry: an array, a tuple of them, or an object
    holding them (an _Ordered)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    if hasattr(value, "__dict__"):
        return sum(_nbytes(v) for v in vars(value).values())
    return 0


class BoundedMemo(dict):
    """A planning memo that forgets its oldest entries once their arrays pass
    ``limit`` bytes: a sweep over many start dates or lags would otherwise keep the
    rankings of every window. A forgotten entry is computed again when needed."""

    def __init__(self, limit: float) -> None:
        super().__init__()
        self.limit = float(limit)
        self.sizes: dict = {}
        self.total = 0

    def __setitem__(self, key, value) -> None:
        if key in self:
            del self[key]
        super().__setitem__(key, value)
        self.sizes[key] = _nbytes(value)
        self.total += self.sizes[key]
        while self.total > self.limit and len(self) > 1:
            oldest = next(iter(self))
            if oldest == key:
                break
            del self[oldest]

    def __delitem__(self, key) -> None:
        super().__delitem__(key)
        self.total -= self.sizes.pop(key)


# Memo entries of one strategy's own weights (one N, one cap): worth sharing across a
# sweep's fee axis inside a chunk, not worth keeping after it.
_PER_STRATEGY = ("take", "bounded")


def forget_per_strategy(memo: dict) -> None:
    """Drop a memo's per-strategy entries, keeping what many strategies share."""
    for key in [k for k in memo if k[0] in _PER_STRATEGY]:
        del memo[key]


def _memo(memo: dict | None, key: object, make):
    """``make()``, kept in ``memo`` under ``key`` when a memo is given."""
    if memo is None:
        return make()
    if key not in memo:
        value = make()
        # Shared between strategies: read-only, so that no caller changes another's.
        for array in value if isinstance(value, tuple) else (value,):
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
        memo[key] = value
    return memo[key]


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _resolve_fixed(strategy: Strategy, market: Market) -> dict[int, float]:
    fixed = {}
    for name, weight in strategy.weighting.fixed.items():
        asset = market.resolve_asset(name, field_name=f"weighting.fixed.{name}")
        fixed[market.asset_ids.get_loc(asset)] = weight
    return fixed


def _screens(
    strategy: Strategy, market: Market, snapshot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At each review: who passes the history-free screens, market caps, the measure."""
    rule = strategy.universe
    close = market.close_values[snapshot]
    caps = market.market_cap_values[snapshot]
    measure = measure_values(market, strategy.ranking)[snapshot]
    excluded = np.zeros(close.shape, dtype=bool)
    if rule.exclusions:
        extra = None
        if rule.tags_file:
            extra = dated_tags(strategy.resolve_path(rule.tags_file))
        tags = market_dated_tags(market, extra)
        excluded = exclusion_mask(market, rule.exclusions, market.dates[snapshot], tags=tags)
    base = eligibility(close, caps, excluded) & np.isfinite(measure)
    if rule.pre_top_k is not None:
        base &= top_k_mask(measure, base, rule.pre_top_k)
    if rule.min_volume > 0 or rule.min_volume_ratio > 0:
        base &= volume_screen(
            market,
            snapshot,
            min_volume=rule.min_volume,
            min_ratio=rule.min_volume_ratio,
            window_days=rule.volume_window_days,
        )
    if rule.min_age_days > 0:
        base &= age_screen(market, snapshot, rule.min_age_days)
    return base, caps, measure


def _file_weights(
    strategy: Strategy, market: Market, snapshot_dates: pd.DatetimeIndex
) -> np.ndarray:
    """Target weights from the strategy's weights file: on each candidate row, the
    file's latest weights dated on or before the snapshot day."""
    path = strategy.resolve_path(strategy.weighting.weights_file)
    if not path.is_file():
        raise SpecError(f"weighting.weights_file: {path}: no such file")
    try:
        table = pd.read_parquet(path) if path.suffix in (".parquet", ".pq") else pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot be read as a table: {exc}") from None
    missing = [c for c in ("date", "asset", "weight") if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]!r} (need date, asset, weight)")
    dates = pd.to_datetime(table["date"], errors="coerce")
    weights = pd.to_numeric(table["weight"], errors="coerce")
    for column, bad in (("date", dates.isna()), ("weight", weights.isna() | (weights < 0))):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path}, line {i + 2}, column {column!r}: {table[column].iloc[i]!r} is not "
                + ("a date" if column == "date" else "a weight >= 0")
            )
    assets = [market.resolve_asset(str(a), field_name=f"{path}") for a in table["asset"]]
    frame = pd.DataFrame({"date": dates.dt.normalize(), "asset": assets, "weight": weights})
    if frame.duplicated(["date", "asset"]).any():
        i = int(np.flatnonzero(frame.duplicated(["date", "asset"]))[0])
        raise DataError(f"{path}, line {i + 2}: {assets[i]!r} on {dates[i].date()} appears twice")
    wide = frame.pivot(index="date", columns="asset", values="weight").fillna(0.0)
    totals = wide.sum(axis=1)
    if (totals > 1 + 1e-9).any():
        day = totals.index[np.argmax(totals.to_numpy() > 1 + 1e-9)]
        raise DataError(f"{path}: the weights of {day.date()} add up to {totals[day]:.6g} > 1")
    wide = wide.reindex(columns=market.asset_ids, fill_value=0.0)
    position = wide.index.searchsorted(snapshot_dates, side="right") - 1
    out = np.where(position[:, None] >= 0, wide.to_numpy()[np.maximum(position, 0)], 0.0)
    return out


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
    kept across calls on the same market) shares screens, rankings and measures
    between strategies that have them in common, as in a sweep."""
    notes: list[str] = []
    if dates is None:  # the window's dates, unless the caller has them
        dates = market.dates[start_pos : end_pos + 1]
    lag = strategy.lag_days

    def positions(schedule) -> np.ndarray:
        key = ("schedule", start_pos, end_pos, calendar_key(schedule))
        return _memo(memo, key, lambda: schedule_positions(dates, schedule))

    def candidates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        trade_rows = positions(strategy.rebalance)
        review_rows = (
            positions(strategy.reconstitution)
            if strategy.reconstitution is not None
            else trade_rows
        )
        scheduled = np.union1d(trade_rows, review_rows)
        if extra_rows is not None:
            scheduled = np.union1d(scheduled, extra_rows)
        if strategy.rebalance.drift_threshold is None:
            return scheduled, np.ones(len(scheduled), dtype=bool), review_rows
        forced = np.zeros(len(dates), dtype=bool)
        forced[scheduled] = True
        return np.arange(len(dates), dtype=np.int64), forced, review_rows

    rows_key = (
        "rows",
        start_pos,
        end_pos,
        calendar_key(strategy.rebalance),
        calendar_key(strategy.reconstitution),
        None if extra_rows is None else extra_rows.tobytes(),
        strategy.rebalance.drift_threshold is not None,
    )
    rows, forced, review_rows = _memo(memo, rows_key, candidates)
    snapshot_rows = start_pos + rows - lag
    weighting = strategy.weighting

    if weighting.scheme == "file":
        weights = _file_weights(strategy, market, market.dates[snapshot_rows])
        columns = columns_of(weights > 0)
        values = np.where(columns >= 0, np.take_along_axis(weights, np.maximum(columns, 0), 1), 0.0)
        return Plan(rows, columns, values, forced, review_rows, len(market.asset_ids), notes)

    fixed = _resolve_fixed(strategy, market)
    always = np.zeros(len(market.asset_ids), dtype=bool)
    always[list(fixed)] = True
    review_snapshot = start_pos + review_rows - lag
    rule = strategy.universe
    screens_key = (
        "screens",
        review_snapshot.tobytes(),
        dataclasses.replace(
            rule,
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
        ),
        strategy.ranking,
        strategy.origin if rule.tags_file else "",
    )
    base, caps, measure = _memo(
        memo, screens_key, lambda: _screens(strategy, market, review_snapshot)
    )
    prefix = not fixed and not depends_on_history(rule) and rule.count_rule in ("top_n", "max_n")
    if fixed or depends_on_history(rule):
        reviews = [Review(base[r], caps[r], measure[r]) for r in range(len(review_snapshot))]
        members, _ = select_members(rule, reviews, always if fixed else None)
        review_columns = columns_of(members)
    else:
        # Alone, a top-N strategy needs the first N ranks only; a memo serves every N.
        keep = rule.top_n or rule.max_n if prefix and memo is None else None
        order, n_candidates = _memo(
            memo,
            ("order", screens_key, rule.min_market_cap),
            lambda: ranking_order(base, caps, measure, rule.min_market_cap, keep=keep),
        )
    if prefix:
        counts = np.minimum(n_candidates, rule.top_n or rule.max_n)
    else:
        if not (fixed or depends_on_history(rule)):
            review_columns = independent_columns(rule, order, n_candidates, measure)
        counts = (review_columns >= 0).sum(axis=1)
    where = strategy.origin or strategy.name
    if not counts.any():
        raise UniverseError(
            f"{where}: the universe is empty on every review date from {dates[0].date()} to "
            f"{dates[-1].date()} (no asset passed the exclusions and screens of [universe])"
        )
    if rule.count_rule == "top_n":
        target = rule.top_n + len(fixed)
        short = counts < target
        if short.any():
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

    # Members in force on each candidate row: those of the latest review on or before it.
    latest = np.searchsorted(review_rows, rows, side="right") - 1
    all_days = _memo(
        memo,
        ("measure", weighting.measure_spec),
        lambda: measure_values(market, weighting.measure_spec),
    )
    if prefix:
        # Top-N members are a prefix of the ranking: the gathered prices, measures and
        # running sums of every prefix are shared by all N (a sweep's common case).
        n = rule.top_n or rule.max_n
        limit = n_candidates[latest]
        # Ranks past the last candidate never count; alone, ranks past N neither.
        width = min(order.shape[1], int(limit.max(initial=0)) if memo is not None else n)
        ordered_key = (
            "ordered",
            screens_key,
            rule.min_market_cap,
            rows.tobytes(),
            lag,
            weighting.measure_spec,
            weighting.exponent,
        )
        ordered = _memo(
            memo,
            ordered_key,
            lambda: _Ordered.build(
                order[latest, :width], limit, snapshot_rows, market, all_days, weighting.exponent
            ),
        )
        columns, used, weighable, raw = _memo(
            memo, ("take", ordered_key, n), lambda: ordered.take(n)
        )
        fixed_values = np.zeros(columns.shape)
        rest = weighable
        bounds_key = (
            "bounded",
            ordered_key,
            n,
            weighting.cap,
            weighting.cap_largest,
            weighting.floor,
        )
    else:
        bounds_key = None
        columns = review_columns[latest]
        used = columns >= 0
        safe = np.where(used, columns, 0)
        snap = snapshot_rows[:, None]
        close = market.close_values[snap, safe]
        wm = all_days[snap, safe]
        with np.errstate(invalid="ignore"):
            weighable = used & np.isfinite(close) & np.isfinite(wm) & (wm > 0)
        fixed_values = np.zeros(columns.shape)
        is_fixed = np.zeros(columns.shape, dtype=bool)
        for column, weight in fixed.items():
            here = columns == column
            is_fixed |= here
            fixed_values[here & weighable] = weight
        rest = weighable & ~is_fixed
        raw = power_weights(np.where(rest, wm, 0.0), rest, weighting.exponent)
    totals = 1.0 - fixed_values.sum(axis=1)

    def bound() -> tuple[np.ndarray, np.ndarray]:
        if weighting.cap is None and weighting.cap_largest is None and weighting.floor is None:
            return raw * totals[:, None], np.ones(len(raw), dtype=bool)
        # The largest member: the largest raw weight, ties to the lowest asset id.
        top = raw.max(axis=1, keepdims=True)
        largest = np.argmin(np.where((raw == top) & rest, columns, np.iinfo(np.int64).max), axis=1)
        return bounded_weights(
            raw,
            cap=weighting.cap,
            cap_largest=weighting.cap_largest,
            floor=weighting.floor,
            totals=totals,
            largest=largest,
        )

    # Strategies that differ in costs only (a sweep's fee axis) share their weights.
    bounded, feasible = bound() if bounds_key is None else _memo(memo, bounds_key, bound)
    values = bounded + fixed_values
    if not feasible.all():
        bounds = ", ".join(
            f"{k}={getattr(weighting, k)}"
            for k in ("cap", "cap_largest", "floor")
            if getattr(weighting, k) is not None
        )
        notes.append(
            f"weighting {bounds} cannot hold with so few assets on {int((~feasible).sum())} "
            f"rebalance date(s) (first on {dates[rows[_first(~feasible)]].date()}): equal "
            "weights were used there"
        )
    lost = used & ~weighable
    if lost[forced].any():
        notes.append(
            f"{int(lost[forced].sum())} times a member had no valid price or weighting measure "
            "on a rebalance's snapshot day and got no weight (the others share its weight)"
        )
    for column in fixed:
        missing = ((columns == column) & weighable).sum(axis=1) == 0
        if missing[forced].any():
            notes.append(
                f"fixed-weight asset {market.asset_ids[column]} had no valid price on "
                f"{int(missing[forced].sum())} rebalance date(s): its weight went to the "
                "other members"
            )
    return Plan(rows, columns, values, forced, review_rows, len(market.asset_ids), notes)
