"""`make bench`: indexlab's speed and memory as ratios against vectorbt and bt.

Usage: ``python benchmarks/run.py`` (set ``INDEXLAB_SHARED_DATA`` for the real panel);
``--panels synthetic-500`` runs some panels only.

Each panel is built once; every measurement then runs in a fresh Python process
(``run.py --task NAME --panel KEY --workdir DIR``), so that peak memory is that task's
own and first calls start cold. All processes share one new numba cache folder, so the
first process to call a numba function compiles it (indexlab and vectorbt cache
their compiled code on disk; the later processes load it). The correctness checks
run last, untimed. Results go to stdout, ``benchmarks/RESULTS.md`` and
``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_libraries as libs
import pandas as pd
from bench_check import crosscheck, task_check
from bench_fresh import fresh_rows, fresh_targets
from bench_tasks import FIRST_PANEL_ONLY, TASK_ENVIRONMENT, TASKS, equity_file, panel_file

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SUMMARY = HERE / "RESULTS.md"
ALL_TASKS = {**TASKS, "check": task_check}
EQUITIES = ("indexlab_a", "vectorbt_a", "bt_a", "vectorbt_grid", "bt_grid", "check_batch")


def run_task(name: str, workdir: Path, panel: str) -> None:
    result = ALL_TASKS[name](workdir, panel)
    (workdir / f"{panel}.{name}.json").write_text(json.dumps(result, indent=2))


def _spawn(name: str, panel: str, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--task", name, "--panel", panel]
    load = os.getloadavg()[0]  # other work on the machine skews the timings
    start = time.perf_counter()
    env = {**env, **TASK_ENVIRONMENT.get(name, {})}
    subprocess.run([*command, "--workdir", str(workdir)], check=True, env=env)
    result = json.loads((workdir / f"{panel}.{name}.json").read_text())
    result["process_seconds"] = time.perf_counter() - start
    result["load_average_before"] = load
    return result


def main(panel_keys: list[str]) -> None:
    from bench_panel import build_panel
    from bench_report import machine_info, panel_rows, render, targets, write_results

    started = time.perf_counter()
    machine = machine_info()  # before the tasks: the indexlab source they measure
    panels: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="indexlab-bench-") as tmp:
        workdir = Path(tmp)
        env = dict(os.environ)
        env["NUMBA_CACHE_DIR"] = str(workdir / "numba-cache")
        for number, key in enumerate(panel_keys):
            print(f"panel {key}: building ...", end=" ", flush=True)
            panel = build_panel(key)
            print(f"{panel.build_seconds:.1f} s: {panel.description}", flush=True)
            with panel_file(workdir, key).open("wb") as handle:
                pickle.dump(panel.market, handle, protocol=pickle.HIGHEST_PROTOCOL)
            names = [n for n in TASKS if number == 0 or n not in FIRST_PANEL_ONLY]
            tasks: dict[str, dict[str, Any]] = {}
            for i, name in enumerate(names, 1):
                print(f"  [{i}/{len(names)}] {name} ...", end=" ", flush=True)
                tasks[name] = _spawn(name, key, workdir, env)
                print(f"{tasks[name]['process_seconds']:.1f} s", flush=True)
            panels[key] = {
                "description": panel.description,
                "synthetic": panel.synthetic,
                "assets": int(panel.market.close.shape[1]),
                "build_seconds": round(panel.build_seconds, 2),
                "tasks": tasks,
            }
        # Untimed: the checks may run while nothing is measured.
        for key, record in panels.items():
            print(f"panel {key}: correctness checks ...", end=" ", flush=True)
            record["check"] = _spawn("check", key, workdir, env)
            print(f"{record['check']['process_seconds']:.1f} s", flush=True)
            equities = {n: pd.read_pickle(equity_file(workdir, key, n)) for n in EQUITIES}
            record["crosscheck"] = crosscheck(equities, record["check"])
            record["crosscheck"]["indexlab_liquidations_a"] = record["tasks"]["indexlab_a"][
                "liquidations"
            ]
            record["rows"] = panel_rows(record["tasks"]) + fresh_rows(record["tasks"])
    record = {
        "date_utc": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "machine": machine,
        "case_a": libs.CASE_A.label,
        "sweep_description": libs.SWEEP_DESCRIPTION,
        "sweep_configs": len(libs.sweep_spec().configs()),
        "panels": panels,
        "targets": targets(panels) + fresh_targets(panels),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    text = render(record)
    print()
    print(text)
    write_results(record, text, RESULTS, SUMMARY)
    print(f"written: {SUMMARY}, {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    from bench_panel import panel_keys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", nargs="+", help="panels to run (default: all available)")
    parser.add_argument("--task", choices=sorted(ALL_TASKS), help="one measurement (internal)")
    parser.add_argument("--panel", help="the panel of --task (internal)")
    parser.add_argument("--workdir", type=Path, help="folder with the panels (internal)")
    args = parser.parse_args()
    if args.task:
        run_task(args.task, args.workdir, args.panel)
    else:
        main(args.panels or panel_keys())
