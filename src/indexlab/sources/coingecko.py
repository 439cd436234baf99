"""Import CoinGecko ``market_chart`` histories into the long table of DESIGN section 2.

A source is a folder of per-coin files named by CoinGecko id: CSV
(``timestamp,price,volume,market_cap``, timestamps in Unix milliseconds, gzipped or
not) or the JSON the API returns (``{"prices": [[ms, v], ...], "market_caps": ...,
"total_volumes": ...}``). Every rule below is counted in the :class:`ImportSummary`:

- one point per UTC day: the 00:00 UTC snapshot, else the day's last point; the other
  (hourly and intraday) points are dropped;
- a price that is missing, not finite, zero or negative is dropped;
- a market cap <= 0 (CoinGecko's "supply unknown") or not finite becomes missing, as
  does a negative volume;
- runs of identical daily prices (a dead feed) are flagged, not changed;
- a collection in which almost no coin stops before the end is flagged as holding
  only survivors.

**Day convention.** CoinGecko's 00:00 UTC snapshot is, in effect, the close of the
previous UTC day. ``day_convention="snapshot"`` (the default) labels it with the date
of the timestamp, as CoinGecko's own exports do: the 2021-01-01 row holds the
2021-01-01 00:00 UTC snapshot. ``"previous"`` labels it with the day before (the day
whose close it is). A day without a 00:00 snapshot takes its last point under either
convention.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from indexlab.errors import DataError
from indexlab.paths import umask_mode
from indexlab.sources.coingecko_files import (
    CSV_SUFFIXES,
    JSON_SUFFIXES,
    check_timestamps,
    coin_files,
    coin_id_of,
    find_coins_list,
    read_coin_csv,
    read_coin_json,
    read_coins_list,
)
from indexlab.sources.provenance import provenance_metadata

__all__ = [
    "CSV_SUFFIXES",
    "DAY_CONVENTIONS",
    "JSON_SUFFIXES",
    "METADATA_KEY",
    "MS_PER_DAY",
    "ImportSummary",
    "import_coingecko",
    "read_coins_list",
    "read_import_summary",
    "write_long_table",
]

MS_PER_DAY = 86_400_000
DAY_CONVENTIONS = ("snapshot", "previous")
METADATA_KEY = b"indexlab.import"


@dataclass
class ImportSummary:
    """What an import read, kept, changed and flagged."""

    source: str
    day_convention: str
    coins_list: str | None = None
    files: int = 0
    files_ignored: list[str] = field(default_factory=list)
    coins_without_points: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    points_dropped_intraday: int = 0
    days_from_last_point: int = 0
    prices_dropped: int = 0
    market_caps_missing: int = 0
    volumes_missing: int = 0
    dead_feeds: list[dict] = field(default_factory=list)
    first_date: str | None = None
    last_date: str | None = None
    coins: int = 0
    coins_ending_early: int = 0
    coins_ending_late: int = 0
    survivorship_warning: str | None = None
    late_end_warning: str | None = None
    vendor: str = "coingecko"
    downloaded: str | None = None  # UTC day of the newest point: the download's moment

    def lines(self) -> list[str]:
        """The summary as the CLI prints it."""
        out = [
            f"read {self.rows_read:,} points from {self.files:,} files in {self.source}",
            f"wrote {self.rows_written:,} daily rows for {self.coins:,} coins, "
            f"{self.first_date} .. {self.last_date} (day convention: {self.day_convention})",
            f"dropped {self.points_dropped_intraday:,} hourly/intraday points "
            "(one point per UTC day kept: the 00:00 UTC snapshot, else the day's last point)",
            f"{self.days_from_last_point:,} days had no 00:00 UTC snapshot and took the "
            "day's last point",
            f"dropped {self.prices_dropped:,} points with a missing, zero, negative or "
            "non-finite price",
            f"{self.market_caps_missing:,} market caps <= 0 or not finite became missing "
            "(supply unknown)",
        ]
        if self.volumes_missing:
            out.append(f"{self.volumes_missing:,} negative or non-finite volumes became missing")
        out.append(
            f"symbols and names from {self.coins_list}"
            if self.coins_list
            else "no coins list found: coins are named by their id only"
        )
        if self.coins_without_points:
            names = ", ".join(self.coins_without_points[:5])
            more = len(self.coins_without_points) - 5
            out.append(
                f"{len(self.coins_without_points)} files had no valid point and gave no rows: "
                f"{names}{f' and {more} more' if more > 0 else ''}"
            )
        if self.files_ignored:
            out.append(
                f"ignored {len(self.files_ignored)} files that are not .csv/.json: "
                + ", ".join(self.files_ignored[:5])
            )
        if self.dead_feeds:
            worst = sorted(self.dead_feeds, key=lambda d: -d["days"])[:5]
            listing = "; ".join(
                f"{d['asset']} {d['start']}..{d['end']} ({d['days']} days)" for d in worst
            )
            out.append(
                f"flagged {len(self.dead_feeds)} runs of identical daily prices (a dead feed?), "
                f"longest: {listing}"
            )
        for warning in (self.survivorship_warning, self.late_end_warning):
            if warning:
                out.append(f"WARNING: {warning}")
        return out

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------ the rules
def _daily_points(
    coin: np.ndarray, timestamps: np.ndarray, convention: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of the point kept for each (coin, day), its day number and whether it is
    a 00:00 UTC snapshot."""
    day = timestamps // MS_PER_DAY
    midnight = timestamps % MS_PER_DAY == 0
    label = day - 1 if convention == "previous" else day
    label = np.where(midnight, label, day)
    # Within each (coin, label): midnight points sort last, then by time: the last
    # element of each group is the snapshot if there is one, else the latest point.
    order = np.lexsort((timestamps, midnight, label, coin))
    group_end = np.ones(len(order), dtype=bool)
    group_end[:-1] = (coin[order][1:] != coin[order][:-1]) | (label[order][1:] != label[order][:-1])
    kept = order[group_end]
    return kept, label[kept], midnight[kept]


def _dead_feeds(
    coins: np.ndarray, days: np.ndarray, prices: np.ndarray, names: list[str], min_days: int
) -> list[dict]:
    """Runs of at least ``min_days`` consecutive days with an identical price."""
    if len(prices) < 2 or min_days < 2:
        return []
    same = (coins[1:] == coins[:-1]) & (days[1:] == days[:-1] + 1) & (prices[1:] == prices[:-1])
    runs = []
    edges = np.diff(np.concatenate([[0], same.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    for start, end in zip(starts, ends, strict=True):
        length = end - start + 1  # points from start to end inclusive
        if length >= min_days:
            runs.append(
                {
                    "asset": names[coins[start]],
                    "start": str(pd.Timestamp(int(days[start]), unit="D").date()),
                    "end": str(pd.Timestamp(int(days[end]), unit="D").date()),
                    "days": int(length),
                    "price": float(prices[start]),
                }
            )
    return runs


def import_coingecko(
    source: str | Path,
    *,
    coins_list: str | Path | None = None,
    day_convention: str = "snapshot",
    dead_feed_days: int = 14,
) -> tuple[pd.DataFrame, ImportSummary]:
    """Read a folder of CoinGecko histories into the long table, with its summary.

    Args:
        source: folder of ``<coingecko-id>.csv[.gz]`` or ``.json[.gz]`` files.
        coins_list: symbols and names (default: ``coins.csv`` or ``coins.json`` in the
            folder or beside it, if any).
        day_convention: ``"snapshot"`` or ``"previous"`` (module docstring).
        dead_feed_days: flag runs of at least this many identical daily prices.
    """
    if day_convention not in DAY_CONVENTIONS:
        raise DataError(
            f"day convention {day_convention!r} is not one of {', '.join(DAY_CONVENTIONS)}"
        )
    source = Path(source)
    files, ignored = coin_files(source)
    list_path = Path(coins_list) if coins_list else find_coins_list(source)
    meta = read_coins_list(list_path) if list_path else None
    summary = ImportSummary(
        source=str(source),
        day_convention=day_convention,
        coins_list=str(list_path) if list_path else None,
        files=len(files),
        files_ignored=ignored,
    )

    names = [coin_id_of(p) for p in files]
    coin, timestamps, price, cap, volume = _read_points(files)
    summary.rows_read = len(coin)
    if len(timestamps):
        newest = dt.datetime.fromtimestamp(float(np.max(timestamps)) / 1000.0, dt.UTC)
        summary.downloaded = newest.date().isoformat()
    coin, day, price, cap, volume = _apply_rules(
        summary, coin, timestamps, price, cap, volume, day_convention
    )
    present = np.unique(coin)
    summary.coins_without_points = [names[c] for c in range(len(names)) if c not in set(present)]
    summary.dead_feeds = _dead_feeds(coin, day, price, names, dead_feed_days)
    summary.rows_written = len(coin)
    summary.coins = len(present)
    if len(day):
        _describe_dates(summary, coin, day, len(names), source)
    frame = _long_frame(np.array(names, dtype=object)[coin], day, price, cap, volume, meta)
    return frame, summary


def _read_points(files: list[Path]) -> tuple[np.ndarray, ...]:
    """``coin`` (the file's position), ``timestamp``, ``price``, ``cap`` and ``volume``
    of every point of every file, concatenated."""
    keys = ("coin", "timestamp", "price", "cap", "vol")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for code, path in enumerate(files):
        is_csv = path.name.endswith(CSV_SUFFIXES)
        columns = read_coin_csv(path) if is_csv else read_coin_json(path)
        check_timestamps(path, columns["timestamp"], is_csv)
        n = len(columns["timestamp"])
        parts["coin"].append(np.full(n, code, dtype=np.int64))
        parts["timestamp"].append(columns["timestamp"])
        parts["price"].append(columns["price"])
        parts["cap"].append(columns["market_cap"])
        parts["vol"].append(columns["volume"])
    return tuple(np.concatenate(parts[k]) for k in keys)


def _apply_rules(
    summary: ImportSummary,
    coin: np.ndarray,
    timestamps: np.ndarray,
    price: np.ndarray,
    cap: np.ndarray,
    volume: np.ndarray,
    day_convention: str,
) -> tuple[np.ndarray, ...]:
    """The module docstring's rules: valid prices only, one point per day, missing caps
    and volumes; each counted in ``summary``. Returns ``coin, day, price, cap, volume``."""
    valid_price = np.isfinite(price) & (price > 0)
    summary.prices_dropped = int((~valid_price).sum())
    coin, timestamps, price, cap, volume = (
        a[valid_price] for a in (coin, timestamps, price, cap, volume)
    )
    kept, day, midnight = _daily_points(coin, timestamps, day_convention)
    summary.points_dropped_intraday = len(coin) - len(kept)
    summary.days_from_last_point = int((~midnight).sum())
    coin, price, cap, volume = coin[kept], price[kept], cap[kept], volume[kept]
    bad_cap = ~(np.isfinite(cap) & (cap > 0))
    summary.market_caps_missing = int(bad_cap.sum())
    cap = np.where(bad_cap, np.nan, cap)
    bad_volume = ~np.isnan(volume) & ~(np.isfinite(volume) & (volume >= 0))
    summary.volumes_missing = int(bad_volume.sum())
    volume = np.where(bad_volume, np.nan, volume)
    return coin, day, price, cap, volume


def _describe_dates(
    summary: ImportSummary, coin: np.ndarray, day: np.ndarray, n_coins: int, source: Path
) -> None:
    """The first and last dates, and the warnings about where the coins stop: many in the
    last month (files downloaded on different days), or almost none (survivors only)."""
    present = np.unique(coin)
    first, last = int(day.min()), int(day.max())
    summary.first_date = str(pd.Timestamp(first, unit="D").date())
    summary.last_date = str(pd.Timestamp(last, unit="D").date())
    last_day = np.full(n_coins, -1, dtype=np.int64)
    np.maximum.at(last_day, coin, day)
    ending_early = int((last_day[present] < last - 30).sum())
    summary.coins_ending_early = ending_early
    late = (last_day[present] >= last - 30) & (last_day[present] < last)
    summary.coins_ending_late = int(late.sum())
    if late.any():
        earliest = pd.Timestamp(int(last_day[present][late].min()), unit="D").date()
        summary.late_end_warning = (
            f"{int(late.sum())} of {len(present)} coins stop in the last 30 days before "
            f"{summary.last_date} (the earliest on {earliest}), as when files are "
            f"downloaded on different days; runs treat a coin whose data stop as "
            f"delisted, so end runs on {earliest} to compare like with like"
        )
    if len(present) >= 20 and ending_early < 0.05 * len(present):
        summary.survivorship_warning = (
            f"only {ending_early} of {len(present)} coins in {source} stop before "
            f"the last month: the collection seems to hold only coins alive at download "
            f"time, so backtests on it suffer survivorship bias (dead coins are missing)"
        )


def _long_frame(
    ids: np.ndarray,
    day: np.ndarray,
    price: np.ndarray,
    cap: np.ndarray,
    volume: np.ndarray,
    meta: pd.DataFrame | None,
) -> pd.DataFrame:
    """The long table of DESIGN section 2, sorted by date then asset."""
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(day, unit="D").tz_localize("UTC"),
            "asset": pd.array(ids, dtype="string"),
            "close": price,
            "market_cap": cap,
            "volume": volume,
        }
    )
    if meta is not None:
        frame["symbol"] = pd.array(meta["symbol"].reindex(ids).to_numpy(), dtype="string")
        frame["name"] = pd.array(meta["name"].reindex(ids).to_numpy(), dtype="string")
    return frame.sort_values(["date", "asset"], kind="stable", ignore_index=True)


def write_long_table(frame: pd.DataFrame, path: str | Path, summary: ImportSummary) -> Path:
    """Write the long table as Parquet, atomically, with the summary in its metadata."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"--out {path}: is a folder; give a file name such as market.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(summary.to_dict()).encode()
    metadata.update(provenance_metadata(summary))  # vendor and download day, for outputs
    table = table.replace_schema_metadata(metadata)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    os.chmod(temporary, umask_mode(0o666))  # mkstemp makes it 0600, private to its owner
    try:
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def read_import_summary(path: str | Path) -> dict | None:
    """The import summary stored in a Parquet file written by :func:`write_long_table`."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError):
        return None
    raw = metadata.get(METADATA_KEY)
    return json.loads(raw) if raw else None
