"""Eligibility screens at each review, as boolean (review date x asset) arrays.

The screens that do not depend on the index's own history live here: a valid close
and market cap on the snapshot day, exclusions (by tag, dated, or by asset), a
pre-universe cut to the top K, minimum volume, minimum listing age. The screens that
do (member-aware market-cap thresholds, seasoning, buffers) are in
:mod:`indexlab.rules.selection`.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexlab.errors import DataError, SpecError
from indexlab.market import Market
from indexlab.rules.measures import measure_values, observation_rows, observed
from indexlab.spec import Strategy
from indexlab.spec.model import Exclusion
from indexlab.taxonomy import KNOWN_TAGS, dated_always, dated_tags, merge_dated_tags, tag_panel

_CHUNK = 256  # review dates per block of the rolling-window screens (bounds memory)


_DATED: weakref.WeakKeyDictionary[Market, pd.DataFrame] = weakref.WeakKeyDictionary()


def market_dated_tags(market: Market, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """The market's tags with the dates they apply from (``NaT`` = always): the tags
    the market carries, dated where the shipped list dates them, then where the market
    dates them (``Market.dated_tags``: a long table's per-row tags), then ``extra`` (a
    strategy's tag file); for the same (asset, tag) the later one's date wins."""
    if extra is None:
        if market not in _DATED:  # made once per market: sweeps call this many times
            _DATED[market] = _dated_tags_of(market)
        return _DATED[market]
    return merge_dated_tags(_dated_tags_of(market), extra)


def _dated_tags_of(market: Market) -> pd.DataFrame:
    base = dated_always(market.tags)
    builtin = dated_tags()
    known = set(zip(base["asset"], base["tag"], strict=True))
    dated = builtin[
        [(a, t) in known for a, t in zip(builtin["asset"], builtin["tag"], strict=True)]
    ]
    if market.dated_tags is None:
        return merge_dated_tags(base, dated)
    return merge_dated_tags(base, dated, market.dated_tags)


def exclusion_mask(
    market: Market,
    exclude: Iterable[str | Exclusion],
    snapshot_dates: Sequence[pd.Timestamp] | pd.DatetimeIndex | None = None,
    *,
    field_name: str = "universe.exclude",
    tags: pd.DataFrame | None = None,
) -> np.ndarray:
    """Assets removed by the ``exclude`` rules on each snapshot date.

    Each entry is a tag (``stablecoin``, ...: any tag the market or ``tags`` knows) or
    an asset id or unambiguous symbol, optionally from a date on. A tag excludes an
    asset on the dates its tag is in effect (a tag file's ``effective_from``) and the
    exclusion applies (its ``from``). Without ``snapshot_dates`` the result is one row
    over assets, ignoring dates (every tag ever carried).
    """
    dated = tags if tags is not None else market_dated_tags(market)
    single = snapshot_dates is None
    dates = pd.DatetimeIndex([market.end] if single else snapshot_dates)
    mask = np.zeros((len(dates), len(market.asset_ids)), dtype=bool)
    known = KNOWN_TAGS | set(dated["tag"])
    for rule in exclude:
        rule = rule if isinstance(rule, Exclusion) else Exclusion(rule)
        applies = np.ones(len(dates), dtype=bool)
        if rule.start is not None and not single:
            applies = np.asarray(dates >= rule.start)
        if rule.name in known and rule.name not in market.asset_ids:
            panel = tag_panel(dated, rule.name, dates, market.asset_ids).to_numpy()
            if single:
                panel = np.asarray(
                    market.asset_ids.isin(dated.loc[dated["tag"] == rule.name, "asset"])
                )[None, :]
            mask |= panel & applies[:, None]
            continue
        try:
            asset = market.resolve_asset(rule.name, field_name=field_name)
        except SpecError as exc:
            raise SpecError(
                f"{exc} (an exclusion is a tag: {', '.join(sorted(known))}; "
                "or an asset id or symbol)"
            ) from None
        mask[:, market.asset_ids.get_loc(asset)] |= applies
    return mask[0] if single else mask


def eligibility(
    close_snapshot: np.ndarray, market_cap_snapshot: np.ndarray, excluded: np.ndarray
) -> np.ndarray:
    """Candidates: a valid close and a valid market cap on the snapshot day, not excluded.

    Inputs are (review date x asset) arrays of snapshot values, ``NaN`` where invalid,
    and a boolean exclusion array over assets or of the same shape.
    """
    valid = np.isfinite(close_snapshot) & (close_snapshot > 0)
    valid &= np.isfinite(market_cap_snapshot) & (market_cap_snapshot > 0)
    return valid & ~excluded


def top_k_mask(measure: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` largest candidates by ``measure`` (ties by column order)."""
    keyed = np.where(candidates, measure, -np.inf)
    order = np.argsort(-keyed, axis=1, kind="stable")
    ranks = np.empty_like(order)
    ranks[np.arange(order.shape[0])[:, None], order] = np.arange(order.shape[1])[None, :]
    return candidates & (ranks < k)


def select_top_n(ranking_measure: np.ndarray, eligible: np.ndarray, top_n: int) -> np.ndarray:
    """The ``top_n`` eligible assets per row by ``ranking_measure``, descending.

    Ties are broken by column order, which is the asset id order of a Market.
    Rows with fewer eligible assets than ``top_n`` keep all of them.
    """
    return top_k_mask(ranking_measure, eligible, top_n)


def _window_median(values: np.ndarray, snapshot: np.ndarray, window: int) -> np.ndarray:
    """Median of each column over the ``window`` rows ending at each snapshot row
    (valid values only; ``NaN`` without any)."""
    out = np.full((len(snapshot), values.shape[1]), np.nan)
    offsets = np.arange(-window + 1, 1)
    for start in range(0, len(snapshot), _CHUNK):
        rows = snapshot[start : start + _CHUNK, None] + offsets[None, :]
        block = np.where(rows[..., None] >= 0, values[np.maximum(rows, 0)], np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: no volume, NaN
            out[start : start + _CHUNK] = np.nanmedian(block, axis=1)
    return out


def volume_screen(
    market: Market,
    snapshot: np.ndarray,
    *,
    min_volume: float,
    min_ratio: float,
    window_days: int,
) -> np.ndarray:
    """Median daily volume over ``window_days`` up to each snapshot at least
    ``min_volume`` (USD) and, relative to market cap, at least ``min_ratio``."""
    if market.volume is None:
        raise DataError(
            f"{market.source}: universe.min_volume needs volumes; the data have no 'volume' column"
        )
    passed = np.ones((len(snapshot), len(market.asset_ids)), dtype=bool)
    volume = market.volume.to_numpy(dtype=np.float64)
    if min_volume > 0:
        passed &= _window_median(volume, snapshot, window_days) >= min_volume
    if min_ratio > 0:
        with np.errstate(all="ignore"):
            turnover = volume / market.market_cap_values
        passed &= _window_median(turnover, snapshot, window_days) >= min_ratio
    return passed


def age_screen(market: Market, snapshot: np.ndarray, min_age_days: int) -> np.ndarray:
    """Listed (first valid close) at least ``min_age_days`` before each snapshot."""
    first = market.first_valid_positions()
    return (first[None, :] >= 0) & (snapshot[:, None] - first[None, :] >= min_age_days)


@dataclass(frozen=True, eq=False)
class Screens:
    """The eligibility step's output, per review snapshot (reviews x assets): who
    passed the screens that do not depend on the index's own history, and the market
    caps (for the thresholds) and ranking measure the selection reads."""

    eligible: np.ndarray
    market_cap: np.ndarray
    measure: np.ndarray


def _excluded(strategy: Strategy, market: Market, snapshot: np.ndarray) -> np.ndarray:
    rule = strategy.universe
    if not rule.exclusions:
        return np.zeros((len(snapshot), len(market.asset_ids)), dtype=bool)
    extra = dated_tags(strategy.resolve_path(rule.tags_file)) if rule.tags_file else None
    tags = market_dated_tags(market, extra)
    return exclusion_mask(market, rule.exclusions, market.dates[snapshot], tags=tags)


def screen(strategy: Strategy, market: Market, snapshot: np.ndarray) -> Screens:
    """The eligibility step. Needs the strategy's universe and ranking rules and the
    review snapshot rows (data up to each, never later); gives the Screens: a valid
    close, market cap and ranking measure on the snapshot day (or on the latest day
    within ``universe.max_staleness_days`` before it that has them), not excluded, within the
    pre-universe top K, and through the volume and age screens."""
    rule = strategy.universe
    rows = None  # the snapshot day itself, or the latest within the staleness limit:
    if rule.max_staleness_days > 0:
        rows = observation_rows(market, snapshot, rule.max_staleness_days)
    close = observed(market.close_values, snapshot, rows=rows)
    caps = observed(market.market_cap_values, snapshot, rows=rows)
    measure = observed(measure_values(market, strategy.ranking), snapshot, rows=rows)
    base = eligibility(close, caps, _excluded(strategy, market, snapshot)) & np.isfinite(measure)
    if rule.pre_top_k is not None:
        base &= top_k_mask(measure, base, rule.pre_top_k)
    if rule.min_volume > 0 or rule.min_volume_ratio > 0:
        base &= volume_screen(
            market,
            snapshot,
            min_volume=rule.min_volume,
            min_ratio=rule.min_volume_ratio,
            window_days=rule.volume_window_days,
        )
    if rule.min_age_days > 0:
        base &= age_screen(market, snapshot, rule.min_age_days)
    return Screens(base, caps, measure)
