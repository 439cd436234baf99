"""The measurements, each run by ``run.py --task NAME --panel KEY`` in a fresh process.

A task reads its panel's market from the work folder, measures, saves the equity
curves it computed there (``<panel>.<task>.equity.pkl``) for the cross-check, and
returns a JSON-able record. Timed calls start from the panel's Market and end at the
equity curve (or the sweep's table); what a library needs in between counts for it.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_fresh
import bench_libraries as libs
import pandas as pd
from bench_measure import Phases, measure

import indexlab
from indexlab.market import Market

# indexlab takes milliseconds, so more calls steady its median at no cost.
CASE_A_REPEATS = {"indexlab": 21, "vectorbt": 3, "bt": 2}
# The sweep is timed up to 5 times, and not again once the calls so far took 40 s.
SWEEP_REPEATS = 5
SWEEP_SECONDS_ENOUGH = 40.0
SWEEP_MEMORY = "2GB"
# vectorbt's column grid and bt's loop run on the first configurations of the sweep's
# random sample (bench_libraries.sample_configs), fewer on the large panel where each
# one takes ~10 s: (vectorbt, bt) configurations by panel width.
SUBSET_SIZES = {500: (20, 4), 2_000: (4, 2)}
# One vectorbt call holds all its column groups at once: each adds ~19 float64 arrays
# of the panel's size to the peak (sizes, tiled closes, call sequence, order records,
# asset flows and values inside value()). Calls are cut to fit half the free memory.
VECTORBT_ARRAYS_PER_GROUP = 19


def panel_file(workdir: Path, panel: str) -> Path:
    return workdir / f"{panel}.market.pkl"


def equity_file(workdir: Path, panel: str, task: str) -> Path:
    return workdir / f"{panel}.{task}.equity.pkl"


def load_market(workdir: Path, panel: str) -> Market:
    with panel_file(workdir, panel).open("rb") as handle:
        return pickle.load(handle)


def subset_sizes(market: Market) -> tuple[int, int]:
    width = market.close.shape[1]
    return SUBSET_SIZES[min(SUBSET_SIZES, key=lambda n: abs(n - width))]


def grid_subset(size: int) -> list[libs.Config]:
    """The first ``size`` configurations of the sweep's random sample."""
    sample = libs.sample_configs(libs.sweep_spec().configs())
    return [libs.Config.of_sweep(c) for c in sample[:size]]


def _first_call(call: Callable[[], Any]) -> tuple[float, float]:
    """Seconds and peak memory growth of one call (the process's first, if so placed)."""
    first, _ = measure(call)
    return first.seconds[0], first.peak_increase_mb


# ------------------------------------------------------------------------- case A
def task_indexlab_a(workdir: Path, panel: str) -> dict[str, Any]:
    market = load_market(workdir, panel)
    first, first_mb = _first_call(lambda: libs.run_indexlab(market, libs.CASE_A))
    result, equity = measure(
        lambda: libs.run_indexlab(market, libs.CASE_A), CASE_A_REPEATS["indexlab"]
    )
    equity.to_pickle(equity_file(workdir, panel, "indexlab_a"))
    # For the cross-check: positions indexlab turned into cash after a coin's last close.
    liquidations = indexlab.run(libs.indexlab_strategy(libs.CASE_A), market).liquidations
    return {
        **result.as_dict(),
        "first_call_seconds": first,
        "first_call_peak_mb": first_mb,
        "liquidations": (
            liquidations["reason"].value_counts().to_dict()
            if "reason" in liquidations.columns
            else {"after the last close": len(liquidations)}
        ),
    }


def task_indexlab_a_first(workdir: Path, panel: str) -> dict[str, Any]:
    market = load_market(workdir, panel)
    first, first_mb = _first_call(lambda: libs.run_indexlab(market, libs.CASE_A))
    return {"first_call_seconds": first, "first_call_peak_mb": first_mb}


def _vectorbt_case_a(market: Market, phases: Phases | None = None) -> pd.DataFrame:
    return libs.run_vectorbt(market.close, market.market_cap, [libs.CASE_A], phases)


def task_vectorbt_a(workdir: Path, panel: str) -> dict[str, Any]:
    market = load_market(workdir, panel)
    import vectorbt  # noqa: F401  (import time is not the call's)

    first, first_mb = _first_call(lambda: _vectorbt_case_a(market))
    phases = Phases()
    repeats = CASE_A_REPEATS["vectorbt"]
    result, equity = measure(lambda: _vectorbt_case_a(market, phases), repeats)
    result.phases = {k: v / repeats for k, v in phases.seconds.items()}
    equity[libs.CASE_A.label].to_pickle(equity_file(workdir, panel, "vectorbt_a"))
    return {**result.as_dict(), "first_call_seconds": first, "first_call_peak_mb": first_mb}


def task_vectorbt_a_first(workdir: Path, panel: str) -> dict[str, Any]:
    market = load_market(workdir, panel)
    import vectorbt  # noqa: F401

    first, first_mb = _first_call(lambda: _vectorbt_case_a(market))
    return {"first_call_seconds": first, "first_call_peak_mb": first_mb}


def task_bt_a(workdir: Path, panel: str) -> dict[str, Any]:
    market = load_market(workdir, panel)
    import bt  # noqa: F401

    phases = Phases()
    repeats = CASE_A_REPEATS["bt"]
    result, equity = measure(
        lambda: libs.run_bt(market.close, market.market_cap, libs.CASE_A, phases), repeats
    )
    result.phases = {k: v / repeats for k, v in phases.seconds.items()}
    equity.to_pickle(equity_file(workdir, panel, "bt_a"))
    # bt compiles nothing: its first call is the first of the timed ones.
    return {**result.as_dict(), "first_call_seconds": result.seconds[0]}


# -------------------------------------------------------------------------- sweep
def task_indexlab_sweep(workdir: Path, panel: str) -> dict[str, Any]:
    """``indexlab.sweep.sweep`` of the 1,000 configurations, after a small warm-up sweep
    through the same code paths (numba functions compiled or loaded from the cache)."""
    market = load_market(workdir, panel)
    spec = libs.sweep_spec()
    start = time.perf_counter()
    indexlab.sweep.sweep(libs.warmup_spec(), market, memory=SWEEP_MEMORY)
    warmup = time.perf_counter() - start

    def call() -> pd.DataFrame:
        return indexlab.sweep.sweep(spec, market, memory=SWEEP_MEMORY)

    result, table = measure(call)
    while len(result.seconds) < SWEEP_REPEATS and sum(result.seconds) < SWEEP_SECONDS_ENOUGH:
        again, table = measure(call)
        result.seconds += again.seconds
    table.to_pickle(workdir / f"{panel}.sweep-table.pkl")  # for the checks
    n_configs = len(table)
    return {
        **result.as_dict(),
        "configs": n_configs,
        "errors": int(table["error"].notna().sum()),
        "seconds_per_config": result.median / n_configs,
        "warmup_seconds": warmup,
        "memory_budget": SWEEP_MEMORY,
    }


def _memory_available_mb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def task_vectorbt_grid(workdir: Path, panel: str) -> dict[str, Any]:
    """vectorbt's column grid (one column group per configuration) on a subset of the
    sweep, in calls that fit half the free memory."""
    market = load_market(workdir, panel)
    import vectorbt  # noqa: F401

    close, market_cap = market.close, market.market_cap
    subset = grid_subset(subset_sizes(market)[0])
    libs.run_vectorbt(close, market_cap, subset[:2])  # warm-up: the grouped code path
    per_group_mb = VECTORBT_ARRAYS_PER_GROUP * close.size * 8 / 2**20
    available = _memory_available_mb()
    fits = len(subset) if available is None else int(0.5 * available // per_group_mb)
    per_call = max(1, min(len(subset), fits))
    calls = [subset[i : i + per_call] for i in range(0, len(subset), per_call)]
    phases = Phases()

    def grid() -> pd.DataFrame:
        close_ffill = close.ffill()
        parts = [libs.run_vectorbt(close, market_cap, c, phases, close_ffill) for c in calls]
        return pd.concat(parts, axis=1)

    result, equity = measure(grid)
    result.phases = phases.seconds
    equity.to_pickle(equity_file(workdir, panel, "vectorbt_grid"))
    return {
        **result.as_dict(),
        "configs": len(subset),
        "subset": [c.label for c in subset],
        "calls": len(calls),
        "groups_per_call": per_call,
        "seconds_per_config": result.median / len(subset),
        "memory_available_mb": None if available is None else round(available),
    }


def task_bt_grid(workdir: Path, panel: str) -> dict[str, Any]:
    """bt's loop of ``Backtest.run`` on a few configurations of the sweep's sample."""
    market = load_market(workdir, panel)
    import bt  # noqa: F401

    close, market_cap = market.close, market.market_cap
    subset = grid_subset(subset_sizes(market)[1])
    per_config: dict[str, float] = {}

    def loop() -> pd.DataFrame:
        close_ffill = close.ffill()
        curves = []
        for c in subset:
            start = time.perf_counter()
            curves.append(libs.run_bt(close, market_cap, c, close_ffill=close_ffill))
            per_config[c.label] = time.perf_counter() - start
        return pd.concat(curves, axis=1)

    result, equity = measure(loop)
    equity.to_pickle(equity_file(workdir, panel, "bt_grid"))
    return {
        **result.as_dict(),
        "configs": len(subset),
        "subset": [c.label for c in subset],
        "seconds_per_config": result.median / len(subset),
        "seconds_by_config": per_config,
    }


TASKS: dict[str, Callable[[Path, str], dict[str, Any]]] = {
    "indexlab_a": task_indexlab_a,
    "vectorbt_a": task_vectorbt_a,
    "bt_a": task_bt_a,
    "indexlab_a_first": task_indexlab_a_first,
    "indexlab_a_fresh": bench_fresh.task,  # a fresh Market's first run, vs warm and vectorbt
    "vectorbt_a_first": task_vectorbt_a_first,
    "indexlab_sweep": task_indexlab_sweep,
    "indexlab_sweep_blas1": task_indexlab_sweep,
    "vectorbt_grid": task_vectorbt_grid,
    "bt_grid": task_bt_grid,
}
# Fresh-process first calls say the same on every panel: measured on the first only.
FIRST_PANEL_ONLY = ("indexlab_a_first", "vectorbt_a_first")
# The kernel's matrix products go to OpenBLAS, which uses every core by default; on a
# 2-core machine shared with other work its threads can slow the sweep several-fold.
# The sweep is also timed with one BLAS thread (set before the process starts).
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TASK_ENVIRONMENT = {"indexlab_sweep_blas1": ONE_BLAS_THREAD}
