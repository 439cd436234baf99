"""The CLI end to end: the demo run writes every file of DESIGN section 5; bad input
exits non-zero with one line naming the fault; a failed run never clobbers a good one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import cli

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "strategies" / "top100-mcap-monthly.toml"
RUN_FILES = {
    "equity.csv",
    "metrics.csv",
    "weights.csv",
    "trades.csv",
    "liquidations.csv",
    "manifest.json",
    "report.html",
    "figures",
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("runs") / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "indexlab.cli", "run", str(DEFAULT), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_demo_run_writes_every_file(demo_run):
    out, stdout = demo_run
    assert RUN_FILES <= {p.name for p in out.iterdir()}
    assert any((out / "figures").glob("*.png"))
    equity = pd.read_csv(out / "equity.csv", parse_dates=["date"])
    assert list(equity.columns) == ["date", "top100-mcap-monthly", "BTC", "TRX"]
    assert equity["date"].diff().dropna().eq(pd.Timedelta(days=1)).all()
    metrics = pd.read_csv(out / "metrics.csv", index_col="portfolio")
    assert list(metrics.index) == ["top100-mcap-monthly", "BTC", "TRX"]
    assert list(metrics.columns) == list(indexlab.metrics.METRIC_COLUMNS)
    # The files agree with each other: total return is the last equity minus one.
    np.testing.assert_allclose(
        metrics["total_return"].to_numpy(), equity.iloc[-1, 1:].to_numpy(dtype=float) - 1, rtol=1e-8
    )
    weights = pd.read_csv(out / "weights.csv", parse_dates=["date"])
    sums = weights.groupby("date")["weight"].sum()
    # Fully invested, except where a chosen coin had no price on the trade day (cash).
    assert (sums <= 1 + 1e-9).all()
    assert (np.abs(sums - 1) < 1e-9).mean() > 0.9
    assert weights.groupby("date").size().max() <= 100
    trades = pd.read_csv(out / "trades.csv", parse_dates=["date"])
    assert {"date", "turnover", "cost"} <= set(trades.columns)
    assert set(trades["date"]) == set(weights["date"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["synthetic"] is True
    assert "synthetic demo data" in manifest["data"]["source"]
    assert manifest["lag_days"] == 1 and manifest["periods_per_year"] == 365
    assert manifest["strategy"]["universe"]["top_n"] == 100
    assert "synthetic demo data" in (out / "report.html").read_text()
    # The table printed for the index, BTC and TRX, and the demo warning.
    for name in ("top100-mcap-monthly", "BTC", "TRX", "synthetic demo data"):
        assert name in stdout.lower() or name in stdout


def test_help_explains_every_option():
    text = subprocess.run(
        [sys.executable, "-m", "indexlab.cli", "run", "--help"], capture_output=True, text=True
    ).stdout
    for option in ("--data", "--out", "--start", "--end", "STRATEGY.toml"):
        assert option in text


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


GOOD_TABLE = """date,asset,close,market_cap,symbol
2021-01-01,bitcoin,29000,540e9,BTC
2021-01-01,tron,0.027,1.9e9,TRX
2021-01-02,bitcoin,29500,548e9,BTC
2021-01-02,tron,0.028,2.0e9,TRX
2021-01-03,bitcoin,30500,560e9,BTC
2021-01-03,tron,0.029,2.1e9,TRX
"""


def strategy_file(tmp_path: Path, extra: str = "", benchmarks: str = '["BTC", "TRX"]') -> Path:
    path = tmp_path / "s.toml"
    path.write_text(f'name = "s"\nbenchmarks = {benchmarks}\n[universe]\ntop_n = 2\n{extra}')
    return path


@pytest.mark.parametrize(
    ("table", "strategy_extra", "benchmarks", "fault"),
    [
        (
            GOOD_TABLE.replace(",market_cap", ",mcap"),
            "",
            None,
            "missing required column 'market_cap'",
        ),
        (
            GOOD_TABLE + "2021-01-03,tron,0.03,2e9,TRX\n",
            "",
            None,
            "duplicated (date, asset) rows: 'tron' on 2021-01-03",
        ),
        (
            GOOD_TABLE.replace("0.028", "-0.028"),
            "",
            None,
            "line 5, column 'close': -0.028 is not a valid price",
        ),
        (GOOD_TABLE, "top_m = 3\n", None, "universe.top_m: unknown key"),
        (GOOD_TABLE + "2021-01-01,bitcoin-2,3,5e6,BTC\n", "", None, "symbol 'BTC' is ambiguous"),
        (
            GOOD_TABLE,
            'exclude = ["bitcoin", "tron"]\n',
            None,
            "the universe is empty on every review date",
        ),
        (GOOD_TABLE, "", '["DOGE"]', "benchmarks: no asset with id or symbol 'DOGE'"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(
    tmp_path, capsys, table, strategy_extra, benchmarks, fault
):
    data = tmp_path / "m.csv"
    data.write_text(table)
    kwargs = {} if benchmarks is None else {"benchmarks": benchmarks}
    strategy = strategy_file(tmp_path, strategy_extra, **kwargs)
    code, out, err = run_cli(
        ["run", str(strategy), "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fault in lines[0]
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_bad_arguments(tmp_path, capsys):
    code, _, err = run_cli(["run", str(tmp_path / "none.toml")], capsys)
    assert code != 0 and "no such strategy file" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", str(DEFAULT), "--start", "2020-02-30"])
    assert exc.value.code != 0
    assert "is not a date" in capsys.readouterr().err


def test_a_failed_run_keeps_the_previous_good_one(tmp_path, capsys, monkeypatch):
    data = tmp_path / "m.csv"
    data.write_text(GOOD_TABLE)
    strategy = strategy_file(tmp_path)
    out = tmp_path / "runs" / "s"
    code, stdout, err = run_cli(
        ["run", str(strategy), "--data", str(data), "--out", str(out)], capsys
    )
    assert code == 0, err
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    # Bad data: nothing written.
    data.write_text(GOOD_TABLE.replace("0.028", "-0.028"))
    code, _, _ = run_cli(["run", str(strategy), "--data", str(data), "--out", str(out)], capsys)
    assert code != 0
    # A failure in the middle of writing the folder: nothing replaced, nothing left over.
    data.write_text(GOOD_TABLE)
    import indexlab.report

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(indexlab.report, "write_report", broken)
    code, _, err = run_cli(["run", str(strategy), "--data", str(data), "--out", str(out)], capsys)
    assert code != 0 and "disk full" in err
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["s"]


def test_refuses_to_replace_a_folder_that_is_not_a_run(tmp_path, capsys):
    data = tmp_path / "m.csv"
    data.write_text(GOOD_TABLE)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("important")
    code, _, err = run_cli(
        ["run", str(strategy_file(tmp_path)), "--data", str(data), "--out", str(precious)], capsys
    )
    assert code != 0 and "refusing to replace it" in err
    assert (precious / "thesis.tex").read_text() == "important"


def test_start_and_end_override_the_file(tmp_path, capsys):
    data = tmp_path / "m.csv"
    data.write_text(GOOD_TABLE)
    out = tmp_path / "o"
    code, _, err = run_cli(
        [
            "run",
            str(strategy_file(tmp_path)),
            "--data",
            str(data),
            "--out",
            str(out),
            "--start",
            "2021-01-02",
            "--end",
            "2021-01-02",
        ],
        capsys,
    )
    assert code == 0, err
    equity = pd.read_csv(out / "equity.csv")
    assert list(equity["date"]) == ["2021-01-02"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["synthetic"] is False and len(manifest["data"]["sha256"]) == 64
