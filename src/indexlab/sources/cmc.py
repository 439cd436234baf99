"""Import CoinMarketCap data into the long table of DESIGN section 2.

Two sources (docs/vendors.md has the worked examples):

- **snapshots** (``indexlab data import cmc-snapshots``): CMC's historical top-N pages,
  one CSV row per (snapshot, coin): ``Rank, Name, Symbol, Market Cap, Price,
  Circulating Supply, Volume (24h), ..., snapshot_date`` (an integer YYYYMMDD). CMC
  gives no ids and symbols are not unique, so a coin is keyed by symbol *and* name:
  ``cmc:<symbol>:<name-slug>`` (``cmc:bnx:binaryx-old``).
- **daily pages** (``indexlab data import cmc-daily``): a folder of
  ``<cmc-slug>.csv[.gz]`` files, ``Coin, Date, Open*, High, Low, Close**, Volume,
  Market Cap``, dates like ``"Jul 02, 2018"``, newest first, thousands separators,
  ``-`` for missing. A coin is keyed ``cmc:<slug>``.

Rules, each counted in the :class:`CmcImportReport`: a row whose price is missing,
zero or negative is dropped; a missing or non-positive market cap or volume becomes
missing; a snapshot row seen in two files with the same values is kept once (different
values are an error), and two rows of one key on one day in one file are an error.

**Day convention** (the CoinGecko importer's, :data:`~indexlab.sources.coingecko.DAY_CONVENTIONS`).
A CMC row of day D holds the close of D, the moment of CoinGecko's 00:00 UTC point of
D+1. ``"snapshot"`` (the default, as CoinGecko imports are labelled by default) labels
it D+1, the date of that 00:00 UTC instant; ``"previous"`` labels it D, as a CoinGecko
import with ``--day-convention previous``. Either way, rows of the same label in both
vendors are the same moment.

**Market caps of the daily pages** are the day's *open* x supply. ``cap_basis="close"``
(the default) rescales them by close / open so that cap and close are the same moment
(a cap without a valid open becomes missing, counted); ``"open"`` keeps them as printed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.errors import DataError
from indexlab.sources import cmc_files as files
from indexlab.sources.coingecko import DAY_CONVENTIONS

CAP_BASES = ("close", "open")
SNAPSHOT_DATE = "an integer YYYYMMDD such as 20210101"
LIST_LIMIT = 5


@dataclass
class CmcImportReport:
    """What a CMC import read, kept, dropped and flagged (printed and stored in the file)."""

    source: str
    vendor: str
    day_convention: str
    cap_basis: str | None = None
    files: int = 0
    rows_read: int = 0
    rows_written: int = 0
    coins: int = 0
    first_date: str | None = None
    last_date: str | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    market_caps_missing: int = 0
    points_dropped_intraday: int = 0  # none: read by ``indexlab data info`` for every import
    duplicates_across_files: int = 0
    derived_prices: int = 0
    shared_symbols: list[str] = field(default_factory=list)
    rank_gaps: list[str] = field(default_factory=list)
    date_gaps: list[str] = field(default_factory=list)
    mapping: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        shift = "close of D labelled D+1" if self.day_convention == "snapshot" else "labelled D"
        out = [
            f"read {self.rows_read:,} rows from {self.files:,} file(s) in {self.source} "
            f"({self.vendor})",
            f"wrote {self.rows_written:,} rows for {self.coins:,} coins, {self.first_date} .. "
            f"{self.last_date} (day convention {self.day_convention}: {shift})",
        ]
        if self.cap_basis:
            out.append(f"market caps: {CAP_TEXT[self.cap_basis]}")
        dropped = sum(self.dropped.values())
        out.append(f"dropped {dropped:,} rows" + _reasons(self.dropped))
        out.append("missing values kept as missing" + (_reasons(self.missing) or ": none"))
        if self.derived_prices:
            out.append(
                f"{self.derived_prices:,} prices printed as 0 or missing (rounded) were derived "
                "as market cap / circulating supply"
            )
        if self.duplicates_across_files:
            out.append(
                f"{self.duplicates_across_files:,} rows appear in two files with the same "
                "values: kept once"
            )
        out += _listing("snapshot(s) with a symbol shared by different names", self.shared_symbols)
        out += _listing("snapshot(s) with rank gaps", self.rank_gaps)
        out += _listing("coin(s) with date gaps", self.date_gaps)
        return out

    def to_dict(self) -> dict:
        return asdict(self)


CAP_TEXT = {
    "close": "printed as open x supply, rescaled by close / open to the close's moment",
    "open": "as printed: open x supply (the day's open, not its close)",
}


def _reasons(counts: dict[str, int]) -> str:
    shown = [f"{n:,} {reason}" for reason, n in counts.items() if n]
    return (": " + "; ".join(shown)) if shown else ""


def _listing(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    more = len(items) - LIST_LIMIT
    tail = f"; and {more} more" if more > 0 else ""
    return [f"{len(items)} {title}: " + "; ".join(items[:LIST_LIMIT]) + tail]


def slug(text: str) -> str:
    """Lower-case letters and digits, other runs turned into one ``-``; a text without
    any (a name in another script) becomes ``u`` and a short hash of it, never empty."""
    found = re.sub(r"[^0-9a-z]+", "-", str(text).lower()).strip("-")
    return found or "u" + hashlib.sha256(str(text).encode()).hexdigest()[:8]


def snapshot_key(symbol: str, name: str) -> str:
    """The own id of a snapshot coin: ``cmc:<symbol>:<name-slug>``."""
    return f"cmc:{slug(symbol)}:{slug(name)}"


def _check_choices(day_convention: str, cap_basis: str = "close") -> None:
    """An unknown day convention or cap basis fails before any file is read."""
    for what, value, valid in (
        ("day convention", day_convention, DAY_CONVENTIONS),
        ("cap basis", cap_basis, CAP_BASES),
    ):
        if value not in valid:
            raise DataError(f"{what} {value!r} is not one of {', '.join(valid)}")


def _labels(days: pd.DatetimeIndex, day_convention: str) -> pd.DatetimeIndex:
    """The long table's date of a CMC close of ``days`` (module docstring)."""
    return days + pd.Timedelta(days=1) if day_convention == "snapshot" else days


# ------------------------------------------------------------------ snapshots
def _read_snapshots(paths: list[Path]) -> pd.DataFrame:
    rows = files.read_files(paths, files.SNAPSHOT_COLUMNS)
    raw, where = rows.frame, rows.where
    frame = pd.DataFrame(
        {
            "day": files.dates(
                where, raw["snapshot_date"], "snapshot_date", "%Y%m%d", SNAPSHOT_DATE
            ),
            "rank": files.ranks(where, raw["rank"]),
            "symbol": files.texts(where, raw["symbol"], "Symbol"),
            "name": files.texts(where, raw["name"], "Name"),
        }
    )
    for column, header in (
        ("close", "Price"),
        ("market_cap", "Market Cap"),
        ("volume", "Volume (24h)"),
        ("supply", "Circulating Supply"),
    ):
        frame[column] = files.numbers(where, raw[column], header)
    frame["file"] = rows.file_code
    frame["where"] = [where(i) for i in range(len(frame))]
    frame["key"] = [snapshot_key(s, n) for s, n in zip(frame["symbol"], frame["name"], strict=True)]
    return frame


def _drop_repeats(frame: pd.DataFrame, report: CmcImportReport) -> pd.DataFrame:
    """One row per (day, key): a repeat with the same values (the same snapshot in two
    files) is kept once; any other repeat is an error naming both lines."""
    repeated = frame.duplicated(["day", "key"], keep=False)
    if not repeated.any():
        return frame
    values = ["rank", "close", "market_cap", "volume"]
    for _, group in frame[repeated].groupby(["day", "key"], sort=False):
        first, other = group.iloc[0], group.iloc[1]
        same_file = first["file"] == other["file"]
        a, b = first[values].to_numpy(float), other[values].to_numpy(float)
        if same_file or not np.allclose(a, b, rtol=1e-9, equal_nan=True):
            raise DataError(
                f"{other['where']}: {other['name']!r} ({other['symbol']}) on "
                f"{first['day']:%Y%m%d} again (first at {first['where']})"
                + ("" if same_file else " with different values")
                + "; a snapshot holds one row per coin"
            )
    kept = frame.drop_duplicates(["day", "key"], keep="first")
    report.duplicates_across_files = len(frame) - len(kept)
    return kept


def _snapshot_flags(frame: pd.DataFrame, report: CmcImportReport) -> None:
    """Symbols shared by different names, and ranks that skip numbers, per snapshot."""
    for day, group in frame.groupby("day", sort=True):
        names = group.groupby(group["symbol"].str.upper())["name"].unique()
        for symbol, shared in names[names.map(len) > 1].items():
            report.shared_symbols.append(f"{day:%Y%m%d} {symbol}: " + " | ".join(shared))
        ranks = group["rank"].to_numpy()
        missing = sorted(set(range(1, int(ranks.max()) + 1)) - set(ranks.tolist()))
        repeated = int(len(ranks) - len(set(ranks.tolist())))
        if missing or repeated:
            gaps = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
            report.rank_gaps.append(
                f"{day:%Y%m%d} ({len(group)} rows, ranks 1..{int(ranks.max())}"
                + (f", missing {gaps}" if missing else "")
                + (f", {repeated} repeated" if repeated else "")
                + ")"
            )


def _derive_prices(frame: pd.DataFrame, report: CmcImportReport) -> None:
    """A price printed as 0 (rounded: Baby Doge Coin's 1e-9 shows as 0.0) with a valid
    market cap and supply is market cap / supply, counted."""
    close, cap, supply = (frame[c].to_numpy() for c in ("close", "market_cap", "supply"))
    derive = ~(np.isfinite(close) & (close > 0)) & (cap > 0) & (supply > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["close"] = np.where(derive, cap / supply, close)
    report.derived_prices = int(derive.sum())


def import_cmc_snapshots(
    source: str | Path, *, day_convention: str = "snapshot"
) -> tuple[pd.DataFrame, CmcImportReport]:
    """Read CMC snapshot CSVs (a file or a folder of them) into the long table.

    Returns the table (``date, asset, close, market_cap, volume, symbol, name, rank,
    source``; ``asset`` is the own id ``cmc:<symbol>:<name-slug>``) and the report.
    Map the ids to CoinGecko's with :func:`indexlab.sources.identity.match_coingecko`.
    """
    source = Path(source)
    _check_choices(day_convention)
    paths = files.csv_files(source, "CoinMarketCap snapshot CSVs")
    report = CmcImportReport(
        source=str(source), vendor="cmc-snapshots", day_convention=day_convention
    )
    report.files = len(paths)
    frame = _read_snapshots(paths)
    report.rows_read = len(frame)
    frame = _drop_repeats(frame, report)
    _snapshot_flags(frame, report)
    _derive_prices(frame, report)
    frame = _apply_value_rules(frame, report, "Price")
    frame["date"] = _labels(pd.DatetimeIndex(frame["day"]), day_convention)
    return _finish(frame, report, ["rank"])


# ------------------------------------------------------------------ the shared rules
def _apply_value_rules(frame: pd.DataFrame, report: CmcImportReport, price: str) -> pd.DataFrame:
    """Drop rows without a valid price; missing or non-positive caps and volumes become
    missing; each counted."""
    close = frame["close"].to_numpy()
    no_price = ~(np.isfinite(close) & (close > 0))
    report.dropped[f"without a valid {price} (missing, zero or negative)"] = int(no_price.sum())
    frame = frame[~no_price].copy()
    for column, label in (("market_cap", "market caps"), ("volume", "volumes")):
        values = frame[column].to_numpy()
        unknown = ~(np.isfinite(values) & (values > 0))
        if column == "volume":
            unknown &= ~(values == 0)  # a zero volume is a real value
        frame[column] = np.where(unknown, np.nan, values)
        report.missing[f"{label} missing, zero or negative"] = int(unknown.sum())
    report.market_caps_missing = int(frame["market_cap"].isna().sum())
    return frame


def _finish(
    frame: pd.DataFrame, report: CmcImportReport, extra: list[str]
) -> tuple[pd.DataFrame, CmcImportReport]:
    """The long table, sorted by date then asset, and the report's totals."""
    table = pd.DataFrame(
        {
            "date": pd.DatetimeIndex(frame["date"]).tz_localize("UTC"),
            "asset": pd.array(frame["key"].to_numpy(), dtype="string"),
            "close": frame["close"].to_numpy(float),
            "market_cap": frame["market_cap"].to_numpy(float),
            "volume": frame["volume"].to_numpy(float),
            "symbol": pd.array(frame["symbol"].to_numpy(), dtype="string"),
            "name": pd.array(frame["name"].to_numpy(), dtype="string"),
        }
    )
    for column in extra:
        table[column] = frame[column].to_numpy()
    table["source"] = pd.array([report.vendor] * len(table), dtype="string")
    table = table.sort_values(["date", "asset"], kind="stable", ignore_index=True)
    report.rows_written = len(table)
    report.coins = int(table["asset"].nunique())
    if len(table):
        report.first_date = str(table["date"].min().date())
        report.last_date = str(table["date"].max().date())
    return table, report


# ------------------------------------------------------------------ daily pages
def _read_daily(paths: list[Path]) -> pd.DataFrame:
    rows = files.read_files(paths, files.DAILY_COLUMNS)
    raw, where = rows.frame, rows.where
    slugs = np.array([files.slug_of(p) for p in paths], dtype=object)[rows.file_code]
    other = raw["coin"].astype(str).str.strip().to_numpy(dtype=object) != slugs
    if other.any():
        i = int(np.flatnonzero(other)[0])
        raise DataError(
            f"{where(i)}, column 'Coin': {raw['coin'].iloc[i]!r} in the file of "
            f"{slugs[i]!r} (a daily file holds one coin, named like the file)"
        )
    days = files.dates(where, raw["date"], "Date", "%b %d, %Y", "a date such as 'Jul 02, 2018'")
    frame = pd.DataFrame({"day": days, "key": "cmc:" + pd.Series(slugs, dtype=object)})
    again = np.asarray(pd.DataFrame({"f": rows.file_code, "d": days}).duplicated())
    if again.any():
        i = int(np.flatnonzero(again)[0])
        same = (rows.file_code == rows.file_code[i]) & np.asarray(days == days[i])
        first = int(np.flatnonzero(same)[0])
        raise DataError(
            f"{where(i)}, column 'Date': {days[i]:%b %d, %Y} again (first at line "
            f"{rows.line[first]})"
        )
    for column, header in (
        ("open", "Open*"),
        ("high", "High"),
        ("low", "Low"),
        ("close", "Close**"),
        ("volume", "Volume"),
        ("market_cap", "Market Cap"),
    ):
        frame[column] = files.numbers(where, raw[column], header)
    return frame


def _rescale_caps(frame: pd.DataFrame, report: CmcImportReport, cap_basis: str) -> None:
    """Open-based caps to the close's moment (``cap_basis="close"``), counted."""
    report.cap_basis = cap_basis
    if cap_basis == "open":
        return
    cap, opening, close = (frame[c].to_numpy() for c in ("market_cap", "open", "close"))
    no_open = np.isfinite(cap) & ~(np.isfinite(opening) & (opening > 0))
    report.missing["market caps without a valid open to rescale by"] = int(no_open.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["market_cap"] = np.where(no_open, np.nan, cap * close / opening)
    report.market_caps_missing = int(frame["market_cap"].isna().sum())


def _date_gaps(frame: pd.DataFrame, report: CmcImportReport) -> None:
    """Coins whose days skip dates between their first and last row."""
    span = frame.groupby("key")["day"].agg(["min", "max", "count"])
    days = (span["max"] - span["min"]).dt.days + 1
    gaps = (days - span["count"]).sort_values(ascending=False)
    report.date_gaps = [f"{key} ({n} days missing)" for key, n in gaps[gaps > 0].items()]


def import_cmc_daily(
    source: str | Path, *, day_convention: str = "snapshot", cap_basis: str = "close"
) -> tuple[pd.DataFrame, CmcImportReport]:
    """Read a folder of CMC daily pages (``<cmc-slug>.csv[.gz]``) into the long table.

    Returns the table (``date, asset, close, market_cap, volume, symbol, name, source``;
    ``asset`` is the own id ``cmc:<slug>``; symbol and name are missing, the pages have
    none) and the report. ``cap_basis``: ``"close"`` or ``"open"`` (module docstring).
    """
    source = Path(source)
    _check_choices(day_convention, cap_basis)
    if source.is_file():
        raise DataError(f"{source}: a file; expected the folder of <cmc-slug>.csv.gz files")
    paths = files.csv_files(source, "CoinMarketCap daily pages, <cmc-slug>.csv.gz")
    report = CmcImportReport(source=str(source), vendor="cmc-daily", day_convention=day_convention)
    report.files = len(paths)
    frame = _read_daily(paths)
    report.rows_read = len(frame)
    frame = _apply_value_rules(frame, report, "Close")
    _rescale_caps(frame, report, cap_basis)
    _date_gaps(frame, report)
    frame["date"] = _labels(pd.DatetimeIndex(frame["day"]), day_convention)
    frame["symbol"] = pd.NA
    frame["name"] = pd.NA
    return _finish(frame, report, [])
