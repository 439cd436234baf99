"""Rebalance schedules: the first date of the run, then the first date of each new period."""

from __future__ import annotations

import numpy as np
import pandas as pd

_PERIODS = {"weekly": "W-SUN", "monthly": "M", "quarterly": "Q"}


def rebalance_positions(dates: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Positions in ``dates`` of the rebalance dates.

    ``daily`` rebalances every date; ``weekly`` on the first date of each ISO week
    (weeks start on Monday); ``monthly`` and ``quarterly`` on the first date of each
    calendar month or quarter. The first date of ``dates`` is always a rebalance date.
    """
    if len(dates) == 0:
        return np.zeros(0, dtype=np.int64)
    if frequency == "daily":
        return np.arange(len(dates), dtype=np.int64)
    if frequency not in _PERIODS:
        valid = ", ".join(["daily", *_PERIODS])
        raise ValueError(f"unknown rebalance frequency {frequency!r} (valid: {valid})")
    periods = dates.to_period(_PERIODS[frequency]).asi8
    new_period = np.empty(len(dates), dtype=bool)
    new_period[0] = True
    new_period[1:] = periods[1:] != periods[:-1]
    return np.flatnonzero(new_period).astype(np.int64)
