"""local vs dask-local on a modest sweep (docs/dask.md "When Dask pays"; issue 17, item 8).

    python benchmarks/dask_vs_local.py                      # the demo market
    python benchmarks/dask_vs_local.py data/market.parquet  # a long table, 2018-2025 runs

sweeps/top-n-study.toml without its entry study (156 configurations), then the same
grid x 4 fee levels (624): the local executor, dask-local with a cluster per sweep (what
the command line does), and one DaskExecutor kept open for several sweeps.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import indexlab
from indexlab.sweep import read_sweep, sweep
from indexlab.sweep.dask_executor import DaskExecutor

ROOT = Path(__file__).resolve().parents[1]


def timed(label: str, run) -> None:
    started = time.perf_counter()
    table = run()
    seconds = time.perf_counter() - started
    per = seconds / len(table) * 1e3
    print(f"{label:50s} {seconds:7.1f} s  ({len(table)} configurations, {per:.1f} ms each)")


def main() -> None:
    spec = replace(read_sweep(ROOT / "sweeps" / "top-n-study.toml"), entry_study=None)
    if len(sys.argv) > 1:
        market = indexlab.load_market(sys.argv[1])
        base = spec.base.replace(start="2018-01-01", end="2025-07-07")
        spec = replace(spec, base=base)
    else:
        market = indexlab.demo_market()
    big = replace(spec, grid={**spec.grid, "costs.fee_bps": (0, 10, 25, 50)})
    print(market)
    timed("local (warm-up: compile or load the kernels)", lambda: sweep(spec, market))
    for grid, name in ((spec, "grid"), (big, "grid x 4 fees")):
        timed(f"local, {name}", lambda grid=grid: sweep(grid, market))
        timed(
            f"dask-local 2 workers, a cluster per sweep, {name}",
            lambda grid=grid: sweep(grid, market, executor="dask-local"),
        )
    with DaskExecutor(workers=2) as executor:
        timed("open executor: first sweep, grid", lambda: sweep(spec, market, executor=executor))
        timed("open executor: next sweep, grid", lambda: sweep(spec, market, executor=executor))
        timed("open executor: grid x 4 fees", lambda: sweep(big, market, executor=executor))


if __name__ == "__main__":  # the workers are processes that import this file
    main()
