"""A fresh Market's first run against a warm run and vectorbt (issue 17, item 1).

A notebook user makes Markets all the time; the first run on a new Market derives its
arrays: each asset's first and last valid row and its count of gaps, in one read of the
closes (the kernel carries the last valid closes itself and adds up the stale weight as
it goes: no forward-filled panel, no pass for the gaps). The task alternates, in one
process, round after round:

- **fresh**: a Market built by ``Market.from_panels`` from the panel's close and
  market-cap frames (new arrays each round: nothing is shared with an earlier
  Market), then one ``indexlab.run``; only the run is timed, the build is recorded
  beside it;
- **warm**: the same run on a Market that has run before;
- **vectorbt**: case A through ``Portfolio.from_orders`` on the same frames (every
  call starts from the frames, so vectorbt has no warm state to lose).

Times are the calling thread's CPU time (``time.thread_time``: other work on the
shared machine does not count; the kernel uses one BLAS thread and vectorbt none), with
the wall-clock medians beside them. The fresh run's equity must equal the warm one's.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_libraries as libs
import numpy as np

from indexlab.errors import IndexlabWarning
from indexlab.market import Market

ROUNDS = 9  # fresh and warm indexlab runs, alternating
VECTORBT_ROUNDS = 3  # vectorbt's call takes about 100 indexlab runs
# The targets: a fresh Market's first run within 2x a warm run, and x vectorbt.
TARGET_FRESH_OVER_WARM = 2.0
TARGET_RATIO_BY_ASSETS = {500: 100.0, 2_000: 300.0}


def fresh_market(market: Market) -> Market:
    """A new Market from ``market``'s frames: new arrays, nothing derived yet."""
    return Market.from_panels(
        market.close,
        market.market_cap,
        market.volume,
        assets=market.assets,
        tags=market.tags,
        source=market.source,
        synthetic=market.synthetic,
    )


def _timed(call: Callable[[], Any], cpu: list[float], wall: list[float]) -> Any:
    gc.collect()
    start_cpu, start_wall = time.thread_time(), time.perf_counter()
    value = call()
    cpu.append(time.thread_time() - start_cpu)
    wall.append(time.perf_counter() - start_wall)
    return value


def task_fresh_market(market: Market) -> dict[str, Any]:
    """The measurement on the panel's ``market`` (see the module's docstring). Each fresh
    Market warns its data notes once (as it should); they are not displayed here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexlabWarning)
        return _measure(market)


def _measure(market: Market) -> dict[str, Any]:
    import vectorbt  # noqa: F401  (import time is not the call's)

    libs.run_indexlab(market, libs.CASE_A)  # warm: compiled code loaded, arrays derived
    warm_equity = libs.run_indexlab(market, libs.CASE_A)
    libs.run_indexlab(fresh_market(market), libs.CASE_A)  # from_panels' own first calls
    libs.run_vectorbt(market.close, market.market_cap, [libs.CASE_A])
    times: dict[str, list[float]] = {
        k: [] for k in ("fresh", "fresh_wall", "warm", "warm_wall", "vbt", "vbt_wall", "build")
    }
    worst = 0.0
    fresh = None
    load = os.getloadavg()[0]
    for i in range(ROUNDS):
        del fresh  # the previous fresh Market goes first, as a notebook's would
        gc.collect()
        start = time.thread_time()
        fresh = fresh_market(market)
        times["build"].append(time.thread_time() - start)
        equity = _timed(
            lambda m=fresh: libs.run_indexlab(m, libs.CASE_A), times["fresh"], times["fresh_wall"]
        )
        worst = max(worst, float(np.max(np.abs(equity.to_numpy() - warm_equity.to_numpy()))))
        _timed(lambda: libs.run_indexlab(market, libs.CASE_A), times["warm"], times["warm_wall"])
        if i < VECTORBT_ROUNDS:
            _timed(
                lambda: libs.run_vectorbt(market.close, market.market_cap, [libs.CASE_A]),
                times["vbt"],
                times["vbt_wall"],
            )
    median = {k: statistics.median(v) for k, v in times.items()}
    return {
        "seconds": median["fresh"],
        "warm_seconds": median["warm"],
        "vectorbt_seconds": median["vbt"],
        "wall_seconds": {k: median[f"{k}_wall"] for k in ("fresh", "warm", "vbt")},
        "build_seconds": median["build"],
        "all_seconds": times,
        "fresh_over_warm": median["fresh"] / median["warm"],
        "vectorbt_over_fresh": median["vbt"] / median["fresh"],
        "fresh_vs_warm_max_abs_difference": worst,
        "load_average_before": load,
        "load_average_after": os.getloadavg()[0],
        "rounds": ROUNDS,
        "vectorbt_rounds": VECTORBT_ROUNDS,
    }


def task(workdir: Path, panel: str) -> dict[str, Any]:
    """``run.py --task indexlab_a_fresh``: the panel's market, then the measurement."""
    from bench_tasks import load_market

    return task_fresh_market(load_market(workdir, panel))


# ------------------------------------------------------------------ the record
def fresh_rows(tasks: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The table rows of the task (ratios against the fresh run), as bench_report's."""
    fr = tasks.get("indexlab_a_fresh")
    if fr is None:
        return []
    case = "A: fresh Market, first run"
    how = (
        f"CPU time of the calling thread, median of {fr['rounds']} alternating rounds "
        f"(load {fr['load_average_before']:.1f} -> {fr['load_average_after']:.1f})"
    )
    wall = fr["wall_seconds"]
    return [
        _row(case, "indexlab.run, fresh Market", fr["seconds"], fr["seconds"],
             f"{how}; wall {wall['fresh'] * 1e3:.1f} ms; from_panels before it "
             f"{fr['build_seconds'] * 1e3:.0f} ms (not timed); equity equal to the warm "
             f"run's within {fr['fresh_vs_warm_max_abs_difference']:.0e}"),
        _row(case, "indexlab.run, warm Market", fr["warm_seconds"], fr["seconds"],
             f"the same rounds; wall {wall['warm'] * 1e3:.1f} ms"),
        _row(case, "vectorbt from_orders", fr["vectorbt_seconds"], fr["seconds"],
             f"median of {fr['vectorbt_rounds']} in the same rounds; wall "
             f"{wall['vbt']:.3f} s"),
    ]  # fmt: skip


def _row(case: str, method: str, seconds: float, baseline: float, note: str) -> dict[str, Any]:
    return {
        "case": case,
        "method": method,
        "seconds": seconds,
        "per_config_seconds": None,
        "ratio_vs_indexlab": seconds / baseline,
        "peak_memory_mb": None,
        "note": note,
    }


def fresh_targets(panels: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets for a fresh Market, one entry per (target, panel)."""
    out = []
    for key, record in panels.items():
        fr = record["tasks"].get("indexlab_a_fresh")
        if fr is None:
            continue
        ms = f"{fr['seconds'] * 1e3:.1f} ms vs {fr['warm_seconds'] * 1e3:.1f} ms"
        out.append(
            {
                "target": "fresh Market's first run: within 2x a warm run",
                "panel": key,
                "measured": f"{fr['fresh_over_warm']:.2f}x ({ms}, CPU time)",
                "met": bool(fr["fresh_over_warm"] <= TARGET_FRESH_OVER_WARM),
            }
        )
        goal = TARGET_RATIO_BY_ASSETS.get(record["assets"])
        if goal is not None:
            ratio = fr["vectorbt_over_fresh"]
            out.append(
                {
                    "target": f"fresh-Market single run: >= {goal:.0f}x faster than vectorbt",
                    "panel": key,
                    "measured": f"{ratio:.0f}x ({fr['seconds'] * 1e3:.1f} ms vs "
                    f"{fr['vectorbt_seconds']:.3f} s, CPU time)",
                    "met": bool(ratio >= goal),
                }
            )
    return out
