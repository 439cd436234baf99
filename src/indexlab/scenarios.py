"""Scenario prices at total-market tiers: market-share arithmetic, made explicit.

"TRX at a 23T total crypto market cap" means: if TRX keeps a share ``s`` of the
total crypto market cap ``T`` and ``S`` coins circulate, its price is

    P = s * T / S

and, the other way round, the asset reaches a target price ``P*`` when the total is

    T* = P* * S / s.

Nothing here forecasts: ``s`` and ``S`` are assumptions, and every output says which.

* **Tiers** (:func:`parse_tiers`): total market caps in USD, written ``8T``, ``500B``,
  ``1.5T``, ``750M``, ``2e12`` or ``8000000000000`` (suffixes K, M, B, T, case-insensitive,
  an optional leading ``$``). A bare number is USD; one below $1M is refused as a likely
  missing suffix.
* **Share cases** (:func:`parse_shares`): ``name=how`` pairs, default
  ``bear=p25,base=p50,moon=p90``. ``pQ`` is the Q-th percentile of the asset's daily
  share ``market cap / total market cap`` over the lookback (the ``round(365.25 *
  lookback_years)`` days ending on the as-of date, days without a share skipped; linear
  interpolation, as ``pandas.Series.quantile``); ``as-of`` is the share on the as-of
  date; a number is a share given by the user, as a fraction (``0.005``) or a percentage
  (``0.5%``).
* **Supply**: the circulating supply implied on the as-of date, ``S0 = market cap /
  price``, optionally grown at an annual rate ``g`` to a horizon ``h`` days later:
  ``S = S0 * (1 + g) ** (h / 365)``.
* **Total market cap**: the series beside the Market
  (:meth:`~indexlab.market.Market.with_total_market_cap`). The demo market has none;
  :func:`total_from_assets` sums its assets' market caps instead, and says so.

:func:`scenario` returns a :class:`Scenario`: the tidy table (one row per tier x case),
the inverse table (one row per target x case) and the assumptions. The kernels
(:func:`prices_at_tiers`, :func:`tiers_for_prices`, :func:`grown_supply`) work on arrays.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from indexlab.errors import DataError, SpecError
from indexlab.market import Market
from indexlab.result import DEMO_LABEL

DEFAULT_SHARES = "bear=p25,base=p50,moon=p90"
DEFAULT_LOOKBACK_YEARS = 4.0
DAYS_PER_YEAR = 365  # supply growth compounds over calendar days / 365, as CAGR does
SUFFIXES = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
SMALLEST_BARE_TIER = 1e6
AS_OF = "as-of"

_TIER = re.compile(r"^\$?(?P<number>[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)(?P<suffix>[KMBT]?)$", re.I)
_CASE_NAME = re.compile(r"^[A-Za-z][\w-]*$")
_PERCENTILE = re.compile(r"^p(?P<q>\d+(\.\d+)?)$", re.I)


# ------------------------------------------------------------------ kernels
def prices_at_tiers(tiers_usd: np.ndarray, shares: np.ndarray, supply: float) -> np.ndarray:
    """Price of each (tier, case): ``P[i, j] = shares[j] * tiers_usd[i] / supply``."""
    return np.multiply.outer(np.asarray(tiers_usd, float), np.asarray(shares, float)) / supply


def tiers_for_prices(target_prices: np.ndarray, shares: np.ndarray, supply: float) -> np.ndarray:
    """Total market cap at which each (target, case) is reached:
    ``T[k, j] = target_prices[k] * supply / shares[j]``."""
    return np.divide.outer(np.asarray(target_prices, float) * supply, np.asarray(shares, float))


def grown_supply(supply: float, annual_rate: float, days: float) -> float:
    """Supply after ``days`` at ``annual_rate``: ``S0 * (1 + g) ** (days / 365)``."""
    return supply * (1.0 + annual_rate) ** (days / DAYS_PER_YEAR)


# ------------------------------------------------------------------ parsing
def parse_tiers(tiers: str | Iterable[str | float], *, field_name: str = "tiers") -> np.ndarray:
    """Total market caps in USD, ascending, from ``"8T,16T"`` or ``["8T", 1.6e13]``."""
    items = tiers.split(",") if isinstance(tiers, str) else list(tiers)
    if not items:
        raise SpecError(f"{field_name}: no tier given; write e.g. 8T,16T,23T,31T")
    values = [_parse_tier(item, position, field_name) for position, item in enumerate(items, 1)]
    seen: dict[float, str] = {}
    for item, value in zip(items, values, strict=True):
        if value in seen:
            raise SpecError(f"{field_name}: {item!r} is the same tier as {seen[value]!r}")
        seen[value] = str(item).strip()
    return np.sort(np.array(values, dtype=np.float64))


def _parse_tier(item: str | float, position: int, field_name: str) -> float:
    text = str(item).strip()
    usage = "write a number with an optional suffix K, M, B or T: 8T, 500B, 1.5T, 2e12"
    if isinstance(item, int | float) and not isinstance(item, bool):
        value, suffix = float(item), ""
    elif not text:
        raise SpecError(f"{field_name}: item {position} is empty; {usage}")
    elif (match := _TIER.match(text)) is None:
        raise SpecError(f"{field_name}: {text!r} is not a total market cap; {usage}")
    else:
        suffix = match["suffix"].upper()
        value = float(match["number"]) * SUFFIXES.get(suffix, 1.0)
    if not math.isfinite(value):
        raise SpecError(f"{field_name}: {text!r} is not a finite number; {usage}")
    if value <= 0:
        kind = "zero" if value == 0 else "negative"
        raise SpecError(f"{field_name}: {text!r} is {kind}; a total market cap must be > 0")
    if not suffix and value < SMALLEST_BARE_TIER:
        raise SpecError(
            f"{field_name}: {text!r} would be ${value:g} in all, probably a missing suffix; "
            f"write e.g. {text}T or {text}B"
        )
    return value


def parse_rate(text: str, *, field_name: str = "supply_growth") -> float:
    """An annual rate from ``"2%"``, ``"-0.5%"`` or ``"0.02"`` (a fraction; one of 1 or more
    is refused as a likely percentage without its ``%``)."""
    stripped = text.strip()
    percent = stripped.endswith("%")
    try:
        value = float(stripped.removesuffix("%"))
    except ValueError:
        raise SpecError(f"{field_name}: {text!r} is not a rate; write 2%, -0.5% or 0.02") from None
    if not percent and abs(value) >= 1:
        raise SpecError(
            f"{field_name}: {text!r} would be {value:+.0%} a year; write {text}% for a "
            "percentage, or a fraction below 1"
        )
    value = value / 100 if percent else value
    if not (math.isfinite(value) and value > -1):
        raise SpecError(f"{field_name}: {text!r} must be an annual rate > -100%")
    return value


@dataclass(frozen=True)
class ShareCase:
    """One share assumption: ``how`` is ``"as-of"``, a percentile ``0..100`` of the lookback
    (``percentile``) or a share given as a fraction (``given``)."""

    name: str
    how: str  # "as-of", "percentile" or "given"
    percentile: float | None = None
    given: float | None = None


def parse_shares(
    shares: str | Mapping[str, str | float] | Iterable[ShareCase], *, field_name: str = "shares"
) -> tuple[ShareCase, ...]:
    """Share cases from ``"bear=p25,base=as-of,moon=1%"`` or ``{"bear": "p25", ...}``."""
    if not isinstance(shares, str | Mapping):
        cases = tuple(shares)
        if cases and all(isinstance(case, ShareCase) for case in cases):
            return cases
        raise SpecError(f"{field_name}: expected NAME=HOW pairs, e.g. {DEFAULT_SHARES}")
    if isinstance(shares, str):
        pairs = []
        for position, item in enumerate(shares.split(","), 1):
            name, sep, how = item.partition("=")
            if not sep:
                raise SpecError(
                    f"{field_name}: item {position} {item.strip()!r} is not NAME=HOW; "
                    f"write e.g. {DEFAULT_SHARES}"
                )
            pairs.append((name.strip(), how.strip()))
    else:
        pairs = [(str(name), how) for name, how in shares.items()]
    if not pairs:
        raise SpecError(f"{field_name}: no case given; write e.g. {DEFAULT_SHARES}")
    cases = []
    for name, how in pairs:
        if not _CASE_NAME.match(name):
            raise SpecError(
                f"{field_name}: case name {name!r} must start with a letter and hold only "
                "letters, digits, '_' and '-'"
            )
        if any(case.name == name for case in cases):
            raise SpecError(f"{field_name}: case {name!r} is given twice")
        cases.append(_parse_share(name, how, field_name))
    return tuple(cases)


def _parse_share(name: str, how: str | float, field_name: str) -> ShareCase:
    where = f"{field_name}: {name}={how}"
    usage = "write pQ (a percentile of the lookback, 0..100), as-of, a fraction or a percentage"
    if isinstance(how, str):
        text = how.strip()
        if text.lower() == AS_OF:
            return ShareCase(name, AS_OF)
        percentile = _PERCENTILE.match(text)
        if percentile is not None:
            q = float(percentile["q"])
            if q > 100:
                raise SpecError(f"{where}: a percentile must be between 0 and 100")
            return ShareCase(name, "percentile", percentile=q)
        percent = text.endswith("%")
        try:
            value = float(text.removesuffix("%"))
        except ValueError:
            raise SpecError(f"{where}: not a share; {usage}") from None
        value = value / 100 if percent else value
    elif isinstance(how, int | float) and not isinstance(how, bool):
        value, percent = float(how), False
    else:
        raise SpecError(f"{where}: not a share; {usage}")
    if not (math.isfinite(value) and 0 < value <= 1):
        hint = f" (for a percentage write {how}%)" if value > 1 and not percent else ""
        raise SpecError(f"{where}: a share must be > 0 and at most 100%{hint}")
    return ShareCase(name, "given", given=value)


# ------------------------------------------------------------------ the total
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


# ------------------------------------------------------------------ the API
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
                "tier": np.repeat([f"${format_amount(t, 6)}" for t in self.tiers], n_cases),
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
        name = "median" if case.percentile == 50 else f"{_ordinal(case.percentile)} percentile"
        return f"{name} of the last {self.lookback_years:g} years"

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
    lookback_days = round(365.25 * lookback_years) if math.isfinite(lookback_years) else 0
    if lookback_days < 1:
        raise SpecError(
            f"lookback_years: {lookback_years} must be a number of years, a day or more"
        )
    need_total = any(case.how != "given" for case in cases)
    total = market.total_market_cap
    if need_total and total is None:
        raise DataError(
            f"{market.source}: share cases {', '.join(c.name for c in cases if c.how != 'given')} "
            "need the total crypto market cap; give it with --total-market FILE "
            "(Market.with_total_market_cap in Python), or give every share as a number"
        )
    close = market.close[asset_id]
    cap = market.market_cap[asset_id]
    share_history = cap / total if total is not None else pd.Series(np.nan, market.dates)
    day = _as_of(market, asset_id, as_of, close, cap, share_history if need_total else None)
    price_as_of, cap_as_of = float(close.at[day]), float(cap.at[day])
    supply_as_of = cap_as_of / price_as_of
    supply, horizon_ts = _supply(supply_as_of, supply_growth, horizon, day)
    total_as_of = float(total.at[day]) if total is not None else math.nan
    share_as_of = float(share_history.at[day])

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
    share_values = np.array(shares_out)

    data_source = market.source
    if market.synthetic and DEMO_LABEL not in data_source.lower():
        data_source = f"{data_source} ({DEMO_LABEL})"
    total_source = "not given" if total is None else str(total.attrs.get("source") or "given")
    return Scenario(
        asset=asset_id,
        symbol=symbol,
        as_of=day,
        price_as_of=price_as_of,
        market_cap_as_of=cap_as_of,
        total_as_of=total_as_of,
        share_as_of=share_as_of,
        supply_as_of=supply_as_of,
        supply=supply,
        supply_growth=float(supply_growth),
        horizon=horizon_ts,
        cases=cases,
        shares=share_values,
        share_sources=tuple(sources),
        lookback_years=float(lookback_years),
        lookback_text=window_text if any(c.how == "percentile" for c in cases) else None,
        data_source=data_source,
        data_path=market.source_path,
        data_sha256=market.source_sha256,
        total_source=total_source,
        synthetic=market.synthetic,
        tiers=tier_values,
        targets=target_values,
        notes=market.notes,
    )


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
    name = "median" if q == 50 else f"{_ordinal(q)} percentile"
    return value, f"{name} of the {window_text}"


# ------------------------------------------------------------------ formatting
def _ordinal(q: float) -> str:
    number = f"{q:g}"
    if not number.isdigit():
        return f"{number}th"
    tail = int(number) % 100
    suffix = "th" if 11 <= tail <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(tail % 10, "th")
    return number + suffix


def format_amount(value: float, digits: int = 3) -> str:
    """``3.43T``, ``26.5B``, ``950M``: a large amount in few characters."""
    for suffix, unit in reversed(SUFFIXES.items()):
        if abs(value) >= unit:
            return f"{value / unit:.{digits}g}{suffix}"
    return f"{value:.{digits}g}"


def format_price(value: float) -> str:
    """``$1,234``, ``$1.31``, ``$0.339``, ``$0.0000123``: three significant digits below $1."""
    if not math.isfinite(value):
        return "–"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.{2 - math.floor(math.log10(value))}f}"
