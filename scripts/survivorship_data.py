"""The tables of issue 16's measurements, built from ../shared/data into one folder.

    python scripts/survivorship_data.py OUT [--shared ../shared/data]

Runs the documented commands (docs/vendors.md), default day convention, and prints each:

- ``cg.parquet``: the CoinGecko collection (survivors only);
- ``snap.parquet`` (+ ``snap.mapping.csv``): the monthly CMC snapshots mapped to it;
- ``merged.parquet``: the two merged, as the mapping leaves them;
- ``twins.csv``: unmatched snapshot coins whose closes repeat one CoinGecko coin's on
  every shared snapshot day (scripts/membership_check.py ``twin_pairs``), as an override
  file; ``snap-fixed.parquet``: the snapshots imported again with it, and the one wrong
  match found by hand corrected (CMC's key "Terra"/LUNA spans the old chain, today's
  ``terra-luna``, and the new one, ``terra-luna-2``, from 2022-05-28: the mapping sends
  all of it to ``terra-luna-2``); ``merged-fixed.parquet``: CoinGecko + those;
- ``daily2018.parquet``: CMC's 2018 H1 daily pages of every listed coin, mapped.

Every table stays in OUT (never in the repository).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
INDEXLAB = [sys.executable, "-m", "indexlab.cli"]
LUNA_KEY, LUNA_NEW, LUNA_OLD = "cmc:luna:terra", "terra-luna-2", "terra-luna"


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


def split_luna(path: Path, coingecko: Path) -> None:
    """CMC's "Terra" rows before the new chain's first CoinGecko day are the old chain."""
    table = pq.read_table(path)
    frame = table.to_pandas()
    gecko = pd.read_parquet(coingecko, columns=["date", "asset"])
    first_new = gecko.loc[gecko["asset"] == LUNA_NEW, "date"].min()
    old = (frame["vendor_key"] == LUNA_KEY) & (frame["date"] < first_new)
    frame.loc[old, "asset"] = LUNA_OLD
    fixed = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(fixed.replace_schema_metadata(table.schema.metadata), path, compression="zstd")
    print(f"  {int(old.sum())} '{LUNA_KEY}' rows before {first_new.date()} moved to '{LUNA_OLD}'")


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
    split_luna(fixed, cg)
    indexlab_command("data", "merge", cg, fixed, "--out", out / "merged-fixed.parquet")
    daily_out = out / "daily2018.parquet"
    indexlab_command("data", "import", "cmc-daily", daily, "--out", daily_out, "--coingecko", cg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
