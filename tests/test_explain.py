"""Result.universe() and Result.selection(): why an asset is (not) in the index."""

from __future__ import annotations

import numpy as np
import pandas as pd

import indexlab

DATES = pd.date_range("2021-01-01", "2021-03-03", freq="D")


def _market() -> indexlab.Market:
    n = len(DATES)
    late = np.where(DATES >= "2021-01-20", 1.0, np.nan)
    gap = np.where(DATES == pd.Timestamp("2021-03-01"), np.nan, 1.0)
    close = pd.DataFrame({"A": 1.0, "B": 1.0, "C": late, "D": gap, "E": 1.0, "T": 1.0}, index=DATES)
    caps = pd.DataFrame(
        {
            "A": np.full(n, 10.0),
            "B": np.where(DATES >= "2021-02-01", 4.0, 8.0),  # falls to rank 3 in February
            "C": 7.0 * late,
            "D": 5.0 * gap,
            "E": np.full(n, 6.0),
            "T": np.full(n, 99.0),
        },
        index=DATES,
    )
    return indexlab.Market.from_panels(close, caps, tags={"T": {"stablecoin"}}, source="hand")


def test_why_each_asset_is_in_or_out():
    # Top 2 (entry rank 2), exit rank 3, seasoning 2, monthly, lag 0, no stablecoins.
    # Jan 1: A 10, B 8, E 6, D 5 (C not listed; T excluded): A and B enter, E has no
    #        free place. The count reaches back before the data: all listed on day 0
    #        count as seasoned.
    # Feb 1: A 10, C 7, E 6, D 5, B 4. C is eligible once: not seasoned, not ranked.
    #        Ranked A 1, E 2, D 3, B 4: B is beyond the exit rank and leaves; E, a
    #        newcomer within the entry rank, takes the free place; D has none.
    # Mar 1: D has no close. C is seasoned: A 1, C 2, E 3; E stays (within the exit
    #        rank), C finds no free place.
    strategy = indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(2, exclude=("stablecoin",), exit_rank=3, seasoning_reviews=2),
        rebalance=indexlab.Rebalance("monthly"),
        costs=indexlab.Costs(0, 0),
        lag_days=0,
        benchmarks=(),
    )
    result = indexlab.run(strategy, _market())
    universe = result.universe().set_index(["date", "asset"])
    assert universe.loc[("2021-01-01", "T"), "reason"] == "excluded: stablecoin"
    assert ("2021-01-01", "C") not in universe.index  # not listed then
    assert universe.loc[("2021-03-01", "D"), "reason"] == "no valid close"
    assert bool(universe.loc[("2021-02-01", "C"), "eligible"])
    selection = result.selection().set_index(["date", "asset"])
    reason = selection["reason"]
    assert reason[("2021-01-01", "A")] == "rank 1: entered a free place"
    assert reason[("2021-01-01", "E")] == "rank 3: no free place for a newcomer"
    assert reason[("2021-02-01", "B")] == "rank 4: beyond the exit rank 3"
    assert reason[("2021-02-01", "E")] == "rank 2: entered a free place"
    assert reason[("2021-02-01", "C")] == "not seasoned (1 of 2 reviews)"
    assert reason[("2021-03-01", "C")] == "rank 2: no free place for a newcomer"
    assert reason[("2021-03-01", "E")] == "rank 3: kept by the buffer (exit rank 3)"
    # The frames agree with the weights the run held.
    weights = result.weights
    for day in weights.index:
        held = set(weights.columns[weights.loc[day] > 0])
        chosen = selection.xs(day, level="date")
        assert held == set(chosen.index[chosen["selected"]])
