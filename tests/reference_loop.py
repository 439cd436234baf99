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


def _weights(chosen, close, cap, s, scheme, cap_limit) -> dict[str, float]:
    """The chosen assets' weights from the snapshot of row s (those with a valid close
    and market cap there; the others get none)."""
    live = [a for a in chosen if _valid(close[a][s]) and _valid(cap[a][s])]
    if scheme == "market_cap":
        raw = {a: cap[a][s] for a in live}
    elif scheme == "sqrt_market_cap":
        raw = {a: math.sqrt(cap[a][s]) for a in live}
    else:
        raw = {a: 1.0 for a in live}
    total = sum(raw.values())
    weights = {a: x / total for a, x in raw.items()} if total > 0 else {}
    return cap_literal(weights, cap_limit) if cap_limit is not None else weights


def _drifted(units, cash, last_price, targets, close_t, threshold, relative) -> bool:
    """Held weights at this close against the targets set at the last trade; an asset
    without a valid close today never counts."""
    value = cash + sum(u * last_price[a] for a, u in units.items())
    if value <= 0:
        return False
    for a, w in targets.items():
        if not _valid(close_t[a]):
            continue
        held = units.get(a, 0.0) * last_price[a] / value
        if abs(held - w) > (threshold * w if relative else threshold):
            return True
    return False


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
    drift: float | None = None,
    drift_relative: bool = False,
    trades: list | None = None,
) -> pd.Series:
    """Equity (units of C0) of the strategy on every date from ``start`` to ``end``.
    ``close`` and ``market_cap`` hold the whole data (an asset's data stop is its last
    valid close in them, wherever the run ends). ``trades``, if given, receives one
    (date, value before, notional, cost, one-way turnover) per trade."""
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
    targets: dict[str, float] = {}  # set at the last trade
    members: list[str] = []
    cash = 1.0
    previous_period = None
    out = []
    for t in range(i0, i1 + 1):
        for a in assets:
            if _valid(cl[a][t]):
                last_price[a] = cl[a][t]
        period = _period(dates[t], frequency)
        scheduled = t == i0 or period != previous_period
        previous_period = period
        for a in list(units):
            if last_valid[a] < t:  # the data stopped: cash at the last close, no fee
                cash += units.pop(a) * last_price[a]
        close_t = {a: cl[a][t] for a in assets}
        trade = scheduled or (
            drift is not None
            and _drifted(units, cash, last_price, targets, close_t, drift, drift_relative)
        )
        if trade:
            s = t - lag_days
            if scheduled:
                candidates = [
                    a for a in assets if a not in exclude and _valid(cl[a][s]) and _valid(mc[a][s])
                ]
                candidates.sort(key=lambda a: (-mc[a][s], a))
                members = candidates[:top_n]
            weights = _weights(members, cl, mc, s, scheme, cap)
            # Traded at the last close; an asset whose data have stopped stays cash.
            weights = {a: w for a, w in weights.items() if a in last_price and last_valid[a] >= t}
            holdings = {a: u * last_price[a] for a, u in units.items()}
            value = cash + sum(holdings.values())
            new_value = solve_post_trade_value(value, holdings, weights, cost_rate)
            names = set(holdings) | set(weights)
            notional = sum(abs(new_value * weights.get(a, 0) - holdings.get(a, 0)) for a in names)
            new_cash = new_value * (1 - sum(weights.values()))
            change = sum(abs(weights.get(a, 0) - holdings.get(a, 0) / value) for a in names)
            change += abs(new_cash / new_value - cash / value)
            if trades is not None:
                trades.append((dates[t], value, notional, value - new_value, change / 2))
            units = {a: new_value * w / last_price[a] for a, w in weights.items()}
            cash = new_cash
            targets = dict(weights)
        out.append(cash + sum(u * last_price[a] for a, u in units.items()))
    return pd.Series(out, index=pd.DatetimeIndex(dates[i0 : i1 + 1]))
