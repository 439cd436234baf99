"""`make bench`, part 2: importing real data, against the goals of the real-data issue.

Goals on the 2-core reference machine: importing all 1,092 coins of
``$INDEXLAB_SHARED_DATA/coingecko-2025`` in at most 15 s, loading the resulting
Parquet into a Market in at most 1 s, peak memory at most 2 GB. Each step runs in a
fresh process (``--task``) so its time includes nothing of the others and its peak
memory is its own. Results go to stdout and ``benchmarks/results/data_import.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_measure import measure

RESULTS = Path(__file__).resolve().parent / "results"
GOALS = {"import": 15.0, "load": 1.0}
MEMORY_GOAL_MB = 2048


def task(name: str, source: Path, parquet: Path) -> dict:
    import indexlab  # imported before timing: the goal is about the work, not startup
    from indexlab.sources.coingecko import import_coingecko, write_long_table

    if name == "import":

        def call():
            frame, summary = import_coingecko(source)
            write_long_table(frame, parquet, summary)

    else:

        def call():
            indexlab.load_market(parquet)

    result, _ = measure(call)
    return {"seconds": result.seconds[0], "peak_mb": result.peak_increase_mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["import", "load"])
    parser.add_argument("--parquet", type=Path)
    args = parser.parse_args()
    shared = os.environ.get("INDEXLAB_SHARED_DATA", "").strip()
    if not shared:
        print("data import benchmark skipped: INDEXLAB_SHARED_DATA is not set")
        return 0
    source = Path(shared) / "coingecko-2025" / "coins"
    if args.task:
        print(json.dumps(task(args.task, source, args.parquet)))
        return 0
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        parquet = Path(folder) / "market.parquet"
        for name in ("import", "load"):
            out = subprocess.run(
                [sys.executable, __file__, "--task", name, "--parquet", str(parquet)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
        size_mb = parquet.stat().st_size / 1e6
    lines = [f"data import benchmark ({source}, {time.strftime('%Y-%m-%d')}):"]
    for name, row in rows.items():
        ok = row["seconds"] <= GOALS[name] and row["peak_mb"] <= MEMORY_GOAL_MB
        lines.append(
            f"  {name:<6} {row['seconds']:6.2f} s (goal <= {GOALS[name]:g} s), peak "
            f"{row['peak_mb']:6.0f} MB (goal <= {MEMORY_GOAL_MB} MB)  {'ok' if ok else 'MISSED'}"
        )
    lines.append(f"  Parquet file: {size_mb:.1f} MB")
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "data_import.json").write_text(
        json.dumps({"rows": rows, "parquet_mb": size_mb, "goals_s": GOALS}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
