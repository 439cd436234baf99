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
import pyarrow.compute as pc

from indexlab import quality
from indexlab.errors import DataError
from indexlab.sources.long_columns import Chunk, LongColumns, RowNames, text_codes

# A fault's kind, in the order the checks report them.
CHECKS = ("parse", "missing", "outside", "intraday")
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _distinct(chunk: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, str]:
    """A chunk of dates as codes into its distinct values (a long table repeats each
    day once per asset): (codes, values as int64 in ``unit`` (``"D"`` for dates),
    which values are faults, unit, the kind of those faults). Code -1 (a missing
    value) reads the last entry, a fault."""
    if isinstance(chunk, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(chunk.dtype):
            chunk = pa.array(chunk)
        else:
            return _parsed_text(chunk)
    kind = chunk.type
    if not (pa.types.is_timestamp(kind) or pa.types.is_date32(kind) or pa.types.is_date64(kind)):
        return _parsed_text(chunk)
    encoded = pc.dictionary_encode(chunk)
    codes = encoded.indices
    nulls = codes.null_count > 0
    codes = (pc.fill_null(codes, -1) if nulls else codes).to_numpy(zero_copy_only=False)
    unit = kind.unit if pa.types.is_timestamp(kind) else "D" if pa.types.is_date32(kind) else "ms"
    integers = pa.int32() if unit == "D" else pa.int64()
    values = encoded.dictionary.cast(integers).to_numpy(zero_copy_only=False).astype(np.int64)
    bad = np.zeros(len(values) + 1, dtype=bool)
    bad[-1] = nulls  # the entry code -1 reads
    return codes, np.append(values, 0), bad, unit, "missing"


def _parsed_text(chunk: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, str]:
    """Text dates parsed once per distinct value (ISO 8601, read as UTC), as
    :func:`_distinct` returns them; a value that cannot be parsed is a fault."""
    codes, uniques = text_codes(chunk)
    parsed = pd.to_datetime(
        pd.Series(uniques, dtype="string"), errors="coerce", utc=True, format="ISO8601"
    )
    naive = pd.DatetimeIndex(parsed).tz_localize(None)
    values = np.append(naive.asi8, 0)
    bad = np.append(np.asarray(naive.isna()), True)
    return codes, values, bad, naive.unit, "parse"


def _first_row(codes: np.ndarray, entries: np.ndarray) -> int | None:
    """The first row whose code reads an entry flagged in ``entries`` (None if none)."""
    if not entries.any():
        return None
    rows = entries[codes]
    return int(np.argmax(rows)) if rows.any() else None


def _check_chunk(chunk: Chunk, offset: int, days: np.ndarray, found: dict) -> None:
    """Day numbers of one chunk into ``days``; the first fault of each kind into
    ``found`` (kind -> (row, detail)). The checks run on the distinct values."""
    codes, values, bad, unit, fault = _distinct(chunk)
    first = _first_row(codes, bad)
    if first is not None and fault not in found:
        found[fault] = (offset + first, None)
    per_day = 1 if unit == "D" else 86_400 * _PER_SECOND[unit]
    floor, today = (np.datetime64(d, unit).astype(np.int64) for d in _limits())
    outside = ((values < floor) | (values > today)) & ~bad
    first = _first_row(codes, outside)
    if first is not None and "outside" not in found:
        found["outside"] = (offset + first, int(values[codes[first]] // per_day))
    day = values // per_day
    intraday = (values != day * per_day) & ~bad
    first = _first_row(codes, intraday)
    if first is not None and "intraday" not in found:
        stamp = pd.Timestamp(np.datetime64(int(values[codes[first]]), unit))
        found["intraday"] = (offset + first, stamp)
    days[offset : offset + len(codes)] = day.astype(np.int32)[codes]


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
