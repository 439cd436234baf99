"""The total crypto market capitalisation, a series beside the Market.

Reads CoinGecko's "Total Crypto Market Cap" export (``snapped_at,market_cap,
total_volume``; ``snapped_at`` in Unix milliseconds or as ``2013-04-28 00:00:00 UTC``)
or a plain ``date,market_cap`` table (CSV or Parquet). One value per UTC day, labelled
with the same day convention as the CoinGecko importer (see
:mod:`indexlab.sources.coingecko`). Gaps stay missing; they are never filled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.errors import DataError
from indexlab.market import TOTAL_MARKET  # noqa: F401 (its name, re-exported)
from indexlab.sources.coingecko import DAY_CONVENTIONS, MS_PER_DAY


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if path.name.lower().endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot be read as a table: {exc}") from None


def load_total_market_cap(path: str | Path, *, day_convention: str = "snapshot") -> pd.Series:
    """The total market cap in USD as a daily Series named ``total_market_cap``.

    Errors name the file, line and column. Values that are missing, zero or negative
    are dropped (the day becomes a gap) and counted in ``series.attrs["notes"]``.
    """
    if day_convention not in DAY_CONVENTIONS:
        raise DataError(f"day convention {day_convention!r} is not one of {DAY_CONVENTIONS}")
    path = Path(path)
    frame = _read(path)
    time_column = next((c for c in ("snapped_at", "date", "timestamp") if c in frame), None)
    value_column = next((c for c in ("market_cap", "total_market_cap") if c in frame), None)
    if time_column is None or value_column is None:
        raise DataError(
            f"{path}: expected columns snapped_at,market_cap (CoinGecko's export) or "
            f"date,market_cap; found: {', '.join(map(str, frame.columns))}"
        )
    stamps = _stamps(frame[time_column], path)
    values = pd.to_numeric(frame[value_column], errors="coerce")
    bad_text = values.isna() & frame[value_column].notna()
    if bad_text.any():
        i = int(np.flatnonzero(bad_text)[0])
        raise DataError(
            f"{path}, line {i + 2}, column {value_column!r}: "
            f"{frame[value_column].iloc[i]!r} is not a number"
        )
    series = _one_a_day(stamps, values.to_numpy(dtype=np.float64), day_convention)
    invalid = ~(np.isfinite(series) & (series > 0))
    notes = []
    if invalid.any():
        notes.append(f"{path}: {int(invalid.sum())} total market caps missing or <= 0 dropped")
    series = series[~invalid]
    if series.empty:
        raise DataError(f"{path}: no valid total market cap")
    calendar = pd.date_range(series.index[0], series.index[-1], freq="D", name="date")
    gaps = len(calendar) - len(series)
    if gaps:
        notes.append(f"{path}: {gaps} days without a total market cap are left as gaps")
    series = series.reindex(calendar)
    series.attrs["source"] = str(path)
    series.attrs["notes"] = notes
    return series


def _stamps(raw: pd.Series, path: Path) -> pd.Series:
    """The time column as UTC timestamps: Unix milliseconds, or text such as
    ``2013-04-28 00:00:00 UTC``; errors name the line."""
    if pd.api.types.is_numeric_dtype(raw):
        if raw.isna().any():
            i = int(np.flatnonzero(raw.isna())[0])
            raise DataError(f"{path}, line {i + 2}, column {raw.name!r}: missing time")
        return pd.to_datetime(raw.astype(np.int64), unit="ms", utc=True)
    text = raw.astype("string").str.replace(" UTC", "", regex=False)
    stamps = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if stamps.isna().any():
        i = int(np.flatnonzero(stamps.isna())[0])
        raise DataError(f"{path}, line {i + 2}, column {raw.name!r}: cannot parse {raw.iloc[i]!r}")
    return stamps


def _one_a_day(stamps: pd.Series, values: np.ndarray, day_convention: str) -> pd.Series:
    """One value per labelled day: a 00:00 UTC snapshot stands for its own date or
    (``previous``) the day before; of several points on a day the snapshot wins, else
    the day's last point."""
    epoch = pd.Timestamp(0, tz="UTC")
    ms = ((stamps - epoch) // pd.Timedelta(milliseconds=1)).to_numpy(dtype=np.int64)
    midnight = ms % MS_PER_DAY == 0
    day = ms // MS_PER_DAY
    label = np.where(midnight & (day_convention == "previous"), day - 1, day)
    order = np.lexsort((ms, midnight, label))
    last_of_day = np.ones(len(order), dtype=bool)
    last_of_day[:-1] = label[order][1:] != label[order][:-1]
    kept = order[last_of_day]
    dates = pd.DatetimeIndex(pd.to_datetime(label[kept], unit="D"), name="date")
    return pd.Series(values[kept], index=dates, name="total_market_cap")
