"""The :class:`Scenario`: one asset's prices at total-market tiers, the inverse table
and every assumption behind them (built by :func:`indexlab.scenarios.scenario`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from indexlab.scenarios.arithmetic import (
    format_amount,
    format_amounts,
    format_price,
    ordinal,
    prices_at_tiers,
    tiers_for_prices,
)
from indexlab.scenarios.parsing import AS_OF, ShareCase


@dataclass(frozen=True, eq=False)
class Scenario:
    """Scenario prices of one asset; see :func:`scenario`.

    ``table``: one row per (tier, case), tiers ascending, cases in the given order, with
    columns ``asset, as_of, tier, total_market_cap, case, share, share_source, supply,
    price, multiple`` (price / price on the as-of date), ``price_as_of, data_source,
    total_market_source``.

    ``inverse``: one row per (target, case), with columns ``asset, as_of, case, share,
    share_source, supply, target_price, total_market_cap`` (the total that gives the
    target), ``total_multiple`` (over the total on the as-of date), ``price_multiple``
    (target / price on the as-of date), ``data_source, total_market_source``.
    """

    asset: str
    symbol: str
    as_of: pd.Timestamp
    price_as_of: float
    market_cap_as_of: float
    total_as_of: float  # NaN when the total is unknown that day
    share_as_of: float  # NaN likewise
    supply_as_of: float
    supply: float  # at the horizon
    supply_growth: float
    horizon: pd.Timestamp | None
    cases: tuple[ShareCase, ...]
    shares: np.ndarray  # one per case
    share_sources: tuple[str, ...]  # one per case
    lookback_years: float
    lookback_text: str | None  # the window of the percentile cases, if any
    data_source: str
    data_path: str | None
    data_sha256: str | None
    total_source: str
    synthetic: bool
    tiers: np.ndarray  # total market caps in USD, ascending
    targets: np.ndarray  # prices of the inverse table
    notes: tuple[str, ...] = field(default=())

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per (tier, case): the price and its multiple of today's."""
        prices = prices_at_tiers(self.tiers, self.shares, self.supply)
        n_tiers, n_cases = prices.shape
        return pd.DataFrame(
            {
                "asset": self.asset,
                "as_of": self.as_of.date().isoformat(),
                "tier": np.repeat(self.tier_labels, n_cases),
                "total_market_cap": np.repeat(self.tiers, n_cases),
                "case": np.tile([c.name for c in self.cases], n_tiers),
                "share": np.tile(self.shares, n_tiers),
                "share_source": np.tile(self.share_sources, n_tiers),
                "supply": self.supply,
                "price": prices.ravel(),
                "multiple": prices.ravel() / self.price_as_of,
                "price_as_of": self.price_as_of,
                "data_source": self.data_source,
                "total_market_source": self.total_source,
            }
        )

    @cached_property
    def inverse(self) -> pd.DataFrame:
        """One row per (target, case): the total market cap that gives the target price."""
        needed = tiers_for_prices(self.targets, self.shares, self.supply)
        n_targets, n_cases = needed.shape
        return pd.DataFrame(
            {
                "asset": self.asset,
                "as_of": self.as_of.date().isoformat(),
                "case": np.tile([c.name for c in self.cases], n_targets),
                "share": np.tile(self.shares, n_targets),
                "share_source": np.tile(self.share_sources, n_targets),
                "supply": self.supply,
                "target_price": np.repeat(self.targets, n_cases),
                "total_market_cap": needed.ravel(),
                "total_multiple": needed.ravel() / self.total_as_of,
                "price_multiple": np.repeat(self.targets, n_cases) / self.price_as_of,
                "data_source": self.data_source,
                "total_market_source": self.total_source,
            }
        )

    @property
    def tier_labels(self) -> list[str]:
        """The tiers as tables and axes print them, with the same decimals: ``$1.5T``,
        ``$8.0T``."""
        return [f"${text}" for text in format_amounts(self.tiers)]

    @property
    def label(self) -> str:
        """``TRX (tron)``, or the id alone when the asset has no symbol."""
        return f"{self.symbol} ({self.asset})" if self.symbol != self.asset else self.asset

    @property
    def supply_text(self) -> str:
        at = f"circulating on {self.as_of.date()} (market cap / price)"
        text = f"{format_amount(self.supply_as_of)} {self.symbol} {at}"
        if self.horizon is not None:
            text = (
                f"{format_amount(self.supply)} {self.symbol} on {self.horizon.date()}: "
                f"{text}, grown {self.supply_growth:+.2%} a year"
            )
        return text

    def short_source(self, case: ShareCase) -> str:
        """Where a case's share comes from, in a few words (legends)."""
        if case.how == "given":
            return "given"
        if case.how == AS_OF:
            return f"on {self.as_of.date()}"
        name = "median" if case.percentile == 50 else f"{ordinal(case.percentile)} percentile"
        return f"{name} of the last {self.lookback_years:g} years"

    @property
    def share_notes(self) -> tuple[str, ...]:
        """What the cases hide when today's share lies outside all of them: above the
        highest (TRX at 0.758 % against a 90th-percentile "moon" of 0.699 %), every case
        assumes the asset loses share; below the lowest, that it gains share."""
        if not math.isfinite(self.share_as_of) or not len(self.shares):
            return ()
        highest, lowest = int(np.argmax(self.shares)), int(np.argmin(self.shares))
        today = f"Today's share, {self.share_as_of:.3%} on {self.as_of.date()}"
        if self.share_as_of > self.shares[highest]:
            case, verb, outcome = self.cases[highest], "loses", "above"
            extreme = "the highest"
        elif self.share_as_of < self.shares[lowest]:
            case, verb, outcome = self.cases[lowest], "gains", "below"
            extreme = "the lowest"
        else:
            return ()
        share = self.shares[highest if outcome == "above" else lowest]
        return (
            f"{today}, is {outcome} every case ({extreme}, {case.name}, is {share:.3%}, "
            f"{self.short_source(case)}): every case assumes {self.symbol} {verb} market "
            f"share, and at today's share each tier's price would be {outcome} the "
            f"{case.name} case's.",
        )

    def assumptions(self) -> dict[str, str]:
        """What every output states, in the order the terminal prints it."""
        facts = {
            "Data": self.data_source,
            "Total market": self.total_source,
            "As of": f"{self.as_of.date()}: price {format_price(self.price_as_of)}, market cap "
            f"${format_amount(self.market_cap_as_of)}"
            + (
                f", total ${format_amount(self.total_as_of)}, share {self.share_as_of:.3%}"
                if math.isfinite(self.total_as_of)
                else ""
            ),
            "Supply": self.supply_text,
            "Formula": "price = share x total market cap / supply; shares and supply are "
            "assumptions, not forecasts",
        }
        if self.lookback_text:
            facts["Share history"] = self.lookback_text
        for case, share in zip(self.cases, self.shares, strict=True):
            facts[f"Share {case.name}"] = f"{share:.3%}, {self.short_source(case)}"
        return facts
