"""The long input table (DESIGN section 2) in CSV or Parquet, validated into a Market.

One row per (date, asset): ``date`` (UTC calendar day, 2009-01-03 .. today),
``asset`` (unique id), ``close`` (USD, in (0, 1e12]), ``market_cap`` (USD, at most
1e15; missing, zero or negative means "unknown that day"), optional ``volume`` (USD,
at most 1e15), ``symbol``, ``name`` and ``tags`` (tags separated by ``;``). Every
problem is reported with the file, the row and the column at fault; bad prints (x1000
and back) are noted, dropped or refused (:mod:`indexlab.quality`).

Tags in the ``tags`` column are point in time: a tag holds for an asset from the
date of the first row of that asset that carries it, on every later date, whether or
not later rows repeat it (a later row without it does not remove it; tags only add,
as in tag files). The dates go into ``Market.dated_tags``; ``Market.tags`` keeps every
tag ever carried. Where the shipped taxonomy (or ``load_market(tags=...)``) gives the
same asset and tag from always, or from an earlier date, that holds: the earliest
date wins. docs/taxonomy.md, "Tags in the long table", has a worked example.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab import quality
from indexlab.errors import DataError
from indexlab.market import Market
from indexlab.taxonomy import (
    builtin_tags,
    dated_always,
    dated_tags,
    merge_tags,
    tag_map,
    union_dated_tags,
)

REQUIRED_COLUMNS = ("date", "asset", "close", "market_cap")
OPTIONAL_COLUMNS = ("volume", "symbol", "name", "tags")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """Read the raw table; returns it and the word for a row position ('line' or 'row')."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a .csv, .csv.gz or .parquet file")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path), "row"
        if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip")):
            text_cols = {c: "string" for c in ("asset", "symbol", "name", "tags", "date")}
            return pd.read_csv(path, dtype=text_cols, keep_default_na=True), "line"
    except DataError:
        raise
    except Exception as exc:  # the reader's own message says what is wrong with the bytes
        raise DataError(f"{path}: cannot be read as a table: {exc}") from exc
    raise DataError(f"{path}: unknown file type; expected .csv, .csv.gz or .parquet")


def _position(kind: str, i: int) -> str:
    # CSV: line 1 is the header, so data row i (0-based) is on line i + 2.
    return f"line {i + 2}" if kind == "line" else f"row {i + 1}"


def _show(value: object) -> str:
    """A cell as error messages quote it: text in quotes, numbers plainly."""
    if isinstance(value, str):
        return repr(value)
    if value is None or pd.isna(value):
        return "missing"
    try:
        return repr(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return repr(value)


# Public names of the helpers above for other readers of long tables (the signal files
# of indexlab.signals.values), which import no private names across packages.
file_sha256 = _sha256
read_table = _read_table
row_position = _position
quote_cell = _show


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _parse_dates(raw: pd.Series, origin: str, kind: str) -> pd.DatetimeIndex:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        dates = raw.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(raw.dtype):
        dates = raw
    else:
        text = raw.astype("string")
        dates = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        bad = (dates.isna() & text.notna()).to_numpy() | text.isna().to_numpy()
        if bad.any():
            i = _first_bad(bad)
            raise DataError(
                f"{origin}, {_position(kind, i)}, column 'date': cannot parse {_show(raw.iloc[i])} "
                "as a date (expected YYYY-MM-DD, UTC)"
            )
        dates = dates.dt.tz_localize(None)
    dates = pd.DatetimeIndex(dates)
    missing = np.asarray(dates.isna())
    if missing.any():
        i = _first_bad(missing)
        raise DataError(f"{origin}, {_position(kind, i)}, column 'date': missing date")
    quality.check_date_range(dates, lambda i: f"{origin}, {_position(kind, i)}, column 'date'")
    intraday = np.asarray(dates != dates.normalize())
    if intraday.any():
        i = _first_bad(intraday)
        raise DataError(
            f"{origin}, {_position(kind, i)}, column 'date': {dates[i]} has a time of day; "
            "the long table holds one row per UTC calendar day (import intraday data with "
            "the CoinGecko importer)"
        )
    return dates.as_unit("ns")


def _numeric(frame: pd.DataFrame, column: str, origin: str, kind: str) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    not_numeric = values.isna().to_numpy() & raw.notna().to_numpy()
    if not_numeric.any():
        i = _first_bad(not_numeric)
        where = f"{origin}, {_position(kind, i)}, column '{column}'"
        raise DataError(f"{where}: {_show(raw.iloc[i])} is not a number")
    return values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def market_from_long(
    frame: pd.DataFrame,
    *,
    origin: str = "<DataFrame>",
    kind: str = "row",
    source: str | None = None,
    synthetic: bool = False,
    source_path: str | None = None,
    source_sha256: str | None = None,
    extra_tags: dict[str, set[str]] | None = None,
    bad_prints: str = "note",
) -> Market:
    """Validate a long table and pivot it into a Market.

    Args:
        frame: the long table (DESIGN section 2).
        origin: how errors name the table (a file path, or ``<DataFrame>``).
        kind: ``"line"`` when row ``i`` is on line ``i + 2`` of a CSV file, else ``"row"``.
        source: the data source written into outputs (defaults to ``origin``).
        extra_tags: tags to add to the built-in taxonomy and the table's ``tags`` column.
        bad_prints: what to do with bad prints (:mod:`indexlab.quality`): ``"note"``
            keeps them with a note, ``"drop"`` reads them as missing, ``"error"`` raises.
    """
    quality.check_policy(bad_prints)
    frame = frame.reset_index(drop=True)
    _check_columns(frame, origin)
    dates = _parse_dates(frame["date"], origin, kind)
    assets = frame["asset"].astype("string").str.strip()
    empty = (assets.isna() | (assets == "")).to_numpy()
    if empty.any():
        i = _first_bad(empty)
        raise DataError(f"{origin}, {_position(kind, i)}, column 'asset': missing asset id")
    close = _closes(frame, assets, dates, origin, kind)
    notes: list[str] = []
    market_cap = _market_caps(frame, origin, kind, notes)
    volume = _volumes(frame, origin, kind, notes) if "volume" in frame.columns else None
    columns, day_code, asset_code, calendar = _cells(dates, assets, origin, kind)

    def pivot(values: np.ndarray) -> pd.DataFrame:
        panel = np.full((len(calendar), len(columns)), np.nan)
        panel[day_code, asset_code] = values
        return pd.DataFrame(panel, index=calendar, columns=columns, copy=False)

    tags, row_dated = _tags(frame, assets, dates, extra_tags or {})
    known = set(columns)
    # The panels are aligned, sorted and valid by construction: no second pass.
    market = Market(
        close=pivot(close),
        market_cap=pivot(market_cap),
        volume=None if volume is None else pivot(volume),
        assets=_asset_names(frame, asset_code, columns),
        tags={a: t for a, t in tags.items() if a in known},
        source=source or origin,
        synthetic=synthetic,
        source_path=source_path,
        source_sha256=source_sha256,
        notes=tuple(notes),
        dated_tags=row_dated,
    )
    return quality.screen_bad_prints(market, bad_prints)


def _check_columns(frame: pd.DataFrame, origin: str) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise DataError(
            f"{origin}: missing required column {missing[0]!r} "
            f"(required: {', '.join(REQUIRED_COLUMNS)}; found: {found})"
        )
    if len(frame) == 0:
        raise DataError(f"{origin}: the table has no rows")


def _closes(
    frame: pd.DataFrame, assets: pd.Series, dates: pd.DatetimeIndex, origin: str, kind: str
) -> np.ndarray:
    """The ``close`` column; a close that is not a finite number > 0 is an error."""
    close = _numeric(frame, "close", origin, kind)
    bad_close = ~np.isfinite(close) | (close <= 0)
    if bad_close.any():
        i = _first_bad(bad_close)
        raise DataError(
            f"{origin}, {_position(kind, i)}, column 'close': {_show(frame['close'].iloc[i])} "
            "is not a valid price "
            f"for asset {assets.iloc[i]!r} on {dates[i].date()} (must be a finite number > 0)"
        )
    _check_range(frame, close, "close", origin, kind)
    return close


def _check_range(
    frame: pd.DataFrame, values: np.ndarray, column: str, origin: str, kind: str
) -> None:
    """An infinite value or one above the column's limit is an error naming the row."""
    i = quality.first_above_range(values, column)
    if i is not None:
        where = f"{origin}, {_position(kind, i)}, column '{column}'"
        raise DataError(f"{where}: {_show(frame[column].iloc[i])} {quality.RANGES[column]}")


def _market_caps(frame: pd.DataFrame, origin: str, kind: str, notes: list[str]) -> np.ndarray:
    """The ``market_cap`` column, missing, zero or negative caps read as unknown (NaN)
    and counted in ``notes``."""
    market_cap = _numeric(frame, "market_cap", origin, kind)
    _check_range(frame, market_cap, "market_cap", origin, kind)
    unknown_cap = ~(np.isfinite(market_cap) & (market_cap > 0))
    market_cap[unknown_cap] = np.nan
    if unknown_cap.any():
        notes.append(
            f"{origin}: {int(unknown_cap.sum())} of {len(frame)} market caps missing, zero or "
            f"negative, read as unknown (first at {_position(kind, _first_bad(unknown_cap))})"
        )
    return market_cap


def _volumes(frame: pd.DataFrame, origin: str, kind: str, notes: list[str]) -> np.ndarray:
    """The ``volume`` column, negative volumes read as unknown (NaN) and counted in
    ``notes``; an infinite one is an error."""
    volume = _numeric(frame, "volume", origin, kind)
    _check_range(frame, volume, "volume", origin, kind)
    bad_volume = np.isfinite(volume) & (volume < 0) | np.isinf(volume)
    volume[bad_volume] = np.nan
    if bad_volume.any():
        notes.append(
            f"{origin}: {int(bad_volume.sum())} negative or infinite volumes read as unknown "
            f"(first at {_position(kind, _first_bad(bad_volume))})"
        )
    return volume


def _cells(
    dates: pd.DatetimeIndex, assets: pd.Series, origin: str, kind: str
) -> tuple[pd.Index, np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """The panels' columns (asset ids, sorted), each row's day and asset position in
    them, and the contiguous calendar; a duplicated (date, asset) is an error."""
    # Integer codes for (day, asset): the duplicate check and the pivot are then a
    # sort and a scatter into preallocated panels, linear in the number of rows.
    codes, uniques = pd.factorize(assets)
    by_id = np.argsort(np.asarray(uniques, dtype=str))
    asset_ids = np.asarray(uniques, dtype=str)[by_id]
    rank = np.empty(len(by_id), dtype=np.int64)
    rank[by_id] = np.arange(len(by_id))
    asset_code = rank[codes]
    first_day = dates.min()
    day_code = ((dates - first_day) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    n_days = int(day_code.max()) + 1
    cell = day_code * len(asset_ids) + asset_code
    counts = np.bincount(cell, minlength=n_days * len(asset_ids))
    if counts.max() > 1:
        first_cell = cell[np.flatnonzero(counts[cell] > 1)[0]]
        same = np.flatnonzero(cell == first_cell)
        where = " and ".join(_position(kind, int(r)) for r in same[:3])
        n_rows = int(counts[counts > 1].sum())
        raise DataError(
            f"{origin}: duplicated (date, asset) rows: {assets.iloc[same[0]]!r} on "
            f"{dates[same[0]].date()} appears at {where} ({n_rows} rows involved)"
        )
    calendar = pd.date_range(first_day, periods=n_days, freq="D", name="date")
    return pd.Index(asset_ids, name="asset"), day_code, asset_code, calendar


def _asset_names(frame: pd.DataFrame, asset_code: np.ndarray, columns: pd.Index) -> pd.DataFrame:
    """``symbol`` and ``name`` per asset: the last non-null value of each (None if none)."""
    meta = pd.DataFrame(index=columns, columns=["symbol", "name"], dtype=object)
    for column in ("symbol", "name"):
        if column in frame.columns:
            text = frame[column].astype("string")
            last = text.groupby(asset_code).last()  # the last non-null value per asset
            meta[column] = last.reindex(range(len(columns))).to_numpy(dtype=object)
    return meta.where(meta.notna(), None)


def _tags(
    frame: pd.DataFrame,
    assets: pd.Series,
    dates: pd.DatetimeIndex,
    extra_tags: dict[str, set[str]],
) -> tuple[dict[str, frozenset[str]], pd.DataFrame | None]:
    """Every asset's tags (the built-in taxonomy, ``extra_tags`` and the ``tags``
    column), and the column's tags dated for ``Market.dated_tags`` (None without it)."""
    tags = merge_tags(builtin_tags(), extra_tags)
    if "tags" not in frame.columns:
        return tags, None
    first = _first_row_tags(assets, frame["tags"], dates)
    return merge_tags(tags, tag_map(first)), _row_tag_dates(first, extra_tags)


def _first_row_tags(assets: pd.Series, text: pd.Series, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """(asset, tag, effective_from): each tag from the first row of the asset carrying it.
    Tags in a cell are separated by ``;`` (or ``,``)."""
    cells = text.astype("string").str.strip()
    has = (cells.notna() & (cells != "")).to_numpy()
    rows = pd.DataFrame(
        {
            "asset": assets[has].astype(str).to_numpy(dtype=object),
            "cell": cells[has].astype(str).to_numpy(dtype=object),
            "effective_from": dates[has],
        }
    )
    # One row per distinct (asset, cell) first, so a tag on every row costs no more.
    first = rows.groupby(["asset", "cell"], sort=False)["effective_from"].min().reset_index()
    first["tag"] = first["cell"].str.replace(",", ";").str.split(";")
    first = first.explode("tag")
    first["tag"] = first["tag"].str.strip()
    first = first[first["tag"] != ""]
    first = first.groupby(["asset", "tag"])["effective_from"].min().reset_index()
    first["effective_from"] = first["effective_from"].astype("datetime64[ns]")
    return first.loc[:, ["asset", "tag", "effective_from"]]


def _row_tag_dates(first: pd.DataFrame, extra_tags: dict[str, set[str]]) -> pd.DataFrame:
    """The row tags' point-in-time starts for ``Market.dated_tags``: the earliest of the
    row's date and the shipped list's (or ``extra_tags``') date; tags that those give
    from always are left out (they hold always)."""
    union = union_dated_tags(dated_tags(), dated_always(extra_tags), first)
    row_pairs = pd.MultiIndex.from_frame(first[["asset", "tag"]])
    dated = union[pd.MultiIndex.from_frame(union[["asset", "tag"]]).isin(row_pairs)]
    return dated[dated["effective_from"].notna()].reset_index(drop=True)


def load_market(
    path: str | Path,
    *,
    tags: dict[str, set[str]] | None = None,
    total_market: str | Path | None = None,
    bad_prints: str = "note",
    source: str | None = None,
) -> Market:
    """Read a long table (CSV or Parquet) into a validated Market.

    Errors (:class:`~indexlab.errors.DataError`) name the file, the row (``line`` in a
    CSV file, counting the header as line 1) and the column at fault. ``tags`` adds to
    the built-in taxonomy; ``total_market`` is a total market cap file to load beside
    the market (see :func:`indexlab.sources.total_market.load_total_market_cap`).
    ``bad_prints``: ``"note"``, ``"drop"`` or ``"error"`` (:mod:`indexlab.quality`,
    docs/design-notes.md, "Bad prints and dates"). ``source``: what published outputs
    say of the data (``"CoinGecko, downloaded 2025-07-08"``), instead of the vendor and
    download day recorded at import (:mod:`indexlab.sources.provenance`; docs/reports.md).
    """
    from indexlab.sources.provenance import read_provenance

    path = Path(path)
    frame, kind = _read_table(path)
    market = market_from_long(
        frame,
        origin=str(path),
        kind=kind,
        source=str(path),
        source_path=str(path.resolve()),
        source_sha256=_sha256(path),
        extra_tags=tags,
        bad_prints=bad_prints,
    )
    provenance = " ".join(source.split()) if source else read_provenance(path)
    market = replace(market, provenance=provenance or None)
    if total_market is not None:
        from indexlab.sources.total_market import load_total_market_cap

        market = market.with_total_market_cap(
            load_total_market_cap(total_market), bad_prints=bad_prints
        )
    return market
