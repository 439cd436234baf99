"""A slow, literal oracle for the index rules, written apart from indexlab's engine.

Day by day, asset by asset, in plain Python: the schedules from calendar arithmetic,
each screen and count rule as its sentence in docs/index-rules.md, bounds by
bisection (the engine solves them exactly from breakpoints), buffers by their
definition, drift by comparing weights every day. It reads a Strategy's fields and
shares no code with indexlab.
"""

from __future__ import annotations

import math
import statistics

import pandas as pd
from reference_loop import _valid, solve_post_trade_value

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _on_schedule(dates: list[pd.Timestamp], i: int, i0: int, sched) -> bool:
    if i == i0:
        return True
    d, nxt = dates[i], d_next(dates, i)
    prev = d - pd.Timedelta(days=1)
    f = sched.frequency
    if f == "daily":
        return True
    if f == "none":
        return False
    if f == "dates":
        return d in set(sched.dates)
    if f == "weekly":
        return d.weekday() == WEEKDAYS.index(sched.weekday or "monday")

    def key(x):
        return (x.year, x.month) if f == "monthly" else (x.year, (x.month - 1) // 3)

    if sched.anchor == "first":
        return key(d) != key(prev)
    if sched.anchor == "last":
        return key(d) != key(nxt)
    last_day = (d + pd.offsets.MonthEnd(0)).day
    wanted = min(sched.day, last_day)
    return d.day == wanted and (f == "monthly" or d.month in (1, 4, 7, 10))


def _on_calendar(d: pd.Timestamp, sched) -> bool:
    """Whether a date is one of the calendar's own dates (no run's first date)."""
    day = pd.Timedelta(days=1)
    return _on_schedule([d - day, d, d + day], 1, -1, sched)


def d_next(dates, i):
    return dates[i] + pd.Timedelta(days=1)


def _measure(values: list[float], s: int, kind: str, window: int) -> float:
    if not _valid(values[s]):
        return math.nan
    if kind == "market_cap":
        return values[s]
    if kind == "market_cap_sma":
        seen = [v for v in values[max(0, s - window + 1) : s + 1] if _valid(v)]
        return sum(seen) / len(seen)
    alpha = 2 / (window + 1)
    ema = None
    for v in values[: s + 1]:
        if _valid(v):
            ema = v if ema is None else (1 - alpha) * ema + alpha * v
    return ema


def _bounded(raw: dict[str, float], lower, upper, total: float) -> dict[str, float] | None:
    """Bisection for s with sum clip(s * raw, lower, upper) = total; None if infeasible."""
    if not raw:
        return {}
    if sum(lower[a] for a in raw) > total * (1 + 1e-12) or sum(upper[a] for a in raw) < total * (
        1 - 1e-12
    ):
        return None

    def f(s):
        return sum(min(max(s * r, lower[a]), upper[a]) for a, r in raw.items())

    lo, hi = 0.0, 1.0
    while f(hi) < total and hi < 1e300:
        hi *= 2
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if f(mid) < total:
            lo = mid
        else:
            hi = mid
    s = 0.5 * (lo + hi)
    return {a: min(max(s * r, lower[a]), upper[a]) for a, r in raw.items()}


def rules_backtest(
    strategy,
    close: pd.DataFrame,
    caps: pd.DataFrame,
    volume,
    start,
    end,
    tags: dict[str, set[str]] | None = None,
    invested=None,
) -> pd.Series:
    """Equity of ``strategy`` (its universe, ranking, weighting, rebalance and
    reconstitution rules) over ``start``..``end``; ``invested`` (one bool per day of the
    run, default always) is the risk-off state: out of it, everything is sold and
    nothing bought; back in it, the index buys its targets at once."""
    reb = strategy.rebalance
    recon = strategy.reconstitution or reb
    tags = tags or {}
    dates = list(close.index)
    assets = sorted(close.columns)
    cl = {a: list(close[a]) for a in assets}
    mc = {a: list(caps[a]) for a in assets}
    vol = {a: list(volume[a]) for a in assets} if volume is not None else None
    first_valid = {a: next((i for i, x in enumerate(cl[a]) if _valid(x)), None) for a in assets}
    last_valid = {a: max((i for i, x in enumerate(cl[a]) if _valid(x)), default=-1) for a in assets}
    i0, i1 = dates.index(start), dates.index(end)
    lag = strategy.lag_days
    c = strategy.costs.rate
    last_price = {}
    for i in range(i0):
        for a in assets:
            if _valid(cl[a][i]):
                last_price[a] = cl[a][i]
    units: dict[str, float] = {}
    cash = 1.0
    members: set[str] = set()
    held_targets: dict[str, float] = {}  # set at the last trade
    streak = _warmup(strategy, assets, cl, mc, vol, first_valid, i0, dates, tags)
    out = []
    for t in range(i0, i1 + 1):
        for a in assets:
            if _valid(cl[a][t]):
                last_price[a] = cl[a][t]
        for a in list(units):
            if last_valid[a] < t:
                cash += units.pop(a) * last_price[a]
        s = t - lag
        review = _on_schedule(dates, t, i0, recon)
        scheduled = review or _on_schedule(dates, t, i0, reb)
        if review:
            members = _review(
                strategy, assets, cl, mc, vol, first_valid, s, dates, members, streak, tags
            )
        k = t - i0
        now_in = True if invested is None else bool(invested[k])
        was_in = True if invested is None or k == 0 else bool(invested[k - 1])
        if not now_in:
            if units:  # everything sold at its last close, with costs
                holdings = {a: q * last_price[a] for a, q in units.items()}
                value = cash + sum(holdings.values())
                cash = solve_post_trade_value(value, holdings, {}, c)
                units = {}
            held_targets = {}
            out.append(cash)
            continue
        trade = scheduled or not was_in
        if not trade and reb.drift_threshold is not None:
            value = cash + sum(q * last_price[a] for a, q in units.items())
            for a, target in held_targets.items():
                if not _valid(cl[a][t]):
                    continue  # a missing price never triggers a trade
                x = units.get(a, 0.0) * last_price[a] / value
                limit = reb.drift_threshold * (target if reb.drift_mode == "relative" else 1)
                trade = trade or abs(x - target) > limit
        if trade:
            targets = _weights(strategy, members, cl, mc, s)
            # Every position trades at its last close; a dead asset's weight stays cash.
            goal = {
                a: x for a, x in targets.items() if x > 0 and a in last_price and last_valid[a] >= t
            }
            holdings = {a: q * last_price[a] for a, q in units.items()}
            value = cash + sum(holdings.values())
            new_value = solve_post_trade_value(value, holdings, goal, c)
            units = {a: new_value * x / last_price[a] for a, x in goal.items()}
            cash = new_value * (1 - sum(goal.values()))
            held_targets = goal
        out.append(cash + sum(q * last_price[a] for a, q in units.items()))
    return pd.Series(out, index=pd.DatetimeIndex(dates[i0 : i1 + 1]))


def _warmup(strategy, assets, cl, mc, vol, first_valid, i0, dates, tags) -> dict[str, int]:
    """Eligible reviews in a row before the run, on the review calendar before it;
    calendar reviews before the data (or missing) count for assets listed on day 0."""
    u = strategy.universe
    wanted = u.seasoning_reviews - 1
    recon = strategy.reconstitution or strategy.rebalance
    prior = [i for i in range(i0) if _on_calendar(dates[i], recon)][-wanted:] if wanted else []
    in_data = [i for i in prior if i - strategy.lag_days >= 0]
    missing = wanted - len(in_data)
    streak = {a: missing if _valid(cl[a][0]) else 0 for a in assets}
    for i in in_data:
        s = i - strategy.lag_days
        base, _ = _base(strategy, assets, cl, mc, vol, first_valid, s, dates, tags)
        for a in assets:
            ok = a in base and mc[a][s] >= u.min_market_cap
            streak[a] = streak[a] + 1 if ok else 0
    return streak


def _excluded(strategy, asset, day, tags) -> bool:
    for rule in strategy.universe.exclusions:
        if rule.start is not None and day < rule.start:
            continue
        if rule.name == asset or rule.name in tags.get(asset, set()):
            return True
    return False


def _base(strategy, assets, cl, mc, vol, first_valid, s, dates, tags):
    """The screens without history at snapshot s: the base list and the measure."""
    u = strategy.universe
    day = dates[s]
    measure = {
        a: _measure(mc[a], s, strategy.ranking.kind, strategy.ranking.window_days) for a in assets
    }
    base = [
        a
        for a in assets
        if _valid(cl[a][s])
        and _valid(mc[a][s])
        and not math.isnan(measure[a])
        and not _excluded(strategy, a, day, tags)
    ]
    if u.pre_top_k is not None:
        base = sorted(base, key=lambda a: (-measure[a], a))[: u.pre_top_k]
    if u.min_volume > 0 or u.min_volume_ratio > 0:
        kept = []
        for a in base:
            window = range(max(0, s - u.volume_window_days + 1), s + 1)
            vols = [vol[a][i] for i in window if vol[a][i] == vol[a][i]]
            ratios = [
                vol[a][i] / mc[a][i] for i in window if vol[a][i] == vol[a][i] and _valid(mc[a][i])
            ]
            ok = True
            if u.min_volume > 0:
                ok = ok and bool(vols) and statistics.median(vols) >= u.min_volume
            if u.min_volume_ratio > 0:
                ok = ok and bool(ratios) and statistics.median(ratios) >= u.min_volume_ratio
            if ok:
                kept.append(a)
        base = kept
    if u.min_age_days > 0:
        base = [a for a in base if s - first_valid[a] >= u.min_age_days]
    return base, measure


def _review(strategy, assets, cl, mc, vol, first_valid, s, dates, previous, streak, tags):
    u = strategy.universe
    base, measure = _base(strategy, assets, cl, mc, vol, first_valid, s, dates, tags)
    member_floor = (
        u.min_market_cap_members if u.min_market_cap_members is not None else u.min_market_cap
    )
    eligible = [
        a for a in base if mc[a][s] >= (member_floor if a in previous else u.min_market_cap)
    ]
    for a in assets:
        streak[a] = streak[a] + 1 if a in eligible else 0
    fixed = set(strategy.weighting.fixed)
    forced = {a for a in eligible if a in fixed}
    pool = [
        a
        for a in eligible
        if a not in fixed and (a in previous or streak[a] >= u.seasoning_reviews)
    ]
    ranked = sorted(pool, key=lambda a: (-measure[a], a))
    rank = {a: k + 1 for k, a in enumerate(ranked)}
    if u.rank_band is not None:
        chosen = ranked[u.rank_band[0] - 1 : u.rank_band[1]]
    elif u.coverage is not None:
        total = sum(measure[a] for a in ranked)
        chosen, running = [], 0.0
        for a in ranked:
            if running >= u.coverage * total * (1 - 1e-12):
                break
            chosen.append(a)
            running += measure[a]
        k = len(chosen)
        if u.min_n is not None:
            k = max(k, u.min_n)
        if u.max_n is not None:
            k = min(k, u.max_n)
        chosen = ranked[:k]
    elif not u.has_buffer:
        chosen = ranked[: u.top_n if u.top_n is not None else u.max_n]
    else:
        n = u.top_n
        if u.entry_rank is not None or u.exit_rank is not None:
            entry = u.entry_rank or n
            exit_ = u.exit_rank or n
            # Members within the exit rank stay; newcomers take the free places, by rank.
            chosen = [a for a in ranked if a in previous and rank[a] <= exit_][:n]
            for a in ranked:
                if len(chosen) < n and a not in previous and rank[a] <= entry:
                    chosen.append(a)
        else:
            chosen = [a for a in ranked if a in previous][:n]
        for a in ranked:
            if len(chosen) >= n:
                break
            if a not in chosen:
                chosen.append(a)
        if u.replacement_ratio > 0:
            for newcomer in [a for a in ranked if a not in chosen]:
                weakest = min(chosen, key=lambda a: (measure[a], -rank[a]))
                if measure[newcomer] >= (1 + u.replacement_ratio) * measure[weakest]:
                    chosen[chosen.index(weakest)] = newcomer
                else:
                    break
    return set(chosen) | forced


def _weights(strategy, members, cl, mc, s) -> dict[str, float]:
    w = strategy.weighting
    measure = {a: _measure(mc[a], s, w.measure, w.window_days) for a in members}
    ok = [a for a in members if _valid(cl[a][s]) and _valid(measure[a])]
    fixed = {a: x for a, x in w.fixed.items() if a in ok}
    rest = [a for a in ok if a not in w.fixed]
    power = {"market_cap": 1.0, "sqrt_market_cap": 0.5, "equal": 0.0}.get(w.scheme, w.power)
    raw = {a: measure[a] ** power for a in rest}
    total_raw = sum(raw.values())
    if not raw:
        return dict(fixed)
    raw = {a: r / total_raw for a, r in raw.items()}
    total = 1 - sum(fixed.values())
    largest = max(raw, key=lambda a: (raw[a], [-ord(ch) for ch in a]))  # first max in id order
    upper = {a: (w.cap if w.cap is not None else math.inf) for a in raw}
    if w.cap_largest is not None:
        upper[largest] = w.cap_largest
    lower = {a: (w.floor or 0.0) for a in raw}
    weights = _bounded(raw, lower, upper, total)
    if weights is None:
        weights = {a: total / len(raw) for a in raw}
    return {**weights, **fixed}
