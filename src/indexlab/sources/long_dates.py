"""The ``date`` column of a long table as day numbers, checked chunk by chunk.

Timestamps (any unit, naive or with a time zone: read as UTC) and dates are read as
integers; text is parsed once per distinct value (a long table repeats each day once
per asset). The checks and their order are those of DESIGN section 2 and
:mod:`indexlab.quality`: a value that cannot be parsed, a missing date, a date outside
2009-01-03 .. today, a time of day. The first row failing the first check in that
order is the one reported, wherever it is in the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from indexlab import quality
from indexlab.errors import DataError
from indexlab.sources.long_columns import Chunk, LongColumns, RowNames, text_codes

# A fault's kind, in the order the checks report them.
CHECKS = ("parse", "missing", "outside", "intraday")
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _stamps(chunk: Chunk) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Timestamps or dates of a chunk as (int64 values, missing, unit), unit ``"D"``
    for dates; None for a chunk of text (or anything else: read as text)."""
    if isinstance(chunk, pd.Series):
        if not pd.api.types.is_datetime64_any_dtype(chunk.dtype):
            return None
        chunk = pa.array(chunk)
    kind = chunk.type
    if pa.types.is_timestamp(kind):
        missing = chunk.is_null().to_numpy(zero_copy_only=False)
        values = chunk.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return values, missing, kind.unit
    if pa.types.is_date32(kind) or pa.types.is_date64(kind):
        missing = chunk.is_null().to_numpy(zero_copy_only=False)
        unit = "D" if pa.types.is_date32(kind) else "ms"
        values = chunk.cast(pa.int32() if unit == "D" else pa.int64()).fill_null(0)
        return values.to_numpy(zero_copy_only=False).astype(np.int64), missing, unit
    return None


def _parsed_text(chunk: Chunk) -> tuple[np.ndarray, np.ndarray, str, np.ndarray]:
    """Text dates parsed once per distinct value (ISO 8601, read as UTC): (int64
    microseconds, unparseable or missing, unit, the codes of the rows)."""
    codes, uniques = text_codes(chunk)
    parsed = pd.to_datetime(
        pd.Series(uniques, dtype="string"), errors="coerce", utc=True, format="ISO8601"
    )
    naive = pd.DatetimeIndex(parsed).tz_localize(None)
    unit = naive.unit
    values = np.append(naive.asi8, 0)  # code -1 (a missing value) reads the last entry
    bad = np.append(np.asarray(naive.isna()), True)
    return values[codes], bad[codes], unit, codes


def _first(mask: np.ndarray) -> int | None:
    return int(np.argmax(mask)) if mask.any() else None


def _check_chunk(chunk: Chunk, offset: int, days: np.ndarray, found: dict) -> None:
    """Day numbers of one chunk into ``days``; the first fault of each kind into
    ``found`` (kind -> (row, detail))."""
    stamps = _stamps(chunk)
    if stamps is None:
        values, bad, unit, _ = _parsed_text(chunk)
        first = _first(bad)
        if first is not None and "parse" not in found:
            found["parse"] = (offset + first, None)
        missing = bad
    else:
        values, missing, unit = stamps
        first = _first(missing)
        if first is not None and "missing" not in found:
            found["missing"] = (offset + first, None)
    per_day = 1 if unit == "D" else 86_400 * _PER_SECOND[unit]
    floor, today = (np.datetime64(d, unit).astype(np.int64) for d in _limits())
    outside = ((values < floor) | (values > today)) & ~missing
    first = _first(outside)
    if first is not None and "outside" not in found:
        found["outside"] = (offset + first, int(values[first] // per_day))
    day = values // per_day
    if per_day > 1:
        intraday = (values != day * per_day) & ~missing
        first = _first(intraday)
        if first is not None and "intraday" not in found:
            stamp = pd.Timestamp(np.datetime64(int(values[first]), unit))
            found["intraday"] = (offset + first, stamp)
    days[offset : offset + len(values)] = day


def _limits() -> tuple[np.datetime64, np.datetime64]:
    return np.datetime64(quality.DATE_FLOOR.date()), np.datetime64(quality.today().date())


class DayReader:
    """Each row's UTC day as days since 1970-01-01 (int32), read batch by batch;
    :meth:`finish` raises the first fault (file, row, column) or returns the days."""

    def __init__(self, n_rows: int) -> None:
        self.days = np.empty(n_rows, dtype=np.int32)
        self.found: dict[str, tuple[int, object]] = {}

    def read(self, chunk: Chunk, offset: int) -> None:
        _check_chunk(chunk, offset, self.days, self.found)

    def finish(self, columns: LongColumns, rows: RowNames) -> np.ndarray:
        for check in CHECKS:
            if check in self.found:
                i, detail = self.found[check]
                raise DataError(_message(check, rows.at(i, "date"), detail, columns, i))
        return self.days


def _message(check: str, at: str, detail: object, columns: LongColumns, i: int) -> str:
    from indexlab.sources.long_table import quote_cell

    if check == "parse":
        raw = columns.cell("date", i)
        return f"{at}: cannot parse {quote_cell(raw)} as a date (expected YYYY-MM-DD, UTC)"
    if check == "missing":
        return f"{at}: missing date"
    if check == "outside":
        day = np.datetime64(int(detail), "D")  # type: ignore[call-overload]
        return f"{at}: {day} is outside the valid range {quality.date_range_text()}"
    return (
        f"{at}: {detail} has a time of day; the long table holds one row per UTC calendar "
        "day (import intraday data with the CoinGecko importer)"
    )
