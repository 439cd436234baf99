"""Building a :class:`~indexlab.scenarios.model.Scenario` from a Market: the as-of day,
the supply, each case's share (see :mod:`indexlab.scenarios` for the definitions)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from indexlab.coverage import data_label
from indexlab.errors import DataError, SpecError
from indexlab.market import Market
from indexlab.scenario_defaults import DEFAULT_LOOKBACK_YEARS
from indexlab.scenarios.arithmetic import grown_supply, ordinal
from indexlab.scenarios.model import Scenario
from indexlab.scenarios.parsing import (
    AS_OF,
    DEFAULT_SHARES,
    ShareCase,
    parse_shares,
    parse_tiers,
)


def total_from_assets(market: Market) -> Market:
    """The market with its total market cap set to the sum of its assets' market caps.

    Meant for the synthetic demo market, which has no total series. On real data it
    counts only the coins in the file (a collection of today's survivors misses the dead
    and the small), so prefer CoinGecko's total there. The total's source says what it
    is, and every output repeats it.
    """
    caps = market.market_cap.to_numpy(dtype=np.float64)
    known = ~np.isnan(caps)
    total = pd.Series(np.where(known.any(axis=1), np.nansum(caps, axis=1), np.nan), market.dates)
    label = (
        f"sum of the market caps of all {len(market.asset_ids)} assets in the data "
        "(stablecoins and wrapped tokens included), not a total series"
    )
    return market.with_total_market_cap(total, source=label)


def scenario(
    market: Market,
    asset: str,
    tiers: str | Iterable[str | float],
    *,
    as_of: str | pd.Timestamp | None = None,
    shares: str | Mapping[str, str | float] | Iterable[ShareCase] = DEFAULT_SHARES,
    lookback_years: float = DEFAULT_LOOKBACK_YEARS,
    supply_growth: float = 0.0,
    horizon: str | pd.Timestamp | None = None,
    targets: float | Iterable[float] = (),
) -> Scenario:
    """Prices of ``asset`` at each total-market tier under each share case.

    Args:
        market: the data; its total market cap is needed unless every share is given.
        asset: an asset id or an unambiguous symbol.
        tiers: total market caps (see :func:`parse_tiers`).
        as_of: the date of the price, market cap, supply and share (default: the last
            day on which the asset has a price, a market cap and, if needed, a share).
        shares: the share cases (see :func:`parse_shares`).
        lookback_years: the window of the percentile cases, ending on ``as_of``.
        supply_growth: annual growth of the supply (``-0.02`` burns 2 % a year);
            needs ``horizon`` unless 0.
        horizon: the date the supply is grown to.
        targets: prices for the inverse table.
    """
    asset_id = market.resolve_asset(asset)
    symbol = market.assets.at[asset_id, "symbol"]
    symbol = str(symbol).upper() if symbol else asset_id
    tier_values = parse_tiers(tiers)
    cases = parse_shares(shares)
    target_values = _targets(targets)
    lookback_days = _lookback_days(lookback_years)
    need_total = any(case.how != "given" for case in cases)
    total = _total(market, cases) if need_total else market.total_market_cap
    close = market.close[asset_id]
    cap = market.market_cap[asset_id]
    share_history = cap / total if total is not None else pd.Series(np.nan, market.dates)
    day = _as_of(market, asset_id, as_of, close, cap, share_history if need_total else None)
    supply_as_of = float(cap.at[day]) / float(close.at[day])
    supply, horizon_ts = _supply(supply_as_of, supply_growth, horizon, day)
    share_as_of = float(share_history.at[day])
    share_values, sources, window_text = _shares(
        cases, share_history, share_as_of, day, lookback_days, asset_id, market
    )
    return Scenario(
        asset=asset_id,
        symbol=symbol,
        as_of=day,
        price_as_of=float(close.at[day]),
        market_cap_as_of=float(cap.at[day]),
        total_as_of=float(total.at[day]) if total is not None else math.nan,
        share_as_of=share_as_of,
        supply_as_of=supply_as_of,
        supply=supply,
        supply_growth=float(supply_growth),
        horizon=horizon_ts,
        cases=cases,
        shares=share_values,
        share_sources=sources,
        lookback_years=float(lookback_years),
        lookback_text=window_text if any(c.how == "percentile" for c in cases) else None,
        tiers=tier_values,
        targets=target_values,
        **_data_facts(market, total),
    )


def _lookback_days(lookback_years: float) -> int:
    lookback_days = round(365.25 * lookback_years) if math.isfinite(lookback_years) else 0
    if lookback_days < 1:
        raise SpecError(
            f"lookback_years: {lookback_years} must be a number of years, a day or more"
        )
    return lookback_days


def _total(market: Market, cases: tuple[ShareCase, ...]) -> pd.Series:
    """The total market cap, which the share cases that are not given need."""
    total = market.total_market_cap
    if total is None:
        raise DataError(
            f"{market.source}: share cases {', '.join(c.name for c in cases if c.how != 'given')} "
            "need the total crypto market cap; give it with --total-market FILE "
            "(Market.with_total_market_cap in Python), or give every share as a number"
        )
    return total


def _shares(
    cases: tuple[ShareCase, ...],
    share_history: pd.Series,
    share_as_of: float,
    day: pd.Timestamp,
    lookback_days: int,
    asset_id: str,
    market: Market,
) -> tuple[np.ndarray, tuple[str, ...], str]:
    """Each case's share and where it comes from, and the lookback window in words."""
    first = day - pd.Timedelta(days=lookback_days - 1)
    window = share_history.loc[first:day].dropna()
    window_text = (
        f"daily share (market cap / total market cap), {first.date()}..{day.date()} "
        f"({len(window):,} of {lookback_days:,} days have one)"
    )
    shares_out, sources = [], []
    for case in cases:
        share, source = _share(case, share_as_of, window, window_text, asset_id, day, market)
        shares_out.append(share)
        sources.append(source)
    return np.array(shares_out), tuple(sources), window_text


def _data_facts(market: Market, total: pd.Series | None) -> dict:
    """What a scenario states about its data: the source, the file, the total's source."""
    return {
        "data_source": data_label(market),
        "data_path": market.source_path,
        "data_sha256": market.source_sha256,
        "total_source": "not given" if total is None else str(total.attrs.get("source") or "given"),
        "synthetic": market.synthetic,
        "notes": market.notes,
    }


def _targets(targets: float | Iterable[float]) -> np.ndarray:
    values = np.atleast_1d(np.asarray(targets, dtype=np.float64))
    bad = values[~(np.isfinite(values) & (values > 0))]
    if bad.size:
        raise SpecError(f"targets: {bad[0]:g} is not a price; a target must be > 0")
    return values


def _as_of(
    market: Market,
    asset_id: str,
    as_of: str | pd.Timestamp | None,
    close: pd.Series,
    cap: pd.Series,
    share_history: pd.Series | None,
) -> pd.Timestamp:
    """The as-of day, checked: the asset has a price, a market cap (and a share) on it."""
    usable = close.notna() & cap.notna()
    if share_history is not None:
        usable &= share_history.notna()
    if as_of is None:
        if not usable.any():
            raise DataError(f"{market.source}: {asset_id} never has a price and a market cap")
        return usable[usable].index[-1]
    day = pd.Timestamp(as_of)
    if day != day.normalize():
        raise SpecError(f"as_of: {as_of} has a time of day; give a date YYYY-MM-DD")
    if not market.start <= day <= market.end:
        raise DataError(
            f"as_of {day.date()} is outside {market.source} "
            f"({market.start.date()} .. {market.end.date()})"
        )
    missing = [
        what for what, series in (("price", close), ("market cap", cap)) if pd.isna(series.at[day])
    ]
    if missing:
        earlier = usable.loc[:day]
        hint = (
            f"; the last day before with both is {earlier[earlier].index[-1].date()}"
            if earlier.any()
            else "; no day before has both"
        )
        raise DataError(
            f"{asset_id} has no {' and no '.join(missing)} on {day.date()} in {market.source}{hint}"
        )
    if share_history is not None and not share_history.notna().at[day]:
        raise DataError(
            f"the total market cap ({market.total_market_cap.attrs.get('source', 'given')}) "
            f"is unknown on {day.date()}: no share for {asset_id} that day; choose another "
            "--as-of, or give every share as a number"
        )
    return day


def _supply(
    supply_as_of: float, growth: float, horizon: str | pd.Timestamp | None, day: pd.Timestamp
) -> tuple[float, pd.Timestamp | None]:
    if not (math.isfinite(growth) and growth > -1):
        raise SpecError(f"supply_growth: {growth} must be an annual rate > -100%")
    if horizon is None:
        if growth != 0:
            raise SpecError(
                f"supply_growth {growth:+.2%} a year needs a horizon date to grow the supply to"
            )
        return supply_as_of, None
    horizon_ts = pd.Timestamp(horizon)
    if horizon_ts < day:
        raise SpecError(f"horizon {horizon_ts.date()} is before the as-of date {day.date()}")
    return grown_supply(supply_as_of, growth, (horizon_ts - day).days), horizon_ts


def _share(
    case: ShareCase,
    share_as_of: float,
    window: pd.Series,
    window_text: str,
    asset_id: str,
    day: pd.Timestamp,
    market: Market,
) -> tuple[float, str]:
    """A case's share and the words that say where it comes from."""
    if case.how == "given":
        return float(case.given), "given"
    if case.how == AS_OF:
        return share_as_of, f"share on {day.date()}"
    if window.empty:
        raise DataError(f"{market.source}: {asset_id} has no share in the lookback: {window_text}")
    q = float(case.percentile)
    value = float(np.quantile(window.to_numpy(), q / 100))
    name = "median" if q == 50 else f"{ordinal(q)} percentile"
    return value, f"{name} of the {window_text}"
