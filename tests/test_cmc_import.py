"""The CoinMarketCap importers: real files, hand-made quirks, bad files, the day convention."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexlab import DataError, cli, load_market
from indexlab.sources.cmc import import_cmc_daily, import_cmc_snapshots
from indexlab.sources.coingecko import import_coingecko

HEADER = "Rank,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24h),% 1h,% 24h,% 7d,snapshot_date\n"
DAILY_HEADER = "Coin,Date,Open*,High,Low,Close**,Volume,Market Cap\n"


def snapshot_file(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def daily_file(folder: Path, slug: str, rows: list[str], *, gz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = DAILY_HEADER + "".join(r + "\n" for r in rows)
    path = folder / (f"{slug}.csv.gz" if gz else f"{slug}.csv")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def row(frame: pd.DataFrame, asset: str, date: str) -> pd.Series:
    found = frame[(frame["asset"] == asset) & (frame["date"] == pd.Timestamp(date, tz="UTC"))]
    assert len(found) == 1, (asset, date, len(found))
    return found.iloc[0]


# ------------------------------------------------------------------ the real files
@pytest.fixture(scope="module")
def snapshots(shared_data):
    return import_cmc_snapshots(shared_data / "cmc-snapshots")


@pytest.fixture(scope="module")
def daily(shared_data):
    return import_cmc_daily(shared_data / "cmc-2018h1" / "coins")


def test_real_snapshots_sanity_values_and_quirks(snapshots):
    frame, report = snapshots
    # 70 monthly + 6 early-January snapshots of 200; 20230101 is in both files.
    assert report.rows_read == 15_200 and report.rows_written == 15_000
    assert report.duplicates_across_files == 200
    btc = row(frame, "cmc:btc:bitcoin", "2021-01-02")  # the close of 2021-01-01
    assert btc["close"] == pytest.approx(29_374.152, abs=1e-3)
    assert btc["market_cap"] == pytest.approx(546_001_594_838, rel=1e-12)
    assert btc["rank"] == 1 and btc["source"] == "cmc-snapshots"
    trx = row(frame, "cmc:trx:tron", "2021-01-02")
    assert trx["close"] == pytest.approx(0.0269400, rel=1e-4) and trx["rank"] == 19
    assert row(frame, "cmc:trx:tron", "2025-10-02")["close"] == pytest.approx(0.341871, rel=1e-6)
    # Quirks reported, never silently dropped.
    assert report.shared_symbols == ["20230301 BNX: BinaryX (old) | BinaryX"]
    assert report.rank_gaps == ["20240801 (200 rows, ranks 1..201, missing 77)"]
    assert report.derived_prices == 13  # Baby Doge Coin's price printed as 0.0
    baby = frame[frame["asset"] == "cmc:babydoge:baby-doge-coin"]
    assert (baby["close"] > 0).all() and (baby["close"] < 1e-6).all()
    text = "\n".join(report.lines())
    assert "BinaryX (old) | BinaryX" in text and "missing 77" in text and "kept once" in text


def test_real_daily_pages_sanity_values_caps_and_gaps(daily, shared_data):
    frame, report = daily
    assert report.files == 1_602 and report.rows_read == 251_969 and report.rows_written == 251_969
    assert report.market_caps_missing == 43_484
    assert len(report.date_gaps) == 279
    btc = row(frame, "cmc:bitcoin", "2018-01-02")  # the close of 2018-01-01
    assert btc["close"] == pytest.approx(13_657.20)
    # The page's cap is open x supply (236,725,000,000 at open 14,112.2): rescaled to the close.
    assert btc["market_cap"] == pytest.approx(236_725_000_000 * 13_657.2 / 14_112.2)
    assert row(frame, "cmc:tron", "2018-07-03")["close"] == pytest.approx(0.039529)
    as_printed, report_open = import_cmc_daily(
        shared_data / "cmc-2018h1" / "coins", cap_basis="open", day_convention="previous"
    )
    assert row(as_printed, "cmc:bitcoin", "2018-01-01")["market_cap"] == 236_725_000_000
    assert row(as_printed, "cmc:tron", "2018-01-01")["market_cap"] == 2_937_740_000
    assert "open x supply" in "\n".join(report_open.lines())


def _coingecko(shared_data: Path, tmp_path: Path, convention: str) -> pd.DataFrame:
    folder = tmp_path / f"cg-{convention}"
    folder.mkdir()
    for coin in ("bitcoin", "tron"):  # links, not copies, of the shared files
        (folder / f"{coin}.csv.gz").symlink_to(
            shared_data / "coingecko-2025" / "coins" / f"{coin}.csv.gz"
        )
    frame, _ = import_coingecko(folder, day_convention=convention)
    return frame


@pytest.mark.parametrize("convention", ["snapshot", "previous"])
def test_same_label_same_moment_as_coingecko(shared_data, tmp_path, convention, snapshots):
    """CMC's close of 2021-01-01 (29,374.152) is CoinGecko's 00:00 UTC point of 2021-01-02
    (29,352.13): under either convention both vendors give it the same label, and the
    neighbouring label (29,022.42, a day earlier) is 1.2 % away."""
    cmc, _ = (
        snapshots
        if convention == "snapshot"
        else import_cmc_snapshots(shared_data / "cmc-snapshots", day_convention=convention)
    )
    gecko = _coingecko(shared_data, tmp_path, convention)
    label = "2021-01-02" if convention == "snapshot" else "2021-01-01"
    for cmc_id, gecko_id in (("cmc:btc:bitcoin", "bitcoin"), ("cmc:trx:tron", "tron")):
        ours = row(cmc, cmc_id, label)["close"]
        assert row(gecko, gecko_id, label)["close"] == pytest.approx(ours, rel=0.002)
        before = str((pd.Timestamp(label) - pd.Timedelta(days=1)).date())
        assert abs(row(gecko, gecko_id, before)["close"] / ours - 1) > 0.003


def test_real_daily_pages_line_up_with_coingecko(daily, shared_data, tmp_path):
    """Over 2018-02 .. 2018-07 the median price gap to CoinGecko on the same label is
    under 1 %; a day off, it is several times that."""
    frame, _ = daily
    gecko = _coingecko(shared_data, tmp_path, "snapshot")
    ours = frame[frame["asset"].isin(["cmc:bitcoin", "cmc:tron"])].copy()
    ours["asset"] = ours["asset"].str.removeprefix("cmc:")
    ours = ours[ours["date"] >= pd.Timestamp("2018-02-01", tz="UTC")]

    def gap(shift_days: int) -> float:
        moved = ours.assign(date=ours["date"] + pd.Timedelta(days=shift_days))
        both = moved.merge(gecko, on=["date", "asset"], suffixes=("", "_cg"))
        return float(np.median(np.abs(np.log(both["close"] / both["close_cg"]))))

    assert gap(0) < 0.01
    assert gap(1) > 3 * gap(0) and gap(-1) > 3 * gap(0)


# ------------------------------------------------------------------ hand-made quirks
def test_snapshot_quirks_counted(tmp_path):
    path = snapshot_file(
        tmp_path / "snap.csv",
        [
            '1,Alpha,AAA,"1,000,000",10.0,100000,5000,0,0,0,20210101',
            "2,Beta,BBB,-,2.0,,0,0,0,0,20210101",  # missing cap and supply, zero volume
            "4,Gamma,GGG,500,0.0,1000000000,10,0,0,0,20210101",  # rank gap; price 0 derived
            "5,Delta,GGG,300,0.0,,10,0,0,0,20210101",  # shared symbol; price 0, no supply
        ],
    )
    frame, report = import_cmc_snapshots(path)
    assert list(frame["asset"]) == ["cmc:aaa:alpha", "cmc:bbb:beta", "cmc:ggg:gamma"]
    assert frame["date"].iloc[0] == pd.Timestamp("2021-01-02", tz="UTC")
    assert frame["market_cap"].iloc[0] == 1_000_000 and np.isnan(frame["market_cap"].iloc[1])
    assert frame["volume"].iloc[1] == 0
    assert frame["close"].iloc[2] == pytest.approx(500 / 1e9)
    assert report.derived_prices == 1
    assert report.dropped == {"without a valid Price (missing, zero or negative)": 1}
    assert report.shared_symbols == ["20210101 GGG: Gamma | Delta"]
    assert report.rank_gaps == ["20210101 (4 rows, ranks 1..5, missing 3)"]
    assert report.missing["market caps missing, zero or negative"] == 1
    text = "\n".join(report.lines())
    assert "dropped 1 rows: 1 without a valid Price" in text


def test_keys_fold_spelling_but_keep_other_scripts_apart(tmp_path):
    path = snapshot_file(
        tmp_path / "snap.csv",
        [
            "1,Tether Gold,XAUT,1,1,1,1,0,0,0,20230701",
            "1,Tether Gold,XAUt,1,1,1,1,0,0,0,20230801",  # one coin, case of the symbol
            "2,比特,ZZ,1,1,1,1,0,0,0,20230701",
            "3,以太,ZZ,1,1,1,1,0,0,0,20230701",  # two coins whose names have no latin letter
        ],
    )
    frame, report = import_cmc_snapshots(path)
    keys = sorted(set(frame["asset"]))
    assert keys[0] == "cmc:xaut:tether-gold" and len(keys) == 3
    assert all(k.startswith("cmc:zz:u") for k in keys[1:])
    assert report.shared_symbols == ["20230701 ZZ: 比特 | 以太"]


def test_unknown_choices_fail_before_reading(tmp_path):
    with pytest.raises(DataError, match=r"day convention 'close' is not one of snapshot, previous"):
        import_cmc_snapshots(tmp_path / "nothing", day_convention="close")
    with pytest.raises(DataError, match=r"cap basis 'mid' is not one of close, open"):
        import_cmc_daily(tmp_path / "nothing", cap_basis="mid")


def test_daily_quirks_counted(tmp_path):
    folder = tmp_path / "coins"
    daily_file(
        folder,
        "alpha",
        [  # newest first, thousands separators, '-' for missing, a missing day (Jan 03)
            'alpha,"Jan 05, 2018",2.0,2.2,1.9,2.1,"1,000","2,000,000"',
            'alpha,"Jan 04, 2018",-,2.0,1.5,-,-,"1,500,000"',
            'alpha,"Jan 02, 2018",1.0,1.1,0.9,1.05,500,-',
            'alpha,"Jan 01, 2018",-,1.0,0.9,1.0,400,"900,000"',
        ],
    )
    daily_file(folder, "beta", ['beta,"Jan 01, 2018",5,5,5,5,1,"5,000"'], gz=False)
    frame, report = import_cmc_daily(folder)
    alpha = frame[frame["asset"] == "cmc:alpha"].set_index("date")
    day = lambda d: pd.Timestamp(d, tz="UTC")  # noqa: E731
    assert list(alpha.index) == [day("2018-01-02"), day("2018-01-03"), day("2018-01-06")]
    assert alpha.loc[day("2018-01-06"), "market_cap"] == pytest.approx(2_000_000 * 2.1 / 2.0)
    assert np.isnan(alpha.loc[day("2018-01-02"), "market_cap"])  # no open to rescale by
    assert alpha.loc[day("2018-01-06"), "volume"] == 1_000
    assert report.dropped == {"without a valid Close (missing, zero or negative)": 1}
    assert report.missing["market caps without a valid open to rescale by"] == 1
    assert report.date_gaps == ["cmc:alpha (2 days missing)"]
    assert report.coins == 2


# ------------------------------------------------------------------ bad files
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["1,A,AAA,1,1,1,1,0,0,0,2021-01-01"], "snap.csv, line 2, column 'snapshot_date'"),
        (
            ["1,A,AAA,1,1,1,1,0,0,0,20210101", "2,B,BBB,1,abc,1,1,0,0,0,20210101"],
            "snap.csv, line 3, column 'Price': 'abc' is not a number",
        ),
        (["x,A,AAA,1,1,1,1,0,0,0,20210101"], "snap.csv, line 2, column 'Rank'"),
        (["1,,AAA,1,1,1,1,0,0,0,20210101"], "snap.csv, line 2, column 'Name': empty"),
        (
            ["1,A,AAA,1,1,1,1,0,0,0,20210101", "2,A,AAA,1,1,1,1,0,0,0,20210101"],
            "snap.csv, line 3: 'A' (AAA) on 20210101 again (first at",
        ),
        (["1,A,AAA,1,1,1,1,0,0,0"], "snap.csv, line 2: 10 cells, the header has 11"),
    ],
)
def test_bad_snapshot_files_name_file_and_line(tmp_path, rows, message):
    path = snapshot_file(tmp_path / "snap.csv", rows)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_cmc_snapshots(path)


def test_bad_snapshot_files_whole_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty.csv: the file is empty"):
        import_cmc_snapshots(tmp_path / "empty.csv")
    (tmp_path / "cols.csv").write_text("Rank,Name\n1,A\n")
    with pytest.raises(DataError, match=r"cols.csv: missing column 'Symbol'"):
        import_cmc_snapshots(tmp_path / "cols.csv")
    folder = tmp_path / "two"
    folder.mkdir()
    snapshot_file(folder / "a.csv", ["1,A,AAA,1,1,1,1,0,0,0,20210101"])
    snapshot_file(folder / "b.csv", ["1,A,AAA,1,2,1,1,0,0,0,20210101"])
    with pytest.raises(
        DataError, match=r"b.csv, line 2: .* again \(first at .*a.csv, line 2\) with different"
    ):
        import_cmc_snapshots(folder)
    with pytest.raises(DataError, match="no such file or folder"):
        import_cmc_snapshots(tmp_path / "nothing")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ['alpha,"Foo 32, 2018",1,1,1,1,1,1'],
            r"alpha.csv.gz, line 2, column 'Date': cannot parse",
        ),
        (['beta,"Jan 01, 2018",1,1,1,1,1,1'], r"alpha.csv.gz, line 2, column 'Coin': 'beta'"),
        (
            ['alpha,"Jan 02, 2018",1,1,1,1,1,1', 'alpha,"Jan 02, 2018",1,1,1,1,1,1'],
            r"alpha.csv.gz, line 3, column 'Date': Jan 02, 2018 again \(first at line 2\)",
        ),
        (['alpha,"Jan 02, 2018",1,1,1,"1.2.3",1,1'], r"line 2, column 'Close\*\*': '1.2.3' is not"),
    ],
)
def test_bad_daily_files_name_file_and_line(tmp_path, rows, message):
    daily_file(tmp_path / "coins", "alpha", rows)
    with pytest.raises(DataError, match=message):
        import_cmc_daily(tmp_path / "coins")


def test_bad_daily_gzip_and_cli_error_is_one_line(tmp_path, capsys):
    folder = tmp_path / "coins"
    folder.mkdir()
    (folder / "alpha.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"alpha.csv.gz: not a readable CSV file"):
        import_cmc_daily(folder)
    status = cli.main(
        ["data", "import", "cmc-daily", str(folder), "--out", str(tmp_path / "o.parquet")]
    )
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "alpha.csv.gz: not a readable CSV" in err


def test_cli_import_writes_a_loadable_long_table(tmp_path, capsys):
    path = snapshot_file(
        tmp_path / "snap.csv",
        ["1,Alpha,AAA,1000,10,100,5,0,0,0,20210101", "1,Alpha,AAA,1100,11,100,5,0,0,0,20210201"],
    )
    out = tmp_path / "cmc.parquet"
    args = ["data", "import", "cmc-snapshots", str(path), "--out", str(out), "--bad-prints", "drop"]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "wrote 2 rows for 1 coins, 2021-01-02 .. 2021-02-02" in printed
    market = load_market(out)
    assert list(market.close.columns) == ["cmc:aaa:alpha"]
    assert market.close.loc["2021-02-02", "cmc:aaa:alpha"] == 11
