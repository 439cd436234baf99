"""Reading tiers, rates and share cases, from the command line or Python.

The forms are those of :mod:`indexlab.scenarios`: tiers ``8T,500B,2e12``; rates ``2%``,
``-0.5%``, ``0.02``; share cases ``bear=p25,base=as-of,moon=1%``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from indexlab.errors import SpecError
from indexlab.scenario_defaults import DEFAULT_SHARES
from indexlab.scenarios.arithmetic import SUFFIXES

SMALLEST_BARE_TIER = 1e6
AS_OF = "as-of"

_TIER = re.compile(r"^\$?(?P<number>[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)(?P<suffix>[KMBT]?)$", re.I)
_CASE_NAME = re.compile(r"^[A-Za-z][\w-]*$")
_PERCENTILE = re.compile(r"^p(?P<q>\d+(\.\d+)?)$", re.I)


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
