"""The Strategy: every section of an index design, validated, built in code or read
from a TOML file (:meth:`Strategy.from_toml`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from indexlab.errors import SpecError
from indexlab.paths import name_problem
from indexlab.spec import defaults
from indexlab.spec.checks import finite_fields
from indexlab.spec.model import (
    Costs,
    Measure,
    Rebalance,
    Reconstitution,
    RiskOff,
    Universe,
    Weighting,
    fail,
)
from indexlab.spec.text import strategy_repr


class DefaultBenchmarks(tuple):
    """The default benchmarks (:data:`indexlab.spec.defaults.BENCHMARKS`), marked as
    such: a run skips those the market lacks, with a note, where a benchmark a strategy
    names itself must exist. Equal to the plain tuple of the same names."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True)
class Strategy:
    """A complete index strategy. Build it in code or with :meth:`from_toml`.

    Every key left out takes the default a strategy file would (docs/index-rules.md,
    "Defaults"; :mod:`indexlab.spec.defaults`). ``name`` is the short id of file and
    folder names; ``title`` the display title of figures and reports
    (:attr:`display_title`: the name when no title is given).
    """

    name: str = "strategy"
    title: str = ""
    description: str = ""
    universe: Universe = field(default_factory=Universe)
    ranking: Measure = field(default_factory=Measure)
    weighting: Weighting = field(default_factory=Weighting)
    rebalance: Rebalance = field(default_factory=Rebalance)
    reconstitution: Reconstitution | None = None
    risk_off: RiskOff | None = None
    costs: Costs = field(default_factory=Costs)
    lag_days: int = defaults.LAG_DAYS
    initial_capital: float = defaults.INITIAL_CAPITAL
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    benchmarks: tuple[str, ...] = DefaultBenchmarks(defaults.BENCHMARKS)
    origin: str = field(default="", compare=False, repr=False)

    __repr__ = strategy_repr  # multi-line, the keys that differ from their defaults

    def __post_init__(self) -> None:
        for key in ("start", "end"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, pd.Timestamp):
                object.__setattr__(self, key, pd.Timestamp(value))
        benchmarks = self.benchmarks
        if isinstance(benchmarks, str):  # one asset, not a list of letters
            benchmarks = (benchmarks,)
        if not isinstance(benchmarks, DefaultBenchmarks):
            object.__setattr__(self, "benchmarks", tuple(benchmarks))
        try:
            self._check()
        except SpecError as exc:
            if self.origin:
                raise SpecError(f"{self.origin}: {exc}") from None
            raise

    def _check(self) -> None:
        problem = name_problem(self.name)
        if problem is not None:
            raise fail("name", problem)
        for key in ("title", "description"):
            if not isinstance(getattr(self, key), str):
                raise fail(key, f"must be a text, got {getattr(self, key)!r}")
        finite_fields("", self)  # initial_capital = inf, nan (issue 13, item 9)
        self.ranking.check("ranking")
        lag = self.lag_days
        if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
            raise fail("lag_days", f"must be an integer >= 0, got {lag!r}")
        if isinstance(self.initial_capital, bool) or not self.initial_capital > 0:
            raise fail("initial_capital", f"must be > 0, got {self.initial_capital!r}")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise fail("end", f"{self.end.date()} is before start {self.start.date()}")
        for item in self.benchmarks:
            if not isinstance(item, str) or not item.strip():
                raise fail("benchmarks", f"entries must be strings, got {item!r}")
        if self.weighting.scheme == "file" and self.reconstitution is not None:
            raise fail("reconstitution", "weights from a file set membership themselves")

    @property
    def display_title(self) -> str:
        """What figures, the tearsheet and the manifest call the strategy: its ``title``,
        or its ``name`` when it has none (docs/reports.md, "Titles and sources")."""
        return " ".join(self.title.split()) or self.name

    @property
    def benchmarks_are_default(self) -> bool:
        """True when ``benchmarks`` was left out (the defaults, BTC and TRX): a run skips
        the ones a market lacks, with a note. False when the strategy names its own
        benchmarks (even the same ones): each must then exist in the market."""
        return isinstance(self.benchmarks, DefaultBenchmarks)

    # ------------------------------------------------------------- building
    @classmethod
    def from_toml(cls, path: str | Path) -> Strategy:
        """Read and validate a strategy file. Errors name the file and the key."""
        from indexlab.spec.reader import read_strategy_file

        return read_strategy_file(cls, Path(path))

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, origin: str = "", default_name: str = "strategy"
    ) -> Strategy:
        """Build a strategy from the mapping a TOML file parses to."""
        from indexlab.spec.reader import strategy_from_mapping

        return strategy_from_mapping(cls, data, origin=origin, default_name=default_name)

    def replace(self, **changes: Any) -> Strategy:
        """A copy with some fields changed; dotted names reach into the sections.

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
            flat[head] = self._changed_section(head, values)
        return dataclasses.replace(self, **flat)

    def _changed_section(self, head: str, values: dict[str, Any]) -> Any:
        """Section ``head`` with ``values`` changed, by the keys of a strategy file."""
        from indexlab.spec.reader import section_kwargs

        current = getattr(self, head, None)
        if current is None and head in ("reconstitution", "risk_off"):
            cls = {"reconstitution": Reconstitution, "risk_off": RiskOff}[head]
            return cls(**section_kwargs(cls, head, values))
        if not dataclasses.is_dataclass(current):
            raise SpecError(f"{head}: not a section of a strategy")
        kwargs = section_kwargs(type(current), head, values)
        if head == "universe" and any(k in kwargs for k in ("rank_band", "coverage", "max_n")):
            kwargs.setdefault("top_n", None)  # another count rule replaces top_n
        if "halflife_days" in kwargs and kwargs["halflife_days"] is not None:
            kwargs.setdefault("window_days", defaults.WINDOW_DAYS)  # a half-life replaces it
        elif "window_days" in kwargs and hasattr(current, "halflife_days"):
            kwargs.setdefault("halflife_days", None)  # and a window replaces a half-life
        return dataclasses.replace(current, **kwargs)

    def resolve_path(self, path: str) -> Path:
        """A file named in the strategy, relative to the strategy file's folder."""
        candidate = Path(path)
        if not candidate.is_absolute() and self.origin:
            candidate = Path(self.origin).parent / candidate
        return candidate

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec as the mapping of a strategy file (what a run's manifest
        records; :meth:`from_dict` reads it back)."""
        from indexlab.spec.reader import strategy_to_mapping

        return strategy_to_mapping(self)
