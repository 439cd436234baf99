"""The 1,000-configuration sweep on a quiet machine and beside two busy processes.

    .venv/bin/python benchmarks/busy.py [--assets 2000] [--days 3650] [--rounds 5]

Issue 17, item 5: sweeps slowed 2-11x on a busy machine while BLAS threads were left at
their default; the engine now runs its kernel with one BLAS thread (README, "Performance";
src/indexlab/engine/threads.py). Measured
here in one process: the sweep of benchmarks/README.md on a seeded wide synthetic market
(``sweep_scale.wide_market``), alternating quiet rounds with rounds during which two
other processes spin on the CPU (as many as this machine has cores on the reference
machine), median of each; the goal is busy <= 1.5x quiet. A one-thread numpy control is
timed beside the sweep in each round: with three runnable threads on two cores a fair
scheduler gives each 2/3 of a core, so 1.5x is the floor of any one-thread work, and the
control shows what this machine adds to it. Writes ``results/busy.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GOAL = 1.5
SPINNERS = 2


def spinners(count: int) -> list[subprocess.Popen]:
    """``count`` processes that only burn CPU until killed."""
    code = "while True:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


def control_work(rounds: int = 40) -> None:
    """A one-thread control: numpy passes over a 58 MB panel, no threads at all. Beside
    two spinning processes on 2 cores, a fair scheduler gives one thread 2/3 of a core:
    1.5x is the floor for any one-thread work, and this control measures what the
    machine (a VM: steal time, the shared L3 cache) adds to it."""
    panel = np.random.default_rng(0).standard_normal((3_650, 2_000))
    out = np.empty_like(panel)
    for _ in range(rounds):
        np.cumsum(panel, axis=0, out=out)
        np.multiply(out, 0.5, out=panel)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=3_650)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import bench_libraries as libs
    from sweep_scale import wide_market

    import indexlab.sweep

    warnings.simplefilter("ignore")
    market = wide_market(args.assets, args.days)
    spec = libs.sweep_spec()
    indexlab.sweep.sweep(libs.warmup_spec(), market)
    times: dict[str, list[float]] = {"quiet": [], "busy": []}
    control: dict[str, list[float]] = {"quiet": [], "busy": []}
    cpu: dict[str, list[float]] = {"quiet": [], "busy": []}  # the sweep's own CPU time
    for _ in range(args.rounds):
        for kind in ("quiet", "busy"):
            others = spinners(SPINNERS) if kind == "busy" else []
            try:
                time.sleep(0.5 if others else 0.0)  # let the spinners start
                start, work = time.perf_counter(), time.thread_time()
                table = indexlab.sweep.sweep(spec, market)
                times[kind].append(time.perf_counter() - start)
                cpu[kind].append(time.thread_time() - work)
                start = time.perf_counter()
                control_work()
                control[kind].append(time.perf_counter() - start)
            finally:
                for process in others:
                    process.kill()
                    process.wait()
    quiet, busy = (statistics.median(times[k]) for k in ("quiet", "busy"))
    control_ratio = statistics.median(control["busy"]) / statistics.median(control["quiet"])
    out = {
        "assets": args.assets,
        "days": args.days,
        "configs": len(table),
        "spinners": SPINNERS,
        "cpus": os.cpu_count(),
        "seconds": times,
        "median_quiet_s": quiet,
        "median_busy_s": busy,
        "ratio": busy / quiet,
        "goal_ratio": GOAL,
        "control_seconds": control,
        # The sweep's CPU time beside the spinners over that when quiet: ~1 when the
        # slowdown is only the share of the CPUs the scheduler gives it.
        "cpu_seconds": cpu,
        "cpu_ratio": statistics.median(cpu["busy"]) / statistics.median(cpu["quiet"]),
        "control_ratio": control_ratio,
        "fair_share_floor": (SPINNERS + 1) / os.cpu_count() if os.cpu_count() else None,
    }
    print(
        f"sweep of {len(table):,} configurations on {args.assets:,} x {args.days:,}: quiet "
        f"{quiet:.2f} s, beside {SPINNERS} busy processes {busy:.2f} s: {busy / quiet:.2f}x "
        f"(goal <= {GOAL}x); a one-thread numpy control: {control_ratio:.2f}x; the "
        f"sweep's CPU time {out['cpu_ratio']:.2f}x"
    )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "busy.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
