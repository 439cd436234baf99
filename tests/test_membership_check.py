"""Issue 16, Must show: on every CoinMarketCap snapshot date the index's members (top 100
ex stablecoins, wrapped and staked tokens, lag 0, reviewed on the snapshot's label date)
are the snapshot's own top 100 after the same exclusions, up to the coins the mapping
leaves unmatched. Checked on the snapshot-only table (CMC ids mapped to the CoinGecko
collection); scripts/membership_check.py also measures the merged table (92 %: the
vendors' circulating supplies differ, docs/vendors.md "Membership check").
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import membership_check as check  # noqa: E402


def candidate_folder(shared: Path, folder: Path) -> Path:
    """The CoinGecko files the mapping could pick (a symbol, name or id equal to a
    snapshot's symbol or name: the mapping's candidates), linked into ``folder`` with
    their coins.csv: half the collection, so the import takes half the time."""
    import pandas as pd

    def plain(text) -> str:
        return re.sub("[^a-z0-9]", "", str(text).lower())

    snaps = pd.concat(pd.read_csv(p) for p in sorted((shared / "cmc-snapshots").glob("*.csv")))
    symbols, names = {str(s).lower() for s in snaps["Symbol"]}, {plain(n) for n in snaps["Name"]}
    coins = pd.read_csv(shared / "coingecko-2025" / "coins.csv")
    wanted = coins[
        coins["symbol"].str.lower().isin(symbols)
        | coins["name"].map(plain).isin(names)
        | coins["coin_id"].map(plain).isin(names)
    ]
    (folder / "coins").mkdir()
    for coin in wanted["coin_id"]:
        name = f"{coin}.csv.gz"
        (folder / "coins" / name).symlink_to(shared / "coingecko-2025" / "coins" / name)
    wanted.to_csv(folder / "coins.csv", index=False)
    return folder / "coins"


@pytest.fixture(scope="module")
def snapshot_market(shared_data, tmp_path_factory):
    """The monthly snapshots mapped to the CoinGecko collection: (table, market, unmatched)."""
    import indexlab
    from indexlab.sources.cmc import import_cmc_snapshots
    from indexlab.sources.coingecko import write_long_table
    from indexlab.sources.identity import match_coingecko
    from indexlab.sources.identity_files import load_coingecko_table

    folder = tmp_path_factory.mktemp("cmc")
    table, report = import_cmc_snapshots(shared_data / "cmc-snapshots")
    gecko, name = load_coingecko_table(candidate_folder(shared_data, folder), "snapshot")
    table, mapping = match_coingecko(table, gecko, vendor=report.vendor, coingecko_name=name)
    path = write_long_table(table, folder / "snap.parquet", report)
    listing = mapping.write_csv(folder / "snap.mapping.csv")
    market = indexlab.load_market(path, tags=check.extra_tags())
    return table, market, check.unmatched_keys(listing)


def test_members_are_the_snapshot_top_100_on_every_snapshot_date(snapshot_market):
    table, market, unmatched = snapshot_market
    overlap, misses = check.overlap_table(market, table, unmatched)
    assert len(overlap) == 67  # 2020-01-02 .. 2025-07-02, the label dates of the 1st
    assert (overlap["members"] == 100).all() and (overlap["snapshot_top"] == 100).all()
    assert overlap["overlap_up_to_mapping"].min() >= 0.98, overlap.sort_values("overlap").head()
    # what is left: CMC's rank is not the order of its own market caps near rank 100
    # (2021-04-02: MED and MVL ranked 105 and 109, NANO and 1INCH 110 and 111 with more
    # cap; 2024-08-02: Edelcoin ranked 201 with the 17th largest cap)
    assert set(misses["class"]) <= {"cmc order", "unmatched", "twin"}, misses
    assert overlap["index_only_weight"].max() < 0.005


def test_a_miss_is_classified_by_the_vendors_disagreement(snapshot_market):
    """A coin the snapshot has but the market never saw is 'not listed'; the same rank
    read from CMC's rank or from its caps decides 'cmc order' against 'vendor cap'."""
    import pandas as pd

    table, _, _ = snapshot_market
    day = pd.Timestamp("2021-04-02")
    rows = table[table["date"].dt.tz_localize(None) == day].set_index("asset")
    by_rank = check._kept_order(rows, {}, "rank", True)
    by_cap = check._kept_order(rows, {}, "market_cap", False)
    assert check._classify("no-such-coin", rows, by_rank, by_cap, set(), {}) == "not listed"
    assert check._classify("bitcoin", rows, by_rank, by_cap, set(), {}) == "vendor cap"
    assert check._classify("bitcoin", rows, by_rank, by_cap, {"bitcoin"}, {}) == "unmatched"
