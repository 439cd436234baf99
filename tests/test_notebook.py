"""A Result in a notebook (issue 14, items 6-8): it shows itself as HTML, formats its
stats, draws its figures, warns with its notes; ``indexlab.compare`` puts several side
by side over their common dates, the benchmarks once."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import indexlab
from indexlab.report.notebook import PLOTS

DATES = pd.date_range("2021-01-01", periods=120, freq="D")


def _market() -> indexlab.Market:
    """Three coins, no TRX: bitcoin doubles linearly, two others wander."""
    rng = np.random.default_rng(3)
    close = pd.DataFrame(
        {
            "bitcoin": np.linspace(100.0, 200.0, len(DATES)),
            "alpha": 10 * np.exp(np.cumsum(rng.normal(0, 0.03, len(DATES)))),
            "beta": 5 * np.exp(np.cumsum(rng.normal(0, 0.05, len(DATES)))),
        },
        index=DATES,
    )
    cap = close * [1e7, 2e6, 1e6]
    assets = pd.DataFrame(
        {"symbol": ["btc", "alp", "bet"], "name": ["Bitcoin", "Alpha", "Beta"]},
        index=pd.Index(list(close.columns), name="asset"),
    )
    return indexlab.Market.from_panels(close, cap, assets=assets, source="hand-made panel")


def _strategy(**changes) -> indexlab.Strategy:
    """Top 2 monthly with 10 bps; the default benchmarks (BTC, and TRX skipped) unless
    ``benchmarks`` is given."""
    return indexlab.Strategy(
        name=changes.pop("name", "top2"),
        description="Top 2 <b>by cap</b> & friends",
        universe=indexlab.Universe(top_n=2),
        rebalance=indexlab.Rebalance("monthly"),
        costs=indexlab.Costs(10.0, 0.0),
        **({"benchmarks": changes.pop("benchmarks")} if "benchmarks" in changes else {}),
    ).replace(**changes)


@pytest.fixture(scope="module")
def market() -> indexlab.Market:
    return _market()


def test_notes_are_warned_as_well_as_kept(market):
    strategy = indexlab.Strategy(name="top2", universe=indexlab.Universe(top_n=2))
    with pytest.warns(indexlab.IndexlabWarning) as caught:
        result = indexlab.run(strategy, market)
    messages = [str(w.message) for w in caught if issubclass(w.category, indexlab.IndexlabWarning)]
    assert any("default benchmark TRX" in m for m in messages)
    assert messages == list(result.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", indexlab.IndexlabWarning)
        assert indexlab.run(strategy, market, warn=False).notes == result.notes


def test_a_note_is_warned_once_per_market_and_always_kept():
    # A loop of runs on one Market showed every data note again at every run (any
    # catch_warnings block resets Python's once-per-place memory): noise, and ms per run.
    strategy = indexlab.Strategy(name="top2", universe=indexlab.Universe(top_n=2))
    market = _market()
    with warnings.catch_warnings(record=True) as first:
        warnings.simplefilter("always")
        result = indexlab.run(strategy, market)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        repeated = indexlab.run(strategy, market)
    with warnings.catch_warnings(record=True) as fresh:
        warnings.simplefilter("always")
        indexlab.run(strategy, _market())

    def texts(caught):
        return [str(w.message) for w in caught if issubclass(w.category, indexlab.IndexlabWarning)]

    assert texts(first) == list(result.notes) and result.notes
    assert texts(again) == []
    assert repeated.notes == result.notes
    assert texts(fresh) == list(result.notes)
    assert all(w.filename == __file__ for w in first)  # points at the caller of run()


def test_the_html_shows_what_ran_its_notes_and_metrics_as_percentages(market):
    result = indexlab.run(_strategy(benchmarks=("BTC",)), market, warn=False)
    page = result._repr_html_()
    assert "<b>by cap</b>" not in page and "&lt;b&gt;by cap&lt;/b&gt;" in page
    # BTC held: bought at the first close of the run with 10 bps of costs, held to 200.
    close = market.close["bitcoin"]
    btc_total = 200.0 / close.loc[result.dates[0]] / 1.001 - 1.0  # V / (1 + c)
    assert f"{100 * btc_total:,.1f}%" in page
    assert "Assumptions" in page and "hand-made panel" in page
    stats = result.stats()
    assert stats.at["Total return", "BTC"] == f"{100 * btc_total:,.1f}%"
    assert stats.at["Rebalances", "BTC"] == "1"
    assert list(stats.columns) == ["top2", "BTC"]


def test_the_html_lists_the_notes_escaped(market):
    result = indexlab.run(_strategy(), market, warn=False)
    assert result.notes, "TRX is missing: a note"
    page = result._repr_html_()
    assert "default benchmark TRX" in page


@pytest.mark.parametrize("kind", sorted(PLOTS))
def test_plot_returns_a_figure_of_each_kind(market, kind):
    result = indexlab.run(_strategy(benchmarks=("BTC",)), market, warn=False)
    figure = result.plot(kind)
    assert isinstance(figure, Figure)
    assert figure.axes


def test_an_unknown_plot_kind_is_a_clear_error(market):
    result = indexlab.run(_strategy(benchmarks=("BTC",)), market, warn=False)
    with pytest.raises(indexlab.SpecError, match="unknown kind 'growht'.*growth"):
        result.plot("growht")


def test_comparing_runs_over_the_same_dates_gives_their_own_metrics(market):
    a = indexlab.run(_strategy(benchmarks=("BTC",)), market, warn=False)
    b = indexlab.run(
        _strategy(name="equal2", weighting=indexlab.Weighting("equal"), benchmarks=("BTC",)),
        market,
        warn=False,
    )
    comparison = indexlab.compare([a, b])
    assert list(comparison.equity.columns) == ["top2", "equal2", "BTC"]  # BTC once
    assert comparison.notes == ()
    table = comparison.metrics()
    for result in (a, b):
        own = result.metrics()
        np.testing.assert_allclose(
            table.loc[result.name].astype(float), own.loc[result.name].astype(float), rtol=1e-12
        )
    np.testing.assert_allclose(table.loc["BTC"].astype(float), a.metrics().loc["BTC"].astype(float))
    assert isinstance(comparison.plot("growth"), Figure)
    assert isinstance(comparison.plot("drawdown"), Figure)
    assert "equal2" in comparison._repr_html_()


def test_comparing_runs_of_other_periods_uses_the_common_dates(market):
    early = indexlab.run(_strategy(benchmarks=("BTC",)), market, warn=False)
    late = indexlab.run(_strategy(start=DATES[40], benchmarks=("BTC",)), market, warn=False)
    comparison = indexlab.compare([early, late])
    assert list(comparison.equity.columns) == ["top2", "top2 (2)", "BTC"]
    assert comparison.equity.index[0] == DATES[40]
    assert any("common dates" in note for note in comparison.notes)
    # The run that started earlier counts from 1 on the first common date ...
    expected = early.equity["top2"].iloc[-1] / early.equity["top2"].loc[DATES[40]] - 1.0
    assert comparison.metrics().at["top2", "total_return"] == pytest.approx(expected, rel=1e-12)
    # ... the later one, and BTC (taken from it), keep their initial buy's cost.
    assert comparison.metrics().at["top2 (2)", "total_return"] == pytest.approx(
        late.metrics().at["top2", "total_return"], rel=1e-12
    )
    assert comparison.equity["BTC"].iloc[0] == pytest.approx(1 / 1.001, rel=1e-12)


def test_a_benchmark_held_with_other_costs_is_shown_once_with_a_note(market):
    a = indexlab.run(_strategy(benchmarks=("BTC",)), market, warn=False)
    b = indexlab.run(
        _strategy(name="b", costs=indexlab.Costs(50.0, 0.0), lag_days=1, benchmarks=("BTC",)),
        market,
        warn=False,
    )
    comparison = indexlab.compare([a, b])
    assert list(comparison.equity.columns).count("BTC") == 1


def test_many_strategies_in_a_comparison_look_different_and_keep_off_benchmark_colours(market):
    """Four strategies once were four lines of one colour, two of them looking solid, under
    a title of four file names cut off (the headline figure of issue 16)."""
    runs = [
        indexlab.run(
            _strategy(name=f"a-long-strategy-name-{k}", benchmarks=("BTC",)), market, warn=False
        )  # fmt: skip
        for k in range(4)
    ]
    figure = indexlab.compare(runs).plot("growth")
    ax = figure.axes[0]
    lines = {line.get_label().split("  ")[0]: line for line in ax.get_lines()}
    colours = {lines[name].get_color() for name in lines if name.startswith("a-long")}
    assert len(colours) == 4 and lines["BTC"].get_color() not in colours
    titles = [t.get_text() for t in figure.texts]
    assert "Comparison of 4 strategies" in titles
    two = indexlab.compare(runs[:2]).plot("growth")
    assert "Comparison: a-long-strategy-name-0, a-long-strategy-name-1" in [
        t.get_text() for t in two.texts
    ]


def test_compare_wants_results(market):
    with pytest.raises(indexlab.SpecError, match="compare"):
        indexlab.compare([])
    with pytest.raises(indexlab.SpecError, match="compare"):
        indexlab.compare(["not a result"])


def test_a_strategy_prints_one_line_per_section_with_what_is_set():
    strategy = indexlab.Strategy(
        name="top20",
        universe=indexlab.Universe(top_n=20, exit_rank=25),
        costs=indexlab.Costs(25.0, 0.0),
        lag_days=0,
    )
    text = repr(strategy)
    lines = text.splitlines()
    assert lines[0] == "Strategy('top20',"
    assert "    universe=Universe(top_n=20, exit_rank=25)," in lines  # default exclusions
    assert "    costs=Costs(fee_bps=25.0, slippage_bps=0.0)," in lines
    assert "    lag_days=0," in lines
    assert "    rebalance=Rebalance(frequency='monthly')," in lines
    assert "seasoning_reviews" not in text and "initial_capital" not in text  # defaults
    assert lines[-1] == ")"


def test_a_default_benchmark_the_market_lacks_builds_no_suggestions(market, monkeypatch):
    # Issue 17, item 2: the skipped default's error built difflib suggestions over every
    # id on every run, then threw them away.
    import difflib

    def refuse(*_args, **_kwargs):
        raise AssertionError("suggestions built for an error nobody sees")

    monkeypatch.setattr(difflib, "get_close_matches", refuse)
    result = indexlab.run(_strategy(), market, warn=False)  # BTC and TRX; TRX is absent
    assert list(result.equity.columns) == ["top2", "BTC"]
    assert any("default benchmark TRX" in note for note in result.notes)
    with pytest.raises(indexlab.SpecError, match="did you mean"):
        monkeypatch.undo()
        indexlab.run(_strategy(benchmarks=("bitcoinn",)), market, warn=False)
