"""Output folders (run, signals, scenario) after kills, under a umask, and with files
added to them after the run (issue 13, items 14, 15 and 16).

A kill is a real SIGKILL of a subprocess at a chosen step of the atomic replace, so no
``finally`` block runs, as with ``kill -9`` or a power cut.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from indexlab import cli
from indexlab.output import FolderNote, atomic_folder, clean_stale_temporaries
from indexlab.report import load_sections

OLD_STAMP = "2026-01-02T03:04:05+00:00"

# The subprocess: replace OUT through atomic_folder, SIGKILLed at STEP.
KILLED = textwrap.dedent(
    """
    import json, os, shutil, signal, sys
    from pathlib import Path

    from indexlab import output

    out, step = Path(sys.argv[1]), sys.argv[2]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    real_replace, real_rmtree = os.replace, shutil.rmtree

    def replace(src, dst):
        src = Path(src)
        if step == "before-parking" and src == out:
            die()
        if step == "between-renames" and ".tmp-" in src.name:
            die()
        real_replace(src, dst)
        if step == "after-landing" and ".tmp-" in src.name:
            die()

    def rmtree(path, *args, **kwargs):
        if step == "before-removing-parked" and ".old-" in Path(path).name:
            die()
        return real_rmtree(path, *args, **kwargs)

    os.replace, shutil.rmtree = replace, rmtree
    with output.atomic_folder(out) as staging:
        (staging / "equity.csv").write_text("new\\n")
        (staging / "manifest.json").write_text(json.dumps({"run": "new"}))
        if step == "in-block":
            die()
    """
)


def _old_run(out: Path) -> None:
    """A run folder, and what a person added to it afterwards."""
    out.mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"run": "old", "created_utc": OLD_STAMP}))
    (out / "equity.csv").write_text("old\n")
    (out / "marketing").mkdir()
    (out / "marketing" / "growth.png").write_bytes(b"png of the old run")


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _replace(out: Path, run: str) -> None:
    """A run of the same kind as ``_old_run`` into ``out``, through atomic_folder."""
    with atomic_folder(out) as staging:
        (staging / "equity.csv").write_text(f"{run}\n")
        (staging / "manifest.json").write_text(json.dumps({"run": run}))


def _run(out: Path) -> str:
    return json.loads((out / "manifest.json").read_text())["run"]


def _kill_at(step: str, out: Path, tmp_path: Path) -> None:
    script = tmp_path / "killed.py"
    script.write_text(KILLED, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(out), step], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


# ---------------------------------------------------------------- item 14: kills
@pytest.mark.parametrize(
    ("step", "survivor", "note"),
    [
        ("in-block", "old", None),
        ("before-parking", "old", None),
        ("between-renames", "old", "restored"),  # the new run never landed
        ("after-landing", "new", "marketing/"),  # the additions not moved yet
        ("before-removing-parked", "new", None),
    ],
)
def test_a_kill_at_each_step_leaves_one_whole_run_once_the_next_one_starts(
    tmp_path, step, survivor, note
):
    out = tmp_path / "runs" / "top10"
    _old_run(out)
    _kill_at(step, out, tmp_path)
    assert _hidden(out.parent)  # what the kill left behind
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clean_stale_temporaries(out)
    notes = [str(w.message) for w in caught if issubclass(w.category, FolderNote)]
    assert len(notes) == (note is not None) and all(note in text for text in notes)
    assert _hidden(out.parent) == []
    assert _run(out) == survivor
    kept = list(out.rglob("growth.png"))  # the previous run's additions are never lost
    assert [p.read_bytes() for p in kept] == [b"png of the old run"]
    if survivor == "old":
        assert kept == [out / "marketing" / "growth.png"]
    # The next run on the folder lands and leaves nothing hidden.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FolderNote)
        _replace(out, "next")
    assert _run(out) == "next" and _hidden(out.parent) == []


def test_the_next_run_of_the_cli_cleans_what_a_killed_one_left(tmp_path, capsys):
    out = tmp_path / "scenario"
    assert cli.main(_scenario(out)) == 0
    (out / "marketing").mkdir()
    _kill_at("between-renames", out, tmp_path)
    assert not out.exists()  # the run folder is gone until the next run
    assert cli.main(_scenario(out)) == 0
    assert _hidden(tmp_path) == []
    assert (out / "scenario.json").is_file()


def test_temporaries_of_live_processes_are_left_alone(tmp_path):
    out = tmp_path / "run"
    _old_run(out)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = [
            tmp_path / f".run.tmp-{sleeper.pid}-abcd1234",
            tmp_path / f".run.old-{sleeper.pid}-abcd1234",
            tmp_path / f".run.tmp-{os.getpid()}-efgh5678",  # this process, another thread
        ]
        for folder in theirs:
            folder.mkdir()
        (theirs[1] / "run").mkdir()
        clean_stale_temporaries(out)
        assert all(folder.is_dir() for folder in theirs)
        assert (theirs[1] / "run").is_dir() and _run(out) == "old"
    finally:
        sleeper.kill()
        sleeper.wait()
    clean_stale_temporaries(out)
    assert _hidden(tmp_path) == [f".run.tmp-{os.getpid()}-efgh5678"]


def test_temporaries_named_before_owners_were_recorded_go_once_an_hour_old(tmp_path):
    out = tmp_path / "run"
    _old_run(out)
    stale, fresh = tmp_path / ".run.tmp-x1y2z3_4", tmp_path / ".run.tmp-a1b2c3d4"
    other = tmp_path / ".other.tmp-q1w2e3r4"  # another folder's: not this run's business
    for folder in (stale, fresh, other):
        folder.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    clean_stale_temporaries(out)
    assert _hidden(tmp_path) == [".other.tmp-q1w2e3r4", ".run.tmp-a1b2c3d4"]


def test_a_failed_second_rename_puts_the_previous_run_back(tmp_path, monkeypatch):
    out = tmp_path / "run"
    _old_run(out)
    real = os.replace

    def replace(src, dst):
        if ".tmp-" in Path(src).name:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="No space"):
        _replace(out, "new")
    monkeypatch.undo()
    assert _run(out) == "old" and (out / "marketing" / "growth.png").is_file()
    assert _hidden(tmp_path) == []


# ---------------------------------------------------------------- item 15: modes
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002], ids=oct)
def test_output_folders_follow_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        with atomic_folder(tmp_path / "run") as staging:
            (staging / "manifest.json").write_text("{}")
    finally:
        os.umask(previous)
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o777 & ~umask


def test_a_scenario_folder_from_the_cli_follows_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        assert cli.main(_scenario(tmp_path / "scenario")) == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "scenario").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "scenario" / "scenario.csv").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=oct)
def test_an_imported_parquet_file_follows_the_umask(tmp_path, umask):
    import pandas as pd

    from indexlab.sources.coingecko import ImportSummary, write_long_table

    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2021-01-01"]),
            "asset": ["a"],
            "close": [1.0],
            "market_cap": [2.0],
        }
    )
    previous = os.umask(umask)
    try:
        path = write_long_table(
            frame, tmp_path / "market.parquet", ImportSummary("test", "00:00 UTC")
        )
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def _dead_pid() -> int:
    """The pid of a process that has ended (and been waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sweep_files_follow_the_umask_and_killed_sweeps_leave_no_temporaries(tmp_path):
    from indexlab import demo_market
    from indexlab.sweep import read_sweep, sweep

    spec_file = tmp_path / "grid.toml"
    base = Path(__file__).resolve().parents[1] / "strategies" / "top10-capped-monthly.toml"
    spec_file.write_text(f'name = "g"\nbase = "{base.as_posix()}"\n[grid]\nlag_days = [0, 1]\n')
    out = tmp_path / "sweep"
    (out / "parts").mkdir(parents=True)
    dead, alive = _dead_pid(), os.getpid()
    left = [
        out / "parts" / f".part-0123456789abcdef.parquet.tmp-{dead}-abcd1234",
        out / f".sweep.parquet.tmp-{dead}-abcd1234",
    ]
    in_use = out / "parts" / f".part-0123456789abcdef.parquet.tmp-{alive}-abcd1234"
    for path in [*left, in_use]:
        path.write_bytes(b"half a parquet file")
    previous = os.umask(0o022)
    try:
        sweep(read_sweep(spec_file), demo_market(), out=out)
    finally:
        os.umask(previous)
    assert not any(path.exists() for path in left) and in_use.exists()
    written = [out / "sweep.parquet", *(out / "parts").glob("part-*.parquet")]
    assert len(written) >= 2
    assert {path.stat().st_mode & 0o777 for path in written} == {0o644}


# ---------------------------------------------------------------- item 16: additions
def _add_later(out: Path) -> None:
    for name, file in (("marketing", "growth.png"), ("export", "run.xlsx")):
        (out / name).mkdir(exist_ok=True)
        (out / name / file).write_bytes(f"{name} of the old run".encode())
    (out / "sections").mkdir(exist_ok=True)
    section = {"title": "Old flips", "html": "<p>old</p>", "figures": []}
    (out / "sections" / "flips.json").write_text(json.dumps(section))


def test_a_rerun_keeps_what_was_added_to_the_folder_with_a_note(tmp_path):
    out = tmp_path / "run"
    _old_run(out)
    _add_later(out)
    with pytest.warns(FolderNote) as notes:
        _replace(out, "new")
    kept = out / "previous-runs" / "run-2026-01-02T030405Z"
    assert sorted(p.name for p in out.iterdir()) == ["equity.csv", "manifest.json", "previous-runs"]
    assert sorted(p.name for p in kept.iterdir()) == ["NOTE.txt", "export", "marketing", "sections"]
    assert (kept / "export" / "run.xlsx").read_bytes() == b"export of the old run"
    note = (kept / "NOTE.txt").read_text()
    assert OLD_STAMP in note and "not the one now in" in note
    (message,) = [str(n.message) for n in notes]
    assert "export/, marketing/ and sections/" in message and str(kept) in message
    assert load_sections(out) == []  # the new report does not show the old run's section
    # The next rerun carries the earlier ones over as they are.
    new_stamp = "2026-05-06T07:08:09+00:00"
    (out / "manifest.json").write_text(json.dumps({"run": "new", "created_utc": new_stamp}))
    (out / "marketing").mkdir()
    (out / "marketing" / "growth.png").write_bytes(b"second")
    with pytest.warns(FolderNote):
        _replace(out, "third")
    stamps = sorted(p.name for p in (out / "previous-runs").iterdir())
    assert stamps == ["run-2026-01-02T030405Z", "run-2026-05-06T070809Z"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FolderNote)  # nothing added: nothing to say
        _replace(out, "fourth")
    assert sorted(p.name for p in (out / "previous-runs").iterdir()) == stamps


def test_the_cli_says_on_stderr_where_the_additions_went(tmp_path, capsys):
    out = tmp_path / "scenario"
    assert cli.main(_scenario(out)) == 0
    _add_later(out)
    capsys.readouterr()
    assert cli.main(_scenario(out)) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("indexlab: note: ")
    assert "export/, marketing/ and sections/" in err[0] and "previous-runs" in err[0]
    (kept,) = (out / "previous-runs").iterdir()
    assert (kept / "marketing" / "growth.png").read_bytes() == b"marketing of the old run"


def _scenario(out: Path) -> list[str]:
    return ["scenario", "BTC", "--tiers", "1e12,2e12", "--out", str(out), "--quiet"]
