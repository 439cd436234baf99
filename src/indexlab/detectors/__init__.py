"""Detectors: assets whose prices behave like a stablecoin's or a wrapped token's.

They propose candidates for a person to confirm (``indexlab data info`` prints
them) and never tag anything themselves: a tag belongs in a tag file
(:mod:`indexlab.taxonomy`). Each returns one row per flagged asset, with a
``tagged`` column saying whether the market's tags already cover it.
docs/taxonomy.md states the criteria and how they score on real data.

Both work on ``Market.close_values`` as whole arrays (no per-asset Python loop
over days); on 1,100 assets x 4,500 days each takes under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.detectors.pairs import (
    best_window_share,
    candidate_pairs,
    followers,
    overlap_medians,
    pair_criteria,
    pair_statistics,
)
from indexlab.market import Market

STABLECOIN_COLUMNS = (
    "asset",
    "symbol",
    "name",
    "share_near_peg",
    "best_window_share",
    "median_price",
    "days",
    "criterion",
    "tagged",
)
WRAPPED_COLUMNS = (
    "asset",
    "symbol",
    "name",
    "tracks",
    "criterion",
    "share_tracking",
    "median_ratio",
    "drift_per_year",
    "days",
    "tagged",
)


def _near_peg(
    close: np.ndarray,
    *,
    peg_usd: float,
    tolerance: float,
    min_share: float,
    min_days: int,
    window_days: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per asset: valid days, share near the peg, best window share, and two flags.

    ``near`` is |close / peg - 1| <= tolerance. The window share is the largest
    share near the peg over any ``window_days`` consecutive calendar days holding at
    least ``max(min_days, window_days // 2)`` valid closes (NaN when none does).
    """
    valid = np.isfinite(close)
    near = valid & (np.abs(close / peg_usd - 1.0) <= tolerance)
    days = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(days > 0, near.sum(axis=0) / days, 0.0)
    whole = (days >= min_days) & (share >= min_share)
    best = best_window_share(near, valid, window_days, max(min_days, (window_days or 0) // 2))
    windowed = ~whole & (days >= min_days) & (np.nan_to_num(best, nan=-1.0) >= min_share)
    return days, share, best, whole, windowed


def likely_stablecoins(
    market: Market,
    *,
    peg_usd: float = 1.0,
    tolerance: float = 0.03,
    min_share: float = 0.90,
    min_days: int = 30,
    window_days: int | None = 365,
) -> pd.DataFrame:
    """Assets whose close stays near ``peg_usd`` (default $1): stablecoin candidates.

    An asset with at least ``min_days`` valid closes is flagged when
    |close / peg_usd - 1| <= ``tolerance`` on at least ``min_share`` of

    - its valid days (``criterion`` = ``"whole history"``), or
    - the valid days of some ``window_days``-day window holding at least
      ``max(min_days, window_days // 2)`` valid closes (``"<window_days>-day
      window"``): a stablecoin that held its peg for a year and then failed
      (TerraUSD, HUSD). ``window_days=None`` turns this off.

    A coin that merely passes through $1 is near the peg on a few days only and
    is not flagged. Stablecoins of other currencies (EUR, SGD) and yield-bearing
    dollars that drift above 1 are not found: tag those in a tag file.

    Returns:
        One row per flagged asset, by asset id, with the columns ``asset, symbol,
        name, share_near_peg, best_window_share, median_price, days, criterion,
        tagged`` (``tagged``: the asset already carries the ``stablecoin`` tag).
    """
    close = market.close_values
    days, share, best, whole, windowed = _near_peg(
        close,
        peg_usd=peg_usd,
        tolerance=tolerance,
        min_share=min_share,
        min_days=min_days,
        window_days=window_days,
    )
    flagged = np.flatnonzero(whole | windowed)
    median = np.nanmedian(close[:, flagged], axis=0) if flagged.size else np.empty(0)
    ids = market.asset_ids[flagged]
    frame = pd.DataFrame(
        {
            "asset": ids.astype(str),
            "symbol": market.assets["symbol"].reindex(ids).to_numpy(dtype=object),
            "name": market.assets["name"].reindex(ids).to_numpy(dtype=object),
            "share_near_peg": share[flagged],
            "best_window_share": best[flagged],
            "median_price": median,
            "days": days[flagged].astype(np.int64),
            "criterion": np.where(whole[flagged], "whole history", f"{window_days}-day window"),
            "tagged": market.has_tag("stablecoin")[flagged],
        }
    )
    return frame.loc[:, list(STABLECOIN_COLUMNS)].reset_index(drop=True)


# ---------------------------------------------------------------------------- wrapped
def likely_wrapped(
    market: Market,
    *,
    tolerance: float = 0.02,
    min_share: float = 0.90,
    min_days: int = 30,
    window_days: int | None = 365,
    drifting: bool = True,
    drift_tolerance: float = 0.02,
    drift_min_days: int = 180,
    max_ratio: float = 1.5,
    max_drift_per_year: float = 0.25,
) -> pd.DataFrame:
    """Assets whose price follows a larger asset's: wrapped, bridged or staked candidates.

    For two assets i, j and each day both have a close, x_t = log(p_i / p_j).
    Asset i follows j when, over at least ``min_days`` common days,

    - ``"tracks"``: |x_t| <= ``tolerance`` (default 2 %) on at least ``min_share``
      of the common days (WBTC and BTC, WETH and ETH, stETH and ETH);
    - ``"tracks in a <window_days>-day window"``: the same share within some
      ``window_days``-day window holding at least ``max(min_days, window_days //
      2)`` common days: a wrapped token that tracked for a year and then failed
      (renBTC, HBTC). ``window_days=None`` turns this off;
    - ``"drifting ratio"`` (when ``drifting``; at least ``drift_min_days`` common
      days): x_t stays within ``drift_tolerance`` of a straight line c + s t (t in
      years) on at least ``min_share`` of the days, with |s| <=
      log(1 + ``max_drift_per_year``) and the mean ratio within
      [1 / ``max_ratio``, ``max_ratio``]: a liquid staking token whose exchange rate
      to the underlying grows slowly (rETH, wstETH, cbETH).

    The follower is the one with the smaller median market cap over the common
    days (without common caps: over each one's life; ties: the one listed later).
    An asset that follows several is reported once, with the largest by median
    market cap. Pairs where both assets are peg-like (flagged by
    :func:`likely_stablecoins` with its defaults, or tagged ``stablecoin`` or
    ``pegged``) are skipped: every dollar stablecoin tracks every other, and they
    are reported as stablecoins only.

    Only pairs whose prices are within a factor ``max_ratio`` on most of nine days
    spread over their overlap are compared day by day, so receipts at a ratio far
    from 1 (Compound's cETH at 0.02 ETH) are not found.

    Returns:
        One row per flagged asset, by asset id, with the columns ``asset, symbol,
        name, tracks, criterion, share_tracking`` (the share of days meeting the
        criterion), ``median_ratio`` (of p_asset / p_tracks), ``drift_per_year`` (of
        that ratio, from the fitted line; NaN unless the criterion is ``"drifting
        ratio"``), ``days`` (common days) and ``tagged``
        (the asset already carries ``wrapped`` or ``staked``).
    """
    log_close = np.log(market.close_values)
    first = market.first_valid_positions()
    needed = min(min_days, drift_min_days) if drifting else min_days
    pairs = candidate_pairs(  # (a, b, start, stop): each an array, one item per pair
        log_close,
        first,
        market.last_valid_positions(),
        np.isfinite(market.close_values).sum(axis=0) >= needed,
        _peg_like(market),
        min_days=needed,
        max_log_ratio=float(np.log(max_ratio)),
    )
    stats = pair_statistics(
        log_close,
        *pairs,
        tolerance=tolerance,
        drift_tolerance=drift_tolerance,
        window_days=window_days,
        min_days=min_days,
    )
    drift = (drift_min_days, np.log1p(max_drift_per_year), np.log(max_ratio))
    criterion, share = pair_criteria(
        stats,
        min_days=min_days,
        min_share=min_share,
        window_days=window_days,
        drift=drift if drifting else None,
    )
    found = np.flatnonzero(criterion != "")
    pairs = tuple(part[found] for part in pairs)
    follower, target, sign, pick = followers(market, first, *pairs)
    chosen = found[pick]
    median_gap = overlap_medians(log_close, *(part[pick] for part in pairs))
    drift_per_year = np.where(
        criterion[chosen] == "drifting ratio", np.expm1(sign * stats["slope"][chosen]), np.nan
    )
    return _wrapped_rows(
        market,
        follower,
        target,
        {
            "criterion": criterion[chosen],
            "share_tracking": share[chosen],
            "median_ratio": np.exp(sign * median_gap),
            "drift_per_year": drift_per_year,
            "days": stats["days"][chosen].astype(np.int64),
        },
    )


def _peg_like(market: Market) -> np.ndarray:
    """Per asset: flagged by :func:`likely_stablecoins` with its defaults, or tagged
    ``stablecoin`` or ``pegged``."""
    _, _, _, whole, windowed = _near_peg(
        market.close_values,
        peg_usd=1.0,
        tolerance=0.03,
        min_share=0.90,
        min_days=30,
        window_days=365,
    )
    return whole | windowed | market.has_tag("stablecoin") | market.has_tag("pegged")


def _wrapped_rows(
    market: Market, follower: np.ndarray, target: np.ndarray, columns: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The rows of :func:`likely_wrapped`, by asset id: each follower with its symbol,
    name, the asset it tracks, ``columns`` and whether it is tagged already."""
    ids = market.asset_ids
    tagged = market.has_tag("wrapped") | market.has_tag("staked")
    frame = pd.DataFrame(
        {
            "asset": ids[follower].astype(str),
            "symbol": market.assets["symbol"].reindex(ids[follower]).to_numpy(dtype=object),
            "name": market.assets["name"].reindex(ids[follower]).to_numpy(dtype=object),
            "tracks": ids[target].astype(str),
            **columns,
            "tagged": tagged[follower],
        }
    )
    return frame.sort_values("asset", ignore_index=True).loc[:, list(WRAPPED_COLUMNS)]
