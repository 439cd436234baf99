"""`make bench`, issue 17 item 4: the 1,000-configuration sweep at 10,000 coins.

The planning memo used to count the market-cap panel it only borrows, so at 10,000
assets its shared entries evicted each other and a sweep took 33 times longer at the
default 2 GB budget than at 8 GB. This script times the benchmark's 1,000-configuration
sweep (``bench_libraries.sweep_spec``) on a seeded wide synthetic market of 500 and of
``--assets`` (default 10,000) assets x ``--days`` (default 7,300) days, both at the
default budget, in fresh processes, and reports the time per configuration and the
ratio between the two sizes (goal: within 2x; at 10,000 x 7,300 the whole sweep within
20 s on the 2-core machine). Results: stdout and ``benchmarks/results/sweep_scale.json``.

Usage: ``python benchmarks/sweep_scale.py [--assets 10000] [--days 7300] [--memory 2GB]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20251203


def wide_market(n_assets: int, n_days: int):
    """Seeded listings, deaths, gaps and missing caps, built wide (no long table)."""
    import indexlab

    rng = np.random.default_rng(SEED)
    dates = pd.date_range(end="2025-07-24", periods=n_days, freq="D")
    ids = ["bitcoin"] + [f"synthetic-{i:05d}" for i in range(1, n_assets)]
    listing = np.where(rng.random(n_assets) < 0.3, 0, rng.integers(0, n_days - 200, n_assets))
    listing[0] = 0
    death = np.full(n_assets, n_days - 1)
    dying = rng.random(n_assets) < 0.05
    dying[0] = False
    death[dying] = np.minimum(listing[dying] + rng.integers(100, n_days, dying.sum()), n_days - 1)
    rows = np.arange(n_days)[:, None]
    vol = rng.uniform(0.02, 0.08, n_assets).astype(np.float64)
    close = rng.standard_normal((n_days, n_assets))
    close *= vol
    np.cumsum(close, axis=0, out=close)
    np.exp(close, out=close)
    supply = np.exp(rng.normal(17.0, 2.0, n_assets))
    supply[0] *= np.exp(6.0)
    caps = close * supply
    dead = (rows < listing) | (rows > death)
    close[dead] = np.nan
    caps[dead] = np.nan
    close[rng.random((n_days, n_assets)) < 0.005] = np.nan
    caps[np.isnan(close)] = np.nan
    assets = pd.DataFrame({"symbol": [i.upper()[:12] for i in ids], "name": ids}, index=ids)
    assets.index.name = "asset"
    return indexlab.Market(
        close=pd.DataFrame(close, index=dates, columns=ids),
        market_cap=pd.DataFrame(caps, index=dates, columns=ids),
        volume=None,
        assets=assets,
        source=f"synthetic wide panel (seed {SEED})",
        provenance=f"synthetic wide panel (seed {SEED})",
        synthetic=True,
    )


def measure(n_assets: int, n_days: int, memory: str) -> dict:
    """One size, in this process: build, warm up, time the sweep once."""
    sys.path.insert(0, str(HERE))
    import bench_libraries as libs

    import indexlab.sweep

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    market = wide_market(n_assets, n_days)
    built = time.perf_counter() - start
    indexlab.sweep.sweep(libs.warmup_spec(), market, memory=memory)
    start = time.perf_counter()
    table = indexlab.sweep.sweep(libs.sweep_spec(), market, memory=memory)
    seconds = time.perf_counter() - start
    return {
        "assets": n_assets,
        "days": n_days,
        "memory": memory,
        "build_seconds": round(built, 2),
        "configs": len(table),
        "errors": int(table["error"].notna().sum()),
        "seconds": round(seconds, 3),
        "seconds_per_config": seconds / len(table),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=7_300)
    parser.add_argument("--memory", default="2GB")
    parser.add_argument("--one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(*args.one, args.memory)))
        return
    rows = []
    for n_assets in (500, args.assets):
        command = [sys.executable, __file__, "--one", str(n_assets), str(args.days)]
        output = subprocess.run(
            [*command, "--memory", args.memory], check=True, capture_output=True, text=True
        )
        rows.append(json.loads(output.stdout.strip().splitlines()[-1]))
        row = rows[-1]
        print(
            f"sweep of {row['configs']} configurations, {row['assets']:,} assets x "
            f"{row['days']:,} days, --memory {row['memory']}: {row['seconds']:.1f} s "
            f"({1e3 * row['seconds_per_config']:.1f} ms per configuration)",
            flush=True,
        )
    ratio = rows[1]["seconds_per_config"] / rows[0]["seconds_per_config"]
    print(f"time per configuration, {args.assets:,} vs 500 assets: {ratio:.2f}x (goal <= 2x)")
    out = {"rows": rows, "per_config_ratio": ratio}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "sweep_scale.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
