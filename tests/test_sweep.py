"""Sweeps: every configuration equals the single-run engine and the reference loop;
chunks, resuming, constraints, errors and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from panels import panel_market, random_panel
from reference_loop import reference_backtest

import indexlab
from indexlab import SpecError, cli
from indexlab.engine.memo import BoundedMemo, memoised
from indexlab.inspect import coverage_notes
from indexlab.metrics import METRIC_COLUMNS
from indexlab.sweep import SweepSpec, read_parts, read_sweep, run_configs, sweep

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def market():
    close, caps = random_panel(2024, 400, 12, start="2019-01-01")
    # A "bitcoin" so that beta and correlation are computed.
    close = close.rename(columns={"A00": "bitcoin"})
    caps = caps.rename(columns={"A00": "bitcoin"})
    return panel_market(close, caps)


def grid_spec() -> SweepSpec:
    base = indexlab.Strategy(name="base", universe=indexlab.Universe(top_n=5), benchmarks=())
    return SweepSpec(
        base=base,
        grid={
            "universe.top_n": (1, 3, 6),
            "weighting.scheme": ("market_cap", "sqrt_market_cap", "equal"),
            "weighting.cap": (None, 0.4),
            "rebalance.frequency": ("weekly", "monthly"),
            "costs.fee_bps": (0.0, 25.0),
            "lag_days": (0, 1),
            "start": (pd.Timestamp("2019-01-05"), pd.Timestamp("2019-06-01")),
        },
        constraints=("weighting.cap == none or weighting.cap * universe.top_n >= 1",),
    )


def test_every_configuration_equals_the_single_run_and_the_reference_loop(market):
    configs = grid_spec().configs()
    # 288 combinations; top_n = 1 with a 0.4 cap (3 schemes x 16 others) breaks the constraint.
    assert len(configs) == 3 * 3 * 2 * 2 * 2 * 2 * 2 - 3 * 2 * 2 * 2 * 2
    table, equity = run_configs(market, configs, keep_equity=True)
    table = table.set_index("config_id")
    assert table["error"].isna().all()
    rng = np.random.default_rng(0)
    for config in rng.choice(np.array(configs, dtype=object), size=25, replace=False):
        single = indexlab.run(config.strategy, market)
        mine = equity[config.id]
        np.testing.assert_allclose(mine.to_numpy(), single.equity.iloc[:, 0].to_numpy(), rtol=1e-9)
        expected = single.metrics().iloc[0][list(METRIC_COLUMNS)].astype(float)
        got = table.loc[config.id, list(METRIC_COLUMNS)].astype(float)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
        s = config.strategy
        reference = reference_backtest(
            market.close,
            market.market_cap,
            start=mine.index[0],
            end=mine.index[-1],
            top_n=s.universe.top_n,
            scheme=s.weighting.scheme,
            cap=s.weighting.cap,
            frequency=s.rebalance.frequency,
            lag_days=s.lag_days,
            cost_rate=s.costs.rate,
        )
        np.testing.assert_allclose(mine.to_numpy(), reference.to_numpy(), rtol=1e-9)


def test_prefixes_cut_to_a_few_ranks_give_the_same_rows_bit_for_bit(market, monkeypatch):
    # A memo keeps the first prefix_width(N) ranks of each row, not all of them (issue
    # 17, item 4); cut to the power of two from N up (1, 4 and 8 ranks for N = 1, 3, 6
    # among 12 assets, so N = 6 and a 0.4 cap cross the cut), every row and equity is
    # the same as with every rank kept.
    import indexlab.engine.plan as plan

    widths = [plan.prefix_width(n) for n in (1, 200, 256, 257, 1000)]
    assert widths == [256, 256, 256, 512, 1024]
    configs = grid_spec().configs()[::3]
    monkeypatch.setattr(plan, "prefix_width", lambda n: 10**9)
    every, every_equity = run_configs(market, configs, keep_equity=True)
    monkeypatch.setattr(plan, "prefix_width", lambda n: 1 << (n - 1).bit_length())
    cut, cut_equity = run_configs(market, configs, keep_equity=True)
    pd.testing.assert_frame_equal(cut, every)
    for config in configs:
        np.testing.assert_array_equal(cut_equity[config.id], every_equity[config.id])


@pytest.mark.parametrize("seed", [3, 11, 2025])
def test_groups_run_on_the_targeted_assets_only_with_the_same_rows(seed, monkeypatch):
    # Issue 17, item 4: a group of configurations runs the kernel on the columns its
    # plans ever target (data stops, late listings, gaps and pending first prices
    # included), not on the whole panel; rows and equity as on the whole panel.
    import indexlab.sweep.batch as batch

    close, caps = random_panel(seed, 300, 40, start="2019-01-01")
    market = panel_market(
        close.rename(columns={"A00": "bitcoin"}), caps.rename(columns={"A00": "bitcoin"})
    )
    base = indexlab.Strategy(name="base", universe=indexlab.Universe(top_n=2), benchmarks=())
    grid = {
        "universe.top_n": (1, 3),
        "weighting.scheme": ("market_cap", "equal"),
        "rebalance.frequency": ("weekly", "monthly"),
        "rebalance.drift_threshold": (None, 0.05),
        "costs.fee_bps": (0.0, 25.0),
        "costs.delisting": ("last_close", "zero"),
        "lag_days": (0, 1),
    }
    configs = SweepSpec(base=base, grid=grid).configs()
    compacted = []
    original = batch.compact_arrays
    monkeypatch.setattr(
        batch, "compact_arrays", lambda *a: compacted.append(r := original(*a)) or r
    )
    table, equity = run_configs(market, configs, keep_equity=True)
    assert table["error"].isna().all()
    assert any(position is not None for _, position in compacted)
    monkeypatch.setattr(batch, "COMPACT_SHARE", -1.0)  # every group on the whole panel
    whole, whole_equity = run_configs(market, configs, keep_equity=True)
    metrics = list(METRIC_COLUMNS)
    np.testing.assert_allclose(
        table[metrics].astype(float), whole[metrics].astype(float), rtol=1e-12
    )
    for config in configs:
        np.testing.assert_allclose(equity[config.id], whole_equity[config.id], rtol=1e-13)
    single = indexlab.run(configs[-1].strategy, market)
    np.testing.assert_allclose(equity[configs[-1].id], single.equity.iloc[:, 0], rtol=1e-12)


def test_small_memory_budgets_give_the_same_rows(market):
    configs = grid_spec().configs()[:40]
    big, _ = run_configs(market, configs, memory_bytes=2e9)
    small, _ = run_configs(market, configs, memory_bytes=2e5)  # a few portfolios a chunk
    pd.testing.assert_frame_equal(big, small)


def test_the_planning_memo_forgets_past_its_limit_and_the_rows_stay_the_same(market):
    # Many start dates: each window has its own rankings, which an unbounded memo keeps.
    starts = tuple(pd.date_range("2019-01-05", periods=12, freq="14D"))
    base = indexlab.Strategy(name="base", universe=indexlab.Universe(top_n=5), benchmarks=())
    spec = SweepSpec(base=base, grid={"start": starts, "universe.top_n": (2, 5)})
    configs = spec.configs()
    unbounded = BoundedMemo(float("inf"))
    expected, _ = run_configs(market, configs, memo=unbounded)
    limit = unbounded.total / 10
    assert limit > 0
    bounded = BoundedMemo(limit)
    table, _ = run_configs(market, configs, memo=bounded)
    pd.testing.assert_frame_equal(table, expected)
    assert 0 < bounded.total <= limit
    assert bounded.total == sum(bounded.sizes.values()) and set(bounded.sizes) == set(bounded)
    assert len(bounded) < len(unbounded)


def test_bounded_memo_accounting():
    memo = BoundedMemo(100)
    memo["a"] = np.zeros(5)  # 40 bytes
    memo["b"] = (np.zeros(5), np.zeros(2))  # 56
    assert memo.total == 96 and list(memo) == ["a", "b"]
    memo["c"] = np.zeros(3)  # 24: "a" goes
    assert list(memo) == ["b", "c"] and memo.total == 80
    memo["huge"] = np.zeros(100)  # alone above the limit: kept, the rest goes
    assert list(memo) == ["huge"] and memo.total == 800
    del memo["huge"]
    assert memo.total == 0 and not memo.sizes


def test_the_memo_counts_only_what_its_steps_made():
    # Issue 17, item 4: a step that passes a borrowed (read-only) market panel through
    # was charged for it, so a 600 MB cap panel made a 500 MB memo forget every shared
    # entry at each step. Borrowed arrays and another entry's arrays are not counted.
    panel = np.zeros(1000)  # 8,000 bytes, read-only like a Market's panels
    panel.flags.writeable = False
    memo = BoundedMemo(1000)
    made = memoised(memo, ("ranking",), lambda: (panel, np.zeros(10)))  # owns 80 bytes
    assert memo.total == 80 and not made[1].flags.writeable  # frozen once stored
    memoised(memo, ("measure",), lambda: panel)  # only borrowed: 0 bytes
    memoised(memo, ("prefix",), lambda: (made[1], np.zeros(5)[1:]))  # a view: its root
    assert memo.total == 80 + 0 + 40
    assert list(memo) == [("ranking",), ("measure",), ("prefix",)]  # nothing forgotten
    memoised(memo, ("big",), lambda: np.zeros(120))  # 960 more: the oldest goes
    assert list(memo) == [("measure",), ("prefix",), ("big",)] and memo.total == 1000


def test_a_markets_own_panels_cost_the_memo_nothing(market):
    # Issue 17, item 4: a Market hands out read-only *views* of panels whose roots
    # (pandas' blocks) stay writeable, so the memo charged the weighting measure of
    # every market-cap strategy (the panel itself, 584 MB at 10,000 x 7,300) to its
    # entry, and evicted every shared entry of the sweep at each configuration.
    memo = BoundedMemo(1000)
    caps = memoised(memo, ("measure",), lambda: market.market_cap_values)
    assert caps is market.market_cap_values and memo.total == 0
    memoised(memo, ("made",), lambda: np.zeros(10))
    assert memo.total == 80


def test_memo_hits_keep_an_entry_and_the_oldest_unused_one_goes():
    memo = BoundedMemo(100)
    memoised(memo, ("screens",), lambda: np.zeros(5))  # 40 bytes, shared by everyone
    memoised(memo, ("a",), lambda: np.zeros(5))
    memoised(memo, ("screens",), lambda: pytest.fail("computed again"))  # a hit
    memoised(memo, ("b",), lambda: np.zeros(5))  # 120 bytes: the least recently used goes
    assert list(memo) == [("screens",), ("b",)] and memo.total == 80


def test_a_sweep_under_a_small_memo_ranks_each_calendar_once(market, monkeypatch):
    # The memo's share of the budget is smaller than the market-cap panel, and larger
    # than what planning makes: every review calendar is ranked once, not once per
    # configuration (a 10,000-coin sweep spent minutes ranking again).
    import indexlab.engine.plan as plan

    calls = []
    original = plan.ranking_order
    monkeypatch.setattr(plan, "ranking_order", lambda *a: calls.append(1) or original(*a))
    base = indexlab.Strategy(name="base", universe=indexlab.Universe(top_n=5), benchmarks=())
    grid = {
        "universe.top_n": (2, 3, 4, 5, 6),
        "weighting.scheme": ("market_cap", "sqrt_market_cap"),
        "rebalance.frequency": ("monthly", "quarterly"),
        "costs.fee_bps": (0.0, 10.0),
    }
    configs = SweepSpec(base=base, grid=grid).configs()
    unbounded = BoundedMemo(float("inf"))
    expected, _ = run_configs(market, configs, memo=unbounded)
    panel = market.market_cap_values.nbytes
    assert unbounded.total < panel * 0.9  # what planning makes fits the small memo
    calls.clear()
    table, _ = run_configs(market, configs, memo=BoundedMemo(panel * 0.9))
    pd.testing.assert_frame_equal(table, expected)
    assert len(calls) == 2  # monthly and quarterly reviews


def test_an_interrupted_sweep_resumes_without_duplicates(market, tmp_path):
    spec = grid_spec()
    whole = sweep(spec, market, memory="1MB")

    class Stop(Exception):
        pass

    def stop_after_two(number, _frame):
        if number == 1:
            raise Stop

    with pytest.raises(Stop):
        sweep(spec, market, out=tmp_path, memory="1MB", on_chunk=stop_after_two)
    partial = read_parts(tmp_path)
    assert 0 < len(partial) < len(whole)
    resumed = sweep(spec, market, out=tmp_path, memory="1MB")
    pd.testing.assert_frame_equal(resumed, whole)
    rows = sum(len(pd.read_parquet(p)) for p in (tmp_path / "parts").glob("part-*.parquet"))
    assert rows == len(whole)  # every configuration written exactly once
    assert pd.read_parquet(tmp_path / "sweep.parquet")["config_id"].is_unique
    # A third run finds everything done and runs nothing.
    ran = []
    sweep(spec, market, out=tmp_path, on_chunk=lambda n, f: ran.append(n))
    assert ran == []


def test_a_configuration_that_cannot_run_is_reported_and_the_others_run(market):
    spec = SweepSpec(
        base=indexlab.Strategy(name="b", benchmarks=()),
        grid={"universe.exclude": ((), tuple(market.asset_ids))},
    )
    table, _ = run_configs(market, spec.configs())
    assert table["error"].isna().tolist() == [True, False]
    assert "the universe is empty" in table["error"].iloc[1]
    assert np.isfinite(table["sharpe"].iloc[0]) and np.isnan(table["sharpe"].iloc[1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('base = "x.toml"\n[grid]\n"universe.top_n" = [1]\n', "x.toml: no such strategy file"),
        ('[grid]\n"universe.top_n" = [1]\n', "base: give a strategy file"),
        ('base = "B"\n', "grid: give a [grid] table"),
        (
            'base = "B"\n[grid]\n"universes.top_n" = [1]\n',
            "'universes' is not a strategy section; did you mean 'universe'",
        ),
        (
            'base = "B"\n[grid]\nfee_bps = [1]\n',
            "grid.fee_bps: unknown key at the top level of a grid .* did you mean 'costs.fee_bps'",
        ),
        ('base = "B"\n[grid]\n"universe.top_n" = [0]\n', "universe.top_n: must be an integer >= 1"),
        (
            'base = "B"\nheatmap = ["lag_days", "start"]\n[grid]\n"universe.top_n" = [1]\n',
            "heatmap: 'lag_days' is not a grid key",
        ),
        (
            'base = "B"\nconstraints = ["import os"]\n[grid]\n"universe.top_n" = [1]\n',
            "constraints: cannot parse",
        ),
        (
            'base = "B"\nconstraints = ["__import__(1)"]\n[grid]\n"universe.top_n" = [1]\n',
            "may use strategy keys",
        ),
        (
            'base = "B"\nmetric = "fun"\n[grid]\n"universe.top_n" = [1]\n',
            "metric: 'fun' is not one of",
        ),
        (
            'base = "B"\nmetrics = "sharpe"\n[grid]\n"universe.top_n" = [1]\n',
            "metrics: unknown key (valid",
        ),
        (
            'base = "B"\nconstraints = ["universe.top_n > 5"]\n[grid]\n"universe.top_n" = [1]\n',
            "no configuration passes the constraints",
        ),
    ],
)
def test_bad_sweep_files(tmp_path, text, message):
    (tmp_path / "b.toml").write_text('name = "b"\n')
    path = tmp_path / "s.toml"
    path.write_text(text.replace('"B"', '"b.toml"'))
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace("[", r"\[")):
        read_sweep(path).configs()


def test_the_sweep_command_end_to_end(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "demo"\nbase = "{ROOT / "strategies" / "top100-mcap-monthly.toml"}"\n'
        'metric = "cagr"\ntop = 3\n'
        '[grid]\n"universe.top_n" = [10, 30]\n"weighting.scheme" = ["market_cap", "equal"]\n'
        '[entry_study]\nfrequency = "quarterly"\nhorizon_days = 365\n'
    )
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet"]) == 0
    table = pd.read_parquet(out / "sweep.parquet")
    assert len(table) == 4 and table["config_id"].is_unique
    best = pd.read_csv(out / "best.csv")
    assert len(best) == 3 and best["cagr"].is_monotonic_decreasing
    assert best["cagr"].iloc[0] == pytest.approx(table["cagr"].max())
    for name in ("heatmap.png", "entry_study.png", "entry_study.csv", "manifest.json"):
        assert (out / name).is_file()
    study = pd.read_csv(out / "entry_study.csv", parse_dates=["start"])
    assert (study["start"].dt.month.isin([1, 4, 7, 10])).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configurations"] == 4 and manifest["data"]["synthetic"] is True
    demo = indexlab.demo_market()
    assert manifest["notes"] == [*coverage_notes(demo), *demo.notes]
    # One study row checked against a run from that start.
    row = study.iloc[2]
    single = indexlab.run(
        indexlab.Strategy.from_toml(ROOT / "strategies" / "top100-mcap-monthly.toml").replace(
            start=row["start"], end=row["start"] + pd.Timedelta(days=365), benchmarks=("BTC",)
        ),
        indexlab.demo_market(),
    )
    assert row["cagr"] == pytest.approx(single.metrics().iloc[0]["cagr"], rel=1e-9)
    assert row["btc_cagr"] == pytest.approx(single.metrics().iloc[1]["cagr"], rel=1e-9)
    capsys.readouterr()
    assert cli.main(["sweep", str(path), "--out", str(out), "--executor", "dask"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--scheduler" in err[0]
    assert cli.main(["sweep", str(path), "--memory", "lots"]) == 1
    assert "--memory: 'lots' is not a size" in capsys.readouterr().err
    # Another heatmap and list length: the saved rows are reused, the outputs redrawn.
    before = (out / "heatmap.png").read_bytes()
    options = ["--heatmap", "weighting.scheme,universe.top_n", "--top", "2", "--quiet"]
    assert cli.main(["sweep", str(path), "--out", str(out), *options]) == 0
    assert (out / "heatmap.png").read_bytes() != before
    assert len(pd.read_csv(out / "best.csv")) == 2
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sweep.parquet"), table)
    capsys.readouterr()
    assert cli.main(["sweep", str(path), "--out", str(out), "--heatmap", "lag_days,x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "heatmap: 'lag_days' is not a grid key" in err
    assert cli.main(["sweep", str(path), "--out", str(out), "--heatmap", "universe.top_n"]) == 1
    assert "--heatmap: give two grid keys X,Y" in capsys.readouterr().err


def test_indexlab_sweep_is_callable_with_a_path_or_a_spec(market, tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        '[base]\nname = "base"\nbenchmarks = []\n[base.universe]\ntop_n = 5\n'
        '[grid]\n"universe.top_n" = [2, 4]\n"costs.fee_bps" = [0, 30]\n'
    )
    table = indexlab.sweep(path, market)
    expected = sweep(read_sweep(path), market)
    pd.testing.assert_frame_equal(table, expected)
    assert len(table) == 4 and table["error"].isna().all()
    assert sorted(table["universe.top_n"]) == [2, 2, 4, 4]
    pd.testing.assert_frame_equal(indexlab.sweep(read_sweep(path), market), expected)


def test_heatmap_marks_cells_without_a_configuration():
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    from indexlab.sweep.figures import heatmap_figure

    cells = pd.DataFrame([[1.0, 2.0], [np.nan, 3.0]], index=[0.1, 0.25], columns=[5, 10])
    counts = pd.DataFrame([[4, 6], [np.nan, 6]], index=cells.index, columns=cells.columns)
    figure = heatmap_figure(
        cells,
        "universe.top_n",
        "weighting.cap",
        "sharpe",
        title="t",
        footer="f",
        synthetic=False,
        counts=counts,
    )
    ax = figure.axes[0]
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert [(p.get_x(), p.get_y()) for p in hatched] == [(-0.5, 0.5)]  # row 1, column 0
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == ["1.00", "2.00", "3.00"]
    texts = " ".join(t.get_text() for t in figure.findobj(Text))
    assert "4-6 configurations a cell; hatched: no configuration" in texts


def test_the_sweep_command_prints_and_keeps_the_data_notes(tmp_path, capsys):
    # 25 coins all alive at the end (survivorship), 6 of them stopping 10 days early
    # (files downloaded on different days): what every run of these data must say.
    rng = np.random.default_rng(7)
    dates = pd.date_range("2021-01-01", periods=200)
    names = ["bitcoin", *(f"c{i:02d}" for i in range(1, 25))]
    close = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.03, (200, 25)), axis=0)), index=dates, columns=names
    )
    caps = close * rng.uniform(1e6, 1e9, 25)
    close.iloc[-10:, :6] = np.nan
    caps.iloc[-10:, :6] = np.nan
    long = close.stack().rename("close").to_frame().join(caps.stack().rename("market_cap"))
    long = long.dropna(subset=["close"])
    long.index.names = ["date", "asset"]
    data = tmp_path / "market.csv"
    long.reset_index().to_csv(data, index=False)
    path = tmp_path / "s.toml"
    path.write_text(
        '[base]\nname = "b"\nbenchmarks = []\n[base.universe]\ntop_n = 5\n'
        '[grid]\n"universe.top_n" = [3, 5]\n'
    )
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--data", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    notes = json.loads((out / "manifest.json").read_text())["notes"]
    assert len(notes) >= 2
    assert any("survivorship bias" in n for n in notes)
    assert any("6 assets' data stop within the last 30 days" in n for n in notes)
    for note in notes:
        assert f"note: {note}" in printed


def test_entry_figure_says_how_long_each_start_was_held():
    from matplotlib.text import Text

    from indexlab.sweep.figures import entry_figure

    starts = pd.date_range("2020-01-01", periods=4, freq="MS")
    table = pd.DataFrame(
        {
            "start": starts,
            "days": [366, 366, 366, 366],
            "cagr": [0.1, -0.2, 0.3, 0.0],
            "btc_cagr": [0.0, 0.0, 0.1, 0.1],
        }
    )
    table["excess_cagr"] = table["cagr"] - table["btc_cagr"]

    def texts(frame):
        figure = entry_figure(frame, title="t", footer="f", synthetic=False)
        return " ".join(t.get_text() for t in figure.findobj(Text))

    fixed = texts(table)
    assert "held 365 days each" in fixed and "CAGR over the 365 days held" in fixed
    assert "beat BTC from 50% of them" in fixed
    to_end = texts(table.assign(days=[400, 370, 340, 310]))
    assert "held to the end" in to_end and "CAGR from the start date" in to_end


@pytest.mark.parametrize(
    "grid",
    [
        # Buffers and seasoning: members depend on the previous review (no shared prefix).
        {
            "universe.exit_rank": (None, 8),
            "universe.seasoning_reviews": (1, 2),
            "weighting.cap": (None, 0.3),
        },
        # Drift checks every day, and reviews on their own calendar.
        {
            "rebalance.drift_threshold": (None, 0.05),
            "rebalance.drift_mode": ("absolute", "relative"),
            "reconstitution.frequency": ("quarterly", "monthly"),
        },
        # Risk-off switches, count rules other than top N, capped largest and floors.
        {
            "risk_off.rule": ("sma-cross:10,40", "sma-cross:20,80"),
            "universe.coverage": (None, 0.8),
            "weighting.cap_largest": (None, 0.4),
            "weighting.floor": (None, 0.02),
        },
    ],
    ids=["buffers", "drift-reviews", "risk-off-coverage-bounds"],
)
def test_sweeps_beyond_top_n_equal_single_runs(market, grid):
    """Every rule that changes the plan's shape (history-dependent members, daily drift
    candidates, review calendars, risk-off rows, non-prefix count rules, bounds) must
    give the single run's equity through the sweep's memo and batching."""
    base = indexlab.Strategy(name="base", universe=indexlab.Universe(top_n=5), benchmarks=())
    configs = SweepSpec(base=base, grid=grid).configs()
    table, equity = run_configs(market, configs, keep_equity=True, memory_bytes=5e6)
    assert table["error"].isna().all(), table["error"].dropna().head()
    for config in configs:
        single = indexlab.run(config.strategy, market)
        np.testing.assert_allclose(
            equity[config.id].to_numpy(),
            single.equity.iloc[:, 0].to_numpy(),
            rtol=1e-9,
            err_msg=str(config.params),
        )


def test_chunks_run_window_by_window_and_the_table_keeps_the_grid_order(market):
    # The start date varies fastest in grid order; chunks run grouped by window instead.
    base = indexlab.Strategy(name="base", universe=indexlab.Universe(top_n=5), benchmarks=())
    starts = (pd.Timestamp("2019-01-05"), pd.Timestamp("2019-03-01"), pd.Timestamp("2019-06-01"))
    spec = SweepSpec(base=base, grid={"universe.top_n": (2, 4, 6), "start": starts})
    seen: list[pd.DataFrame] = []
    table = sweep(spec, market, memory="1MB", on_chunk=lambda _n, frame: seen.append(frame))
    assert list(table["config_id"]) == [c.id for c in spec.configs()]
    ran = pd.concat(seen)["start"].map(pd.Timestamp)
    assert ran.is_monotonic_increasing  # window by window
    expected, _ = run_configs(market, spec.configs())
    # The sweep adds which configurations are equivalent (test_sweep_period.py).
    pd.testing.assert_frame_equal(table.drop(columns="same_as"), expected, check_dtype=False)
