"""One planning path: a Strategy on a Market becomes a :class:`Configuration`, what
the kernel trades. ``indexlab.run`` and every sweep row are planned by
:func:`configure`, so that the same configuration gives the same numbers whichever
way it is run (a sweep passes a memo to share work between configurations)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from indexlab.engine.arrays import Window, run_window
from indexlab.engine.plan import Plan, plan_targets
from indexlab.engine.portfolio import Trading
from indexlab.market import Market
from indexlab.rules.risk_off import market_signal, risk_exposure
from indexlab.spec import Strategy


@dataclass(frozen=True, eq=False)
class Configuration:
    """A strategy planned on a market: its run window, its candidate trade rows and
    target weights, and its risk-off exposure (window rows; None: always invested)."""

    strategy: Strategy
    window: Window
    plan: Plan
    exposure: np.ndarray | None
    notes: tuple[str, ...]

    @property
    def trading(self) -> Trading:
        rebalance = self.strategy.rebalance
        return Trading(
            self.plan.rows,
            self.plan.columns,
            self.plan.values,
            forced=self.plan.forced,
            exposure=self.exposure,
            drift_threshold=rebalance.drift_threshold or 0.0,
            drift_relative=rebalance.drift_mode == "relative",
            delisting_keep=self.strategy.costs.delisting_keep,
        )

    @property
    def group(self) -> tuple:
        """Configurations with equal groups share their candidate rows (one kernel call)."""
        window = self.window
        return (
            window.start_pos,
            window.end_pos,
            self.plan.rows.tobytes(),
            self.plan.forced.tobytes(),
        )


def _exposure(strategy: Strategy, market: Market, memo: dict | None) -> np.ndarray:
    """1 while invested, 0 while risk-off, over the market's rows (shared by a sweep)."""
    key = ("risk", strategy.risk_off, strategy.lag_days, strategy.origin)
    if memo is not None and key in memo:
        return memo[key]
    exposure = risk_exposure(market_signal(strategy, market), strategy.lag_days)
    if memo is not None:
        memo[key] = exposure
    return exposure


def _first_price_rows(plan: Plan, market: Market, window: Window) -> Plan:
    """Candidate rows for orders that wait for an asset's first valid close: a target on
    an asset with no close yet on a trade day is bought at its first close (DESIGN
    section 3), so that row must be one the kernel visits. Ranked selections never
    need this (a member has a close on its snapshot day); weights files can."""
    first = market.first_valid_positions()
    trade_rows = plan.rows[plan.forced]
    columns = plan.columns[plan.forced]
    values = plan.values[plan.forced]
    wanted = (columns >= 0) & (values > 0)
    listed = first[np.maximum(columns, 0)]
    waiting = (
        wanted & (listed > window.start_pos + trade_rows[:, None]) & (listed <= window.end_pos)
    )
    if not waiting.any():
        return plan
    extra = np.setdiff1d(np.unique(listed[waiting] - window.start_pos), plan.rows)
    rows = np.concatenate([plan.rows, extra])
    order = np.argsort(rows, kind="stable")
    # A new row carries the targets in force (those of the candidate before it).
    source = np.concatenate([np.arange(len(plan.rows)), np.searchsorted(plan.rows, extra) - 1])
    source = source[order]
    asset = market.asset_ids[int(columns[waiting][0])]
    notes = [
        *plan.notes,
        f"{int(waiting.sum())} target(s) on assets without a close yet waited for their "
        f"first close (first: {asset}, bought on "
        f"{market.dates[int(first[columns[waiting][0]])].date()})",
    ]
    return replace(
        plan,
        rows=rows[order],
        columns=plan.columns[source],
        values=plan.values[source],
        forced=np.concatenate([plan.forced, np.zeros(len(extra), dtype=bool)])[order],
        notes=notes,
    )


def configure(strategy: Strategy, market: Market, memo: dict | None = None) -> Configuration:
    """Plan ``strategy`` on ``market``: the window, the risk-off switches, the targets.

    The market is never cut at the strategy's end: decisions on row t read data up to
    t - lag only, and an asset's data stop is a fact of the whole data (DESIGN
    section 3), which a shorter run must not change.
    """
    window = run_window(strategy, market)
    notes = list(window.notes)
    exposure = switches = None
    if strategy.risk_off is not None:
        exposure = _exposure(strategy, market, memo)[window.start_pos : window.end_pos + 1]
        switches = np.flatnonzero(np.diff(exposure) != 0) + 1
        risk = strategy.risk_off
        notes.append(
            f"risk-off on {risk.rule or risk.signal_file} of {risk.asset}: {len(switches)} "
            f"switches, in cash on {int((exposure == 0).sum())} of {len(exposure)} days"
        )
    plan = plan_targets(strategy, market, window.start_pos, window.end_pos, switches, memo)
    if strategy.weighting.scheme == "file":  # ranked members always have a close
        plan = _first_price_rows(plan, market, window)
    notes.extend(plan.notes)
    return Configuration(strategy, window, plan, exposure, tuple(notes))
