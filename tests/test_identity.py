"""Identity across vendors: CMC keys mapped to CoinGecko ids, never a silent wrong match."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from indexlab import DataError, cli, load_market
from indexlab.sources.cmc import import_cmc_daily, import_cmc_snapshots
from indexlab.sources.coingecko import write_long_table
from indexlab.sources.identity import match_coingecko
from indexlab.sources.identity_files import load_coingecko_table, read_overrides

DAYS = pd.date_range("2023-03-01", periods=4, freq="D", tz="UTC")


def cmc_table(rows: list[tuple[str, str, list[float]]]) -> pd.DataFrame:
    """(symbol, name, closes on DAYS) -> a snapshot-like long table with own ids."""
    parts = []
    for symbol, name, closes in rows:
        key = f"cmc:{symbol.lower()}:{name.lower().replace(' ', '-').strip('()')}"
        key = key.replace("(", "").replace(")", "")
        parts.append(
            pd.DataFrame(
                {"date": DAYS[: len(closes)], "asset": key, "close": closes, "symbol": symbol}
            ).assign(name=name, market_cap=1.0)
        )
    return pd.concat(parts, ignore_index=True)


def gecko_table(rows: list[tuple[str, str | None, str | None, list[float]]]) -> pd.DataFrame:
    """(id, symbol, name, closes on DAYS) -> a CoinGecko long table."""
    parts = [
        pd.DataFrame({"date": DAYS[: len(c)], "asset": i, "close": c, "symbol": s, "name": n})
        for i, s, n, c in rows
    ]
    return pd.concat(parts, ignore_index=True)


def status_of(report, key: str) -> tuple[str, str]:
    found = report.listing.set_index("key").loc[key]
    return found["status"], found["asset"]


# ------------------------------------------------------------------ hand-made markets
def test_two_bnx_coins_of_one_day_never_share_an_id():
    """20230301 holds "BinaryX (old)" and "BinaryX", both BNX; CoinGecko has one binaryx."""
    cmc = cmc_table(
        [("BNX", "BinaryX (old)", [150.0, 151, 149]), ("BNX", "BinaryX", [1.5, 1.52, 1.49])]
    )
    gecko = gecko_table([("binaryx", "bnx", "BinaryX", [1.5, 1.51, 1.5])])
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert status_of(report, "cmc:bnx:binaryx") == ("matched", "binaryx")
    old = status_of(report, "cmc:bnx:binaryx-old")
    assert old == ("unmatched", "cmc:bnx:binaryx-old")
    assert not mapped.duplicated(["date", "asset"]).any()
    assert set(mapped["vendor_key"]) == {"cmc:bnx:binaryx", "cmc:bnx:binaryx-old"}


def test_two_keys_claiming_one_id_on_one_day_the_stronger_keeps_it():
    # Both prices agree with binaryx; only "BinaryX" also has the name.
    cmc = cmc_table([("BNX", "BinaryX (old)", [1.5, 1.5]), ("BNX", "BinaryX", [1.5, 1.5])])
    gecko = gecko_table([("binaryx", "bnx", "BinaryX", [1.5, 1.5])])
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert status_of(report, "cmc:bnx:binaryx") == ("matched", "binaryx")
    assert status_of(report, "cmc:bnx:binaryx-old") == ("ambiguous", "cmc:bnx:binaryx-old")
    reason = report.listing.set_index("key").loc["cmc:bnx:binaryx-old", "reason"]
    assert "would share binaryx with cmc:bnx:binaryx" in reason
    assert not mapped.duplicated(["date", "asset"]).any()


def test_a_tie_leaves_both_keys_their_own_ids():
    cmc = cmc_table([("FOO", "Foo One", [2.0, 2.0]), ("FOO", "Foo Two", [2.0, 2.0])])
    gecko = gecko_table([("foo", "foo", "Bar", [2.0, 2.0])])
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert status_of(report, "cmc:foo:foo-one") == ("ambiguous", "cmc:foo:foo-one")
    assert status_of(report, "cmc:foo:foo-two") == ("ambiguous", "cmc:foo:foo-two")


def test_a_symbol_shared_by_several_coingecko_coins_needs_the_name():
    gecko = gecko_table(
        [("alpha-foo", "foo", "Alpha", [1.0, 1.0]), ("beta-foo", "foo", "Beta", [1.0, 1.0])]
    )
    _, report = match_coingecko(
        cmc_table([("FOO", "Gamma", [1.0, 1.0])]), gecko, vendor="cmc-snapshots"
    )
    assert status_of(report, "cmc:foo:gamma") == ("ambiguous", "cmc:foo:gamma")
    _, report = match_coingecko(
        cmc_table([("FOO", "Beta", [1.0, 1.0])]), gecko, vendor="cmc-snapshots"
    )
    assert status_of(report, "cmc:foo:beta") == ("matched", "beta-foo")


def test_prices_that_disagree_refuse_a_symbol_and_name_match():
    """BitTorrent's old BTT (1,000 x the new one's price) is not CoinGecko's new BTT."""
    cmc = cmc_table([("BTT", "BitTorrent", [0.001, 0.0011, 0.001])])
    gecko = gecko_table([("bittorrent", "btt", "BitTorrent", [1e-6, 1.1e-6, 1e-6])])
    _, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    status, asset = status_of(report, "cmc:btt:bittorrent")
    assert (status, asset) == ("ambiguous", "cmc:btt:bittorrent")
    assert "prices disagree" in report.listing["reason"].iloc[0]
    assert "price 0/3 days" in report.listing["candidates"].iloc[0]


def test_a_symbol_alone_without_shared_days_is_no_match():
    cmc = cmc_table([("ACA", "Acash Coin", [1.0])])
    gecko = gecko_table([("acala", "aca", "Acala", [])])
    _, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert status_of(report, "cmc:aca:acash-coin") == ("unmatched", "cmc:aca:acash-coin")


def test_a_rename_is_matched_by_symbol_and_price():
    cmc = cmc_table([("EGLD", "Elrond", [50.0, 51.0]), ("EGLD", "MultiversX", [52.0, 53.0])])
    cmc.loc[cmc["name"] == "MultiversX", "date"] = DAYS[2:4].repeat(1)
    gecko = gecko_table([("elrond-erd-2", "egld", "MultiversX", [50.2, 51.1, 52.1, 52.9])])
    mapped, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert status_of(report, "cmc:egld:elrond") == ("matched", "elrond-erd-2")
    assert status_of(report, "cmc:egld:multiversx") == ("matched", "elrond-erd-2")
    assert list(mapped["asset"]) == ["elrond-erd-2"] * 4


def test_a_similar_name_needs_no_symbol_and_many_agreeing_days():
    days = pd.date_range("2018-01-01", periods=40, freq="D", tz="UTC")
    daily = pd.DataFrame({"date": days, "asset": "cmc:golem-network-tokens", "close": 1.0})
    daily = daily.assign(symbol=None, name=None, market_cap=1.0)
    gecko = pd.DataFrame({"date": days, "asset": "golem", "close": 1.0, "symbol": None})
    gecko = gecko.assign(name=None)
    _, report = match_coingecko(daily, gecko, vendor="cmc-daily")
    assert status_of(report, "cmc:golem-network-tokens") == ("matched", "golem")
    _, report = match_coingecko(daily.iloc[:20], gecko, vendor="cmc-daily")
    assert status_of(report, "cmc:golem-network-tokens")[0] == "unmatched"
    with_symbol = daily.assign(symbol="GNT")  # a snapshot key has a symbol: no similar names
    _, report = match_coingecko(with_symbol, gecko, vendor="cmc-snapshots")
    assert status_of(report, "cmc:golem-network-tokens")[0] == "unmatched"


# ------------------------------------------------------------------ overrides
def test_overrides_win_and_are_checked(tmp_path):
    cmc = cmc_table([("AAA", "Alpha", [1.0, 1.0]), ("BBB", "Beta", [2.0, 2.0])])
    gecko = gecko_table([("alpha", "aaa", "Alpha", [1.0, 1.0]), ("zeta", "zzz", "Zeta", [9.0])])
    path = tmp_path / "overrides.csv"
    path.write_text("key,coingecko_id,comment\ncmc:aaa:alpha,none,\ncmc:bbb:beta,zeta,checked\n")
    mapped, report = match_coingecko(
        cmc, gecko, vendor="cmc-snapshots", overrides=read_overrides(path)
    )
    assert status_of(report, "cmc:aaa:alpha") == ("override", "cmc:aaa:alpha")
    assert status_of(report, "cmc:bbb:beta") == ("override", "zeta")
    assert report.counts["override"] == 2
    path.write_text("key,coingecko_id  # a comment\ncmc:bbb:beta,cmc:bbb:old-beta\n")
    mapped, _ = match_coingecko(cmc, gecko, vendor="x", overrides=read_overrides(path))
    assert set(mapped["asset"]) == {"alpha", "cmc:bbb:old-beta"}
    path.write_text("key,coingecko_id\ncmc:aaa:alpha,nosuchcoin\n")
    with pytest.raises(DataError, match=r"override 'cmc:aaa:alpha' -> 'nosuchcoin': no CoinGecko"):
        match_coingecko(
            cmc, gecko, vendor="x", overrides=read_overrides(path), overrides_origin=str(path)
        )
    path.write_text("key,coingecko_id\ncmc:aaa:alpha,alpha\ncmc:bbb:beta,alpha\n")
    with pytest.raises(DataError, match=r"also has 'alpha' on 2023-03-01"):
        match_coingecko(cmc, gecko, vendor="x", overrides=read_overrides(path))


def test_override_file_errors_name_the_line(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("key,coingecko_id\ncmc:a:a,alpha\ncmc:a:a,beta\n")
    with pytest.raises(DataError, match=r"o.csv, line 3: 'cmc:a:a' is overridden again"):
        read_overrides(path)
    path.write_text("key,id\n")
    with pytest.raises(DataError, match=r"o.csv: missing column 'coingecko_id'"):
        read_overrides(path)


def test_the_listing_edited_is_an_override_file(tmp_path):
    cmc = cmc_table([("AAA", "Alpha", [1.0, 1.0]), ("QQQ", "Quux", [3.0, 3.0])])
    gecko = gecko_table([("alpha", "aaa", "Alpha", [1.0, 1.0]), ("quux-token", "qx", "QX", [3.0])])
    _, report = match_coingecko(cmc, gecko, vendor="cmc-snapshots")
    assert report.counts == {"matched": 1, "override": 0, "ambiguous": 0, "unmatched": 1}
    listing = pd.read_csv(report.write_csv(tmp_path / "map.csv"), dtype=str, keep_default_na=False)
    listing.loc[listing["key"] == "cmc:qqq:quux", "coingecko_id"] = "quux-token"
    listing.to_csv(tmp_path / "map.csv", index=False)
    _, again = match_coingecko(
        cmc, gecko, vendor="x", overrides=read_overrides(tmp_path / "map.csv")
    )
    assert status_of(again, "cmc:qqq:quux") == ("override", "quux-token")


# ------------------------------------------------------------------ the real collections
@pytest.fixture(scope="module")
def gecko(real_market_file: Path) -> pd.DataFrame:
    frame, _ = load_coingecko_table(real_market_file, "snapshot")
    return frame


def test_real_snapshots_known_coins_and_bnx(shared_data, gecko):
    table, _ = import_cmc_snapshots(shared_data / "cmc-snapshots")
    mapped, report = match_coingecko(table, gecko, vendor="cmc-snapshots")
    assert status_of(report, "cmc:btc:bitcoin") == ("matched", "bitcoin")
    assert status_of(report, "cmc:trx:tron") == ("matched", "tron")
    assert status_of(report, "cmc:bnb:binance-coin") == ("matched", "binancecoin")
    assert status_of(report, "cmc:bnb:bnb") == ("matched", "binancecoin")
    assert status_of(report, "cmc:usdt:tether-usdt") == ("matched", "tether")  # not a bridged USDT
    bnx = mapped[mapped["vendor_key"].str.startswith("cmc:bnx:")]
    day = bnx[bnx["date"] == pd.Timestamp("2023-03-02", tz="UTC")]
    assert len(day) == 2 and day["asset"].nunique() == 2
    assert not mapped.duplicated(["date", "asset"]).any()
    # Measured on this collection (docs/vendors.md): 810 keys.
    assert report.counts == {"matched": 496, "override": 0, "ambiguous": 0, "unmatched": 314}


def test_real_daily_pages_slugs(shared_data, gecko):
    table, _ = import_cmc_daily(shared_data / "cmc-2018h1" / "coins")
    mapped, report = match_coingecko(table, gecko, vendor="cmc-daily")
    assert status_of(report, "cmc:bitcoin") == ("matched", "bitcoin")
    assert status_of(report, "cmc:tron") == ("matched", "tron")
    assert status_of(report, "cmc:binance-coin") == ("matched", "binancecoin")
    assert status_of(report, "cmc:bitconnect") == ("unmatched", "cmc:bitconnect")
    assert not mapped.duplicated(["date", "asset"]).any()
    # Without symbols, a name containing the other counts on 30+ agreeing days.
    assert status_of(report, "cmc:golem-network-tokens") == ("matched", "golem")
    assert report.counts["matched"] == 148


def test_cli_maps_with_overrides_and_refuses_another_day_convention(
    shared_data, gecko, tmp_path, capsys
):
    snap = shared_data / "cmc-snapshots" / "coinmarketcap_early_january_snapshots.csv"
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("key,coingecko_id\ncmc:btc:bitcoin,none\n")
    cg = tmp_path / "cg.parquet"
    write_long_table(gecko, cg, _Summary("snapshot"))
    out = tmp_path / "jan.parquet"
    args = ["data", "import", "cmc-snapshots", str(snap), "--out", str(out), "--coingecko", str(cg)]
    assert cli.main([*args, "--day-convention", "previous"]) == 1
    assert "pass --day-convention snapshot" in capsys.readouterr().err
    assert cli.main([*args, "--overrides", str(overrides)]) == 0
    printed = capsys.readouterr().out
    assert "1 override" in printed and "jan.mapping.csv" in printed
    market = load_market(out)
    assert "cmc:btc:bitcoin" in market.close.columns and "ethereum" in market.close.columns
    # The early-January snapshot 20210103 holds the close of 2021-01-03: labelled 01-04.
    assert market.close.loc["2021-01-04", "cmc:btc:bitcoin"] == pytest.approx(33_000, rel=0.1)
    listing = pd.read_csv(tmp_path / "jan.mapping.csv")
    assert set(listing["status"]) <= {"matched", "override", "ambiguous", "unmatched"}


class _Summary:
    """Stands for an import summary that says which day convention a table has."""

    def __init__(self, day_convention: str):
        self.day_convention = day_convention

    def to_dict(self) -> dict:
        return {"day_convention": self.day_convention, "source": "test"}
