"""The ``indexlab`` command line.

Errors exit non-zero with one line on stderr, never a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from indexlab.errors import IndexlabError, SpecError

EXIT_ERROR = 1


def _date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    from indexlab import __version__

    parser = argparse.ArgumentParser(
        prog="indexlab",
        description=(
            "Backtest crypto indices: top-N selection by market cap, weighting, rebalancing "
            "and costs, simulated day by day with no look-ahead, against benchmarks."
        ),
        epilog="Run 'indexlab run --help' for the backtest options.",
    )
    parser.add_argument("--version", action="version", version=f"indexlab {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the Python traceback of an error"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="backtest a strategy file and write a run folder",
        description=(
            "Backtest STRATEGY (a TOML file, see strategies/) and its benchmarks over the same "
            "dates and costs. Writes equity.csv, metrics.csv, weights.csv, trades.csv, "
            "liquidations.csv, manifest.json, report.html and figures/*.png into the output "
            "folder, replacing a previous run there only once the new one is complete, and "
            "prints the metrics table. Annualisation uses N = 365."
        ),
    )
    run.add_argument("strategy", metavar="STRATEGY.toml", help="the strategy file")
    run.add_argument(
        "--data",
        metavar="PATH",
        help="market data: a long table (CSV or Parquet) with columns date, asset, close, "
        "market_cap and optional volume, symbol, name, tags; without it the built-in "
        "synthetic demo market is used",
    )
    run.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: runs/<strategy name>/)",
    )
    run.add_argument(
        "--start", metavar="DATE", type=_date, help="first date of the run (overrides the file)"
    )
    run.add_argument(
        "--end", metavar="DATE", type=_date, help="last date of the run (overrides the file)"
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def format_metrics(table: pd.DataFrame) -> str:
    """The metrics table as aligned text, one row per metric and one column per
    portfolio, each cell formatted as the report formats it."""
    from indexlab.report.tearsheet import format_metric

    header = ["", *map(str, table.index)]
    rows = [header]
    for name in table.columns:
        rows.append([name, *(format_metric(name, v) for v in table[name].to_numpy(dtype=float))])
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    return "\n".join(
        "  ".join(
            text.ljust(widths[k]) if k == 0 else text.rjust(widths[k]) for k, text in enumerate(row)
        )
        for row in rows
    )


def _command_run(args: argparse.Namespace) -> int:
    from indexlab import demo_market, load_market, run
    from indexlab.output import write_run
    from indexlab.spec import Strategy

    strategy = Strategy.from_toml(args.strategy)
    overrides = {k: getattr(args, k) for k in ("start", "end") if getattr(args, k) is not None}
    if overrides:
        strategy = strategy.replace(**overrides)
        if (
            strategy.start is not None
            and strategy.end is not None
            and strategy.end < strategy.start
        ):
            raise SpecError(f"--end {strategy.end.date()} is before start {strategy.start.date()}")
    market = load_market(args.data) if args.data else demo_market()
    started = time.perf_counter()
    result = run(strategy, market)
    elapsed = time.perf_counter() - started
    out = Path(args.out) if args.out else Path("runs") / strategy.name
    write_run(result, out, run_seconds=elapsed)
    if not args.quiet:
        say = print
        say(f"{strategy.name}: {strategy.description}" if strategy.description else strategy.name)
        for key, value in result.assumptions().items():
            say(f"  {key + ':':<15}{value}")
        for note in result.notes:
            say(f"  note: {note}")
        say("")
        say(format_metrics(result.metrics()))
        say("")
        if market.synthetic:
            say("Synthetic demo data: these numbers describe a generated market, not history.")
        say(f"Backtest {elapsed:.2f} s. Wrote {out}/ (report.html, equity.csv, metrics.csv, ...)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        return _command_run(args)
    except IndexlabError as exc:
        if args.debug:
            raise
        print(f"indexlab: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, MemoryError) as exc:
        if args.debug:
            raise
        print(f"indexlab: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("indexlab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, with the way to see more
        if args.debug:
            raise
        print(
            f"indexlab: internal error: {type(exc).__name__}: {exc} (rerun with --debug for "
            "the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
