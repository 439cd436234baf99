"""The command line answers ``--help``, ``--version`` and a mistyped command without
loading the library (issue 17, item 6): pandas, numpy, numba and matplotlib stay
unimported, and a command's own ``--help`` lists its options in full."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "numba", "matplotlib")


def _imported_after(args: list[str]) -> tuple[set[str], str]:
    code = (
        "import sys\n"
        "from indexlab import cli\n"
        "try:\n"
        f"    cli.main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return {m for m in last.split(",") if m in HEAVY}, done.stdout + done.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["runn"], []])
def test_the_top_level_answers_without_the_library(args):
    heavy, output = _imported_after(args)
    assert heavy == set(), output
    assert "indexlab" in output


def test_the_listing_names_every_command_with_its_help():
    _, output = _imported_after(["--help"])
    for name in ("run", "data", "strategies", "signals", "scenario", "report", "figure",
                 "export", "sweep"):  # fmt: skip
        assert f"\n    {name}" in output
    assert "backtest a strategy file" in output


def test_a_commands_own_help_lists_its_options():
    _, output = _imported_after(["figure", "--help"])
    assert "--kind" in output and "--format" in output
    _, output = _imported_after(["data", "import", "--help"])
    assert "--bad-prints" in output


# ---------------------------------------------------------------- deferred imports
def _imported_by(code: str) -> set[str]:
    """The top-level packages ``code`` leaves imported, in a fresh interpreter."""
    code += "\nimport sys\nprint(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return set(done.stdout.strip().splitlines()[-1].split(","))


def test_the_library_and_the_report_packages_light_modules_do_not_load_matplotlib():
    imported = _imported_by(
        "import indexlab\n"
        "indexlab.Strategy, indexlab.run, indexlab.load_market\n"
        "from indexlab.report import rundata, text\n"
        "from indexlab.report import read_run, RunData\n"
        "import indexlab.output\n"
    )
    assert "matplotlib" not in imported and "PIL" not in imported


def test_a_run_without_its_report_does_not_load_matplotlib(tmp_path):
    from report_runs import write_inputs

    data, strategy = write_inputs(tmp_path)
    out = tmp_path / "run"
    imported = _imported_by(
        "from indexlab import cli\n"
        f"assert cli.main(['run', {str(strategy)!r}, '--data', {str(data)!r}, '--out', "
        f"{str(out)!r}, '--no-report']) == 0\n"  # the metrics table printed too
    )
    assert (out / "equity.csv").is_file() and not (out / "report.html").exists()
    assert "matplotlib" not in imported


def test_the_report_package_names_its_public_functions_whatever_is_imported_first():
    # signal_figure is a submodule and the function the package exports: the function
    # wins, as it did when the package imported everything.
    imported = _imported_by(
        "import types\n"
        "from indexlab.report.signal_figure import plain_number\n"
        "import indexlab.report as report\n"
        "from indexlab.report import signal_figure\n"
        "assert not isinstance(signal_figure, types.ModuleType), signal_figure\n"
        "assert report.signal_figure is signal_figure\n"
        "for name in report.__all__:\n"
        "    assert not isinstance(getattr(report, name), types.ModuleType), name\n"
        "assert sorted(report.__all__) == sorted(set(dir(report)) & set(report.__all__))\n"
    )
    assert "matplotlib" in imported


def test_help_does_not_read_the_version_and_version_prints_it_on_stdout():
    from importlib.metadata import version

    code = (
        "import sys\n"
        "from indexlab import cli\n"
        "try:\n"
        "    cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('version read:', 'indexlab.version' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().endswith("version read: False"), done.stdout + done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "indexlab.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == f"indexlab {version('indexlab')}\n"
