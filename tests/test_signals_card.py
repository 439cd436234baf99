"""The price context card on a hand-built market: every number computed by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import DataError, Market, SpecError
from indexlab.signals import Signal, price_card

DATES = pd.date_range("2023-12-20", "2024-02-10", freq="D")  # 53 days; row k = day k
DAY = pd.Timestamp("2024-02-10")  # row 52


def market(changes: dict | None = None) -> Market:
    close = pd.DataFrame(
        {
            "tron": 1 + 0.1 * np.arange(len(DATES)),  # P_k = 1 + 0.1 k
            "b": 5.0,
            "c": 7.0,
            "d": 1.0,
            "e": 2.0,
        },
        index=DATES,
    )
    caps = pd.DataFrame({"tron": 50.0, "b": 80.0, "c": 50.0, "d": np.nan, "e": 10.0}, index=DATES)
    for (column, day), value in (changes or {}).items():
        close.loc[pd.Timestamp(day), column] = value
    assets = pd.DataFrame(
        {"symbol": ["trx", "b", "c", "d", "e"], "name": ["TRON", "B", "C", "D", "E"]},
        index=["tron", "b", "c", "d", "e"],
    )
    built = Market.from_panels(close, caps, assets=assets, source="hand-built")
    total = pd.Series(1000.0, index=DATES)
    return built.with_total_market_cap(total, source="total")


def test_prices_returns_rank_and_dominance_by_hand():
    card = price_card(market(), "TRX", DAY)
    assert card.asset == "tron" and card.symbol == "trx" and card.name == "TRON"
    assert card.price == pytest.approx(6.2) and card.price_date == DAY
    assert card.change_7d == pytest.approx(6.2 / 5.5 - 1)  # 2024-02-03 is row 45
    assert card.change_30d == pytest.approx(6.2 / 3.2 - 1)  # 2024-01-11 is row 22
    assert card.change_ytd == pytest.approx(6.2 / 2.1 - 1)  # 2023-12-31 is row 11
    assert np.isnan(card.change_1y)  # no price a year before
    # Caps: b 80, c 50, tron 50 (a tie: c first, by id), e 10; d has none.
    assert (card.rank, card.ranked_assets) == (3, 4)
    assert price_card(market(), "c", DAY).rank == 2
    assert price_card(market(), "d", DAY).rank is None
    assert card.dominance == pytest.approx(0.05)
    assert card.signal is None and card.rating is None and not card.synthetic
    assert card.to_series()["change_30d"] == card.change_30d
    text = card.text()
    assert "TRX (TRON) on 2024-02-10" in text and "rank #3 of 4" in text
    assert "YTD +195.2%" in text and "1y –" in text and "5.00% of the total market cap" in text


def test_a_missing_close_uses_the_last_one_before_and_says_so():
    card = price_card(
        market({("tron", "2024-02-10"): np.nan, ("tron", "2024-02-03"): np.nan}), "tron", DAY
    )
    assert card.price == pytest.approx(6.1) and card.price_date == pd.Timestamp("2024-02-09")
    assert card.change_7d == pytest.approx(6.1 / 5.4 - 1)  # 2024-02-03 missing: 02-02
    assert "(last close 2024-02-09)" in card.text()


def test_signal_since_last_flip_and_pending_flip():
    flips = pd.Series(
        ["bullish", "bearish", "bullish"],
        index=pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-10"]),
        name="tron",
    )
    signal = Signal.from_values(flips, source="my model")
    card = price_card(market(), "tron", DAY, signal=signal, lag_days=1)
    # The bullish signal of 02-10 is pending; the position is bearish since 01-21 (row 32).
    assert card.signal == "bullish" and card.last_flip_direction == "bearish"
    assert card.last_flip_date == pd.Timestamp("2024-01-21") and card.flipped
    assert card.return_since_last_flip == pytest.approx(6.2 / 4.2 - 1)
    assert card.pending_flip == "bullish (signal of 2024-02-10, traded at the close of 2024-02-11)"
    earlier = price_card(market(), "tron", "2024-01-15", signal=signal, lag_days=0)
    # Lag 0: bullish since the close of 01-05 (row 16), as of 01-15 (row 26); never flipped.
    assert earlier.last_flip_date == pd.Timestamp("2024-01-05") and not earlier.flipped
    assert earlier.return_since_last_flip == pytest.approx(3.6 / 2.6 - 1)
    assert "since 1st signal" in earlier.text() and earlier.pending_flip is None
    before = price_card(market(), "tron", "2024-01-05", signal=signal, lag_days=1)
    assert before.signal == "bullish" and before.last_flip_date is None  # not traded yet


def test_grades_give_a_rating_and_a_score():
    scores = pd.Series(
        [85.0, 30.0], index=pd.to_datetime(["2024-01-01", "2024-02-01"]), name="tron"
    )
    signal = Signal.from_scores(scores, threshold=50)
    card = price_card(market(), "tron", DAY, signal=signal)
    assert (card.score, card.rating, card.signal) == (30.0, "sell", "bearish")
    assert "rating           sell (score 30)" in card.text()
    card = price_card(market(), "tron", "2024-01-20", signal=signal)
    assert (card.score, card.rating, card.signal) == (85.0, "strong buy", "bullish")


def test_synthetic_data_is_said_and_errors_name_the_fault():
    demo = indexlab.demo_market()
    card = price_card(demo, "tron")
    assert card.synthetic and "synthetic demo data" in card.data and card.date == demo.end
    assert "synthetic demo data" in card.text()
    assert np.isnan(price_card(demo, "bitcoin").dominance)  # no total market loaded
    generated = replace(market(), synthetic=True)  # a source that does not say it
    assert price_card(generated, "tron").data == "hand-built (synthetic demo data)"
    with pytest.raises(DataError, match="2025-01-01: outside the data of hand-built"):
        price_card(market(), "tron", "2025-01-01")
    late = market({("tron", d): np.nan for d in DATES[:5]})
    with pytest.raises(
        DataError, match="no valid close on or before 2023-12-22 \\(the first is on 2023-12-25\\)"
    ):
        price_card(late, "tron", "2023-12-22")
    with pytest.raises(SpecError, match="no asset with id or symbol 'xrp'"):
        price_card(market(), "xrp")
    dead = replace(market(), close=market().close.assign(e=np.nan))
    with pytest.raises(DataError, match="'e' has no valid close"):
        price_card(dead, "e")
