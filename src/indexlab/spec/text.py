"""A strategy as a notebook prints it: one line per section, only the keys that differ
from their defaults, so that two strategies can be told apart at a glance."""

from __future__ import annotations

import dataclasses


def _changed(spec: object) -> str:
    """``Universe(top_n=100, exclude=(...))``: a section's first key (what it is: top_n,
    scheme, frequency, ...), every key of a section of two, and the keys that differ
    from a default section (all keys when there is none, like a risk-off rule)."""
    try:
        default = type(spec)()
    except TypeError:
        default = None
    shown = [f for f in dataclasses.fields(spec) if f.repr]
    keys = [
        f"{f.name}={getattr(spec, f.name)!r}"
        for k, f in enumerate(shown)
        if k == 0
        or len(shown) <= 2
        or default is None
        or getattr(spec, f.name) != getattr(default, f.name)
    ]
    return f"{type(spec).__name__}({', '.join(keys)})"


def strategy_repr(strategy: object) -> str:
    """Multi-line: the name, then each section and each top-level key that is set."""
    lines = [f"Strategy({strategy.name!r}"]  # type: ignore[attr-defined]
    for f in dataclasses.fields(strategy):
        if f.name == "name" or not f.repr:
            continue
        value = getattr(strategy, f.name)
        if dataclasses.is_dataclass(value):
            lines.append(f"    {f.name}={_changed(value)}")
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        if value != default or f.name == "benchmarks":
            lines.append(f"    {f.name}={value!r}")
    return ",\n".join(lines) + ",\n)"
