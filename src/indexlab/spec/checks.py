"""Checks of spec values: each raises a SpecError that names the key and says what
would be valid."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from indexlab.errors import SpecError


def fail(key: str, message: str) -> SpecError:
    return SpecError(f"{key}: {message}")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(key: str, value: Any, minimum: int = 1) -> None:
    if value is not None and (not is_int(value) or value < minimum):
        raise fail(key, f"must be an integer >= {minimum}, got {value!r}")


def fraction(key: str, value: Any, *, low_open: bool = True, high: float = 1.0) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (0 < value <= high if low_open else 0 <= value <= high)
    if not ok:
        bounds = f"({'0' if low_open else '[0'}, {high:g}]" if low_open else f"[0, {high:g}]"
        raise fail(key, f"must be a number in {bounds}, got {value!r}")


def non_negative(key: str, value: Any) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0
    ):
        raise fail(key, f"must be a number >= 0, got {value!r}")


def positive_number(key: str, value: Any) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
    ):
        raise fail(key, f"must be a number > 0, got {value!r}")


def choice(key: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise fail(key, f"{value!r} is not one of {', '.join(repr(c) for c in choices)}")


def finite(key: str, value: Any) -> None:
    """A float that is not finite (``inf``, ``nan``: TOML has both) is an error; lists
    and tables are checked entry by entry (``weighting.fixed.bitcoin``)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(key, f"must be a finite number, got {value!r}")
    if isinstance(value, Mapping):
        for name, item in value.items():
            finite(f"{key}.{name}", item)
    elif isinstance(value, tuple | list):
        for item in value:
            finite(key, item)


def finite_fields(section: str, spec: Any) -> None:
    """Every number in the fields of dataclass ``spec`` is finite (keys named
    ``section.field``, or ``field`` at the top level): a spec checks this before its
    other checks, which compare numbers and would let ``inf`` through ``>= 0``."""
    for item in dataclasses.fields(spec):
        if item.init and not dataclasses.is_dataclass(getattr(spec, item.name)):
            finite(f"{section}.{item.name}" if section else item.name, getattr(spec, item.name))
