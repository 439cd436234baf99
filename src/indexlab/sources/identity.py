"""Identity across vendors: CoinMarketCap coins mapped to the CoinGecko ids of a collection.

A vendor key (``cmc:<symbol>:<name-slug>`` for snapshots, ``cmc:<slug>`` for daily
pages) is compared with every CoinGecko coin that shares its symbol or its name (a
CoinGecko name, or id, equal to the key's name once case, spaces and punctuation are
ignored). Three kinds of evidence:

- **symbol**: the same symbol (case ignored);
- **name**: the same normalised name, or the CoinGecko id equal to the name or slug;
- **price**: on the dates both vendors have (the same moment: the tables must share a
  day convention), the prices agree within :data:`PRICE_TOLERANCE` on at least
  :data:`AGREE_SHARE` of them; *disagrees* when they do not; *unknown* without a
  shared date.

A candidate is **accepted** when the price agrees and the symbol or the name matches,
or, without shared dates, when both symbol and name match. Keys without a symbol (the
daily pages) also take candidates whose name contains theirs or is contained in it,
accepted when prices agree on at least :data:`SIMILAR_MIN_DAYS` days. One accepted
candidate (or, of several, the one that alone has the best name evidence: symbol and
name, else name, else a containing name) is a **match**; several are **ambiguous**;
none is **unmatched** (ambiguous when a symbol-and-name candidate was refused for its
prices, so that a person looks). A matched key whose rows outside the matched coin's
life are another coin's by price was reused: those rows take that coin's id
(:mod:`indexlab.sources.identity_reused`). Two keys on the same day never share
an id: the weaker claim (less evidence, then fewer agreeing days) keeps its own id and
is listed as ambiguous. Unmatched and ambiguous keys keep their own id. An override
file (``key,coingecko_id``; ``none`` keeps the own id, a ``cmc:`` value names another
own id) wins over all of this. docs/vendors.md has the worked example.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from indexlab.errors import DataError
from indexlab.sources.identity_files import (
    LISTING_COLUMNS,
    STATUSES,
    MappingReport,
    check_override_ids,
)
from indexlab.sources.identity_reused import split_reused_keys

PRICE_TOLERANCE = 0.10  # |price ratio - 1| at most 10 % on a day counts as agreeing
AGREE_SHARE = 0.6  # ... on at least 60 % of the shared days
SIMILAR_MIN_DAYS = 30  # a similar name alone (no symbol to compare) needs this many days


def normalised(text: object) -> str:
    """Lower-case letters and digits only: ``"Binance Coin"`` and ``binancecoin`` agree."""
    return "" if text is None or pd.isna(text) else re.sub(r"[^0-9a-z]", "", str(text).lower())


# ------------------------------------------------------------------ candidates
def _keys(table: pd.DataFrame) -> pd.DataFrame:
    """One row per vendor key: symbol, name, the name to match, rows, dates, best rank."""
    by_key = table.groupby("asset", sort=True)
    keys = pd.DataFrame(
        {
            "symbol": by_key["symbol"].last() if "symbol" in table else None,
            "name": by_key["name"].last() if "name" in table else None,
            "rows": by_key.size(),
            "first_date": by_key["date"].min().dt.strftime("%Y-%m-%d"),
            "last_date": by_key["date"].max().dt.strftime("%Y-%m-%d"),
        }
    )
    keys["best_rank"] = by_key["rank"].min() if "rank" in table else np.nan
    # Daily pages have no name: their slug (the key after "cmc:") is one.
    slugs = keys.index.str.split(":").str[-1]
    keys["name_norm"] = [
        normalised(n) or normalised(s) for n, s in zip(keys["name"], slugs, strict=True)
    ]
    keys["symbol_norm"] = [normalised(s) for s in keys["symbol"]]
    return keys


def _catalogue(coingecko: pd.DataFrame) -> pd.DataFrame:
    """One row per CoinGecko id: symbol and name, normalised, and the id normalised."""
    by_id = coingecko.groupby("asset", sort=True)
    cat = pd.DataFrame(
        {
            "cg_symbol": by_id["symbol"].last() if "symbol" in coingecko else None,
            "cg_name": by_id["name"].last() if "name" in coingecko else None,
        }
    )
    cat["symbol_norm"] = [normalised(s) for s in cat["cg_symbol"]]
    cat["name_norm"] = [normalised(n) for n in cat["cg_name"]]
    cat["id_norm"] = [normalised(i) for i in cat.index]
    return cat


def _candidates(keys: pd.DataFrame, cat: pd.DataFrame) -> pd.DataFrame:
    """(key, cg_id) pairs sharing a symbol or a name (or, for keys without a symbol, a
    name that contains the other), with the flags ``by_symbol``, ``by_name``, ``similar``."""
    left = keys.reset_index(names="key")[["key", "symbol_norm", "name_norm"]]
    right = cat.reset_index(names="cg_id")[["cg_id", "symbol_norm", "name_norm", "id_norm"]]
    parts = [_containing(left[left["symbol_norm"] == ""], right)]
    for lcol, rcol, flag in (
        ("symbol_norm", "symbol_norm", "by_symbol"),
        ("name_norm", "name_norm", "by_name"),
        ("name_norm", "id_norm", "by_name"),
    ):
        found = left[left[lcol] != ""].merge(right[right[rcol] != ""], left_on=lcol, right_on=rcol)
        parts.append(found[["key", "cg_id"]].assign(**{flag: True}))
    pairs = pd.concat(parts, ignore_index=True)
    for flag in ("by_symbol", "by_name"):
        pairs[flag] = pairs[flag].fillna(False).astype(bool) if flag in pairs else False
    pairs = pairs.groupby(["key", "cg_id"], as_index=False)[["by_symbol", "by_name"]].any()
    mine = keys["name_norm"].reindex(pairs["key"]).to_numpy()
    names = cat["name_norm"].reindex(pairs["cg_id"]).to_numpy()
    ids = cat["id_norm"].reindex(pairs["cg_id"]).to_numpy()
    pairs["similar"] = [
        _contains(a, b) or _contains(a, c) for a, b, c in zip(mine, names, ids, strict=True)
    ]
    sym = keys["symbol_norm"].reindex(pairs["key"]).to_numpy()
    pairs["by_symbol"] = (sym == cat["symbol_norm"].reindex(pairs["cg_id"]).to_numpy()) & (
        sym != ""
    )
    pairs["no_symbol"] = sym == ""
    return pairs


def _contains(a: str, b: str) -> bool:
    """One name holds the other (``golemnetworktokens`` and ``golem``), four letters or more."""
    return min(len(a), len(b)) >= 4 and (a in b or b in a)


def _containing(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Pairs whose names contain each other, for keys without a symbol (daily pages)."""
    theirs = [
        (cg_id, name)
        for cg_id, *names in zip(right["cg_id"], right["name_norm"], right["id_norm"], strict=True)
        for name in set(names)
        if len(name) >= 4
    ]
    found = [
        (key, cg_id)
        for key, mine in zip(left["key"], left["name_norm"], strict=True)
        if len(mine) >= 4
        for cg_id, name in theirs
        if mine in name or name in mine
    ]
    return pd.DataFrame(found, columns=["key", "cg_id"]).drop_duplicates()


def _utc(dates: pd.Series) -> pd.Series:
    """Dates as tz-aware UTC, whether they came naive or aware."""
    return pd.to_datetime(dates, utc=True)


def _price_evidence(pairs: pd.DataFrame, table: pd.DataFrame, coingecko: pd.DataFrame) -> None:
    """``shared``, ``agree`` (days) and ``ratio`` (median vendor / CoinGecko) per pair."""
    ours = table[["asset", "date", "close"]].rename(columns={"asset": "key"})
    ours["date"] = _utc(ours["date"])
    ours = ours.merge(pairs[["key", "cg_id"]], on="key")
    theirs = coingecko[["asset", "date", "close"]].rename(
        columns={"asset": "cg_id", "close": "cg_close"}
    )
    theirs["date"] = _utc(theirs["date"])
    both = ours.merge(theirs[theirs["cg_id"].isin(pairs["cg_id"])], on=["cg_id", "date"])
    both["ratio"] = both["close"] / both["cg_close"]
    both["ok"] = (both["ratio"] - 1).abs() <= PRICE_TOLERANCE
    stats = both.groupby(["key", "cg_id"]).agg(
        shared=("ok", "size"), agree=("ok", "sum"), ratio=("ratio", "median")
    )
    found = pd.MultiIndex.from_frame(pairs[["key", "cg_id"]])
    for column in ("shared", "agree", "ratio"):
        values = stats[column].reindex(found).to_numpy(dtype=float)
        pairs[column] = np.nan_to_num(values) if column != "ratio" else values
    with np.errstate(invalid="ignore", divide="ignore"):
        share = pairs["agree"] / pairs["shared"]
    pairs["price"] = np.where(
        pairs["shared"] == 0, "unknown", np.where(share >= AGREE_SHARE, "agrees", "disagrees")
    )


# ------------------------------------------------------------------ decisions
def _kinds(pair: dict) -> list[str]:
    """The name evidence of a pair: symbol, name, or a similar name."""
    kinds = [k for k, on in (("symbol", pair["by_symbol"]), ("name", pair["by_name"])) if on]
    return kinds if pair["by_name"] or not pair["similar"] else [*kinds, "similar name"]


def _describe(pair: dict) -> str:
    kinds = _kinds(pair)
    price = (
        f"price {int(pair['agree'])}/{int(pair['shared'])} days"
        if pair["shared"]
        else "no shared days"
    )
    ratio = f", ratio {pair['ratio']:.3g}" if pair["shared"] else ""
    return f"{pair['cg_id']} ({'+'.join(kinds)}; {price}{ratio})"


def _accepted(pair: dict) -> bool:
    """Whether a candidate is accepted (module docstring). Without a symbol, a name that
    contains the other counts when prices agree on enough days (CMC's
    golem-network-tokens is CoinGecko's golem)."""
    named = pair["by_symbol"] or pair["by_name"]
    similar = pair["similar"] and pair["no_symbol"] and pair["shared"] >= SIMILAR_MIN_DAYS
    if pair["price"] == "agrees":
        return bool(named or similar)
    return bool(pair["by_symbol"] and pair["by_name"] and not pair["shared"])


def _decide(pairs: list[dict]) -> tuple[str, str | None, dict | None, str]:
    """``status``, the accepted pair's id and the pair, and the reason, for one key."""
    if not pairs:
        return "unmatched", None, None, "no CoinGecko coin with this symbol or name"
    accepted = [p for p in pairs if _accepted(p)]
    if len(accepted) > 1:
        accepted = _narrow(accepted)
        if len(accepted) != 1:
            return "ambiguous", None, None, "several CoinGecko coins fit"
    if len(accepted) == 1:
        return "matched", accepted[0]["cg_id"], accepted[0], ""
    if any(p["by_symbol"] and p["by_name"] for p in pairs):
        return "ambiguous", None, None, "symbol and name match but the prices disagree"
    if all(p["price"] == "unknown" for p in pairs):
        return "unmatched", None, None, "a candidate shares the symbol or name only, no shared days"
    return "unmatched", None, None, "candidates share the symbol or name only; prices disagree"


def _narrow(accepted: list[dict]) -> list[dict]:
    """Of several accepted candidates, the one with the best name evidence: symbol and
    name, else the name, else a name that contains the other ("Tether USDt" and
    "Tether", not the bridged USDTs); none when two tie at the best level."""
    for tier in (
        lambda p: p["by_symbol"] and p["by_name"],
        lambda p: p["by_name"],
        lambda p: p["similar"],
    ):
        best = [p for p in accepted if tier(p)]
        if best:
            return best if len(best) == 1 else []
    return []


def _evidence(pair: dict) -> str:
    kinds = _kinds(pair)
    if pair["price"] == "agrees":
        kinds.append(f"price {int(pair['agree'])}/{int(pair['shared'])} days")
    return "+".join(kinds)


def _strength(pair: dict) -> tuple[int, float]:
    """How strong a claim is: the kinds of evidence, then the agreeing days."""
    kinds = int(pair["by_symbol"]) + int(pair["by_name"]) + int(pair["price"] == "agrees")
    return kinds, float(pair["agree"])


def _listing(keys: pd.DataFrame, pairs: pd.DataFrame, overrides: dict[str, str]) -> pd.DataFrame:
    """The per-key listing: status, the id each key gets, evidence, reason, candidates."""
    by_key: dict[str, list[dict]] = {}
    for pair in pairs.to_dict("records"):
        by_key.setdefault(pair["key"], []).append(pair)
    rows = []
    for key, meta in zip(keys.index, keys.to_dict("records"), strict=True):
        mine = by_key.get(key, [])
        status, cg_id, chosen, reason = _decide(mine)
        evidence = _evidence(chosen) if chosen else ""
        strength = _strength(chosen) if chosen else (0, 0.0)
        if key in overrides:
            value = overrides[key]
            status, evidence, reason = "override", "override file", ""
            cg_id = None if value == "none" or value.startswith("cmc:") else value
            strength = (99, 0.0)
            own = value if value.startswith("cmc:") else key
        else:
            own = key
        rows.append(
            {
                "key": key,
                "symbol": meta["symbol"],
                "name": meta["name"],
                "status": status,
                "asset": cg_id or own,
                "coingecko_id": cg_id or "",
                "evidence": evidence,
                "reason": reason,
                "candidates": "; ".join(_describe(p) for p in mine),
                "rows": int(meta["rows"]),
                "first_date": meta["first_date"],
                "last_date": meta["last_date"],
                "best_rank": meta["best_rank"],
                "strength": strength,
            }
        )
    return pd.DataFrame(rows)


def _resolve_conflicts(listing: pd.DataFrame, table: pd.DataFrame) -> None:
    """Two keys on one day never share an id: the stronger claim keeps it, the others
    (all of them on a tie) keep their own id and become ambiguous. In place."""
    while True:
        asset_of = dict(zip(listing["key"], listing["asset"], strict=True))
        days = pd.DataFrame({"date": table["date"].to_numpy(), "key": table["asset"].to_numpy()})
        days["asset"] = days["key"].map(asset_of)
        clash = days[days.duplicated(["date", "asset"], keep=False)]
        if clash.empty:
            return
        for asset, group in clash.groupby("asset", sort=True):
            involved = listing[listing["key"].isin(group["key"].unique())]
            ranked = involved.sort_values("strength", ascending=False, kind="stable")
            strengths = ranked["strength"].tolist()
            keep = ranked.index[0] if strengths[0] > strengths[1] else None
            day = pd.Timestamp(group["date"].iloc[0]).date()
            for index, row in ranked.iterrows():
                if index == keep:
                    continue
                if row["status"] == "override":
                    others = ", ".join(k for k in ranked["key"] if k != row["key"])
                    raise DataError(
                        f"override {row['key']!r} -> {asset!r}: {others} also has {asset!r} on "
                        f"{day}; two coins of one day cannot share an id"
                    )
                winner = (
                    f"{ranked.loc[keep, 'key']} (stronger evidence)"
                    if keep is not None
                    else "a tie"
                )
                listing.loc[index, ["status", "asset", "coingecko_id", "evidence"]] = [
                    "ambiguous",
                    row["key"],
                    "",
                    "",
                ]
                listing.loc[index, "reason"] = (
                    f"would share {asset} with {winner} on {day}: keeps its own id"
                )


def match_coingecko(
    table: pd.DataFrame,
    coingecko: pd.DataFrame,
    *,
    vendor: str,
    coingecko_name: str = "CoinGecko",
    overrides: dict[str, str] | None = None,
    overrides_origin: str = "overrides",
) -> tuple[pd.DataFrame, MappingReport]:
    """Map a vendor long table's own ids (``asset``) to CoinGecko ids.

    Args:
        table: a CMC long table (:mod:`indexlab.sources.cmc`), ``asset`` holding own ids.
        coingecko: a CoinGecko long table (``date, asset, close, symbol, name``) with
            the same day convention as ``table``.
        overrides: ``key -> coingecko id | 'none' | 'cmc:...'``
            (:func:`indexlab.sources.identity_files.read_overrides`).
    Returns the table with ``asset`` mapped and ``vendor_key`` (the own id) added, and
    the report whose ``listing`` has one row per key.
    """
    overrides = overrides or {}
    keys = _keys(table)
    cat = _catalogue(coingecko)
    check_override_ids(overrides, cat.index, overrides_origin)
    pairs = _candidates(keys, cat)
    _price_evidence(pairs, table, coingecko)
    listing = _listing(keys, pairs, overrides)
    _resolve_conflicts(listing, table)
    listing = listing.drop(columns=["strength"]).sort_values(
        ["status", "best_rank", "key"], kind="stable", ignore_index=True
    )
    report = MappingReport(vendor=vendor, coingecko=coingecko_name, overrides=None)
    report.listing = listing.loc[:, list(LISTING_COLUMNS)]
    rows = listing.groupby("status")["rows"].sum()
    report.counts = {s: int((listing["status"] == s).sum()) for s in STATUSES}
    report.row_share = {s: float(rows.get(s, 0) / max(len(table), 1)) for s in STATUSES}
    report.unknown_override_keys = sorted(set(overrides) - set(keys.index))
    mapped = table.reset_index(drop=True)
    mapped["vendor_key"] = mapped["asset"]
    asset_of = dict(zip(listing["key"], listing["asset"], strict=True))
    mapped["asset"] = pd.array(mapped["asset"].map(asset_of).to_numpy(), dtype="string")
    report.reused = split_reused_keys(
        mapped, listing, coingecko, tolerance=PRICE_TOLERANCE, share=AGREE_SHARE
    )
    return mapped.sort_values(["date", "asset"], kind="stable", ignore_index=True), report
