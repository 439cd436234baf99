"""What made ``indexlab run`` faster (issue 17, item 6) changes nothing it shows:
``--no-report`` writes the tables alone and says so; figures drawn in forked workers
are the bytes of figures drawn one by one; lines thinned to the figure's pixels keep
every peak and trough; the allocation chart keeps its first and last day and both
sides of each rebalance; the faster daily-weights writer and reader give the files
and frames of the pandas ones they replace."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_runs import write_inputs

import indexlab
from indexlab import cli
from indexlab.output import NO_REPORT, write_run
from indexlab.report import render, rundata, tearsheet, thin


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    return write_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def result(inputs):
    data, strategy = inputs
    return indexlab.run(indexlab.Strategy.from_toml(strategy), indexlab.load_market(data))


# ---------------------------------------------------------------- --no-report
def test_no_report_writes_the_tables_alone_and_says_so(inputs, tmp_path, capsys):
    data, strategy = inputs
    out = tmp_path / "run"
    assert (
        cli.main(["run", str(strategy), "--data", str(data), "--out", str(out), "--no-report"]) == 0
    )
    stdout = capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"equity.csv", "metrics.csv", "daily_weights.parquet", "manifest.json"} <= names
    assert "report.html" not in names and "figures" not in names
    assert json.loads((out / "manifest.json").read_text())["report"] == NO_REPORT
    assert "No report (--no-report)" in stdout and f"indexlab report {out}" in stdout
    # The report can be made later, from the folder alone.
    assert cli.main(["report", str(out)]) == 0
    assert (out / "report.html").is_file() and len(list((out / "figures").iterdir())) == 7


def test_a_run_with_its_report_says_so_in_the_manifest(result, tmp_path):
    write_run(result, tmp_path / "run", workers=1)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["report"] == "report.html, figures/"


# ---------------------------------------------------------------- parallel drawing
def test_figures_drawn_in_workers_are_the_figures_drawn_one_by_one(result, tmp_path):
    write_run(result, tmp_path / "run", report=False)
    data = rundata.read_run(tmp_path / "run")
    alone = tearsheet.render_figures(data, workers=1)
    together = tearsheet.render_figures(data, workers=2)
    assert list(together) == list(alone) == [name for name, _ in tearsheet.FIGURES]
    assert together == alone


def test_an_error_in_a_worker_is_raised_in_the_parent():
    with pytest.raises(ZeroDivisionError):
        render.render_all(_divide, 0, ["a", "b", "c"], workers=2)


def _divide(data: int, name: str) -> bytes:
    return bytes([1 // data])


def test_one_figure_or_one_cpu_draws_here():
    assert render.default_workers(1) == 1
    assert render.render_all(_name, None, ["x"], workers=4) == {"x": b"x"}


def _name(_data: object, name: str) -> bytes:
    return name.encode()


# ---------------------------------------------------------------- thinning
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=400
    ),
    columns=st.integers(min_value=1, max_value=60),
)
def test_a_thinned_line_keeps_each_columns_first_last_lowest_and_highest(values, columns):
    series = pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values)))
    thinned = thin.thin_line(series, columns)
    assert thinned.index.is_monotonic_increasing and thinned.index.isin(series.index).all()
    assert (thinned == series.reindex(thinned.index)).all()  # actual points, not averages
    if len(series) <= thin.POINTS_PER_COLUMN * columns:
        assert thinned.equals(series)
        return
    assert len(thinned) <= thin.POINTS_PER_COLUMN * columns
    edges = np.linspace(0, len(series), columns + 1).astype(int)
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        bucket = series.iloc[start:stop]
        kept = thinned[(thinned.index >= bucket.index[0]) & (thinned.index <= bucket.index[-1])]
        assert kept.iloc[0] == bucket.iloc[0] and kept.iloc[-1] == bucket.iloc[-1]
        assert kept.min() == bucket.min() and kept.max() == bucket.max()


def test_a_thinned_line_keeps_its_gaps():
    values = np.arange(100.0)
    values[40] = np.nan
    thinned = thin.thin_line(pd.Series(values), columns=5)
    assert thinned.isna().sum() == 1 and 39 in thinned.index and 41 in thinned.index


def test_thinned_allocation_rows_keep_the_ends_and_both_sides_of_each_rebalance():
    dates = pd.date_range("2020-01-01", periods=1000)
    bands = pd.DataFrame(
        {"A": np.linspace(0.2, 0.8, 1000), "B": np.linspace(0.8, 0.2, 1000)}, dates
    )
    rebalances = dates[[0, 31, 400, 401, 999]]
    shown, step = thin.thin_rows(bands, columns=200, keep_around=rebalances)
    assert step == 5
    assert shown.index[0] == dates[0] and shown.index[-1] == dates[-1]
    for date in rebalances:
        at = dates.get_loc(date)
        assert dates[at] in shown.index and (at == 0 or dates[at - 1] in shown.index)
    pd.testing.assert_frame_equal(shown, bands.loc[shown.index])  # rows as they are
    assert thin.thin_rows(bands, columns=2000)[1] == 1  # room for every row: all kept


# ---------------------------------------------------------------- daily weights files
def test_daily_weights_file_and_frame_are_those_of_stack_and_pivot(result, tmp_path):
    write_run(result, tmp_path / "run", report=False)
    written = pd.read_parquet(tmp_path / "run" / "daily_weights.parquet")
    long = result.daily_weights.stack()
    long = long[long > 0].rename("weight").reset_index()
    long.columns = ["date", "asset", "weight"]
    pd.testing.assert_frame_equal(written, long, check_dtype=False)
    wide = written.pivot(index="date", columns="asset", values="weight").fillna(0.0)
    wide.columns = wide.columns.astype(str)
    wide.columns.name = None
    pd.testing.assert_frame_equal(rundata._wide(written), wide, check_freq=False)
    with pytest.raises(ValueError, match="duplicate"):
        rundata._wide(pd.concat([written, written.iloc[:1]]))


# ---------------------------------------------------------------- the report's helper
def test_a_report_written_by_the_helper_is_the_report_written_here(result, tmp_path):
    from indexlab.report import helper

    write_run(result, tmp_path / "here", workers=1)
    with helper.report_helper() as started:
        write_run(result, tmp_path / "helped")
    if started is None:
        pytest.skip("no helper on this platform or with one CPU")
    assert started.used and started.exitcode == 0
    for path in sorted((tmp_path / "here").rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            twin = tmp_path / "helped" / path.relative_to(tmp_path / "here")
            assert twin.read_bytes() == path.read_bytes(), path.name


def test_an_error_in_the_helper_is_raised_here_and_no_process_is_left(tmp_path):
    from indexlab.errors import RunFolderError
    from indexlab.report import helper

    with helper.report_helper() as started:
        if started is None:
            pytest.skip("no helper on this platform or with one CPU")
        with pytest.raises(RunFolderError):  # not a run folder
            indexlab.report.write_report(tmp_path, tmp_path)
    assert started.exitcode == 0  # it reported the error and ended
    with helper.report_helper() as unused:
        pass  # left without a report: ended at once, not left waiting
    assert unused.exitcode is not None


def test_a_run_without_its_report_starts_no_helper(inputs, tmp_path, monkeypatch):
    from indexlab.report import helper

    def fail():
        raise AssertionError("a helper was started for a run without its report")

    monkeypatch.setattr(helper, "ReportHelper", fail)
    data, strategy = inputs
    out = tmp_path / "run"
    args = ["run", str(strategy), "--data", str(data), "--out", str(out), "--no-report"]
    assert cli.main([*args, "--quiet"]) == 0


def test_a_report_whose_helper_died_is_written_here(result, tmp_path):
    import os
    import signal

    from indexlab.report import helper

    with helper.report_helper() as started:
        if started is None:
            pytest.skip("no helper on this platform or with one CPU")
        os.kill(started._process.pid, signal.SIGKILL)
        started._process.join()
        write_run(result, tmp_path / "run")
    assert started.used and (tmp_path / "run" / "report.html").is_file()
    assert len(list((tmp_path / "run" / "figures").iterdir())) == 7
