"""Reading CoinMarketCap files: the historical-snapshot CSVs and the per-coin daily pages.

Each reader returns the cells as parsed values with the file and line of every row, and
fails with a :class:`~indexlab.errors.DataError` naming the file, line and column of the
first cell it cannot read. The rules that turn them into a long table are in
:mod:`indexlab.sources.cmc`.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.errors import DataError

CSV_SUFFIXES = (".csv", ".csv.gz")
# What the pages print for "no value": kept as missing and counted, never an error.
MISSING_TOKENS = ("", "-", "?", "N/A", "n/a")
SNAPSHOT_COLUMNS = {
    "Rank": "rank",
    "Name": "name",
    "Symbol": "symbol",
    "Market Cap": "market_cap",
    "Price": "close",
    "Circulating Supply": "supply",
    "Volume (24h)": "volume",
    "snapshot_date": "snapshot_date",
}
# The daily pages' headers verbatim (``Open*``, ``Close**``); asterisks are optional.
DAILY_COLUMNS = {
    "Coin": "coin",
    "Date": "date",
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Volume": "volume",
    "Market Cap": "market_cap",
}


class Rows:
    """The text cells of one or more CSV files, and where each row came from."""

    def __init__(self, frame: pd.DataFrame, paths: list[Path], file_code, line):
        self.frame = frame
        self.paths = paths
        self.file_code = np.asarray(file_code, dtype=np.int64)
        self.line = np.asarray(line, dtype=np.int64)

    def where(self, i: int) -> str:
        """``FILE, line N`` of row ``i``."""
        return f"{self.paths[self.file_code[i]]}, line {self.line[i]}"


def read_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """The header (stripped of ``*``), the rows and their line numbers of a CSV file,
    gzipped or not; blank lines are skipped, a row with another number of cells than
    the header is an error naming its line."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise DataError(f"{path}: the file is empty (expected a header line and rows)")
            header = [c.strip().rstrip("*").strip() for c in header]
            rows, lines = [], []
            for row in reader:
                if len(row) != len(header) and any(cell.strip() for cell in row):
                    raise DataError(
                        f"{path}, line {reader.line_num}: {len(row)} cells, the header has "
                        f"{len(header)}"
                    )
                if len(row) == len(header):
                    rows.append(row)
                    lines.append(reader.line_num)
    except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: not a readable CSV file: {message}") from None
    return header, rows, lines


def require_columns(path: Path, header: list[str], wanted: dict[str, str]) -> list[int]:
    """The positions of the ``wanted`` columns in ``header``; a missing one is an error."""
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DataError(
            f"{path}: missing column {missing[0]!r} (expected {', '.join(wanted)}; "
            f"found: {', '.join(header) or 'none'})"
        )
    return [header.index(c) for c in wanted]


def read_files(paths: list[Path], wanted: dict[str, str]) -> Rows:
    """The ``wanted`` columns of every file (renamed to indexlab's names) in one frame."""
    cells: list[list[str]] = []
    file_code: list[np.ndarray] = []
    line: list[np.ndarray] = []
    for code, path in enumerate(paths):
        header, rows, lines = read_rows(path)
        positions = require_columns(path, header, wanted)
        cells.extend([row[p] for p in positions] for row in rows)
        file_code.append(np.full(len(rows), code))
        line.append(np.asarray(lines, dtype=np.int64))
    frame = pd.DataFrame(cells, columns=list(wanted.values()), dtype=object)
    return Rows(frame, paths, np.concatenate(file_code), np.concatenate(line))


Where = Callable[[int], str]


def numbers(where: Where, text: pd.Series, column: str) -> np.ndarray:
    """A column of numbers as printed (``"4,396,930,000"``); missing tokens become NaN,
    anything else that is not a number is an error naming the line."""
    cells = text.astype(str).str.strip()
    missing = cells.isin(MISSING_TOKENS).to_numpy()
    values = pd.to_numeric(cells.str.replace(",", "", regex=False), errors="coerce")
    values = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    bad = np.isnan(values) & ~missing & (cells.str.lower() != "nan").to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where(i)}, column {column!r}: {text.iloc[i]!r} is not a number "
            f"(expected digits with optional thousands separators, or '-' for missing)"
        )
    values[missing] = np.nan
    return values


def texts(where: Where, text: pd.Series, column: str) -> pd.Series:
    """A text column stripped; an empty cell is an error naming the line."""
    cells = text.astype(str).str.strip()
    empty = (cells == "").to_numpy()
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise DataError(f"{where(i)}, column {column!r}: empty {column.lower()}")
    return cells


def dates(where: Where, text: pd.Series, column: str, fmt: str, expected: str) -> pd.DatetimeIndex:
    """A column of dates in ``fmt``; a cell that is not one is an error naming the line
    and saying what was ``expected``."""
    cells = text.astype(str).str.strip()
    if fmt == "%Y%m%d":
        cells = cells.str.replace(r"\.0$", "", regex=True)  # 20210101.0 from a float column
    parsed = pd.to_datetime(cells, format=fmt, errors="coerce")
    bad = np.asarray(parsed.isna())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where(i)}, column {column!r}: cannot parse {text.iloc[i]!r} as a date "
            f"(expected {expected})"
        )
    return pd.DatetimeIndex(parsed)


def ranks(where: Where, text: pd.Series) -> np.ndarray:
    """``Rank`` as positive integers; else an error naming the line."""
    values = numbers(where, text, "Rank")
    bad = ~np.isfinite(values) | (values < 1) | (values != np.round(values))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where(i)}, column 'Rank': {text.iloc[i]!r} is not a rank "
            "(expected a whole number >= 1)"
        )
    return values.astype(np.int64)


def csv_files(source: Path, what: str) -> list[Path]:
    """``source`` itself if it is a file, else the ``.csv``/``.csv.gz`` files in it."""
    if not source.exists():
        raise DataError(f"{source}: no such file or folder")
    if source.is_file():
        return [source]
    files = sorted(
        p
        for p in source.iterdir()
        if p.is_file() and p.name.endswith(CSV_SUFFIXES) and not p.name.startswith(".")
    )
    if not files:
        raise DataError(f"{source}: no .csv or .csv.gz files in this folder (expected {what})")
    return files


def slug_of(path: Path) -> str:
    """The CMC slug a daily file is named by (``binance-coin.csv.gz`` -> ``binance-coin``)."""
    for suffix in (".csv.gz", ".csv"):
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name
