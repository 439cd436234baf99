"""Sweep specs: a base strategy, a grid of changes, constraints, and what to report.

A sweep file::

    name = "top-n-study"
    base = "../strategies/top100-mcap-monthly.toml"   # relative to this file
    metric = "sharpe"                                 # ranks the best configurations
    top = 20                                          # how many of them to list
    heatmap = ["universe.top_n", "weighting.scheme"]  # two grid keys
    constraints = ["weighting.cap == none or weighting.cap * universe.top_n >= 1"]

    [grid]                                            # any strategy key, dotted
    "universe.top_n" = [10, 20, 50, 100, 200]
    "weighting.scheme" = ["market_cap", "sqrt_market_cap", "equal"]
    "weighting.cap" = ["none", 0.10, 0.25]            # "none": no value
    "rebalance.frequency" = ["monthly", "quarterly"]
    "costs.fee_bps" = [0, 10]
    lag_days = [0, 1]
    start = [2018-01-01, 2020-01-01]

    [entry_study]                                     # optional
    frequency = "monthly"                             # a start on every month
    horizon_days = 365                                # optional; default: to the end

Configurations are every combination of the grid's values that passes the
constraints; each has a stable id (a hash of its parameters) so that an interrupted
sweep resumes without running anything twice.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import itertools
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from indexlab.errors import SpecError
from indexlab.metrics import METRIC_COLUMNS
from indexlab.paths import name_problem
from indexlab.spec import Strategy
from indexlab.spec.reader import section_keys, unknown_key
from indexlab.sweep.constraints import GRAMMAR, Constraint, ConstraintError, parse_constraint

TOP_LEVEL_KEYS = ("lag_days", "start", "end", "initial_capital")
SECTIONS = ("universe", "ranking", "weighting", "rebalance", "reconstitution", "risk_off", "costs")
ENTRY_FREQUENCIES = ("monthly", "quarterly")


@dataclass(frozen=True)
class Config:
    """One configuration of a sweep: its id, the grid values, the strategy."""

    id: str
    params: dict[str, Any]
    strategy: Strategy


@dataclass(frozen=True)
class EntryStudy:
    """The base strategy started on every month (or quarter) of the data."""

    frequency: str = "monthly"
    horizon_days: int | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A base strategy, the grid, the constraints, and the reports wanted."""

    base: Strategy
    grid: dict[str, tuple[Any, ...]]
    name: str = "sweep"
    constraints: tuple[str, ...] = ()
    metric: str = "sharpe"
    top: int = 20
    heatmap: tuple[str, str] | None = None
    entry_study: EntryStudy | None = None
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = f"{self.origin}: " if self.origin else ""
        if isinstance(self.constraints, str):  # one constraint, not a list of letters
            object.__setattr__(self, "constraints", (self.constraints,))
        problem = name_problem(self.name)
        if problem is not None:  # it names the sweep's folder, as a strategy's does
            raise SpecError(f"{where}name: {problem}")
        if self.metric not in METRIC_COLUMNS:
            raise SpecError(
                f"{where}metric: {self.metric!r} is not one of {', '.join(METRIC_COLUMNS)}"
            )
        for key, values in self.grid.items():
            _check_key(key, where)
            if not values:
                raise SpecError(f"{where}grid.{key}: give at least one value")
        if self.heatmap is not None:
            for key in self.heatmap:
                if key not in self.grid:
                    raise SpecError(
                        f"{where}heatmap: {key!r} is not a grid key "
                        f"(grid keys: {', '.join(self.grid)}){_did_you_mean(key, self.grid)}"
                    )
        for text in self.constraints:
            _constraint(text, where)
        if not isinstance(self.top, int) or self.top < 1:
            raise SpecError(f"{where}top: must be an integer >= 1, got {self.top!r}")

    def configs(self) -> list[Config]:
        """Every combination of the grid that passes the constraints, in grid order."""
        keys = list(self.grid)
        where = f"{self.origin}: " if self.origin else ""
        out = []
        for values in itertools.product(*(self.grid[k] for k in keys)):
            params = dict(zip(keys, values, strict=True))
            try:
                strategy = self.base.replace(name=self.base.name, **params)
            except SpecError as exc:
                raise SpecError(f"{where}grid {_show(params)}: {exc}") from None
            if all(self._holds(text, strategy, params) for text in self.constraints):
                out.append(Config(config_id(params), params, strategy))
        if not out:
            raise SpecError(f"{where}no configuration passes the constraints")
        return out

    def _holds(self, text: str, strategy: Strategy, params: dict[str, Any]) -> bool:
        where = f"{self.origin}: " if self.origin else ""
        try:
            return _constraint(text, where).holds(functools.partial(_key_value, strategy))
        except ConstraintError as exc:
            raise SpecError(f"{where}constraints: {exc} (configuration {_show(params)})") from None


def config_id(params: dict[str, Any]) -> str:
    """A stable id for a configuration's parameters (16 hex digits)."""
    text = json.dumps({k: _plain(v) for k, v in sorted(params.items())}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    return value


def _show(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_plain(v)}" for k, v in params.items())


def _check_key(key: str, where: str) -> None:
    """A grid key is a top-level key or section.key, with the strategy reader's words
    (and did-you-mean) for a typo."""
    head, _, rest = key.partition(".")
    if not rest:
        if key not in TOP_LEVEL_KEYS:
            message = str(unknown_key(key, "at the top level of a grid", list(TOP_LEVEL_KEYS)))
            if "did you mean" not in message:
                message += _did_you_mean(key, _KEYS) or "; or section.key, e.g. universe.top_n"
            raise SpecError(f"{where}grid.{key}: {message}")
    elif head not in SECTIONS:
        raise SpecError(
            f"{where}grid.{key}: {head!r} is not a strategy section{_did_you_mean(head, SECTIONS)}"
        )
    elif rest not in section_keys(head) and rest not in section_keys(head).values():
        error = unknown_key(rest, f"in [{head}]", list(section_keys(head)))
        raise SpecError(f"{where}grid.{key}: {error}")


def _did_you_mean(key: str, valid: Iterable[str]) -> str:
    hint = difflib.get_close_matches(key, list(valid), n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


# ---------------------------------------------------------------- constraints
# Every key a constraint may name: the top-level keys a grid varies, and each section's
# keys, as in a file (ranking.measure) or by field (ranking.kind).
_KEYS = (
    *TOP_LEVEL_KEYS,
    *(
        f"{section}.{name}"
        for section in SECTIONS
        for name in dict.fromkeys([*section_keys(section), *section_keys(section).values()])
    ),
)


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> Constraint:
    """A constraint parsed once (a grid evaluates it once per combination)."""
    return parse_constraint(text, _key_problem)


def _constraint(text: Any, where: str) -> Constraint:
    if not isinstance(text, str):
        raise SpecError(f"{where}constraints: {text!r} is not a constraint; write it as a string")
    try:
        return _parsed(text)
    except ConstraintError as exc:
        raise SpecError(f"{where}constraints: {exc}") from None


def _key_problem(name: str) -> str | None:
    if name in _KEYS:
        return None
    return f"{name!r} is not a strategy key" + (_did_you_mean(name, _KEYS) or f"; {GRAMMAR}")


def _key_value(strategy: Strategy, name: str) -> Any:
    """The value of key ``name`` (checked by :func:`_key_problem`) in ``strategy``; None
    for a key of a section the strategy leaves out (reconstitution, risk_off)."""
    head, _, rest = name.partition(".")
    if not rest:
        return getattr(strategy, head)
    section = getattr(strategy, head)
    return None if section is None else getattr(section, section_keys(head).get(rest, rest))


# ---------------------------------------------------------------- reading files
def _grid_value(value: Any, key: str, where: str) -> Any:
    if isinstance(value, str) and value.lower() == "none":
        return None
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    if key in ("start", "end") and isinstance(value, str):
        try:
            return pd.Timestamp(dt.date.fromisoformat(value))
        except ValueError:
            raise SpecError(f"{where}grid.{key}: {value!r} is not a date YYYY-MM-DD") from None
    return value


def read_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; errors name the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such sweep file")
    where = f"{path}: "
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    known = ("name", "base", "metric", "top", "heatmap", "constraints", "grid", "entry_study")
    for key in data:
        if key not in known:
            hint = difflib.get_close_matches(key, known, n=1)
            raise SpecError(
                f"{where}{key}: unknown key (valid: {', '.join(known)})"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
            )
    strategy = _read_base(data.get("base"), path)
    grid = data.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise SpecError(f"{where}grid: give a [grid] table of keys and lists of values")
    values = {}
    for key, items in grid.items():
        items = items if isinstance(items, list) else [items]
        values[key] = tuple(_grid_value(v, key, where) for v in items)
    entry = _read_entry_study(data.get("entry_study"), where)
    heatmap = data.get("heatmap")
    if heatmap is not None and (not isinstance(heatmap, list) or len(heatmap) != 2):
        raise SpecError(f'{where}heatmap: give two grid keys, e.g. ["universe.top_n", ...]')
    constraints = data.get("constraints", [])
    if isinstance(constraints, str):
        constraints = [constraints]
    return SweepSpec(
        base=strategy,
        grid=values,
        name=data.get("name", path.stem),
        constraints=tuple(constraints),
        metric=str(data.get("metric", "sharpe")),
        top=data.get("top", 20),
        heatmap=tuple(heatmap) if heatmap else None,
        entry_study=entry,
        origin=str(path),
    )


def _read_base(base: Any, path: Path) -> Strategy:
    """The base strategy: a strategy file (relative to the sweep file) or a table."""
    if isinstance(base, str):
        base_path = (path.parent / base) if not Path(base).is_absolute() else Path(base)
        return Strategy.from_toml(base_path)
    if isinstance(base, dict):
        return Strategy.from_dict(base, origin=str(path), default_name=path.stem)
    raise SpecError(f"{path}: base: give a strategy file (a path) or a [base] table")


def _read_entry_study(study: Any, where: str) -> EntryStudy | None:
    if study is None:
        return None
    if not isinstance(study, dict) or set(study) - {"frequency", "horizon_days"}:
        raise SpecError(f"{where}entry_study: keys are frequency and horizon_days")
    frequency = study.get("frequency", "monthly")
    if frequency not in ENTRY_FREQUENCIES:
        raise SpecError(
            f"{where}entry_study.frequency: {frequency!r} is not one of "
            f"{', '.join(ENTRY_FREQUENCIES)}"
        )
    horizon = study.get("horizon_days")
    if horizon is not None and (not isinstance(horizon, int) or horizon < 30):
        raise SpecError(f"{where}entry_study.horizon_days: an integer >= 30, got {horizon!r}")
    return EntryStudy(frequency, horizon)
