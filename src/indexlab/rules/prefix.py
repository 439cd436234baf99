"""Weights of every top-N prefix of a ranking at once.

When members are the first N ranks of each review (a top-N rule without history), the
gathered prices and measures and their running sums serve every N: the normalised
weights of the top N are a slice and a division. A sweep over N shares one
:class:`RankedPrefix`; a single run builds it over its own N ranks only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class RankedPrefix:
    """On each candidate row, every asset in rank order with what weighting needs:
    whether it can be weighted, its measure to the power p, and running sums of those."""

    order: np.ndarray  # (candidates x width) columns, largest first
    limit: np.ndarray  # (candidates) how many are candidates
    weighable: np.ndarray  # (candidates x width) valid price and measure, a candidate
    powered: np.ndarray  # measure ** p where weighable, else 0
    running: np.ndarray  # cumulative sums of powered along each row

    @classmethod
    def build(
        cls,
        order: np.ndarray,
        limit: np.ndarray,
        close: np.ndarray,
        measure: np.ndarray,
        exponent: float,
    ) -> RankedPrefix:
        """``order`` (candidates x width) and ``limit`` (candidates) from the ranking
        of each row's review; ``close`` and ``measure`` the snapshot rows' closes and
        weighting measures, gathered in that order (candidates x width)."""
        ranked = np.arange(order.shape[1])[None, :] < limit[:, None]
        with np.errstate(invalid="ignore"):
            weighable = ranked & np.isfinite(close) & np.isfinite(measure) & (measure > 0)
        base = np.where(weighable, measure, 0.0)
        if exponent == 0:
            powered = weighable.astype(np.float64)
        elif exponent == 1:
            powered = base
        elif exponent == 0.5:
            powered = np.sqrt(base)
        else:
            powered = np.where(weighable, np.power(base, exponent), 0.0)
        return cls(order, limit, weighable, powered, np.cumsum(powered, axis=1))

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Columns, used slots, weighable slots and normalised weights of the top n."""
        n = min(n, self.order.shape[1])
        count = np.minimum(self.limit, n)
        used = np.arange(n)[None, :] < count[:, None]
        columns = np.where(used, self.order[:, :n], -1)
        weighable = self.weighable[:, :n] & used
        total = self.running[np.arange(len(count)), np.maximum(count - 1, 0)]
        total = np.where(count > 0, total, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(
                weighable & (total[:, None] > 0), self.powered[:, :n] / total[:, None], 0.0
            )
        return columns, used, weighable, raw
