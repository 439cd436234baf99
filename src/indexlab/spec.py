"""Strategy specs: typed dataclasses, TOML loading and validation with precise errors.

A strategy file looks like this (every key but ``name`` and ``[universe] top_n`` has a
default)::

    name = "top100-mcap-monthly"
    description = "Top 100 by market cap, market-cap weighted, rebalanced monthly"
    start = "2018-01-01"          # optional; default: first date with a decision snapshot
    end = "2025-06-30"            # optional; default: last date of the data
    lag_days = 1                  # decisions use data up to the close of t - lag_days
    initial_capital = 10000.0
    benchmarks = ["BTC", "TRX"]   # asset ids or unambiguous symbols, held buy-and-hold

    [universe]
    top_n = 100
    exclude = ["stablecoin", "wrapped"]   # tags and/or asset ids or symbols

    [weighting]
    scheme = "market_cap"          # market_cap | sqrt_market_cap | equal
    cap = 0.25                     # optional single cap, iterative pro-rata redistribution

    [rebalance]
    frequency = "monthly"          # daily | weekly | monthly | quarterly

    [costs]
    fee_bps = 10.0
    slippage_bps = 5.0
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from indexlab.errors import SpecError

WEIGHTING_SCHEMES = ("market_cap", "sqrt_market_cap", "equal")
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly")


def _fail(origin: str, key: str, message: str) -> SpecError:
    where = f"{origin}: " if origin else ""
    return SpecError(f"{where}{key}: {message}")


@dataclass(frozen=True)
class Universe:
    """Which assets may be held: the ``top_n`` by market cap after exclusions."""

    top_n: int = 100
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Weighting:
    """How the selected assets are weighted, with an optional single cap."""

    scheme: str = "market_cap"
    cap: float | None = None


@dataclass(frozen=True)
class Rebalance:
    """When the index is rebalanced: the first date of the run, then each new period."""

    frequency: str = "monthly"


@dataclass(frozen=True)
class Costs:
    """Proportional costs on traded notional, in basis points."""

    fee_bps: float = 0.0
    slippage_bps: float = 0.0

    @property
    def rate(self) -> float:
        return (self.fee_bps + self.slippage_bps) / 1e4


@dataclass(frozen=True)
class Strategy:
    """A complete index strategy. Build it in code or with :meth:`from_toml`."""

    name: str = "strategy"
    description: str = ""
    universe: Universe = field(default_factory=Universe)
    weighting: Weighting = field(default_factory=Weighting)
    rebalance: Rebalance = field(default_factory=Rebalance)
    costs: Costs = field(default_factory=Costs)
    lag_days: int = 1
    initial_capital: float = 1.0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    benchmarks: tuple[str, ...] = ("BTC", "TRX")
    origin: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        _validate(self)

    # ------------------------------------------------------------- building
    @classmethod
    def from_toml(cls, path: str | Path) -> Strategy:
        """Read and validate a strategy file. Errors name the file and the key."""
        path = Path(path)
        if not path.exists():
            raise SpecError(f"{path}: no such strategy file")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise SpecError(f"{path}: not a UTF-8 text file") from exc
        return cls.from_dict(data, origin=str(path), default_name=path.stem)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, origin: str = "", default_name: str = "strategy"
    ) -> Strategy:
        """Build a strategy from the mapping a TOML file parses to."""
        top = _Table(data, origin, "")
        universe = top.table("universe")
        weighting = top.table("weighting")
        rebalance = top.table("rebalance")
        costs = top.table("costs")
        strategy = cls(
            name=top.string("name", default_name),
            description=top.string("description", ""),
            universe=Universe(
                top_n=universe.integer("top_n", Universe.top_n),
                exclude=universe.strings("exclude", ()),
            ),
            weighting=Weighting(
                scheme=weighting.choice("scheme", WEIGHTING_SCHEMES, Weighting.scheme),
                cap=weighting.number("cap", None),
            ),
            rebalance=Rebalance(
                frequency=rebalance.choice("frequency", FREQUENCIES, Rebalance.frequency)
            ),
            costs=Costs(
                fee_bps=costs.number("fee_bps", 0.0),
                slippage_bps=costs.number("slippage_bps", 0.0),
            ),
            lag_days=top.integer("lag_days", 1),
            initial_capital=top.number("initial_capital", 1.0),
            start=top.date("start"),
            end=top.date("end"),
            benchmarks=top.strings("benchmarks", ("BTC", "TRX")),
            origin=origin,
        )
        for table in (top, universe, weighting, rebalance, costs):
            table.reject_unknown()
        return strategy

    def replace(self, **changes: Any) -> Strategy:
        """A copy with some fields changed; dotted names reach into the sub-specs.

        ``strategy.replace(**{"universe.top_n": 20, "costs.fee_bps": 10})``
        """
        nested: dict[str, dict[str, Any]] = {}
        flat: dict[str, Any] = {}
        for key, value in changes.items():
            head, _, rest = key.partition(".")
            if rest:
                nested.setdefault(head, {})[rest] = value
            else:
                flat[key] = value
        for head, values in nested.items():
            current = getattr(self, head, None)
            if not dataclasses.is_dataclass(current):
                raise SpecError(f"{head}: not a section of a strategy")
            flat[head] = dataclasses.replace(current, **values)
        if "start" in flat and flat["start"] is not None:
            flat["start"] = pd.Timestamp(flat["start"])
        if "end" in flat and flat["end"] is not None:
            flat["end"] = pd.Timestamp(flat["end"])
        return dataclasses.replace(self, **flat)

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec as plain data (what a run's manifest records)."""
        return {
            "name": self.name,
            "description": self.description,
            "start": None if self.start is None else str(self.start.date()),
            "end": None if self.end is None else str(self.end.date()),
            "lag_days": self.lag_days,
            "initial_capital": self.initial_capital,
            "benchmarks": list(self.benchmarks),
            "universe": {"top_n": self.universe.top_n, "exclude": list(self.universe.exclude)},
            "weighting": {"scheme": self.weighting.scheme, "cap": self.weighting.cap},
            "rebalance": {"frequency": self.rebalance.frequency},
            "costs": {"fee_bps": self.costs.fee_bps, "slippage_bps": self.costs.slippage_bps},
        }


def _validate(s: Strategy) -> None:
    origin = s.origin
    if not isinstance(s.name, str) or not s.name.strip():
        raise _fail(origin, "name", "must be a non-empty string")
    if any(ch in s.name for ch in '/\\:*?"<>|') or s.name.startswith("."):
        raise _fail(origin, "name", f"{s.name!r} cannot be used as a folder name")
    top_n = s.universe.top_n
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise _fail(origin, "universe.top_n", f"must be an integer >= 1, got {top_n!r}")
    if s.weighting.scheme not in WEIGHTING_SCHEMES:
        raise _fail(
            origin,
            "weighting.scheme",
            f"{s.weighting.scheme!r} is not one of {', '.join(WEIGHTING_SCHEMES)}",
        )
    cap = s.weighting.cap
    if cap is not None and not (0 < cap <= 1):
        raise _fail(origin, "weighting.cap", f"must be in (0, 1], got {cap!r}")
    if s.rebalance.frequency not in FREQUENCIES:
        raise _fail(
            origin,
            "rebalance.frequency",
            f"{s.rebalance.frequency!r} is not one of {', '.join(FREQUENCIES)}",
        )
    for key in ("fee_bps", "slippage_bps"):
        value = getattr(s.costs, key)
        if not (0 <= value < 5000):
            raise _fail(origin, f"costs.{key}", f"must be in [0, 5000), got {value!r}")
    if s.costs.rate >= 0.5:
        raise _fail(origin, "costs", "fee_bps + slippage_bps must be below 5000")
    lag = s.lag_days
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        raise _fail(origin, "lag_days", f"must be an integer >= 0, got {lag!r}")
    if not (s.initial_capital > 0):
        raise _fail(origin, "initial_capital", f"must be > 0, got {s.initial_capital!r}")
    if s.start is not None and s.end is not None and s.end < s.start:
        raise _fail(origin, "end", f"{s.end.date()} is before start {s.start.date()}")
    for key in ("exclude",):
        for item in getattr(s.universe, key):
            if not isinstance(item, str) or not item.strip():
                raise _fail(origin, f"universe.{key}", f"entries must be strings, got {item!r}")
    for item in s.benchmarks:
        if not isinstance(item, str) or not item.strip():
            raise _fail(origin, "benchmarks", f"entries must be strings, got {item!r}")


class _Table:
    """Typed reads from one TOML table, remembering which keys were used."""

    def __init__(self, data: Any, origin: str, prefix: str) -> None:
        if not isinstance(data, Mapping):
            raise _fail(origin, prefix, "must be a table")
        self.data = data
        self.origin = origin
        self.prefix = prefix
        self.used: set[str] = set()

    def _key(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def _get(self, key: str) -> Any:
        self.used.add(key)
        return self.data.get(key)

    def table(self, key: str) -> _Table:
        value = self._get(key)
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise _fail(self.origin, self._key(key), f"must be a table ([{key}]), got {value!r}")
        return _Table(value, self.origin, key)

    def string(self, key: str, default: str) -> str:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise _fail(self.origin, self._key(key), f"expected a string, got {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.string(key, default)
        if value not in choices:
            raise _fail(
                self.origin,
                self._key(key),
                f"{value!r} is not one of {', '.join(repr(c) for c in choices)}",
            )
        return value

    def integer(self, key: str, default: int) -> int:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(self.origin, self._key(key), f"expected an integer, got {value!r}")
        return value

    def number(self, key: str, default: float | None) -> float | None:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(self.origin, self._key(key), f"expected a number, got {value!r}")
        return float(value)

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(self.origin, self._key(key), f"expected a list of strings, got {value!r}")
        return tuple(value)

    def date(self, key: str) -> pd.Timestamp | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return pd.Timestamp(value).tz_localize(None).normalize()
        if isinstance(value, dt.date):
            return pd.Timestamp(value)
        if isinstance(value, str):
            try:
                return pd.Timestamp(dt.date.fromisoformat(value))
            except ValueError:
                pass
        raise _fail(self.origin, self._key(key), f"expected a date YYYY-MM-DD, got {value!r}")

    def reject_unknown(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            key = unknown[0]
            hint = difflib.get_close_matches(key, sorted(self.used), n=1)
            where = f"in [{self.prefix}]" if self.prefix else "at the top level"
            valid = ", ".join(sorted(self.used))
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise _fail(
                self.origin, self._key(key), f"unknown key {where} (valid: {valid}){suggestion}"
            )
