"""Signal values: bullish, bearish or neutral per asset and day, and 0-100 grades.

A signal is stored as a date x asset frame of ``+1`` (bullish), ``-1`` (bearish),
``0`` (neutral) and ``NaN`` (no value yet) on a contiguous daily calendar. A value
holds until the next value of the same asset, so a file may list every day or only
the days the signal changed; before an asset's first value its signal is unknown.

Grades are a 0-100 score per asset and day. They map to rating bands (strong sell,
sell, neutral, buy, strong buy) by four cut-offs, and to a signal by a threshold:
bullish at or above it, bearish below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.errors import DataError, SpecError
from indexlab.market import Market
from indexlab.sources.long_table import file_sha256, quote_cell, read_table, row_position

BULLISH, BEARISH, NEUTRAL = 1.0, -1.0, 0.0
DIRECTION_NAMES = {BULLISH: "bullish", BEARISH: "bearish", NEUTRAL: "neutral"}
_WORDS = {"bullish": BULLISH, "bearish": BEARISH, "neutral": NEUTRAL}
VALID_VALUES = "bullish, bearish, neutral, +1, -1 or 0"

RATING_LABELS = ("strong sell", "sell", "neutral", "buy", "strong buy")
DEFAULT_CUTOFFS = (20.0, 40.0, 60.0, 80.0)
DEFAULT_THRESHOLD = 50.0


def direction_name(value: float) -> str | None:
    """``'bullish'``, ``'bearish'`` or ``'neutral'`` for +1, -1 or 0; None for NaN."""
    return None if value != value else DIRECTION_NAMES[float(value)]


def _directions(raw: pd.Series) -> tuple[np.ndarray, int | None]:
    """Cells as +1 / -1 / 0 (``NaN`` where missing), and the position of the first
    cell that is not a signal value (None if all are)."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return np.full(len(raw), np.nan), 0 if len(raw) else None
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = raw.astype("string").str.strip().str.lower()
        values = text.map(_WORDS, na_action="ignore").astype("Float64")
        numbers = pd.to_numeric(text.where(values.isna()), errors="coerce")
        values = values.fillna(numbers).to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        values[np.isnan(values) & text.notna().to_numpy()] = np.inf  # unreadable: bad
    bad = ~np.isnan(values) & ~np.isin(values, (BULLISH, BEARISH, NEUTRAL))
    return values, (int(np.flatnonzero(bad)[0]) if bad.any() else None)


def parse_directions(raw: pd.Series, where: str = "signal") -> np.ndarray:
    """Signal cells (words or numbers) as +1 / -1 / 0, ``NaN`` for missing cells.

    Words are case-insensitive; numbers must be exactly 1, -1 or 0. Any other value
    is a :class:`~indexlab.errors.SpecError` naming the first bad date (the index of
    ``raw``); ``where`` says what ``raw`` is.
    """
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise SpecError(f"{where}: booleans are not signal values (use {VALID_VALUES})")
    values, bad = _directions(raw)
    if bad is not None:
        at = raw.index[bad]
        at = at.date() if isinstance(at, pd.Timestamp) else at
        raise SpecError(
            f"{where} on {at}: {quote_cell(raw.iloc[bad])} is not a signal value "
            f"(expected {VALID_VALUES})"
        )
    return values


@dataclass(frozen=True)
class RatingBands:
    """Rating bands of a 0-100 score: below ``cutoffs[0]`` strong sell, then sell,
    neutral, buy, and strong buy at or above ``cutoffs[3]``. A score equal to a
    cut-off belongs to the band above it."""

    cutoffs: tuple[float, float, float, float] = DEFAULT_CUTOFFS

    def __post_init__(self) -> None:
        cuts = tuple(float(c) for c in self.cutoffs)
        if len(cuts) != 4:
            raise SpecError(f"rating cut-offs: need 4 (between 5 bands), got {len(cuts)}")
        if not all(0 < c < 100 for c in cuts) or any(
            b <= a for a, b in zip(cuts, cuts[1:], strict=False)
        ):
            raise SpecError(
                f"rating cut-offs: {', '.join(f'{c:g}' for c in cuts)} must rise strictly "
                "inside (0, 100), e.g. 20, 40, 60, 80"
            )
        object.__setattr__(self, "cutoffs", cuts)

    def rate(self, scores: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        """The band label of each score (``None`` where the score is unknown)."""
        values = np.asarray(scores, dtype=np.float64)
        band = np.searchsorted(np.asarray(self.cutoffs), values, side="right")
        labels = np.array(RATING_LABELS, dtype=object)[np.minimum(band, 4)]
        labels[np.isnan(values)] = None
        if isinstance(scores, pd.DataFrame):
            return pd.DataFrame(labels, index=scores.index, columns=scores.columns, dtype=object)
        return pd.Series(labels, index=scores.index, name=scores.name, dtype=object)


def _contiguous(values: pd.DataFrame) -> pd.DataFrame:
    """The frame on a contiguous daily calendar, each value holding until the next."""
    calendar = pd.date_range(values.index.min(), values.index.max(), freq="D", name="date")
    return values.reindex(calendar).ffill()


def hold_on(
    values: pd.DataFrame | pd.Series, calendar: pd.DatetimeIndex
) -> pd.DataFrame | pd.Series:
    """``values`` on ``calendar``: the last value on or before each date holds."""
    union = values.index.union(calendar)
    return values.reindex(union).ffill().reindex(calendar)


def check_dates(index: pd.Index, where: str) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise SpecError(f"{where}: the index must be dates (a DatetimeIndex)")
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    if (index != index.normalize()).any():
        raise SpecError(f"{where}: dates must be calendar days (one value per UTC day)")
    if index.has_duplicates:
        raise SpecError(f"{where}: duplicated date {index[index.duplicated()][0].date()}")
    return index


@dataclass(frozen=True, eq=False)
class Signal:
    """A signal per asset and day, with the grades it came from, if any.

    Attributes:
        values: date x asset, +1 bullish, -1 bearish, 0 neutral, ``NaN`` before the
            asset's first value; contiguous daily dates, each value holding until the
            next.
        source: what the signal is (a rule such as ``sma-cross 50/200``, or a file).
        scores: date x asset 0-100 grades behind ``values`` (None for a plain signal).
        bands: the rating bands of ``scores``.
        threshold: the score at or above which a grade is bullish (None without grades).
        source_sha256: the SHA-256 of the file read, if any.
    """

    values: pd.DataFrame
    source: str = "in-memory signal"
    scores: pd.DataFrame | None = None
    bands: RatingBands = field(default_factory=RatingBands)
    threshold: float | None = None
    source_sha256: str | None = None

    @property
    def assets(self) -> pd.Index:
        return self.values.columns

    def __repr__(self) -> str:
        dates = self.values.index
        return (
            f"Signal({self.source!r}, {len(self.assets)} asset(s), "
            f"{dates[0].date()} .. {dates[-1].date()})"
        )

    # ---------------------------------------------------------------- making one
    @classmethod
    def from_values(
        cls, values: pd.Series | pd.DataFrame, *, source: str = "in-memory signal"
    ) -> Signal:
        """A signal from a Series (one asset, named by the Series' name) or a date x
        asset DataFrame of words (bullish / bearish / neutral) or numbers (+1 / -1 / 0);
        ``NaN`` means no value that day (the previous one holds)."""
        frame = values.to_frame(values.name or "asset") if isinstance(values, pd.Series) else values
        index = check_dates(frame.index, source)
        parsed = {
            str(column): parse_directions(frame[column], f"{source}, asset {column!r}")
            for column in frame.columns
        }
        table = pd.DataFrame(parsed, index=index).sort_index()
        table.columns.name = "asset"
        if table.empty:
            raise SpecError(f"{source}: the signal has no values")
        return cls(values=_contiguous(table), source=source)

    @classmethod
    def from_scores(
        cls,
        scores: pd.Series | pd.DataFrame,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        bands: RatingBands | None = None,
        source: str = "in-memory grades",
    ) -> Signal:
        """A signal from 0-100 grades: bullish where the score is at or above
        ``threshold``, bearish below it."""
        if not 0 <= threshold <= 100:
            raise SpecError(f"grade threshold: {threshold:g} is not in [0, 100]")
        frame = scores.to_frame(scores.name or "asset") if isinstance(scores, pd.Series) else scores
        index = check_dates(frame.index, source)
        values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
        bad = (~np.isnan(values) & ~((values >= 0) & (values <= 100))) | (
            np.isnan(values) & frame.notna().to_numpy()
        )
        if bad.any():
            row, col = (int(k[0]) for k in np.nonzero(bad))
            raise SpecError(
                f"{source}, asset {frame.columns[col]!r} at {index[row].date()}: "
                f"{quote_cell(frame.iat[row, col])} is not a score from 0 to 100"
            )
        table = pd.DataFrame(values, index=index, columns=frame.columns.map(str)).sort_index()
        table.columns.name = "asset"
        table = _contiguous(table)
        signal = np.where(np.isnan(table), np.nan, np.where(table >= threshold, BULLISH, BEARISH))
        return cls(
            values=pd.DataFrame(signal, index=table.index, columns=table.columns),
            source=source,
            scores=table,
            bands=bands or RatingBands(),
            threshold=float(threshold),
        )

    # ---------------------------------------------------------------- using one
    def on(self, calendar: pd.DatetimeIndex) -> pd.DataFrame:
        """The values on ``calendar``: on each date, the asset's last value on or before
        it (``NaN`` before its first)."""
        return hold_on(self.values, calendar)

    def _column(self, asset: str) -> str:
        if asset in self.values.columns:
            return asset
        listed = ", ".join(map(repr, self.values.columns[:8]))
        more = f" and {len(self.values.columns) - 8} more" if len(self.values.columns) > 8 else ""
        raise SpecError(f"{self.source}: no signal for asset {asset!r} (it has {listed}{more})")

    def series(self, asset: str, calendar: pd.DatetimeIndex | None = None) -> pd.Series:
        """One asset's values, on ``calendar`` if given (see :meth:`on`)."""
        column = self.values[[self._column(asset)]]
        held = column if calendar is None else hold_on(column, calendar)
        return held[asset].rename(asset)

    def score_series(self, asset: str, calendar: pd.DatetimeIndex | None = None) -> pd.Series:
        """One asset's grades (all ``NaN`` for a signal without grades)."""
        if self.scores is None:
            index = self.values.index if calendar is None else calendar
            return pd.Series(np.nan, index=index, name=self._column(asset))
        column = self.scores[[self._column(asset)]]
        held = column if calendar is None else hold_on(column, calendar)
        return held[asset].rename(asset)

    @property
    def ratings(self) -> pd.DataFrame | None:
        """Date x asset rating bands of the grades (None without grades)."""
        return None if self.scores is None else self.bands.rate(self.scores)


# ---------------------------------------------------------------- files
def _parse_file_dates(raw: pd.Series, origin: str, kind: str) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        dates = pd.DatetimeIndex(raw)
        if dates.tz is not None:
            dates = dates.tz_convert("UTC").tz_localize(None)
    else:
        text = raw.astype("string").str.strip()
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        dates = pd.DatetimeIndex(parsed).tz_localize(None)
    bad = np.asarray(dates.isna()) | np.asarray(dates != dates.normalize())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{origin}, {row_position(kind, i)}, column 'date': {quote_cell(raw.iloc[i])} is not a "
            "calendar date (expected YYYY-MM-DD, one value per UTC day)"
        )
    return dates.as_unit("ns")


def _resolve_assets(names: pd.Series, market: Market | None, origin: str, kind: str) -> np.ndarray:
    empty = (names.isna() | (names == "")).to_numpy()
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise DataError(f"{origin}, {row_position(kind, i)}, column 'asset': missing asset")
    if market is None:
        return names.to_numpy(dtype=object)
    resolved: dict[str, str] = {}
    for i, name in enumerate(names):
        if name in resolved:
            continue
        try:
            resolved[name] = market.resolve_asset(name)
        except SpecError as exc:
            message = str(exc).removeprefix("asset: ")
            where = f"{origin}, {row_position(kind, i)}"
            raise DataError(f"{where}, column 'asset': {message}") from None
    return names.map(resolved).to_numpy(dtype=object)


def signal_from_long(
    frame: pd.DataFrame,
    market: Market | None = None,
    *,
    origin: str = "<DataFrame>",
    kind: str = "row",
    threshold: float = DEFAULT_THRESHOLD,
    bands: RatingBands | None = None,
) -> Signal:
    """A signal from a long table ``date, asset, signal`` (or ``date, asset, score`` for
    0-100 grades).

    Assets are ids or unambiguous symbols of ``market`` (when given); an unknown or
    ambiguous asset, a bad value, an unparseable date and a duplicated (date, asset)
    are :class:`~indexlab.errors.DataError` naming ``origin``, the row and the column.
    """
    frame = frame.reset_index(drop=True)
    value_column = _value_column(frame, origin)
    dates = _parse_file_dates(frame["date"], origin, kind)
    assets = _resolve_assets(frame["asset"].astype("string").str.strip(), market, origin, kind)
    values = _cell_values(frame[value_column], origin, kind)
    keys = pd.DataFrame({"date": dates, "asset": assets})
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        same = np.flatnonzero(
            duplicated & (keys["date"] == dates[first]).to_numpy() & (assets == assets[first])
        )
        where = " and ".join(row_position(kind, int(r)) for r in same[:3])
        raise DataError(
            f"{origin}: duplicated date {dates[first].date()} for asset {assets[first]!r} at "
            f"{where}"
        )
    table = pd.Series(values, index=pd.MultiIndex.from_frame(keys)).unstack("asset")
    table.index = pd.DatetimeIndex(table.index, name="date")
    if value_column == "score":
        return Signal.from_scores(table, threshold=threshold, bands=bands, source=origin)
    return Signal.from_values(table, source=origin)


def _value_column(frame: pd.DataFrame, origin: str) -> str:
    """``signal`` or ``score``: the column of values of a long table, checked with its
    ``date`` and ``asset`` columns and its rows."""
    value_column = next((c for c in ("signal", "score") if c in frame.columns), None)
    missing = [c for c in ("date", "asset") if c not in frame.columns]
    if value_column is None or missing:
        need = missing[0] if missing else "signal"
        found = ", ".join(map(str, frame.columns)) or "none"
        raise DataError(
            f"{origin}: missing column {need!r} (a signal file has columns date, asset, "
            f"signal; a grades file date, asset, score; found: {found})"
        )
    if "signal" in frame.columns and "score" in frame.columns:
        raise DataError(f"{origin}: has both 'signal' and 'score' columns; keep one")
    if len(frame) == 0:
        raise DataError(f"{origin}: the table has no rows")
    return value_column


def _cell_values(raw: pd.Series, origin: str, kind: str) -> np.ndarray:
    """The ``signal`` column as +1 / -1 / 0, or the ``score`` column as numbers from 0
    to 100; a missing or other value is an error naming its row."""
    if raw.name == "signal":
        values, first_bad = _directions(raw)
        bad = np.isnan(values)
        if first_bad is not None:
            bad[first_bad] = True
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(values) | ~((values >= 0) & (values <= 100))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "a score from 0 to 100" if raw.name == "score" else "a signal value"
        raise DataError(
            f"{origin}, {row_position(kind, i)}, column {raw.name!r}: "
            f"{quote_cell(raw.iloc[i])} is not {what}"
            + ("" if raw.name == "score" else f" (expected {VALID_VALUES})")
        )
    return values


def read_signal(
    path: str | Path,
    market: Market | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    bands: RatingBands | None = None,
) -> Signal:
    """Read a signal file (CSV or Parquet): ``date, asset, signal`` with values
    bullish / bearish / neutral or +1 / -1 / 0, or ``date, asset, score`` with 0-100
    grades (see :func:`signal_from_long`)."""
    path = Path(path)
    frame, kind = read_table(path)
    signal = signal_from_long(
        frame, market, origin=str(path), kind=kind, threshold=threshold, bands=bands
    )
    return replace(signal, source_sha256=file_sha256(path))
