"""A CMC key whose coin changed under the same name and symbol: CMC's "Terra" (LUNA) is
the old chain until May 2022 and the new chain after it. The mapping compares prices only
on the days both vendors have, here the new chain's, and sends every row of the key to
the new chain's id, the old chain's rows included (found by the membership check of
issue 16, docs/vendors.md "Membership check"). Expected: rows whose prices are another
CoinGecko coin's (the old chain's) are never given the new chain's id.

Fixed by :mod:`indexlab.sources.identity_reused`: the rows before the new chain's first
CoinGecko price agree with the old chain's prices, so they take its id.
"""

from __future__ import annotations

import pandas as pd

from indexlab.sources.identity import match_coingecko

OLD_DAYS = pd.to_datetime(["2022-03-02", "2022-04-02", "2022-05-02"], utc=True)
NEW_DAYS = pd.to_datetime(["2022-06-02", "2022-07-02", "2022-08-02", "2022-09-02"], utc=True)


def frame(asset: str, days, closes, symbol: str, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"date": days, "asset": asset, "close": closes, "symbol": symbol, "name": name}
    ).assign(market_cap=1.0)


def test_the_old_chains_rows_do_not_take_the_new_chains_id():
    cmc = pd.concat(
        [
            frame("cmc:luna:terra", OLD_DAYS, [100.0, 110.0, 85.0], "LUNA", "Terra"),
            frame("cmc:luna:terra", NEW_DAYS, [5.0, 2.0, 1.8, 1.5], "LUNA", "Terra"),
        ],
        ignore_index=True,
    )
    gecko = pd.concat(
        [  # the old chain lives on as LUNC (its prices fell to ~0.0001 after May 2022)
            frame("terra-luna", OLD_DAYS, [100.0, 110.0, 85.0], "lunc", "Terra Luna Classic"),
            frame("terra-luna", NEW_DAYS, [1e-4, 1e-4, 1e-4, 1e-4], "lunc", "Terra Luna Classic"),
            frame("terra-luna-2", NEW_DAYS, [5.0, 2.0, 1.8, 1.5], "luna", "Terra"),
        ],
        ignore_index=True,
    )
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    old_rows = mapped[mapped["date"] < NEW_DAYS[0]]
    assert list(old_rows["asset"]) == ["terra-luna"] * 3, old_rows[["date", "asset", "close"]]
    new_rows = mapped[(mapped["vendor_key"] == "cmc:luna:terra") & (mapped["date"] >= NEW_DAYS[0])]
    assert set(new_rows["asset"]) == {"terra-luna-2"}
    assert not mapped.duplicated(["date", "asset"]).any()
    assert report.reused == [
        "cmc:luna:terra: its 3 rows before 2022-06-02 (terra-luna-2's first price) are "
        "terra-luna's by price (3/3 days): moved"
    ]
    assert any(line.startswith("reused key cmc:luna:terra") for line in report.lines())


def test_a_coingecko_history_that_starts_later_keeps_the_match():
    """CoinGecko's history of a coin often starts after CMC's: the earlier rows are the
    same coin, not another one, when no other coin's prices agree with them."""
    cmc = pd.concat(
        [
            frame("cmc:abc:alpha", OLD_DAYS, [3.0, 3.3, 2.9], "ABC", "Alpha"),
            frame("cmc:abc:alpha", NEW_DAYS, [5.0, 2.0, 1.8, 1.5], "ABC", "Alpha"),
        ],
        ignore_index=True,
    )
    gecko = pd.concat(
        [
            frame("alpha", NEW_DAYS, [5.0, 2.0, 1.8, 1.5], "abc", "Alpha"),
            frame("other", OLD_DAYS, [90.0, 95.0, 80.0], "oth", "Other"),
        ],
        ignore_index=True,
    )
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert set(mapped.loc[mapped["vendor_key"] == "cmc:abc:alpha", "asset"]) == {"alpha"}
    assert report.reused == []


def test_a_segment_that_agrees_with_several_coins_stays_and_is_reported():
    """Pegged prices agree with every other peg: no single coin to move the rows to."""
    ones = [1.0, 1.0, 1.0]
    cmc = pd.concat(
        [
            frame("cmc:usdx:usdx", OLD_DAYS, ones, "USDX", "USDX"),
            frame("cmc:usdx:usdx", NEW_DAYS, [1.0] * 4, "USDX", "USDX"),
        ],
        ignore_index=True,
    )
    gecko = pd.concat(
        [
            frame("usdx", NEW_DAYS, [1.0] * 4, "usdx", "USDX"),
            frame("peg-a", OLD_DAYS, ones, "pga", "Peg A"),
            frame("peg-b", OLD_DAYS, [1.01, 0.99, 1.0], "pgb", "Peg B"),
        ],
        ignore_index=True,
    )
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert set(mapped.loc[mapped["vendor_key"] == "cmc:usdx:usdx", "asset"]) == {"usdx"}
    assert report.reused == [
        "cmc:usdx:usdx: its 3 rows before 2022-06-02 (usdx's first price) agree with 2 "
        "other coins' prices: kept"
    ]


def test_a_reused_segment_never_takes_an_id_another_key_holds_that_day():
    """CMC also lists the old chain under its new name on the same days: the segment
    keeps the key's own id rather than give terra-luna two rows on one day."""
    cmc = pd.concat(
        [
            frame("cmc:luna:terra", OLD_DAYS, [100.0, 110.0, 85.0], "LUNA", "Terra"),
            frame("cmc:luna:terra", NEW_DAYS, [5.0, 2.0, 1.8, 1.5], "LUNA", "Terra"),
            frame(
                "cmc:lunc:terra-luna-classic", OLD_DAYS[-1:], [85.0], "LUNC", "Terra Luna Classic"
            ),  # fmt: skip
        ],
        ignore_index=True,
    )
    gecko = pd.concat(
        [
            frame("terra-luna", OLD_DAYS, [100.0, 110.0, 85.0], "lunc", "Terra Luna Classic"),
            frame("terra-luna-2", NEW_DAYS, [5.0, 2.0, 1.8, 1.5], "luna", "Terra"),
        ],
        ignore_index=True,
    )
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    old = mapped[(mapped["vendor_key"] == "cmc:luna:terra") & (mapped["date"] < NEW_DAYS[0])]
    assert set(old["asset"]) == {"cmc:luna:terra"}
    assert not mapped.duplicated(["date", "asset"]).any()
    assert report.reused[0].endswith("another key holds terra-luna on one of those days; own id")
