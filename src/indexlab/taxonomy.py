"""Asset tags (stablecoin, wrapped, ...) used by exclusion rules.

The package ships a list of well-known assets by CoinGecko id
(``indexlab/data/taxonomy.csv``). A tag file is CSV with the columns ``asset``,
``tags`` (several separated by ``;``) and, optionally, ``effective_from``
(``YYYY-MM-DD``; empty means "always"): the tag applies on that date and after.
Lines starting with ``#`` are comments; an asset may have several rows.

Two views of the same data:

- undated, ``dict[str, frozenset[str]]``: every tag an asset ever carries
  (:func:`builtin_tags`, :func:`read_tags`, :func:`merge_tags`, :func:`tag_map`);
- dated, a DataFrame with one row per (asset, tag) and the columns ``asset``,
  ``tag``, ``effective_from`` (``NaT`` = always) (:func:`dated_tags`,
  :func:`merge_dated_tags`, :func:`union_dated_tags`, :func:`dated_always`, :func:`tags_on`,
  :func:`tag_panel`).

Tags are lowercase identifiers. Besides :data:`KNOWN_TAGS`, users may define their
own (``defi``, ``layer2``, ...); a tag that looks like a misspelt known tag
(``stablecoins``) raises a :class:`TaxonomyWarning`. docs/taxonomy.md defines the
tags and says what the shipped list covers.
"""

from __future__ import annotations

import csv
import difflib
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.errors import DataError

KNOWN_TAGS = frozenset(
    {"stablecoin", "wrapped", "staked", "pegged", "memecoin", "privacy", "exchange_token"}
)
TAG_COLUMNS = ("asset", "tags", "effective_from")
DATED_COLUMNS = ("asset", "tag", "effective_from")
BUILTIN_ORIGIN = "indexlab/data/taxonomy.csv"

_TAG_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


class TaxonomyWarning(UserWarning):
    """A tag file uses a tag that looks like a misspelt known tag."""


# ----------------------------------------------------------------------------- parsing
def _parse_date(text: str, where: str) -> date | None:
    if not text:
        return None
    try:
        if not _DATE_PATTERN.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(
            f"{where}, column 'effective_from': cannot parse {text!r} as a date "
            "(expected YYYY-MM-DD, or empty for always)"
        ) from None


def _parse_tags(text: str, asset: str, where: str) -> list[str]:
    tags = [t.strip() for t in text.split(";") if t.strip()]
    if not tags:
        raise DataError(
            f"{where}, column 'tags': no tags for asset {asset!r} (separate several with ';')"
        )
    for tag in tags:
        if not _TAG_PATTERN.fullmatch(tag):
            raise DataError(
                f"{where}, column 'tags': {tag!r} is not a tag; a tag is a lowercase "
                f"identifier (a-z, 0-9, _), e.g. one of {', '.join(sorted(KNOWN_TAGS))}"
            )
    return tags


def _header(fields: list[str], where: str) -> list[str]:
    names = [f.strip() for f in fields]
    expected = "asset,tags or asset,tags,effective_from"
    for name in names:
        if name not in TAG_COLUMNS:
            raise DataError(f"{where}: unknown column {name!r} (expected {expected})")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(f"{where}: column {duplicated[0]!r} appears twice")
    for required in ("asset", "tags"):
        if required not in names:
            raise DataError(f"{where}: missing column {required!r} (expected {expected})")
    return names


def _parse(lines: Iterable[str], origin: str) -> pd.DataFrame:
    """Parse a tag file's lines into the dated form; errors name the line and column."""
    columns: list[str] | None = None
    first_line: dict[tuple[str, str], tuple[date | None, int]] = {}
    unknown: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        where = f"{origin}, line {number}"
        fields = next(csv.reader([text]))
        if columns is None:
            columns = _header(fields, where)
            continue
        if len(fields) > len(columns):
            raise DataError(
                f"{where}: {len(fields)} fields but the header has {len(columns)} "
                f"({','.join(columns)})"
            )
        row = dict(zip(columns, (f.strip() for f in fields), strict=False))
        asset = row.get("asset", "")
        if not asset:
            raise DataError(f"{where}, column 'asset': missing asset id")
        tags = _parse_tags(row.get("tags", ""), asset, where)
        since = _parse_date(row.get("effective_from", ""), where)
        for tag in tags:
            if tag not in KNOWN_TAGS:
                unknown.setdefault(tag, number)
            seen = first_line.get((asset, tag))
            if seen is None:
                first_line[(asset, tag)] = (since, number)
            elif seen[0] != since:
                before = seen[0].isoformat() if seen[0] else "always"
                now = since.isoformat() if since else "always"
                raise DataError(
                    f"{where}: asset {asset!r} has tag {tag!r} from {now}, but line {seen[1]} "
                    f"gives it from {before}; keep one row per asset and tag"
                )
    if columns is None:
        raise DataError(f"{origin}: no header line (expected asset,tags[,effective_from])")
    typos = {
        tag: (line, close[0])
        for tag, line in unknown.items()
        if (close := difflib.get_close_matches(tag, sorted(KNOWN_TAGS), n=1, cutoff=0.75))
    }
    if typos:
        listing = "; ".join(
            f"{tag!r} (line {line}): did you mean {known!r}?"
            for tag, (line, known) in sorted(typos.items())
        )
        warnings.warn(f"{origin}: unknown tags {listing}", TaxonomyWarning, stacklevel=3)
    records = [(asset, tag, since) for (asset, tag), (since, _) in first_line.items()]
    return _dated_frame(records)


def _dated_frame(records: Sequence[tuple[str, str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "asset": pd.Series([r[0] for r in records], dtype=object),
            "tag": pd.Series([r[1] for r in records], dtype=object),
            "effective_from": pd.to_datetime(
                pd.Series([r[2] for r in records], dtype=object)
            ).astype("datetime64[ns]"),
        }
    )
    return frame.sort_values(["asset", "tag"], ignore_index=True)


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a CSV tag file")
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text: {exc}") from None


@lru_cache(maxsize=1)
def _builtin_dated() -> pd.DataFrame:
    text = resources.files("indexlab").joinpath("data/taxonomy.csv").read_text("utf-8")
    return _parse(text.splitlines(), BUILTIN_ORIGIN)


@lru_cache(maxsize=1)
def _builtin() -> dict[str, frozenset[str]]:
    return tag_map(_builtin_dated())


# -------------------------------------------------------------------------- undated
def builtin_tags() -> dict[str, frozenset[str]]:
    """The tags shipped with indexlab, by CoinGecko id (every tag ever applied)."""
    return dict(_builtin())


def read_tags(path: str | Path) -> dict[str, frozenset[str]]:
    """Read a user tag file (``asset,tags[,effective_from]``): every tag ever applied."""
    return tag_map(dated_tags(path))


def merge_tags(*maps: Mapping[str, set[str] | frozenset[str]]) -> dict[str, frozenset[str]]:
    """Union of several asset -> tags maps."""
    merged: dict[str, set[str]] = {}
    for mapping in maps:
        for asset, values in mapping.items():
            merged.setdefault(asset, set()).update(values)
    return {a: frozenset(t) for a, t in merged.items()}


def tag_map(dated: pd.DataFrame) -> dict[str, frozenset[str]]:
    """The undated view of dated tags: asset -> every tag it carries at any date."""
    grouped: dict[str, set[str]] = {}
    for asset, tag in zip(dated["asset"], dated["tag"], strict=True):
        grouped.setdefault(str(asset), set()).add(str(tag))
    return {a: frozenset(t) for a, t in grouped.items()}


# ---------------------------------------------------------------------------- dated
def dated_tags(path: str | Path | None = None) -> pd.DataFrame:
    """Tags with the date they apply from: the shipped list, or the tag file at ``path``.

    Returns one row per (asset, tag), sorted, with the columns ``asset``, ``tag`` and
    ``effective_from`` (``datetime64``; ``NaT`` means always). A tag applies on
    every date ``d`` with ``effective_from <= d``.

    Raises:
        DataError: a missing file, a bad header, a row without asset or tags, a tag
            that is not a lowercase identifier, a date that is not ``YYYY-MM-DD``, or
            two rows giving the same asset and tag different dates; the message names
            the file, the line and the column.
    """
    if path is None:
        return _builtin_dated().copy()
    path = Path(path)
    return _parse(_read_lines(path), str(path))


def merge_dated_tags(*frames: pd.DataFrame) -> pd.DataFrame:
    """Combine dated tag tables; for the same (asset, tag) a later table's date wins.

    So a user file can move a shipped tag's start (``tether,stablecoin,2023-05-01``)
    as well as add tags. Nothing can remove a tag.
    """
    if not frames:
        return _dated_frame([])
    combined = pd.concat([f.loc[:, list(DATED_COLUMNS)] for f in frames], ignore_index=True)
    combined = combined.drop_duplicates(["asset", "tag"], keep="last")
    return combined.sort_values(["asset", "tag"], ignore_index=True)


def union_dated_tags(*frames: pd.DataFrame) -> pd.DataFrame:
    """Combine dated tag tables as a union: for the same (asset, tag) the earliest date
    wins, ``NaT`` (always) before any date. A tag holds whenever one table says so."""
    if not frames:
        return _dated_frame([])
    combined = pd.concat([f.loc[:, list(DATED_COLUMNS)] for f in frames], ignore_index=True)
    combined = combined.sort_values("effective_from", na_position="first", kind="stable")
    combined = combined.drop_duplicates(["asset", "tag"], keep="first")
    return combined.sort_values(["asset", "tag"], ignore_index=True)


def dated_always(tags: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """The dated form of an undated asset -> tags map: every tag from always (``NaT``)."""
    return _dated_frame([(str(a), str(t), None) for a, values in tags.items() for t in values])


def tags_on(dated: pd.DataFrame, when: str | date | pd.Timestamp) -> dict[str, frozenset[str]]:
    """asset -> the tags in effect on ``when`` (``effective_from`` empty or on/before it)."""
    day = pd.Timestamp(when)
    active = dated[dated["effective_from"].isna() | (dated["effective_from"] <= day)]
    return tag_map(active)


def tag_panel(
    dated: pd.DataFrame, tag: str, dates: Sequence[object] | pd.DatetimeIndex, assets: Sequence[str]
) -> pd.DataFrame:
    """Boolean date x asset frame: where ``tag`` is in effect (e.g. rebalance dates x ids).

    Assets without the tag are False throughout; ``NaT`` (always) is True throughout.
    """
    index = pd.DatetimeIndex(dates)
    columns = pd.Index([str(a) for a in assets])
    rows = dated[dated["tag"] == tag]
    since = pd.Series(rows["effective_from"].to_numpy(), index=rows["asset"].astype(str))
    start = since.reindex(columns)
    tagged = start.index.isin(since.index)
    # int64 nanoseconds: NaT ("always") becomes the smallest value, so it is on/before any date.
    start_ns = start.to_numpy(dtype="datetime64[ns]").view(np.int64)
    day_ns = index.to_numpy(dtype="datetime64[ns]").view(np.int64)
    applies = (day_ns[:, None] >= start_ns[None, :]) & tagged[None, :]
    return pd.DataFrame(applies, index=index, columns=columns)
