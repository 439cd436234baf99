"""Asset tags (stablecoin, wrapped, ...) used by exclusion rules.

The package ships a short list of well-known assets by CoinGecko id
(``indexlab/data/taxonomy.csv``, columns ``asset,tags`` with tags separated by
``;``). Users extend it with a file of the same shape or with a ``tags`` column in
their long table.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

from indexlab.errors import DataError

KNOWN_TAGS = frozenset(
    {"stablecoin", "wrapped", "staked", "pegged", "memecoin", "privacy", "exchange_token"}
)


def _parse(rows: list[dict[str, str]], origin: str) -> dict[str, frozenset[str]]:
    tags: dict[str, set[str]] = {}
    for line, row in enumerate(rows, start=2):
        asset = (row.get("asset") or "").strip()
        if not asset:
            raise DataError(f"{origin}, line {line}, column 'asset': missing asset id")
        values = {t.strip() for t in (row.get("tags") or "").split(";") if t.strip()}
        tags.setdefault(asset, set()).update(values)
    return {a: frozenset(t) for a, t in tags.items()}


@lru_cache(maxsize=1)
def _builtin() -> dict[str, frozenset[str]]:
    text = resources.files("indexlab").joinpath("data/taxonomy.csv").read_text("utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    return _parse(rows, "indexlab/data/taxonomy.csv")


def builtin_tags() -> dict[str, frozenset[str]]:
    """The tags shipped with indexlab, by CoinGecko id."""
    return dict(_builtin())


def read_tags(path: str | Path) -> dict[str, frozenset[str]]:
    """Read a user tag file: CSV with columns ``asset,tags`` (tags separated by ``;``)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(line for line in handle if not line.startswith("#"))
        if reader.fieldnames is None or not {"asset", "tags"} <= set(reader.fieldnames):
            raise DataError(f"{path}: a tag file needs the columns 'asset' and 'tags'")
        return _parse(list(reader), str(path))


def merge_tags(*maps: Mapping[str, set[str] | frozenset[str]]) -> dict[str, frozenset[str]]:
    """Union of several asset -> tags maps."""
    merged: dict[str, set[str]] = {}
    for mapping in maps:
        for asset, values in mapping.items():
            merged.setdefault(asset, set()).update(values)
    return {a: frozenset(t) for a, t in merged.items()}
