"""The entry-date study keeps to the base strategy's window (issue 12, item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab.sweep.entry import entry_dates, entry_study
from indexlab.sweep.spec import EntryStudy


@pytest.fixture(scope="module")
def market() -> indexlab.Market:
    """Four assets over 2019-01-01 .. 2021-06-30, all listed throughout."""
    dates = pd.date_range("2019-01-01", "2021-06-30", freq="D")
    rng = np.random.default_rng(3)
    assets = ["bitcoin", "a", "b", "c"]
    close = np.exp(np.cumsum(rng.normal(0, 0.03, (len(dates), len(assets))), axis=0))
    close *= np.array([5000.0, 10.0, 3.0, 1.0])
    cap = close * np.array([1e7, 1e8, 1e8, 1e8])
    return indexlab.Market.from_panels(
        pd.DataFrame(close, index=dates, columns=assets),
        pd.DataFrame(cap, index=dates, columns=assets),
        assets=pd.DataFrame({"symbol": ["BTC", "A", "B", "C"]}, index=assets),
    )


def base(**changes) -> indexlab.Strategy:
    strategy = indexlab.Strategy(
        name="top3",
        universe=indexlab.Universe(top_n=3, exclude=()),
        benchmarks=("BTC",),
        start=pd.Timestamp("2019-03-01"),
        end=pd.Timestamp("2019-12-31"),
    )
    return strategy.replace(**changes)


def test_without_a_horizon_each_run_ends_at_the_base_strategys_end(market):
    table = entry_study(market, base(), EntryStudy(frequency="monthly"))
    # Starts on the first of each month from March up to 30 days before the end.
    assert list(table["start"]) == list(pd.date_range("2019-03-01", "2019-12-01", freq="MS"))
    assert (table["end"] == pd.Timestamp("2019-12-31")).all()
    assert list(table["days"]) == [
        (pd.Timestamp("2019-12-31") - s).days + 1 for s in table["start"]
    ]
    # Each row is the single run from its start to the base's end.
    row = table.iloc[4]
    single = indexlab.run(base(start=row["start"]), market).metrics()
    assert row["cagr"] == pytest.approx(single.iloc[0]["cagr"], rel=1e-12)
    assert row["btc_cagr"] == pytest.approx(single.iloc[1]["cagr"], rel=1e-12)


def test_without_an_end_runs_last_to_the_end_of_the_data(market):
    table = entry_study(market, base(end=None), EntryStudy(frequency="quarterly"))
    assert (table["end"] == market.end).all()
    assert table["start"].iloc[-1] == pd.Timestamp("2021-04-01")


def test_with_a_horizon_runs_stay_inside_the_base_strategys_end(market):
    study = EntryStudy(frequency="monthly", horizon_days=90)
    table = entry_study(market, base(), study)
    # Only starts with 90 days before 2019-12-31: the last is 2019-10-01 (ends 12-30).
    assert list(table["start"]) == list(pd.date_range("2019-03-01", "2019-10-01", freq="MS"))
    assert (table["end"] == table["start"] + pd.Timedelta(days=90)).all()
    assert (table["end"] <= pd.Timestamp("2019-12-31")).all()
    assert entry_dates(market, base(), study).equals(pd.DatetimeIndex(table["start"]))


def test_a_horizon_past_the_data_drops_the_starts_that_would_need_more(market):
    table = entry_study(market, base(end=None), EntryStudy("quarterly", horizon_days=365))
    assert table["start"].iloc[-1] == pd.Timestamp("2020-04-01")
    assert (table["end"] <= market.end).all()
