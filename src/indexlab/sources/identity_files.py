"""The files of identity across vendors: the mapping report and its listing, the user's
override file and the CoinGecko table to map to (:mod:`indexlab.sources.identity` does
the mapping)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from indexlab.errors import DataError

STATUSES = ("matched", "override", "ambiguous", "unmatched")
LISTING_COLUMNS = (
    "key",
    "symbol",
    "name",
    "status",
    "asset",
    "coingecko_id",
    "evidence",
    "reason",
    "candidates",
    "rows",
    "first_date",
    "last_date",
    "best_rank",
)


@dataclass
class MappingReport:
    """The mapping of one vendor's keys: counts and the per-key listing."""

    vendor: str
    coingecko: str
    counts: dict[str, int] = field(default_factory=dict)
    row_share: dict[str, float] = field(default_factory=dict)
    overrides: str | None = None
    unknown_override_keys: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # keys reused by another coin
    listing: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def lines(self) -> list[str]:
        total = sum(self.counts.values())
        parts = ", ".join(
            f"{self.counts.get(s, 0):,} {s} ({self.row_share.get(s, 0.0):.1%} of rows)"
            for s in STATUSES
        )
        out = [f"mapped {total:,} {self.vendor} coins to {self.coingecko}: {parts}"]
        if self.overrides:
            out.append(f"overrides from {self.overrides}")
        if self.unknown_override_keys:
            keys = ", ".join(self.unknown_override_keys[:5])
            out.append(f"{len(self.unknown_override_keys)} override keys not in this data: {keys}")
        for line in self.reused:
            out.append(f"reused key {line}")
        out.append("unmatched and ambiguous coins keep their own ids (cmc:...)")
        return out

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("listing")
        return data

    def write_csv(self, path: str | Path) -> Path:
        """The listing as CSV: edit ``coingecko_id`` and pass it back as overrides."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.listing.to_csv(path, index=False)
        return path


def read_overrides(path: str | Path) -> dict[str, str]:
    """``key -> coingecko id | 'none' | 'cmc:...'`` from a CSV with ``key`` and
    ``coingecko_id`` columns (others ignored: the mapping listing itself, edited, is an
    override file); an empty ``coingecko_id`` is no override."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such override file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable override file: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("key", "coingecko_id") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column {missing[0]!r} (an override file has the columns "
            f"key,coingecko_id; found: {', '.join(frame.columns) or 'none'})"
        )
    overrides: dict[str, tuple[str, int]] = {}
    for i, (key, value) in enumerate(zip(frame["key"], frame["coingecko_id"], strict=True)):
        key, value = key.strip(), value.strip()
        if not value:
            continue
        if not key:
            raise DataError(f"{path}, line {i + 2}, column 'key': empty key")
        if key in overrides and overrides[key][0] != value:
            raise DataError(
                f"{path}, line {i + 2}: {key!r} is overridden again with {value!r} (first "
                f"{overrides[key][0]!r} on line {overrides[key][1]})"
            )
        overrides[key] = (value, i + 2)
    return {key: value for key, (value, _) in overrides.items()}


def check_override_ids(overrides: dict[str, str], known: pd.Index, origin: str) -> None:
    for key, value in overrides.items():
        if value != "none" and not value.startswith("cmc:") and value not in known:
            raise DataError(
                f"{origin}: override {key!r} -> {value!r}: no CoinGecko coin {value!r} in the "
                "collection (valid: one of its ids, 'none' or an own id 'cmc:...')"
            )


def load_coingecko_table(path: str | Path, day_convention: str) -> tuple[pd.DataFrame, str]:
    """A CoinGecko long table to map to, and how to name it: a folder of per-coin files
    (imported here with ``day_convention``) or a long table written by ``indexlab data
    import coingecko``, whose stored day convention must be ``day_convention``."""
    from indexlab.sources.coingecko import import_coingecko, read_import_summary
    from indexlab.sources.long_table import read_table

    path = Path(path)
    if path.is_dir():
        frame, _ = import_coingecko(path, day_convention=day_convention)
        return frame, f"{path} (day convention {day_convention})"
    frame, _ = read_table(path)
    missing = [c for c in ("date", "asset", "close") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]!r}; expected a CoinGecko long table")
    stored = read_import_summary(path) if path.name.endswith(".parquet") else None
    theirs = (stored or {}).get("day_convention")
    if theirs and theirs != day_convention:
        raise DataError(
            f"{path} was imported with day convention {theirs!r} but the CMC import uses "
            f"{day_convention!r}: pass --day-convention {theirs} so that the days line up"
        )
    frame = frame.copy()
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    return frame, f"{path} (day convention {theirs or 'as labelled'})"
