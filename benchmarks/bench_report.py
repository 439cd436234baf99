"""The benchmark's record: machine, timings as ratios to indexlab, and the cross-check."""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

AGREEMENT_TOLERANCE = 1e-6
LIBRARIES = ("indexlab", "numpy", "pandas", "numba", "vectorbt", "bt", "ffn")


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, OS, Python and library versions."""
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    info["memory_gb"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    info["versions"] = versions
    return info


# ----------------------------------------------------------------------- the table
def _row(case: str, method: str, seconds: float, baseline: float, peak_mb, note: str) -> dict:
    return {
        "case": case,
        "method": method,
        "seconds": round(seconds, 4),
        "ratio_vs_indexlab": round(seconds / baseline, 2),
        "peak_memory_mb": None if peak_mb is None else round(peak_mb, 1),
        "note": note,
    }


def _phases(task: dict[str, Any]) -> str:
    return ", ".join(f"{name} {sec:.3g} s" for name, sec in task.get("phases", {}).items())


def summary_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per measurement; ratios against indexlab measured the same way."""
    ia, va, ba = results["indexlab_a"], results["vectorbt_a"], results["bt_a"]
    ib, vb, bb = results["indexlab_b"], results["vectorbt_b"], results["bt_b"]
    warm = "A: top-100 monthly, warm"
    cold = "A: first call, empty numba cache"
    disk = "A: first call, numba disk cache"
    grid = f"B: grid of {ib['configs']}"
    rows = [
        _row(warm, "indexlab.run", ia["seconds"], ia["seconds"], ia["peak_increase_mb"],
             f"median of {len(ia['all_seconds'])} after a warm-up call"),
        _row(warm, "vectorbt from_orders", va["seconds"], ia["seconds"], va["peak_increase_mb"],
             f"median of {len(va['all_seconds'])} after a warm-up call; {_phases(va)}"),
        _row(warm, "bt Backtest.run", ba["seconds"], ia["seconds"], ba["peak_increase_mb"],
             f"median of {len(ba['all_seconds'])}; {_phases(ba)}"),
        _row(cold, "indexlab.run", ia["first_call_seconds"], ia["first_call_seconds"],
             ia["first_call_peak_mb"], "includes numba compilation"),
        _row(cold, "vectorbt from_orders", va["first_call_seconds"], ia["first_call_seconds"],
             va["first_call_peak_mb"], "includes numba compilation"),
        _row(cold, "bt Backtest.run", ba["first_call_seconds"], ia["first_call_seconds"],
             ba["peak_increase_mb"], "no compilation: bt's first timed call"),
        _row(disk, "indexlab.run", results["indexlab_a_first"]["first_call_seconds"],
             results["indexlab_a_first"]["first_call_seconds"],
             results["indexlab_a_first"]["first_call_peak_mb"],
             "fresh process; compiled code loaded from numba's cache"),
        _row(disk, "vectorbt from_orders", results["vectorbt_a_first"]["first_call_seconds"],
             results["indexlab_a_first"]["first_call_seconds"],
             results["vectorbt_a_first"]["first_call_peak_mb"],
             "fresh process; compiled code loaded from numba's cache"),
        _row(grid, "indexlab.run loop", ib["seconds"], ib["seconds"], ib["peak_increase_mb"],
             f"{ib['configs']} calls, one after the other"),
        _row(grid, "vectorbt from_orders", vb["seconds"], ib["seconds"], vb["peak_increase_mb"],
             _vectorbt_grid_note(vb) + f"; {_phases(vb)}"),
        _row(grid, "bt Backtest.run loop", bb["seconds"], ib["seconds"], bb["peak_increase_mb"],
             _bt_grid_note(bb)),
    ]  # fmt: skip
    return rows


def _vectorbt_grid_note(task: dict[str, Any]) -> str:
    if task["chunks"] == 1:
        return f"all {task['configs']} configurations as column groups of one call"
    return (
        f"{task['chunks']} calls of {task['groups_per_chunk']} column groups: one call would "
        f"need ~{task['one_call_estimate_mb'] / 1024:.0f} GB "
        f"(free: {(task['memory_available_mb'] or 0) / 1024:.0f} GB)"
    )


def _bt_grid_note(task: dict[str, Any]) -> str:
    n = len(task["subset"])
    if task["extrapolated"]:
        return (
            f"EXTRAPOLATED: {n} of {task['configs']} configurations timed "
            f"({task['subset_seconds']:.1f} s; sizes 10..200, every weighting and schedule) "
            f"x {task['configs'] / n:g}"
        )
    return (
        f"all {task['configs']} configurations, one after the other (the {n}-configuration "
        f"subset predicted {task['estimate_seconds']:.0f} s, under the 300 s limit)"
    )


# --------------------------------------------------------------------- cross-check
def _relative_difference(other: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    other = other.reindex(index=reference.index, columns=reference.columns)
    return (other - reference).abs() / reference.abs()


def _compare(name: str, other: pd.DataFrame, reference: pd.DataFrame) -> dict[str, Any]:
    diff = _relative_difference(other, reference)
    values = diff.to_numpy()
    missing = int(np.isnan(values).sum())
    worst = np.nanmax(values) if values.size and missing < values.size else float("nan")
    entry: dict[str, Any] = {
        "pair": name,
        "curves": int(diff.shape[1]),
        "max_relative_difference": float(worst),
        "missing_points": missing,
    }
    if diff.shape[1] > 1:
        per_config = diff.max()
        entry["worst_config"] = str(per_config.idxmax())
    beyond = (diff > AGREEMENT_TOLERANCE).any(axis=1)
    if beyond.any():
        first = beyond.idxmax()
        entry["first_date_beyond_tolerance"] = str(pd.Timestamp(first).date())
    return entry


def crosscheck(equities: dict[str, pd.Series | pd.DataFrame]) -> dict[str, Any]:
    """Max relative difference of each library's equity curves from indexlab's."""
    frames = {k: v.to_frame() if isinstance(v, pd.Series) else v for k, v in equities.items()}
    a_ref = frames["indexlab_a"]
    case_a = {
        "final_equity": {
            lib: float(frames[f"{lib}_a"].iloc[-1, 0]) for lib in ("indexlab", "vectorbt", "bt")
        },
        "comparisons": [
            _compare("vectorbt vs indexlab", frames["vectorbt_a"].set_axis(a_ref.columns, axis=1),
                     a_ref),
            _compare("bt vs indexlab", frames["bt_a"].set_axis(a_ref.columns, axis=1), a_ref),
        ],
    }  # fmt: skip
    b_ref = frames["indexlab_b"]
    bt_b = frames["bt_b"]
    case_b = {
        "final_equity_range_indexlab": [float(b_ref.iloc[-1].min()), float(b_ref.iloc[-1].max())],
        "comparisons": [
            _compare("vectorbt vs indexlab", frames["vectorbt_b"], b_ref),
            _compare("bt vs indexlab", bt_b, b_ref[bt_b.columns]),
        ],
    }
    return {"tolerance": AGREEMENT_TOLERANCE, "case_a": case_a, "case_b": case_b}


# ------------------------------------------------------------------------- output
def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| case | method | seconds | x indexlab | peak memory (MB) | notes |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        memory = "" if r["peak_memory_mb"] is None else f"{r['peak_memory_mb']:,.0f}"
        lines.append(
            f"| {r['case']} | {r['method']} | {r['seconds']:.3f} | {r['ratio_vs_indexlab']:.1f} "
            f"| {memory} | {r['note']} |"
        )
    return lines


def render(record: dict[str, Any]) -> str:
    """The Markdown record (also what is printed)."""
    m = record["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    panel = record["panel"]
    lines = [
        "# indexlab benchmark: latest results",
        "",
        f"- Date: {record['date_utc']}",
        f"- Machine: {m['cores']} cores ({m.get('cores_usable')} usable), {m['cpu']}, "
        f"{m.get('memory_gb', '?')} GB RAM, {m['platform']}",
        f"- Python {m['python']}; {versions}",
        f"- Data: {panel['description']}" + (" **(SYNTHETIC)**" if panel["synthetic"] else ""),
        f"- Case A: `{record['case_a']}`, lag_days = 0, no fees. "
        f"Case B: {record['grid_description']}, lag_days = 0, no fees.",
        "- seconds: wall clock from the panel to the equity curve; x indexlab: seconds / "
        "indexlab's seconds measured the same way (> 1: indexlab is faster); peak memory: "
        "growth of the process's resident set during the call.",
        "",
        *_table(record["rows"]),
        "",
        f"Cross-check (max relative difference of the equity curves from indexlab's, "
        f"tolerance {record['crosscheck']['tolerance']:g}):",
        "",
    ]
    checks = record["crosscheck"]
    finals = checks["case_a"]["final_equity"]
    lines.append(
        "- Case A final equity (x initial capital): "
        + ", ".join(f"{k} {v:.10g}" for k, v in finals.items())
    )
    for case in ("case_a", "case_b"):
        for c in checks[case]["comparisons"]:
            extra = ""
            if "worst_config" in c:
                extra += f", worst: {c['worst_config']}"
            if "first_date_beyond_tolerance" in c:
                extra += f", first beyond tolerance on {c['first_date_beyond_tolerance']}"
            if c["missing_points"]:
                extra += f", {c['missing_points']} missing points"
            lines.append(
                f"- Case {case[-1].upper()}, {c['pair']} ({c['curves']} curve(s)): "
                f"{c['max_relative_difference']:.2e}{extra}"
            )
    comparisons = [c for case in ("case_a", "case_b") for c in checks[case]["comparisons"]]
    if all(c["max_relative_difference"] <= checks["tolerance"] for c in comparisons):
        liquidations = ", ".join(
            f"{n} {reason}" for reason, n in checks["case_a"]["indexlab_liquidations"].items()
        )
        lines.append(
            "- All curves agree within the tolerance. In case A indexlab turned positions into "
            f"cash at their last valid close ({liquidations}); vectorbt and bt, given "
            "forward-filled closes, value and sell them at that same close."
        )
    else:
        lines.append(
            "- **Some curves differ beyond the tolerance**: see the first dates above and "
            "benchmarks/README.md (cross-check) for the known causes."
        )
    lines += ["", f"Total benchmark time: {record['total_seconds']:.0f} s.", ""]
    return "\n".join(lines)


def write_results(record: dict[str, Any], text: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    (folder / "latest.md").write_text(text)
