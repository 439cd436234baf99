"""The CoinGecko importer, the total market cap and the data commands."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import DataError, cli, inspect
from indexlab.sources.coingecko import import_coingecko, read_import_summary, write_long_table
from indexlab.sources.total_market import load_total_market_cap

DAY = 86_400_000
T0 = 1_609_459_200_000  # 2021-01-01 00:00 UTC


def csv_text(rows: list[tuple]) -> str:
    return "timestamp,price,volume,market_cap\n" + "".join(
        ",".join("" if v is None else str(v) for v in row) + "\n" for row in rows
    )


def write_coin(folder: Path, coin: str, rows: list[tuple], *, gz: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if gz:
        path = folder / f"{coin}.csv.gz"
        path.write_bytes(gzip.compress(csv_text(rows).encode()))
    else:
        path = folder / f"{coin}.csv"
        path.write_text(csv_text(rows))
    return path


def as_json(rows: list[tuple]) -> dict:
    return {
        "prices": [[t, p] for t, p, _, _ in rows],
        "total_volumes": [[t, v] for t, _, v, _ in rows],
        "market_caps": [[t, c] for t, _, _, c in rows],
    }


# ---------------------------------------------------------------- the daily rules
AWKWARD = [
    (T0, 10.0, 1.0, 100.0),  # 2021-01-01 00:00: the snapshot
    (T0 + 3_600_000, 11.0, 1.0, 110.0),  # 01:00 hourly: dropped
    (T0 + DAY + 3_600_000, 12.0, 1.0, 0.0),  # 2021-01-02 01:00: no snapshot that day
    (T0 + DAY + 50_000_000, 13.0, 1.0, 0.0),  # its last point: kept, cap 0 -> missing
    (T0 + 2 * DAY, -1.0, 1.0, 130.0),  # 2021-01-03 snapshot with a negative price: dropped
    (T0 + 2 * DAY + 7_200_000, 14.0, -3.0, 140.0),  # so the day takes this one; volume < 0
    (T0 + 3 * DAY, 15.0, 1.0, 150.0),  # 2021-01-04 snapshot
    (T0 + 3 * DAY + 40_000_000, 16.0, 1.0, 160.0),  # intraday last row: dropped
]


def test_one_point_per_utc_day_and_every_rule_counted(tmp_path):
    write_coin(tmp_path / "coins", "awk", AWKWARD)
    frame, summary = import_coingecko(tmp_path / "coins")
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == [
        "2021-01-01",
        "2021-01-02",
        "2021-01-03",
        "2021-01-04",
    ]
    assert list(frame["close"]) == [10.0, 13.0, 14.0, 15.0]
    assert np.isnan(frame["market_cap"].iloc[1]) and frame["market_cap"].iloc[3] == 150.0
    assert np.isnan(frame["volume"].iloc[2])
    assert summary.rows_read == 8 and summary.rows_written == 4
    assert summary.prices_dropped == 1
    assert summary.points_dropped_intraday == 3  # 01:00, 2021-01-02 01:00, 2021-01-04 intraday
    assert summary.days_from_last_point == 2
    assert summary.market_caps_missing == 1 and summary.volumes_missing == 1
    text = "\n".join(summary.lines())
    assert "dropped 3 hourly/intraday points" in text and "2 days had no 00:00 UTC" in text


def test_previous_day_convention_labels_the_snapshot_with_the_day_before(tmp_path):
    write_coin(tmp_path / "coins", "awk", AWKWARD)
    frame, summary = import_coingecko(tmp_path / "coins", day_convention="previous")
    dates = list(frame["date"].dt.strftime("%Y-%m-%d"))
    # 00:00 of Jan 1 is Dec 31's close; Jan 2 has no snapshot of Jan 3 (its price was
    # invalid), so it keeps its own last point; Jan 4 00:00 closes Jan 3.
    assert dates == ["2020-12-31", "2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04"]
    assert list(frame["close"]) == [10.0, 11.0, 13.0, 15.0, 16.0]
    assert summary.day_convention == "previous"


def test_csv_gzip_and_json_give_the_same_table(tmp_path):
    write_coin(tmp_path / "a", "coin", AWKWARD)
    write_coin(tmp_path / "b", "coin", AWKWARD, gz=True)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "coin.json").write_text(json.dumps(as_json(AWKWARD)))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "coin.json.gz").write_bytes(
        gzip.compress(json.dumps(as_json(AWKWARD)).encode())
    )
    frames = [import_coingecko(tmp_path / k)[0] for k in "abcd"]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other)


def test_dead_feed_flagged_and_coins_list_used(tmp_path):
    rows = [(T0 + i * DAY, 2.5 if 3 <= i < 20 else 1.0 + i, 1.0, 10.0) for i in range(30)]
    write_coin(tmp_path / "coins", "zombie", rows)
    (tmp_path / "coins.csv").write_text("coin_id,symbol,name\nzombie,zmb,Zombie Coin\n")
    frame, summary = import_coingecko(tmp_path / "coins", dead_feed_days=14)
    assert summary.dead_feeds == [
        {"asset": "zombie", "start": "2021-01-04", "end": "2021-01-20", "days": 17, "price": 2.5}
    ]
    assert summary.coins_list == str(tmp_path / "coins.csv")
    assert set(frame["symbol"]) == {"zmb"} and set(frame["name"]) == {"Zombie Coin"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.csv.gz",
            gzip.compress(csv_text(AWKWARD).encode())[:-30],
            r"bad.csv.gz: not a readable CoinGecko CSV file",
        ),
        (
            "bad.csv",
            csv_text(AWKWARD)[:-25].encode(),
            r"bad.csv: not a readable CoinGecko CSV file: CSV parse error",
        ),
        ("bad.csv", b"time,close,mcap\n1,2,3\n", r"bad.csv: missing column 'timestamp'"),
        (
            "bad.csv",
            csv_text([AWKWARD[0], AWKWARD[6], AWKWARD[0]]).encode(),
            r"bad.csv, line 4: timestamp 1609459200000 \(2021-01-01 00:00 UTC\) appears again \(first at line 2\)",
        ),
        (
            "bad.csv",
            csv_text([(1_609_459_200, 1.0, 1.0, 1.0)]).encode(),
            r"bad.csv, line 2: timestamp 1609459200 is not a Unix time in milliseconds .*seconds\?",
        ),
        (
            "bad.json",
            json.dumps(
                {**as_json(AWKWARD), "market_caps": as_json(AWKWARD)["market_caps"][:-1]}
            ).encode(),
            r"bad.json: 'prices' has 8 points but 'market_caps' has 7",
        ),
        ("bad.json", b'{"prices": [[1, 2]', r"bad.json: not a readable JSON file"),
        ("bad.json", b"[1, 2]", r"bad.json: expected a JSON object with 'prices'"),
        (
            "bad.json",
            json.dumps({"prices": [[T0, "x"]], "market_caps": [[T0, 1]]}).encode(),
            r"bad.json: 'prices' must hold \[timestamp, value\] pairs of numbers",
        ),
    ],
)
def test_bad_files_give_precise_errors(tmp_path, name, content, message):
    folder = tmp_path / "coins"
    folder.mkdir()
    (folder / name).write_bytes(content)
    with pytest.raises(DataError, match=message):
        import_coingecko(folder)


def test_bad_folders(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        import_coingecko(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"empty: no coin files \(<coingecko-id>.csv"):
        import_coingecko(tmp_path / "empty")
    # The coin files one level down, as CoinGecko collections are laid out: a hint.
    write_coin(tmp_path / "collection" / "coins", "x", AWKWARD)
    (tmp_path / "collection" / "coins.csv").write_text("id,symbol,name\nx,X,Ex\n")
    with pytest.raises(DataError, match=r"did you mean .*collection/coins \(1 coin file\)\?"):
        import_coingecko(tmp_path / "collection")
    write_coin(tmp_path / "two", "x", AWKWARD)
    write_coin(tmp_path / "two", "x", AWKWARD, gz=True)
    with pytest.raises(DataError, match="coin 'x' has two files, x.csv and x.csv.gz"):
        import_coingecko(tmp_path / "two")
    with pytest.raises(DataError, match="day convention 'tomorrow' is not one of"):
        import_coingecko(tmp_path / "two", day_convention="tomorrow")


def test_parquet_round_trip_keeps_the_table_and_the_summary(tmp_path):
    write_coin(tmp_path / "coins", "awk", AWKWARD)
    write_coin(tmp_path / "coins", "other", [(T0 + i * DAY, 1.0 + i, 5.0, 1e6) for i in range(5)])
    frame, summary = import_coingecko(tmp_path / "coins")
    path = write_long_table(frame, tmp_path / "out" / "market.parquet", summary)
    assert [p.name for p in path.parent.iterdir()] == ["market.parquet"]  # no temporary left
    assert read_import_summary(path)["rows_written"] == summary.rows_written
    market = indexlab.load_market(path)
    direct = indexlab.sources.market_from_long(frame)
    pd.testing.assert_frame_equal(market.close, direct.close)
    pd.testing.assert_frame_equal(market.market_cap, direct.market_cap)
    assert market.close.at[pd.Timestamp("2021-01-02"), "awk"] == 13.0


# ---------------------------------------------------------------- total market cap
def test_total_market_cap_from_the_coingecko_export_and_a_plain_table(tmp_path):
    export = tmp_path / "total.csv"
    export.write_text(
        "snapped_at,market_cap,total_volume\n"
        f"{T0},100,1\n{T0 + DAY},0,1\n{T0 + 3 * DAY},130,1\n{T0 + 3 * DAY + 5000},131,1\n"
    )
    series = load_total_market_cap(export)
    assert list(series.index.strftime("%d")) == ["01", "02", "03", "04"]
    assert series.iloc[0] == 100 and np.isnan(series.iloc[1]) and np.isnan(series.iloc[2])
    assert series.iloc[3] == 130  # the 00:00 snapshot beats the later point of that day
    assert any("1 total market caps missing or <= 0" in n for n in series.attrs["notes"])
    plain = tmp_path / "plain.csv"
    plain.write_text("date,market_cap\n2021-01-01,100\n2021-01-04,130\n")
    pd.testing.assert_series_equal(load_total_market_cap(plain), series, check_freq=False)
    text = tmp_path / "text.csv"
    text.write_text("snapped_at,market_cap\n2021-01-01 00:00:00 UTC,100\n")
    assert load_total_market_cap(text).iloc[0] == 100
    bad = tmp_path / "bad.csv"
    bad.write_text("snapped_at,market_cap\n2021-01-01,lots\n")
    with pytest.raises(
        DataError, match=r"bad.csv, line 2, column 'market_cap': 'lots' is not a number"
    ):
        load_total_market_cap(bad)
    bad.write_text("when,value\n1,2\n")
    with pytest.raises(DataError, match="expected columns snapped_at,market_cap"):
        load_total_market_cap(bad)


def test_total_market_benchmark_and_dominance():
    dates = pd.date_range("2021-01-01", periods=4)
    market = indexlab.Market.from_panels(
        pd.DataFrame({"a": [1.0, 2.0, 2.0, 4.0]}, index=dates),
        pd.DataFrame({"a": [10.0, 20.0, 20.0, 40.0]}, index=dates),
    )
    total = pd.Series([100.0, 150.0, np.nan, 300.0], index=dates)
    with_total = market.with_total_market_cap(total)
    np.testing.assert_allclose(with_total.dominance["a"], [0.1, 20 / 150, np.nan, 40 / 300])
    s = indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(1),
        lag_days=0,
        benchmarks=("total-market",),
        costs=indexlab.Costs(10, 0),
    )
    r = indexlab.run(s, with_total)
    # Bought at 100 with the fee; the gap is valued at the last level.
    np.testing.assert_allclose(r.equity["total-market"], np.array([1.0, 1.5, 1.5, 3.0]) / 1.001)
    with pytest.raises(indexlab.SpecError, match="needs the total market cap series"):
        indexlab.run(s, market)


# ---------------------------------------------------------------- the real folder
@pytest.fixture(scope="module")
def real_import(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "market.parquet"
    code = cli.main(
        [
            "data",
            "import",
            "coingecko",
            str(shared_data / "coingecko-2025" / "coins"),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_real_folder_counts_and_sanity_values(real_import, shared_data):
    summary = read_import_summary(real_import)
    coins = pd.read_csv(shared_data / "coingecko-2025" / "coins.csv")
    assert summary["files"] == summary["coins"] == len(coins) == 1092
    assert summary["rows_read"] == 1_657_936
    # One row per coin and UTC day: the raw files' distinct (coin, day) pairs.
    assert summary["rows_written"] == 1_655_262
    assert (
        summary["survivorship_warning"] and "survivorship bias" in summary["survivorship_warning"]
    )
    market = indexlab.load_market(real_import)
    day = pd.Timestamp("2021-01-01")
    assert market.close.at[day, "bitcoin"] == pytest.approx(29022.418, rel=1e-7)
    assert market.market_cap.at[day, "bitcoin"] == pytest.approx(539_438_036_436, rel=1e-9)
    assert market.close.at[day, "tron"] == pytest.approx(0.0268400, rel=1e-5)
    assert market.market_cap.at[day, "tron"] == pytest.approx(1_918_734_259, rel=1e-9)
    assert market.close["tron"].first_valid_index() == pd.Timestamp("2017-11-09")
    assert market.resolve_asset("TRX") == "tron"
    notes = inspect.coverage_notes(market)
    assert any("survivorship bias" in note for note in notes)
    assert any("657 assets' data stop within the last 30 days" in note for note in notes)


def raw_price(shared_data: Path, coin: str, date: str) -> float:
    raw = pd.read_csv(shared_data / "coingecko-2025" / "coins" / f"{coin}.csv.gz")
    stamp = int(pd.Timestamp(date, tz="UTC").value // 1_000_000)
    return float(raw.loc[raw["timestamp"] == stamp, "price"].iloc[0])


def test_run_on_imported_real_data_matches_the_raw_files(
    real_import, shared_data, tmp_path, capsys
):
    out = tmp_path / "run"
    root = Path(__file__).resolve().parents[1]
    code = cli.main(
        [
            "run",
            str(root / "strategies" / "top100-mcap-monthly.toml"),
            "--data",
            str(real_import),
            "--total-market",
            str(shared_data / "total-market-cap" / "total_market_cap.csv"),
            "--start",
            "2019-01-01",
            "--end",
            "2024-12-31",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    equity = pd.read_csv(out / "equity.csv", index_col="date", parse_dates=True)
    # lag_days = 1: bought at the 2019-01-01 close, with 15 bps of fee and slippage.
    for label, coin in (("BTC", "bitcoin"), ("TRX", "tron")):
        expected = raw_price(shared_data, coin, "2024-12-31") / raw_price(
            shared_data, coin, "2019-01-01"
        )
        assert equity[label].iloc[-1] == pytest.approx(expected / 1.0015, rel=1e-9)
    printed = capsys.readouterr().out
    assert "survivorship bias" in printed
    assert "downloaded on different days" not in printed  # the run ends before that


def test_data_info_and_validate_on_real_data(real_import, capsys):
    assert cli.main(["data", "info", str(real_import), "--date", "2021-01-01"]) == 0
    text = capsys.readouterr().out
    assert "2013-04-28 .. 2025-07-24" in text
    assert "The 10 largest on 2021-01-01" in text and "bitcoin" in text
    assert "Assets per year" in text and "Gaps inside assets' lives" in text
    assert "Likely wrapped or staked not tagged yet" in text and "polygon-ecosystem-token" in text
    assert cli.main(["data", "validate", str(real_import)]) == 0
    text = capsys.readouterr().out
    assert "no errors" in text and "runs of identical closes" in text


def test_data_commands_on_bad_input(tmp_path, capsys):
    bad = tmp_path / "m.csv"
    bad.write_text("date,asset,close\n2021-01-01,a,1\n")
    assert cli.main(["data", "validate", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing required column 'market_cap'" in err[0]
    assert (
        cli.main(
            [
                "data",
                "import",
                "coingecko",
                str(tmp_path / "none"),
                "--out",
                str(tmp_path / "x.parquet"),
            ]
        )
        == 1
    )
    assert "no such folder" in capsys.readouterr().err
    good = tmp_path / "g.csv"
    good.write_text("date,asset,close,market_cap\n2021-01-01,a,1,5\n")
    assert cli.main(["data", "info", str(good), "--date", "2030-01-01"]) == 1
    assert "--date 2030-01-01 is outside the data" in capsys.readouterr().err


def test_fetch_then_import_then_run_through_the_cli(tmp_path, capsys, monkeypatch):
    """The CLI end to end against the fake CoinGecko: what fetch writes, import reads."""
    from fake_coingecko import FakeCoinGecko

    monkeypatch.delenv("COINGECKO_API_KEY", raising=False)
    with FakeCoinGecko(5) as server:
        code = cli.main(
            [
                "data",
                "fetch",
                "coingecko",
                "--top",
                "5",
                "--out",
                str(tmp_path / "dl"),
                "--base-url",
                server.url,
                "--min-interval",
                "0",
                "--quiet",
            ]
        )
        assert code == 0, capsys.readouterr().err
        charts = {coin: server.chart(coin) for coin in server.ids}
    out = tmp_path / "m.parquet"
    assert (
        cli.main(["data", "import", "coingecko", str(tmp_path / "dl" / "coins"), "--out", str(out)])
        == 0
    )
    assert "symbols and names from" in capsys.readouterr().out
    market = indexlab.load_market(out)
    assert sorted(market.asset_ids) == sorted(charts)
    coin = next(iter(charts))
    stamp, price = charts[coin]["prices"][-2]  # the last 00:00 UTC point
    assert market.close.at[pd.Timestamp(stamp, unit="ms"), coin] == price
