"""``indexlab signals ASSET``: the price card of an asset and how its signal's flips did."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from indexlab.cli.figure_options import add_figure_options, figure_options
from indexlab.cli.options import add_bad_prints, load_data
from indexlab.errors import SpecError

if TYPE_CHECKING:
    import pandas as pd

    from indexlab.market import Market
    from indexlab.signals import Signal

DEFAULT_RULE = "sma-cross:50,200"


# The commands of this module and their one-line help (the command line lists them
# without importing the rest).
COMMANDS = {
    "signals": "an asset's price card and the performance of its signal's flips",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    from indexlab.cli.options import parse_date

    signals = commands.add_parser(
        "signals",
        help=COMMANDS["signals"],
        description=(
            "Print the price context card of ASSET (price, market-cap rank, returns over 7 "
            "and 30 days, 1 year and year to date, the current signal, the return since its "
            "last flip, dominance) and the table of the signal's flips, and compare following "
            "the signal (with costs per flip) with buy-and-hold. A signal dated t is traded "
            "at the close of t + LAG. Writes card.csv, flips.csv, segment_stats.csv, "
            "metrics.csv, equity.csv, summary.txt, manifest.json and figures/signals.png (and "
            ".svg or .pdf with --format) into the output folder, replacing a previous one "
            "only once complete."
        ),
    )
    signals.add_argument("asset", metavar="ASSET", help="an asset id (tron) or unambiguous symbol")
    _add_source_options(signals, parse_date)
    _add_trading_options(signals)
    _add_grade_options(signals)
    signals.add_argument("--out", metavar="DIR", help="output folder (default runs/signals-ASSET/)")
    signals.add_argument(
        "--into",
        metavar="RUN_DIR",
        help="also add the card, the flips and the figure as a section of that run's report",
    )
    signals.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_figure_options(signals, title="SYMBOL (asset): the signal's label", stem="signals")
    signals.set_defaults(handler=command_signals)


def _add_source_options(
    signals: argparse.ArgumentParser, parse_date: Callable[[str], pd.Timestamp]
) -> None:
    """The signal (a file or a rule), the market data and the dates."""
    source = signals.add_mutually_exclusive_group()
    source.add_argument(
        "--signal",
        metavar="FILE",
        help="a signal file (CSV or Parquet): date, asset, signal with values bullish / "
        "bearish / neutral or +1 / -1 / 0 (a value holds until the next); or date, asset, "
        "score with 0-100 grades",
    )
    source.add_argument(
        "--rule",
        metavar="RULE",
        help=f"a built-in signal: sma-cross:FAST,SLOW, momentum:DAYS or above-sma:DAYS "
        f"(default {DEFAULT_RULE})",
    )
    signals.add_argument(
        "--data",
        metavar="PATH",
        help="market data, a long table (CSV or Parquet); without it the built-in synthetic "
        "demo market is used",
    )
    add_bad_prints(signals)
    signals.add_argument(
        "--total-market", metavar="FILE", help="total market cap series, for dominance"
    )
    signals.add_argument(
        "--date",
        metavar="DATE",
        type=parse_date,
        help="the as-of date: data after it are not used (default: the asset's last close)",
    )
    signals.add_argument(
        "--start", metavar="DATE", type=parse_date, help="first date of the flip analysis"
    )


def _add_trading_options(signals: argparse.ArgumentParser) -> None:
    """How the signal is followed: the lag, the costs per flip, short or cash."""
    signals.add_argument(
        "--lag-days",
        type=int,
        default=1,
        metavar="N",
        help="a signal dated t is traded at the close of t + N (default 1; 0 = same close)",
    )
    signals.add_argument(
        "--fee-bps", type=float, default=10.0, metavar="BPS", help="fee per flip (default 10)"
    )
    signals.add_argument(
        "--slippage-bps",
        type=float,
        default=5.0,
        metavar="BPS",
        help="slippage per flip (default 5)",
    )
    signals.add_argument(
        "--short", action="store_true", help="follow bearish signals short instead of in cash"
    )


def _add_grade_options(signals: argparse.ArgumentParser) -> None:
    """How a signal file of 0-100 grades is read."""
    signals.add_argument(
        "--threshold",
        type=float,
        default=50.0,
        metavar="SCORE",
        help="grades: bullish at or above this score (default 50)",
    )
    signals.add_argument(
        "--cutoffs",
        metavar="A,B,C,D",
        default="20,40,60,80",
        help="grades: the scores where sell, neutral, buy and strong buy begin "
        "(default 20,40,60,80)",
    )


def _cutoffs(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise SpecError(f"--cutoffs {text!r}: expected four numbers, e.g. 20,40,60,80") from None


def command_signals(args: argparse.Namespace) -> int:
    from indexlab.report import add_to_run, read_run
    from indexlab.signals_output import (
        default_out_dir,
        signals_section,
        study_signal,
        summary_text,
        write_signals,
    )

    if args.into:  # fail before any work if it is not a run folder
        read_run(args.into)
    options = figure_options(args)  # a bad brand file fails before any work too
    started = time.perf_counter()
    market = _market(args)
    asset = market.resolve_asset(args.asset, field_name="ASSET")
    if args.date is not None and not market.start <= args.date <= market.end:
        raise SpecError(
            f"--date {args.date.date()}: outside the data ({market.start.date()} .. "
            f"{market.end.date()})"
        )
    signal, label = _signal(args, market, asset)
    study = study_signal(
        market,
        asset,
        signal,
        label,
        as_of=args.date,
        start=args.start,
        lag_days=args.lag_days,
        fee_bps=args.fee_bps,
        slippage_bps=args.slippage_bps,
        short=args.short,
    )
    out = Path(args.out) if args.out else default_out_dir(asset)
    write_signals(study, out, run_seconds=time.perf_counter() - started, options=options)
    if args.into:
        report = add_to_run(args.into, signals_section(study, options))
    if not args.quiet:
        print(summary_text(study))
        shown = ", ".join(f"figures/signals.{fmt}" for fmt in options.formats)
        print(f"\nWrote {out}/ (card.csv, flips.csv, equity.csv, {shown}, ...)")
        if args.into:
            print(f"Added the section to {report}")
    return 0


def _market(args: argparse.Namespace) -> Market:
    from indexlab.sources.total_market import load_total_market_cap

    market = load_data(args)
    if args.total_market:
        market = market.with_total_market_cap(load_total_market_cap(args.total_market))
    return market


def _signal(args: argparse.Namespace, market: Market, asset: str) -> tuple[Signal, str]:
    """The signal of ``--signal FILE`` or ``--rule RULE``, and how outputs name it."""
    from indexlab.signals import RatingBands, parse_rule, read_signal

    if args.signal:
        bands = RatingBands(_cutoffs(args.cutoffs))  # type: ignore[arg-type]
        signal = read_signal(args.signal, market, threshold=args.threshold, bands=bands)
        return signal, f"signal file {Path(args.signal).name}"
    rule = parse_rule(args.rule or DEFAULT_RULE)
    return rule.signal(market, [asset]), rule.label
