"""The single cap's prefix solve (rules/weighting.py) at the edge of feasible, n * cap
against the total: a row it finds infeasible is infeasible to the general solve too,
with the same equal weights bit for bit, and a row it cannot decide goes to the general
solve. (Where n * cap reaches the total but the caps added one by one fall short by an
ulp, the prefix solve keeps the row feasible and the general solve would not: that is
how capped weights have always been computed, and it stays so.)"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from indexlab.rules import weighting


def _near(value: float, ulps: int) -> float:
    """``value`` moved by ``ulps`` units in the last place."""
    for _ in range(abs(ulps)):
        value = float(np.nextafter(value, np.inf if ulps > 0 else -np.inf))
    return value


def _both(raw: np.ndarray, cap: float, total: float):
    totals = np.full(len(raw), total)
    lower = np.zeros_like(raw)
    fast = weighting._capped_rows(raw, cap, totals)
    general = weighting._bounded_rows(raw, lower, np.full_like(raw, cap), totals)
    return fast, general


@settings(max_examples=300, deadline=None)
@given(
    weights=arrays(np.float64, st.integers(1, 40), elements=st.floats(1e-6, 1e6)),
    total=st.sampled_from([1.0, 0.9, 0.7, 1 / 3]),
    ulps=st.integers(-40, 40),
)
def test_what_the_prefix_solve_finds_infeasible_the_general_solve_does(weights, total, ulps):
    raw = np.sort(weights)[::-1][None, :] / weights.sum()  # largest first, as in rank order
    cap = _near(total * (1.0 - 1e-12) / raw.shape[1], ulps)
    (fast, ok_fast), (general, ok_general) = _both(raw, cap, total)
    if not ok_fast[0]:
        assert not ok_general[0]
        assert np.array_equal(fast, general)  # total / n each, bit for bit
        assert np.array_equal(fast, np.full_like(fast, total / raw.shape[1]))


def test_a_row_the_prefix_solve_cannot_decide_goes_to_the_general_solve():
    # 7 * cap < 1 - 1e-12, but the caps added one by one reach it: the general solve's
    # test, so the row is solved there (feasible), not given equal weights.
    raw = np.linspace(2.0, 1.0, 7)[None, :] / np.linspace(2.0, 1.0, 7).sum()
    cap = (1.0 - 1e-12) / 7
    assert 7 * cap < 1.0 - 1e-12 and sum([cap] * 7) >= 1.0 - 1e-12
    state = np.empty(1, dtype=np.int8)
    out = np.empty_like(raw)
    weighting._prefix_capped(raw, cap, np.ones(1), out, state, np.empty(8))
    assert state[0] == weighting._GENERAL
    (fast, ok_fast), (general, ok_general) = _both(raw, cap, 1.0)
    assert ok_fast[0] and ok_general[0]
    assert np.array_equal(fast, general)


def test_empty_and_unordered_rows_in_one_call():
    raw = np.array([[0.0, 0.0, 0.0], [0.2, 0.5, 0.3], [0.5, 0.3, 0.2], [0.9, 0.1, 0.0]])
    out, feasible = weighting.bounded_weights(raw, cap=0.4)
    np.testing.assert_array_equal(out[0], 0.0)  # no members: nothing to weigh, feasible
    assert feasible.tolist() == [True, True, True, False]  # 2 members * 0.4 < 1
    np.testing.assert_allclose(out[1:3].sum(axis=1), 1.0, rtol=1e-15)
    assert out[1, 1] == out[2, 0] == 0.4  # the capped name, out of order or in order
    np.testing.assert_array_equal(out[3], [0.5, 0.5, 0.0])
