"""Eligibility and top-N selection, as boolean (rebalance date x asset) arrays."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from indexlab.errors import SpecError
from indexlab.market import Market
from indexlab.taxonomy import KNOWN_TAGS


def exclusion_mask(market: Market, exclude: Iterable[str], *, field_name: str) -> np.ndarray:
    """Boolean array over ``market.asset_ids``: assets removed by the ``exclude`` list.

    Each entry is a tag (``stablecoin``, ``wrapped``, ...; any tag the market's
    taxonomy knows) or an asset id or unambiguous symbol.
    """
    mask = np.zeros(len(market.asset_ids), dtype=bool)
    tags = KNOWN_TAGS | market.known_tags
    for entry in exclude:
        if entry in tags and entry not in market.asset_ids:
            mask |= market.has_tag(entry)
        else:
            try:
                asset = market.resolve_asset(entry, field_name=field_name)
            except SpecError as exc:
                raise SpecError(
                    f"{exc} (an exclusion is a tag: {', '.join(sorted(tags))}; "
                    "or an asset id or symbol)"
                ) from None
            mask[market.asset_ids.get_loc(asset)] = True
    return mask


def eligibility(
    close_snapshot: np.ndarray, market_cap_snapshot: np.ndarray, excluded: np.ndarray
) -> np.ndarray:
    """Candidates: a valid close and a valid market cap on the snapshot day, not excluded.

    Inputs are (rebalance date x asset) arrays of snapshot values, ``NaN`` where
    invalid, and a boolean exclusion array over assets (or of the same shape).
    """
    valid = np.isfinite(close_snapshot) & (close_snapshot > 0)
    valid &= np.isfinite(market_cap_snapshot) & (market_cap_snapshot > 0)
    return valid & ~excluded


def select_top_n(ranking_measure: np.ndarray, eligible: np.ndarray, top_n: int) -> np.ndarray:
    """The ``top_n`` eligible assets per row by ``ranking_measure``, descending.

    Ties are broken by column order, which is the asset id order of a Market.
    Rows with fewer eligible assets than ``top_n`` keep all of them.
    """
    keyed = np.where(eligible, ranking_measure, -np.inf)
    # Stable sort of the negated measure: equal measures stay in asset id order.
    order = np.argsort(-keyed, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(order.shape[0])[:, None]
    ranks[rows, order] = np.arange(order.shape[1])[None, :]
    return eligible & (ranks < top_n)
