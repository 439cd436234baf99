"""Tags given per row of a long table hold from the row's date on (issue 12, item 4).

Reading (docs/taxonomy.md, "Tags in the long table"): a tag holds for an asset from
the first row of that asset that carries it; a later row without it does not remove
it; the shipped list (or ``load_market(tags=...)``) saying "always" wins over a row's
date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab.rules.universe import exclusion_mask, market_dated_tags
from indexlab.spec import Costs, Rebalance, Strategy, Universe, Weighting

DATES = pd.date_range("2021-01-01", "2021-01-10", freq="D")
CAPS = {"aaa": 3e9, "bbb": 2e9, "memex": 1e9}


def long_table(tagged: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Three assets on ten days; ``tagged[(asset, 'YYYY-MM-DD')]`` is that row's tags."""
    rows = []
    for i, day in enumerate(DATES):
        for asset, cap in CAPS.items():
            tags = tagged.get((asset, str(day.date())), "")
            rows.append((str(day.date()), asset, 1.0 + 0.01 * i, cap, tags))
    return pd.DataFrame(rows, columns=["date", "asset", "close", "market_cap", "tags"])


def write_csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "market.csv"
    frame.to_csv(path, index=False)
    return path


def no_memes(lag_days: int = 0) -> Strategy:
    return Strategy(
        name="no-memes",
        universe=Universe(top_n=3, exclude=("memecoin",)),
        weighting=Weighting(scheme="equal"),
        rebalance=Rebalance(frequency="daily"),
        costs=Costs(),
        lag_days=lag_days,
        benchmarks=(),
    )


def test_a_tag_on_the_last_row_excludes_only_from_that_date(tmp_path):
    market = indexlab.load_market(
        write_csv(tmp_path, long_table({("memex", "2021-01-10"): "memecoin"}))
    )
    weights = indexlab.run(no_memes(), market).target_weights
    before = weights.loc[:"2021-01-09"]
    assert np.allclose(before["memex"], 1 / 3) and np.allclose(before["aaa"], 1 / 3)
    assert weights.loc["2021-01-10", "memex"] == 0.0
    assert weights.loc["2021-01-10", "aaa"] == pytest.approx(0.5)
    assert market.tags["memex"] == {"memecoin"}  # the undated view: every tag ever carried


def test_a_later_row_without_the_tag_does_not_remove_it(tmp_path):
    market = indexlab.load_market(
        write_csv(tmp_path, long_table({("memex", "2021-01-05"): "memecoin"}))
    )
    weights = indexlab.run(no_memes(), market).target_weights["memex"]
    assert np.allclose(weights.loc[:"2021-01-04"], 1 / 3)
    assert (weights.loc["2021-01-05":] == 0.0).all()
    # With lag 1 a review on t decides on t - 1: the tag of 01-05 counts from 01-06.
    lagged = indexlab.run(no_memes(lag_days=1), market).target_weights["memex"]
    assert np.allclose(lagged.loc[:"2021-01-05"], 1 / 3)
    assert (lagged.loc["2021-01-06":] == 0.0).all()


def test_exclusion_mask_with_row_tags_by_hand(tmp_path):
    tagged = {
        ("memex", "2021-01-04"): "memecoin",
        ("memex", "2021-01-07"): "memecoin; privacy",
        ("bbb", "2021-01-08"): "privacy",
    }
    market = indexlab.load_market(write_csv(tmp_path, long_table(tagged)))
    days = pd.DatetimeIndex(["2021-01-01", "2021-01-03", "2021-01-04", "2021-01-07", "2021-01-10"])
    # columns aaa, bbb, memex
    expected_meme = np.array([[0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]], dtype=bool)
    expected_privacy = np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 1, 1]], dtype=bool)
    assert list(market.asset_ids) == ["aaa", "bbb", "memex"]
    assert (exclusion_mask(market, ["memecoin"], days) == expected_meme).all()
    assert (exclusion_mask(market, ["privacy"], days) == expected_privacy).all()
    both = exclusion_mask(market, ["memecoin", "privacy"], days)
    assert (both == (expected_meme | expected_privacy)).all()
    # Without dates: every tag ever carried.
    assert list(exclusion_mask(market, ["privacy"])) == [False, True, True]
    dated = market_dated_tags(market).set_index(["asset", "tag"])["effective_from"]
    assert dated[("memex", "memecoin")] == pd.Timestamp("2021-01-04")
    assert dated[("memex", "privacy")] == pd.Timestamp("2021-01-07")
    assert dated[("bbb", "privacy")] == pd.Timestamp("2021-01-08")
    # The worked example of docs/taxonomy.md, run.
    held = indexlab.run(no_memes(), market).target_weights["memex"]
    assert np.allclose(held.loc[:"2021-01-03"], 1 / 3) and (held.loc["2021-01-04":] == 0).all()
    held = indexlab.run(no_memes(lag_days=1), market).target_weights["memex"]
    assert np.allclose(held.loc[:"2021-01-04"], 1 / 3) and (held.loc["2021-01-05":] == 0).all()


def test_the_market_keeps_the_dates_of_row_tags_through_parquet(tmp_path):
    tagged = {("memex", "2021-01-06"): "memecoin", ("aaa", "2021-01-02"): "defi"}
    frame = long_table(tagged)
    from_csv = indexlab.load_market(write_csv(tmp_path, frame))
    frame.to_parquet(tmp_path / "market.parquet", index=False)
    from_parquet = indexlab.load_market(tmp_path / "market.parquet")
    expected = pd.DataFrame(
        {
            "asset": pd.Series(["aaa", "memex"], dtype=object),  # as taxonomy.dated_tags
            "tag": pd.Series(["defi", "memecoin"], dtype=object),
            "effective_from": pd.to_datetime(["2021-01-02", "2021-01-06"]).as_unit("ns"),
        }
    )
    for market in (from_csv, from_parquet):
        pd.testing.assert_frame_equal(market.dated_tags, expected)
        assert market.tags["aaa"] == {"defi"} and market.tags["memex"] == {"memecoin"}
    # restrict and with_total_market_cap keep them (dataclasses.replace).
    cut = from_parquet.restrict("2021-01-08")
    pd.testing.assert_frame_equal(cut.dated_tags, expected)


def test_always_from_the_shipped_list_or_load_market_tags_wins_over_a_row_date(tmp_path):
    frame = long_table({("memex", "2021-01-06"): "memecoin", ("aaa", "2021-01-03"): "privacy"})
    extra = frame[frame["asset"] == "aaa"].assign(asset="dogecoin", tags="")
    extra.loc[extra["date"] == "2021-01-05", "tags"] = "memecoin"  # shipped: always a memecoin
    path = write_csv(tmp_path, pd.concat([frame, extra], ignore_index=True))
    market = indexlab.load_market(path, tags={"memex": {"memecoin"}})
    dated = market_dated_tags(market).set_index(["asset", "tag"])["effective_from"]
    assert pd.isna(dated[("dogecoin", "memecoin")])
    assert pd.isna(dated[("memex", "memecoin")])
    assert dated[("aaa", "privacy")] == pd.Timestamp("2021-01-03")
    assert list(market.dated_tags["asset"]) == ["aaa"]


def test_from_panels_carries_dated_tags():
    close = pd.DataFrame(1.0, index=DATES, columns=list(CAPS))
    caps = pd.DataFrame([list(CAPS.values())] * len(DATES), index=DATES, columns=list(CAPS))
    dated = pd.DataFrame(
        {
            "asset": ["memex", "gone"],
            "tag": ["memecoin", "memecoin"],
            "effective_from": pd.to_datetime(["2021-01-05", "2021-01-01"]),
        }
    )
    market = indexlab.Market.from_panels(close, caps, dated_tags=dated)
    assert list(market.dated_tags["asset"]) == ["memex"]  # assets not in the market dropped
    assert market.tags["memex"] == {"memecoin"}  # and the undated view has the tag
    mask = exclusion_mask(market, ["memecoin"], DATES)
    assert list(mask[:, 2]) == [False] * 4 + [True] * 6
