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
