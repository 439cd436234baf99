"""The kernel's trade: from the holdings to the targets at one candidate row, paying
proportional costs solved exactly (:func:`indexlab.engine.policies.post_trade_value`),
so that the target weights hold after costs (DESIGN section 3).

The state it changes is the :class:`~indexlab.engine.policies.Book` of a batch (see
:mod:`indexlab.engine.policies`); a :class:`Scratch` holds its work arrays over the
assets, made once per kernel call and reused between trades.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from indexlab.engine.policies import Book, Fill, clear_targets, post_trade_value, set_units


class Scratch(NamedTuple):
    """Work arrays of one trade, over the assets (reused between trades)."""

    active: np.ndarray  # the held, then the targeted assets
    marked: np.ndarray  # whether an asset is in ``active`` already
    goal: np.ndarray  # target weight per asset (kept at 0 between trades)
    goals: np.ndarray  # target weight per active slot
    holdings: np.ndarray  # value held per active slot
    weights: np.ndarray  # weight traded to per active slot


@numba.njit(cache=True)
def new_scratch(n_assets: int) -> Scratch:
    return Scratch(
        np.empty(n_assets, dtype=np.int64),
        np.zeros(n_assets, dtype=np.bool_),
        np.zeros(n_assets),
        np.empty(n_assets),
        np.empty(n_assets),
        np.empty(n_assets),
    )


@numba.njit(cache=True)
def _gather_active(book: Book, k: int, columns: np.ndarray, values: np.ndarray, s: Scratch) -> int:
    """Held assets, then targeted ones, into ``s.active``; their targets into ``s.goals``."""
    n_active = 0
    for q in range(book.held_n[k]):
        i = book.held[k, q]
        s.active[n_active] = i
        s.marked[i] = True
        n_active += 1
    for q in range(columns.size):
        i = columns[q]
        if i < 0:
            continue
        s.goal[i] = values[q]
        if not s.marked[i]:
            s.active[n_active] = i
            s.marked[i] = True
            n_active += 1
    for q in range(n_active):
        i = s.active[q]
        s.marked[i] = False
        s.goals[q] = s.goal[i]
        s.goal[i] = 0.0
    return n_active


@numba.njit(cache=True)
def execute_trade(
    book: Book,
    k: int,
    t: int,
    columns: np.ndarray,
    values: np.ndarray,
    scale: float,
    prices_t: np.ndarray,
    delist_row: np.ndarray,
    n_rows: int,
    cost_rate: float,
    track: bool,
    s: Scratch,
) -> Fill:
    """Trade portfolio k at row t to the targets (``columns``, ``values`` times
    ``scale``: 0 sells everything), paying c on traded notional, solved exactly.

    Every position is traded at its last valid close, with costs, whether or not the
    asset has a valid close today (DESIGN section 3). A target on an asset with no
    valid close yet stays in cash, set aside until its first close (a pending order);
    a target on an asset whose data have stopped stays in cash. With ``track`` (the
    portfolio checks drift) the targets become the ones drift is measured against.
    """
    clear_targets(book, k)
    n_active = _gather_active(book, k, columns, values, s)
    value = book.cash[k]
    for q in range(n_active):
        i = s.active[q]
        h = book.units[k, i] * prices_t[i] if book.units[k, i] != 0.0 else 0.0
        s.holdings[q] = h
        value += h
        w = s.goals[q] * scale
        tradeable = prices_t[i] > 0.0 and t < delist_row[i]
        s.weights[q] = w if (w > 0.0 and tradeable) else 0.0
    new_value = post_trade_value(value, s.holdings[:n_active], s.weights[:n_active], cost_rate)
    in_assets = 0.0
    notional = 0.0
    change = 0.0
    kept = 0
    earliest = n_rows + 1
    per_value = 1.0 / value if value > 0.0 else 0.0
    for q in range(n_active):
        i = s.active[q]
        target = new_value * s.weights[q]
        notional += abs(target - s.holdings[q])
        change += abs(s.weights[q] - s.holdings[q] * per_value)
        goal = s.goals[q] * scale
        waits = False
        if s.weights[q] > 0.0:
            set_units(book, k, i, target / prices_t[i])
            in_assets += target
            book.held[k, kept] = i
            kept += 1
            if delist_row[i] < earliest and delist_row[i] < n_rows:
                earliest = delist_row[i]
        else:
            set_units(book, k, i, 0.0)
            waits = goal > 0.0 and prices_t[i] == 0.0 and t < delist_row[i]
            if waits:  # set aside until its first close
                book.pend_cols[k, book.pend_n[k]] = i
                book.pend_vals[k, book.pend_n[k]] = new_value * goal
                book.pend_n[k] += 1
        if track and (s.weights[q] > 0.0 or waits):
            book.set_cols[k, book.set_n[k]] = i
            book.set_vals[k, book.set_n[k]] = goal
            book.set_n[k] += 1
    book.held_n[k] = kept
    cash_before = book.cash[k]
    book.cash[k] = new_value - in_assets
    if value > 0.0 and new_value > 0.0:
        change += abs(book.cash[k] / new_value - cash_before / value)
    return Fill(value, notional, value - new_value, 0.5 * change, earliest)
