"""The long-table loader (Arrow columns scattered into panels) against a slow obvious
pandas pivot, on small messy tables: rows in any order, gaps, unknown market caps and
volumes, padded ids, symbols that change, tags in rows; read from a DataFrame, a CSV
file and a Parquet file, in one chunk and in chunks of a few rows (the batches a
large Parquet file is read in), so every error still names the row of the table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import indexlab
from indexlab.errors import DataError
from indexlab.sources import long_cells, long_columns
from indexlab.sources.long_table import market_from_long


def reference(frame: pd.DataFrame) -> dict:
    """What a Market of ``frame`` holds, the slow obvious way: a pandas pivot."""
    f = frame.copy()
    f["asset"] = f["asset"].astype(str).str.strip()
    f["date"] = pd.to_datetime(f["date"], utc=True, format="ISO8601").dt.tz_localize(None)
    first, last = f["date"].min(), f["date"].max()
    calendar = pd.date_range(first, last, freq="D", name="date", unit="ns")
    columns = pd.Index(sorted(f["asset"].unique()), name="asset")

    def pivot(name: str) -> pd.DataFrame:
        wide = f.pivot(index="date", columns="asset", values=name).astype(float)
        return wide.reindex(index=calendar, columns=columns)

    cap = pivot("market_cap")
    volume = pivot("volume")
    names = {}
    for column in ("symbol", "name"):
        if column not in f.columns:
            names[column] = pd.Series(None, index=columns, dtype=object)
            continue
        given = f.dropna(subset=[column])
        names[column] = given.groupby("asset")[column].last().reindex(columns)
    tags: dict[str, set[str]] = {}
    cells = f["tags"] if "tags" in f.columns else [None] * len(f)
    for asset, cell in zip(f["asset"], cells, strict=True):
        if isinstance(cell, str):
            found = {t.strip() for t in cell.replace(",", ";").split(";")} - {""}
            if found:
                tags.setdefault(asset, set()).update(found)
    return {
        "close": pivot("close"),
        "market_cap": cap.where(cap > 0),
        "volume": volume.where(volume >= 0),
        "names": names,
        "tags": tags,
    }


def messy_table(seed: int = 0, n_assets: int = 6, n_days: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2021-03-01")
    for j in range(n_assets):
        asset = f"coin-{j}" if j % 3 else f"  coin-{j} "  # padded ids are stripped
        days = np.flatnonzero(rng.random(n_days) < 0.7)  # gaps, and whole days missing
        for d in days:
            rows.append(
                {
                    "date": (start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d"),
                    "asset": asset,
                    "close": float(rng.lognormal(0, 2)),
                    "market_cap": float(rng.choice([rng.lognormal(20, 1), 0.0, -1.0, np.nan])),
                    "volume": float(rng.choice([rng.lognormal(15, 1), -5.0, np.nan])),
                    "symbol": rng.choice([f"S{j}", f"T{j}", None]),
                    "name": None if rng.random() < 0.5 else f"Coin {j} v{d}",
                    "tags": rng.choice([None, "", " memecoin ", "privacy;memecoin", "a, b"]),
                }
            )
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return frame


def assert_market_is(market, expected: dict) -> None:
    pd.testing.assert_frame_equal(market.close, expected["close"], check_freq=False)
    pd.testing.assert_frame_equal(market.market_cap, expected["market_cap"], check_freq=False)
    if expected["volume"] is None:
        assert market.volume is None
    else:
        pd.testing.assert_frame_equal(market.volume, expected["volume"], check_freq=False)
    assert list(market.asset_ids) == list(expected["close"].columns)
    for column in ("symbol", "name"):
        # Missing as pandas reads it (NaN in a text column, or None): the same.
        got = {a: (None if pd.isna(v) else v) for a, v in market.assets[column].items()}
        want = {a: (None if pd.isna(v) else v) for a, v in expected["names"][column].items()}
        assert got == want, column
    row_tags = {a: set(t) for a, t in expected["tags"].items()}
    for asset, tags in row_tags.items():
        assert tags <= set(market.tags.get(asset, ())), asset


@pytest.fixture(params=[None, 3], ids=["one-chunk", "chunks-of-3"])
def chunks(request, monkeypatch):
    if request.param:
        monkeypatch.setattr(long_columns, "BATCH_ROWS", request.param)
        monkeypatch.setattr(long_cells, "STEP", request.param + 1)
    return request.param


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dataframe_csv_and_parquet_equal_the_pandas_pivot(tmp_path, chunks, seed):
    frame = messy_table(seed)
    expected = reference(frame)
    assert_market_is(market_from_long(frame), expected)
    frame.to_csv(tmp_path / "m.csv", index=False)
    assert_market_is(indexlab.load_market(tmp_path / "m.csv"), expected)
    stamped = frame.assign(date=pd.to_datetime(frame["date"]).dt.tz_localize("UTC"))
    stamped.to_parquet(tmp_path / "m.parquet", row_group_size=7)
    from_parquet = indexlab.load_market(tmp_path / "m.parquet")
    assert_market_is(from_parquet, expected)
    from_frame = market_from_long(frame)
    assert from_parquet.notes[0].split(": ", 1)[1] == from_frame.notes[0].split(": ", 1)[1]
    pd.testing.assert_frame_equal(from_parquet.dated_tags, from_frame.dated_tags)
    assert dict(from_parquet.tags) == dict(from_frame.tags)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_assets=st.integers(1, 8),
    n_days=st.integers(1, 20),
    batch=st.integers(1, 9),
)
def test_any_row_order_and_chunking_equal_the_pivot(seed, n_assets, n_days, batch):
    frame = messy_table(seed, n_assets, n_days)
    if frame.empty:
        return
    if seed % 2:  # in (date, asset) order, as importers write: batches of runs of cells
        frame = frame.assign(key=frame["asset"].str.strip()).sort_values(["date", "key"])
        frame = frame.drop(columns="key").reset_index(drop=True)
    old = long_columns.BATCH_ROWS, long_cells.STEP
    long_columns.BATCH_ROWS, long_cells.STEP = batch, batch
    try:
        table = frame.assign(date=pd.to_datetime(frame["date"]))
        market = long_columns_market(table)
    finally:
        long_columns.BATCH_ROWS, long_cells.STEP = old
    assert_market_is(market, reference(frame))


def long_columns_market(frame: pd.DataFrame):
    """The Market of ``frame`` read as a Parquet file is read (Arrow chunks)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.parquet"
        frame.to_parquet(path, row_group_size=5)
        return indexlab.load_market(path)


def test_errors_name_the_row_of_the_table_across_chunks(tmp_path, chunks):
    frame = messy_table(3, n_assets=4, n_days=10).drop(columns=["tags"])
    frame["date"] = pd.to_datetime(frame["date"])
    n = len(frame)

    def fails(changed: pd.DataFrame, message: str) -> None:
        changed.to_parquet(tmp_path / "m.parquet", row_group_size=4)
        with pytest.raises(DataError, match=message):
            indexlab.load_market(tmp_path / "m.parquet")

    # The first fault of the first kind is reported, not the first row at fault: a
    # price above range early in the table, an invalid price in a later chunk.
    bad = frame.copy()
    bad.loc[1, "close"] = 1e13
    bad.loc[n - 2, "close"] = -1.0
    fails(bad, rf"row {n - 1}, column 'close': -1.0 is not a valid price for asset")
    bad = frame.copy()
    bad.loc[n - 1, "market_cap"] = np.inf
    fails(bad, rf"m.parquet, row {n}, column 'market_cap': inf is outside")
    bad = frame.copy()
    bad.loc[n - 1, "asset"] = "  "
    fails(bad, rf"m.parquet, row {n}, column 'asset': missing asset id")
    bad = frame.copy()
    bad.loc[n - 3, "date"] = pd.Timestamp("2021-03-02 06:00")
    bad.loc[n - 1, "date"] = pd.Timestamp("2001-01-01")
    fails(bad, rf"m.parquet, row {n}, column 'date': 2001-01-01 is outside the valid range")
    bad = frame.copy()
    bad.loc[n - 1, "date"] = None
    fails(bad, rf"m.parquet, row {n}, column 'date': missing date")
    twice = pd.concat([frame, frame.iloc[[2]]], ignore_index=True)
    asset, day = twice.loc[2, "asset"].strip(), twice.loc[2, "date"].date()
    fails(
        twice,
        rf"duplicated \(date, asset\) rows: '{asset}' on {day} appears at row 3 and row {n + 1} "
        r"\(2 rows involved\)",
    )


def test_text_dates_in_parquet_are_parsed_once_per_day_and_checked(tmp_path, chunks):
    frame = messy_table(4, n_assets=3, n_days=6).drop(columns=["tags"])
    frame.to_parquet(tmp_path / "m.parquet", row_group_size=4)
    assert_market_is(indexlab.load_market(tmp_path / "m.parquet"), reference(frame))
    frame.loc[len(frame) - 1, "date"] = "2021-13-01"
    frame.to_parquet(tmp_path / "m.parquet", row_group_size=4)
    with pytest.raises(DataError, match=rf"row {len(frame)}, column 'date': cannot parse '2021-13"):
        indexlab.load_market(tmp_path / "m.parquet")


def test_a_parquet_index_is_not_a_column(tmp_path):
    frame = messy_table(5).set_index("date")
    frame.to_parquet(tmp_path / "m.parquet")
    with pytest.raises(DataError, match="missing required column 'date'"):
        indexlab.load_market(tmp_path / "m.parquet")


def test_integer_closes_and_a_source_column_load(tmp_path):
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-02"]),
            "asset": ["a", "a", "b"],
            "close": [1, 2, 3],
            "market_cap": [10, 20, 30],
            "source": ["x", "y", "z"],
        }
    )
    frame.to_parquet(tmp_path / "m.parquet")
    market = indexlab.load_market(tmp_path / "m.parquet")
    assert market.close.to_numpy().tolist()[1] == [2.0, 3.0]
    assert market.volume is None


def slow_jumps(panel: np.ndarray, factor: float) -> set[tuple[int, int, int]]:
    """(row, col, row of the last valid value before it): the obvious loop."""
    found = set()
    for j in range(panel.shape[1]):
        last = None
        for t in range(panel.shape[0]):
            value = panel[t, j]
            if not (np.isfinite(value) and value > 0):
                continue
            if last is not None:
                level = panel[last, j]
                if value >= level * factor or level >= value * factor:
                    found.add((t, j, last))
            last = t
    return found


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 9)),
    gaps=st.sampled_from([0.0, 0.2, 0.7]),
    block=st.sampled_from([1, 5, 1 << 20]),
)
def test_the_bad_print_screen_reads_blocks_of_rows_like_one_pass(seed, shape, gaps, block):
    from indexlab import quality

    rng = np.random.default_rng(seed)
    panel = np.exp(np.cumsum(rng.normal(0, 0.3, shape), axis=0))
    panel[rng.random(shape) < gaps] = np.nan
    for _ in range(3):
        t, j = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        panel[t : t + rng.integers(1, 4), j] *= rng.choice([1e4, 1e-4])
    old = quality.CELLS_PER_BLOCK
    quality.CELLS_PER_BLOCK = block
    try:
        starts, cols, bases = quality._jumps(panel, 1000.0)
        whole = quality.bad_print_runs(panel)
    finally:
        quality.CELLS_PER_BLOCK = old
    assert set(zip(starts.tolist(), cols.tolist(), bases.tolist(), strict=True)) == slow_jumps(
        panel, 1000.0
    )
    one_pass = quality.bad_print_runs(panel)
    for field in ("start", "end", "col", "jump"):
        assert np.array_equal(getattr(whole, field), getattr(one_pass, field))


def test_a_dense_table_in_date_asset_order_fills_every_cell(tmp_path, chunks):
    days = pd.date_range("2021-01-01", periods=5)
    frame = pd.DataFrame(
        {
            "date": np.repeat(days, 3),
            "asset": np.tile(["a", "b", "c"], 5),
            "close": np.arange(1.0, 16.0),
            "market_cap": np.arange(1.0, 16.0) * 10,
        }
    )
    frame.to_parquet(tmp_path / "m.parquet", row_group_size=4)
    market = indexlab.load_market(tmp_path / "m.parquet")
    assert_market_is(market, reference(frame.assign(volume=np.nan)) | {"volume": None})
    assert market.close.to_numpy().ravel().tolist() == list(np.arange(1.0, 16.0))
