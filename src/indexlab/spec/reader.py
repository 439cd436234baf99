"""Reading strategy files: TOML tables onto the spec dataclasses, by field name and
type, with errors that name the file and the key (and suggest the key meant)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from indexlab.errors import SpecError
from indexlab.spec.model import (
    Costs,
    Exclusion,
    Measure,
    Rebalance,
    Reconstitution,
    RiskOff,
    Universe,
    Weighting,
    to_plain,
)

SECTIONS: dict[str, type] = {
    "universe": Universe,
    "ranking": Measure,
    "weighting": Weighting,
    "rebalance": Rebalance,
    "reconstitution": Reconstitution,
    "risk_off": RiskOff,
    "costs": Costs,
}
# Keys of a section that differ from its dataclass's field names.
RENAMED = {"ranking": {"measure": "kind"}}
TOP_LEVEL = (
    "name",
    "title",
    "description",
    "lag_days",
    "initial_capital",
    "start",
    "end",
    "benchmarks",
)


def _date(value: Any, key: str) -> pd.Timestamp:
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).tz_localize(None).normalize()
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    if isinstance(value, str):
        try:
            return pd.Timestamp(dt.date.fromisoformat(value))
        except ValueError:
            pass
    raise SpecError(f"{key}: expected a date YYYY-MM-DD, got {value!r}")


def _exclusion(value: Any, key: str) -> str | Exclusion:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"tag", "asset", "from"}
        names = [value[k] for k in ("tag", "asset") if k in value]
        if unknown or len(names) != 1 or not isinstance(names[0], str):
            raise SpecError(
                f"{key}: an exclusion is a string, or a table with tag or asset and an "
                f'optional from date, e.g. {{ tag = "stablecoin", from = 2023-05-01 }}; '
                f"got {dict(value)!r}"
            )
        start = _date(value["from"], f"{key}.from") if "from" in value else None
        return Exclusion(names[0], start)
    raise SpecError(f"{key}: expected a string or a table, got {value!r}")


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """``value`` as the field's type ``hint``, or a SpecError naming ``key``."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _coerce(value, options[0], key)
        if str in options and Exclusion in options:
            return _exclusion(value, key)
        if set(options) == {str, float}:  # a named choice or a number (costs.delisting)
            if isinstance(value, str):
                return value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SpecError(f"{key}: expected a name or a number, got {value!r}")
            return float(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(f"{key}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"{key}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(f"{key}: expected a string, got {value!r}")
        return value
    if hint is pd.Timestamp:
        return _date(value, key)
    if origin is tuple:
        if isinstance(value, str) and args and str in (args[0], *typing.get_args(args[0])):
            value = [value]  # one name is a list of one, not of letters
        if not isinstance(value, list):
            raise SpecError(f"{key}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise SpecError(f"{key}: expected a list of {len(args)} items, got {value!r}")
        return tuple(
            _coerce(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True))
        )
    if origin in (Mapping, dict, typing.Mapping) or hint is Mapping:
        if not isinstance(value, Mapping):
            raise SpecError(f"{key}: expected a table, got {value!r}")
        value_type = args[1] if len(args) == 2 else Any
        return {str(k): _coerce(v, value_type, f"{key}.{k}") for k, v in value.items()}
    if hint is Any:
        return value
    raise SpecError(f"{key}: unsupported value {value!r}")  # pragma: no cover


def unknown_key(key: str, where: str, valid: list[str]) -> SpecError:
    """The error of a typo'd key, "unknown key WHERE (valid: ...); did you mean ...?",
    in a strategy file and in a sweep's grid or constraints."""
    hint = difflib.get_close_matches(key, valid, n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    return SpecError(f"unknown key {where} (valid: {', '.join(sorted(valid))}){suggestion}")


def _fields_by_key(cls: type, section: str) -> dict[str, str]:
    """The keys of a section in a file, each with its dataclass field."""
    to_key = {field: key for key, field in RENAMED.get(section, {}).items()}
    return {to_key.get(f.name, f.name): f.name for f in dataclasses.fields(cls) if f.init}


def section_keys(section: str) -> dict[str, str]:
    """The keys of strategy section ``section`` in a file (``measure``), each with its
    dataclass field (``kind``)."""
    return _fields_by_key(SECTIONS[section], section)


def section_kwargs(cls: type, section: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` by file key (``measure``) or field name (``kind``) as keyword arguments
    of the section's dataclass; an unknown key is an error naming ``section.key``."""
    by_key = _fields_by_key(cls, section)
    fields = set(by_key.values())
    kwargs = {}
    for key, value in values.items():
        if key not in by_key and key not in fields:
            raise SpecError(f"{section}.{key}: {unknown_key(key, f'in [{section}]', list(by_key))}")
        kwargs[by_key.get(key, key)] = value
    return kwargs


def _section(cls: type, data: Any, section: str) -> Any:
    if not isinstance(data, Mapping):
        raise SpecError(f"{section}: must be a table ([{section}]), got {data!r}")
    if "window_days" in data and "halflife_days" in data:
        raise SpecError(
            f"{section}.halflife_days: give window_days (an EMA's span) or halflife_days, not both"
        )
    hints = typing.get_type_hints(cls)
    by_key = _fields_by_key(cls, section)
    kwargs = {}
    for key, value in data.items():
        if key not in by_key:
            raise SpecError(f"{section}.{key}: {unknown_key(key, f'in [{section}]', list(by_key))}")
        kwargs[by_key[key]] = _coerce(value, hints[by_key[key]], f"{section}.{key}")
    return cls(**kwargs)


def strategy_from_mapping(
    cls: type, data: Mapping[str, Any], *, origin: str = "", default_name: str = "strategy"
) -> Any:
    """A Strategy from the mapping a TOML file parses to; errors name ``origin``."""
    try:
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {"name": default_name}
        for key, value in data.items():
            if key in SECTIONS:
                kwargs[key] = _section(SECTIONS[key], value, key)
            elif key in TOP_LEVEL:
                kwargs[key] = _coerce(value, hints[key], key)
            else:
                valid = [*TOP_LEVEL, *SECTIONS]
                raise SpecError(f"{key}: {unknown_key(key, 'at the top level', valid)}")
        return cls(**kwargs)
    except SpecError as exc:
        message = str(exc)
        if origin and not message.startswith(origin):
            message = f"{origin}: {message}"
        raise SpecError(message) from None


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def strategy_to_mapping(strategy: Any) -> dict[str, Any]:
    """The strategy as the mapping of its file (None values left out): what
    :func:`strategy_from_mapping` reads back into an equal Strategy."""
    plain = _drop_none(to_plain(strategy))
    plain.pop("origin", None)
    if strategy.benchmarks_are_default:
        plain.pop("benchmarks")  # left out, read back as the defaults (skipped if absent)
    for section in ("ranking", "weighting"):
        if "halflife_days" in plain.get(section, {}):
            plain[section].pop("window_days")  # the half-life replaces it
    for section, renamed in RENAMED.items():
        if section in plain:
            for key, field in renamed.items():
                plain[section][key] = plain[section].pop(field)
    return plain


def read_strategy_file(cls: type, path: Path) -> Any:
    if not path.exists():
        raise SpecError(f"{path}: no such strategy file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a UTF-8 text file") from None
    strategy = strategy_from_mapping(cls, data, origin=str(path), default_name=path.stem)
    return dataclasses.replace(strategy, origin=str(path))
