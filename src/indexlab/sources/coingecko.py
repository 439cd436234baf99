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

import gzip
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from indexlab.errors import DataError

MS_PER_DAY = 86_400_000
DAY_CONVENTIONS = ("snapshot", "previous")
METADATA_KEY = b"indexlab.import"
CSV_SUFFIXES = (".csv", ".csv.gz")
JSON_SUFFIXES = (".json", ".json.gz")
# Timestamps before 2009 or after 2100 in milliseconds are not CoinGecko's.
_MIN_MS, _MAX_MS = 1_230_768_000_000, 4_102_444_800_000


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


# ------------------------------------------------------------------ reading files
def _coin_id(path: Path) -> str:
    name = path.name
    for suffix in (*CSV_SUFFIXES, *JSON_SUFFIXES):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    raise ValueError(name)


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={
                    "timestamp": pa.int64(),
                    "price": pa.float64(),
                    "volume": pa.float64(),
                    "market_cap": pa.float64(),
                }
            ),
        )
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        message = str(exc).splitlines()[0]
        raise DataError(f"{path}: not a readable CoinGecko CSV file: {message}") from None
    missing = [c for c in ("timestamp", "price", "market_cap") if c not in table.column_names]
    if missing:
        raise DataError(
            f"{path}: missing column {missing[0]!r}: a CoinGecko CSV file has the columns "
            f"timestamp,price,volume,market_cap (found: {','.join(table.column_names)})"
        )
    columns = {}
    for name in ("timestamp", "price", "market_cap", "volume"):
        if name not in table.column_names:
            continue
        column = table.column(name)
        if name == "timestamp" and column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise DataError(f"{path}, line {row + 2}, column 'timestamp': missing timestamp")
        columns[name] = column.to_numpy(zero_copy_only=False).astype(
            np.int64 if name == "timestamp" else np.float64
        )
    if "volume" not in columns:
        columns["volume"] = np.full(len(columns["timestamp"]), np.nan)
    return columns


def _json_pairs(path: Path, data: dict, key: str) -> np.ndarray:
    values = data.get(key)
    if not isinstance(values, list):
        raise DataError(f"{path}: expected a list under {key!r} (a market_chart response)")
    try:
        array = np.array(
            [[np.nan if v is None else v for v in pair] for pair in values], dtype=np.float64
        )
    except (TypeError, ValueError):
        raise DataError(f"{path}: {key!r} must hold [timestamp, value] pairs of numbers") from None
    if len(values) and (array.ndim != 2 or array.shape[1] != 2):
        raise DataError(f"{path}: {key!r} must hold [timestamp, value] pairs")
    return array.reshape(-1, 2)


def _read_json(path: Path) -> dict[str, np.ndarray]:
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable JSON file: {exc}") from None
    if not isinstance(data, dict):
        raise DataError(
            f"{path}: expected a JSON object with 'prices', 'market_caps' and "
            "'total_volumes' (a market_chart response)"
        )
    prices = _json_pairs(path, data, "prices")
    caps = _json_pairs(path, data, "market_caps")
    volumes = (
        _json_pairs(path, data, "total_volumes")
        if "total_volumes" in data
        else np.column_stack([prices[:, 0], np.full(len(prices), np.nan)])
    )
    for key, other in (("market_caps", caps), ("total_volumes", volumes)):
        if len(other) != len(prices):
            raise DataError(
                f"{path}: 'prices' has {len(prices)} points but {key!r} has {len(other)}; "
                "the arrays of a market_chart response must be of equal length"
            )
        differ = np.flatnonzero(other[:, 0] != prices[:, 0])
        if len(differ):
            i = int(differ[0])
            raise DataError(
                f"{path}: {key}[{i}] is at timestamp {other[i, 0]:.0f} but prices[{i}] at "
                f"{prices[i, 0]:.0f}; the arrays must share their timestamps"
            )
    if np.isnan(prices[:, 0]).any():
        i = int(np.flatnonzero(np.isnan(prices[:, 0]))[0])
        raise DataError(f"{path}: prices[{i}] has no timestamp")
    return {
        "timestamp": prices[:, 0].astype(np.int64),
        "price": prices[:, 1],
        "market_cap": caps[:, 1],
        "volume": volumes[:, 1],
    }


def _check_timestamps(path: Path, timestamps: np.ndarray, csv: bool) -> None:
    def where(i: int) -> str:
        return f"line {i + 2}" if csv else f"point {i}"

    if len(timestamps) == 0:
        return
    out_of_range = (timestamps < _MIN_MS) | (timestamps > _MAX_MS)
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        hint = " (seconds? CoinGecko uses milliseconds)" if timestamps[i] < _MIN_MS / 100 else ""
        raise DataError(
            f"{path}, {where(i)}: timestamp {timestamps[i]} is not a Unix time in "
            f"milliseconds between 2009 and 2100{hint}"
        )
    order = np.argsort(timestamps, kind="stable")
    same = np.flatnonzero(timestamps[order][1:] == timestamps[order][:-1])
    if len(same):
        first, again = sorted((int(order[same[0]]), int(order[same[0] + 1])))
        stamp = pd.Timestamp(int(timestamps[first]), unit="ms", tz="UTC")
        raise DataError(
            f"{path}, {where(again)}: timestamp {timestamps[again]} ({stamp:%Y-%m-%d %H:%M} UTC) "
            f"appears again (first at {where(first)})"
        )


def _is_coin_file(path: Path) -> bool:
    """A per-coin history (not the coins list that may sit beside them)."""
    return path.name.endswith(CSV_SUFFIXES + JSON_SUFFIXES) and path.name not in (
        "coins.csv",
        "coins.json",
    )


def _coin_files(source: Path) -> tuple[list[Path], list[str]]:
    if not source.exists():
        raise DataError(f"{source}: no such folder")
    if not source.is_dir():
        raise DataError(f"{source}: not a folder; expected a folder of per-coin files")
    files, ignored = [], []
    for path in sorted(source.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        if _is_coin_file(path):
            files.append(path)
        else:
            ignored.append(path.name)
    if not files:
        hint = ""
        # The usual layout keeps the coin files one level down (coins/ beside coins.csv).
        for folder in sorted(p for p in source.iterdir() if p.is_dir()):
            n = sum(1 for f in folder.iterdir() if _is_coin_file(f))
            if n:
                hint = f"; did you mean {folder} ({n} coin file{'s' if n != 1 else ''})?"
                break
        raise DataError(
            f"{source}: no coin files (<coingecko-id>.csv, .csv.gz, .json or .json.gz) in "
            f"this folder{hint}"
        )
    ids = [_coin_id(p) for p in files]
    seen: dict[str, Path] = {}
    for coin, path in zip(ids, files, strict=True):
        if coin in seen:
            raise DataError(
                f"{source}: coin {coin!r} has two files, {seen[coin].name} and {path.name}"
            )
        seen[coin] = path
    return files, ignored


def _find_coins_list(source: Path) -> Path | None:
    for folder in (source, source.parent):
        for name in ("coins.csv", "coins.json"):
            if (folder / name).is_file():
                return folder / name
    return None


def read_coins_list(path: Path) -> pd.DataFrame:
    """Symbols and names by coin id: a CSV with ``coin_id`` (or ``id``), ``symbol``,
    ``name``, or the JSON list of CoinGecko's ``/coins/list``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such coins list")
    if path.name.endswith((".json", ".json.gz")):
        try:
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as handle:
                frame = pd.DataFrame(json.load(handle))
        except (json.JSONDecodeError, ValueError, OSError) as exc:
            raise DataError(f"{path}: not a readable coins list: {exc}") from None
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
            raise DataError(f"{path}: not a readable coins list: {exc}") from None
    frame = frame.rename(columns={"id": "coin_id"})
    if "coin_id" not in frame.columns:
        raise DataError(f"{path}: a coins list needs a 'coin_id' (or 'id') column")
    for column in ("symbol", "name"):
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[["coin_id", "symbol", "name"]].astype(str).drop_duplicates("coin_id")
    return frame.set_index("coin_id").replace("", None)


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
    files, ignored = _coin_files(source)
    list_path = Path(coins_list) if coins_list else _find_coins_list(source)
    meta = read_coins_list(list_path) if list_path else None
    summary = ImportSummary(
        source=str(source),
        day_convention=day_convention,
        coins_list=str(list_path) if list_path else None,
        files=len(files),
        files_ignored=ignored,
    )

    names = [_coin_id(p) for p in files]
    keys = ("coin", "timestamp", "price", "cap", "vol")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for code, path in enumerate(files):
        is_csv = path.name.endswith(CSV_SUFFIXES)
        columns = _read_csv(path) if is_csv else _read_json(path)
        _check_timestamps(path, columns["timestamp"], is_csv)
        n = len(columns["timestamp"])
        parts["coin"].append(np.full(n, code, dtype=np.int64))
        parts["timestamp"].append(columns["timestamp"])
        parts["price"].append(columns["price"])
        parts["cap"].append(columns["market_cap"])
        parts["vol"].append(columns["volume"])
    coin, timestamps, price, cap, volume = (np.concatenate(parts[k]) for k in keys)
    summary.rows_read = len(coin)

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

    present = np.unique(coin)
    summary.coins_without_points = [names[c] for c in range(len(names)) if c not in set(present)]
    summary.dead_feeds = _dead_feeds(coin, day, price, names, dead_feed_days)
    summary.rows_written = len(coin)
    summary.coins = len(present)
    if len(day):
        first, last = int(day.min()), int(day.max())
        summary.first_date = str(pd.Timestamp(first, unit="D").date())
        summary.last_date = str(pd.Timestamp(last, unit="D").date())
        last_day = np.full(len(names), -1, dtype=np.int64)
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

    ids = np.array(names, dtype=object)[coin]
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
    frame = frame.sort_values(["date", "asset"], kind="stable", ignore_index=True)
    return frame, summary


def write_long_table(frame: pd.DataFrame, path: str | Path, summary: ImportSummary) -> Path:
    """Write the long table as Parquet, atomically, with the summary in its metadata."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"--out {path}: is a folder; give a file name such as market.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(summary.to_dict()).encode()
    table = table.replace_schema_metadata(metadata)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
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
