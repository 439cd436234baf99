"""The Market: aligned wide panels of close, market cap and volume.

Every panel is a ``DataFrame`` indexed by a contiguous daily ``DatetimeIndex``
named ``date`` (UTC calendar days, stored tz-naive) with one column per asset id,
columns sorted by id. ``NaN`` means "not listed / no valid observation that day":
closes and market caps that are not finite and > 0 are stored as ``NaN`` (DESIGN
section 3, "valid observations"). Coins that died stay in the panel.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from indexlab.errors import DataError, SpecError
from indexlab.fill import fill_and_bounds, valid_bounds, valid_copy

# The name of the total crypto market cap, beside the assets (a benchmark, a signal).
TOTAL_MARKET = "total-market"
# What a Market derives once from a panel (cached properties), by the panel it reads.
_DERIVED = {
    "close_values": "close",
    "_bounds": "close",
    "_filled": "close",
    "market_cap_values": "market_cap",
}


def _frozen(values: np.ndarray) -> np.ndarray:
    """A C-ordered read-only copy-or-view (numba types read-only arrays separately, so
    handing it always the same kind keeps to one compiled signature)."""
    view = np.ascontiguousarray(values).view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class _PanelAxes:
    """The dates and assets of the panels that :meth:`Market.from_panels` builds:
    ``index``, the given panels' dates (UTC, tz-naive), onto the contiguous
    ``calendar``; ``columns``, the asset ids, sorted."""

    index: pd.DatetimeIndex
    calendar: pd.DatetimeIndex
    columns: pd.Index

    def align(self, panel: pd.DataFrame, strict: bool, name: str, source: str) -> pd.DataFrame:
        """``panel`` on the calendar and columns; values not finite and > 0 (``>= 0``
        unless ``strict``) become ``NaN``; a finite value above the limit of ``name``
        (:data:`indexlab.quality.LIMITS`: 1e300 is no price) is an error."""
        panel = panel.set_axis(self.index, axis=0).set_axis(panel.columns.map(str), axis=1)
        if not (panel.index.equals(self.calendar) and panel.columns.equals(self.columns)):
            panel = panel.reindex(index=self.calendar, columns=self.columns)
        from indexlab.quality import LIMITS, RANGES

        values, above = valid_copy(panel.to_numpy(dtype=np.float64), strict, LIMITS[name])
        if above is not None:
            t, j = above
            raise DataError(
                f"{source}: {name} of {self.columns[j]!r} on {self.calendar[t].date()}: "
                f"{values[t, j]:g} {RANGES[name]}"
            )
        return pd.DataFrame(values, index=self.calendar, columns=self.columns, copy=False)

    def names(self, assets: pd.DataFrame | None) -> pd.DataFrame:
        """``symbol`` and ``name`` per asset, None where ``assets`` has none."""
        meta = pd.DataFrame(index=self.columns, columns=["symbol", "name"], dtype=object)
        if assets is not None:
            given = assets.copy()
            given.index = given.index.map(str)
            for col in ("symbol", "name"):
                if col in given.columns:
                    meta[col] = given[col].reindex(self.columns)
        return meta.where(meta.notna(), None)

    def tags(
        self, tags: Mapping[str, Iterable[str]], dated_tags: pd.DataFrame | None
    ) -> dict[str, frozenset[str]]:
        """The tags of the assets in the panels: ``tags`` and those of ``dated_tags``."""
        tag_sets = {str(a): set(t) for a, t in tags.items()}
        if dated_tags is not None:
            for asset, tag in zip(dated_tags["asset"], dated_tags["tag"], strict=True):
                tag_sets.setdefault(str(asset), set()).add(str(tag))
        return {a: frozenset(t) for a, t in tag_sets.items() if a in self.columns}


@dataclass(frozen=True, eq=False)
class Market:
    """Point-in-time market data.

    Attributes:
        close: date x asset closing prices in USD (``NaN`` where invalid).
        market_cap: date x asset circulating market caps in USD (``NaN`` where invalid).
        volume: date x asset 24 h volumes in USD, or ``None`` when the source had none.
        assets: one row per asset id (index ``asset``), columns ``symbol`` and ``name``.
        tags: asset id -> tags such as ``stablecoin`` or ``wrapped`` (see taxonomy).
        source: where the data came from (a file's path, as error messages name it).
        provenance: the data's vendor and download date as every published output
            states it (``"CoinGecko, downloaded 2025-07-24"``): from the file's import
            metadata or ``load_market(path, source=...)``; None when unknown
            (:func:`indexlab.coverage.data_label` then names the file, not its folder).
        synthetic: True for the built-in demo market; outputs then say so.
        source_path: the file the data was read from, if any.
        source_sha256: that file's SHA-256, if any.
        notes: what loading did to the data (values treated as unknown, ...), for reports.
        total_market_cap: the total crypto market cap (USD) on the same calendar, if
            loaded (see :meth:`with_total_market_cap`); ``NaN`` where unknown.
        dated_tags: the tags of ``tags`` that hold only from a date (point in time, e.g.
            per-row tags of a long table): one row per (asset, tag), columns ``asset``,
            ``tag``, ``effective_from``; a tag in ``tags`` without a row here holds
            always, unless the shipped taxonomy dates it (docs/taxonomy.md).
    """

    close: pd.DataFrame
    market_cap: pd.DataFrame
    volume: pd.DataFrame | None
    assets: pd.DataFrame
    tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    source: str = "in-memory data"
    synthetic: bool = False
    source_path: str | None = None
    source_sha256: str | None = None
    notes: tuple[str, ...] = ()
    total_market_cap: pd.Series | None = None
    dated_tags: pd.DataFrame | None = None
    provenance: str | None = None

    def __post_init__(self) -> None:
        index = self.close.index
        if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
            raise DataError(f"{self.source}: the market has no dates")
        expected = pd.date_range(index[0], periods=len(index), freq="D")
        if not index.equals(expected):
            raise DataError(f"{self.source}: the market's dates are not a contiguous daily range")
        for name, panel in (("market_cap", self.market_cap), ("volume", self.volume)):
            if panel is None:
                continue
            if not (panel.index.equals(index) and panel.columns.equals(self.close.columns)):
                raise DataError(f"{self.source}: the {name} panel is not aligned with close")
        if not self.close.columns.is_monotonic_increasing:
            raise DataError(f"{self.source}: asset columns must be sorted by id")

    # ------------------------------------------------------------------ basics
    @property
    def dates(self) -> pd.DatetimeIndex:
        return self.close.index  # type: ignore[return-value]

    @property
    def asset_ids(self) -> pd.Index:
        return self.close.columns

    @property
    def start(self) -> pd.Timestamp:
        return self.dates[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.dates[-1]

    def __repr__(self) -> str:
        return (
            f"Market({len(self.asset_ids)} assets, {self.start.date()} .. {self.end.date()}, "
            f"{len(self.dates)} days, source={self.source!r})"
        )

    @cached_property
    def close_values(self) -> np.ndarray:
        """``close`` as a read-only C-ordered (date x asset) array, made once."""
        return _frozen(self.close.to_numpy(dtype=np.float64))

    @cached_property
    def _bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each asset's first and last valid row and its rows without a valid close
        between them, in one read of the close panel (:func:`indexlab.fill.valid_bounds`),
        made once. No run needs more of a new Market: the kernel carries the last valid
        closes itself (issue 17, item 1)."""
        return tuple(_frozen(values) for values in valid_bounds(self.close_values))

    @cached_property
    def _filled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The close panel filled forward and each asset's first and last valid row, in
        one pass (:func:`indexlab.fill.fill_and_bounds`), made when first asked for."""
        filled, first, last = fill_and_bounds(self.close_values)
        return _frozen(filled), _frozen(first), _frozen(last)

    @property
    def close_ffill_values(self) -> np.ndarray:
        """The last valid close up to each date (0 before an asset's first): what a
        holding is worth on a day without a valid close. Made when first asked for (a
        panel as large as ``close``; the engine does not use it)."""
        return self._filled[0]

    @cached_property
    def market_cap_values(self) -> np.ndarray:
        """``market_cap`` as a read-only C-ordered (date x asset) array, made once."""
        return _frozen(self.market_cap.to_numpy(dtype=np.float64))

    def last_valid_positions(self) -> np.ndarray:
        """Row position of each asset's last valid close (-1 if it never has one)."""
        return self._bounds[1]

    def first_valid_positions(self) -> np.ndarray:
        """Row position of each asset's first valid close (-1 if it never has one)."""
        return self._bounds[0]

    def interior_gap_counts(self) -> np.ndarray:
        """How many rows between each asset's first and last valid close have none (a
        holding is valued at a carried close only there)."""
        return self._bounds[2]

    def with_total_market_cap(
        self, series: pd.Series, source: str | None = None, bad_prints: str = "note"
    ) -> Market:
        """This market with the total market cap beside it, on the market's calendar.

        Days of the market that the series does not cover stay ``NaN``. An asset's
        market cap above the total on the same day is a bad print in one or the other:
        noted, or with ``bad_prints="drop"`` read as unknown, or with ``"error"``
        refused (:mod:`indexlab.quality`).
        """
        from indexlab.quality import caps_above_total, check_policy

        check_policy(bad_prints)
        aligned = series.reindex(self.dates).astype(np.float64).rename("total_market_cap")
        covered = int(aligned.notna().sum())
        name = source or series.attrs.get("source", "") or "the total market cap"
        if covered == 0:
            raise DataError(
                f"{name}: no date in "
                f"common with {self.source} ({self.start.date()} .. {self.end.date()})"
            )
        aligned.attrs = {"source": source or series.attrs.get("source", "")}
        above, found = caps_above_total(self, aligned, name)
        if found and bad_prints == "error":
            raise DataError(found[0])
        market_cap = self.market_cap.mask(above) if bad_prints == "drop" else self.market_cap
        notes = [*self.notes, *series.attrs.get("notes", []), *found]
        market = replace(self, market_cap=market_cap, total_market_cap=aligned, notes=tuple(notes))
        return market._keeping_derived(self)

    def _keeping_derived(self, other: Market) -> Market:
        """This market, with the arrays ``other`` derived from the panels both share (the
        same objects): a market made from another by ``replace`` does not pay again for
        its first run's fill and scans (issue 17, item 1)."""
        for name, panel in _DERIVED.items():
            if name in other.__dict__ and getattr(self, panel) is getattr(other, panel):
                self.__dict__[name] = other.__dict__[name]  # as cached_property stores it
        return self

    @property
    def dominance(self) -> pd.DataFrame:
        """Each asset's market cap over the total market cap (date x asset)."""
        if self.total_market_cap is None:
            raise DataError(
                f"{self.source}: dominance needs the total market cap "
                "(load it with --total-market, or Market.with_total_market_cap)"
            )
        return self.market_cap.div(self.total_market_cap, axis=0)

    def has_tag(self, tag: str) -> np.ndarray:
        """Boolean array over ``asset_ids``: which assets carry ``tag``."""
        return np.array([tag in self.tags.get(a, ()) for a in self.asset_ids], dtype=bool)

    @property
    def known_tags(self) -> set[str]:
        return set().union(*self.tags.values()) if self.tags else set()

    # --------------------------------------------------------------- resolving
    def resolve_asset(self, name: str, *, field_name: str = "asset") -> str:
        """Turn an asset id or an unambiguous symbol into an asset id.

        Ids match exactly; symbols match case-insensitively. A symbol shared by
        several assets is an error that lists the candidates.
        """
        if name in self.close.columns:
            return name
        symbols = self.assets["symbol"].astype("string").str.lower()
        matches = list(symbols.index[symbols == name.lower()])
        if len(matches) == 1:
            return str(matches[0])
        if len(matches) > 1:
            listing = ", ".join(
                f"{m} ({self.assets.at[m, 'name']})" if self.assets.at[m, "name"] else str(m)
                for m in sorted(matches)
            )
            raise SpecError(
                f"{field_name}: symbol {name!r} is ambiguous in {self.source}; "
                f"use one of the asset ids: {listing}"
            )
        candidates = list(self.close.columns) + [
            s for s in self.assets["symbol"].dropna().astype(str)
        ]
        close = difflib.get_close_matches(name, candidates, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise SpecError(f"{field_name}: no asset with id or symbol {name!r} in {self.source}{hint}")

    # ------------------------------------------------------------ construction
    @classmethod
    def from_panels(
        cls,
        close: pd.DataFrame,
        market_cap: pd.DataFrame,
        volume: pd.DataFrame | None = None,
        *,
        assets: pd.DataFrame | None = None,
        tags: Mapping[str, Iterable[str]] | None = None,
        source: str = "in-memory data",
        synthetic: bool = False,
        source_path: str | None = None,
        source_sha256: str | None = None,
        notes: tuple[str, ...] = (),
        dated_tags: pd.DataFrame | None = None,
    ) -> Market:
        """Build a Market from wide panels, reindexed to a contiguous daily calendar.

        Invalid closes and market caps (not finite, or <= 0) become ``NaN``.
        ``dated_tags`` (``asset, tag, effective_from``) date tags; their tags join ``tags``.
        """
        index = pd.DatetimeIndex(close.index)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        if len(index) == 0:
            raise DataError(f"{source}: no rows")
        calendar = pd.date_range(index.min().normalize(), index.max().normalize(), freq="D")
        calendar.name = "date"
        columns = pd.Index(sorted(map(str, close.columns)), name="asset")
        axes = _PanelAxes(index, calendar, columns)
        if dated_tags is not None:
            dated_tags = dated_tags[dated_tags["asset"].astype(str).isin(columns)]
            dated_tags = dated_tags.reset_index(drop=True)
        return cls(
            close=axes.align(close, True, "close", source),
            market_cap=axes.align(market_cap, True, "market_cap", source),
            volume=axes.align(volume, False, "volume", source) if volume is not None else None,
            assets=axes.names(assets),
            tags=axes.tags(tags or {}, dated_tags),
            source=source,
            synthetic=synthetic,
            source_path=source_path,
            source_sha256=source_sha256,
            notes=notes,
            dated_tags=dated_tags,
        )

    def restrict(self, end: pd.Timestamp | str | None = None) -> Market:
        """The market as known at the close of ``end``: rows after it dropped."""
        if end is None:
            return self
        end_ts = pd.Timestamp(end)
        keep = self.dates <= end_ts
        if not keep.any():
            raise DataError(f"{self.source}: no data on or before {end_ts.date()}")
        sl = slice(None, int(keep.sum()))
        return replace(
            self,
            close=self.close.iloc[sl],
            market_cap=self.market_cap.iloc[sl],
            volume=None if self.volume is None else self.volume.iloc[sl],
            total_market_cap=None
            if self.total_market_cap is None
            else self.total_market_cap.iloc[sl],
        )
