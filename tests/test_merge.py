"""``indexlab data merge`` (issue 16, item 4): precedence, a source per row, one day
convention, and the audit of the overlaps, on hand-made tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import indexlab
from indexlab import cli
from indexlab.errors import DataError
from indexlab.sources.coingecko import read_import_summary
from indexlab.sources.merge import merge_long_tables

DAYS = pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-03"])


def table(path: Path, rows: list[tuple], *, vendor: str | None, convention: str | None) -> Path:
    """A long table (date, asset, close, market_cap[, source]) with an import report."""
    frame = pd.DataFrame(rows, columns=["date", "asset", "close", "market_cap"])
    frame["date"] = pd.to_datetime(frame["date"])
    if vendor:
        frame["source"] = vendor
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    if vendor or convention:
        stored = {"vendor": vendor, "source": str(path), "day_convention": convention}
        metadata = {**(arrow.schema.metadata or {}), b"indexlab.import": json.dumps(stored)}
        arrow = arrow.replace_schema_metadata(metadata)
    pq.write_table(arrow, path)
    return path


@pytest.fixture
def files(tmp_path):
    daily = table(
        tmp_path / "cg.parquet",
        [(d, "btc", 100.0, 1000.0) for d in DAYS] + [("2021-01-02", "eth", 10.0, 200.0)],
        vendor="coingecko",
        convention="snapshot",
    )
    # Snapshots of Jan 2: btc 10 % above, eth 20 % below; dead only here.
    snapshots = table(
        tmp_path / "cmc.parquet",
        [
            ("2021-01-02", "btc", 110.0, 1100.0),
            ("2021-01-02", "eth", 8.0, 200.0),
            ("2021-01-02", "cmc:dead:dead-coin", 1.0, 50.0),
        ],
        vendor="cmc-snapshots",
        convention="snapshot",
    )
    return daily, snapshots


def test_daily_rows_win_over_snapshot_rows_whatever_the_order(files):
    daily, snapshots = files
    for order in ([daily, snapshots], [snapshots, daily]):
        merged, report = merge_long_tables(order)
        assert len(merged) == 5 and report.rows_read == 7 and report.rows_written == 5
        day = merged[merged["date"] == "2021-01-02"].set_index("asset")
        assert day.loc["btc", "close"] == 100.0 and day.loc["btc", "source"] == "coingecko"
        assert day.loc["eth", "close"] == 10.0
        assert day.loc["cmc:dead:dead-coin", "source"] == "cmc-snapshots"
        assert report.rows_by_source == {"coingecko": 4, "cmc-snapshots": 1}


def test_between_rows_of_one_kind_the_file_listed_first_wins(tmp_path, files):
    daily, _ = files
    other = table(
        tmp_path / "other.parquet",
        [("2021-01-01", "btc", 90.0, 900.0)],
        vendor="cmc-daily",
        convention="snapshot",
    )
    first, _ = merge_long_tables([daily, other])
    second, _ = merge_long_tables([other, daily])
    pick = lambda m: m[(m["date"] == "2021-01-01") & (m["asset"] == "btc")]["source"].item()  # noqa: E731
    assert pick(first) == "coingecko" and pick(second) == "cmc-daily"


def test_the_overlaps_are_audited(files):
    # Two overlapping asset-days: close differs by 10 % (btc) and 20 % (eth); caps by
    # 10 % and 0 %. Median of [0.1, 0.2] = 0.15, 95th percentile 0.1 + 0.95 * 0.1 = 0.195.
    _, report = merge_long_tables(list(files))
    (audit,) = report.overlaps
    assert (audit["kept"], audit["dropped"], audit["rows"]) == ("coingecko", "cmc-snapshots", 2)
    close, cap = audit["close"], audit["market_cap"]
    assert close["count"] == 2
    assert close["median"] == pytest.approx(0.15) and close["p95"] == pytest.approx(0.195)
    assert [w["asset"] for w in close["worst"]] == ["eth", "btc"]
    assert close["worst"][0] == {
        "asset": "eth",
        "date": "2021-01-02",
        "kept": 10.0,
        "dropped": 8.0,
        "difference": pytest.approx(0.2),
    }
    assert cap["median"] == pytest.approx(0.05) and cap["max"] == pytest.approx(0.1)
    text = "\n".join(report.lines())
    assert "overlap coingecko over cmc-snapshots: 2 asset-days" in text
    assert "eth 2021-01-02: 10 vs 8 (20.0%)" in text


def test_different_day_conventions_are_refused_naming_both_files(tmp_path, files):
    daily, _ = files
    shifted = table(
        tmp_path / "prev.parquet",
        [("2021-01-01", "eth", 1.0, 2.0)],
        vendor="cmc-snapshots",
        convention="previous",
    )
    with pytest.raises(DataError) as error:
        merge_long_tables([daily, shifted])
    message = str(error.value)
    assert "\n" not in message
    assert str(daily) in message and str(shifted) in message
    assert "'snapshot'" in message and "'previous'" in message


def test_a_file_without_a_stated_convention_is_noted_and_named_by_its_stem(tmp_path, files):
    daily, _ = files
    plain = table(tmp_path / "mine.parquet", [("2021-01-05", "sol", 1.0, 2.0)], vendor=None, convention=None)  # fmt: skip
    merged, report = merge_long_tables([daily, plain])
    assert merged.loc[merged["asset"] == "sol", "source"].item() == "mine"
    assert report.day_convention == "snapshot"
    assert any("mine.parquet states no day convention" in n for n in report.notes)


def test_a_table_with_an_asset_twice_on_a_day_is_an_error(tmp_path, files):
    daily, _ = files
    twice = table(tmp_path / "twice.parquet", [(DAYS[0], "x", 1.0, 1.0)] * 2, vendor="coingecko", convention="snapshot")  # fmt: skip
    with pytest.raises(DataError, match=r"twice.parquet: row 2: asset 'x' on 2021-01-01 twice"):
        merge_long_tables([daily, twice])


def test_the_command_writes_a_table_indexlab_reads_with_the_audit_stored(tmp_path, files, capsys):
    out = tmp_path / "merged.parquet"
    assert cli.main(["data", "merge", *map(str, files), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "relative difference median 15.000%" in printed
    stored = read_import_summary(out)
    assert stored["overlaps"][0]["close"]["count"] == 2
    assert stored["day_convention"] == "snapshot" and stored["rows_written"] == 5
    market = indexlab.load_market(out)
    assert set(market.asset_ids) == {"btc", "eth", "cmc:dead:dead-coin"}
    assert np.isnan(market.close.loc["2021-01-01", "eth"])


def test_a_single_file_is_not_a_merge(files):
    with pytest.raises(DataError, match="at least two"):
        merge_long_tables([files[0]])


def test_a_value_only_the_dropped_row_had_is_counted(tmp_path):
    # CoinGecko knows no supply for sol on Jan 2 (cap missing); the snapshot does: the
    # merged row is CoinGecko's whole, without a cap, and the audit counts it.
    daily = table(tmp_path / "cg.parquet", [("2021-01-02", "sol", 1.0, np.nan)], vendor="coingecko", convention="snapshot")  # fmt: skip
    snaps = table(tmp_path / "cmc.parquet", [("2021-01-02", "sol", 1.1, 30.0)], vendor="cmc-snapshots", convention="snapshot")  # fmt: skip
    merged, report = merge_long_tables([snaps, daily])
    assert np.isnan(merged["market_cap"].item()) and merged["source"].item() == "coingecko"
    (audit,) = report.overlaps
    assert audit["market_cap"]["count"] == 0 and audit["market_cap"]["lost"] == 1
    assert audit["close"]["lost"] == 0 and audit["close"]["count"] == 1
    assert "1 asset-days where only the cmc-snapshots row had one" in "\n".join(report.lines())
