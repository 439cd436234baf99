"""A sweep row and ``indexlab.run`` of the same configuration agree (issue 12, item 14):
both are planned by ``indexlab.engine.configure``; a sweep only batches the kernel and
shares planning work through a memo. Random configurations with drift, gaps, buffers,
seasoning, coverage, review calendars, risk-off and a run cut short."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panels import panel_market, random_panel

import indexlab
from indexlab.engine.memo import BoundedMemo
from indexlab.metrics import METRIC_COLUMNS
from indexlab.spec import Reconstitution, RiskOff
from indexlab.sweep import run_configs
from indexlab.sweep.spec import Config

N_DAYS = 160


@st.composite
def configurations(draw) -> indexlab.Strategy:
    top_n = draw(st.integers(1, 6))
    count = draw(st.sampled_from(["top_n", "top_n", "coverage"]))
    buffered = count == "top_n" and draw(st.booleans())
    universe = indexlab.Universe(
        top_n=top_n if count == "top_n" else None,
        coverage=draw(st.sampled_from([0.5, 0.9])) if count == "coverage" else None,
        exclude=(),
        exit_rank=top_n + draw(st.integers(0, 3)) if buffered else None,
        seasoning_reviews=draw(st.integers(1, 3)),
    )
    drift = draw(st.sampled_from([None, 0.03, 0.2]))
    start = draw(st.integers(0, 40))
    end = draw(st.one_of(st.none(), st.integers(start + 20, N_DAYS - 1)))
    dates = pd.date_range("2020-01-01", periods=N_DAYS, freq="D")
    return indexlab.Strategy(
        name="s",
        universe=universe,
        weighting=indexlab.Weighting(
            draw(st.sampled_from(["market_cap", "sqrt_market_cap", "equal"])),
            cap=draw(st.sampled_from([None, 0.5])),
        ),
        rebalance=indexlab.Rebalance(
            draw(st.sampled_from(["daily", "weekly", "monthly"])),
            drift_threshold=drift,
            drift_mode=draw(st.sampled_from(["absolute", "relative"])),
        ),
        reconstitution=draw(st.sampled_from([None, Reconstitution("monthly")])),
        risk_off=draw(st.sampled_from([None, RiskOff("A00", rule="sma-cross:5,20")])),
        costs=indexlab.Costs(
            draw(st.sampled_from([0.0, 10.0, 100.0])),
            0.0,
            draw(st.sampled_from(["last_close", "zero", 0.5])),  # issue 16, item 6
        ),
        lag_days=draw(st.integers(0, 2)),
        start=dates[start],
        end=None if end is None else dates[end],
        benchmarks=(),
    )


def _other(strategy: indexlab.Strategy) -> str | float:
    return "zero" if strategy.costs.delisting == "last_close" else "last_close"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    gap_rate=st.sampled_from([0.02, 0.15]),
    strategies=st.lists(configurations(), min_size=1, max_size=3),
)
def test_sweep_rows_equal_single_runs(seed, gap_rate, strategies):
    close, cap = random_panel(seed, N_DAYS, 7, gap_rate=gap_rate)
    close = close.rename(columns={"A01": "bitcoin"})  # beta and correlation too
    cap = cap.rename(columns={"A01": "bitcoin"})
    market = panel_market(close, cap)
    configs = [Config(f"c{k}", {}, s) for k, s in enumerate(strategies)]
    # Each configuration twice, with other costs and another delisting assumption:
    # batched together in one kernel call.
    configs += [
        Config(f"d{k}", {}, s.replace(costs=indexlab.Costs(25.0, 5.0, _other(s))))
        for k, s in enumerate(strategies)
    ]
    table, equity = run_configs(market, configs, keep_equity=True, memo=BoundedMemo(1e8))
    table = table.set_index("config_id")
    for config in configs:
        try:
            single = indexlab.run(config.strategy, market)
        except indexlab.IndexlabError as exc:
            assert table.loc[config.id, "error"] == str(exc)
            continue
        # No error: None, or NaN/NA once another row's error made the column text.
        assert pd.isna(table.loc[config.id, "error"])
        np.testing.assert_allclose(
            equity[config.id].to_numpy(), single.equity["s"].to_numpy(), rtol=1e-12, atol=0
        )
        expected = single.metrics().loc["s", list(METRIC_COLUMNS)].astype(float).to_numpy()
        got = table.loc[config.id, list(METRIC_COLUMNS)].astype(float).to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
