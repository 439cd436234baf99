"""``indexlab data import|info|validate|fetch``: market data in and checked."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from indexlab.cli.options import BAD_PRINTS_HELP

LIST_LIMIT = 8


# The commands of this module and their one-line help (the command line lists them
# without importing the rest).
COMMANDS = {
    "data": "import, inspect, validate, fetch and merge market data",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser(
        "data",
        help=COMMANDS["data"],
        description="Market data: import CoinGecko histories into the long table indexlab "
        "reads, describe and validate a data file, and download histories.",
    )
    data.set_defaults(command_parser=data)
    actions = data.add_subparsers(dest="data_command", metavar="ACTION")
    _add_import(actions)
    _add_info(actions)
    _add_validate(actions)
    _add_fetch(actions)
    from indexlab.cli import merge_command  # several vendors' tables as one (docs/vendors.md)

    merge_command.add_parser(actions)


def _add_import(actions: argparse._SubParsersAction) -> None:
    from indexlab.sources.coingecko import DAY_CONVENTIONS

    importer = actions.add_parser(
        "import",
        help="turn a folder of per-coin histories into a long-table Parquet file",
        description="Import a folder of CoinGecko market_chart histories (CSV "
        "timestamp,price,volume,market_cap, gzipped or not, or the API's JSON) into the "
        "long table of indexlab (Parquet). One point per UTC day is kept (the 00:00 UTC "
        "snapshot, else the day's last point); every rule applied is counted in the summary "
        "printed at the end and stored in the file.",
    )
    from indexlab.cli import cmc_command  # CoinMarketCap importers (docs/vendors.md)

    importer.add_argument(
        "provider", choices=["coingecko", *cmc_command.PROVIDERS], help="the format of SOURCE"
    )
    importer.add_argument("source", metavar="SOURCE", help="folder of <coingecko-id> files")
    importer.add_argument("--out", metavar="FILE", required=True, help="the Parquet file to write")
    importer.add_argument(
        "--coins",
        metavar="FILE",
        help="coins list for symbols and names (coin_id,symbol,name CSV or /coins/list JSON; "
        "default: coins.csv or coins.json in SOURCE or beside it)",
    )
    importer.add_argument(
        "--day-convention",
        choices=DAY_CONVENTIONS,
        default="snapshot",
        help="which day a 00:00 UTC snapshot stands for: 'snapshot' = its own date, as "
        "CoinGecko labels it (default); 'previous' = the day before, whose close it is",
    )
    importer.add_argument(
        "--dead-feed-days",
        type=int,
        default=14,
        metavar="N",
        help="flag runs of at least N identical daily prices (default 14)",
    )
    importer.add_argument(
        "--bad-prints",
        choices=("note", "drop", "error"),
        help=BAD_PRINTS_HELP + " (default: not checked here; every read of the file notes them)",
    )
    cmc_command.add_arguments(importer)
    importer.set_defaults(handler=command_import)


def _add_info(actions: argparse._SubParsersAction) -> None:
    from indexlab.cli.options import parse_date

    info = actions.add_parser(
        "info",
        help="what a data file holds",
        description="Describe a long-table file: date range, assets with a market cap per "
        "year, the largest assets on a date, gaps inside assets' lives, tags, and assets that "
        "look like stablecoins or wrapped tokens (for you to confirm).",
    )
    info.add_argument("path", metavar="PATH", help="a long table (CSV or Parquet)")
    info.add_argument(
        "--date",
        type=parse_date,
        metavar="DATE",
        help="date of the largest-assets table (default: the last date)",
    )
    info.add_argument("--top", type=int, default=10, metavar="N", help="how many largest (10)")
    info.add_argument("--total-market", metavar="FILE", help="total market cap, for dominance")
    info.set_defaults(handler=command_info)


def _add_validate(actions: argparse._SubParsersAction) -> None:
    validate = actions.add_parser(
        "validate",
        help="errors and warnings of a data file",
        description="Check a long-table file: errors (the file cannot be used; exit 1) and "
        "warnings (it can, but something looks wrong: dead feeds, extreme moves, supply "
        "jumps, data that stop just before the end).",
    )
    validate.add_argument("path", metavar="PATH", help="a long table (CSV or Parquet)")
    validate.add_argument("--all", action="store_true", help="list every warning")
    validate.add_argument(
        "--bad-prints",
        choices=("note", "drop", "error"),
        default="note",
        help=BAD_PRINTS_HELP + " (default: note)",
    )
    validate.set_defaults(handler=command_validate)


def _add_fetch(actions: argparse._SubParsersAction) -> None:
    fetch = actions.add_parser(
        "fetch",
        help="download histories from CoinGecko's API",
        description="Download the market_chart history of the top N coins by market cap "
        "from CoinGecko into DIR/coins/<id>.json, with DIR/coins.csv (symbols and names): "
        "the format 'indexlab data import coingecko DIR/coins' reads. Rate limited, retried "
        "with backoff, resumable (complete files are skipped). Needs internet access.",
    )
    fetch.add_argument("provider", choices=["coingecko"])
    fetch.add_argument("--top", type=int, required=True, metavar="N", help="how many coins")
    fetch.add_argument("--out", metavar="DIR", required=True, help="the folder to write")
    fetch.add_argument(
        "--api-key",
        metavar="KEY",
        help="CoinGecko API key; prefer the COINGECKO_API_KEY environment variable (a key "
        "on the command line ends up in shell history); none: the public API",
    )
    fetch.add_argument("--pro", action="store_true", help="the key is a paid (Pro) API key")
    fetch.add_argument("--base-url", metavar="URL", help="another API host (a mirror, a proxy)")
    fetch.add_argument(
        "--days",
        metavar="DAYS",
        help="history length: 'max' or a number of days (default: max with --pro, else 365, "
        "the most CoinGecko serves without a paid plan)",
    )
    fetch.add_argument(
        "--min-interval",
        type=float,
        metavar="SECONDS",
        help="least time between requests (default: public 2.5, demo key 1.0, pro 0.5)",
    )
    fetch.add_argument("--refresh", action="store_true", help="download complete files again")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    fetch.set_defaults(handler=command_fetch)


def _print_section(title: str, body: str) -> None:
    print(f"\n{title}")
    print("  " + body.replace("\n", "\n  ") if body else "  (none)")


def command_import(args: argparse.Namespace) -> int:
    from indexlab.sources.coingecko import import_coingecko, write_long_table
    from indexlab.sources.progress import phase

    if args.provider != "coingecko":
        from indexlab.cli.cmc_command import command_import as import_cmc

        return import_cmc(args)

    started = time.perf_counter()
    # Silent for 10-30 s on a large collection: said on stderr after 2 s.
    with phase(f"importing {args.source} (CoinGecko histories)"):
        frame, summary = import_coingecko(
            args.source,
            coins_list=args.coins,
            day_convention=args.day_convention,
            dead_feed_days=args.dead_feed_days,
        )
    notes: list[str] = []
    if args.bad_prints:
        from indexlab.quality import screen_long_table

        with phase(f"screening {len(frame):,} rows for bad prints"):
            frame, notes = screen_long_table(frame, args.bad_prints, str(args.source))
        summary.rows_written = len(frame)
    with phase(f"writing {args.out}"):
        path = write_long_table(frame, args.out, summary)
    for line in summary.lines():
        print(line)
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    return 0


def command_info(args: argparse.Namespace) -> int:
    from indexlab import inspect, load_market
    from indexlab.cli.text import aligned, frame_text
    from indexlab.sources.coingecko import read_import_summary
    from indexlab.sources.progress import phase

    with phase(f"reading {args.path}"):
        market = load_market(args.path, total_market=args.total_market)
    with phase(f"describing {len(market.asset_ids):,} assets over {len(market.dates):,} days"):
        info = inspect.describe(market, args.date, top=args.top)
    print(aligned([[f"{k}:", v] for k, v in info.summary.items()], left_columns=2))
    stored = read_import_summary(args.path) if str(args.path).endswith(".parquet") else None
    if stored:
        print(
            f"imported from {stored['source']} (day convention {stored['day_convention']}); "
            f"{stored['points_dropped_intraday']:,} intraday points dropped, "
            f"{stored['market_caps_missing']:,} market caps read as unknown"
        )
    _print_section("Assets per year", frame_text(info.per_year, index=True))
    money = {"market_cap": lambda v: f"{v:,.0f}", "close": lambda v: f"{v:,.6g}"}
    money["dominance"] = lambda v: f"{v:.2%}"
    date = (args.date or market.end).date()
    _print_section(f"The {args.top} largest on {date}", frame_text(info.largest, money, 4))
    longest = info.gaps.head(LIST_LIMIT)
    _print_section(
        f"Gaps inside assets' lives ({len(info.gaps)}, longest first)", frame_text(longest, {}, 3)
    )
    _print_section("Tags found", frame_text(info.tags))
    shares = {
        c: (lambda v: f"{v:.1%}")
        for c in ("share_near_peg", "best_window_share", "share_tracking", "drift_per_year")
    }
    ratios = {c: (lambda v: f"{v:.4g}") for c in ("median_price", "median_ratio")}
    for title, table in info.candidates.items():
        untagged = table[~table["tagged"]] if "tagged" in table else table
        untagged = untagged.drop(columns=["tagged"], errors="ignore")
        left = [c for c in ("asset", "symbol", "name", "tracks", "criterion") if c in untagged]
        untagged = untagged[left + [c for c in untagged.columns if c not in left]]
        _print_section(
            f"{title.capitalize()} not tagged yet ({len(untagged)}; confirm, then add them to "
            "a tag file)",
            frame_text(untagged.head(LIST_LIMIT * 2), {**shares, **ratios}, len(left)),
        )
    for note in info.notes:
        print(f"note: {note}")
    return 0


def command_validate(args: argparse.Namespace) -> int:
    from indexlab import inspect, load_market

    market = load_market(args.path, bad_prints=args.bad_prints)  # errors: one line, exit 1
    found = inspect.validate(market)
    total = sum(len(v) for v in found.values())
    print(f"{args.path}: no errors; {total} warning(s)")
    for kind, messages in found.items():
        print(f"\n{kind} ({len(messages)}):")
        shown = messages if args.all else messages[:LIST_LIMIT]
        for message in shown:
            print(f"  {message}")
        if len(shown) < len(messages):
            print(f"  ... and {len(messages) - len(shown)} more (--all lists them)")
    return 0


def command_fetch(args: argparse.Namespace) -> int:
    from indexlab.sources.coingecko_fetch import fetch_coingecko

    summary = fetch_coingecko(
        Path(args.out),
        top=args.top,
        api_key=args.api_key,
        pro=args.pro,
        base_url=args.base_url,
        days=args.days or ("max" if args.pro else "365"),
        refresh=args.refresh,
        min_interval_s=args.min_interval,
        progress=not args.quiet,
    )
    if summary.ok:
        return 0
    if args.quiet:
        print(
            f"indexlab: {len(summary.failed) + len(summary.not_attempted)} coins were not "
            "downloaded; run the same command again to retry them",
            file=sys.stderr,
        )
    return 1
