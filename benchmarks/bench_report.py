"""The benchmark's record: machine, timings as ratios to indexlab, the issue's targets,
and the cross-checks, as ``benchmarks/RESULTS.md`` and ``results/latest.json``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = ("indexlab", "numpy", "pandas", "numba", "vectorbt", "bt", "ffn")
SWEEP_CONFIGS = 1_000
# The targets (benchmarks/README.md, "Targets").
TARGET_A_RATIO = 100.0  # one top-100 backtest, 500 assets: x faster than vectorbt
TARGET_SWEEP_SECONDS = 5.0  # the 1,000-configuration sweep, 500 assets
TARGET_SWEEP_RATIO = 500.0  # per configuration, against vectorbt's column grid
TARGET_LARGE_A_SECONDS = 0.050  # one backtest, 2,000 assets
TARGET_LARGE_SWEEP_BYTES = 2e9  # "2GB" as the sweep reads it (parse_memory)
MB = 2**20


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
    info["indexlab_source"] = source_version()
    return info


def source_version() -> str:
    """The commit of the indexlab measured, and whether src/ had uncommitted changes."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"
    dirty = git("status", "--porcelain", "--", "src")
    return commit + (" with uncommitted changes in src/" if dirty else "")


# ------------------------------------------------------------------- the tables
def _row(case, method, seconds, baseline, peak_mb, note, per_config=None) -> dict[str, Any]:
    return {
        "case": case,
        "method": method,
        "seconds": seconds,
        "per_config_seconds": per_config,
        "ratio_vs_indexlab": seconds / baseline,
        "peak_memory_mb": peak_mb,
        "note": note,
    }


def _phases(task: dict[str, Any]) -> str:
    return ", ".join(f"{name} {sec:.3g} s" for name, sec in task.get("phases", {}).items())


def panel_rows(tasks: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per measurement of a panel; ratios against indexlab measured the same way
    (sweep rows: per configuration, the others extrapolated to 1,000)."""
    ia, va, ba = tasks["indexlab_a"], tasks["vectorbt_a"], tasks["bt_a"]
    warm = "A: top-100 monthly, warm"
    rows = [
        _row(warm, "indexlab.run", ia["seconds"], ia["seconds"], ia["peak_increase_mb"],
             f"median of {len(ia['all_seconds'])} after a warm-up call"),
        _row(warm, "vectorbt from_orders", va["seconds"], ia["seconds"], va["peak_increase_mb"],
             f"median of {len(va['all_seconds'])} after a warm-up call; {_phases(va)}"),
        _row(warm, "bt Backtest.run", ba["seconds"], ia["seconds"], ba["peak_increase_mb"],
             f"median of {len(ba['all_seconds'])}; {_phases(ba)}"),
    ]  # fmt: skip
    if "indexlab_a_first" in tasks:
        cold = "A: first call, empty numba cache"
        disk = "A: first call, numba disk cache"
        il_disk, vb_disk = tasks["indexlab_a_first"], tasks["vectorbt_a_first"]
        rows += [
            _row(cold, "indexlab.run", ia["first_call_seconds"], ia["first_call_seconds"],
                 ia["first_call_peak_mb"], "includes numba compilation"),
            _row(cold, "vectorbt from_orders", va["first_call_seconds"],
                 ia["first_call_seconds"], va["first_call_peak_mb"],
                 "includes numba compilation"),
            _row(cold, "bt Backtest.run", ba["first_call_seconds"], ia["first_call_seconds"],
                 ba["peak_increase_mb"], "no compilation: bt's first timed call"),
            _row(disk, "indexlab.run", il_disk["first_call_seconds"],
                 il_disk["first_call_seconds"], il_disk["first_call_peak_mb"],
                 "fresh process; compiled code loaded from numba's cache"),
            _row(disk, "vectorbt from_orders", vb_disk["first_call_seconds"],
                 il_disk["first_call_seconds"], vb_disk["first_call_peak_mb"],
                 "fresh process; compiled code loaded from numba's cache"),
        ]  # fmt: skip
    sw, vg, bg = tasks["indexlab_sweep"], tasks["vectorbt_grid"], tasks["bt_grid"]
    grid = f"sweep of {sw['configs']:,}"
    per = sw["seconds_per_config"]
    n = sw["configs"]
    rows += [
        _row(grid, "indexlab.sweep.sweep", sw["seconds"], sw["seconds"], sw["peak_increase_mb"],
             f"median of {len(sw['all_seconds'])} ({_seconds_list(sw)}) after a warm-up sweep; "
             f"memory={sw['memory_budget']}; {sw['errors']} configurations with errors",
             per),
        _row(grid, "vectorbt from_orders grid", vg["seconds_per_config"] * n, sw["seconds"],
             vg["peak_increase_mb"],
             f"**EXTRAPOLATED** x {n / vg['configs']:g} from {vg['configs']} configurations of "
             f"the sample as column groups ({vg['seconds']:.1f} s in {vg['calls']} call(s)); "
             f"{_phases(vg)}", vg["seconds_per_config"]),
        _row(grid, "bt Backtest.run loop", bg["seconds_per_config"] * n, sw["seconds"],
             bg["peak_increase_mb"],
             f"**EXTRAPOLATED** x {n / bg['configs']:g} from {bg['configs']} configurations of "
             f"the sample, one after the other ({bg['seconds']:.1f} s)",
             bg["seconds_per_config"]),
    ]  # fmt: skip
    return rows


def _seconds_list(task: dict[str, Any]) -> str:
    return ", ".join(f"{s:.2f}" for s in task["all_seconds"]) + " s"


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| case | method | seconds | s per config | x indexlab | peak memory (MB) | notes |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        per = "" if r["per_config_seconds"] is None else f"{r['per_config_seconds']:.4f}"
        memory = "" if r["peak_memory_mb"] is None else f"{r['peak_memory_mb']:,.0f}"
        lines.append(
            f"| {r['case']} | {r['method']} | {r['seconds']:.3f} | {per} "
            f"| {r['ratio_vs_indexlab']:.1f} | {memory} | {r['note']} |"
        )
    return lines


# --------------------------------------------------------------------- targets
def targets(panels: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, measured: one entry per (target, panel)."""
    out = []

    def add(target: str, panel: str, measured: str, met: bool) -> None:
        out.append({"target": target, "panel": panel, "measured": measured, "met": bool(met)})

    for key, record in panels.items():
        tasks = record["tasks"]
        ia, va = tasks["indexlab_a"], tasks["vectorbt_a"]
        if record["assets"] == 500:
            ratio = va["seconds"] / ia["seconds"]
            measured = f"{ratio:.0f}x ({ia['seconds'] * 1e3:.1f} ms vs {va['seconds']:.3f} s)"
            add(
                "one top-100 monthly backtest: >= 100x faster than vectorbt",
                key,
                measured,
                ratio >= TARGET_A_RATIO,
            )
            vg = tasks["vectorbt_grid"]
            for name, how in (("indexlab_sweep", ""), ("indexlab_sweep_blas1", ", 1 BLAS thread")):
                run = tasks[name]
                add(
                    f"{SWEEP_CONFIGS:,}-configuration sweep: <= 5 s{how}",
                    key,
                    f"{run['seconds']:.2f} s ({_seconds_list(run)})",
                    run["seconds"] <= TARGET_SWEEP_SECONDS,
                )
                ratio = vg["seconds_per_config"] / run["seconds_per_config"]
                add(
                    f"sweep per configuration: >= 500x faster than vectorbt's grid{how}",
                    key,
                    f"{ratio:.0f}x ({run['seconds_per_config'] * 1e3:.1f} ms vs "
                    f"{vg['seconds_per_config']:.2f} s)",
                    ratio >= TARGET_SWEEP_RATIO,
                )
        else:
            add(
                "one backtest: <= 50 ms",
                key,
                f"{ia['seconds'] * 1e3:.1f} ms",
                ia["seconds"] <= TARGET_LARGE_A_SECONDS,
            )
            for name, how in (("indexlab_sweep", ""), ("indexlab_sweep_blas1", ", 1 BLAS thread")):
                run = tasks[name]
                add(
                    f"{SWEEP_CONFIGS:,}-configuration sweep within a 2 GB memory budget{how}",
                    key,
                    f"peak +{run['peak_increase_mb']:,.0f} MB (process "
                    f"{run['peak_rss_mb']:,.0f} MB) in {run['seconds']:.1f} s; budget 2e9 B = "
                    f"{TARGET_LARGE_SWEEP_BYTES / MB:,.0f} MB",
                    run["peak_increase_mb"] * MB <= TARGET_LARGE_SWEEP_BYTES,
                )
        check = record["check"]
        add(
            "sample of the sweep equals the single run and the reference loop within 1e-9",
            key,
            ", ".join(f"{k} {v:.1e}" for k, v in check["worst"].items()),
            check["passed"],
        )
    return out


# ------------------------------------------------------------------- the record
def _crosscheck_lines(key: str, cross: dict[str, Any]) -> list[str]:
    finals = ", ".join(f"{k} {v:.10g}" for k, v in cross["final_equity_a"].items())
    lines = [f"- **{key}**, case A final equity (x initial capital): {finals}"]
    for scope, title in (("case_a", "case A"), ("sweep_sample", "sweep sample")):
        for c in cross[scope]:
            parts = []
            if "no_fee_max" in c:
                ok = "ok" if c["no_fee_passed"] else "**BEYOND 1e-12**"
                parts.append(
                    f"without fees {c['no_fee_max']:.1e} over {c['no_fee_curves']} curve(s) ({ok})"
                )
            if "fee_max" in c:
                ok = "below the fees paid" if c["fee_explained"] else "**ABOVE the fees paid**"
                parts.append(
                    f"with 10 bps fees {c['fee_max']:.1e} over {c['fee_curves']} curve(s) (at "
                    f"the end {c['fee_final_max']:.1e}; on the first day "
                    f"{c['fee_first_day_max']:.0e}; at most "
                    f"{c['fee_max_share_of_fees_paid']:.2f} x the fees paid: {ok})"
                )
            if c["missing_points"]:
                parts.append(f"{c['missing_points']} missing points")
            lines.append(f"  - {title}, {c['pair']}: " + "; ".join(parts))
    return lines


def render(record: dict[str, Any]) -> str:
    """RESULTS.md (also what is printed)."""
    m = record["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = [
        "# indexlab benchmark results",
        "",
        "Written by `make bench` (benchmarks/run.py); how to read it: benchmarks/README.md.",
        "",
        f"- Date: {record['date_utc']}; total benchmark time {record['total_seconds']:.0f} s",
        f"- Machine: {m['cores']} cores ({m.get('cores_usable')} usable), {m['cpu']}, "
        f"{m.get('memory_gb', '?')} GB RAM, {m['platform']}",
        f"- Python {m['python']}; {versions}; indexlab source: {m['indexlab_source']}",
        f"- Case A: `{record['case_a']}`: lag_days = 0, no fees.",
        f"- Sweep: {record['sweep_description']}: {record['sweep_configs']:,} configurations, "
        "lag_days = 0.",
        "- seconds: wall clock from the panel to the equity curves (the sweep: to its table "
        "of metrics); x indexlab: seconds / indexlab's seconds measured the same way (> 1: "
        "indexlab is faster; sweep rows: per configuration); peak memory: growth of the "
        "process's resident set during the call, in MB (2^20 bytes).",
        "",
        "## Targets",
        "",
        "| target | panel | measured | met |",
        "|---|---|---|---|",
    ]
    for t in record["targets"]:
        met = "yes" if t["met"] else "**NO**"
        lines.append(f"| {t['target']} | {t['panel']} | {t['measured']} | {met} |")
    for key, panel in record["panels"].items():
        synthetic = " **(SYNTHETIC)**" if panel["synthetic"] else ""
        lines += ["", f"## Panel {key}", "", f"{panel['description']}{synthetic}.", ""]
        lines += _table(panel["rows"])
    lines += ["", "## Correctness", ""]
    lines.append(
        "Sweep sample (20 random configurations, 5 of each schedule x fee pair): the batched "
        "engine (`run_configs`, keep_equity) against `indexlab.run` alone and the day-by-day "
        "reference loop of tests/reference_loop.py, and the timed sweep's total return "
        "(max relative difference; tolerance 1e-9):"
    )
    lines.append("")
    for key, panel in record["panels"].items():
        worst = ", ".join(f"{k} {v:.1e}" for k, v in panel["check"]["worst"].items())
        status = "ok" if panel["check"]["passed"] else "**FAILED**"
        lines.append(f"- {key}: {worst} ({status})")
    lines += [
        "",
        "vectorbt and bt against indexlab (max relative difference of the equity curves; "
        "without fees the tolerance is 1e-12; with fees each library's convention differs, "
        "see README.md, and the difference is checked against the fees paid, the sum of "
        "cost / value before each trade):",
        "",
    ]
    for key, panel in record["panels"].items():
        lines += _crosscheck_lines(key, panel["crosscheck"])
    lines.append("")
    return "\n".join(lines)


def write_results(record: dict[str, Any], text: str, results: Path, summary: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / "latest.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    summary.write_text(text)
