"""The long-table loader: a valid table becomes a Market; bad ones name file, row, column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import DataError, SpecError

GOOD = """date,asset,close,market_cap,volume,symbol,name
2021-01-01,bitcoin,29000,540e9,1e9,btc,Bitcoin
2021-01-01,tron,0.027,1.9e9,1e8,trx,TRON
2021-01-02,bitcoin,29500,548e9,1e9,btc,Bitcoin
2021-01-04,bitcoin,31000,0,1e9,btc,Bitcoin
2021-01-04,tron,0.028,-1,1e8,trx,TRON
"""


def write(tmp_path: Path, text: str, name: str = "market.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_csv_becomes_an_aligned_market(tmp_path):
    m = indexlab.load_market(write(tmp_path, GOOD))
    assert list(m.asset_ids) == ["bitcoin", "tron"]
    # A contiguous calendar: the missing 2021-01-03 is a row of NaN.
    assert list(m.dates.strftime("%d")) == ["01", "02", "03", "04"]
    assert np.isnan(m.close.loc["2021-01-03"]).all()
    assert np.isnan(m.close.loc["2021-01-02", "tron"])
    # Zero and negative market caps mean "unknown that day".
    assert m.market_cap.loc["2021-01-04"].isna().all()
    assert m.close.loc["2021-01-04", "bitcoin"] == 31000
    assert m.resolve_asset("TRX") == "tron" and m.resolve_asset("bitcoin") == "bitcoin"
    assert m.source_sha256 and len(m.source_sha256) == 64
    assert m.volume is not None and m.volume.loc["2021-01-01", "tron"] == 1e8
    # Nothing is dropped silently: the notes count what was read as unknown.
    assert m.notes == (
        f"{m.source}: 2 of 5 market caps missing, zero or negative, read as "
        "unknown (first at line 5)",
    )


def test_negative_volume_is_unknown_and_noted(tmp_path):
    text = GOOD.replace(",1e8,trx,TRON\n2021-01-02", ",-5,trx,TRON\n2021-01-02")
    m = indexlab.load_market(write(tmp_path, text))
    assert np.isnan(m.volume.loc["2021-01-01", "tron"])
    assert any(
        "1 negative or infinite volumes read as unknown (first at line 3)" in n for n in m.notes
    )


def test_parquet_with_utc_timestamps(tmp_path):
    frame = pd.read_csv(write(tmp_path, GOOD))
    frame["date"] = pd.to_datetime(frame["date"]).dt.tz_localize("UTC")
    frame.to_parquet(tmp_path / "m.parquet")
    m = indexlab.load_market(tmp_path / "m.parquet")
    pd.testing.assert_frame_equal(m.close, indexlab.load_market(tmp_path / "market.csv").close)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("market_cap,", "mcap,"), r"market.csv: missing required column 'market_cap'"),
        (
            GOOD + "2021-01-02,bitcoin,29600,549e9,1e9,btc,Bitcoin\n",
            r"market.csv: duplicated \(date, asset\) rows: 'bitcoin' on 2021-01-02 appears at line 4 and line 7",
        ),
        (
            GOOD.replace("0.027,", "-0.027,"),
            r"market.csv, line 3, column 'close': -0.027 is not a valid price for asset 'tron' on 2021-01-01",
        ),
        (
            GOOD.replace("29500,", "inf,"),
            r"market.csv, line 4, column 'close': inf is not a valid price",
        ),
        (
            GOOD.replace("29500,", ","),
            r"market.csv, line 4, column 'close': missing is not a valid price",
        ),
        (
            GOOD.replace("29500,", "abc,"),
            r"market.csv, line 4, column 'close': 'abc' is not a number",
        ),
        (
            GOOD.replace("2021-01-02", "2021-13-02"),
            r"market.csv, line 4, column 'date': cannot parse '2021-13-02'",
        ),
        (
            GOOD.replace("2021-01-02", "2021-01-02T12:00:00"),
            r"market.csv, line 4, column 'date': .* has a time of day",
        ),
        (
            GOOD.replace("1.9e9", "big"),
            r"market.csv, line 3, column 'market_cap': 'big' is not a number",
        ),
        ("date,asset,close,market_cap\n", r"market.csv: the table has no rows"),
    ],
)
def test_bad_tables_name_the_file_row_and_column(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        indexlab.load_market(write(tmp_path, text))


def test_bad_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        indexlab.load_market(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="unknown file type"):
        indexlab.load_market(write(tmp_path, GOOD, "market.txt"))
    with pytest.raises(DataError, match="cannot be read as a table"):
        indexlab.load_market(write(tmp_path, "not parquet", "m.parquet"))


def test_ambiguous_symbol_lists_the_candidates(tmp_path):
    text = GOOD + "2021-01-01,bitcoin-cash-old,300,5e9,1e6,BTC,Old Bitcoin\n"
    m = indexlab.load_market(write(tmp_path, text))
    with pytest.raises(
        SpecError,
        match=r"symbol 'btc' is ambiguous .*bitcoin \(Bitcoin\), bitcoin-cash-old \(Old Bitcoin\)",
    ):
        m.resolve_asset("btc")
    assert m.resolve_asset("bitcoin") == "bitcoin"  # an id is never ambiguous


def test_tags_column_and_builtin_taxonomy(tmp_path):
    text = "date,asset,close,market_cap,tags\n2021-01-01,tether,1,1e9,\n2021-01-01,x,1,1e9,memecoin;privacy\n"
    m = indexlab.load_market(write(tmp_path, text))
    assert "stablecoin" in m.tags["tether"]  # built in, by CoinGecko id
    assert m.tags["x"] == {"memecoin", "privacy"}


def test_real_coingecko_sanity_values(shared_data):
    """The long table built from two real CoinGecko files keeps the documented values."""
    rows = []
    for coin in ("bitcoin", "tron"):
        raw = pd.read_csv(shared_data / "coingecko-2025" / "coins" / f"{coin}.csv.gz")
        raw = raw[raw["timestamp"] % 86_400_000 == 0]
        rows.append(
            pd.DataFrame(
                {
                    "date": pd.to_datetime(raw["timestamp"], unit="ms", utc=True),
                    "asset": coin,
                    "close": raw["price"],
                    "market_cap": raw["market_cap"],
                }
            )
        )
    m = indexlab.sources.market_from_long(pd.concat(rows), origin="coingecko bitcoin+tron")
    assert m.close.at[pd.Timestamp("2021-01-01"), "bitcoin"] == pytest.approx(29022.418, rel=1e-7)
    assert m.market_cap.at[pd.Timestamp("2021-01-01"), "tron"] == pytest.approx(
        1918734259, rel=1e-9
    )
    assert m.first_valid_positions()[1] == m.dates.get_loc(pd.Timestamp("2017-11-09"))
