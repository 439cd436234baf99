"""Weights of the members: schemes, caps and floors, fixed weights.

Raw weights are proportional to the weighting measure to a power p (market cap:
p = 1; square root: p = 0.5; equal: p = 0). Bounds are per member (``cap`` for all,
``cap_largest`` for the largest, ``floor`` for all) and are met by iterative pro-rata
redistribution: names above their cap are set to it and names below their floor are
raised to it, and the rest scale up or down in proportion to their raw weights until
no bound is broken. The result is the unique w_i = clip(s * raw_i, lower_i, upper_i)
with sum w = total; it is found exactly from the breakpoints of that piecewise-linear
sum. Bounds that cannot hold (n * floor > total, or the caps add up to less) give
equal weights, reported as infeasible.
"""

from __future__ import annotations

import numba
import numpy as np


def scheme_weights(scheme: str, measure: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Weights summing to 1 over each row's selected assets (rows with none are all 0).

    ``scheme`` is ``market_cap`` (w ~ m), ``sqrt_market_cap`` (w ~ sqrt(m)) or
    ``equal`` (w = 1 / n).
    """
    exponent = {"market_cap": 1.0, "sqrt_market_cap": 0.5, "equal": 0.0}.get(scheme)
    if exponent is None:
        raise ValueError(f"unknown weighting scheme {scheme!r}")
    return power_weights(measure, selected, exponent)


def power_weights(measure: np.ndarray, selected: np.ndarray, exponent: float) -> np.ndarray:
    """w_i = m_i^p / sum_j m_j^p over each row's selected assets (p = 0: equal)."""
    if exponent == 0:
        raw = selected.astype(np.float64)
    elif exponent == 1:
        raw = np.where(selected, measure, 0.0)
    elif exponent == 0.5:
        raw = np.where(selected, np.sqrt(np.where(selected, measure, 0.0)), 0.0)
    else:
        raw = np.where(selected, np.power(np.where(selected, measure, 0.0), exponent), 0.0)
    totals = raw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, raw / totals, 0.0)


# The first call of a numba function compiles it (seconds, once per install; then it is
# loaded from numba's cache): the single cap, every sweep's case, compiles only the small
# _prefix_capped; the general solve compiles when first needed, and numpy, not numba,
# sorts its breakpoints (numba's sort alone took ~1.5 s to compile). Arrays reach them
# C-contiguous and writeable, so each compiles one signature.

# Row states written by _prefix_capped.
_SOLVED, _INFEASIBLE, _GENERAL = 0, 1, 2


@numba.njit(cache=True)
def _solve_row(raw, lower, upper, total, points, out):
    """Solve sum_i clip(s * raw_i, lower_i, upper_i) = total over raw_i > 0 into out;
    ``points`` starts with the members' breakpoints lower_i / raw_i and upper_i / raw_i,
    sorted (see :func:`_breakpoints`)."""
    n = 0
    low_sum = 0.0
    up_sum = 0.0
    for i in range(raw.size):
        out[i] = 0.0
        if raw[i] > 0.0:
            n += 1
            low_sum += lower[i]
            up_sum += upper[i]
    if n == 0:
        return True
    if low_sum > total * (1.0 + 1e-12) or up_sum < total * (1.0 - 1e-12):
        for i in range(raw.size):
            if raw[i] > 0.0:
                out[i] = total / n
        return False
    # f(s) is nondecreasing: binary search for the last breakpoint with f <= total.
    lo_s = 0.0
    low = 0
    high = 2 * n - 1
    while low <= high:
        middle = (low + high) // 2
        value = 0.0
        for i in range(raw.size):
            if raw[i] > 0.0:
                value += min(max(points[middle] * raw[i], lower[i]), upper[i])
        if value <= total:
            lo_s = points[middle]
            low = middle + 1
        else:
            high = middle - 1
    # On the linear piece right of lo_s: names at their floor or cap are fixed. The
    # tests compute breakpoints as _breakpoints does, so a name whose breakpoint is
    # lo_s itself is classified exactly.
    fixed = 0.0
    free = 0.0
    for i in range(raw.size):
        if raw[i] > 0.0:
            if lower[i] / raw[i] > lo_s:
                fixed += lower[i]
            elif upper[i] / raw[i] <= lo_s:
                fixed += upper[i]
            else:
                free += raw[i]
    s = (total - fixed) / free if free > 0.0 else lo_s
    for i in range(raw.size):
        if raw[i] > 0.0:
            out[i] = min(max(s * raw[i], lower[i]), upper[i])
    return True


@numba.njit(cache=True)
def _solve_rows(raw, lower, upper, totals, points, out, feasible):
    """:func:`_solve_row` for each row."""
    for r in range(raw.shape[0]):
        feasible[r] = _solve_row(raw[r], lower[r], upper[r], totals[r], points[r], out[r])


@numba.njit(cache=True)
def _prefix_capped(raw, cap, totals, out, state, suffix):
    """The single-cap case in O(n) per row when the positive raw weights come largest
    first (as members in rank order weighted by the ranking measure): the capped names
    are then a prefix. A row whose cap cannot hold gets equal weights (``_INFEASIBLE``); a
    row out of order, or on the edge of feasible, is left to the general solve
    (``_GENERAL``). Returns how many rows are left."""
    left = 0
    for r in range(raw.shape[0]):
        row = raw[r]
        total = totals[r]
        n = 0
        previous = np.inf
        ordered = True
        for i in range(row.size):
            out[r, i] = 0.0
            if row[i] > 0.0:
                n += 1
                if row[i] > previous:
                    ordered = False
                previous = row[i]
        state[r] = _SOLVED
        if n == 0:
            continue
        if not ordered:
            state[r] = _GENERAL
            left += 1
            continue
        if n * cap < total * (1.0 - 1e-12):
            # As the general solve decides: the caps added one by one against the total.
            up_sum = 0.0
            for _ in range(n):
                up_sum += cap
            if 0.0 > total * (1.0 + 1e-12) or up_sum < total * (1.0 - 1e-12):
                state[r] = _INFEASIBLE
                for i in range(row.size):
                    if row[i] > 0.0:
                        out[r, i] = total / n
            else:
                state[r] = _GENERAL
                left += 1
            continue
        # Sums of the raw weights from each position to the end, added smallest first
        # (subtracting the large ones from the total would cancel digits away).
        suffix[row.size] = 0.0
        for i in range(row.size - 1, -1, -1):
            suffix[i] = suffix[i + 1] + (row[i] if row[i] > 0.0 else 0.0)
        capped = 0
        scale = total / suffix[0]
        remaining = suffix[0]
        for i in range(row.size):
            if row[i] <= 0.0:
                continue
            # Compared as the general solve compares breakpoints: cap / raw vs scale.
            if cap / row[i] < scale:
                capped += 1
                remaining = suffix[i + 1]
                scale = (total - capped * cap) / remaining if remaining > 0.0 else 0.0
            else:
                break
        for i in range(row.size):
            if row[i] <= 0.0:
                out[r, i] = 0.0
            elif cap / row[i] < scale or remaining <= 0.0:
                out[r, i] = cap
            else:
                out[r, i] = row[i] * scale
    return left


def _breakpoints(raw: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Each row's breakpoints of s, lower_i / raw_i and upper_i / raw_i over its members
    (raw_i > 0), sorted, then NaN for the other columns (numpy sorts NaN last)."""
    member = raw > 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        points = np.concatenate(
            (np.where(member, lower / raw, np.nan), np.where(member, upper / raw, np.nan)), axis=1
        )
    points.sort(axis=1)
    return points


def _bounded_rows(raw, lower, upper, totals) -> tuple[np.ndarray, np.ndarray]:
    """The general solve of each row (see the module docstring)."""
    raw, lower, upper, totals = (
        np.require(a, np.float64, ("C", "W")) for a in (raw, lower, upper, totals)
    )
    out = np.empty_like(raw)
    feasible = np.empty(len(raw), dtype=np.bool_)
    _solve_rows(raw, lower, upper, totals, _breakpoints(raw, lower, upper), out, feasible)
    return out, feasible


def _capped_rows(raw, cap, totals) -> tuple[np.ndarray, np.ndarray]:
    """One cap for every member: the prefix solve, and the general solve for the rows
    it leaves."""
    raw = np.require(raw, np.float64, ("C", "W"))
    totals = np.require(totals, np.float64, ("C", "W"))
    out = np.empty_like(raw)
    state = np.empty(len(raw), dtype=np.int8)
    if _prefix_capped(raw, float(cap), totals, out, state, np.empty(raw.shape[1] + 1)):
        general = np.flatnonzero(state == _GENERAL)
        lower = np.zeros((general.size, raw.shape[1]))
        out[general], solved = _bounded_rows(
            raw[general], lower, np.full_like(lower, cap), totals[general]
        )
        state[general] = np.where(solved, _SOLVED, _INFEASIBLE)
    return out, state == _SOLVED


def bounded_weights(
    raw: np.ndarray,
    *,
    cap: float | None = None,
    cap_largest: float | None = None,
    floor: float | None = None,
    totals: np.ndarray | None = None,
    largest: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's weights (raw > 0 are the members) within the bounds, summing to its
    total (default 1). ``largest`` (a position per row) is the member ``cap_largest``
    applies to (default: the first largest raw weight). Returns ``(weights,
    feasible)``; see the module docstring."""
    raw = np.array(raw, dtype=np.float64, order="C", copy=True)
    rows, n = raw.shape
    totals = np.ones(rows) if totals is None else np.array(totals, dtype=np.float64)
    if cap is not None and cap_largest is None and floor is None:
        return _capped_rows(raw, float(cap), totals)
    upper = np.full((rows, n), np.inf if cap is None else cap)
    if cap_largest is not None and n:
        largest = np.argmax(raw, axis=1) if largest is None else largest
        upper[np.arange(rows), largest] = cap_largest
    lower = np.full((rows, n), 0.0 if floor is None else floor)
    return _bounded_rows(raw, lower, upper, totals)


def apply_cap(weights: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Cap each row's weights at ``cap`` by iterative pro-rata redistribution.

    Names above the cap are set to it and the excess goes to the uncapped names in
    proportion to their weights, until none exceeds the cap. Where n * cap < 1 the cap
    cannot hold: that row gets equal weights and is reported in ``feasible``.

    Returns ``(capped_weights, feasible)`` with ``feasible`` a boolean per row.
    """
    return bounded_weights(weights, cap=cap)


def target_weights(
    scheme: str, measure: np.ndarray, selected: np.ndarray, cap: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Scheme weights, then the cap if any. Returns ``(weights, cap_feasible)``."""
    weights = scheme_weights(scheme, measure, selected)
    if cap is None:
        return weights, np.ones(weights.shape[0], dtype=bool)
    return apply_cap(weights, cap)
