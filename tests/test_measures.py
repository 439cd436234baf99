"""Smoothed measures: the EMA by span or by half-life against hand-computed numbers
and a slow loop, the rules for giving one or the other, and a sweep grid over the
half-life agreeing with single runs (the plan's memo keys hold the half-life)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from panels import panel_market, random_panel

import indexlab
from indexlab import SpecError
from indexlab.rules.measures import measure_values
from indexlab.spec import Measure, Weighting

NAN = np.nan


def one_asset(caps: list[float]) -> indexlab.Market:
    dates = pd.date_range("2021-01-01", periods=len(caps), freq="D")
    cap = pd.DataFrame({"a": caps}, index=dates)
    close = cap.where(cap.isna(), 1.0)
    return indexlab.Market.from_panels(close, cap, source="hand case")


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        # alpha = 1 - 0.5 ** (1 / 1) = 0.5: 100; 0.5*200 + 0.5*100 = 150; the missing day
        # is skipped; 0.5*400 + 0.5*150 = 275.
        (Measure("market_cap_ema", halflife_days=1), [100.0, 150.0, NAN, 275.0]),
        # A span of 3 is the same alpha, 2 / (3 + 1) = 0.5.
        (Measure("market_cap_ema", 3), [100.0, 150.0, NAN, 275.0]),
        # Half-life 2: alpha = 1 - sqrt(0.5) = 0.292893; 100 + a*100 = 129.2893;
        # 129.2893 + a*(400 - 129.2893) = 208.5786.
        (Measure("market_cap_ema", halflife_days=2), [100.0, 129.28932, NAN, 208.57864]),
        # The default span 30: alpha = 2/31; 100 + 200/31 = 106.4516; then
        # 106.4516 + (2/31)*(400 - 106.4516) = 125.3902.
        (Measure("market_cap_ema"), [100.0, 106.45161, NAN, 125.39022]),
        # SMA over 2 days, the valid values among them: 100, 150, -, 400.
        (Measure("market_cap_sma", 2), [100.0, 150.0, NAN, 400.0]),
    ],
)
def test_smoothed_market_caps_by_hand(measure, expected):
    values = measure_values(one_asset([100.0, 200.0, NAN, 400.0]), measure)[:, 0]
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def slow_ema(caps: np.ndarray, alpha: float) -> np.ndarray:
    """The recursion written out: start at the first valid cap, skip missing days."""
    out = np.full(caps.shape, np.nan)
    for j in range(caps.shape[1]):
        ema = None
        for t in range(caps.shape[0]):
            cap = caps[t, j]
            if not np.isfinite(cap) or cap <= 0:
                continue
            ema = cap if ema is None else alpha * cap + (1 - alpha) * ema
            out[t, j] = ema
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("halflife", [0.5, 3.0, 17.5])
def test_half_life_ema_equals_a_slow_loop_on_panels_with_gaps_and_deaths(seed, halflife):
    close, caps = random_panel(seed, 120, 6, start="2020-01-01")
    market = panel_market(close, caps)
    got = measure_values(market, Measure("market_cap_ema", halflife_days=halflife))
    caps_values = market.market_cap_values
    assert np.isnan(caps_values).any()  # the panel has gaps, late listings or deaths
    expected = slow_ema(caps_values, 1 - 0.5 ** (1 / halflife))
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


def test_span_ema_equals_a_slow_loop():
    close, caps = random_panel(9, 120, 6, start="2020-01-01")
    market = panel_market(close, caps)
    got = measure_values(market, Measure("market_cap_ema", 9))
    expected = slow_ema(market.market_cap_values, 2 / 10)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


# ---------------------------------------------------------------- the keys
def test_half_life_in_files_and_in_code(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[ranking]\nmeasure = "market_cap_ema"\nhalflife_days = 10\n'
        '[weighting]\nmeasure = "market_cap_ema"\nhalflife_days = 2.5\n'
    )
    s = indexlab.Strategy.from_toml(path)
    assert s.ranking == Measure("market_cap_ema", halflife_days=10.0)
    assert s.weighting.measure_spec == Measure("market_cap_ema", halflife_days=2.5)
    assert indexlab.Strategy.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[ranking]\nmeasure = "market_cap_ema"\nwindow_days = 30\nhalflife_days = 10\n',
            r"s.toml: ranking.halflife_days: give window_days \(an EMA's span\) or "
            "halflife_days, not both",
        ),
        (
            '[ranking]\nmeasure = "market_cap_sma"\nhalflife_days = 10\n',
            "ranking.halflife_days: goes with measure 'market_cap_ema', not 'market_cap_sma'",
        ),
        (
            '[weighting]\nmeasure = "market_cap_ema"\nhalflife_days = 0\n',
            r"weighting.halflife_days: must be a number > 0, got 0",
        ),
        (
            '[ranking]\nmeasure = "market_cap_ema"\nhalflife_days = "ten"\n',
            "ranking.halflife_days: expected a number, got 'ten'",
        ),
    ],
)
def test_bad_half_lives(tmp_path, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message):
        indexlab.Strategy.from_toml(path)


def test_a_half_life_and_another_window_in_code_is_an_error():
    with pytest.raises(SpecError, match="give window_days .* or halflife_days, not both"):
        indexlab.Strategy(ranking=Measure("market_cap_ema", 60, halflife_days=10))
    with pytest.raises(SpecError, match="weighting.halflife_days: goes with measure"):
        Weighting(halflife_days=10)


def test_replace_swaps_a_window_for_a_half_life_and_back():
    s = indexlab.Strategy(ranking=Measure("market_cap_ema", 60))
    t = s.replace(**{"ranking.halflife_days": 7})
    assert t.ranking == Measure("market_cap_ema", 30, 7)
    assert t.replace(**{"ranking.window_days": 45}).ranking == Measure("market_cap_ema", 45)
    # The file's key names work too (`measure` is the field `kind`).
    u = indexlab.Strategy().replace(**{"ranking.measure": "market_cap_sma"})
    assert u.ranking.kind == "market_cap_sma"
    with pytest.raises(SpecError, match=r"ranking.halflife: unknown key in \[ranking\]"):
        s.replace(**{"ranking.halflife": 7})


def crossing_market(seed: int = 4, n_days: int = 300, n_assets: int = 8) -> indexlab.Market:
    """Coins of like size whose caps cross often (so smoothing changes the ranking),
    with gaps."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2019-01-01", periods=n_days, freq="D")
    close = np.exp(np.cumsum(rng.normal(0, 0.05, (n_days, n_assets)), axis=0))
    close[rng.random(close.shape) < 0.03] = np.nan
    names = [f"c{j}" for j in range(n_assets)]
    close_frame = pd.DataFrame(close, index=dates, columns=names)
    return panel_market(close_frame, close_frame * 1e6)


def test_a_sweep_over_half_lives_equals_single_runs():
    market = crossing_market()
    ema = Measure("market_cap_ema", 30)
    base = indexlab.Strategy(
        name="base",
        universe=indexlab.Universe(top_n=3, exclude=()),
        ranking=ema,
        rebalance=indexlab.Rebalance("weekly"),
        weighting=Weighting("sqrt_market_cap", measure="market_cap_ema"),
        benchmarks=(),
    )
    grid = {"ranking.halflife_days": (None, 1.0, 40.0), "weighting.halflife_days": (None, 1.0)}
    spec = indexlab.sweep.SweepSpec(base=base, grid=grid)
    table = indexlab.sweep(spec, market)
    assert table["error"].isna().all()
    totals = []
    for config, row in zip(spec.configs(), table.itertuples(), strict=True):
        assert row.config_id == config.id
        single = indexlab.run(config.strategy, market).metrics().iloc[0]
        np.testing.assert_allclose(row.total_return, single["total_return"], rtol=1e-12)
        totals.append(row.total_return)
    assert len(set(np.round(totals, 12))) == len(totals)  # each half-life changed the run
