"""``indexlab data import cmc-snapshots|cmc-daily``: CoinMarketCap data into the long table,
its ids mapped to a CoinGecko collection's (docs/vendors.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

PROVIDERS = ("cmc-snapshots", "cmc-daily")


def add_arguments(importer: argparse.ArgumentParser) -> None:
    """The CMC importers' options on ``indexlab data import`` (``--day-convention`` is
    the CoinGecko importer's, with the same meaning)."""
    cmc = importer.add_argument_group("CoinMarketCap (cmc-snapshots, cmc-daily)")
    cmc.add_argument(
        "--coingecko",
        metavar="PATH",
        help="map CMC coins to the CoinGecko ids of this collection: a folder of per-coin "
        "files or a long table from 'indexlab data import coingecko' (same day convention); "
        "without it every coin keeps its own id cmc:...",
    )
    cmc.add_argument(
        "--overrides",
        metavar="FILE",
        help="CSV key,coingecko_id (an edited mapping listing will do): a CoinGecko id, "
        "'none' (keep the own id) or another own id cmc:...",
    )
    cmc.add_argument(
        "--mapping-out",
        metavar="FILE",
        help="where to write the mapping listing (default: OUT with .mapping.csv)",
    )
    cmc.add_argument(
        "--cap-basis",
        choices=("close", "open"),
        default="close",
        help="cmc-daily: the pages' market caps are open x supply; 'close' (default) "
        "rescales them by close / open, 'open' keeps them as printed",
    )


def _mapping_path(args: argparse.Namespace) -> Path:
    if args.mapping_out:
        return Path(args.mapping_out)
    out = Path(args.out)
    stem = out.name[: -len(".parquet")] if out.name.endswith(".parquet") else out.name
    return out.with_name(f"{stem}.mapping.csv")


def command_import(args: argparse.Namespace) -> int:
    from indexlab.sources.cmc import import_cmc_daily, import_cmc_snapshots
    from indexlab.sources.coingecko import write_long_table
    from indexlab.sources.progress import phase

    started = time.perf_counter()
    with phase(f"importing {args.source} ({args.provider})"):  # said on stderr after 2 s
        if args.provider == "cmc-snapshots":
            frame, report = import_cmc_snapshots(args.source, day_convention=args.day_convention)
        else:
            frame, report = import_cmc_daily(
                args.source, day_convention=args.day_convention, cap_basis=args.cap_basis
            )
    mapping_lines: list[str] = []
    if args.coingecko:
        frame, mapping_lines = _map(args, frame, report)
    elif args.overrides:
        print("note: --overrides has no effect without --coingecko (every coin keeps its own id)")
    notes: list[str] = []
    if args.bad_prints:
        from indexlab.quality import screen_long_table

        frame, notes = screen_long_table(frame, args.bad_prints, str(args.source))
        report.rows_written = len(frame)
    if args.coins:
        notes.append("--coins is for CoinGecko imports; CMC files carry their own names")
    path = write_long_table(frame, args.out, report)
    for line in report.lines() + mapping_lines:
        print(line)
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    return 0


def _map(args: argparse.Namespace, frame, report) -> tuple[object, list[str]]:
    """The table with CoinGecko ids, and the mapping report's lines."""
    from indexlab.sources.identity import match_coingecko
    from indexlab.sources.identity_files import load_coingecko_table, read_overrides

    coingecko, name = load_coingecko_table(args.coingecko, args.day_convention)
    overrides = read_overrides(args.overrides) if args.overrides else {}
    frame, mapping = match_coingecko(
        frame,
        coingecko,
        vendor=report.vendor,
        coingecko_name=name,
        overrides=overrides,
        overrides_origin=str(args.overrides),
    )
    mapping.overrides = args.overrides
    listing = mapping.write_csv(_mapping_path(args))
    report.mapping = {**mapping.to_dict(), "listing": str(listing)}
    return frame, [*mapping.lines(), f"wrote the mapping listing to {listing}"]
