"""`make bench`: indexlab's speed and memory as ratios against vectorbt and bt.

Usage: ``python benchmarks/run.py`` (set ``INDEXLAB_SHARED_DATA`` for real data).

The panel is built once; every measurement then runs in a fresh Python process
(``run.py --task NAME --workdir DIR``), so that peak memory is that task's own and
first calls start cold. All processes share one new numba cache folder, so the
first process to call a numba function compiles it (indexlab and vectorbt cache
their compiled code on disk; the later processes load it). Results go to stdout,
``benchmarks/results/latest.json`` and ``benchmarks/results/latest.md``.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_libraries as libs
import pandas as pd
from bench_measure import Phases, measure

import indexlab

RESULTS = Path(__file__).resolve().parent / "results"

CASE_A_REPEATS = {"indexlab": 5, "vectorbt": 3, "bt": 2}
BT_FULL_GRID_LIMIT_SECONDS = 300.0
VECTORBT_GROUPS_PER_CHUNK = 20
# Measured on this panel: each vectorbt column group adds ~19 float64 arrays of the
# panel's size to the peak (sizes, tiled closes, call sequence, order records, asset
# flows and values inside value()): ~270 MB for 500 assets x 3,650 days.
VECTORBT_ARRAYS_PER_GROUP = 19


# ------------------------------------------------------------------- worker tasks
def _load_market(workdir: Path):
    with (workdir / "market.pkl").open("rb") as handle:
        return pickle.load(handle)


def _save_equity(workdir: Path, task: str, equity: pd.DataFrame | pd.Series) -> None:
    equity.to_pickle(workdir / f"{task}.equity.pkl")


def _first_call(call: Callable[[], Any]) -> tuple[float, float]:
    """Seconds and peak memory growth of one call (the process's first, if so placed)."""
    first, _ = measure(call)
    return first.seconds[0], first.peak_increase_mb


def task_indexlab_a(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    first, first_mb = _first_call(lambda: libs.run_indexlab(market, libs.CASE_A))
    result, equity = measure(
        lambda: libs.run_indexlab(market, libs.CASE_A), CASE_A_REPEATS["indexlab"]
    )
    _save_equity(workdir, "indexlab_a", equity)
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


def task_indexlab_a_first(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    first, first_mb = _first_call(lambda: libs.run_indexlab(market, libs.CASE_A))
    return {"first_call_seconds": first, "first_call_peak_mb": first_mb}


def _vectorbt_case_a(market, phases: Phases | None = None) -> pd.DataFrame:
    return libs.run_vectorbt(market.close, market.market_cap, [libs.CASE_A], phases)


def task_vectorbt_a(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    import vectorbt  # noqa: F401  (import time is not the call's)

    first, first_mb = _first_call(lambda: _vectorbt_case_a(market))
    phases = Phases()
    result, equity = measure(lambda: _vectorbt_case_a(market, phases), CASE_A_REPEATS["vectorbt"])
    result.phases = {k: v / CASE_A_REPEATS["vectorbt"] for k, v in phases.seconds.items()}
    _save_equity(workdir, "vectorbt_a", equity[libs.CASE_A.label])
    return {**result.as_dict(), "first_call_seconds": first, "first_call_peak_mb": first_mb}


def task_vectorbt_a_first(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    import vectorbt  # noqa: F401

    first, first_mb = _first_call(lambda: _vectorbt_case_a(market))
    return {"first_call_seconds": first, "first_call_peak_mb": first_mb}


def task_bt_a(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    import bt  # noqa: F401

    phases = Phases()
    result, equity = measure(
        lambda: libs.run_bt(market.close, market.market_cap, libs.CASE_A, phases),
        CASE_A_REPEATS["bt"],
    )
    result.phases = {k: v / CASE_A_REPEATS["bt"] for k, v in phases.seconds.items()}
    _save_equity(workdir, "bt_a", equity)
    # bt compiles nothing: its first call is the first of the timed ones.
    return {**result.as_dict(), "first_call_seconds": result.seconds[0]}


def task_indexlab_b(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    libs.run_indexlab(market, libs.GRID[0])  # warm-up: numba compile or cache load

    def loop() -> pd.DataFrame:
        return pd.concat([libs.run_indexlab(market, c) for c in libs.GRID], axis=1)

    result, equity = measure(loop)
    _save_equity(workdir, "indexlab_b", equity)
    return {**result.as_dict(), "configs": len(libs.GRID)}


def _memory_available_mb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def task_vectorbt_b(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    import vectorbt  # noqa: F401

    close, market_cap = market.close, market.market_cap
    libs.run_vectorbt(close, market_cap, libs.GRID[:2])  # warm-up: the grouped code path
    n_configs = len(libs.GRID)
    per_group_mb = VECTORBT_ARRAYS_PER_GROUP * close.size * 8 / 2**20
    one_call_mb = n_configs * per_group_mb
    available = _memory_available_mb()
    # One call if it fits in half the free memory (others share this machine), else
    # chunks of at most VECTORBT_GROUPS_PER_CHUNK groups.
    if available is not None and one_call_mb <= 0.5 * available:
        per_chunk = n_configs
    else:
        per_chunk = VECTORBT_GROUPS_PER_CHUNK
    chunks = [libs.GRID[i : i + per_chunk] for i in range(0, n_configs, per_chunk)]
    phases = Phases()

    def grid() -> pd.DataFrame:
        close_ffill = close.ffill()
        parts = [libs.run_vectorbt(close, market_cap, c, phases, close_ffill) for c in chunks]
        return pd.concat(parts, axis=1)

    result, equity = measure(grid)
    result.phases = phases.seconds
    _save_equity(workdir, "vectorbt_b", equity)
    return {
        **result.as_dict(),
        "configs": n_configs,
        "chunks": len(chunks),
        "groups_per_chunk": per_chunk,
        "one_call_estimate_mb": round(one_call_mb),
        "memory_available_mb": None if available is None else round(available),
    }


def task_bt_b(workdir: Path) -> dict[str, Any]:
    market = _load_market(workdir)
    import bt  # noqa: F401

    close, market_cap = market.close, market.market_cap
    subset = list(libs.GRID_SUBSET)
    rest = [c for c in libs.GRID if c not in libs.GRID_SUBSET]
    per_config: dict[str, float] = {}

    def run(configs: list[libs.Config]) -> pd.DataFrame:
        close_ffill = close.ffill()
        curves = []
        for c in configs:
            start = time.perf_counter()
            curves.append(libs.run_bt(close, market_cap, c, close_ffill=close_ffill))
            per_config[c.label] = time.perf_counter() - start
        return pd.concat(curves, axis=1)

    result, equity = measure(lambda: run(subset))
    subset_seconds = result.seconds[0]
    estimate = subset_seconds * len(libs.GRID) / len(subset)
    extrapolated = estimate > BT_FULL_GRID_LIMIT_SECONDS
    if not extrapolated:
        rest_result, rest_equity = measure(lambda: run(rest))
        equity = pd.concat([equity, rest_equity], axis=1)[[c.label for c in libs.GRID]]
        result.seconds = [subset_seconds + rest_result.seconds[0]]
        result.peak_increase_mb = max(result.peak_increase_mb, rest_result.peak_increase_mb)
        result.peak_rss_mb = max(result.peak_rss_mb, rest_result.peak_rss_mb)
    else:
        result.seconds = [estimate]
    _save_equity(workdir, "bt_b", equity)
    return {
        **result.as_dict(),
        "configs": len(libs.GRID),
        "extrapolated": extrapolated,
        "subset": [c.label for c in subset],
        "subset_seconds": subset_seconds,
        "estimate_seconds": estimate,
        "seconds_per_config": per_config,
    }


TASKS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "indexlab_a": task_indexlab_a,
    "indexlab_a_first": task_indexlab_a_first,
    "vectorbt_a": task_vectorbt_a,
    "vectorbt_a_first": task_vectorbt_a_first,
    "bt_a": task_bt_a,
    "indexlab_b": task_indexlab_b,
    "vectorbt_b": task_vectorbt_b,
    "bt_b": task_bt_b,
}


def run_task(name: str, workdir: Path) -> None:
    result = TASKS[name](workdir)
    (workdir / f"{name}.json").write_text(json.dumps(result, indent=2))


# -------------------------------------------------------------------- orchestrator
def _spawn(name: str, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--task", name]
    start = time.perf_counter()
    subprocess.run([*command, "--workdir", str(workdir)], check=True, env=env)
    result = json.loads((workdir / f"{name}.json").read_text())
    result["process_seconds"] = time.perf_counter() - start
    return result


def main() -> None:
    from bench_panel import build_panel
    from bench_report import crosscheck, machine_info, render, summary_rows, write_results

    started = time.perf_counter()
    print("indexlab benchmark: building the panel ...", flush=True)
    panel = build_panel()
    print(f"  {panel.description} ({panel.build_seconds:.1f} s)", flush=True)
    if panel.synthetic:
        print("  NOTE: synthetic data; set INDEXLAB_SHARED_DATA for the real panel", flush=True)
    with tempfile.TemporaryDirectory(prefix="indexlab-bench-") as tmp:
        workdir = Path(tmp)
        with (workdir / "market.pkl").open("wb") as handle:
            pickle.dump(panel.market, handle, protocol=pickle.HIGHEST_PROTOCOL)
        env = dict(os.environ)
        env["NUMBA_CACHE_DIR"] = str(workdir / "numba-cache")
        results: dict[str, dict[str, Any]] = {}
        for i, name in enumerate(TASKS, 1):
            print(f"[{i}/{len(TASKS)}] {name} ...", end=" ", flush=True)
            results[name] = _spawn(name, workdir, env)
            print(f"{results[name]['process_seconds']:.1f} s", flush=True)
        equities = {
            p.name.removesuffix(".equity.pkl"): pd.read_pickle(p)
            for p in workdir.glob("*.equity.pkl")
        }
    checks = crosscheck(equities)
    checks["case_a"]["indexlab_liquidations"] = results["indexlab_a"]["liquidations"]
    record = {
        "date_utc": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "machine": machine_info(),
        "panel": {
            "description": panel.description,
            "synthetic": panel.synthetic,
            "build_seconds": round(panel.build_seconds, 2),
        },
        "case_a": libs.CASE_A.label,
        "grid_description": libs.GRID_DESCRIPTION,
        "grid": [c.label for c in libs.GRID],
        "rows": summary_rows(results),
        "tasks": results,
        "crosscheck": checks,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    text = render(record)
    print()
    print(text)
    write_results(record, text, RESULTS)
    print(f"written: {RESULTS / 'latest.json'}, {RESULTS / 'latest.md'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), help="run one measurement (internal)")
    parser.add_argument("--workdir", type=Path, help="folder with market.pkl (internal)")
    args = parser.parse_args()
    if args.task:
        run_task(args.task, args.workdir)
    else:
        main()
