"""Signal input: files and frames of bullish / bearish / neutral (or +1 / -1 / 0), grades
and rating bands; every bad input is an error naming the file, line and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexlab import DataError, Market, SpecError
from indexlab.signals import RatingBands, Signal, read_signal, signal_from_long


def small_market() -> Market:
    dates = pd.date_range("2024-01-01", periods=10, freq="D")
    close = pd.DataFrame(
        {"tron": np.linspace(1, 2, 10), "bitcoin": 100.0, "usd-a": 1.0, "usd-b": 1.0},
        index=dates,
    )
    assets = pd.DataFrame(
        {"symbol": ["trx", "btc", "usd", "usd"], "name": ["TRON", "Bitcoin", "A", "B"]},
        index=["tron", "bitcoin", "usd-a", "usd-b"],
    )
    return Market.from_panels(close, close * 1e6, assets=assets, source="small")


def write(tmp_path, text: str, name: str = "signal.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_words_and_numbers_are_read_and_values_hold_until_the_next(tmp_path):
    path = write(
        tmp_path,
        "date,asset,signal\n"
        "2024-01-02,TRX,Bullish\n"  # a symbol, any case
        "2024-01-05,tron,-1\n"
        "2024-01-03,bitcoin, neutral \n"
        "2024-01-07,tron,+1\n"
        "2024-01-08,bitcoin,1.0\n",
    )
    signal = read_signal(path, small_market())
    assert list(signal.assets) == ["bitcoin", "tron"]
    dates = pd.date_range("2024-01-01", "2024-01-10")
    on = signal.on(dates)
    # Before the first value: unknown; then each value holds until the next one.
    np.testing.assert_array_equal(on["tron"].to_numpy(), [np.nan, 1, 1, 1, -1, -1, 1, 1, 1, 1])
    np.testing.assert_array_equal(
        on["bitcoin"].to_numpy(), [np.nan, np.nan, 0, 0, 0, 0, 0, 1, 1, 1]
    )
    assert signal.source == str(path) and len(signal.source_sha256) == 64
    assert signal.series("tron").index[0] == pd.Timestamp("2024-01-02")


def test_parquet_gives_the_same_signal(tmp_path):
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-02", "2024-01-04"]),
            "asset": ["tron", "tron"],
            "signal": ["bearish", "bullish"],
        }
    )
    frame.to_parquet(tmp_path / "s.parquet")
    frame.to_csv(tmp_path / "s.csv", index=False)
    a = read_signal(tmp_path / "s.parquet", small_market())
    b = read_signal(tmp_path / "s.csv", small_market())
    pd.testing.assert_frame_equal(a.values, b.values)
    assert a.values["tron"].tolist() == [-1.0, -1.0, 1.0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "2024-01-02,tron,bullsh\n",
            r"line 3, column 'signal': 'bullsh' is not a signal value \(expected bullish, bearish",
        ),
        ("2024-01-02,tron,2\n", r"line 3, column 'signal': '2' is not a signal value"),
        ("2024-01-02,tron,\n", r"line 3, column 'signal': missing is not a signal value"),
        ("2024-01-02,tron,0.5\n", r"line 3, column 'signal': '0.5'"),
        ("2024-13-02,tron,1\n", r"line 3, column 'date': '2024-13-02' is not a calendar date"),
        ("2024-01-02 12:00,tron,1\n", r"line 3, column 'date': .* one value per UTC day"),
        (
            "2024-01-02,dogecoin,1\n",
            r"line 3, column 'asset': no asset with id or symbol 'dogecoin' in small",
        ),
        ("2024-01-02,trn,1\n", r"did you mean 'tron', 'trx'\?"),
        (
            "2024-01-02,usd,1\n",
            r"line 3, column 'asset': symbol 'usd' is ambiguous .* usd-a \(A\), usd-b \(B\)",
        ),
        ("2024-01-02,,1\n", r"line 3, column 'asset': missing asset"),
        (
            "2024-01-03,tron,1\n",
            r"duplicated date 2024-01-03 for asset 'tron' at line 2 and line 3",
        ),
        (
            "2024-01-03,TRX,-1\n",
            r"duplicated date 2024-01-03 for asset 'tron' at line 2 and line 3",
        ),
    ],
)
def test_bad_signal_files_name_the_line_and_column(tmp_path, body, message):
    path = write(tmp_path, "date,asset,signal\n2024-01-03,tron,bullish\n" + body)
    with pytest.raises(DataError, match=message) as caught:
        read_signal(path, small_market())
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "date,asset,value",
            r"missing column 'signal' \(a signal file has columns date, asset, signal; a grades file date, asset, score; found: date, asset, value\)",
        ),
        ("day,asset,signal", r"missing column 'date'"),
        ("date,asset,signal,score", r"both 'signal' and 'score'"),
    ],
)
def test_files_without_the_right_columns(tmp_path, header, message):
    path = write(
        tmp_path, header + "\n2024-01-02,tron,1" + (",1" if header.count(",") == 3 else "") + "\n"
    )
    with pytest.raises(DataError, match=message):
        read_signal(path)


def test_file_errors_without_rows_or_file(tmp_path):
    with pytest.raises(DataError, match="no rows"):
        read_signal(write(tmp_path, "date,asset,signal\n"))
    with pytest.raises(DataError, match="no such file"):
        read_signal(tmp_path / "missing.csv")


def test_without_a_market_assets_are_taken_as_given(tmp_path):
    path = write(tmp_path, "date,asset,signal\n2024-01-02,anything,1\n")
    assert list(read_signal(path).assets) == ["anything"]


def test_signal_built_in_code_from_series_and_frames():
    dates = pd.date_range("2024-01-01", periods=4)
    signal = Signal.from_values(pd.Series([1, np.nan, -1, 0], index=dates, name="tron"))
    assert signal.values["tron"].tolist() == [1.0, 1.0, -1.0, 0.0]  # NaN: the value holds
    frame = pd.DataFrame({"a": ["bullish", "BEARISH", None, "neutral"], "b": 1}, index=dates)
    values = Signal.from_values(frame).values
    assert values["a"].tolist() == [1.0, -1.0, -1.0, 0.0]
    with pytest.raises(SpecError, match=r"asset 'a' on 2024-01-02: 'up' is not a signal value"):
        Signal.from_values(frame.replace("BEARISH", "up"))
    with pytest.raises(SpecError, match="duplicated date 2024-01-01"):
        Signal.from_values(pd.Series([1, 1], index=[dates[0], dates[0]]))
    with pytest.raises(SpecError, match="calendar days"):
        Signal.from_values(pd.Series([1], index=[dates[0] + pd.Timedelta(hours=3)]))
    with pytest.raises(SpecError, match="booleans are not signal values"):
        Signal.from_values(pd.Series([True], index=dates[:1]))
    with pytest.raises(SpecError, match="no signal for asset 'x'"):
        signal.series("x")


# ---------------------------------------------------------------- grades
def test_rating_bands_with_default_and_custom_cutoffs():
    scores = pd.Series([0, 19.99, 20, 39.9, 40, 59, 60, 79.9, 80, 100, np.nan])
    expected = [
        "strong sell",
        "strong sell",
        "sell",
        "sell",
        "neutral",
        "neutral",
        "buy",
        "buy",
        "strong buy",
        "strong buy",
        None,
    ]
    assert RatingBands().rate(scores).tolist() == expected
    custom = RatingBands((10, 30, 70, 90))
    assert custom.rate(pd.Series([9, 10, 50, 89, 90])).tolist() == [
        "strong sell",
        "sell",
        "neutral",
        "buy",
        "strong buy",
    ]
    for bad in [
        (20, 40, 60),
        (20, 20, 60, 80),
        (0, 40, 60, 80),
        (20, 40, 60, 100),
        (40, 20, 60, 80),
    ]:
        with pytest.raises(SpecError, match="rating cut-offs"):
            RatingBands(bad)


def test_grades_file_maps_to_a_signal_by_threshold_and_to_ratings(tmp_path):
    path = write(
        tmp_path,
        "date,asset,score\n2024-01-01,tron,75\n2024-01-02,tron,49.5\n2024-01-04,tron,50\n",
    )
    signal = read_signal(path, small_market())
    assert signal.values["tron"].tolist() == [1.0, -1.0, -1.0, 1.0]  # at the threshold: bullish
    assert signal.ratings["tron"].tolist() == ["buy", "neutral", "neutral", "neutral"]
    strict = read_signal(path, small_market(), threshold=80, bands=RatingBands((10, 20, 30, 40)))
    assert strict.values["tron"].tolist() == [-1.0, -1.0, -1.0, -1.0]
    assert strict.ratings["tron"].tolist() == ["strong buy"] * 4
    assert strict.score_series("tron").tolist() == [75.0, 49.5, 49.5, 50.0]


@pytest.mark.parametrize("value", ["101", "-0.1", "high", ""])
def test_bad_scores_are_errors(tmp_path, value):
    path = write(tmp_path, f"date,asset,score\n2024-01-01,tron,50\n2024-01-02,tron,{value}\n")
    with pytest.raises(DataError, match=r"line 3, column 'score': .* not a score from 0 to 100"):
        read_signal(path, small_market())


def test_grades_built_in_code_and_bad_threshold():
    dates = pd.date_range("2024-01-01", periods=3)
    signal = Signal.from_scores(pd.Series([10, 90, np.nan], index=dates, name="x"), threshold=60)
    assert signal.values["x"].tolist() == [-1.0, 1.0, 1.0]
    with pytest.raises(SpecError, match="threshold: 120 is not in"):
        Signal.from_scores(pd.Series([10], index=dates[:1]), threshold=120)
    with pytest.raises(SpecError, match="'x' at 2024-01-02: 140.0 is not a score"):
        Signal.from_scores(pd.Series([10, 140], index=dates[:2], name="x"))


def test_long_frame_input_names_rows():
    frame = pd.DataFrame({"date": ["2024-01-01"], "asset": ["tron"], "signal": ["maybe"]})
    with pytest.raises(DataError, match=r"<DataFrame>, row 1, column 'signal'"):
        signal_from_long(frame)
