"""Rules as separate steps: schedule, selection and weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from reference_loop import cap_literal

from indexlab.rules import apply_cap, rebalance_positions, scheme_weights, select_top_n


def test_schedule_first_date_then_each_new_period():
    dates = pd.date_range("2021-01-30", "2021-04-05", freq="D")
    monthly = dates[rebalance_positions(dates, "monthly")]
    assert list(monthly.strftime("%Y-%m-%d")) == [
        "2021-01-30",
        "2021-02-01",
        "2021-03-01",
        "2021-04-01",
    ]
    quarterly = dates[rebalance_positions(dates, "quarterly")]
    assert list(quarterly.strftime("%Y-%m-%d")) == ["2021-01-30", "2021-04-01"]
    weekly = dates[rebalance_positions(dates, "weekly")]
    assert weekly[0] == dates[0]
    assert (weekly[1:].day_of_week == 0).all()  # ISO weeks start on Monday
    assert len(weekly) == 1 + ((dates.day_of_week == 0).sum())
    assert len(rebalance_positions(dates, "daily")) == len(dates)
    with pytest.raises(ValueError, match="unknown rebalance frequency"):
        rebalance_positions(dates, "hourly")


def test_selection_ranks_by_measure_with_ties_by_asset_order():
    measure = np.array([[5.0, 9.0, 9.0, 1.0, np.nan]])
    eligible = np.array([[True, True, True, True, False]])
    assert select_top_n(measure, eligible, 2).tolist() == [[False, True, True, False, False]]
    assert select_top_n(measure, eligible, 3).tolist() == [[True, True, True, False, False]]
    # Fewer eligible than N: all of them.
    assert select_top_n(measure, eligible, 10).sum() == 4
    tie = np.array([[3.0, 3.0, 3.0]])
    assert select_top_n(tie, np.ones((1, 3), bool), 1).tolist() == [[True, False, False]]


def test_scheme_weights():
    measure = np.array([[4.0, 1.0, 9.0]])
    selected = np.array([[True, True, False]])
    np.testing.assert_allclose(scheme_weights("market_cap", measure, selected), [[0.8, 0.2, 0]])
    np.testing.assert_allclose(
        scheme_weights("sqrt_market_cap", measure, selected), [[2 / 3, 1 / 3, 0]]
    )
    np.testing.assert_allclose(scheme_weights("equal", measure, selected), [[0.5, 0.5, 0]])
    assert scheme_weights("equal", measure, np.zeros((1, 3), bool)).sum() == 0


@settings(max_examples=300, deadline=None)
@given(
    weights=arrays(np.float64, st.integers(1, 40), elements=st.floats(1e-6, 1e6)),
    cap=st.floats(0.01, 1.0),
)
def test_cap_respects_the_cap_sums_to_one_and_keeps_order(weights, cap):
    w = weights / weights.sum()
    capped, feasible = apply_cap(w[None, :], cap)
    out = capped[0]
    assert out.sum() == pytest.approx(1.0, rel=1e-12)
    if len(w) * cap >= 1 - 1e-12:
        assert feasible[0]
        assert (out <= cap * (1 + 1e-9)).all()
        # Order is kept and uncapped names keep their relative sizes.
        order = np.argsort(w, kind="stable")
        assert (np.diff(out[order]) >= -1e-12).all()
        free = out < cap * (1 - 1e-9)
        if free.sum() >= 2:
            ratio = out[free] / w[free]
            np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
        # The literal "cap, hand the excess on pro rata, repeat" gives the same.
        literal = cap_literal({i: x for i, x in enumerate(w)}, cap)
        np.testing.assert_allclose(out, [literal[i] for i in range(len(w))], rtol=1e-9, atol=1e-15)
    else:
        assert not feasible[0]
        np.testing.assert_allclose(out, 1 / len(w))


@settings(max_examples=300, deadline=None)
@given(
    weights=arrays(np.float64, st.integers(1, 30), elements=st.floats(1e-6, 1e6)),
    cap=st.one_of(st.none(), st.floats(0.02, 1.0)),
    cap_largest=st.one_of(st.none(), st.floats(0.02, 1.0)),
    floor=st.one_of(st.none(), st.floats(0.0, 0.2)),
    total=st.floats(0.3, 1.0),
)
def test_bounds_are_respected_and_weights_add_up(weights, cap, cap_largest, floor, total):
    from indexlab.rules.weighting import bounded_weights

    if floor is not None and any(b is not None and floor > b for b in (cap, cap_largest)):
        return  # a spec error (weighting.floor above a cap), never solved
    out, feasible = bounded_weights(
        weights[None, :], cap=cap, cap_largest=cap_largest, floor=floor, totals=np.array([total])
    )
    w = out[0]
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(total, rel=1e-9)
    upper = np.full(len(w), np.inf if cap is None else cap)
    if cap_largest is not None:
        upper[np.argmax(weights)] = cap_largest
    lower = np.full(len(w), floor or 0.0)
    if lower.sum() <= total * (1 - 1e-9) and upper.sum() >= total * (1 + 1e-9):
        assert feasible[0]
        assert (w <= upper * (1 + 1e-9) + 1e-15).all() and (w >= lower * (1 - 1e-9) - 1e-15).all()
        # Names strictly between their bounds keep their raw proportions.
        free = (w > lower * (1 + 1e-9) + 1e-15) & (w < upper * (1 - 1e-9) - 1e-15)
        if free.sum() >= 2:
            ratio = w[free] / weights[free]
            np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    elif not feasible[0]:
        np.testing.assert_allclose(w, total / len(w))


@settings(max_examples=200, deadline=None)
@given(
    caps=arrays(np.float64, (6, 12), elements=st.floats(1.0, 1e6)),
    eligible=arrays(np.bool_, (6, 12)),
    top_n=st.integers(1, 8),
    entry=st.integers(0, 8),
    exit_extra=st.integers(0, 6),
    ratio=st.sampled_from([0.0, 0.05, 0.5]),
)
def test_buffers_never_hold_more_than_n(caps, eligible, top_n, entry, exit_extra, ratio):
    from indexlab.rules.selection import Review, select_members
    from indexlab.spec import Universe

    rule = Universe(
        top_n=top_n,
        entry_rank=max(1, min(entry, top_n)),
        exit_rank=top_n + exit_extra,
        replacement_ratio=ratio,
    )
    reviews = [Review(eligible[r], caps[r], caps[r]) for r in range(len(caps))]
    members, _ = select_members(rule, reviews)
    assert (members.sum(axis=1) <= top_n).all()
    assert not (members & ~eligible).any()  # only eligible assets are members
    # With enough eligible assets the index is always full.
    full = eligible.sum(axis=1) >= top_n
    assert (members.sum(axis=1)[full] == top_n).all()


@settings(max_examples=300, deadline=None)
@given(
    weights=arrays(np.float64, st.integers(1, 40), elements=st.floats(1e-6, 1e6)),
    cap=st.floats(0.01, 1.0),
    total=st.floats(0.3, 1.0),
    zeros=st.integers(0, 3),
)
def test_the_single_cap_fast_path_equals_the_general_solve(weights, cap, total, zeros):
    from indexlab.rules import weighting

    raw = np.sort(weights)[::-1].copy()  # largest first, as members in rank order
    raw[len(raw) - min(zeros, len(raw) - 1) :] = 0.0  # members without a weight
    raw = raw[None, :]
    fast, ok_fast = weighting._capped_rows(raw, cap, np.array([total]))
    lower = np.zeros_like(raw)
    upper = np.full_like(raw, cap)
    general, ok_general = weighting._bounded_rows(raw, lower, upper, np.array([total]))
    assert ok_fast[0] == ok_general[0]
    # Equal up to rounding: at a kink (a weight exactly at the cap) the two solves may
    # land on either side of it by a few ulps.
    np.testing.assert_allclose(fast, general, rtol=1e-10, atol=1e-15)
