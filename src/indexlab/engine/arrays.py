"""From a Market and a run window to the kernel's arrays, and back: the thin layer
between pandas and :mod:`indexlab.engine.kernels`."""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.engine import kernels
from indexlab.engine.threads import kernel_threads
from indexlab.errors import SpecError
from indexlab.interrupts import deferred_interrupt
from indexlab.market import Market
from indexlab.spec import Strategy


@dataclass(frozen=True)
class Window:
    """The run's rows in the market: ``start_pos`` .. ``end_pos`` inclusive."""

    start_pos: int
    end_pos: int
    notes: tuple[str, ...]

    @property
    def length(self) -> int:
        return self.end_pos - self.start_pos + 1


def run_window(strategy: Strategy, market: Market) -> Window:
    """The dates a strategy runs over; a start before the first decision snapshot moves."""
    notes: list[str] = []
    lag = strategy.lag_days
    dates = market.dates
    if len(dates) <= lag:
        raise SpecError(
            f"lag_days: {lag} needs more than {lag} days of data; {market.source} has {len(dates)}"
        )
    earliest = dates[lag]
    start = earliest if strategy.start is None else strategy.start
    if start < earliest:
        notes.append(
            f"start moved from {start.date()} to {earliest.date()}: the data begin on "
            f"{dates[0].date()} and decisions use data {lag} day(s) old"
        )
        start = earliest
    end = dates[-1] if strategy.end is None else strategy.end
    if end > dates[-1]:
        notes.append(f"end moved from {end.date()} to {dates[-1].date()}: the data end there")
        end = dates[-1]
    if start > end:
        raise SpecError(
            f"{strategy.origin or strategy.name}: start {start.date()} is after the last "
            f"usable date {end.date()} of {market.source}"
        )
    return Window(
        start_pos=int(dates.get_loc(start)), end_pos=int(dates.get_loc(end)), notes=tuple(notes)
    )


def readonly(values: np.ndarray, dtype: type) -> np.ndarray:
    """A C-contiguous read-only view: numba compiles one signature for all calls
    (it types writable and read-only arrays differently, and pandas hands out both)."""
    view = np.ascontiguousarray(values, dtype=dtype).view()
    view.flags.writeable = False
    return view


def opening_prices(close: np.ndarray, row: int, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Each column's last valid close before ``row`` (0 if none), as one row (1 x N):
    where the kernel's carried prices start. ``close``: valid closes or ``NaN``;
    ``first``, ``last``: each column's first and last valid row (-1 if never). Only a
    column in a gap at ``row - 1`` is read further back, down to its last close."""
    opening = np.zeros((1, close.shape[1]))
    if row == 0:
        return opening
    dead = np.flatnonzero((last >= 0) & (last < row))
    opening[0, dead] = close[last[dead], dead]
    living = np.flatnonzero((first >= 0) & (first < row) & (last >= row))
    previous = close[row - 1, living]
    known = np.isfinite(previous)
    opening[0, living[known]] = previous[known]
    for j in living[~known]:  # in a gap: its last close before the gap
        column = close[first[j] : row, j]
        opening[0, j] = column[np.flatnonzero(np.isfinite(column))[-1]]
    return opening


@dataclass(frozen=True, eq=False)
class WindowArrays:
    """The arrays portfolios are simulated on: over the run window, the valid closes;
    each column's last valid close before the window (the kernel carries the last
    valid close from there: what holdings are worth and trade at, 0 before an asset's
    first); and each column's first and last valid rows in the whole data, relative to
    the window (a data stop is a fact of the data, not of the window: cutting the run
    short must not turn a living asset into a dead one)."""

    market_dates: pd.DatetimeIndex
    window: Window
    dates: pd.DatetimeIndex  # the run window's dates
    assets: pd.Index
    close: np.ndarray  # (window rows x assets), valid closes or NaN
    prices: np.ndarray  # (1 x assets), last valid close before the window, 0 if none
    first_valid: np.ndarray  # each asset's first valid row, relative to the window
    last_valid: np.ndarray  # each asset's last valid row, relative to the window
    # whether an asset has rows without a valid close inside its life (None: unknown)
    gappy: np.ndarray | None = None
    # (window rows x assets) the last valid close up to each day, if the Market keeps one
    filled: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        market: Market,
        window: Window,
        dates: pd.DatetimeIndex | None = None,
        *,
        again: bool = False,
    ) -> WindowArrays:
        """``dates``: the window's dates, when the caller has them already. ``again``:
        the caller runs single backtests, which a Market that runs more than once
        speeds up with a forward-filled close panel (see :func:`_keeps_filled`)."""
        arrays = cls._of(
            market.close_values,
            market.first_valid_positions(),
            market.last_valid_positions(),
            market.asset_ids,
            market.dates,
            window,
            dates,
        )
        if again and _keeps_filled(market):
            rows = slice(window.start_pos, window.end_pos + 1)
            filled = readonly(market.close_ffill_values[rows], np.float64)
            return dataclasses.replace(arrays, filled=filled)
        return dataclasses.replace(arrays, gappy=market.interior_gap_counts() > 0)

    def columns(self, keep: np.ndarray) -> WindowArrays:
        """The same arrays for the asset columns ``keep`` only (a sweep's group runs on
        the assets its plans target: :func:`indexlab.sweep.batch.compact_arrays`)."""
        return dataclasses.replace(
            self,
            assets=self.assets[keep],
            close=readonly(self.close[:, keep], np.float64),
            prices=readonly(self.prices[:, keep], np.float64),
            first_valid=self.first_valid[keep],
            last_valid=readonly(self.last_valid[keep], np.int64),
            gappy=None if self.gappy is None else self.gappy[keep],
            filled=None if self.filled is None else readonly(self.filled[:, keep], np.float64),
        )

    @classmethod
    def from_column(
        cls,
        values: np.ndarray,
        label: str,
        dates: pd.DatetimeIndex,
        window: Window,
        run_dates: pd.DatetimeIndex | None = None,
        assets: pd.Index | None = None,
    ) -> WindowArrays:
        """For one price column on the market's dates (valid prices or NaN), with the
        window's dates and the one-label index if known."""
        valid = np.isfinite(values)
        first = int(np.argmax(valid)) if valid.any() else -1
        last = int(len(values) - 1 - np.argmax(valid[::-1])) if valid.any() else -1
        assets = pd.Index([label]) if assets is None else assets
        return cls._of(
            values[:, None],
            np.array([first]),
            np.array([last]),
            assets,
            dates,
            window,
            run_dates,
        )

    @classmethod
    def _of(cls, close, first_valid, last_valid, assets, dates, window, run_dates) -> WindowArrays:
        rows = slice(window.start_pos, window.end_pos + 1)
        first, last = np.asarray(first_valid), np.asarray(last_valid)
        return cls(
            market_dates=dates,
            window=window,
            dates=dates[rows] if run_dates is None else run_dates,
            assets=assets,
            close=readonly(close[rows], np.float64),
            prices=readonly(opening_prices(close, window.start_pos, first, last), np.float64),
            # An asset that never has a valid close gets the first row after the data.
            first_valid=np.where(first >= 0, first, len(dates)).astype(np.int64) - window.start_pos,
            last_valid=readonly(last - window.start_pos, np.int64),
        )


# How many single backtests each Market has been built for (while it lives).
_RUNS: weakref.WeakKeyDictionary[Market, int] = weakref.WeakKeyDictionary()


def _keeps_filled(market: Market) -> bool:
    """Whether the kernel reads ``market``'s forward-filled close panel: once it has one,
    or from its second single run on, when it makes one (and, for the stale weight, the
    gaps of its assets: :func:`indexlab.engine.stale.interior_gaps`). A first run
    carries the last valid closes itself and makes neither: a fresh Market's first run
    costs about what a warm one does (issue 17, item 1). Writing the panel costs what
    a few runs gain from reading it (BLAS reads it quicker than the kernel carries the
    closes); it is as large as the close panel, so sweeps, which read only the columns
    their plans target, never make it."""
    _RUNS[market] = _RUNS.get(market, 0) + 1
    return "_filled" in market.__dict__ or _RUNS[market] > 1


_ALWAYS_INVESTED = np.zeros((0, 0))
_NO_PANEL = np.zeros((0, 0))


def run_kernel(
    arrays: WindowArrays,
    rows: np.ndarray,
    columns: np.ndarray,
    values: np.ndarray,
    *,
    cost_rate: np.ndarray,
    forced: np.ndarray | None = None,
    exposure: np.ndarray | None = None,
    drift_threshold: np.ndarray | None = None,
    drift_relative: np.ndarray | None = None,
    delisting_keep: np.ndarray | None = None,
    record: bool = False,
) -> kernels.KernelRecord:
    """The batched kernel for K portfolios sharing candidate ``rows``; targets are
    compact (candidates x K x slots): asset ``columns`` (-1 unused) and their weight
    ``values``; ``exposure`` (days x K) or None (always invested); ``delisting_keep``
    (K) the share of a position's last-close value its data stop returns (None: 1,
    ``costs.delisting = "last_close"``)."""
    k = columns.shape[1]
    keep = np.ones(k) if delisting_keep is None else delisting_keep
    forced = np.ones(len(rows), dtype=bool) if forced is None else forced
    threshold = np.zeros(k) if drift_threshold is None else drift_threshold
    relative = np.zeros(k, dtype=bool) if drift_relative is None else drift_relative
    capacity = int(arrays.close.shape[1]) + 16
    n_assets = arrays.close.shape[1]
    filled = arrays.filled
    if filled is None or filled.shape != arrays.close.shape:  # none, or of other columns
        filled = _NO_PANEL
    # The assets that can be held at a carried close (all when unknown), when the kernel
    # adds up the stale weight: recorded runs that carry the closes (else engine.stale).
    gappy = np.ones(n_assets if record and filled.size == 0 else 0, dtype=bool)
    if gappy.size and arrays.gappy is not None and len(arrays.gappy) == n_assets:
        gappy = arrays.gappy
    while True:
        # Ctrl-C while numba boxes the result crashes CPython; BLAS threads: threads.py
        with deferred_interrupt(), kernel_threads():
            out = kernels.simulate_batch(
                arrays.close,
                arrays.prices[0],
                arrays.last_valid,
                readonly(rows, np.int64),
                readonly(columns, np.int64),
                readonly(values, np.float64),
                readonly(forced, np.bool_),
                readonly(_ALWAYS_INVESTED if exposure is None else exposure, np.float64),
                readonly(threshold, np.float64),
                readonly(relative, np.bool_),
                readonly(cost_rate, np.float64),
                readonly(keep, np.float64),
                record,
                capacity,
                readonly(gappy, np.bool_),
                readonly(filled, np.float64),
            )
        if out.n_liq <= capacity or not record:
            return out
        capacity = out.n_liq
