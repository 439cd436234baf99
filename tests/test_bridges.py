"""The bridges to vectorbt and quantstats (issue 14, items 10 and 11): a Result as a
``vectorbt.Portfolio`` whose equity is indexlab's, quantstats reports whose numbers are
indexlab's. vectorbt takes 5-10 s to import and quantstats a few seconds a report, so
the tests are few."""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import bridges, cli, metrics
from indexlab.errors import IndexlabError

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = indexlab.Strategy(
    name="top20-demo",
    universe=indexlab.Universe(top_n=20),
    rebalance=indexlab.Rebalance(frequency="monthly"),
    benchmarks=("BTC",),
)


@pytest.fixture(scope="module")
def demo():
    return indexlab.demo_market()


def equity_gap(portfolio, result: indexlab.Result, name: str) -> float:
    """Largest relative difference between vectorbt's value and indexlab's equity."""
    value = portfolio.value() / result.strategy.initial_capital
    return float(np.max(np.abs(value.to_numpy() / result.equity[name].to_numpy() - 1.0)))


def test_to_vectorbt_is_the_engine_without_fees(demo):
    free = indexlab.Costs(fee_bps=0.0, slippage_bps=0.0)
    result = indexlab.run(STRATEGY.replace(costs=free), demo, warn=False)
    assert len(result.liquidations) > 0  # delistings are part of the case
    for sizing in bridges.SIZINGS:
        assert equity_gap(result.to_vectorbt(sizing=sizing), result, result.name) < 1e-9
    assert equity_gap(result.to_vectorbt(portfolio="BTC"), result, "BTC") < 1e-9


def test_to_vectorbt_on_the_real_collection(real_market):
    strategy = indexlab.Strategy.from_toml(ROOT / "strategies/top100-mcap-monthly.toml")
    strategy = strategy.replace(start="2019-01-01", end="2022-12-31")
    result = indexlab.run(strategy, real_market, warn=False)
    assert strategy.costs.fee_bps + strategy.costs.slippage_bps == 15.0
    # The engine's units carry its exact costs: vectorbt's per-order fees add up to them.
    assert equity_gap(result.to_vectorbt(), result, result.name) < 1e-9
    # vectorbt sizing by weights pays its fees order by order: close, not equal.
    gap = equity_gap(result.to_vectorbt(sizing="weights"), result, result.name)
    assert 1e-9 < gap < 1e-3


def html_sharpe(path) -> list[float]:
    """The Sharpe row of a quantstats report's metrics table, as printed."""
    row = re.search(r"<tr><td>Sharpe</td>(.*?)</tr>", path.read_text(encoding="utf-8"))
    return [float(cell) for cell in re.findall(r"<td>([-0-9.]+)</td>", row.group(1))]


def test_to_quantstats_writes_indexlabs_numbers(demo, tmp_path):
    import quantstats as qs

    result = indexlab.run(STRATEGY.replace(start="2023-01-01", end="2024-06-30"), demo, warn=False)
    ours = result.metrics().loc[result.name]
    path = result.to_quantstats(tmp_path / "qs" / "report.html", benchmark="BTC")
    text = path.read_text(encoding="utf-8")
    assert "Periods/Year: 365" in text and "Benchmark: BTC" in text
    assert "1 Jan, 2023 - 30 Jun, 2024" in text  # every date of the run, none cut
    equity = result.equity[result.name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Returns from E_0: quantstats' Sharpe is indexlab's.
        from_first_close = bridges.quantstats_returns(equity, include_initial_buy=False)
        assert qs.stats.sharpe(from_first_close, periods=365) == pytest.approx(
            ours["sharpe"], rel=1e-9
        )
        # The report's returns start from C0 = 1: the initial buy's cost counts, so the
        # cumulative return is indexlab's total return, and the ratios take one more day.
        written = bridges.quantstats_returns(equity)
        assert len(written) == len(result.dates)
        assert written.iloc[0] == pytest.approx(equity.iloc[0] - 1.0, abs=1e-15) != 0.0
        assert qs.stats.comp(written) == pytest.approx(ours["total_return"], rel=1e-9)
        sharpe = qs.stats.sharpe(written, periods=365)
        assert sharpe == pytest.approx(metrics.sharpe(written), rel=1e-9)
    # The report prints the strategy's Sharpe (second column, after the benchmark).
    assert html_sharpe(path)[1] == pytest.approx(sharpe, abs=0.006)


def test_report_command_writes_one_quantstats_report_per_portfolio(tmp_path, capsys):
    run_dir = tmp_path / "run"
    strategy = tmp_path / "s.toml"
    strategy.write_text('name = "qs-cli"\nbenchmarks = ["BTC"]\n[universe]\ntop_n = 10\n')
    args = ["run", str(strategy), "--out", str(run_dir), "--start", "2024-01-01"]
    assert cli.main([*args, "--end", "2024-04-30", "--quiet"]) == 0
    assert cli.main(["report", str(run_dir), "--benchmark", "BTC"]) == 1
    assert "--benchmark goes with --quantstats" in capsys.readouterr().err
    assert cli.main(["report", str(run_dir), "--quantstats", "--benchmark", "ETH"]) == 1
    assert "use one of qs-cli, BTC" in capsys.readouterr().err
    assert cli.main(["report", str(run_dir), "--quantstats", "--benchmark", "BTC"]) == 0
    assert "Wrote 2 quantstats reports" in capsys.readouterr().out
    strategy_report = (run_dir / "quantstats" / "qs-cli.html").read_text(encoding="utf-8")
    assert "Benchmark: BTC" in strategy_report
    assert "Benchmark:" not in (run_dir / "quantstats" / "BTC.html").read_text(encoding="utf-8")


def test_a_clear_error_without_the_libraries(demo, tmp_path, monkeypatch):
    result = indexlab.run(STRATEGY.replace(start="2024-01-01", end="2024-03-31"), demo, warn=False)
    monkeypatch.setitem(sys.modules, "vectorbt", None)  # import vectorbt raises ImportError
    monkeypatch.setitem(sys.modules, "quantstats", None)
    with pytest.raises(IndexlabError, match=r"pip install 'indexlab\[vectorbt\]'"):
        result.to_vectorbt()
    with pytest.raises(IndexlabError, match=r"pip install 'indexlab\[quantstats\]'"):
        result.to_quantstats(tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_returns_quantstats_would_take_for_prices_are_refused():
    dates = pd.date_range("2024-01-01", periods=3)
    rising = pd.Series([1.0, 2.5, 2.6], index=dates, name="moon")
    with pytest.raises(IndexlabError, match="moon: every daily return is >= 0"):
        bridges.quantstats_returns(rising)
