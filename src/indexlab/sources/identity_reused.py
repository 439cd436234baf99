"""Reused vendor keys: one CMC key, two coins over time.

CoinMarketCap's "Terra" (LUNA) is the old chain until May 2022 and the new chain after
it, under one name and symbol. The mapping (:mod:`indexlab.sources.identity`) compares
prices on the days both vendors have, which are the new chain's, and matches the key to
the new chain's CoinGecko id; every row of the key would then take that id, the old
chain's rows included, and the merged table would hold the old LUNA twice.

The rule: a matched key's rows dated before the matched coin's first CoinGecko price or
after its last one (a *segment*: the matched coin did not trade there, by its own data)
are checked against every CoinGecko coin's price on those days. When exactly one other
coin agrees (within :data:`~indexlab.sources.identity.PRICE_TOLERANCE` on at least
:data:`~indexlab.sources.identity.AGREE_SHARE` of the segment's rows, and on at least
:data:`MIN_ROWS` rows), the segment takes that coin's id: the key was reused. Without
such evidence the segment stays with the match (a CoinGecko history that starts later
than CMC's is common and is not a different coin); with several agreeing coins (pegged
prices) it stays too, and the report says so. A segment whose new id another key already
holds on one of its days keeps the key's own id instead (two coins of one day never share
an id). Worked example: docs/vendors.md, "A key reused by another coin".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_ROWS = 3  # a segment needs this many agreeing rows to move to another coin
# Prices within the tolerance fall in the same or a neighbouring bucket of log price, so
# the search pairs each row only with the coins priced near it on its day.
_BUCKET = 0.2


def _segments(mapped: pd.DataFrame, listing: pd.DataFrame, lives: pd.DataFrame) -> pd.DataFrame:
    """The rows of matched keys outside their coin's life: key, side, date, close, row."""
    matched = listing.loc[listing["status"] == "matched", ["key", "coingecko_id"]]
    rows = mapped[["vendor_key", "date", "close"]].reset_index(names="row")
    rows = rows.merge(matched, left_on="vendor_key", right_on="key")
    rows = rows.merge(lives, left_on="coingecko_id", right_index=True, how="left")
    before = rows["date"] < rows["first"]
    after = rows["date"] > rows["last"]
    rows = rows[before | after].copy()
    rows["side"] = np.where(rows["date"] < rows["first"], "before", "after")
    return rows[["key", "coingecko_id", "side", "date", "close", "row", "first", "last"]]


def _bucketed(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    prices = frame[column].to_numpy(dtype=float)
    ok = np.isfinite(prices) & (prices > 0)
    frame = frame[ok].copy()
    frame["bucket"] = np.floor(np.log(prices[ok]) / _BUCKET).astype(np.int64)
    return frame


def _agreeing(segments: pd.DataFrame, gecko: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """(key, side, cg_id, agree): how many of a segment's rows each CoinGecko coin's
    close agrees with on the same day."""
    mine = _bucketed(segments, "close")
    theirs = _bucketed(gecko, "cg_close")
    pairs = pd.concat(
        [
            mine.assign(bucket=mine["bucket"] + shift).merge(theirs, on=["date", "bucket"])
            for shift in (-1, 0, 1)
        ],
        ignore_index=True,
    )
    pairs = pairs[(pairs["close"] / pairs["cg_close"] - 1).abs() <= tolerance]
    pairs = pairs[pairs["cg_id"] != pairs["coingecko_id"]]
    pairs = pairs.drop_duplicates(["row", "cg_id"])
    return (
        pairs.groupby(["key", "side", "cg_id"], as_index=False)
        .size()
        .rename(columns={"size": "agree"})
    )


def split_reused_keys(
    mapped: pd.DataFrame,
    listing: pd.DataFrame,
    coingecko: pd.DataFrame,
    *,
    tolerance: float,
    share: float,
) -> list[str]:
    """Give the rows of reused keys (module docstring) their coin's id, in ``mapped``
    (``asset`` and ``vendor_key`` columns, the mapping applied). Returns one line per
    segment looked at whose evidence was decisive, for the mapping report."""
    gecko = coingecko[["asset", "date", "close"]].rename(
        columns={"asset": "cg_id", "close": "cg_close"}
    )
    gecko = gecko[np.isfinite(gecko["cg_close"].to_numpy(dtype=float))]
    gecko = gecko.assign(date=pd.to_datetime(gecko["date"], utc=True))
    lives = gecko.groupby("cg_id")["date"].agg(first="min", last="max")
    segments = _segments(
        mapped.assign(date=pd.to_datetime(mapped["date"], utc=True)), listing, lives
    )
    if segments.empty:
        return []
    sizes = segments.groupby(["key", "side"]).size()
    agree = _agreeing(segments, gecko, tolerance)
    agree["rows"] = sizes.reindex(pd.MultiIndex.from_frame(agree[["key", "side"]])).to_numpy()
    agree = agree[(agree["agree"] >= MIN_ROWS) & (agree["agree"] >= share * agree["rows"])]
    lines = []
    taken = set(zip(pd.to_datetime(mapped["date"], utc=True), mapped["asset"], strict=True))
    for (key, side), found in agree.groupby(["key", "side"], sort=True):
        part = segments[(segments["key"] == key) & (segments["side"] == side)]
        edge = part["first"].iloc[0] if side == "before" else part["last"].iloc[0]
        where = (
            f"{key}: its {len(part)} rows {side} {edge.date()} ({part['coingecko_id'].iloc[0]}'s"
        )
        where += " first price)" if side == "before" else " last price)"
        if len(found) > 1:
            lines.append(f"{where} agree with {len(found)} other coins' prices: kept")
            continue
        cg_id, days = found["cg_id"].iloc[0], int(found["agree"].iloc[0])
        clash = any((day, cg_id) in taken for day in part["date"])
        new = key if clash else cg_id
        mapped.loc[part["row"].to_numpy(), "asset"] = new
        reason = f"another key holds {cg_id} on one of those days; own id" if clash else "moved"
        lines.append(f"{where} are {cg_id}'s by price ({days}/{len(part)} days): {reason}")
    return lines
