"""The delisting return assumption (issue 16, item 6): ``costs.delisting``, worked by
hand on a two-asset market, in single runs and sweeps, and the survivorship band.

The market (lag 0, no costs, equal weights, top 2, bought on day 0 only):

    day        0     1     2     3     4     5     6
    A close   10    10    12     -     -     -     -     data stop: day 3
    B close   20    20    20    22    22    24    30

Day 0: half in each, 0.05 A and 0.025 B. Day 2: A is worth 0.6, B 0.5 (V = 1.1).
Day 3 is A's data stop (the first day after its last close, 12); its 0.6 becomes
    last_close: cash 0.6          -> V3 = 0.6 + 0.025 x 22 = 1.15, V5 = 0.6 + 0.6 = 1.2
    zero:       nothing           -> V3 = 0.55,                    V5 = 0.6
    haircut 1/4: cash 0.45        -> V3 = 0.45 + 0.55 = 1.0,       V5 = 1.05
With a second rebalance on day 5 (``rebalance.dates``), everything goes into B (the
only member left) at 24, and day 6 (B at 30) is V5 x 30 / 24: 1.5, 0.75, 1.3125.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab.engine.memo import BoundedMemo
from indexlab.errors import SpecError
from indexlab.metrics import METRIC_COLUMNS
from indexlab.sweep import run_configs
from indexlab.sweep.spec import Config

DATES = pd.date_range("2021-03-01", periods=7, freq="D")
NAN = np.nan
A = [10.0, 10.0, 12.0, NAN, NAN, NAN, NAN]
B = [20.0, 20.0, 20.0, 22.0, 22.0, 24.0, 30.0]

BEFORE_STOP = [1.0, 1.0, 1.1]
EXPECTED = {
    "last_close": BEFORE_STOP + [1.15, 1.15, 1.2, 1.5],
    "zero": BEFORE_STOP + [0.55, 0.55, 0.6, 0.75],
    0.25: BEFORE_STOP + [1.0, 1.0, 1.05, 1.3125],
}


def hand_market() -> indexlab.Market:
    close = pd.DataFrame({"A": A, "B": B}, index=DATES)
    cap = close * pd.Series({"A": 100.0, "B": 10.0})  # A the larger while it lives
    return indexlab.Market.from_panels(close, cap, source="hand case")


def hand_strategy(delisting, rebalance_dates=(DATES[0], DATES[5])) -> indexlab.Strategy:
    return indexlab.Strategy(
        name="s",
        universe=indexlab.Universe(top_n=2, exclude=()),
        weighting=indexlab.Weighting("equal"),
        rebalance=indexlab.Rebalance("dates", dates=rebalance_dates),
        costs=indexlab.Costs(0.0, 0.0, delisting),
        lag_days=0,
        benchmarks=(),
    )


@pytest.mark.parametrize("delisting", list(EXPECTED))
def test_each_assumption_on_the_hand_market(delisting):
    result = indexlab.run(hand_strategy(delisting), hand_market(), warn=False)
    np.testing.assert_allclose(result.equity["s"], EXPECTED[delisting], rtol=1e-13)
    liq = result.liquidations
    assert list(liq["asset"]) == ["A"] and liq["date"].iloc[0] == DATES[3]
    assert liq["value"].iloc[0] == pytest.approx(0.6, rel=1e-13)  # at the last close
    keep = {"last_close": 1.0, "zero": 0.0, 0.25: 0.75}[delisting]
    assert liq["proceeds"].iloc[0] == pytest.approx(0.6 * keep, rel=1e-13, abs=1e-15)
    # The second rebalance buys B with what is left: all of it, no costs.
    assert result.weights.loc[DATES[5], "B"] == pytest.approx(1.0)


@pytest.mark.parametrize("delisting", list(EXPECTED))
def test_a_stop_in_the_last_segment_is_written_down_from_its_day(delisting):
    """With no trade after the stop, the loss still shows from day 3, not at the end."""
    result = indexlab.run(hand_strategy(delisting, (DATES[0],)), hand_market(), warn=False)
    expected = EXPECTED[delisting][:6] + [EXPECTED[delisting][3] + 0.025 * 8.0]
    np.testing.assert_allclose(result.equity["s"], expected, rtol=1e-13)


def test_a_haircut_of_0_is_last_close_and_of_1_is_zero():
    market = hand_market()
    equity = {
        d: indexlab.run(hand_strategy(d), market, warn=False).equity["s"].to_numpy()
        for d in ("last_close", 0.0, "zero", 1.0)
    }
    np.testing.assert_array_equal(equity[0.0], equity["last_close"])
    np.testing.assert_allclose(equity[1.0], equity["zero"], rtol=1e-15)


def test_the_key_in_a_file_and_its_errors(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[costs]\ndelisting = "zero"\n')
    assert indexlab.Strategy.from_toml(path).costs.delisting == "zero"
    path.write_text("[costs]\ndelisting = 0.3\n")
    strategy = indexlab.Strategy.from_toml(path)
    assert strategy.costs.delisting == 0.3 and strategy.costs.delisting_keep == 0.7
    assert indexlab.Strategy.from_dict(strategy.to_dict()) == strategy
    assert indexlab.Strategy().costs.delisting == "last_close"
    for bad in ('"last"', "1.5", "-0.1", "true", "[0.3]"):
        path.write_text(f"[costs]\ndelisting = {bad}\n")
        with pytest.raises(SpecError, match=r"s\.toml: costs\.delisting: "):
            indexlab.Strategy.from_toml(path)
    with pytest.raises(SpecError, match="'last_close', 'zero' or a haircut fraction in"):
        indexlab.Costs(delisting="none")


def test_sweep_rows_equal_single_runs_with_the_key():
    """The three assumptions share candidate rows: one kernel call, three portfolios
    with their own delisting share, each equal to its single run."""
    market = hand_market()
    configs = [
        Config(f"c{k}", {"costs.delisting": d}, hand_strategy(d)) for k, d in enumerate(EXPECTED)
    ]
    table, equity = run_configs(market, configs, keep_equity=True, memo=BoundedMemo(1e8))
    table = table.set_index("config_id")
    for config in configs:
        single = indexlab.run(config.strategy, market, warn=False)
        np.testing.assert_allclose(
            equity[config.id].to_numpy(), single.equity["s"].to_numpy(), rtol=1e-12, atol=0
        )
        expected = single.metrics().loc["s", list(METRIC_COLUMNS)].astype(float).to_numpy()
        got = table.loc[config.id, list(METRIC_COLUMNS)].astype(float).to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(equity["c1"], EXPECTED["zero"], rtol=1e-13)


# ---------------------------------------------------------------- the band
def test_the_survivorship_band_runs_both_assumptions():
    band = indexlab.survivorship_band(hand_strategy("last_close"), hand_market(), warn=False)
    assert band.labels == ("optimistic (last close)", "pessimistic (written off)")
    np.testing.assert_allclose(band.equity.iloc[:, 0], EXPECTED["last_close"], rtol=1e-13)
    np.testing.assert_allclose(band.equity.iloc[:, 1], EXPECTED["zero"], rtol=1e-13)
    table = band.metrics()
    assert list(table.index) == list(band.labels)
    assert table["total_return"].to_numpy() == pytest.approx([0.5, -0.25], rel=1e-12)
    assert table["max_drawdown"].iloc[1] == pytest.approx(0.55 / 1.1 - 1, rel=1e-12)
    assert list(band.delistings["proceeds"]) == [0.0]
    assert band.summary() == (
        "survivorship band: total return from +50.00% (delisted positions cash at their "
        "last close) to -25.00% (written off); 1 delisting(s) while held"
    )
    # A strategy's own assumption is replaced in both runs; a haircut as the low bound.
    mild = indexlab.survivorship_band(
        hand_strategy("zero"), hand_market(), pessimistic=0.25, warn=False
    )
    assert mild.labels[1] == "pessimistic (haircut 25%)"
    np.testing.assert_allclose(mild.equity.iloc[:, 0], EXPECTED["last_close"], rtol=1e-13)
    np.testing.assert_allclose(mild.equity.iloc[:, 1], EXPECTED[0.25], rtol=1e-13)
    with pytest.raises(SpecError, match="costs.delisting"):
        indexlab.survivorship_band(hand_strategy("zero"), hand_market(), pessimistic=2.0)


def test_on_survivors_only_the_band_is_one_line():
    market = indexlab.demo_market()
    strategy = indexlab.Strategy(name="top10", universe=indexlab.Universe(top_n=10))
    band = indexlab.survivorship_band(strategy, market, warn=False)
    if band.delistings.empty:
        np.testing.assert_array_equal(band.equity.iloc[:, 0], band.equity.iloc[:, 1])
        assert "changes nothing" in band.summary()
    else:  # the demo market has deaths: the pessimistic line ends lower
        assert band.equity.iloc[-1, 1] < band.equity.iloc[-1, 0]


def test_the_band_figure_draws_two_lines_and_the_shade_between():
    from indexlab.report.band import band_figure

    band = indexlab.survivorship_band(hand_strategy("last_close"), hand_market(), warn=False)
    figure = band_figure(band)
    ax = figure.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert any(label.startswith("optimistic (last close)") for label in labels)
    assert any(label.startswith("pessimistic (written off)") for label in labels)
    assert len(ax.collections) >= 1  # the shaded band
    assert "Survivorship band" in figure.texts[0].get_text() or any(
        "Survivorship band" in t.get_text() for t in figure.texts
    )


def test_the_band_command_writes_equity_metrics_and_figure(tmp_path, capsys):
    from indexlab import cli

    path = tmp_path / "top5.toml"
    path.write_text('name = "top5"\nend = 2018-12-31\n[universe]\ntop_n = 5\n')
    out = tmp_path / "band"
    assert cli.main(["band", str(path), "--out", str(out), "--pessimistic", "0.5"]) == 0
    assert "survivorship band" in capsys.readouterr().out
    metrics = pd.read_csv(out / "band_metrics.csv", index_col=0)
    assert list(metrics.index) == ["optimistic (last close)", "pessimistic (haircut 50%)"]
    equity = pd.read_csv(out / "band_equity.csv", index_col=0)
    assert equity.shape[1] == 2 and (out / "band.png").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "band" and "band.png" in manifest["files"]
    before = (out / "band_metrics.csv").read_bytes()
    assert cli.main(["band", str(path), "--out", str(out), "--pessimistic", "half"]) == 1
    assert "--pessimistic: 'half' is not 'zero' or a haircut" in capsys.readouterr().err
    assert (out / "band_metrics.csv").read_bytes() == before  # the failed run kept it
    assert cli.main(["band", str(path), "--out", str(out)]) == 0  # replaces its own folder
    metrics = pd.read_csv(out / "band_metrics.csv", index_col=0)
    assert list(metrics.index) == ["optimistic (last close)", "pessimistic (written off)"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_band_goes_into_a_run_of_the_same_strategy(tmp_path, capsys):
    from indexlab import cli

    path = tmp_path / "top5.toml"
    path.write_text('name = "top5"\nend = 2018-12-31\n[universe]\ntop_n = 5\n')
    run_dir = tmp_path / "run"
    assert cli.main(["run", str(path), "--out", str(run_dir), "--quiet", "--no-report"]) == 0
    other = tmp_path / "other.toml"
    other.write_text('name = "other"\nend = 2018-12-31\n[universe]\ntop_n = 5\n')
    out = tmp_path / "band"
    assert cli.main(["band", str(other), "--out", str(out), "--into", str(run_dir)]) == 1
    assert "holds a run of 'top5', the band is of 'other'" in capsys.readouterr().err
    assert not out.exists()
    argv = ["band", str(path), "--out", str(out), "--into", str(run_dir)]
    assert cli.main([*argv, "--start", "2018-01-01"]) == 1
    assert "was made with other settings" in capsys.readouterr().err
    assert cli.main(argv) == 0
    html = (run_dir / "report.html").read_text()
    assert 'id="section-survivorship-band"' in html
    assert "pessimistic (written off)" in html and "optimistic (last close)" in html


def test_the_band_command_is_listed_in_help(capsys):
    from indexlab import cli

    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "band" in capsys.readouterr().out
