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

import warnings

import numpy as np
import pandas as pd

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
_DAYS_PER_YEAR = 365.25
_SAMPLES = 9  # overlap days compared per pair in the level pre-filter


# ------------------------------------------------------------------------ stablecoins
def _best_window_share(
    hit: np.ndarray, valid: np.ndarray, window_days: int | None, min_valid: int
) -> np.ndarray:
    """Per column, the largest share of ``hit`` among the valid days of any window.

    Windows are ``window_days`` consecutive rows holding at least ``min_valid``
    valid days; NaN where no window does (or ``window_days`` is None or too long).
    Window sums are differences of cumulative sums: one pass over the array.
    """
    best = np.full(hit.shape[1], np.nan)
    if window_days is None or hit.shape[0] < window_days:
        return best
    zero = np.zeros((1, hit.shape[1]), dtype=np.int32)
    hit_cum = np.concatenate([zero, hit.cumsum(axis=0, dtype=np.int32)])
    valid_cum = np.concatenate([zero, valid.cumsum(axis=0, dtype=np.int32)])
    hit_w = hit_cum[window_days:] - hit_cum[:-window_days]
    valid_w = valid_cum[window_days:] - valid_cum[:-window_days]
    shares = np.where(valid_w >= min_valid, hit_w / np.maximum(valid_w, 1), -1.0)
    best = shares.max(axis=0)
    best[best < 0] = np.nan
    return best


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
    best = _best_window_share(near, valid, window_days, max(min_days, (window_days or 0) // 2))
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
def _candidate_pairs(
    log_close: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    eligible: np.ndarray,
    skip: np.ndarray,
    *,
    min_days: int,
    max_log_ratio: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a, b) whose lives overlap and whose prices are at a similar level.

    The level check compares the two prices on ``_SAMPLES`` days spread over the
    overlap: at least half of the days where both have a price must be within
    ``max_log_ratio``. Pairs of two ``skip`` assets (peg-like) are dropped.
    """
    idx = np.flatnonzero(eligible)
    upper_a, upper_b = np.triu_indices(idx.size, k=1)
    a, b = idx[upper_a], idx[upper_b]
    start = np.maximum(first[a], first[b])
    stop = np.minimum(last[a], last[b])
    keep = (stop - start + 1 >= min_days) & ~(skip[a] & skip[b])
    a, b, start, stop = a[keep], b[keep], start[keep], stop[keep]
    steps = np.linspace(0.0, 1.0, _SAMPLES)
    rows = start[:, None] + np.rint((stop - start)[:, None] * steps[None, :]).astype(np.int64)
    gap = np.abs(log_close[rows, a[:, None]] - log_close[rows, b[:, None]])
    both = np.isfinite(gap)
    close_enough = (np.where(both, gap, np.inf) <= max_log_ratio).sum(axis=1)
    keep = (both.sum(axis=1) > 0) & (2 * close_enough >= both.sum(axis=1))
    return a[keep], b[keep], start[keep], stop[keep]


def _pair_statistics(
    log_close: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    *,
    tolerance: float,
    drift_tolerance: float,
    window_days: int | None,
    min_days: int,
    chunk_pairs: int = 256,
) -> dict[str, np.ndarray]:
    """Day-by-day comparison of each pair over its overlap, x_t = log(p_a / p_b).

    Per pair: ``days`` with both prices; ``n_tracking`` days with |x_t| <=
    tolerance, and ``window_share``, the best share of such days in a
    ``window_days``-day window (see :func:`_best_window_share`); a least-squares
    line x_t ~ c + s * t (t in years) and ``n_on_line`` days with |x_t - c - s t|
    <= drift_tolerance; the ``slope`` s and the ``mean`` of x_t.
    """
    n_pairs = a.size
    keys = ("days", "n_tracking", "window_share", "n_on_line", "slope", "mean")
    out = {key: np.zeros(n_pairs) for key in keys}
    min_valid = max(min_days, (window_days or 0) // 2)
    order = np.argsort(start, kind="stable")  # chunks of pairs with nearby overlaps
    for lo in range(0, n_pairs, chunk_pairs):
        chunk = order[lo : lo + chunk_pairs]
        r0, r1 = int(start[chunk].min()), int(stop[chunk].max()) + 1
        x = log_close[r0:r1, a[chunk]] - log_close[r0:r1, b[chunk]]
        valid = np.isfinite(x)
        n = valid.sum(axis=0).astype(np.float64)
        xz = np.where(valid, x, 0.0)
        t = (np.arange(r1 - r0, dtype=np.float64) / _DAYS_PER_YEAR)[:, None]
        tz = np.where(valid, t, 0.0)
        sum_t, sum_x = tz.sum(axis=0), xz.sum(axis=0)
        sum_tt, sum_tx = (tz * tz).sum(axis=0), (tz * xz).sum(axis=0)
        denominator = n * sum_tt - sum_t**2
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(denominator > 0, (n * sum_tx - sum_t * sum_x) / denominator, 0.0)
            mean = np.where(n > 0, sum_x / n, 0.0)
        residual = np.abs(x - (mean - slope * sum_t / np.maximum(n, 1))[None, :] - slope * t)
        tracking = valid & (np.abs(xz) <= tolerance)
        out["days"][chunk] = n
        out["n_tracking"][chunk] = tracking.sum(axis=0)
        out["window_share"][chunk] = _best_window_share(tracking, valid, window_days, min_valid)
        out["n_on_line"][chunk] = (valid & (residual <= drift_tolerance)).sum(axis=0)
        out["slope"][chunk] = slope
        out["mean"][chunk] = mean
    return out


def _overlap_medians(
    log_values: np.ndarray, a: np.ndarray, b: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """Median of log(v_a / v_b) over each pair's overlap (NaN where never both valid).

    For the few pairs a detector reports, so one gather over their joint span.
    """
    if a.size == 0:
        return np.empty(0)
    r0, r1 = int(start.min()), int(stop.max()) + 1
    gap = log_values[r0:r1, a] - log_values[r0:r1, b]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        return np.nanmedian(gap, axis=0)


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
    close = market.close_values
    log_close = np.log(close)
    first = market.first_valid_positions()
    last = market.last_valid_positions()
    needed = min(min_days, drift_min_days) if drifting else min_days
    eligible = np.isfinite(close).sum(axis=0) >= needed

    _, _, _, whole, windowed = _near_peg(
        close, peg_usd=1.0, tolerance=0.03, min_share=0.90, min_days=30, window_days=365
    )
    peg_like = whole | windowed | market.has_tag("stablecoin") | market.has_tag("pegged")

    a, b, start, stop = _candidate_pairs(
        log_close,
        first,
        last,
        eligible,
        peg_like,
        min_days=needed,
        max_log_ratio=float(np.log(max_ratio)),
    )
    stats = _pair_statistics(
        log_close,
        a,
        b,
        start,
        stop,
        tolerance=tolerance,
        drift_tolerance=drift_tolerance,
        window_days=window_days,
        min_days=min_days,
    )
    common = stats["days"]
    enough = common >= min_days
    share_tracking = np.where(enough, stats["n_tracking"] / np.maximum(common, 1), 0.0)
    share_window = np.nan_to_num(stats["window_share"], nan=0.0)
    share_on_line = np.where(enough, stats["n_on_line"] / np.maximum(common, 1), 0.0)
    tracks = enough & (share_tracking >= min_share)
    tracks_window = enough & ~tracks & (share_window >= min_share)
    drifts = (
        drifting
        & ~tracks
        & ~tracks_window
        & (common >= drift_min_days)
        & (share_on_line >= min_share)
        & (np.abs(stats["slope"]) <= np.log1p(max_drift_per_year))
        & (np.abs(stats["mean"]) <= np.log(max_ratio))
    )
    found = np.flatnonzero(tracks | tracks_window | drifts)
    a, b, start, stop = a[found], b[found], start[found], stop[found]

    # Orient each pair: the follower is the smaller by market cap over the overlap.
    size = market.market_cap.median(axis=0, skipna=True).fillna(0.0).to_numpy()
    rank = np.empty(size.size, dtype=np.int64)
    rank[np.lexsort((-first, size))] = np.arange(size.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap_gap = _overlap_medians(np.log(market.market_cap_values), a, b, start, stop)
    a_smaller = np.where(np.isfinite(cap_gap) & (cap_gap != 0), cap_gap < 0, rank[a] < rank[b])
    follower = np.where(a_smaller, a, b)
    target = np.where(a_smaller, b, a)
    sign = np.where(a_smaller, 1.0, -1.0)  # x_t is log(p_a / p_b): flip for the follower

    # One row per follower: the pair with the largest target.
    pick = np.lexsort((-rank[target], follower))
    if pick.size:
        pick = pick[np.r_[True, follower[pick][1:] != follower[pick][:-1]]]
    chosen = found[pick]
    follower, target, sign = follower[pick], target[pick], sign[pick]
    median_gap = _overlap_medians(log_close, a[pick], b[pick], start[pick], stop[pick])
    criterion = np.select(
        [tracks[chosen], tracks_window[chosen]],
        ["tracks", f"tracks in a {window_days}-day window"],
        "drifting ratio",
    )
    share = np.select(
        [tracks[chosen], tracks_window[chosen]],
        [share_tracking[chosen], share_window[chosen]],
        share_on_line[chosen],
    )

    ids = market.asset_ids
    tagged = market.has_tag("wrapped") | market.has_tag("staked")
    frame = pd.DataFrame(
        {
            "asset": ids[follower].astype(str),
            "symbol": market.assets["symbol"].reindex(ids[follower]).to_numpy(dtype=object),
            "name": market.assets["name"].reindex(ids[follower]).to_numpy(dtype=object),
            "tracks": ids[target].astype(str),
            "criterion": criterion,
            "share_tracking": share,
            "median_ratio": np.exp(sign * median_gap),
            "drift_per_year": np.where(
                criterion == "drifting ratio", np.expm1(sign * stats["slope"][chosen]), np.nan
            ),
            "days": common[chosen].astype(np.int64),
            "tagged": tagged[follower],
        }
    )
    return frame.sort_values("asset", ignore_index=True).loc[:, list(WRAPPED_COLUMNS)]
