"""``indexlab run STRATEGY.toml``: backtest a strategy file and write a run folder."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from indexlab.cli.options import add_bad_prints, load_data
from indexlab.errors import SpecError

# The commands of this module and their one-line help (the command line lists them
# without importing the rest).
COMMANDS = {
    "run": "backtest a strategy file and write a run folder",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    from indexlab.cli.options import parse_date

    run = commands.add_parser(
        "run",
        help=COMMANDS["run"],
        description=(
            "Backtest STRATEGY (a TOML file, see strategies/) and its benchmarks over the same "
            "dates and costs. Writes equity.csv, metrics.csv, weights.csv, trades.csv, "
            "liquidations.csv, daily_weights.parquet, assets.csv, manifest.json, report.html "
            "and figures/*.png (not with --no-report) into the output "
            "folder, replacing a previous run there only once the new one is complete, and "
            "prints the metrics table. Annualisation uses N = 365."
        ),
    )
    run.add_argument("strategy", metavar="STRATEGY.toml", help="the strategy file")
    run.add_argument(
        "--data",
        metavar="PATH",
        help="market data: a long table (CSV or Parquet) with columns date, asset, close, "
        "market_cap and optional volume, symbol, name, tags (see 'indexlab data import' to "
        "make one from CoinGecko files); without it the built-in synthetic demo market is used",
    )
    add_bad_prints(run)
    run.add_argument(
        "--source",
        metavar="TEXT",
        help='what figures and report.html say of the data, e.g. "CoinGecko, downloaded '
        '2025-07-08" (default: the vendor and download day recorded at import, else the '
        "file's name; never its folder)",
    )
    run.add_argument(
        "--total-market",
        metavar="FILE",
        help="total market cap series (CoinGecko's export snapped_at,market_cap,... or "
        "date,market_cap) for the 'total-market' benchmark and dominance",
    )
    run.add_argument("--out", metavar="DIR", help="output folder (default: runs/<strategy name>/)")
    run.add_argument(
        "--start",
        metavar="DATE",
        type=parse_date,
        help="first date of the run (overrides the file)",
    )
    run.add_argument(
        "--end", metavar="DATE", type=parse_date, help="last date (overrides the file)"
    )
    run.add_argument(
        "--no-report",
        dest="report",
        action="store_false",
        help="write the tables and manifest only, no report.html and no figures/ (drawing "
        "them is most of a short run's time); the manifest says so, and 'indexlab report "
        "OUT' makes them later",
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(handler=command_run)


def command_run(args: argparse.Namespace) -> int:
    import indexlab.sources  # noqa: F401  (loaded before the helper forks: both use it)
    from indexlab import run
    from indexlab.output import write_run
    from indexlab.paths import safe_component
    from indexlab.report.helper import report_helper

    # The report's helper forks once what both processes need is loaded, and loads
    # matplotlib while this one builds the market and runs the backtest.
    with report_helper(enabled=args.report):
        strategy = _strategy(args)
        market = _market(args)
        started = time.perf_counter()
        result = run(strategy, market, warn=False)  # the notes are printed below
        elapsed = time.perf_counter() - started
        out = Path(args.out) if args.out else Path("runs") / safe_component(strategy.name)
        write_run(result, out, run_seconds=elapsed, report=args.report)
    if not args.quiet:
        _say_done(args, result, market, elapsed, out)
    return 0


def _strategy(args: argparse.Namespace):
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
    return strategy


def _market(args: argparse.Namespace):
    from indexlab.sources.total_market import load_total_market_cap

    market = load_data(args)
    if args.source and args.source.strip():
        market = dataclasses.replace(market, provenance=" ".join(args.source.split()))
    if args.total_market:
        market = market.with_total_market_cap(load_total_market_cap(args.total_market))
    return market


def _say_done(args: argparse.Namespace, result, market, elapsed: float, out: Path) -> None:
    from indexlab.cli.text import metrics_text

    strategy = result.strategy
    say = print
    say(f"{strategy.name}: {strategy.description}" if strategy.description else strategy.name)
    for key, value in result.assumptions().items():
        say(f"  {key + ':':<15}{value}")
    for note in result.notes:
        say(f"  note: {note}")
    say("")
    say(metrics_text(result.metrics()))
    say("")
    if market.synthetic:
        say("Synthetic demo data: these numbers describe a generated market, not history.")
    say(f"Backtest {elapsed:.2f} s. Wrote {out}/ ({_written(args.report)})")
    if not args.report:
        say(f"No report (--no-report): 'indexlab report {out}' makes report.html and figures/.")


def _written(report: bool) -> str:
    return "report.html, equity.csv, metrics.csv, ..." if report else "equity.csv, metrics.csv, ..."
