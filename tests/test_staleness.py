"""Point-in-time ranking on sparse data (issue 16, item 5): ``universe.max_staleness_days``.

An asset known only from monthly snapshots has no market cap on most review snapshots;
with a staleness limit k it is ranked on its latest close and cap at most k days old,
and never on anything after the snapshot day (t - lag).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import indexlab
from indexlab.errors import SpecError
from indexlab.rules.measures import observation_rows
from indexlab.rules.universe import screen
from indexlab.spec.model import Rebalance, Universe

DATES = pd.date_range("2021-01-01", "2021-03-31", freq="D")


def sparse_market(extra: dict[str, dict[str, float]] | None = None) -> indexlab.Market:
    """A and B daily (caps 9 and 5, price 1); C known only on 2021-01-12 (cap 7, price
    2), as a monthly snapshot would be; ``extra`` adds one-day assets {id: {day: cap}}."""
    close = pd.DataFrame({"A": 1.0, "B": 1.0, "C": np.nan}, index=DATES)
    caps = pd.DataFrame({"A": 9.0, "B": 5.0, "C": np.nan}, index=DATES)
    close.loc["2021-01-12", "C"], caps.loc["2021-01-12", "C"] = 2.0, 7.0
    for asset, days in (extra or {}).items():
        close[asset], caps[asset] = np.nan, np.nan
        for day, cap in days.items():
            close.loc[day, asset], caps.loc[day, asset] = 1.0, cap
    return indexlab.Market.from_panels(close, caps, source="hand case")


def members_on(market, day: str, *, limit: int, top_n: int = 3, lag: int = 0) -> dict:
    s = indexlab.Strategy(
        name="s",
        universe=Universe(top_n=top_n, exclude=(), max_staleness_days=limit),
        rebalance=Rebalance("monthly"),
        costs=indexlab.Costs(0, 0),
        lag_days=lag,
        start=pd.Timestamp("2021-01-15"),
        benchmarks=(),
    )
    weights = indexlab.run(s, market, warn=False).target_weights.loc[pd.Timestamp(day)]
    return {a: round(float(w), 12) for a, w in weights.items() if w > 0}


def test_a_cap_20_days_old_is_ranked_within_35_days_and_not_within_10():
    # Review 2021-02-01, lag 0: C's only cap (Jan 12) is 20 days old.
    market = sparse_market()
    within = members_on(market, "2021-02-01", limit=35)
    assert within == {"A": round(9 / 21, 12), "B": round(5 / 21, 12), "C": round(7 / 21, 12)}
    without = {"A": round(9 / 14, 12), "B": round(5 / 14, 12)}
    assert members_on(market, "2021-02-01", limit=10) == without
    assert members_on(market, "2021-02-01", limit=0) == without
    # Exactly at the limit (20 days) counts; one day short does not.
    assert "C" in members_on(market, "2021-02-01", limit=20)
    assert "C" not in members_on(market, "2021-02-01", limit=19)


def test_a_stale_cap_ranks_like_any_other():
    # top 2: C's 7 beats B's 5 when C is within the limit.
    market = sparse_market()
    assert set(members_on(market, "2021-02-01", limit=35, top_n=2)) == {"A", "C"}
    assert set(members_on(market, "2021-02-01", limit=10, top_n=2)) == {"A", "B"}
    # On 2021-03-01 C's cap is 48 days old: out again.
    assert set(members_on(market, "2021-03-01", limit=35, top_n=2)) == {"A", "B"}


def test_nothing_after_the_snapshot_day_is_used():
    # D is known only on the review day itself (cap 100) and E only the day after:
    # with lag 1 the snapshot is Jan 31, so neither may be ranked on Feb 1.
    market = sparse_market({"D": {"2021-02-01": 100.0}, "E": {"2021-02-02": 50.0}})
    lagged = members_on(market, "2021-02-01", limit=35, lag=1)
    assert set(lagged) == {"A", "B", "C"}
    # With lag 0, the review day's own D is the snapshot: ranked first.
    assert set(members_on(market, "2021-02-01", limit=35, lag=0, top_n=2)) == {"A", "D"}


def test_the_default_is_the_snapshot_day_only():
    assert Universe().max_staleness_days == 0
    with pytest.raises(SpecError, match="universe.max_staleness_days"):
        Universe(max_staleness_days=-1)


def test_a_run_on_sparse_data_holds_a_stale_member_at_its_last_close():
    # M has monthly snapshots (Jan 12, Mar 12; price 1). With limit 35 it is a member
    # on Jan 15 and Feb 1 without a price on either day: bought and valued at its last
    # close (DESIGN section 3). On Mar 1 its cap is 48 days old: sold. C's data end on
    # Jan 12 (its last close): after it, a target on C is cash (delisting rule), as
    # the target and held weights of Jan 15 show.
    market = sparse_market({"M": {"2021-01-12": 6.0, "2021-03-12": 6.0}})
    s = indexlab.Strategy(
        name="s",
        universe=Universe(top_n=4, exclude=(), max_staleness_days=35),
        costs=indexlab.Costs(0, 0),
        lag_days=0,
        start=pd.Timestamp("2021-01-15"),
        benchmarks=(),
    )
    result = indexlab.run(s, market, warn=False)
    assert np.allclose(result.equity.iloc[:, 0], 1.0)  # constant prices, no costs
    held, target = result.weights, result.target_weights
    for day in ("2021-01-15", "2021-02-01"):
        assert held.loc[pd.Timestamp(day), "M"] == pytest.approx(6 / 27)
        assert target.loc[pd.Timestamp(day), "C"] == pytest.approx(7 / 27)
        assert "C" not in held.columns  # C is never held: its data ended on Jan 12
    assert held.loc[pd.Timestamp("2021-03-01"), "M"] == 0
    (note,) = [n for n in result.notes if "no data left" in n]
    assert note.startswith("2 times a member ranked on data up to 35 days old")
    assert "on 2 rebalance dates, at most 25.93% on 2021-01-15" in note  # 7 / 27


def slow_observations(close, caps, snapshot, limit):
    out = np.full((len(snapshot), close.shape[1]), -1)
    for i, s in enumerate(snapshot):
        for a in range(close.shape[1]):
            for r in range(s, max(s - limit, 0) - 1, -1):
                c, m = close[r, a], caps[r, a]
                if np.isfinite(c) and c > 0 and np.isfinite(m) and m > 0:
                    out[i, a] = r
                    break
    return out


cells = st.sampled_from([np.nan, 0.0, -1.0, 1.0, 2.5, 7.0])


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n_days=st.integers(2, 30),
    n_assets=st.integers(1, 4),
    limit=st.integers(0, 12),
)
def test_observations_match_a_slow_loop_and_never_look_ahead(data, n_days, n_assets, limit):
    shape = (n_days, n_assets)
    close = np.array(data.draw(st.lists(cells, min_size=n_days * n_assets, max_size=n_days * n_assets))).reshape(shape)  # fmt: skip
    caps = np.array(data.draw(st.lists(cells, min_size=n_days * n_assets, max_size=n_days * n_assets))).reshape(shape)  # fmt: skip
    snapshot = np.array(sorted(data.draw(st.sets(st.integers(0, n_days - 1), min_size=1))))
    index = pd.date_range("2021-01-01", periods=n_days, freq="D")
    columns = [f"x{i}" for i in range(n_assets)]
    market = indexlab.Market.from_panels(
        pd.DataFrame(close, index, columns), pd.DataFrame(caps, index, columns), source="p"
    )
    closes, market_caps = market.close_values, market.market_cap_values
    rows = observation_rows(market, snapshot, limit)
    assert (rows == slow_observations(closes, market_caps, snapshot, limit)).all()
    assert (rows <= snapshot[:, None]).all()

    # The screens read exactly those rows: the market cap ranked is the observed one.
    s = indexlab.Strategy(
        name="s", universe=Universe(exclude=(), max_staleness_days=limit), benchmarks=()
    )
    screens = screen(s, market, snapshot)
    cols = np.arange(n_assets)[None, :]
    expected = np.where(rows >= 0, market_caps[np.maximum(rows, 0), cols], np.nan)
    if limit > 0:  # (with 0 the snapshot row is read as is, valid or not, as before)
        assert np.array_equal(screens.market_cap, expected, equal_nan=True)
    assert (screens.eligible == (rows >= 0)).all()

    # Changing every value after the last snapshot changes nothing.
    last = int(snapshot[-1])
    if last + 1 < n_days:
        later = close.copy()
        later[last + 1 :] = 3.0
        moved = indexlab.Market.from_panels(
            pd.DataFrame(later, index, columns),
            pd.DataFrame(np.where(np.arange(n_days)[:, None] > last, 11.0, caps), index, columns),
            source="p",
        )
        again = screen(s, moved, snapshot)
        assert np.array_equal(again.market_cap, screens.market_cap, equal_nan=True)
        assert (again.eligible == screens.eligible).all()


def test_the_universe_frame_reads_what_the_screens_read():
    # Result.universe() explains M's membership on Feb 1 with its cap of Jan 12, not as
    # "no valid close".
    market = sparse_market({"M": {"2021-01-12": 6.0, "2021-03-12": 6.0}})
    s = indexlab.Strategy(
        name="s",
        universe=Universe(top_n=4, exclude=(), max_staleness_days=35),
        lag_days=0,
        start=pd.Timestamp("2021-01-15"),
        benchmarks=(),
    )
    frame = indexlab.run(s, market, warn=False).universe()
    row = frame[(frame["date"] == "2021-02-01") & (frame["asset"] == "M")].iloc[0]
    assert bool(row["eligible"]) and row["market_cap"] == 6.0


def test_a_sweep_plans_stale_rankings_as_a_single_run_does():
    # The sweep's memo shares steps between configurations: limits and N must not mix.
    from indexlab.engine.configure import configure

    market = sparse_market({"M": {"2021-01-12": 6.0, "2021-03-12": 6.0}})
    memo: dict = {}
    for limit in (0, 10, 35):
        for top_n in (1, 2, 3, 4):
            s = indexlab.Strategy(
                name="s",
                universe=Universe(top_n=top_n, exclude=(), max_staleness_days=limit),
                lag_days=0,
                start=pd.Timestamp("2021-01-15"),
                benchmarks=(),
            )
            alone, shared = configure(s, market).plan, configure(s, market, memo).plan
            assert np.array_equal(alone.weights, shared.weights)
            assert alone.notes == shared.notes
