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


def _nbytes(value: object) -> int:
    """Bytes of the arrays in a memo entry: an array, a tuple of them, or an object
    holding them."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    if hasattr(value, "__dict__"):
        return sum(_nbytes(v) for v in vars(value).values())
    return 0


class BoundedMemo(dict):
    """A planning memo that forgets its oldest entries once their arrays pass
    ``limit`` bytes: a sweep over many start dates or lags would otherwise keep the
    rankings of every window. A forgotten entry is computed again when needed."""

    def __init__(self, limit: float) -> None:
        super().__init__()
        self.limit = float(limit)
        self.sizes: dict = {}
        self.total = 0

    def __setitem__(self, key, value) -> None:
        if key in self:
            del self[key]
        super().__setitem__(key, value)
        self.sizes[key] = _nbytes(value)
        self.total += self.sizes[key]
        while self.total > self.limit and len(self) > 1:
            oldest = next(iter(self))
            if oldest == key:
                break
            del self[oldest]

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
        _freeze(value)
        memo[key] = value
    return memo[key]
