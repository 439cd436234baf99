"""Where indexlab's time goes: case A and the 1,000-configuration sweep under cProfile.

Usage: ``python benchmarks/profile_indexlab.py PANEL [--top N]`` with PANEL ``real``,
``synthetic-500`` or ``synthetic-2000`` (as in run.py). Both are warmed up first
(numba compiled), then profiled once; the output lists the top functions by
cumulative and by own time. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import bench_libraries as libs
from bench_panel import build_panel

import indexlab
import indexlab.sweep


def profile(label: str, call, top: int) -> None:
    call()  # warm-up
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    call()
    profiler.disable()
    seconds = time.perf_counter() - start
    print(f"\n=== {label}: {seconds:.3f} s under the profiler ===")
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        body = text.getvalue()
        print(f"--- by {order} ---")
        print(body[body.find("ncalls") :].rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("panel")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    panel = build_panel(args.panel)
    print(panel.description)
    market = panel.market
    strategy = libs.indexlab_strategy(libs.CASE_A)
    profile("case A: indexlab.run", lambda: indexlab.run(strategy, market), args.top)
    spec = libs.sweep_spec()
    profile(
        f"sweep of {len(spec.configs()):,} configurations",
        lambda: indexlab.sweep.sweep(spec, market, memory="2GB"),
        args.top,
    )


if __name__ == "__main__":
    main()
