"""The tearsheet of a run folder: what `indexlab run` writes for it, `indexlab report`
rebuilding it from the files alone, its sections and numbers, and the extension point."""

from __future__ import annotations

import json
import math
import shutil
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_runs import write_inputs
from test_report import metric_cells, parse

import indexlab
from indexlab import cli
from indexlab.report import ReportFigure, ReportSection, growth_figure, read_run, write_report
from indexlab.report.tearsheet import format_metric, format_percent

SECTIONS = [  # (id, heading) of the built-in sections, in page order
    ("assumptions", "Assumptions"),
    ("notes", "Notes on this run"),
    ("performance", "Performance"),
    ("growth", "Growth"),
    ("drawdowns", "Drawdowns"),
    ("rolling", "Rolling 365-day statistics"),
    ("calendar", "Calendar-year returns"),
    ("monthly", "Monthly returns"),
    ("allocation", "Allocation over time"),
    ("rebalances", "Rebalances"),
]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    inputs = tmp_path_factory.mktemp("inputs")
    data, strategy = write_inputs(inputs)
    out = tmp_path_factory.mktemp("runs") / "small"
    assert cli.main(["run", str(strategy), "--data", str(data), "--out", str(out), "--quiet"]) == 0
    data.unlink()  # from here on, nothing may need the market data
    return out


@pytest.fixture()
def folder_copy(run_folder, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    return copy


@pytest.fixture(scope="module")
def page(run_folder):
    return parse((run_folder / "report.html").read_text(encoding="utf-8"))


def html_of(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def section_headings(html: str) -> list[tuple[str, str]]:
    """(id, h2 text) of every <section>, in order."""
    found = []
    for chunk in html.split('<section id="')[1:]:
        key = chunk.split('"', 1)[0]
        heading = chunk.split("<h2>", 1)[1].split("</h2>", 1)[0]
        found.append((key, heading))
    return found


# ---------------------------------------------------------------- the run folder
def test_the_run_folder_holds_daily_weights_labels_and_assumptions(run_folder, tmp_path):
    data, strategy = write_inputs(tmp_path)
    result = indexlab.run(indexlab.Strategy.from_toml(strategy), indexlab.load_market(data))
    daily = pd.read_parquet(run_folder / "daily_weights.parquet")
    assert list(daily.columns) == ["date", "asset", "weight"]
    assert (daily["weight"] > 0).all()
    wide = daily.pivot(index="date", columns="asset", values="weight").fillna(0.0)
    expected = result.daily_weights.loc[:, lambda f: (f > 0).any()]
    pd.testing.assert_frame_equal(
        wide.reindex(expected.index, fill_value=0.0)[sorted(expected.columns)],
        expected[sorted(expected.columns)],
        check_names=False,
        check_freq=False,
        rtol=1e-12,
    )
    assets = pd.read_csv(run_folder / "assets.csv")
    assert set(assets["asset"]) == set(expected.columns)
    assert dict(zip(assets["asset"], assets["symbol"], strict=True))["bitcoin"] == "BTC"
    manifest = json.loads((run_folder / "manifest.json").read_text())
    expected_facts = {**result.assumptions(), "Data": manifest["data"]["source"]}
    assert manifest["assumptions"] == expected_facts  # the data file was elsewhere
    assert manifest["assumptions"]["Data"].endswith("market.csv")


def test_report_rebuilds_the_same_page_from_the_files_alone(folder_copy, capsys):
    before = html_of(folder_copy)
    (folder_copy / "report.html").unlink()
    shutil.rmtree(folder_copy / "figures")
    assert cli.main(["report", str(folder_copy)]) == 0
    assert "report.html" in capsys.readouterr().out
    assert html_of(folder_copy) == before  # the market file was deleted: not needed
    assert len(list((folder_copy / "figures").glob("*.png"))) == 7


# ---------------------------------------------------------------- sections and numbers
def test_every_section_is_there_in_order_with_its_figure(run_folder):
    html = html_of(run_folder)
    assert section_headings(html) == SECTIONS
    for key in ("growth", "drawdowns", "rolling", "calendar", "monthly", "allocation"):
        body = html.split(f'<section id="{key}">', 1)[1].split("</section>", 1)[0]
        assert body.count('<img src="data:image/png;base64,') == 1, key
    assumptions = html.split('<section id="assumptions">', 1)[1].split("</section>", 1)[0]
    for words in ("N = 365", "fee 10 bps + slippage 5 bps", "top 4 by market cap", "Lag"):
        assert words in assumptions
    assert escape("Top 4 of a small <test> market") in html


def test_the_metrics_match_metrics_csv_and_an_independent_computation(run_folder, page):
    table = pd.read_csv(run_folder / "metrics.csv", index_col="portfolio")
    cells = metric_cells(page)
    assert list(cells) == list(table.index) == ["small-top4", "BTC", "TRX"]
    headings = {row[0]: row for row in page.tables["metrics"][1:]}
    assert len(headings) == len(table.columns)
    for portfolio in table.index:
        shown = [cells[portfolio][heading] for heading in headings]
        assert shown == [format_metric(c, table.at[portfolio, c]) for c in table.columns]
    # metrics.csv itself, from equity.csv with numpy (DESIGN section 4).
    equity = pd.read_csv(run_folder / "equity.csv", index_col="date", parse_dates=["date"])
    days = (equity.index[-1] - equity.index[0]).days
    for portfolio in table.index:
        e = equity[portfolio].to_numpy()
        r = e[1:] / e[:-1] - 1
        expected = {
            "total_return": e[-1] - 1,
            "cagr": e[-1] ** (365 / days) - 1,
            "volatility": r.std(ddof=1) * math.sqrt(365),
            "sharpe": r.mean() / r.std(ddof=1) * math.sqrt(365),
            "max_drawdown": (e / np.maximum.accumulate(e) - 1).min(),
            "best_day": r.max(),
        }
        for column, value in expected.items():
            assert table.at[portfolio, column] == pytest.approx(value, rel=1e-8), column


def test_the_calendar_years_compound_to_the_total_return(run_folder, page):
    equity = pd.read_csv(run_folder / "equity.csv", index_col="date", parse_dates=["date"])
    header, *rows = page.tables["calendar-years"]
    assert header == ["Year", *equity.columns]
    assert [row[0] for row in rows] == ["2021 (from 11 Mar)", "2022", "2023 (to 18 May)"]
    growth = pd.Series(1.0, index=equity.columns)
    previous = pd.Series(1.0, index=equity.columns)  # C0: the first year counts the first buy
    for row, year in zip(rows, (2021, 2022, 2023), strict=True):
        year_end = equity[equity.index.year == year].iloc[-1]
        returns = year_end / previous - 1
        assert row[1:] == [format_percent(v) for v in returns]
        growth *= 1 + returns
        previous = year_end
    np.testing.assert_allclose(growth, equity.iloc[-1], rtol=1e-12)


def test_the_worst_drawdowns_are_the_deepest_falls_of_the_equity(run_folder, page):
    equity = pd.read_csv(run_folder / "equity.csv", index_col="date", parse_dates=["date"])
    strategy = equity["small-top4"]
    header, *rows = page.tables["worst-drawdowns"]
    assert header[:6] == ["#", "Depth", "Start (peak)", "Trough", "Recovery", header[5]]
    assert 1 <= len(rows) <= 5
    table = pd.read_csv(run_folder / "metrics.csv", index_col="portfolio")
    assert rows[0][1] == format_percent(table.at["small-top4", "max_drawdown"])
    depths = [float(row[1].rstrip("%")) for row in rows]
    assert depths == sorted(depths)  # deepest first
    for _, depth, start, trough, recovery, days in rows:
        start, trough = pd.Timestamp(start), pd.Timestamp(trough)
        assert strategy[start] == strategy[:start].max()  # a running peak
        assert depth == format_percent(strategy[trough] / strategy[start] - 1)
        if recovery != "not recovered":
            assert strategy[pd.Timestamp(recovery)] >= strategy[start]
            assert int(days.replace(",", "")) == (pd.Timestamp(recovery) - start).days


def test_the_rebalance_summary_counts_the_trades(run_folder):
    trades = pd.read_csv(run_folder / "trades.csv")
    summary = html_of(run_folder).split('id="rebalance-summary">', 1)[1].split("</p>", 1)[0]
    assert summary.startswith(f"{len(trades)} rebalances")
    assert f"{trades['n_assets'].min()}–{trades['n_assets'].max()} constituents" in summary


# ---------------------------------------------------------------- the extension point
def _dummy_section(run, key: str, title: str, order: int = 100) -> ReportSection:
    return ReportSection(
        key,
        title,
        html=f'<p class="dummy">{escape(key)} body</p>',
        figures=(ReportFigure.of(growth_figure(run), f"{key} caption"),),
        order=order,
    )


def test_sections_saved_in_the_folder_or_passed_in_appear_after_the_built_in_ones(folder_copy):
    run = read_run(folder_copy)
    _dummy_section(run, "scenarios", "Scenario <bands>", order=20).save(folder_copy)
    _dummy_section(run, "signals", "Signal flips (saved)", order=10).save(folder_copy)
    assert cli.main(["report", str(folder_copy), "--quiet"]) == 0
    html = html_of(folder_copy)
    headings = section_headings(html)
    assert headings[: len(SECTIONS)] == SECTIONS
    assert headings[len(SECTIONS) :] == [
        ("section-signals", "Signal flips (saved)"),
        ("section-scenarios", "Scenario &lt;bands&gt;"),
    ]
    assert '<a href="#section-signals">' in html and '<p class="dummy">signals body</p>' in html
    assert "signals caption" in html
    # One passed in Python replaces the saved one of the same key.
    replacement = _dummy_section(run, "signals", "Signal flips (given)", order=30)
    write_report(folder_copy, folder_copy, sections=[replacement])
    headings = section_headings(html_of(folder_copy))[len(SECTIONS) :]
    assert headings == [
        ("section-scenarios", "Scenario &lt;bands&gt;"),
        ("section-signals", "Signal flips (given)"),
    ]


def test_a_section_key_must_be_a_safe_name():
    with pytest.raises(indexlab.IndexlabError, match="lower case"):
        ReportSection("../evil", "x")
    with pytest.raises(indexlab.IndexlabError, match="PNG"):
        ReportFigure(b"<svg/>", "not a png")


# ---------------------------------------------------------------- older and broken folders
def test_a_folder_without_daily_weights_still_gets_a_report(folder_copy, capsys):
    (folder_copy / "daily_weights.parquet").unlink()
    (folder_copy / "figures" / "allocation.png").unlink()
    assert cli.main(["report", str(folder_copy), "--quiet"]) == 0
    html = html_of(folder_copy)
    allocation = html.split('<section id="allocation">', 1)[1].split("</section>", 1)[0]
    assert "no daily weights" in allocation and "<img" not in allocation
    assert not (folder_copy / "figures" / "allocation.png").exists()
    assert cli.main(["figure", str(folder_copy), "--kind", "allocation"]) == 1
    assert "daily_weights.parquet" in capsys.readouterr().err


def test_errors_name_the_folder_and_keep_the_previous_report(folder_copy, tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "nowhere")]) == 1
    assert "not a folder" in capsys.readouterr().err
    before = html_of(folder_copy)
    (folder_copy / "equity.csv").unlink()
    assert cli.main(["report", str(folder_copy)]) == 1
    err = capsys.readouterr().err
    assert "equity.csv: missing" in err and err.count("\n") == 1
    assert html_of(folder_copy) == before
    manifest = json.loads((folder_copy / "manifest.json").read_text())
    del manifest["assumptions"]
    (folder_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(indexlab.IndexlabError, match="older indexlab"):
        read_run(folder_copy)


def test_a_report_that_fails_leaves_no_half_written_run_folder(run_folder, tmp_path, monkeypatch):
    from indexlab.output import write_run
    from indexlab.report import tearsheet

    data, strategy = write_inputs(tmp_path / "inputs")
    result = indexlab.run(indexlab.Strategy.from_toml(strategy), indexlab.load_market(data))

    def broken(*_args, **_kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(tearsheet, "render_figures", broken)
    target = tmp_path / "runs" / "new"
    with pytest.raises(RuntimeError, match="figure failed"):
        write_run(result, target)
    assert not target.exists()
    assert list((tmp_path / "runs").iterdir()) == []  # no staging folder left behind
    previous = tmp_path / "runs" / "previous"
    shutil.copytree(run_folder, previous)
    with pytest.raises(RuntimeError):
        write_run(result, previous)
    assert html_of(previous) == html_of(run_folder)  # the good run is still there


def test_a_run_folder_table_concatenates_and_keeps_its_line_numbers(tmp_path):
    """pandas compares ``attrs`` with == when it concatenates; the line numbers once were a
    bare array there, so every concat or .loc append on a read table (quantstats' drawdown
    does one) raised 'truth value of an array is ambiguous'."""
    from indexlab.report.runfiles import line_of, read_table

    path = tmp_path / "t.csv"
    path.write_text("date,value\n2024-01-01,1.5\n2024-01-02,2.5\n")
    frame = read_table(path, {"date": "date", "value": "number"})
    both = pd.concat([frame, frame.copy()])
    assert list(both["value"]) == [1.5, 2.5, 1.5, 2.5]
    series = frame.set_index("date")["value"]
    series.loc[pd.Timestamp("2023-12-31")] = 1.0
    assert len(series) == 3
    assert line_of(path, frame, 1) == f"{path} line 3"
