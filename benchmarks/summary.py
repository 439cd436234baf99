"""The rows of issue 17 (speed where users feel it) in RESULTS.md, from this run's files.

    .venv/bin/python benchmarks/summary.py

``make bench`` runs it last: it reads ``results/load_long.json``, ``sweep_scale.json``,
``busy.json`` and ``cli_wall.json`` (written by the scripts of the same name in the same
``make bench``) and replaces the section "Beyond the kernel" of ``RESULTS.md`` (written by
``run.py``, which holds the fresh-Market and single-run ratios against vectorbt). A file
that is missing is said to be missing, never filled in from an older run.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SUMMARY = HERE / "RESULTS.md"
HEADING = "## Beyond the kernel (issue 17)"


def _read(name: str) -> tuple[dict | None, str]:
    """The file's data when this ``make bench`` wrote it (after run.py's latest.json),
    else None and why."""
    path, latest = RESULTS / name, RESULTS / "latest.json"
    if not path.is_file():
        return None, "missing: its script did not run"
    if latest.is_file() and path.stat().st_mtime < latest.stat().st_mtime:
        when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        return None, f"not measured in this run (the file is from {when:%Y-%m-%d %H:%M} UTC)"
    return json.loads(path.read_text()), ""


def _met(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def _load_row(data: dict) -> list[str]:
    row, goals = data["row"], data["goals"]
    size = f"{row['assets']:,} x {row['days']:,}"
    return [
        f"| load a long table of {size} (Parquet, {row['parquet_mb']:,.0f} MB) | "
        f"{row['seconds']:.1f} s, {row['speedup_vs_before']:.1f}x the loader before | "
        f">= {goals['speedup']:g}x | {_met(row['speedup_vs_before'] >= goals['speedup'])} |",
        f"| its peak memory over the final panels' bytes | {row['peak_over_panels']:.2f}x "
        f"({row['peak_increase_mb']:,.0f} MB for {row['panel_mb']:,.0f} MB of panels) | "
        f"<= {goals['peak_ratio']:g}x | {_met(row['peak_over_panels'] <= goals['peak_ratio'])} |",
    ]


def _sweep_rows(data: dict) -> list[str]:
    small, large = data["rows"]
    size = f"{large['assets']:,} x {large['days']:,}"
    ratio = data["per_config_ratio"]
    return [
        f"| 1,000-configuration sweep at {size}, --memory {large['memory']} | "
        f"{large['seconds']:.1f} s ({large['errors']} errors) | <= 20 s | "
        f"{_met(large['seconds'] <= 20)} |",
        f"| time per configuration, {large['assets']:,} vs {small['assets']:,} assets | "
        f"{ratio:.2f}x ({1e3 * large['seconds_per_config']:.1f} vs "
        f"{1e3 * small['seconds_per_config']:.1f} ms) | <= 2x | {_met(ratio <= 2)} |",
    ]


def _busy_row(data: dict) -> list[str]:
    rows = [
        f"| sweep beside {data['spinners']} busy processes vs quiet "
        f"({data['assets']:,} x {data['days']:,}) | {data['ratio']:.2f}x "
        f"({data['median_busy_s']:.2f} vs {data['median_quiet_s']:.2f} s) | "
        f"<= {data['goal_ratio']:g}x | {_met(data['ratio'] <= data['goal_ratio'])} |"
    ]
    if "control_ratio" in data:
        rows.append(
            f"| the same beside them, a one-thread numpy control (the floor of one thread "
            f"among {data['spinners'] + 1} on {data['cpus']} cores: "
            f"{data['fair_share_floor']:.2f}x) | {data['control_ratio']:.2f}x | | |"
        )
    if "cpu_ratio" in data:
        rows.append(
            "| the sweep's own CPU time beside them over quiet (1.0: the slowdown is only "
            f"the CPU share it is given) | {data['cpu_ratio']:.2f}x | | |"
        )
    return rows


def _cli_rows(data: dict) -> list[str]:
    median, fastest, goals = data["median_s"], data["min_s"], data.get("goals_s", {})
    rows = []
    for key, text in (
        ("server_run_with_report", "`indexlab run` on the demo, with the report, warm server"),
        ("server_run_no_report", "`indexlab run --no-report` on the demo, warm server"),
        ("run_with_report", "`indexlab run` on the demo, with the report, a fresh process"),
        ("run_no_report", "`indexlab run --no-report` on the demo, a fresh process"),
        ("help", "`indexlab --help`"),
    ):
        if key not in median:
            continue
        goal = goals.get(key)
        rows.append(
            f"| {text}, wall | {median[key]:.2f} s median (fastest {fastest[key]:.2f} s) | "
            + (f"<= {goal:g} s | {_met(median[key] <= goal)} |" if goal else "– | – |")
        )
    return rows


def section() -> str:
    lines = [
        HEADING,
        "",
        f"Written by `benchmarks/summary.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
        "from the files of this `make bench` (`results/*.json`); the fresh-Market and "
        "single-run ratios against vectorbt are in the tables above.",
        "",
        "| measure | measured | goal | met |",
        "|---|---|---|---|",
    ]
    for name, rows in (
        ("load_long.json", _load_row),
        ("sweep_scale.json", _sweep_rows),
        ("busy.json", _busy_row),
        ("cli_wall.json", _cli_rows),
    ):
        data, why = _read(name)
        if data is None:
            lines.append(f"| {name} | {why} | – | – |")
        else:
            lines += rows(data)
    return "\n".join(lines) + "\n"


def main() -> int:
    text = SUMMARY.read_text() if SUMMARY.is_file() else "# indexlab benchmark results\n"
    if HEADING in text:
        start = text.index(HEADING)
        following = text.find("\n## ", start + len(HEADING))
        text = text[:start] + (text[following + 1 :] if following >= 0 else "")
    text = text.rstrip("\n") + "\n\n" + section()
    SUMMARY.write_text(text)
    print(section())
    return 0


if __name__ == "__main__":
    sys.exit(main())
