"""Export of a run's tables: CSV, Parquet and an Excel workbook hold the same numbers as
the run folder; `indexlab export` writes them; a missing openpyxl is one clear error."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from report_runs import write_inputs

import indexlab
from indexlab import cli
from indexlab.export import export, run_tables, to_excel

TABLES = [
    "assumptions",
    "metrics",
    "equity",
    "returns",
    "calendar_years",
    "monthly_returns",
    "drawdowns",
    "rebalances",
    "weights",
    "daily_weights",
]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    inputs = tmp_path_factory.mktemp("inputs")
    data, strategy = write_inputs(inputs)
    out = tmp_path_factory.mktemp("runs") / "small"
    assert cli.main(["run", str(strategy), "--data", str(data), "--out", str(out), "--quiet"]) == 0
    return out


def test_the_tables_agree_with_the_run_folder(run_folder):
    frames = run_tables(run_folder)
    assert list(frames) == TABLES
    equity = pd.read_csv(run_folder / "equity.csv", index_col="date", parse_dates=["date"])
    metrics = pd.read_csv(run_folder / "metrics.csv", index_col="portfolio")
    pd.testing.assert_frame_equal(frames["metrics"], metrics, check_names=False)
    np.testing.assert_allclose(frames["equity"], equity)
    np.testing.assert_allclose(frames["returns"], (equity / equity.shift(1) - 1).iloc[1:])
    # Years compound to the total return; months compound to the year.
    np.testing.assert_allclose(
        (1 + frames["calendar_years"]).prod(), 1 + metrics["total_return"], rtol=1e-9
    )
    by_month = (1 + frames["monthly_returns"]).prod(axis=1, skipna=True) - 1
    np.testing.assert_allclose(by_month, frames["calendar_years"].iloc[:, 0], rtol=1e-9)
    assert list(frames["monthly_returns"].columns[:3]) == ["Jan", "Feb", "Mar"]
    weights = pd.read_csv(run_folder / "weights.csv")
    assert len(frames["weights"]) == len(weights)
    rebalances = frames["rebalances"]
    np.testing.assert_allclose(
        rebalances["cost_of_value"], rebalances["cost"] / rebalances["value_pre_trade"]
    )
    assert frames["drawdowns"]["depth"].iloc[0] == pytest.approx(
        metrics.loc["small-top4", "max_drawdown"], rel=1e-9
    )


def test_every_format_reads_back_the_same_numbers(run_folder, tmp_path):
    written = export(run_folder, tmp_path, formats=("csv", "parquet", "xlsx"))
    assert {p.name for p in (tmp_path / "csv").iterdir()} == {f"{t}.csv" for t in TABLES}
    assert {p.name for p in (tmp_path / "parquet").iterdir()} == {f"{t}.parquet" for t in TABLES}
    assert tmp_path / "small-top4.xlsx" in written
    frames = run_tables(run_folder)
    years_csv = pd.read_csv(tmp_path / "csv" / "calendar_years.csv", index_col="year")
    years_parquet = pd.read_parquet(tmp_path / "parquet" / "calendar_years.parquet")
    np.testing.assert_allclose(years_csv, frames["calendar_years"], rtol=1e-11)
    np.testing.assert_allclose(years_parquet, frames["calendar_years"])
    book = pd.read_excel(tmp_path / "small-top4.xlsx", sheet_name=None, index_col=0)
    assert list(book) == TABLES[:-1]  # the daily weights are too large for a workbook
    np.testing.assert_allclose(book["metrics"].to_numpy(dtype=float), frames["metrics"], rtol=1e-12)
    np.testing.assert_allclose(book["equity"].to_numpy(dtype=float), frames["equity"], rtol=1e-12)
    assumptions = pd.read_excel(tmp_path / "small-top4.xlsx", sheet_name="assumptions")
    assert "N = 365" in " ".join(assumptions["value"].astype(str))


def test_the_export_command_and_a_result_in_memory(run_folder, tmp_path, capsys):
    assert cli.main(["export", str(run_folder), "--format", "csv", "--out", str(tmp_path)]) == 0
    assert "metrics.csv" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["export", str(run_folder), "--format", "docx"])
    result = indexlab.run(
        indexlab.Strategy(name="demo10", universe=indexlab.Universe(top_n=10)),
        indexlab.demo_market(),
    )
    frames = run_tables(result)
    assert list(frames["equity"].columns) == list(result.equity.columns)
    assert frames["assumptions"]["value"].str.contains("synthetic demo data").any()


def test_excel_without_openpyxl_is_one_clear_error(run_folder, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if it were not installed
    with pytest.raises(indexlab.IndexlabError, match=r"pip install 'indexlab\[export\]'"):
        to_excel(run_folder, tmp_path / "x.xlsx")


@pytest.mark.parametrize(("name", "stem"), [("CON", "CON_"), ("a/../b", "a_._b"), ("...", "run")])
def test_the_workbook_name_is_one_safe_file_name(run_folder, tmp_path, name, stem):
    import dataclasses

    from indexlab.report import read_run

    data = dataclasses.replace(read_run(run_folder), name=name)
    written = export(data, tmp_path, formats=("xlsx",))
    assert written == [tmp_path / f"{stem}.xlsx"]
