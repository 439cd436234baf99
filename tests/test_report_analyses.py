"""Signal flips and scenario bands added to a run's report (issue 7's sections)."""

from __future__ import annotations

from pathlib import Path

from indexlab import cli

ROOT = Path(__file__).resolve().parents[1]


def test_signals_and_scenario_sections_join_the_report(tmp_path, capsys):
    run = tmp_path / "run"
    strategy = ROOT / "strategies" / "top10-capped-monthly.toml"
    assert cli.main(["run", str(strategy), "--out", str(run), "--quiet"]) == 0
    assert "Signal flips" not in (run / "report.html").read_text()
    assert (
        cli.main(["signals", "TRX", "--into", str(run), "--out", str(tmp_path / "s"), "--quiet"])
        == 0
    )
    assert (
        cli.main(
            [
                "scenario",
                "TRX",
                "--tiers",
                "8T,16T",
                "--into",
                str(run),
                "--out",
                str(tmp_path / "c"),
                "--quiet",
            ]
        )
        == 0
    )
    html = (run / "report.html").read_text()
    assert "Signal flips: TRX (sma-cross 50/200)" in html
    assert "Scenario price bands: tron" in html
    assert html.index("Signal flips") < html.index("Scenario price bands")
    # Rebuilding the report from the folder keeps them; adding again replaces, not repeats.
    assert cli.main(["report", str(run), "--quiet"]) == 0
    assert (
        cli.main(["signals", "TRX", "--into", str(run), "--out", str(tmp_path / "s"), "--quiet"])
        == 0
    )
    html = (run / "report.html").read_text()
    assert html.count("Signal flips: TRX") == 2  # the contents line and the heading
    capsys.readouterr()
    assert (
        cli.main(
            ["signals", "TRX", "--into", str(tmp_path / "nothing"), "--out", str(tmp_path / "s2")]
        )
        == 1
    )
    assert not (tmp_path / "s2").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing" in err[0]
