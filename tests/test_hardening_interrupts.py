"""Ctrl-C at any moment of a sweep ends as "indexlab: interrupted" with status 130, and
running the same command again completes the sweep with the rows of an uninterrupted one
(issue 13, item 13).

Each interrupted sweep runs in a subprocess that sends itself SIGINT at a chosen moment.
"During the kernel" repeats the batched kernel's call for a while before returning (the
same result each time), so the signal lands while compiled code runs, as it does in a
long sweep; there, numba used to box the result with the interrupt pending and CPython
answered "SystemError: CPUDispatcher(simulate_batch) returned a result with an
exception set" or crashed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from indexlab import cli
from indexlab.interrupts import deferred_interrupt

ROOT = Path(__file__).resolve().parents[1]
EXIT_INTERRUPTED = 130

# The subprocess: CLI main with one hook that sends SIGINT at the chosen moment.
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time

    from indexlab import cli
    from indexlab.engine import kernels
    from indexlab.sweep import batch, runner

    moment, argv = sys.argv[1], sys.argv[2:]

    def interrupt():
        os.kill(os.getpid(), signal.SIGINT)

    if moment == "kernel":
        real = kernels.simulate_batch

        def busy_kernel(*args):
            if args[4].shape[1] < 4:  # the benchmark's hold: not this one
                return real(*args)
            out = real(*args)  # loads numba's cache: Python code, not the kernel
            threading.Timer(0.05, interrupt).start()
            for _ in range(300):  # the kernel busy for a while, like a long sweep
                out = real(*args)
            return out

        kernels.simulate_batch = busy_kernel
    elif moment == "planning":
        real_configure = batch.configure

        def configure(*args, **kwargs):
            interrupt()
            return real_configure(*args, **kwargs)

        batch.configure = configure
    elif moment == "between-chunks":
        real_write = runner._write_atomic
        written = []

        def write(frame, path):
            real_write(frame, path)
            written.append(path)
            if len(written) == 2:
                interrupt()

        runner._write_atomic = write
    sys.exit(cli.main(argv))
    """
)


def _sweep_file(tmp_path: Path) -> Path:
    path = tmp_path / "grid.toml"
    base = ROOT / "strategies" / "top100-mcap-monthly.toml"
    path.write_text(
        f'name = "interrupts"\nbase = "{base.as_posix()}"\n'
        '[grid]\n"universe.top_n" = [20, 50, 100, 150]\n'
        '"weighting.scheme" = ["market_cap", "sqrt_market_cap", "equal"]\n'
        '"weighting.cap" = ["none", 0.25]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> pd.DataFrame:
    """The rows of the sweep run without interruption."""
    tmp_path = tmp_path_factory.mktemp("whole")
    out = tmp_path / "out"
    assert cli.main(["sweep", str(_sweep_file(tmp_path)), "--out", str(out), "--quiet"]) == 0
    return pd.read_parquet(out / "sweep.parquet")


@pytest.mark.parametrize("moment", ["kernel", "planning", "between-chunks"])
def test_ctrl_c_during_a_sweep_is_an_interrupt_and_the_sweep_resumes(
    tmp_path, moment, whole, capsys
):
    script = tmp_path / "interrupted.py"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "out"
    argv = ["sweep", str(_sweep_file(tmp_path)), "--out", str(out), "--quiet"]
    # Small chunks, so that parts are written between them.
    argv += ["--memory", "1MB"] if moment == "between-chunks" else []
    env = {**os.environ, "PYTHONFAULTHANDLER": ""}
    done = subprocess.run(
        [sys.executable, str(script), moment, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert (done.returncode, done.stderr) == (EXIT_INTERRUPTED, "indexlab: interrupted\n")
    assert not (out / "sweep.parquet").exists()
    assert cli.main(argv) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sweep.parquet"), whole)


def test_an_interrupt_in_a_deferred_block_is_raised_when_the_block_ends():
    ran = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupt():
        os.kill(os.getpid(), signal.SIGINT)
        ran.append("after the signal")
    assert ran == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_wins_over_an_error_of_the_deferred_block():
    with pytest.raises(KeyboardInterrupt), deferred_interrupt():
        os.kill(os.getpid(), signal.SIGINT)
        raise SystemError("returned a result with an exception set")


def test_a_system_error_caused_by_an_interrupt_is_reported_as_an_interrupt(monkeypatch, capsys):
    """The last line of defence, should a kernel be called outside a deferred block."""
    from indexlab.cli import run_command

    def boxed_with_interrupt(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            message = "CPUDispatcher(simulate_batch) returned a result with an exception set"
            raise SystemError(message) from exc  # as CPython chains it

    monkeypatch.setattr(run_command, "command_run", boxed_with_interrupt)
    assert cli.main(["run", "x.toml"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "indexlab: interrupted\n"
