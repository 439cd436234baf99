"""Strategy specs as typed, validated dataclasses.

Each section of a strategy file is one dataclass here; the field names are the keys of
the file (see :mod:`indexlab.spec.reader`). Validation errors name the key as
``section.key`` and say what would be valid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from indexlab.spec import defaults
from indexlab.spec.checks import (
    choice,
    fail,
    finite_fields,
    fraction,
    is_int,
    non_negative,
    positive_int,
    positive_number,
)

# What ranks or weights the members, with its name in words (for descriptions); the
# arithmetic of each is in indexlab.rules.measures.
MEASURE_NAMES = {
    "market_cap": "market cap",
    "market_cap_sma": "average market cap",
    "market_cap_ema": "smoothed market cap",
    "inverse_volatility": "inverse volatility of daily returns",
    "volume": "average daily volume",
}
MEASURES = tuple(MEASURE_NAMES)
# Schemes that weight by a measure of their own (w ~ that measure), and by which.
SCHEME_MEASURES = {"inverse_volatility": "inverse_volatility", "liquidity": "volume"}
WEIGHTING_SCHEMES = ("market_cap", "sqrt_market_cap", "power", "equal", "file", *SCHEME_MEASURES)
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "dates", "none")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ANCHORS = ("first", "last", "day")
DRIFT_MODES = ("absolute", "relative")
DEFAULT_TOP_N = defaults.TOP_N


@dataclass(frozen=True)
class Exclusion:
    """One exclusion rule: a tag (``stablecoin``) or an asset id or symbol, optionally
    only from a date on (``{ tag = "stablecoin", from = 2023-05-01 }`` in a file)."""

    name: str
    start: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise fail("universe.exclude", f"entries must be non-empty strings, got {self.name!r}")
        if self.start is not None:
            object.__setattr__(self, "start", pd.Timestamp(self.start))

    def to_plain(self) -> str | dict[str, str]:
        if self.start is None:
            return self.name
        return {"name": self.name, "from": str(self.start.date())}


@dataclass(frozen=True)
class Measure:
    """A per-asset number used to rank or to weight: the market cap on the snapshot
    day, or its simple moving average over ``window_days``, or its exponential moving
    average with span ``window_days`` (alpha = 2 / (span + 1)) or half-life
    ``halflife_days`` (alpha = 1 - 0.5 ** (1 / halflife)), as pandas ``ewm(...,
    adjust=False)`` computes them. Give a half-life or a window other than the
    default, not both."""

    kind: str = "market_cap"
    window_days: int = defaults.WINDOW_DAYS
    halflife_days: float | None = None

    def check(self, section: str) -> None:
        finite_fields(section, self)
        choice(f"{section}.measure", self.kind, MEASURES)
        positive_int(f"{section}.window_days", self.window_days)
        if self.halflife_days is None:
            return
        positive_number(f"{section}.halflife_days", self.halflife_days)
        if self.kind != "market_cap_ema":
            raise fail(
                f"{section}.halflife_days", f"goes with measure 'market_cap_ema', not {self.kind!r}"
            )
        if self.window_days != defaults.WINDOW_DAYS:
            raise fail(
                f"{section}.halflife_days",
                f"give window_days (a span) or halflife_days, not both "
                f"(window_days = {self.window_days})",
            )

    @property
    def smoothed(self) -> bool:
        return self.kind != "market_cap"


@dataclass(frozen=True)
class Universe:
    """Which assets may be held, reviewed on the reconstitution schedule.

    Count rule (one of): ``top_n`` (fixed N; the default, 100), ``rank_band``
    (ranks a..b), ``max_n`` (up to N), or ``coverage`` (the fewest coins covering a
    share of the eligible market cap, at most ``max_n`` and at least ``min_n``).
    Buffers (with ``top_n`` only): ``entry_rank``/``exit_rank`` and
    ``replacement_ratio``. ``max_staleness_days``: an asset without a valid close and
    market cap on the snapshot day is ranked on its latest ones at most that many days
    older (0, the default: the snapshot day's only). ``exclude`` defaults to
    stablecoins, wrapped and staked tokens (:data:`indexlab.spec.defaults.EXCLUDE`);
    ``exclude=()`` keeps every asset.
    """

    top_n: int | None = None
    exclude: tuple[str | Exclusion, ...] = defaults.EXCLUDE
    rank_band: tuple[int, int] | None = None
    max_n: int | None = None
    coverage: float | None = None
    min_n: int | None = None
    tags_file: str | None = None
    pre_top_k: int | None = None
    min_market_cap: float = 0.0
    min_market_cap_members: float | None = None
    min_volume: float = 0.0
    min_volume_ratio: float = 0.0
    volume_window_days: int = defaults.WINDOW_DAYS
    min_age_days: int = 0
    seasoning_reviews: int = 1
    entry_rank: int | None = None
    exit_rank: int | None = None
    replacement_ratio: float = 0.0
    max_staleness_days: int = 0

    def __post_init__(self) -> None:
        if self.rank_band is not None:
            object.__setattr__(self, "rank_band", tuple(self.rank_band))
        exclude = self.exclude
        # One tag or asset as a string is one entry, not a list of letters.
        exclude = (exclude,) if isinstance(exclude, str | Exclusion) else tuple(exclude)
        object.__setattr__(self, "exclude", exclude)
        if self.top_n is None and self.rank_band is None and self.coverage is None:
            if self.max_n is None:
                object.__setattr__(self, "top_n", DEFAULT_TOP_N)
        self.check()

    @property
    def exclusions(self) -> tuple[Exclusion, ...]:
        return tuple(e if isinstance(e, Exclusion) else Exclusion(e) for e in self.exclude)

    @property
    def count_rule(self) -> str:
        if self.rank_band is not None:
            return "rank_band"
        if self.coverage is not None:
            return "coverage"
        if self.top_n is not None:
            return "top_n"
        return "max_n"

    @property
    def has_buffer(self) -> bool:
        return (
            self.entry_rank is not None or self.exit_rank is not None or self.replacement_ratio > 0
        )

    def check(self) -> None:
        p = "universe"
        finite_fields(p, self)
        rules = [k for k in ("top_n", "rank_band", "coverage") if getattr(self, k) is not None]
        if len(rules) > 1:
            raise fail(p, f"give one count rule, not {' and '.join(rules)}")
        positive_int(f"{p}.top_n", self.top_n)
        positive_int(f"{p}.max_n", self.max_n)
        positive_int(f"{p}.min_n", self.min_n)
        if self.top_n is not None and self.max_n is not None:
            raise fail(p, "top_n is a fixed count; max_n goes with coverage or alone")
        if self.rank_band is not None:
            band = self.rank_band
            if len(band) != 2 or not all(is_int(b) for b in band) or not 1 <= band[0] <= band[1]:
                raise fail(
                    f"{p}.rank_band",
                    f"must be [first, last] ranks, 1 <= first <= last, got {list(band)!r}",
                )
        fraction(f"{p}.coverage", self.coverage)
        if self.min_n is not None and self.coverage is None:
            raise fail(f"{p}.min_n", "goes with coverage")
        if self.min_n is not None and self.max_n is not None and self.min_n > self.max_n:
            raise fail(f"{p}.min_n", f"{self.min_n} is above max_n {self.max_n}")
        positive_int(f"{p}.pre_top_k", self.pre_top_k)
        for key in ("min_market_cap", "min_market_cap_members", "min_volume", "min_volume_ratio"):
            non_negative(f"{p}.{key}", getattr(self, key))
        positive_int(f"{p}.volume_window_days", self.volume_window_days)
        positive_int(f"{p}.min_age_days", self.min_age_days, minimum=0)
        positive_int(f"{p}.max_staleness_days", self.max_staleness_days, minimum=0)
        positive_int(f"{p}.seasoning_reviews", self.seasoning_reviews)
        positive_int(f"{p}.entry_rank", self.entry_rank)
        positive_int(f"{p}.exit_rank", self.exit_rank)
        non_negative(f"{p}.replacement_ratio", self.replacement_ratio)
        if self.has_buffer and self.count_rule != "top_n":
            raise fail(p, "buffers (entry_rank, exit_rank, replacement_ratio) need top_n")
        if self.has_buffer and self.top_n is not None:
            entry = self.entry_rank if self.entry_rank is not None else self.top_n
            exit_ = self.exit_rank if self.exit_rank is not None else self.top_n
            if entry > self.top_n:
                raise fail(f"{p}.entry_rank", f"{entry} must be <= top_n {self.top_n}")
            if exit_ < self.top_n:
                raise fail(f"{p}.exit_rank", f"{exit_} must be >= top_n {self.top_n}")
        for entry in self.exclusions:
            del entry  # each Exclusion validated itself


@dataclass(frozen=True)
class Weighting:
    """How the members are weighted.

    ``scheme``: ``market_cap`` (w ~ m), ``sqrt_market_cap`` (w ~ m^0.5), ``power``
    (w ~ m^power), ``equal``, or ``file`` (weights read from ``weights_file``). ``m`` is
    ``measure`` (the market cap, or its moving average over ``window_days`` or with
    half-life ``halflife_days``, as in :class:`Measure`). ``inverse_volatility`` (w ~ 1
    / the standard deviation of daily returns over ``window_days``) and ``liquidity``
    (w ~ the mean daily volume over ``window_days``) weight by a measure of their own.
    Bounds: ``cap`` on every member, ``cap_largest`` on the largest (two-tier caps),
    ``floor`` under every member; excess and shortfall are redistributed pro rata.
    ``fixed``: named assets at fixed weights, the rest weighted by the scheme.
    """

    scheme: str = "market_cap"
    cap: float | None = None
    power: float | None = None
    measure: str = "market_cap"
    window_days: int = defaults.WINDOW_DAYS
    halflife_days: float | None = None
    cap_largest: float | None = None
    floor: float | None = None
    fixed: Mapping[str, float] = field(default_factory=dict)
    weights_file: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixed", dict(self.fixed))
        self.check()

    @property
    def exponent(self) -> float:
        """The power of the measure that weights are proportional to (0 = equal)."""
        return {"market_cap": 1.0, "sqrt_market_cap": 0.5, "equal": 0.0}.get(
            self.scheme, self.power if self.power is not None else 1.0
        )

    @property
    def measure_spec(self) -> Measure:
        kind = SCHEME_MEASURES.get(self.scheme, self.measure)
        return Measure(kind, self.window_days, self.halflife_days)

    def check(self) -> None:
        p = "weighting"
        finite_fields(p, self)
        choice(f"{p}.scheme", self.scheme, WEIGHTING_SCHEMES)
        if self.scheme == "power":
            if self.power is None or isinstance(self.power, bool) or not self.power > 0:
                raise fail(f"{p}.power", f"scheme 'power' needs power > 0, got {self.power!r}")
        elif self.power is not None:
            raise fail(f"{p}.power", f"goes with scheme 'power', not {self.scheme!r}")
        if self.scheme in SCHEME_MEASURES and self.measure != "market_cap":
            raise fail(
                f"{p}.measure",
                f"scheme {self.scheme!r} weights by its own measure; measure goes with "
                "market_cap, sqrt_market_cap, power or equal",
            )
        self.measure_spec.check(p)
        fraction(f"{p}.cap", self.cap)
        fraction(f"{p}.cap_largest", self.cap_largest)
        fraction(f"{p}.floor", self.floor, low_open=False)
        for key in ("cap", "cap_largest"):
            bound = getattr(self, key)
            if self.floor is not None and bound is not None and self.floor > bound:
                raise fail(f"{p}.floor", f"{self.floor} is above {key} {bound}")
        if self.scheme == "file" and not self.weights_file:
            raise fail(f"{p}.weights_file", "scheme 'file' needs a weights_file")
        if self.weights_file and self.scheme != "file":
            raise fail(f"{p}.weights_file", f"goes with scheme 'file', not {self.scheme!r}")
        total = 0.0
        for asset, weight in self.fixed.items():
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not 0 < weight < 1
            ):
                raise fail(f"{p}.fixed.{asset}", f"must be a weight in (0, 1), got {weight!r}")
            total += weight
        if total >= 1:
            raise fail(f"{p}.fixed", f"the fixed weights add up to {total:g}; they must leave room")
        if self.fixed and self.scheme == "file":
            raise fail(f"{p}.fixed", "does not go with scheme 'file'")


@dataclass(frozen=True)
class Schedule:
    """Dates on a calendar: the first date of the run, then one per period.

    ``frequency``: ``daily``, ``weekly`` (on ``weekday``, default Monday), ``monthly``
    or ``quarterly`` (on the period's ``first`` or ``last`` day, or on ``day`` of the
    month — of the quarter's first month — when ``anchor = "day"``), ``dates`` (the
    listed dates), or ``none`` (the first date only).
    """

    frequency: str = "monthly"
    weekday: str | None = None
    anchor: str = "first"
    day: int | None = None
    dates: tuple[pd.Timestamp, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "dates", tuple(pd.Timestamp(d) for d in self.dates))
        self.check(self.section)

    section = "rebalance"

    def check(self, p: str) -> None:
        finite_fields(p, self)
        choice(f"{p}.frequency", self.frequency, FREQUENCIES)
        if self.weekday is not None:
            if self.frequency != "weekly":
                raise fail(f"{p}.weekday", f"goes with frequency 'weekly', not {self.frequency!r}")
            choice(f"{p}.weekday", self.weekday, WEEKDAYS)
        choice(f"{p}.anchor", self.anchor, ANCHORS)
        if self.anchor != "first" and self.frequency not in ("monthly", "quarterly"):
            raise fail(f"{p}.anchor", f"goes with monthly or quarterly, not {self.frequency!r}")
        if self.anchor == "day":
            if not is_int(self.day) or not 1 <= self.day <= 31:
                raise fail(f"{p}.day", f"anchor 'day' needs a day of month 1..31, got {self.day!r}")
        elif self.day is not None:
            raise fail(f"{p}.day", "goes with anchor = 'day'")
        if self.frequency == "dates" and not self.dates:
            raise fail(f"{p}.dates", "frequency 'dates' needs a list of dates")
        if self.dates and self.frequency != "dates":
            raise fail(f"{p}.dates", f"go with frequency 'dates', not {self.frequency!r}")


@dataclass(frozen=True)
class Reconstitution(Schedule):
    """When membership is reviewed, if not on every rebalance date (CCi30: quarterly
    membership, monthly weights). A review date is also a rebalance date."""

    section = "reconstitution"


@dataclass(frozen=True)
class Rebalance(Schedule):
    """When the index trades back to its target weights: a calendar, and/or whenever
    a weight drifts more than ``drift_threshold`` from its target (``absolute``:
    |w - target| > threshold; ``relative``: |w / target - 1| > threshold), checked at
    every close."""

    drift_threshold: float | None = None
    drift_mode: str = "absolute"

    def check(self, p: str) -> None:
        super().check(p)
        fraction(f"{p}.drift_threshold", self.drift_threshold, high=10.0)
        choice(f"{p}.drift_mode", self.drift_mode, DRIFT_MODES)


@dataclass(frozen=True)
class RiskOff:
    """Move the whole index to cash while a market signal is bearish, back on the next
    bullish reading. ``signal_file``: a ``date,asset,signal`` table (the rows of
    ``asset``); or ``rule`` (``sma-cross:50,200``, ...) on ``asset``'s price, or on the
    total market cap when ``asset = "total-market"``."""

    asset: str = "bitcoin"
    signal_file: str | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        if (self.signal_file is None) == (self.rule is None):
            raise fail("risk_off", "give either signal_file or rule")


DELISTINGS = ("last_close", "zero")


@dataclass(frozen=True)
class Costs:
    """Proportional costs on traded notional, in basis points (by default 10 + 5, as
    every shipped strategy file states), and what a delisting returns.

    ``delisting``: what a position is worth when its asset's data stop (the first day
    after its last valid close in the whole data): ``"last_close"`` (the default: cash
    at that close, fee-free; optimistic), ``"zero"`` (written off: worth nothing from
    that day on; pessimistic), or a haircut h in [0, 1] (cash of (1 - h) times the
    value at the last close). docs/index-rules.md, ``[costs]``, has a worked example.
    """

    fee_bps: float = defaults.FEE_BPS
    slippage_bps: float = defaults.SLIPPAGE_BPS
    delisting: str | float = defaults.DELISTING

    def __post_init__(self) -> None:
        finite_fields("costs", self)
        value = self.delisting
        if isinstance(value, str):
            valid = value in DELISTINGS
        else:
            valid = isinstance(value, int | float) and not isinstance(value, bool)
            valid = valid and 0 <= value <= 1
        if not valid:
            raise fail(
                "costs.delisting",
                f"must be 'last_close', 'zero' or a haircut fraction in [0, 1], got {value!r}",
            )
        for key in ("fee_bps", "slippage_bps"):
            value = getattr(self, key)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < 5000
            ):
                raise fail(f"costs.{key}", f"must be in [0, 5000), got {value!r}")
        if self.rate >= 0.5:
            raise fail("costs", "fee_bps + slippage_bps must be below 5000")

    @property
    def rate(self) -> float:
        return (self.fee_bps + self.slippage_bps) / 1e4

    @property
    def delisting_keep(self) -> float:
        """The share of a position's value at its last close that a delisting returns:
        1 (``last_close``), 0 (``zero``), 1 - h (a haircut h)."""
        if isinstance(self.delisting, str):
            return 1.0 if self.delisting == "last_close" else 0.0
        return 1.0 - float(self.delisting)


def to_plain(value: Any) -> Any:
    """A spec value as plain data (TOML/JSON): dates as text, tuples as lists."""
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, Exclusion):
        return value.to_plain()
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    return value
