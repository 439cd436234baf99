"""From a signal to the exposure an engine holds: the lag of DESIGN section 3 applied.

``exposure(signal, lag_days)`` dated t is the fraction of the position held after
the trades at the close of t (and so over the return from the close of t to the
close of t + 1):

    exposure_t = d(signal_{t - lag_days})     d(+1) = 1, d(-1) = -1 if short else 0,
                                              d(0) = 0, d(no value) = 0

A signal value dated s therefore first changes the position at the close of
s + ``lag_days`` (DESIGN section 3); ``lag_days = 0`` trades at the close the signal
was computed on (the convention of bt and vectorbt). Rows are days of a contiguous
daily calendar, so a shift by ``lag_days`` rows is a shift by ``lag_days`` days.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from indexlab.errors import SpecError
from indexlab.signals.values import parse_directions

Frame = TypeVar("Frame", pd.Series, pd.DataFrame)


def check_lag(lag_days: int) -> int:
    """``lag_days`` as a non-negative int, or a SpecError."""
    if isinstance(lag_days, bool) or not isinstance(lag_days, int | np.integer) or lag_days < 0:
        raise SpecError(f"lag_days: must be a whole number of days >= 0, got {lag_days!r}")
    return int(lag_days)


def check_calendar(index: pd.Index, where: str) -> None:
    """A SpecError unless ``index`` is a contiguous daily DatetimeIndex."""
    if not isinstance(index, pd.DatetimeIndex):
        raise SpecError(f"{where}: the index must be dates (a DatetimeIndex)")
    if len(index) and not index.equals(
        pd.date_range(index[0], periods=len(index), freq="D", name=index.name)
    ):
        raise SpecError(
            f"{where}: dates must be a contiguous daily calendar (every day, in order, "
            "no repeats); reindex it, e.g. with Signal.on(market.dates)"
        )


def held_direction(signal: Frame, lag_days: int = 1) -> Frame:
    """The signal direction behind the position held after the close of each date:
    the last value on or before t - ``lag_days`` (+1, -1, 0; ``NaN`` before any)."""
    lag = check_lag(lag_days)
    check_calendar(signal.index, "signal")
    if isinstance(signal, pd.DataFrame):
        values = signal.apply(lambda column: parse_directions(column, f"signal {column.name!r}"))
        values = pd.DataFrame(values, index=signal.index, columns=signal.columns)
    else:
        values = pd.Series(parse_directions(signal), index=signal.index, name=signal.name)
    return values.ffill().shift(lag)


def exposure(signal: Frame, lag_days: int = 1, *, short: bool = False) -> Frame:
    """The exposure of following ``signal``: 1 bullish, 0 otherwise (-1 bearish when
    ``short``), with the lag applied (see the module docstring).

    Args:
        signal: a Series (one asset) or a date x asset DataFrame on a contiguous daily
            calendar, with values +1 / -1 / 0 or bullish / bearish / neutral; ``NaN``
            means no new value that day: the previous one holds, and before the first
            value there is no position.
        lag_days: days from a signal's date to the close at which it is traded (>= 0).
        short: hold -1 while bearish instead of cash.

    Returns:
        The same shape and index, float 1.0 / 0.0 / -1.0 and no ``NaN``: the weight
        of the asset held after the close of each date. The first ``lag_days`` rows
        are 0 (no signal dated before the calendar is known). A change from one row
        to the next is a trade at the close of the later date.
    """
    held = held_direction(signal, lag_days)
    floor = -1.0 if short else 0.0
    return held.clip(lower=floor).fillna(0.0).astype(np.float64)
