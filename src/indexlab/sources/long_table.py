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
import threading
from dataclasses import replace
from pathlib import Path

import pandas as pd

from indexlab import quality
from indexlab.errors import DataError
from indexlab.market import Market
from indexlab.sources.long_cells import (
    AssetReader,
    Cells,
    duplicate_error,
    duplicated_rows,
    increasing,
)
from indexlab.sources.long_cells import cells as cells_of
from indexlab.sources.long_columns import LongColumns, RowNames, small_pages
from indexlab.sources.long_dates import DayReader
from indexlab.sources.long_meta import asset_names, first_row_tags
from indexlab.sources.long_panels import panels as numeric_panels
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


TEXT_COLUMNS = ("asset", "date", "symbol", "name", "tags")


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
    with small_pages():
        return _market(
            LongColumns.of_frame(frame),
            RowNames(origin, kind),
            source=source,
            synthetic=synthetic,
            source_path=source_path,
            source_sha256=source_sha256,
            extra_tags=extra_tags,
            bad_prints=bad_prints,
        )


def _market(
    columns: LongColumns,
    rows: RowNames,
    *,
    source: str | None,
    synthetic: bool = False,
    source_path: str | None = None,
    source_sha256: str | None = None,
    extra_tags: dict[str, set[str]] | None = None,
    bad_prints: str = "note",
) -> Market:
    """The Market of a long table's ``columns``, read column by column: dates and
    assets give each row its cell, then each numeric column is checked and written
    straight into its panel (docs/loading.md)."""
    _check_columns(columns, rows.origin)
    dates, assets = DayReader(columns.n_rows), AssetReader(columns.n_rows)
    for offset, (date, asset) in columns.chunks("date", "asset"):
        dates.read(date, offset)
        assets.read(asset, offset)
    days = dates.finish(columns, rows)  # date faults first, then asset ids
    where = cells_of(days, *assets.finish(rows))
    del days, dates, assets
    in_order = increasing(where)
    # Reported after the values, as it always was.
    duplicated = None if in_order else duplicated_rows(where)
    numeric = tuple(c for c in ("close", "market_cap", "volume") if c in columns)
    panels, notes = numeric_panels(columns, numeric, where, rows, in_order)
    if duplicated is not None:
        raise duplicate_error(where, duplicated, rows)
    tags, row_dated = _tags(columns, where, extra_tags or {})
    known = set(where.columns)
    names = asset_names(columns, where)
    del where  # each row's cell: not needed by the screens
    # The panels are aligned, sorted and valid by construction: no second pass.
    market = Market(
        close=panels.pop("close"),
        market_cap=panels.pop("market_cap"),
        volume=panels.pop("volume", None),
        assets=names,
        tags={a: t for a, t in tags.items() if a in known},
        source=source or rows.origin,
        synthetic=synthetic,
        source_path=source_path,
        source_sha256=source_sha256,
        notes=tuple(notes),
        dated_tags=row_dated,
    )
    return quality.screen_bad_prints(market, bad_prints)


def _check_columns(columns: LongColumns, origin: str) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(columns.names) or "none"
        raise DataError(
            f"{origin}: missing required column {missing[0]!r} "
            f"(required: {', '.join(REQUIRED_COLUMNS)}; found: {found})"
        )
    if columns.n_rows == 0:
        raise DataError(f"{origin}: the table has no rows")


def _tags(
    columns: LongColumns, cells: Cells, extra_tags: dict[str, set[str]]
) -> tuple[dict[str, frozenset[str]], pd.DataFrame | None]:
    """Every asset's tags (the built-in taxonomy, ``extra_tags`` and the ``tags``
    column), and the column's tags dated for ``Market.dated_tags`` (None without it)."""
    tags = merge_tags(builtin_tags(), extra_tags)
    if "tags" not in columns:
        return tags, None
    first = first_row_tags(columns, cells)
    return merge_tags(tags, tag_map(first)), _row_tag_dates(first, extra_tags)


def _row_tag_dates(first: pd.DataFrame, extra_tags: dict[str, set[str]]) -> pd.DataFrame:
    """The row tags' point-in-time starts for ``Market.dated_tags``: the earliest of the
    row's date and the shipped list's (or ``extra_tags``') date; tags that those give
    from always are left out (they hold always)."""
    union = union_dated_tags(dated_tags(), dated_always(extra_tags), first)
    row_pairs = pd.MultiIndex.from_frame(first[["asset", "tag"]])
    dated = union[pd.MultiIndex.from_frame(union[["asset", "tag"]]).isin(row_pairs)]
    return dated[dated["effective_from"].notna()].reset_index(drop=True)


class _Digest:
    """A file's SHA-256 computed in a background thread."""

    def __init__(self, path: Path) -> None:
        self._value: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._value = _sha256(path)
        except BaseException as exc:  # re-raised by result(), in the caller's thread
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise DataError(f"cannot read the file to hash it: {self._error}") from self._error
        assert self._value is not None
        return self._value


def _columns(path: Path) -> tuple[LongColumns, str]:
    """The file's columns, read when needed (a Parquet file column by column, in
    batches; a CSV file at once by pandas) and the word for a row position."""
    if path.exists() and not path.is_dir() and path.name.lower().endswith((".parquet", ".pq")):
        return LongColumns.of_parquet(path, TEXT_COLUMNS), "row"
    frame, kind = _read_table(path)
    return LongColumns.of_frame(frame), kind


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
    columns, kind = _columns(path)
    quality.check_policy(bad_prints)
    digest = _Digest(path)  # hashed beside the loading (hashlib releases the GIL)
    with small_pages():
        market = _market(
            columns,
            RowNames(str(path), kind),
            source=str(path),
            source_path=str(path.resolve()),
            extra_tags=tags,
            bad_prints=bad_prints,
        )
    provenance = " ".join(source.split()) if source else read_provenance(path)
    market = replace(market, provenance=provenance or None, source_sha256=digest.result())
    if total_market is not None:
        from indexlab.sources.total_market import load_total_market_cap

        market = market.with_total_market_cap(
            load_total_market_cap(total_market), bad_prints=bad_prints
        )
    return market
