"""A slow, obvious, day-by-day backtest written apart from the engine, as its oracle.

It follows DESIGN section 3 literally with plain Python loops and dicts: no numpy
vectorisation, no code shared with indexlab. The fee equation is solved by bisection
and the cap by the literal "cap, hand the excess on pro rata, repeat" procedure.
"""

from __future__ import annotations

import math

import pandas as pd


def _valid(x: float) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _period(date: pd.Timestamp, frequency: str):
    if frequency == "daily":
        return date
    if frequency == "weekly":
        iso = date.isocalendar()
        return (iso[0], iso[1])
    if frequency == "monthly":
        return (date.year, date.month)
    if frequency == "quarterly":
        return (date.year, (date.month - 1) // 3)
    raise ValueError(frequency)


def cap_literal(weights: dict[str, float], cap: float) -> dict[str, float]:
    n = len(weights)
    if n == 0:
        return {}
    if n * cap < 1 - 1e-12:
        return {a: 1.0 / n for a in weights}
    w = dict(weights)
    capped: set[str] = set()
    for _ in range(10 * n + 10):
        over = [a for a in w if a not in capped and w[a] > cap * (1 + 1e-13)]
        if not over:
            break
        excess = sum(w[a] - cap for a in over)
        for a in over:
            w[a] = cap
            capped.add(a)
        free = [a for a in w if a not in capped]
        total_free = sum(w[a] for a in free)
        for a in free:
            w[a] += excess * w[a] / total_free
    return w


def solve_post_trade_value(
    value: float, holdings: dict[str, float], weights: dict[str, float], c: float
) -> float:
    """Bisection on V' + c * sum |V' w_i - h_i| = V over [0, V]."""
    names = set(holdings) | set(weights)

    def g(x: float) -> float:
        return (
            x + c * sum(abs(x * weights.get(a, 0.0) - holdings.get(a, 0.0)) for a in names) - value
        )

    lo, hi = 0.0, value
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if g(mid) > 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def reference_backtest(
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    top_n: int,
    scheme: str,
    cap: float | None,
    frequency: str,
    lag_days: int,
    cost_rate: float,
    exclude: set[str] = frozenset(),
) -> pd.Series:
    """Equity (units of C0) of the strategy on every date from ``start`` to ``end``."""
    dates = list(close.index)
    assets = sorted(close.columns)
    cl = {a: list(close[a]) for a in assets}
    mc = {a: list(market_cap[a]) for a in assets}
    last_valid = {}
    for a in assets:
        rows = [i for i, x in enumerate(cl[a]) if _valid(x)]
        last_valid[a] = rows[-1] if rows else -1
    i0 = dates.index(start)
    i1 = dates.index(end)
    last_price: dict[str, float] = {}
    for i in range(i0):
        for a in assets:
            if _valid(cl[a][i]):
                last_price[a] = cl[a][i]
    units: dict[str, float] = {}
    cash = 1.0
    previous_period = None
    out = []
    for t in range(i0, i1 + 1):
        for a in assets:
            if _valid(cl[a][t]):
                last_price[a] = cl[a][t]
        period = _period(dates[t], frequency)
        rebalance = t == i0 or period != previous_period
        previous_period = period
        for a in list(units):
            if last_valid[a] < t or (rebalance and not _valid(cl[a][t])):
                cash += units.pop(a) * last_price[a]
        if rebalance:
            s = t - lag_days
            candidates = [
                a for a in assets if a not in exclude and _valid(cl[a][s]) and _valid(mc[a][s])
            ]
            candidates.sort(key=lambda a: (-mc[a][s], a))
            chosen = candidates[:top_n]
            if scheme == "market_cap":
                raw = {a: mc[a][s] for a in chosen}
            elif scheme == "sqrt_market_cap":
                raw = {a: math.sqrt(mc[a][s]) for a in chosen}
            else:
                raw = {a: 1.0 for a in chosen}
            total = sum(raw.values())
            weights = {a: x / total for a, x in raw.items()}
            if cap is not None:
                weights = cap_literal(weights, cap)
            weights = {a: w for a, w in weights.items() if _valid(cl[a][t])}
            holdings = {a: u * last_price[a] for a, u in units.items()}
            value = cash + sum(holdings.values())
            new_value = solve_post_trade_value(value, holdings, weights, cost_rate)
            units = {a: new_value * w / last_price[a] for a, w in weights.items()}
            cash = new_value * (1 - sum(weights.values()))
        out.append(cash + sum(u * last_price[a] for a, u in units.items()))
    return pd.Series(out, index=pd.DatetimeIndex(dates[i0 : i1 + 1]))
