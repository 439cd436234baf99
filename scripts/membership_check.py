"""Membership check of issue 16: on every CoinMarketCap snapshot date, does the index pick
the snapshot's own top 100?

The index: top 100 by market cap, stablecoins, wrapped and staked tokens excluded, lag 0,
reviewed monthly on the snapshot's label date (the 2nd under indexlab's default day
convention: CMC's close of the 1st is CoinGecko's 00:00 UTC point of the 2nd,
docs/vendors.md), members read from ``Result.selection()``. The snapshot's own top 100:
its rows in CMC's rank order, the same tags excluded, the first 100.

Every name in one set and not the other is put in one class (``CLASSES``); the overlap
"up to the mapping" counts a miss as explained when it is an unmatched coin or the
CoinGecko twin of one (a CoinGecko coin whose close that day is within 1 % of an
unmatched snapshot coin's: the same coin under two ids, because the mapping missed it).

    python scripts/survivorship_data.py /tmp/h5          # the imports and the merge
    python scripts/membership_check.py /tmp/h5           # prints the table, writes CSV
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

import indexlab
from indexlab.taxonomy import read_tags

ROOT = Path(__file__).resolve().parents[1]
EXCLUDE = ("stablecoin", "wrapped", "staked")
TOP_N = 100
PERIOD = (pd.Timestamp("2020-01-02"), pd.Timestamp("2025-07-07"))
TAGS_FILE = ROOT / "scripts" / "cmc-unmatched-tags.csv"
TWIN_TOLERANCE = 0.01
CLASSES = {
    "unmatched": "a coin the mapping left unmatched (own cmc: id)",
    "twin": "the CoinGecko twin of an unmatched coin (same close that day)",
    "not listed": "in the index, not among the snapshot's 200 rows",
    "vendor cap": "both vendors list it; CoinGecko's cap ranks it across 100, CMC's not",
    "cmc order": "CMC's rank differs from the order of CMC's own caps",
}


def extra_tags() -> dict[str, frozenset[str]]:
    """The tags of unmatched CMC coins (scripts/cmc-unmatched-tags.csv)."""
    return read_tags(TAGS_FILE)


def check_strategy() -> indexlab.Strategy:
    """Top 100 by market cap, lag 0, reviewed monthly on the 2nd, no costs."""
    base = indexlab.Strategy.from_toml(ROOT / "strategies" / "top100-mcap-monthly.toml")
    return base.replace(
        name="membership-check",
        lag_days=0,
        start=PERIOD[0],
        end=PERIOD[1],
        benchmarks=(),
        **{
            "universe.exclude": list(EXCLUDE),
            "universe.top_n": TOP_N,
            "rebalance.anchor": "day",
            "rebalance.day": 2,
            "costs.fee_bps": 0.0,
            "costs.slippage_bps": 0.0,
        },
    )


def index_members(market: indexlab.Market) -> dict[pd.Timestamp, pd.Series]:
    """Review date -> the assets ``Result.selection()`` marks selected, with the market
    cap they were ranked on."""
    selection = indexlab.run(check_strategy(), market).selection()
    chosen = selection[selection["selected"]]
    return {pd.Timestamp(d): g.set_index("asset")["measure"] for d, g in chosen.groupby("date")}


def snapshot_tops(snapshots: pd.DataFrame, tags: dict) -> dict[pd.Timestamp, list[str]]:
    """Snapshot label date -> its first ``TOP_N`` assets by CMC rank, tags excluded."""
    tops = {}
    dates = snapshots["date"].dt.tz_localize(None) if snapshots["date"].dt.tz else snapshots["date"]
    for day, rows in snapshots.assign(day=dates).groupby("day"):
        rows = rows.sort_values(["rank", "asset"])
        kept = [a for a in rows["asset"] if not set(EXCLUDE) & set(tags.get(a, ()))]
        tops[pd.Timestamp(day)] = kept[:TOP_N]
    return tops


def twin_pairs(market: indexlab.Market, snapshots: pd.DataFrame, unmatched: set[str]) -> dict:
    """CoinGecko asset -> the unmatched snapshot key it is the same coin as: closes within
    ``TWIN_TOLERANCE`` on at least 80 % of (and at least 3) shared snapshot days, and at
    most two such assets for the key (a stablecoin's price matches every stablecoin)."""
    rows = snapshots[snapshots["asset"].isin(unmatched)]
    rows = rows.assign(day=rows["date"].dt.tz_localize(None))
    own = rows.pivot_table(index="day", columns="asset", values="close", aggfunc="first")
    closes = market.close.reindex(own.index)
    closes = closes.loc[:, [not str(c).startswith("cmc:") for c in closes.columns]]
    gecko = closes.to_numpy(dtype=float)
    pairs = {}
    for key in own.columns:
        price = own[key].to_numpy(dtype=float)
        days = np.isfinite(price)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.abs(gecko[days] / price[days, None] - 1.0)
        shared, agree = np.isfinite(ratio).sum(axis=0), (ratio < TWIN_TOLERANCE).sum(axis=0)
        found = closes.columns[(shared >= 3) & (agree >= 0.8 * shared)]
        if 0 < len(found) <= 2:
            pairs.update({str(asset): key for asset in found})
    return pairs


def _kept_order(day_rows: pd.DataFrame, tags: dict, column: str, ascending: bool) -> dict:
    """Asset -> position (1 = first) among the rows not excluded, by ``column``."""
    kept = day_rows[[not set(EXCLUDE) & set(tags.get(a, ())) for a in day_rows.index]]
    order = kept.sort_values([column], ascending=ascending, kind="stable").index
    return {a: i + 1 for i, a in enumerate(order)}


def _classify(asset: str, day_rows, by_rank: dict, by_cap: dict, unmatched, twins) -> str:
    if asset in unmatched:
        return "unmatched"
    if asset in twins:
        return "twin"
    if asset not in day_rows.index:
        return "not listed"
    if (by_rank.get(asset, 999) <= TOP_N) != (by_cap.get(asset, 999) <= TOP_N):
        return "cmc order"
    return "vendor cap"


def overlap_table(
    market: indexlab.Market, snapshots: pd.DataFrame, unmatched: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per review date the overlap, raw and up to the mapping (unmatched coins and their
    twins set aside on both sides); and the misses, one row per (date, asset, side)."""
    members = index_members(market)
    tops = snapshot_tops(snapshots, market.tags)
    twins = twin_pairs(market, snapshots, unmatched)
    aside = unmatched | set(twins)
    dates = snapshots["date"].dt.tz_localize(None)
    rows, misses = [], []
    for day in sorted(set(members) & set(tops)):
        day_rows = snapshots[dates == day].set_index("asset")
        by_rank = _kept_order(day_rows, market.tags, "rank", True)
        by_cap = _kept_order(day_rows, market.tags, "market_cap", False)
        top, chosen = set(tops[day]), set(members[day].index)
        caps = members[day]
        for side, names in (("index only", chosen - top), ("snapshot only", top - chosen)):
            for asset in sorted(names):
                kind = _classify(asset, day_rows, by_rank, by_cap, unmatched, twins)
                rank = day_rows["rank"].get(asset, np.nan)
                misses.append(
                    {"date": day, "asset": asset, "side": side, "class": kind,
                     "cmc_rank": rank, "twin_of": twins.get(asset, "")}
                )  # fmt: skip
        top_kept, chosen_kept = top - aside, chosen - aside
        rows.append(
            {
                "date": day,
                "members": len(chosen),
                "snapshot_top": len(top),
                "overlap": len(top & chosen) / len(top),
                "overlap_up_to_mapping": len(top_kept & chosen_kept) / len(top_kept),
                "index_only_weight": caps[sorted(chosen - top)].sum() / caps.sum(),
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(misses)


def unmatched_keys(mapping_csv: Path) -> set[str]:
    """The keys the mapping listing calls unmatched or ambiguous (their own ids)."""
    listing = pd.read_csv(mapping_csv)
    return set(listing.loc[listing["status"] != "matched", "asset"])


VARIANTS = {  # market table: (its snapshot table, that table's mapping listing)
    "snap": ("snap", "snap"),
    "merged": ("snap", "snap"),
    "merged-fixed": ("snap-fixed", "snap-fixed"),
}


def main(folder: str) -> int:
    data = Path(folder)
    for name, (snapshot_name, listing) in VARIANTS.items():
        if not (data / f"{name}.parquet").is_file():
            continue
        snapshots = pd.read_parquet(data / f"{snapshot_name}.parquet")
        unmatched = unmatched_keys(data / f"{listing}.mapping.csv")
        market = indexlab.load_market(data / f"{name}.parquet", tags=extra_tags())
        table, misses = overlap_table(market, snapshots, unmatched)
        table.to_csv(data / f"membership-{name}.csv", index=False)
        misses.to_csv(data / f"membership-{name}-misses.csv", index=False)
        worst = table.loc[table["overlap"].idxmin(), "date"].date()
        print(
            f"== {name}: {len(table)} snapshot dates; overlap mean {table.overlap.mean():.1%},"
            f" min {table.overlap.min():.0%} ({worst}); up to the mapping: mean"
            f" {table.overlap_up_to_mapping.mean():.1%}, min"
            f" {table.overlap_up_to_mapping.min():.0%}; cap weight of the index-only names:"
            f" mean {table.index_only_weight.mean():.2%}, max {table.index_only_weight.max():.2%}"
        )
        if len(misses):
            counts = misses.groupby(["class", "side"]).size().unstack(fill_value=0)
            print(counts.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/h5"))
