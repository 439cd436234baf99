"""The survivorship band (issue 16, item 6): one strategy run twice on the same market,
under the optimistic and the pessimistic delisting assumption.

A coin whose data stop has an unknown last return. ``costs.delisting = "last_close"``
(the default) turns the position into cash at its last close: the optimistic bound.
``"zero"`` writes it off: the pessimistic bound (or a haircut h, ``pessimistic=0.5``,
for a milder one). Everything else is the same (the same plan, trades on the same
dates to the same target weights), so the band's width is what delistings could have
cost. On a collection of survivors only there are no data stops to assume anything
about, and the band is a single line: the bias is then in the universe, not in the
delisting assumption (docs/design-notes.md, "The survivorship band").

>>> band = indexlab.survivorship_band(strategy, market)
>>> band.metrics()          # two rows: optimistic, pessimistic
>>> band.equity             # date x (optimistic, pessimistic)
>>> indexlab.report.band.band_figure(band)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from indexlab.engine.run import run
from indexlab.market import Market
from indexlab.result import Result
from indexlab.spec import Strategy

OPTIMISTIC = "last_close"


def assumption_label(delisting: str | float) -> str:
    """A short name of a delisting assumption: ``last close``, ``written off``,
    ``haircut 50%``."""
    if delisting == "last_close":
        return "last close"
    if delisting == "zero":
        return "written off"
    return f"haircut {float(delisting) * 100:.4g}%"


@dataclass(frozen=True, eq=False)
class SurvivorshipBand:
    """The same strategy under the optimistic (``last_close``) and the pessimistic
    (``zero`` or a haircut) delisting assumption, on the same market and dates."""

    optimistic: Result
    pessimistic: Result

    @property
    def name(self) -> str:
        return self.optimistic.name

    @property
    def labels(self) -> tuple[str, str]:
        """The two rows' and lines' names: ``optimistic (last close)``, ..."""
        return (
            f"optimistic ({assumption_label(self.optimistic.strategy.costs.delisting)})",
            f"pessimistic ({assumption_label(self.pessimistic.strategy.costs.delisting)})",
        )

    @cached_property
    def equity(self) -> pd.DataFrame:
        """Date x (optimistic, pessimistic): the strategy's equity under each assumption,
        in units of the initial capital."""
        frame = pd.concat(
            [self.optimistic.equity[self.name], self.pessimistic.equity[self.name]],
            axis=1,
            keys=list(self.labels),
        )
        frame.columns.name = "delisting"
        return frame

    @property
    def benchmarks(self) -> pd.DataFrame:
        """The benchmarks' equity (the same under both assumptions: they are held
        assets, valued as run)."""
        return self.optimistic.equity.drop(columns=self.name)

    def metrics(self, risk_free: float = 0.0) -> pd.DataFrame:
        """Two rows (optimistic, pessimistic), one column per metric (DESIGN section 4)."""
        rows = [
            result.metrics(risk_free).loc[self.name]
            for result in (self.optimistic, self.pessimistic)
        ]
        table = pd.DataFrame(rows, index=pd.Index(self.labels, name="delisting"))
        return table

    @property
    def delistings(self) -> pd.DataFrame:
        """The positions whose data stopped while held (``Result.liquidations`` of the
        pessimistic run: ``value`` at the last close, ``proceeds`` under its assumption)."""
        return self.pessimistic.liquidations

    @property
    def notes(self) -> tuple[str, ...]:
        """The run's notes (those of the optimistic run; the other's are the same, bar
        this assumption), and one line on the band."""
        return (*self.optimistic.notes, self.summary())

    def summary(self) -> str:
        """One line: the total return under each assumption and what was written off."""
        total = self.equity.iloc[-1] - 1.0
        lost = self.delistings
        if lost.empty:
            return (
                f"survivorship band: no position's data stopped while held, so the delisting "
                f"assumption changes nothing (total return {total.iloc[0]:+,.2%})"
            )
        worse = assumption_label(self.pessimistic.strategy.costs.delisting)
        return (
            f"survivorship band: total return from {total.iloc[0]:+,.2%} (delisted positions "
            f"cash at their last close) to {total.iloc[1]:+,.2%} ({worse}); {len(lost)} "
            "delisting(s) while held"
        )


def survivorship_band(
    strategy: Strategy,
    market: Market,
    *,
    pessimistic: str | float = "zero",
    warn: bool = True,
) -> SurvivorshipBand:
    """Run ``strategy`` on ``market`` under ``costs.delisting = "last_close"`` and under
    ``pessimistic`` (``"zero"``, the default, or a haircut fraction in [0, 1]); the
    strategy's own ``costs.delisting`` is replaced in both. ``warn``: emit the run's
    notes as warnings (once)."""
    optimistic = run(strategy.replace(**{"costs.delisting": OPTIMISTIC}), market, warn=warn)
    worse = run(strategy.replace(**{"costs.delisting": pessimistic}), market, warn=False)
    return SurvivorshipBand(optimistic, worse)
