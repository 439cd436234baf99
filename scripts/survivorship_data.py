"""The tables of issue 16's measurements, built from ../shared/data into one folder.

    python scripts/survivorship_data.py OUT [--shared ../shared/data]

Runs the documented commands (docs/vendors.md), default day convention, and prints each:

- ``cg.parquet``: the CoinGecko collection (survivors only);
- ``snap.parquet`` (+ ``snap.mapping.csv``): the monthly CMC snapshots mapped to it;
- ``merged.parquet``: the two merged, as the mapping leaves them;
- ``twins.csv``: unmatched snapshot coins whose closes repeat one CoinGecko coin's on
  every shared snapshot day (scripts/membership_check.py ``twin_pairs``), as an override
  file; ``snap-fixed.parquet``: the snapshots imported again with it;
  ``merged-fixed.parquet``: CoinGecko + those. CMC keys reused by a second coin ("Terra"
  /LUNA, dYdX, Beam) are split by the mapping itself
  (``indexlab.sources.identity_reused``); this script once split LUNA by hand;
- ``daily2018.parquet``: CMC's 2018 H1 daily pages of every listed coin, mapped.

Every table stays in OUT (never in the repository).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
INDEXLAB = [sys.executable, "-m", "indexlab.cli"]


def indexlab_command(*args: object) -> None:
    """Run ``indexlab ARGS``, echoing the command and the last lines of its report."""
    words = [str(a) for a in args]
    print("$ indexlab " + " ".join(words), flush=True)
    done = subprocess.run([*INDEXLAB, *words], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(done.stdout + done.stderr)
    keep = ("mapped", "merged", "wrote")
    lines = [line for line in done.stdout.splitlines() if line.startswith(keep)]
    print("  " + "\n  ".join(lines), flush=True)


def write_twins(out: Path) -> Path:
    """Unmatched snapshot coins that are one CoinGecko coin by their prices, as an
    override file (``key,coingecko_id``), one twin per key."""
    from membership_check import twin_pairs, unmatched_keys

    import indexlab

    market = indexlab.load_market(out / "merged.parquet")
    snapshots = pd.read_parquet(out / "snap.parquet")
    pairs = twin_pairs(market, snapshots, unmatched_keys(out / "snap.mapping.csv"))
    by_key: dict[str, list[str]] = {}
    for asset, key in pairs.items():
        by_key.setdefault(key, []).append(asset)
    rows = [(key, assets[0]) for key, assets in sorted(by_key.items()) if len(assets) == 1]
    path = out / "twins.csv"
    pd.DataFrame(rows, columns=["key", "coingecko_id"]).to_csv(path, index=False)
    print(f"  {len(rows)} unmatched keys are a CoinGecko coin by price: {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    out, shared = args.out, args.shared
    out.mkdir(parents=True, exist_ok=True)
    cg, snap, fixed = out / "cg.parquet", out / "snap.parquet", out / "snap-fixed.parquet"
    snapshots, daily = shared / "cmc-snapshots", shared / "cmc-2018h1" / "coins"
    indexlab_command(
        "data", "import", "coingecko", shared / "coingecko-2025" / "coins", "--out", cg
    )
    indexlab_command("data", "import", "cmc-snapshots", snapshots, "--out", snap, "--coingecko", cg)
    indexlab_command("data", "merge", cg, snap, "--out", out / "merged.parquet")
    twins = write_twins(out)
    mapped = ("--coingecko", cg, "--overrides", twins)
    indexlab_command("data", "import", "cmc-snapshots", snapshots, "--out", fixed, *mapped)
    indexlab_command("data", "merge", cg, fixed, "--out", out / "merged-fixed.parquet")
    daily_out = out / "daily2018.parquet"
    indexlab_command("data", "import", "cmc-daily", daily, "--out", daily_out, "--coingecko", cg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
