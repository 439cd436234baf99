"""``indexlab data merge A B ... --out X``: long tables of several vendors as one, each
row keeping its source, the overlaps audited (docs/vendors.md)."""

from __future__ import annotations

import argparse
import time


def add_parser(actions: argparse._SubParsersAction) -> None:
    merge = actions.add_parser(
        "merge",
        help="merge long tables of several vendors, with provenance",
        description="Merge long tables (e.g. a CoinGecko import and CMC snapshots) into one. "
        "Where two files have the same asset and date, a daily row wins over a snapshot row "
        "(cmc-snapshots), then the file listed first wins; every row keeps its 'source'. The "
        "files must share one day convention. The overlaps are audited (relative difference "
        "of close and market cap: median, 95th percentile, the worst named), printed and "
        "stored in the merged file.",
    )
    merge.add_argument("paths", nargs="+", metavar="FILE", help="long tables, highest first")
    merge.add_argument("--out", metavar="FILE", required=True, help="the Parquet file to write")
    merge.set_defaults(handler=command_merge)


def command_merge(args: argparse.Namespace) -> int:
    from indexlab.sources.coingecko import write_long_table
    from indexlab.sources.merge import merge_long_tables

    started = time.perf_counter()
    frame, report = merge_long_tables(args.paths)
    path = write_long_table(frame, args.out, report)
    for line in report.lines():
        print(line)
    print(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    return 0
