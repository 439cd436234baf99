"""Fewer points where a figure cannot show more (issue 17, item 6).

A figure 1,500 pixels wide cannot show more than one value per pixel column, yet a
daily run of 12 years has 4,400 closes and an hourly one ten times that; drawing them
all costs time and shows nothing more. Two reductions:

- :func:`thin_line`, for lines: per bucket of consecutive points no wider than a
  pixel column, the first, lowest, highest and last point, in time order (the "M4"
  aggregation of Jugel et al., VLDB 2014). Drawn, the line covers the same pixels:
  every peak and trough stays, a drawdown's deepest point included. A series short
  enough (at most four points per column) is drawn as it is.
- :func:`thin_rows`, for stacked areas (the allocation chart), where a bucket has no
  one extreme (each band boundary has its own): the rows at a regular step of at most
  one per pixel column, plus the first and last and the rows on both sides of each
  given date (the rebalances), so the jumps stay sharp where the weights are reset.
  Between rebalances the weights only drift with prices: what is left out is a
  one-day wiggle narrower than a pixel column (the figure says "one close in N").

Example: a line of 20,000 hourly points on the tearsheet's 10-inch figures (3,000
pixel columns at 300 dpi) becomes at most 12,000 points, four per column; the 3,102
daily points of the demo run are drawn as they are. The allocation chart of the demo
run, 3,102 closes with 102 rebalances on a 1,500-pixel-wide figure, becomes 1,168 rows:
every third close and the two on the sides of each rebalance; it draws in three
quarters of the time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

POINTS_PER_COLUMN = 4  # first, lowest, highest, last
COLUMNS_PER_ROW = 1  # stacked areas: at most one row per pixel column
# Marketing figures are drawn at 100 dpi and saved at up to 300: lines are thinned to
# the pixels of a 300-dpi copy at least, so they are exact at any resolution saved.
PRINT_DPI = 300


def pixel_columns(ax: Axes, dpi: float | None = None) -> int:
    """The width in pixels of the figure holding ``ax`` at ``dpi`` (default: its own or
    :data:`PRINT_DPI`, whichever is more): more columns than any of its axes can use,
    so a bucket of that many is never wider than a pixel."""
    figure = ax.figure
    dpi = max(figure.dpi, PRINT_DPI) if dpi is None else dpi
    return max(1, int(figure.get_figwidth() * dpi))


def thin_line(series: pd.Series, columns: int) -> pd.Series:
    """``series`` with at most :data:`POINTS_PER_COLUMN` points per each of ``columns``
    equal buckets: the first, lowest, highest and last of each bucket, in order. A
    bucket holding a missing value is kept whole (the gap stays a gap)."""
    n = len(series)
    if n <= POINTS_PER_COLUMN * columns:
        return series
    values = series.to_numpy(dtype=np.float64)
    edges = np.linspace(0, n, columns + 1).astype(np.int64)
    keep = []
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        if stop <= start:
            continue
        chunk = values[start:stop]
        if np.isnan(chunk).any():
            keep.append(np.arange(start, stop))
            continue
        keep.append(np.array([start, start + chunk.argmin(), start + chunk.argmax(), stop - 1]))
    positions = np.unique(np.concatenate(keep))
    return series.iloc[positions]


def thin_rows(
    frame: pd.DataFrame, columns: int, keep_around: pd.DatetimeIndex | None = None
) -> tuple[pd.DataFrame, int]:
    """``frame`` (date rows) at every ``step``-th row, where ``step`` is the smallest
    that leaves at most one row per :data:`COLUMNS_PER_ROW` of ``columns``, plus the
    first and last rows and the rows on both sides of each date of ``keep_around``.
    Returns the rows and ``step`` (1: every row, nothing left out)."""
    n = len(frame)
    most = max(2, columns // COLUMNS_PER_ROW)
    step = max(1, math.ceil(n / most))
    if step == 1:
        return frame, 1
    positions = [np.arange(0, n, step), np.array([n - 1])]
    if keep_around is not None and len(keep_around):
        at = frame.index.get_indexer(pd.DatetimeIndex(keep_around))
        at = at[at >= 0]
        positions += [at, at - 1]
    chosen = np.unique(np.concatenate(positions))
    return frame.iloc[chosen[(chosen >= 0) & (chosen < n)]], step
