"""Reading a folder of CoinGecko per-coin files: CSV (``timestamp,price,volume,market_cap``,
gzipped or not) or the JSON of ``/coins/<id>/market_chart``, and the coins list beside them.

Each reader returns the raw arrays and fails with the file, line (or point) and column of
the first problem; the rules that turn them into a long table are in
:mod:`indexlab.sources.coingecko`.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from indexlab.errors import DataError

CSV_SUFFIXES = (".csv", ".csv.gz")
JSON_SUFFIXES = (".json", ".json.gz")
# Timestamps before 2009 or after 2100 in milliseconds are not CoinGecko's.
_MIN_MS, _MAX_MS = 1_230_768_000_000, 4_102_444_800_000


def coin_id_of(path: Path) -> str:
    """The CoinGecko id a coin file is named by (``tron.csv.gz`` -> ``tron``)."""
    name = path.name
    for suffix in (*CSV_SUFFIXES, *JSON_SUFFIXES):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    raise ValueError(name)


def read_coin_csv(path: Path) -> dict[str, np.ndarray]:
    """``timestamp, price, market_cap, volume`` arrays of a CSV coin file."""
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


def read_coin_json(path: Path) -> dict[str, np.ndarray]:
    """``timestamp, price, market_cap, volume`` arrays of a market_chart JSON file."""
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


def check_timestamps(path: Path, timestamps: np.ndarray, csv: bool) -> None:
    """Fail on a timestamp that is not Unix milliseconds of 2009-2100, or seen twice."""

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


def is_coin_file(path: Path) -> bool:
    """A per-coin history (not the coins list that may sit beside them)."""
    return path.name.endswith(CSV_SUFFIXES + JSON_SUFFIXES) and path.name not in (
        "coins.csv",
        "coins.json",
    )


def coin_files(source: Path) -> tuple[list[Path], list[str]]:
    """The coin files of ``source`` (one per coin id), and the names of the others."""
    if not source.exists():
        raise DataError(f"{source}: no such folder")
    if not source.is_dir():
        raise DataError(f"{source}: not a folder; expected a folder of per-coin files")
    files, ignored = [], []
    for path in sorted(source.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        if is_coin_file(path):
            files.append(path)
        else:
            ignored.append(path.name)
    if not files:
        hint = ""
        # The usual layout keeps the coin files one level down (coins/ beside coins.csv).
        for folder in sorted(p for p in source.iterdir() if p.is_dir()):
            n = sum(1 for f in folder.iterdir() if is_coin_file(f))
            if n:
                hint = f"; did you mean {folder} ({n} coin file{'s' if n != 1 else ''})?"
                break
        raise DataError(
            f"{source}: no coin files (<coingecko-id>.csv, .csv.gz, .json or .json.gz) in "
            f"this folder{hint}"
        )
    ids = [coin_id_of(p) for p in files]
    seen: dict[str, Path] = {}
    for coin, path in zip(ids, files, strict=True):
        if coin in seen:
            raise DataError(
                f"{source}: coin {coin!r} has two files, {seen[coin].name} and {path.name}"
            )
        seen[coin] = path
    return files, ignored


def find_coins_list(source: Path) -> Path | None:
    """``coins.csv`` or ``coins.json`` in ``source`` or beside it, if any."""
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
