"""CLI wall time (issue 17, item 6): ``indexlab run`` on the demo market, as a user waits.

Times ``indexlab run strategies/top100-mcap-monthly.toml`` on the built-in demo market
(what ``make run`` does), each in a fresh process, warm (one untimed run first fills
numba's cache), with the report (figures/*.png and report.html) and with
``--no-report``, alternating the two so that a change in the machine's load hits both;
and ``indexlab --help``. Prints the median of ``--repeat`` runs (5 by default) and
writes them to ``benchmarks/results/cli_wall.json``.

Goals on the 2-core reference machine: at most 1.5 s with the report, at most 0.3 s
for ``--help``. The load average is recorded beside the times: on a busy machine the
times say more about the machine than about indexlab.

    .venv/bin/python benchmarks/cli_wall.py [--repeat 5] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
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
GOALS_S = {"run_with_report": 1.5, "help": 0.3}


def indexlab_command() -> list[str]:
    """The ``indexlab`` script beside this Python (what a user types), else ``-m``."""
    script = Path(sys.executable).with_name("indexlab")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "indexlab.cli"]


def wall(args: list[str], cwd: Path) -> float:
    """Seconds from start to exit of ``indexlab ARGS``; a failure stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run([*indexlab_command(), *args], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"indexlab {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return seconds


def measure(repeat: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="indexlab-cli-wall-"))
    try:
        run = ["run", str(STRATEGY), "--out", str(work / "run"), "--quiet"]
        variants = {"run_with_report": run, "run_no_report": [*run, "--no-report"]}
        wall(run, work)  # warm: numba's cache, the OS's file cache
        times: dict[str, list[float]] = {name: [] for name in (*variants, "help")}
        for _ in range(repeat):
            for name, args in variants.items():
                times[name].append(wall(args, work))
            times["help"].append(wall(["--help"], work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "median_s": {name: statistics.median(values) for name, values in times.items()},
        # On a shared machine the fastest run is the one least slowed by others.
        "min_s": {name: min(values) for name, values in times.items()},
        "runs_s": times,
        "goals_s": GOALS_S,
        "repeat": repeat,
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--out", type=Path, default=RESULTS / "cli_wall.json")
    args = parser.parse_args()
    results = measure(max(1, args.repeat))
    for name, seconds in results["median_s"].items():
        goal = GOALS_S.get(name)
        verdict = (
            ""
            if goal is None
            else f"  (goal <= {goal} s: {'met' if seconds <= goal else 'NOT met'})"
        )
        fastest = results["min_s"][name]
        repeat = results["repeat"]
        print(f"{name:<16} {seconds:6.2f} s median of {repeat} (fastest {fastest:.2f} s){verdict}")
    print(f"load average {results['load_average']}, {results['cpus']} CPUs")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
