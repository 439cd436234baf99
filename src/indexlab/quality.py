"""Checks of market values: the documented ranges (errors) and bad prints (notes).

Ranges (docs/design-notes.md, "Bad prints and dates"): a date from
:data:`DATE_FLOOR` (2009-01-03, the Bitcoin genesis block) to today (UTC); a close in
(0, :data:`PRICE_MAX`]; a market cap and a volume up to :data:`MARKET_CAP_MAX` and
:data:`VOLUME_MAX`, finite. Outside them a value is an error that names the file, row
and column (the long-table reader raises it).

A **bad print** is a run of an asset's closes (or market caps) at least
:data:`BAD_PRINT_FACTOR` times above or below the value before it that comes back
within that factor of it no more than :data:`BAD_PRINT_MAX_DAYS` days later: a feed's
glitch, not a market (a real crash does not come back; an asset whose last days jump
has nothing to come back to and is left alone). Bad prints are found on whole panels
with numpy (no loop over dates or assets) and reported as one note per asset naming
the dates; ``bad_prints`` says what loading does with them: ``"note"`` (keep them, the
default), ``"drop"`` (read them as missing, like a day without data) or ``"error"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexlab.errors import DataError

if TYPE_CHECKING:
    from indexlab.market import Market

DATE_FLOOR = pd.Timestamp("2009-01-03")
PRICE_MAX = 1e12
MARKET_CAP_MAX = 1e15
VOLUME_MAX = 1e15
BAD_PRINT_FACTOR = 1000.0
BAD_PRINT_MAX_DAYS = 30
BAD_PRINTS = ("note", "drop", "error")
RULE = (
    f"x{BAD_PRINT_FACTOR:g} or more away from the day before, back within {BAD_PRINT_MAX_DAYS} days"
)
# Assets listed one note each; the rest share one note.
NOTE_ASSETS = 10


def today() -> pd.Timestamp:
    """Today's UTC calendar day, tz-naive (the last date data may hold)."""
    return pd.Timestamp.now(tz="UTC").normalize().tz_localize(None)


def date_range_text() -> str:
    return f"{DATE_FLOOR.date()} (the Bitcoin genesis block) .. {today().date()} (today, UTC)"


def check_date_range(dates: pd.DatetimeIndex, where: Callable[[int], str]) -> None:
    """A date (tz-naive) before :data:`DATE_FLOOR` or after today is an error; ``where``
    names the row at position ``i`` (file, row, column)."""
    outside = np.asarray((dates < DATE_FLOOR) | (dates > today()))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataError(
            f"{where(i)}: {dates[i].date()} is outside the valid range {date_range_text()}"
        )


LIMITS = {"close": PRICE_MAX, "market_cap": MARKET_CAP_MAX, "volume": VOLUME_MAX}
# What an error says of a value outside its column's range.
RANGES = {
    "close": f"is outside the valid range (0, {PRICE_MAX:g}] (a price in USD)",
    "market_cap": f"is outside the valid range [0, {MARKET_CAP_MAX:g}] (USD; missing, zero or "
    "negative means unknown)",
    "volume": f"is outside the valid range [0, {VOLUME_MAX:g}] (USD; missing or negative "
    "means unknown)",
}


def first_above_range(values: np.ndarray, column: str) -> int | None:
    """The position of the first value of ``column`` that is infinite or above its
    limit (NaN is missing, not out of range), or None."""
    outside = np.isinf(values) | (values > LIMITS[column])
    return int(np.flatnonzero(outside)[0]) if outside.any() else None


def check_policy(bad_prints: str) -> None:
    if bad_prints not in BAD_PRINTS:
        raise DataError(
            f"bad_prints: {bad_prints!r} is not one of {', '.join(repr(b) for b in BAD_PRINTS)}"
        )


CELLS_PER_BLOCK = 1 << 20  # the screens read panels in blocks of rows of this size


def _valid(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (values > 0.0) & (values < np.inf)


def _away(value: np.ndarray, level: np.ndarray, factor: float) -> np.ndarray:
    """Whether ``value`` is at least ``factor`` times above or below ``level``."""
    with np.errstate(invalid="ignore", over="ignore"):
        return (value >= level * factor) | (level >= value * factor)


def _jumps(panel: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every valid value (finite, > 0) at least ``factor`` times away from the last
    valid value before it in its column: (row, col, row of that last value), by row.

    Blocks of rows, each compared with the row above; only a value after a gap (the
    row above not valid) looks further back, through the last valid row of its column
    (a running maximum of row numbers, carried from block to block). Temporaries are
    the size of a block, never of the panel."""
    n_rows, n_cols = panel.shape
    step = max(1, CELLS_PER_BLOCK // max(n_cols, 1))
    carry = np.full(n_cols, -1, dtype=np.int64)  # last valid row before the block's rows
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for r0 in range(1, n_rows, step):
        r1 = min(r0 + step, n_rows)
        block = panel[r0 - 1 : r1]
        ok = _valid(block)
        value, above, valid, valid_above = block[1:], block[:-1], ok[1:], ok[:-1]
        rows, cols = np.divmod(
            np.flatnonzero(valid & valid_above & _away(value, above, factor)), n_cols
        )
        found.append((rows + r0, cols, rows + r0 - 1))
        rows, cols = np.divmod(np.flatnonzero(valid > valid_above), n_cols)  # after a gap
        if len(rows):
            last = np.where(valid_above, np.arange(r0 - 1, r1 - 1, dtype=np.int32)[:, None], -1)
            np.maximum.accumulate(last, axis=0, out=last)
            base = np.maximum(last[rows, cols], carry[cols])
            rows, cols, base = rows[base >= 0], cols[base >= 0], base[base >= 0]
            jump = _away(value[rows, cols], panel[base, cols], factor)
            found.append((rows[jump] + r0, cols[jump], base[jump]))
        seen = valid_above.any(axis=0)
        last_seen = r1 - 2 - np.argmax(valid_above[::-1], axis=0)
        carry = np.where(seen, np.maximum(carry, last_seen), carry)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    starts, cols, bases = (
        np.concatenate(parts).astype(np.int64) for parts in zip(*found, strict=True)
    )
    return starts, cols, bases


@dataclass(frozen=True)
class Runs:
    """Bad prints of one (date x asset) panel as runs of rows ``start`` .. ``end - 1``
    (``end``: the row where the value is back) in column ``col``; ``jump``: log10 of the
    first value of the run over the value before it."""

    start: np.ndarray
    end: np.ndarray
    col: np.ndarray
    jump: np.ndarray

    def mask(self, panel: np.ndarray) -> np.ndarray:
        """Boolean (date x asset): the valid values of ``panel`` inside a run."""
        inside = np.zeros(panel.shape, dtype=bool)
        if len(self.start) == 0:
            return inside
        cols, where = np.unique(self.col, return_inverse=True)  # only columns with runs
        marks = np.zeros((panel.shape[0] + 1, len(cols)), dtype=np.int32)
        np.add.at(marks, (self.start, where), 1)
        np.add.at(marks, (self.end, where), -1)
        values = np.asarray(panel)[:, cols]
        with np.errstate(invalid="ignore"):
            inside[:, cols] = (np.cumsum(marks, axis=0)[:-1] > 0) & (values > 0) & (values < np.inf)
        return inside


def _accepted(start: np.ndarray, end: np.ndarray, col: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Which runs (sorted by column, then start) to keep: a run whose level (the value
    at row ``base``, just before it) lies inside a kept run of its column is the way
    back from a bad print, not one. A run's fate depends only on earlier runs, so
    iterating to the fixed point settles chains (a feed flipping between two levels)."""
    key = col * (np.int64(1) << 32)
    keep = np.ones(len(start), dtype=bool)
    for _ in range(len(start) + 1):
        kept = np.flatnonzero(keep)
        # The last kept run of the same column starting at or before each base row.
        k = np.searchsorted(key[kept] + start[kept], key + base, side="right") - 1
        inside = (k >= 0) & (base >= 0)
        hit = kept[np.maximum(k, 0)]
        inside &= (col[hit] == col) & (end[hit] > base) & (hit != np.arange(len(start)))
        if np.array_equal(~inside, keep):
            break
        keep = ~inside
    return keep


def bad_print_runs(
    panel: np.ndarray,
    factor: float = BAD_PRINT_FACTOR,
    max_days: int = BAD_PRINT_MAX_DAYS,
) -> Runs:
    """The bad prints of a (date x asset) panel: values at least ``factor`` times away
    from the value before them that come back within ``factor`` of it at most
    ``max_days`` rows later. Vectorised: numpy over blocks of the panel's rows, then
    over the jumps (few), with temporaries the size of a block, not of the panel."""
    values = np.asarray(panel, dtype=np.float64)
    starts, cols, bases = _jumps(values, float(factor))
    order = np.lexsort((starts, cols))  # by column, then row
    starts, cols, bases = starts[order], cols[order], bases[order]
    level = values[bases, cols]
    # The next max_days rows of each jump's column: is the value back near the level?
    ahead = starts[:, None] + np.arange(1, max_days + 1)
    within = ahead < values.shape[0]
    later = values[np.where(within, ahead, 0), cols[:, None]]
    back = within & _valid(later) & ~_away(later, level[:, None], factor)
    found = back.any(axis=1)
    starts, cols, bases, level = starts[found], cols[found], bases[found], level[found]
    ends = starts + 1 + np.argmax(back[found], axis=1)
    keep = _accepted(starts, ends, cols, bases)
    starts, ends, cols = starts[keep], ends[keep], cols[keep]
    jump = np.log10(values[starts, cols]) - np.log10(level[keep])
    return Runs(starts, ends, cols, jump)


def bad_print_mask(panel: np.ndarray, **kwargs) -> np.ndarray:
    """Boolean (date x asset): which values of ``panel`` are bad prints."""
    return bad_print_runs(panel, **kwargs).mask(panel)


def _spans(dates: pd.DatetimeIndex, rows: np.ndarray) -> str:
    """Rows (sorted) as date spans: ``2021-08-09 .. 2021-08-12, 2021-08-28``."""
    breaks = np.flatnonzero(np.diff(rows) > 1)
    firsts = np.r_[rows[0], rows[breaks + 1]]
    lasts = np.r_[rows[breaks], rows[-1]]
    return ", ".join(
        str(dates[a].date()) if a == b else f"{dates[a].date()} .. {dates[b].date()}"
        for a, b in zip(firsts, lasts, strict=True)
    )


def bad_print_report(market: Market) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The bad prints of ``market``'s closes and market caps (masks, date x asset) and
    one line per asset that has some, naming each column's largest jump and dates."""
    panels = {"close": market.close_values, "market_cap": market.market_cap_values}
    runs = {column: bad_print_runs(panel) for column, panel in panels.items()}
    masks = {column: runs[column].mask(panel) for column, panel in panels.items()}
    lines = []
    for j in np.union1d(runs["close"].col, runs["market_cap"].col):  # each has a masked value
        parts = []
        for column, found in runs.items():
            rows = np.flatnonzero(masks[column][:, j])
            if len(rows):
                mine = found.jump[found.col == j]
                largest = 10.0 ** mine[np.argmax(np.abs(mine))]
                parts.append(f"{column} x{largest:.3g} on {_spans(market.dates, rows)}")
        lines.append(f"{market.asset_ids[j]!r}: {'; '.join(parts)}")
    return masks["close"], masks["market_cap"], lines


def _notes(source: str, lines: list[str], bad_prints: str) -> list[str]:
    what = (
        "dropped (read as missing)"
        if bad_prints == "drop"
        else "kept (bad_prints='drop' or --bad-prints drop excludes them)"
    )
    head = f"{source}: bad prints ({RULE})"
    notes = [f"{head} in {line}; {what}" for line in lines[:NOTE_ASSETS]]
    if len(lines) > NOTE_ASSETS:
        rest = "; ".join(lines[NOTE_ASSETS:])
        notes.append(f"{head} in {len(lines) - NOTE_ASSETS} more assets: {rest}; {what}")
    return notes


def screen_bad_prints(market: Market, bad_prints: str = "note") -> Market:
    """``market`` with its bad prints noted, dropped or refused (``bad_prints``).

    Dropping a close drops that day's market cap with it (a cap is price x supply)."""
    check_policy(bad_prints)
    close_mask, cap_mask, lines = bad_print_report(market)
    if not lines:
        return market
    if bad_prints == "error":
        raise DataError(
            f"{market.source}: bad print ({RULE}): {lines[0]}"
            + (f" (and {len(lines) - 1} more assets)" if len(lines) > 1 else "")
            + "; bad_prints='note' keeps them with a note, 'drop' excludes them"
        )
    notes = (*market.notes, *_notes(market.source, lines, bad_prints))
    if bad_prints == "note":
        return replace(market, notes=notes)
    close = market.close.mask(close_mask)
    market_cap = market.market_cap.mask(close_mask | cap_mask)
    return replace(market, close=close, market_cap=market_cap, notes=notes)


def caps_above_total(market: Market, total: pd.Series, source: str) -> tuple[np.ndarray, list[str]]:
    """Market caps above the total market cap of the same day (``total``, on the
    market's calendar), a bad print in one or the other: a mask (date x asset) and a
    note naming the assets and dates (none if there are none)."""
    with np.errstate(invalid="ignore"):
        above = market.market_cap_values > total.to_numpy(dtype=np.float64)[:, None]
    lines = [
        f"{market.asset_ids[j]!r} on {_spans(market.dates, np.flatnonzero(above[:, j]))}"
        for j in np.flatnonzero(above.any(axis=0))
    ]
    if not lines:
        return above, []
    listed = "; ".join(lines[:NOTE_ASSETS])
    more = f"; and {len(lines) - NOTE_ASSETS} more assets" if len(lines) > NOTE_ASSETS else ""
    note = f"{market.source}: market cap above the total market cap ({source}): {listed}{more}"
    return above, [note]


def screen_long_table(
    frame: pd.DataFrame, bad_prints: str, origin: str
) -> tuple[pd.DataFrame, list[str]]:
    """A long table (``date`` UTC, ``asset``, ``close``, ``market_cap``, ...) with its
    bad prints noted, dropped (rows of bad closes removed, bad market caps emptied) or
    refused, and the notes: what ``indexlab data import --bad-prints`` does."""
    from indexlab.sources.long_table import market_from_long

    check_policy(bad_prints)
    market = market_from_long(frame, origin=origin, bad_prints="note")
    close_mask, cap_mask, lines = bad_print_report(market)
    if bad_prints == "error":
        screen_bad_prints(market, "error")
    if not lines or bad_prints != "drop":
        return frame, _notes(origin, lines, bad_prints)
    dates = pd.DatetimeIndex(pd.to_datetime(frame["date"], utc=True)).tz_localize(None)
    rows = market.dates.get_indexer(dates)
    cols = market.asset_ids.get_indexer(frame["asset"].astype(str).str.strip())
    drop_row = close_mask[rows, cols]
    empty_cap = (close_mask | cap_mask)[rows, cols] & ~drop_row
    kept = frame.copy()
    kept.loc[empty_cap, "market_cap"] = np.nan
    return kept.loc[~drop_row].reset_index(drop=True), _notes(origin, lines, bad_prints)
