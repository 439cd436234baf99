"""The kernel's policies, one numba function each: arrays in, numbers out.

Each policy acts on one portfolio ``k`` of a batch at one candidate row ``t`` and
changes that portfolio's state in place. The state of a batch of K portfolios over N
assets is a :class:`Book` of arrays:

- ``units`` (K x N) and ``units_by_asset`` (N x K): units held, kept in step (the
  second is the layout the valuation's matrix product reads fastest);
- ``cash`` (K);
- ``held`` (K x M) and ``held_n`` (K): each portfolio's held assets as a list (at most
  the M target slots of a trade);
- ``set_cols`` (K x M), ``set_vals`` (K x M), ``set_n`` (K): the target weights set at
  the last trade (what drift is measured against; DESIGN section 3), kept only for
  portfolios that check drift;
- ``pend_cols`` (K x M), ``pend_vals`` (K x M), ``pend_n`` (K): orders on assets that
  had no valid close yet, and the cash set aside for each (filled at its first close).

The smallest helpers are inlined where they are called (``inline="always"``): numba
compiles each other function on its own, at a fixed cost per function of a few tenths of
a second on the first compile (issue 17, item 9).

Only units are dense over the N assets (the valuation's matrix product needs them);
the lists are as long as a trade's M target slots, usually far fewer than N.

Prices: ``close`` (T x N) holds valid closes (``NaN`` elsewhere); ``prices_t`` (N) is
the last valid close of each asset up to the row at hand (0 before its first), which
the kernel carries from row to row; ``delist_row`` (N) is the first row after each
asset's last valid close in the whole data (its data stop). The trade itself is in
:mod:`indexlab.engine.trades`.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np


class Book(NamedTuple):
    """The mutable state of K portfolios (see the module docstring)."""

    units: np.ndarray
    units_by_asset: np.ndarray
    cash: np.ndarray
    held: np.ndarray
    held_n: np.ndarray
    set_cols: np.ndarray
    set_vals: np.ndarray
    set_n: np.ndarray
    pend_cols: np.ndarray
    pend_vals: np.ndarray
    pend_n: np.ndarray


class Log(NamedTuple):
    """Liquidation records of portfolio 0 (delistings): ``count[0]`` is how many there
    were, even past the arrays' capacity (the caller then retries with more room)."""

    count: np.ndarray
    row: np.ndarray
    asset: np.ndarray
    units: np.ndarray
    price: np.ndarray


class Fill(NamedTuple):
    """What a trade did: value before it, traded notional, cost, one-way turnover; and
    the first data stop among the positions held after it."""

    value_pre: float
    notional: float
    cost: float
    turnover: float
    earliest_stop: int


@numba.njit(cache=True)
def new_book(n_portfolios: int, n_assets: int, n_slots: int) -> Book:
    k, m = n_portfolios, max(n_slots, 1)
    # Flat zeros reshaped and a filled empty array: fewer np.zeros / np.ones signatures
    # to compile (each is a compile of its own, a reshape is not).
    cash = np.empty(k)
    cash[:] = 1.0
    return Book(
        np.zeros(k * n_assets).reshape((k, n_assets)),
        np.zeros(n_assets * k).reshape((n_assets, k)),
        cash,
        np.empty((k, m), dtype=np.int64),
        np.zeros(k, dtype=np.int64),
        np.empty((k, m), dtype=np.int64),
        np.empty((k, m)),
        np.zeros(k, dtype=np.int64),
        np.empty((k, m), dtype=np.int64),
        np.empty((k, m)),
        np.zeros(k, dtype=np.int64),
    )


@numba.njit(cache=True)
def post_trade_value(
    value: float, holdings: np.ndarray, weights: np.ndarray, cost_rate: float
) -> float:
    """Solve V' = V - c * sum_i |V' w_i - h_i| for V' exactly.

    g(x) = x + c * sum_i |x w_i - h_i| - V is convex, piecewise linear and increasing
    (c * sum w_i < 1), so Newton's method started at x = V (where g >= 0) walks down
    the pieces monotonically and stops on the exact root in finitely many steps.
    """
    if cost_rate == 0.0:
        return value
    x = value
    for _ in range(200):
        numerator = value
        denominator = 1.0
        for i in range(weights.size):
            w = weights[i]
            h = holdings[i]
            if w == 0.0 and h == 0.0:
                continue
            # Left derivative at a kink: we approach the root from the right.
            s = 1.0 if x * w - h > 0.0 else -1.0
            numerator += cost_rate * s * h
            denominator += cost_rate * s * w
        x_next = numerator / denominator
        if x_next == x or abs(x_next - x) <= 1e-16 * abs(x):
            return x_next
        x = x_next
    return x


@numba.njit(cache=True, inline="always")
def set_units(book: Book, k: int, i: int, units: float) -> None:
    book.units[k, i] = units
    book.units_by_asset[i, k] = units


@numba.njit(cache=True, inline="always")
def portfolio_value(book: Book, k: int, prices_t: np.ndarray) -> float:
    """Cash plus every holding at its last valid close."""
    total = book.cash[k]
    for q in range(book.held_n[k]):
        i = book.held[k, q]
        total += book.units[k, i] * prices_t[i]
    return total


@numba.njit(cache=True)
def settle_delistings(
    book: Book,
    k: int,
    t: int,
    segment_start: int,
    n_rows: int,
    prices_t: np.ndarray,
    delist_row: np.ndarray,
    log: Log,
    record: bool,
    keep: float,
) -> int:
    """Turn the positions whose data stopped on or before row ``t`` into cash at their
    last valid close, fee-free (DESIGN section 3, delisting), dated the first row after
    that close (or the segment's first row); ``keep`` is the share of that value the
    delisting returns (1: ``last_close``, 0: ``zero``, 1 - h: a haircut h). ``prices_t``:
    the last valid close up to any row since row ``t - 1`` (a position whose data stopped
    is worth its last close from then on). Returns the earliest data stop among the
    positions still held (``n_rows + 1`` if none)."""
    never = n_rows + 1
    earliest = never
    kept = 0
    for q in range(book.held_n[k]):
        i = book.held[k, q]
        stop = delist_row[i]
        if stop <= t and stop < n_rows:
            day = max(stop, segment_start)
            book.cash[k] += book.units[k, i] * prices_t[i] * keep
            if record and k == 0:
                n = log.count[0]
                if n < log.row.size:
                    log.row[n] = day
                    log.asset[n] = i
                    log.units[n] = book.units[k, i]
                    log.price[n] = prices_t[i]
                log.count[0] = n + 1
            set_units(book, k, i, 0.0)
        else:
            book.held[k, kept] = i
            kept += 1
            if stop < earliest and stop < n_rows:
                earliest = stop
    book.held_n[k] = kept
    return earliest


@numba.njit(cache=True)
def write_down_stops(
    book: Book,
    k: int,
    t: int,
    prices_t: np.ndarray,
    delist_row: np.ndarray,
    equity: np.ndarray,
    keep: float,
) -> None:
    """Under a delisting assumption other than ``last_close`` (``keep`` < 1), a position
    whose data stop on a row before ``t`` (inside the segment just valued, where it
    counted at its last close) loses (1 - keep) of that value from its stop on: the
    equity of those rows is lowered, as it would be had the stop been settled there.
    ``prices_t`` as in :func:`settle_delistings`."""
    for q in range(book.held_n[k]):
        i = book.held[k, q]
        stop = delist_row[i]
        if stop < t:
            loss = (1.0 - keep) * book.units[k, i] * prices_t[i]
            for r in range(stop, t):
                equity[r, k] -= loss


@numba.njit(cache=True)
def drift_breached(
    book: Book,
    k: int,
    close_t: np.ndarray,
    prices_t: np.ndarray,
    threshold: float,
    relative: bool,
) -> bool:
    """Whether a weight held at this close, before trading, deviates from the target
    weight set at the last trade by more than the threshold (absolute: |h/V - w| > x;
    relative: |h/V - w| > x * w). An asset without a valid close today is skipped: a
    missing price never triggers a trade."""
    value = portfolio_value(book, k, prices_t)
    if value <= 0.0:
        return False
    for q in range(book.set_n[k]):
        i = book.set_cols[k, q]
        if close_t[i] != close_t[i]:
            continue
        target = book.set_vals[k, q]
        limit = threshold * target if relative else threshold
        if abs(book.units[k, i] * prices_t[i] / value - target) > limit:
            return True
    return False


@numba.njit(cache=True, inline="always")
def clear_targets(book: Book, k: int) -> None:
    """Forget the targets set at the last trade and any pending order."""
    book.pend_n[k] = 0
    book.set_n[k] = 0


@numba.njit(cache=True, inline="always")
def earliest_stop(book: Book, k: int, delist_row: np.ndarray, n_rows: int) -> int:
    """The first data stop among the positions held (``n_rows + 1`` if none)."""
    earliest = n_rows + 1
    for q in range(book.held_n[k]):
        stop = delist_row[book.held[k, q]]
        if stop < earliest and stop < n_rows:
            earliest = stop
    return earliest


@numba.njit(cache=True, inline="always")
def has_pending_fill(book: Book, k: int, close_t: np.ndarray) -> bool:
    """Whether an order waiting for its asset's first valid close can fill today."""
    for q in range(book.pend_n[k]):
        i = book.pend_cols[k, q]
        if close_t[i] == close_t[i]:
            return True
    return False


@numba.njit(cache=True)
def fill_pending(
    book: Book,
    k: int,
    close_t: np.ndarray,
    prices_t: np.ndarray,
    cost_rate: float,
    delist_row: np.ndarray,
    n_rows: int,
) -> Fill:
    """Buy, at today's close, each asset whose order waited for its first valid close,
    with the cash set aside for it: notional x and cost c x spend the reserve R
    (x = R / (1 + c)). Other positions are left as they are."""
    value = portfolio_value(book, k, prices_t)
    in_assets = value - book.cash[k]
    cash_before = book.cash[k]
    notional = 0.0
    waiting = 0
    for q in range(book.pend_n[k]):
        i = book.pend_cols[k, q]
        if close_t[i] != close_t[i]:
            book.pend_cols[k, waiting] = i
            book.pend_vals[k, waiting] = book.pend_vals[k, q]
            waiting += 1
            continue
        reserve = min(book.pend_vals[k, q], book.cash[k])
        bought = reserve / (1.0 + cost_rate)
        book.cash[k] -= reserve
        set_units(book, k, i, bought / close_t[i])
        book.held[k, book.held_n[k]] = i
        book.held_n[k] += 1
        notional += bought
    book.pend_n[k] = waiting
    cost = notional * cost_rate
    after = value - cost
    # One-way turnover: half the sum of absolute weight changes, cash included.
    change = in_assets * abs(1.0 / after - 1.0 / value) + notional / after
    change += abs(book.cash[k] / after - cash_before / value)
    return Fill(value, notional, cost, 0.5 * change, earliest_stop(book, k, delist_row, n_rows))


@numba.njit(cache=True)
def record_holdings(
    book: Book,
    k: int,
    prices_t: np.ndarray,
    columns: np.ndarray,
    units: np.ndarray,
    weights: np.ndarray,
) -> int:
    """The assets held after a trade, their units and weights (value / total), into the
    first slots of ``columns``, ``units``, ``weights``; returns how many (held assets
    only: a record is as long as the holdings, not the market)."""
    value = portfolio_value(book, k, prices_t)
    for q in range(book.held_n[k]):
        i = book.held[k, q]
        columns[q] = i
        units[q] = book.units[k, i]
        weights[q] = book.units[k, i] * prices_t[i] / value if value > 0.0 else 0.0
    return book.held_n[k]
