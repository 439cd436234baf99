"""Rebalance and review schedules: positions in a run's dates.

The first date of the run is always on the schedule (the initial buy). After it:
``daily`` every date; ``weekly`` each date that falls on ``weekday`` (default Monday,
the first day of an ISO week); ``monthly``/``quarterly`` the first or last date of
each calendar month/quarter, or a given day of the month (of the quarter's first
month; a day the month does not have means its last day); ``dates`` the listed dates
that fall in the run; ``none`` nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.spec.model import WEEKDAYS, Rebalance, Reconstitution, Schedule


def _with_first(mask: np.ndarray, first: bool = True) -> np.ndarray:
    mask = mask.copy()
    if len(mask) and first:
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


def schedule_positions(
    dates: pd.DatetimeIndex, schedule: Schedule, first: bool = True
) -> np.ndarray:
    """Positions in ``dates`` (a contiguous daily range) of the scheduled dates; the
    first date is one unless ``first`` is False (the calendar's own dates only)."""
    n = len(dates)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    frequency = schedule.frequency
    if frequency == "daily":
        return np.arange(n, dtype=np.int64)
    if frequency == "none":
        return np.zeros(1 if first else 0, dtype=np.int64)
    if frequency == "dates":
        wanted = pd.DatetimeIndex(schedule.dates)
        return _with_first(dates.isin(wanted), first)
    days = dates.values.astype("datetime64[D]").astype(np.int64)  # days since 1970-01-01
    if frequency == "weekly":
        weekday = WEEKDAYS.index(schedule.weekday or "monday")
        return _with_first((days + 3) % 7 == weekday, first)  # 1970-01-01 was a Thursday
    months = dates.values.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    periods = months if frequency == "monthly" else months // 3
    if schedule.anchor == "first":
        # A period's first date; the data's first date only if it is one (or ``first``).
        previous_day = (days[0] - 1).astype("datetime64[D]").astype("datetime64[M]")
        before = previous_day.astype(np.int64)
        mask = np.empty(n, dtype=bool)
        mask[0] = first or (before if frequency == "monthly" else before // 3) != periods[0]
        mask[1:] = periods[1:] != periods[:-1]
        return np.flatnonzero(mask).astype(np.int64)
    if schedule.anchor == "last":
        # The last date of each period, where the period ends inside the run.
        next_months = (days + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        following = next_months if frequency == "monthly" else next_months // 3
        return _with_first(following != periods, first)
    # anchor == "day": that day of the month, or the month's last day if it is shorter.
    month_start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_start = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    day_of_month = days - month_start + 1
    mask = day_of_month == np.minimum(schedule.day, next_start - month_start)
    if frequency == "quarterly":
        mask &= months % 3 == 0
    return _with_first(mask, first)


def rebalance_positions(dates: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Positions of a plain calendar (first date of each period) by frequency name."""
    if frequency not in ("daily", "weekly", "monthly", "quarterly", "none"):
        valid = "daily, weekly, monthly, quarterly, none"
        raise ValueError(f"unknown rebalance frequency {frequency!r} (valid: {valid})")
    return schedule_positions(dates, Schedule(frequency))


@dataclass(frozen=True, eq=False)
class Calendar:
    """When a run may trade and when it reviews membership, as rows of the run window:
    ``rows`` the candidate trade rows (every row when drift is checked), ``forced``
    whether each trades whatever the drift (scheduled), ``review_rows`` the reviews."""

    rows: np.ndarray
    forced: np.ndarray
    review_rows: np.ndarray


def plan_calendar(
    dates: pd.DatetimeIndex,
    rebalance: Rebalance,
    reconstitution: Reconstitution | None = None,
    extra_rows: np.ndarray | None = None,
) -> Calendar:
    """The schedule step. Needs the run window's dates, the rebalance and review
    calendars and rows that must trade (risk-off switches); gives the Calendar. A
    review date is also a rebalance date."""
    trade_rows = schedule_positions(dates, rebalance)
    review_rows = (
        trade_rows if reconstitution is None else schedule_positions(dates, reconstitution)
    )
    scheduled = np.union1d(trade_rows, review_rows)
    if extra_rows is not None:
        scheduled = np.union1d(scheduled, extra_rows)
    if rebalance.drift_threshold is None:
        return Calendar(scheduled, np.ones(len(scheduled), dtype=bool), review_rows)
    forced = np.zeros(len(dates), dtype=bool)
    forced[scheduled] = True
    return Calendar(np.arange(len(dates), dtype=np.int64), forced, review_rows)


def prior_reviews(dates: pd.DatetimeIndex, schedule: Schedule, count: int) -> np.ndarray:
    """The calendar's last ``count`` (or fewer) own dates among ``dates`` (the data
    before a run), as positions: the reviews seasoning looks back on."""
    if count <= 0 or len(dates) == 0:
        return np.zeros(0, dtype=np.int64)
    return schedule_positions(dates, schedule, first=False)[-count:]
