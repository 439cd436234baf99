"""Weighting schemes and the single cap, as (rebalance date x asset) weight arrays."""

from __future__ import annotations

import numba
import numpy as np


def scheme_weights(scheme: str, measure: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Weights summing to 1 over each row's selected assets (rows with none are all 0).

    - ``market_cap``: w_i = m_i / sum_j m_j
    - ``sqrt_market_cap``: w_i = sqrt(m_i) / sum_j sqrt(m_j)
    - ``equal``: w_i = 1 / n
    """
    if scheme == "market_cap":
        raw = np.where(selected, measure, 0.0)
    elif scheme == "sqrt_market_cap":
        raw = np.where(selected, np.sqrt(np.where(selected, measure, 0.0)), 0.0)
    elif scheme == "equal":
        raw = selected.astype(np.float64)
    else:
        raise ValueError(f"unknown weighting scheme {scheme!r}")
    totals = raw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, raw / totals, 0.0)


@numba.njit(cache=True)
def _cap_row(weights: np.ndarray, cap: float, out: np.ndarray) -> bool:
    """Cap one row in place into ``out``; returns False when the cap is infeasible."""
    n = 0
    for w in weights:
        if w > 0.0:
            n += 1
    if n == 0:
        out[:] = 0.0
        return True
    if n * cap < 1.0 - 1e-12:
        for i in range(weights.size):
            out[i] = 1.0 / n if weights[i] > 0.0 else 0.0
        return False
    capped = np.zeros(weights.size, dtype=np.bool_)
    n_capped = 0
    scale = 1.0
    while True:
        free_sum = 0.0
        for i in range(weights.size):
            if not capped[i]:
                free_sum += weights[i]
        scale = (1.0 - n_capped * cap) / free_sum if free_sum > 0.0 else 0.0
        newly = 0
        for i in range(weights.size):
            if not capped[i] and weights[i] > 0.0 and weights[i] * scale > cap * (1.0 + 1e-12):
                capped[i] = True
                newly += 1
        n_capped += newly
        if newly == 0:
            break
    for i in range(weights.size):
        out[i] = cap if capped[i] else weights[i] * scale
    return True


@numba.njit(cache=True)
def _cap_rows(weights: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    out = np.empty_like(weights)
    feasible = np.empty(weights.shape[0], dtype=np.bool_)
    for r in range(weights.shape[0]):
        feasible[r] = _cap_row(weights[r], cap, out[r])
    return out, feasible


def apply_cap(weights: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Cap each row's weights at ``cap`` by iterative pro-rata redistribution.

    Names above the cap are set to it and the excess goes to the uncapped names in
    proportion to their weights, until none exceeds the cap. The result is the
    unique fixed point: capped names at ``cap``, the others ``w_i * s`` with one
    scale ``s`` per row. Where n * cap < 1 the cap cannot hold: that row gets
    equal weights and is reported in the returned ``feasible`` flags.

    Returns ``(capped_weights, feasible)`` with ``feasible`` a boolean per row.
    """
    # A fresh writable C array every time: numba then compiles a single signature.
    weights = np.array(weights, dtype=np.float64, order="C", copy=True)
    return _cap_rows(weights, float(cap))


def target_weights(
    scheme: str, measure: np.ndarray, selected: np.ndarray, cap: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Scheme weights, then the cap if any. Returns ``(weights, cap_feasible)``."""
    weights = scheme_weights(scheme, measure, selected)
    if cap is None:
        return weights, np.ones(weights.shape[0], dtype=bool)
    return apply_cap(weights, cap)
