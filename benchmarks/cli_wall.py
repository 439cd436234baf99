"""CLI wall time (issue 17, item 6): ``indexlab run`` on the demo market, as a user waits.

Times ``indexlab run strategies/top100-mcap-monthly.toml`` on the built-in demo market
(what ``make run`` does), each in a fresh process, warm (one untimed run first fills
numba's cache), with the report (figures/*.png and report.html) and with
``--no-report``, alternating the two so that a change in the machine's load hits both;
and ``indexlab --help``. Prints the median of ``--repeat`` runs (5 by default) and
writes them to ``benchmarks/results/cli_wall.json``.

Then the same three commands handed to a warm server (``indexlab server start``, in a
folder of its own; :mod:`indexlab.cli.server`), which a user starts once: the
``server_*`` rows. The rows without the prefix are a fresh process each, no server
(``INDEXLAB_SERVER=0``).

Goals on the 2-core reference machine: at most 1.5 s with the report, at most 0.3 s
for ``--help``. A fresh process cannot meet the first here: importing numpy, pandas and
numba alone takes 0.8-0.9 s, and the seven figures are ~1.3 s of CPU more, warm
(docs/reports.md); the goal is checked on the warm server's row, and the fresh
process's time is shown beside it. The load average is recorded beside the times: on a
busy machine the times say more about the machine than about indexlab, and the CPU
time (user + sys of the command and every process it started) says more about
indexlab. ``--before SRC`` times another checkout's ``src`` folder too, interleaved run
by run.

    .venv/bin/python benchmarks/cli_wall.py [--repeat 5] [--out FILE] [--before SRC]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
STRATEGY = ROOT / "strategies" / "top100-mcap-monthly.toml"
GOALS_S = {"server_run_with_report": 1.5, "help": 0.3}


def indexlab_command() -> list[str]:
    """The ``indexlab`` script beside this Python (what a user types), else ``-m``."""
    script = Path(sys.executable).with_name("indexlab")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "indexlab.cli"]


def wall(
    args: list[str], cwd: Path, source: Path | None = None, server: Path | None = None
) -> tuple[float, float]:
    """Seconds from start to exit of ``indexlab ARGS``, and the CPU seconds (user + sys)
    it and its children used; ``source``: a ``src`` folder put first on the path (an
    older checkout to compare with); ``server``: the folder of a warm server to use (else
    none is). A failure stops the benchmark. A server's own CPU time is not counted."""
    env = {**os.environ, "INDEXLAB_SERVER": "0"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    if server is not None:
        env.update(INDEXLAB_SERVER="1", INDEXLAB_SERVER_DIR=str(server))
    before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [*indexlab_command(), *args], cwd=cwd, capture_output=True, text=True, env=env
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"indexlab {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return seconds, _children_cpu() - before


def _children_cpu() -> float:
    """User + system CPU seconds of the waited-for children so far (figure workers
    included: a process's usage counts its own waited-for children)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def measure(repeat: int, before: Path | None = None) -> dict:
    """Each command ``repeat`` times, alternating; with ``before``, the same commands of
    that source folder interleaved with these, so both see the same load."""
    sources = {"": None} if before is None else {"": None, "before:": before}
    load_before = _load()
    work = Path(tempfile.mkdtemp(prefix="indexlab-cli-wall-"))
    try:
        run = ["run", str(STRATEGY), "--out", str(work / "run"), "--quiet"]
        commands = {"run_with_report": run, "run_no_report": [*run, "--no-report"]}
        commands["help"] = ["--help"]
        for source in sources.values():
            wall(run, work, source)  # warm: numba's cache, the demo's, the OS's file cache
        times: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        for _ in range(repeat):
            for name, args in commands.items():
                for prefix, source in sources.items():
                    seconds, cpu_seconds = wall(args, work, source)
                    times.setdefault(prefix + name, []).append(seconds)
                    cpu.setdefault(prefix + name, []).append(cpu_seconds)
        server = work / "server"  # a short path: a socket's name has ~100 bytes at most
        environment = {**os.environ, "INDEXLAB_SERVER_DIR": str(server)}
        subprocess.run([*indexlab_command(), "server", "start"], env=environment, check=True)
        try:
            wall(run, work, server=server)
            for _ in range(repeat):
                for name, args in commands.items():
                    seconds, cpu_seconds = wall(args, work, server=server)
                    times.setdefault("server_" + name, []).append(seconds)
                    cpu.setdefault("server_" + name, []).append(cpu_seconds)
        finally:
            subprocess.run([*indexlab_command(), "server", "stop"], env=environment)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "median_s": {name: statistics.median(values) for name, values in times.items()},
        # On a shared machine the fastest run is the one least slowed by others.
        "min_s": {name: min(values) for name, values in times.items()},
        "runs_s": times,
        # CPU time (user + sys, the process and its helpers and figure workers): what
        # the work costs, steadier than wall time when others share the machine.
        "cpu_median_s": {name: statistics.median(values) for name, values in cpu.items()},
        "cpu_runs_s": cpu,
        "goals_s": GOALS_S,
        "repeat": repeat,
        "before_source": None if before is None else str(before),
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        # Set in some shells (and in the sessions that made these numbers): each run then
        # compiles indexlab's modules from source, ~0.1 s a user's install never pays.
        "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "load_average_before": load_before,
        "load_average": _load(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--out", type=Path, default=RESULTS / "cli_wall.json")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="SRC",
        help="also time the indexlab in this src folder (e.g. 'git archive' of an older "
        "commit), interleaved with this one",
    )
    args = parser.parse_args()
    results = measure(max(1, args.repeat), args.before)
    for name, seconds in results["median_s"].items():
        goal = GOALS_S.get(name)
        verdict = (
            ""
            if goal is None or name.startswith("before:")
            else f"  (goal <= {goal} s: {'met' if seconds <= goal else 'NOT met'})"
        )
        fastest = results["min_s"][name]
        cpu = results["cpu_median_s"][name]
        print(
            f"{name:<23} {seconds:6.2f} s median of {results['repeat']} (fastest "
            f"{fastest:.2f} s), CPU {cpu:.2f} s{verdict}"
        )
    print(
        f"load average {results['load_average_before']} before, {results['load_average']} "
        f"after, {results['cpus']} CPUs"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
