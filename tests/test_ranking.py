"""The ranking of a review against numpy's stable sort: the fast paths (a quicksort
re-sorted where candidates tie; a partition for the first N ranks) must give the same
order on every tie, NaN and cut."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from indexlab.rules.selection import ranking_order


def slow_order(eligible, market_cap, measure, min_market_cap):
    """Candidates by measure, largest first, ties by asset id: one row at a time."""
    out = []
    for r in range(measure.shape[0]):
        ids = [
            i
            for i in range(measure.shape[1])
            if eligible[r, i] and market_cap[r, i] >= min_market_cap and np.isfinite(measure[r, i])
        ]
        out.append(sorted(ids, key=lambda i: (-measure[r, i], i)))
    return out


@settings(max_examples=300, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 8), st.integers(1, 40)),
    seed=st.integers(0, 2**32 - 1),
    coarse=st.booleans(),  # few distinct values: many ties, also at the cut
    keep=st.one_of(st.none(), st.integers(1, 45)),
)
def test_ranking_order_equals_a_stable_sort(shape, seed, coarse, keep):
    rng = np.random.default_rng(seed)
    if coarse:
        measure = rng.choice([0.5, 1.0, 2.0, 3.0, np.nan, np.inf], size=shape)
    else:
        measure = rng.random(shape)
    eligible = rng.random(shape) < rng.random()
    market_cap = rng.random(shape)
    order, counts = ranking_order(eligible, market_cap, measure, 0.2, keep=keep)
    expected = slow_order(eligible, market_cap, measure, 0.2)
    assert list(counts) == [len(ids) for ids in expected]
    for r, ids in enumerate(expected):
        n = len(ids) if keep is None else min(len(ids), keep)
        assert list(order[r, :n]) == ids[:n]
        if keep is None:  # every asset once
            assert sorted(order[r]) == list(range(shape[1]))
