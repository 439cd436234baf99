"""The planning memo of a sweep: planning steps' outputs kept by their inputs.

A sweep plans many configurations of one market; configurations that share a step's
inputs (the same review snapshots and screens, the same ranking, the same top-N prefix)
share its output. Each step builds its key from its own inputs; :func:`memoised` wraps
the step from outside. Memoised arrays are read-only, so no caller changes another's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

T = TypeVar("T")

# Entries of one strategy's own weights (one N, one cap): worth sharing across a sweep's
# fee axis inside a chunk, not worth keeping after it.
PER_STRATEGY = ("take", "bounded")


def _arrays(value: object) -> list[np.ndarray]:
    """The arrays of a memo entry: an array, a tuple of them, or an object holding them."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple):
        return [a for v in value for a in _arrays(v)]
    if hasattr(value, "__dict__"):
        return [a for v in vars(value).values() for a in _arrays(v)]
    return []


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _owned_bytes(value: object) -> int:
    """Bytes a memo entry keeps alive that nobody else holds: the (root) arrays its step
    made, each once. Arrays the step only borrowed, the Market's panels or another
    entry's arrays, are read-only by then (both are frozen) and are not counted: counting
    a 600 MB market-cap panel that a ranking step passes through made the memo forget
    every shared entry of a 10,000-coin sweep at each step (issue 17, item 4). The array
    handed over decides, not its root: a Market's panel is a read-only view of a root
    (pandas' block) that stays writeable."""
    made = [_root(a) for a in _arrays(value) if a.flags.writeable]
    roots = {id(r): r for r in made}
    return sum(r.nbytes for r in roots.values() if r.flags.writeable)


class BoundedMemo(dict):
    """A planning memo that forgets its least recently used entries once the arrays they own pass
    ``limit`` bytes: a sweep over many start dates or lags would otherwise keep the
    rankings of every window. A forgotten entry is computed again when needed. An
    entry is measured when stored, before :func:`memoised` freezes it: what is still
    writeable then is what its step made (see :func:`_owned_bytes`)."""

    def __init__(self, limit: float) -> None:
        super().__init__()
        self.limit = float(limit)
        self.sizes: dict = {}
        self.total = 0

    def __setitem__(self, key, value) -> None:
        if key in self:
            del self[key]
        super().__setitem__(key, value)
        self.sizes[key] = _owned_bytes(value)
        self.total += self.sizes[key]
        while self.total > self.limit and len(self) > 1:
            oldest = next(iter(self))
            if oldest == key:
                break
            del self[oldest]

    def __getitem__(self, key):
        """A hit makes the entry the newest: the entries many configurations share (the
        screens and rankings of a calendar) outlive the ones used once."""
        value = super().pop(key)
        super().__setitem__(key, value)
        return value

    def __delitem__(self, key) -> None:
        super().__delitem__(key)
        self.total -= self.sizes.pop(key)


def forget_per_strategy(memo: dict) -> None:
    """Drop a memo's per-strategy entries, keeping what many strategies share."""
    for key in [k for k in memo if k[0] in PER_STRATEGY]:
        del memo[key]


def _freeze(value: object) -> None:
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(item, np.ndarray):
            item.flags.writeable = False
        elif hasattr(item, "__dict__"):
            for array in vars(item).values():
                if isinstance(array, np.ndarray):
                    array.flags.writeable = False


def memoised(memo: dict | None, key: tuple, step: Callable[[], T]) -> T:
    """``step()``, kept in ``memo`` under ``key`` (the step's name and inputs) when a
    memo is given."""
    if memo is None:
        return step()
    if key not in memo:
        value = step()
        memo[key] = value  # measured while what the step made is still writeable
        _freeze(value)
        return value  # a bounded memo may already have let it go
    return memo[key]
