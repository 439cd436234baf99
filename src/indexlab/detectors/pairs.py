"""Pairs of assets whose prices move together: the arithmetic behind
:func:`indexlab.detectors.likely_wrapped` (and the windowed share of
:func:`~indexlab.detectors.likely_stablecoins`), on whole arrays.

For two assets i and j and each day both have a close, x_t = log(p_i / p_j);
the criteria are stated in :func:`~indexlab.detectors.likely_wrapped`.
"""

from __future__ import annotations

import warnings

import numpy as np

from indexlab.market import Market

_DAYS_PER_YEAR = 365.25
_SAMPLES = 9  # overlap days compared per pair in the level pre-filter


# ------------------------------------------------------------------------ stablecoins
def best_window_share(
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


def candidate_pairs(
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


def pair_statistics(
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
        out["window_share"][chunk] = best_window_share(tracking, valid, window_days, min_valid)
        out["n_on_line"][chunk] = (valid & (residual <= drift_tolerance)).sum(axis=0)
        out["slope"][chunk] = slope
        out["mean"][chunk] = mean
    return out


def overlap_medians(
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


def pair_criteria(
    stats: dict[str, np.ndarray],
    *,
    min_days: int,
    min_share: float,
    window_days: int | None,
    drift: tuple[int, float, float] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each pair, the criterion it meets (``""`` for none; the first that holds of
    "tracks", the window, "drifting ratio") and the share of days meeting it. ``drift``
    is (min days, max |slope| per year, max |mean log ratio|), or None to skip it."""
    common = stats["days"]
    enough = common >= min_days
    share_tracking = np.where(enough, stats["n_tracking"] / np.maximum(common, 1), 0.0)
    share_window = np.nan_to_num(stats["window_share"], nan=0.0)
    share_on_line = np.where(enough, stats["n_on_line"] / np.maximum(common, 1), 0.0)
    tracks = enough & (share_tracking >= min_share)
    tracks_window = enough & ~tracks & (share_window >= min_share)
    drifts = np.zeros_like(tracks)
    if drift is not None:
        drift_min_days, max_slope, max_mean = drift
        drifts = (
            ~tracks
            & ~tracks_window
            & (common >= drift_min_days)
            & (share_on_line >= min_share)
            & (np.abs(stats["slope"]) <= max_slope)
            & (np.abs(stats["mean"]) <= max_mean)
        )
    criterion = np.select(
        [tracks, tracks_window, drifts],
        ["tracks", f"tracks in a {window_days}-day window", "drifting ratio"],
        "",
    )
    share = np.select([tracks, tracks_window], [share_tracking, share_window], share_on_line)
    return criterion, share


def followers(
    market: Market,
    first: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Orient each pair (the follower is the smaller by market cap over the overlap) and
    keep one pair per follower, the one with the largest target. Returns the follower,
    the target, the sign that turns log(p_a / p_b) into the follower's log ratio, and
    the positions of the pairs kept."""
    size = market.market_cap.median(axis=0, skipna=True).fillna(0.0).to_numpy()
    rank = np.empty(size.size, dtype=np.int64)
    rank[np.lexsort((-first, size))] = np.arange(size.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap_gap = overlap_medians(np.log(market.market_cap_values), a, b, start, stop)
    a_smaller = np.where(np.isfinite(cap_gap) & (cap_gap != 0), cap_gap < 0, rank[a] < rank[b])
    follower = np.where(a_smaller, a, b)
    target = np.where(a_smaller, b, a)
    sign = np.where(a_smaller, 1.0, -1.0)  # x_t is log(p_a / p_b): flip for the follower
    pick = np.lexsort((-rank[target], follower))
    if pick.size:
        pick = pick[np.r_[True, follower[pick][1:] != follower[pick][:-1]]]
    return follower[pick], target[pick], sign[pick], pick
