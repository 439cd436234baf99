"""data info / validate on small markets whose every oddity is planted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

import indexlab
from indexlab import inspect

DATES = pd.date_range("2022-01-01", periods=120, freq="D")


def market_of(close: dict[str, np.ndarray], supply: float = 1e6) -> indexlab.Market:
    frame = pd.DataFrame(close, index=DATES)
    return indexlab.Market.from_panels(frame, frame * supply, source="planted")


def steady(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.exp(np.cumsum(rng.normal(0, 0.02, len(DATES)))) * 10


def test_survivorship_and_late_end_notes():
    survivors = market_of({f"c{i:02d}": steady(i) for i in range(25)})
    assert any("survivorship bias" in n for n in inspect.coverage_notes(survivors))
    with_deaths = {f"c{i:02d}": steady(i) for i in range(25)}
    for i in range(5):
        with_deaths[f"c{i:02d}"][40:] = np.nan  # five of 25 died mid-way
    assert inspect.coverage_notes(market_of(with_deaths)) == []
    late = dict(with_deaths)
    for i in range(5, 12):
        late[f"c{i:02d}"] = late[f"c{i:02d}"].copy()
        late[f"c{i:02d}"][-4:] = np.nan  # seven stop 4 days before the end
    notes = inspect.late_end_notes(market_of(late))
    assert notes and "7 assets' data stop within the last 30 days" in notes[0]
    assert "the earliest on 2022-04-26" in notes[0]


def test_validate_finds_every_planted_problem():
    dead = steady(1)
    dead[50:70] = dead[50]  # 20 identical closes: a dead feed
    jumpy = steady(2)
    jumpy[80] = jumpy[79] * 40  # a x40 day and back
    gap = steady(3)
    gap[30:33] = np.nan
    closes = {"dead": dead, "jumpy": jumpy, "gap": gap, "fine": steady(4)}
    frame = pd.DataFrame(closes, index=DATES)
    caps = frame * 1e6
    caps.loc[DATES[60] :, "fine"] *= 5  # implied supply x5 on one day
    market = indexlab.Market.from_panels(frame, caps, source="planted")
    found = inspect.validate(market)
    assert found["runs of identical closes"] == [
        f"dead: the same close {dead[50]:.6g} on 20 days in a row, 2022-02-20 .. 2022-03-11 "
        "(a dead feed?)"
    ]
    moves = found["daily moves beyond x10"]
    assert len(moves) == 2 and all(m.startswith("jumpy:") for m in moves)
    assert found["implied supply jumps (market cap / close) beyond x3"] == [
        "fine: x5 on 2022-03-02"
    ]
    info = inspect.describe(market, DATES[10], top=2)
    assert list(info.gaps["asset"]) == ["gap"] and info.gaps["days"].iloc[0] == 3
    assert len(info.largest) == 2
    expected = market.market_cap.loc[DATES[10]].sort_values(ascending=False).index[:2]
    assert list(info.largest["asset"]) == list(expected)
    assert int(info.per_year.loc[2022, "assets_with_market_cap"]) == 4
