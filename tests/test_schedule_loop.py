"""Schedules against an obvious date-by-date loop, on random runs (the vectorised
calendar arithmetic must agree on every calendar edge: month ends, leap days, runs
that start mid-period)."""

from __future__ import annotations

import calendar

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from indexlab.rules.schedule import schedule_positions
from indexlab.spec.model import WEEKDAYS, Schedule


def slow_positions(dates: pd.DatetimeIndex, schedule: Schedule) -> list[int]:
    out = []
    for i, day in enumerate(dates):
        if i == 0:
            out.append(0)
            continue
        quarter_ok = schedule.frequency != "quarterly" or (day.month - 1) % 3 == 0
        if schedule.frequency == "weekly":
            hit = day.weekday() == WEEKDAYS.index(schedule.weekday or "monday")
        elif schedule.anchor == "first":
            previous = dates[i - 1]
            if schedule.frequency == "monthly":
                hit = (day.year, day.month) != (previous.year, previous.month)
            else:
                hit = (day.year, (day.month - 1) // 3) != (previous.year, (previous.month - 1) // 3)
        elif schedule.anchor == "last":
            tomorrow = day + pd.Timedelta(days=1)
            if schedule.frequency == "monthly":
                hit = tomorrow.month != day.month
            else:
                hit = tomorrow.month != day.month and day.month % 3 == 0
        else:
            last_day = calendar.monthrange(day.year, day.month)[1]
            hit = quarter_ok and day.day == min(schedule.day, last_day)
        if hit:
            out.append(i)
    return out


SCHEDULES = st.one_of(
    st.builds(Schedule, st.just("weekly"), st.sampled_from(WEEKDAYS)),
    st.builds(
        Schedule,
        st.sampled_from(["monthly", "quarterly"]),
        st.none(),
        st.sampled_from(["first", "last"]),
    ),
    st.builds(
        Schedule,
        st.sampled_from(["monthly", "quarterly"]),
        st.none(),
        st.just("day"),
        st.integers(1, 31),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(
        min_value=pd.Timestamp("1999-01-01").date(), max_value=pd.Timestamp("2030-01-01").date()
    ),
    days=st.integers(1, 800),
    schedule=SCHEDULES,
)
def test_schedule_positions_equal_a_date_by_date_loop(start, days, schedule):
    dates = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    assert list(schedule_positions(dates, schedule)) == slow_positions(dates, schedule)
