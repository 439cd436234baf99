"""The long input table (DESIGN section 2) in CSV or Parquet, validated into a Market.

One row per (date, asset): ``date`` (UTC calendar day), ``asset`` (unique id),
``close`` (USD, > 0), ``market_cap`` (USD; missing, zero or negative means
"unknown that day"), optional ``volume``, ``symbol``, ``name`` and ``tags``
(tags separated by ``;``). Every problem is reported with the file, the row and
the column at fault.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.errors import DataError
from indexlab.market import Market
from indexlab.taxonomy import builtin_tags, merge_tags

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
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


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
) -> Market:
    """Validate a long table and pivot it into a Market.

    Args:
        frame: the long table (DESIGN section 2).
        origin: how errors name the table (a file path, or ``<DataFrame>``).
        kind: ``"line"`` when row ``i`` is on line ``i + 2`` of a CSV file, else ``"row"``.
        source: the data source written into outputs (defaults to ``origin``).
        extra_tags: tags to add to the built-in taxonomy and the table's ``tags`` column.
    """
    frame = frame.reset_index(drop=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise DataError(
            f"{origin}: missing required column {missing[0]!r} "
            f"(required: {', '.join(REQUIRED_COLUMNS)}; found: {found})"
        )
    if len(frame) == 0:
        raise DataError(f"{origin}: the table has no rows")

    dates = _parse_dates(frame["date"], origin, kind)
    assets = frame["asset"].astype("string").str.strip()
    empty = (assets.isna() | (assets == "")).to_numpy()
    if empty.any():
        i = _first_bad(empty)
        raise DataError(f"{origin}, {_position(kind, i)}, column 'asset': missing asset id")

    close = _numeric(frame, "close", origin, kind)
    bad_close = ~np.isfinite(close) | (close <= 0)
    if bad_close.any():
        i = _first_bad(bad_close)
        raise DataError(
            f"{origin}, {_position(kind, i)}, column 'close': {_show(frame['close'].iloc[i])} "
            "is not a valid price "
            f"for asset {assets.iloc[i]!r} on {dates[i].date()} (must be a finite number > 0)"
        )
    market_cap = _numeric(frame, "market_cap", origin, kind)
    volume = _numeric(frame, "volume", origin, kind) if "volume" in frame.columns else None
    if volume is not None:
        negative = volume < 0
        if negative.any():
            i = _first_bad(negative)
            raise DataError(
                f"{origin}, {_position(kind, i)}, column 'volume': {_show(volume[i])} is negative"
            )

    keys = pd.DataFrame({"date": dates, "asset": assets.to_numpy()})
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        rows = np.flatnonzero(duplicated)
        first = rows[0]
        same = rows[
            (keys["date"].to_numpy()[rows] == keys["date"].to_numpy()[first])
            & (keys["asset"].to_numpy()[rows] == keys["asset"].to_numpy()[first])
        ]
        where = " and ".join(_position(kind, int(r)) for r in same[:3])
        raise DataError(
            f"{origin}: duplicated (date, asset) rows: {keys['asset'].iloc[first]!r} on "
            f"{dates[first].date()} appears at {where} ({int(duplicated.sum())} rows involved)"
        )

    def pivot(values: np.ndarray) -> pd.DataFrame:
        long = pd.Series(values, index=pd.MultiIndex.from_arrays([dates, assets.to_numpy()]))
        return long.unstack()

    meta = None
    meta_cols = [c for c in ("symbol", "name") if c in frame.columns]
    if meta_cols:
        by_asset = frame[meta_cols].astype("string").assign(asset=assets.to_numpy())
        meta = by_asset.groupby("asset").last()  # last non-null value per asset

    tags = builtin_tags()
    if "tags" in frame.columns:
        table_tags: dict[str, set[str]] = {}
        for asset, text in zip(assets, frame["tags"].astype("string"), strict=True):
            if pd.notna(text) and str(text).strip():
                table_tags.setdefault(str(asset), set()).update(
                    t.strip() for t in str(text).replace(",", ";").split(";") if t.strip()
                )
        tags = merge_tags(tags, table_tags)
    if extra_tags:
        tags = merge_tags(tags, extra_tags)

    return Market.from_panels(
        pivot(close),
        pivot(market_cap),
        None if volume is None else pivot(volume),
        assets=meta,
        tags=tags,
        source=source or origin,
        synthetic=synthetic,
        source_path=source_path,
        source_sha256=source_sha256,
    )


def load_market(path: str | Path, *, tags: dict[str, set[str]] | None = None) -> Market:
    """Read a long table (CSV or Parquet) into a validated Market.

    Errors (:class:`~indexlab.errors.DataError`) name the file, the row (``line`` in a
    CSV file, counting the header as line 1) and the column at fault.
    """
    path = Path(path)
    frame, kind = _read_table(path)
    return market_from_long(
        frame,
        origin=str(path),
        kind=kind,
        source=str(path),
        source_path=str(path.resolve()),
        source_sha256=_sha256(path),
        extra_tags=tags,
    )
