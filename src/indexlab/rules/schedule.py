"""Rebalance and review schedules: positions in a run's dates.

The first date of the run is always on the schedule (the initial buy). After it:
``daily`` every date; ``weekly`` each date that falls on ``weekday`` (default Monday,
the first day of an ISO week); ``monthly``/``quarterly`` the first or last date of
each calendar month/quarter, or a given day of the month (of the quarter's first
month; a day the month does not have means its last day); ``dates`` the listed dates
that fall in the run; ``none`` nothing more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.spec.model import WEEKDAYS, Schedule


def _with_first(mask: np.ndarray) -> np.ndarray:
    mask = mask.copy()
    if len(mask):
        mask[0] = True
    return np.flatnonzero(mask).astype(np.int64)


def calendar_key(schedule: Schedule | None) -> tuple:
    """What decides a schedule's positions, as a hashable and sortable key (a drift
    threshold or other fields of a Rebalance do not); () for no schedule."""
    if schedule is None:
        return ()
    return (
        schedule.frequency,
        schedule.weekday or "",
        schedule.anchor,
        schedule.day or 0,
        schedule.dates,
    )


def schedule_positions(dates: pd.DatetimeIndex, schedule: Schedule) -> np.ndarray:
    """Positions in ``dates`` (a contiguous daily range) of the scheduled dates."""
    n = len(dates)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    frequency = schedule.frequency
    if frequency == "daily":
        return np.arange(n, dtype=np.int64)
    if frequency == "none":
        return np.zeros(1, dtype=np.int64)
    if frequency == "dates":
        wanted = pd.DatetimeIndex(schedule.dates)
        return _with_first(dates.isin(wanted))
    days = dates.values.astype("datetime64[D]").astype(np.int64)  # days since 1970-01-01
    if frequency == "weekly":
        weekday = WEEKDAYS.index(schedule.weekday or "monday")
        return _with_first((days + 3) % 7 == weekday)  # 1970-01-01 was a Thursday (3)
    months = dates.values.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    periods = months if frequency == "monthly" else months // 3
    if schedule.anchor == "first":
        mask = np.empty(n, dtype=bool)
        mask[0] = True
        mask[1:] = periods[1:] != periods[:-1]
        return np.flatnonzero(mask).astype(np.int64)
    if schedule.anchor == "last":
        # The last date of each period, where the period ends inside the run.
        next_months = (days + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        following = next_months if frequency == "monthly" else next_months // 3
        return _with_first(following != periods)
    # anchor == "day": that day of the month, or the month's last day if it is shorter.
    month_start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_start = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    day_of_month = days - month_start + 1
    mask = day_of_month == np.minimum(schedule.day, next_start - month_start)
    if frequency == "quarterly":
        mask &= months % 3 == 0
    return _with_first(mask)


def rebalance_positions(dates: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Positions of a plain calendar (first date of each period) by frequency name."""
    if frequency not in ("daily", "weekly", "monthly", "quarterly", "none"):
        valid = "daily, weekly, monthly, quarterly, none"
        raise ValueError(f"unknown rebalance frequency {frequency!r} (valid: {valid})")
    return schedule_positions(dates, Schedule(frequency))
