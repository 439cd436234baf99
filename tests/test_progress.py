"""Progress where people wait (issue 14, item 9): tqdm bars on a terminal, lines off
one, and phases that say themselves only when they last."""

from __future__ import annotations

import io
import time
from pathlib import Path

import indexlab
from indexlab.sources.progress import phase, progress_bar
from indexlab.sweep.progress import SweepProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_phase_says_itself_only_when_it_lasts_and_only_on_a_terminal():
    quick = Terminal()
    with phase("importing data/coins", quick, after_s=1.0):
        pass
    assert quick.getvalue() == ""
    log = io.StringIO()  # a log or a pipe: the command's summary says enough
    with phase("importing data/coins", log, after_s=0.05):
        time.sleep(0.3)
    assert log.getvalue() == ""
    quiet = Terminal()
    with phase("importing data/coins", quiet, after_s=0.05, quiet=True):
        time.sleep(0.2)
    assert quiet.getvalue() == ""


def test_a_phase_on_a_terminal_ticks_and_is_erased():
    screen = Terminal()
    with phase("reading market.parquet", screen, after_s=0.05):
        time.sleep(1.2)
    text = screen.getvalue()
    assert "indexlab: reading market.parquet 00:0" in text  # tqdm's clock
    assert text.count("\r") >= 2  # redrawn in place, then erased


def test_bars_only_on_a_terminal():
    assert progress_bar(10, "sweep", "config", io.StringIO()) is None
    screen = Terminal()
    bar = progress_bar(10, "sweep", "config", screen)
    bar.update(4)
    bar.close()
    assert "4/10" in screen.getvalue()


def test_sweep_progress_shows_the_planning_then_the_configurations():
    screen = Terminal()
    bar = SweepProgress(40, screen, done=10)
    bar.planning(3, 30)
    assert "10/40" in screen.getvalue() and "planning 3/30 of this chunk" in screen.getvalue()
    bar.advance(30)
    bar.close()
    assert "40/40" in screen.getvalue()


def test_sweep_progress_off_a_terminal_writes_readable_lines():
    log = io.StringIO()
    bar = SweepProgress(40, log)
    bar.planning(5, 40)  # the first line: the sweep has started
    bar.advance(20)  # within 10 s of it: no line
    bar.advance(20)  # the last: always
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[0].startswith("sweep: 0/40 configurations") and "planning 5/40" in lines[0]
    assert lines[-1].startswith("sweep: 40/40 configurations")
    assert len(lines) == 2


def test_a_sweep_draws_its_bar_on_a_terminal(tmp_path):
    from indexlab.sweep import SweepSpec

    root = Path(__file__).resolve().parents[1]
    base = indexlab.Strategy.from_toml(root / "strategies" / "top100-mcap-monthly.toml")
    spec = SweepSpec(
        name="progress",
        base=base.replace(start="2024-06-01"),
        grid={"universe.top_n": [5, 10], "costs.fee_bps": [0, 10]},
    )
    screen = Terminal()
    table = indexlab.sweep(spec, progress=screen)
    assert len(table) == 4
    text = screen.getvalue()
    assert "sweep:" in text and "4/4" in text and "planning" in text
