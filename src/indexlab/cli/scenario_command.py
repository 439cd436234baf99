"""``indexlab scenario ASSET --tiers 8T,16T``: prices at total-market tiers, and back."""

from __future__ import annotations

import argparse
import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from indexlab.cli.figure_options import add_figure_options, figure_options
from indexlab.cli.options import add_bad_prints, load_data
from indexlab.errors import SpecError
from indexlab.scenario_defaults import DEFAULT_LOOKBACK_YEARS, DEFAULT_SHARES

if TYPE_CHECKING:
    from indexlab.report.house import FigureOptions
    from indexlab.scenarios import Scenario


# The commands of this module and their one-line help (the command line lists them
# without importing the rest).
COMMANDS = {
    "scenario": "an asset's price at total crypto market cap tiers, under share cases",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "scenario",
        help=COMMANDS["scenario"],
        description=(
            "Market-share arithmetic made explicit: price = share x total market cap / supply. "
            "For each tier and share case, prints the price and its multiple of the price on "
            "the as-of date; with --target, the total market cap at which each case reaches "
            "that price. Writes scenario.csv, inverse.csv, scenario.json and scenario.png (and "
            ".svg or .pdf with --format) into the output folder, replacing a previous one "
            "only once all are written. "
            "Shares need the total market cap (--total-market); on the demo market, which "
            "has none, the sum of its assets' market caps stands in, and every output says so."
        ),
    )
    command.add_argument("asset", metavar="ASSET", help="an asset id (tron) or a unique symbol")
    _add_case_options(command)
    _add_data_options(command)
    command.add_argument(
        "--out", metavar="DIR", help="output folder (default: runs/scenario-ASSET/)"
    )
    command.add_argument(
        "--into",
        metavar="RUN_DIR",
        help="also add the table and the figure as a section of that run's report",
    )
    command.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_figure_options(
        command, title="SYMBOL (asset): price at total crypto market cap tiers", stem="scenario"
    )
    command.set_defaults(handler=command_scenario)


def _add_case_options(command: argparse.ArgumentParser) -> None:
    """The tiers, the share cases, the as-of date, the supply and the targets."""
    from indexlab.cli.options import parse_date

    command.add_argument(
        "--tiers",
        required=True,
        metavar="LIST",
        help="total market caps in USD, comma-separated: 8T,16T,23T,31T; suffixes K, M, B, T "
        "(1.5T, 500B) or plain numbers (2e12)",
    )
    command.add_argument(
        "--shares",
        default=DEFAULT_SHARES,
        metavar="CASES",
        help="share cases NAME=HOW, comma-separated: pQ = the Q-th percentile of the daily "
        "share over the lookback, as-of = the share on the as-of date, or a number "
        f"(0.005 or 0.5%%); default {DEFAULT_SHARES}",
    )
    command.add_argument(
        "--lookback-years",
        type=float,
        default=DEFAULT_LOOKBACK_YEARS,
        metavar="YEARS",
        help=f"the window of the percentile cases, ending on the as-of date (default "
        f"{DEFAULT_LOOKBACK_YEARS:g}: 1,461 days)",
    )
    command.add_argument(
        "--as-of",
        type=parse_date,
        metavar="DATE",
        help="date of the price, market cap, supply and share (default: the asset's last day "
        "with all of them)",
    )
    command.add_argument(
        "--supply-growth",
        metavar="RATE",
        help="annual growth of the circulating supply up to --horizon: 2%%, 0.02, or "
        "--supply-growth=-1%% for a burn (default: none)",
    )
    command.add_argument(
        "--horizon", type=parse_date, metavar="DATE", help="date the supply is grown to"
    )
    command.add_argument(
        "--target",
        metavar="PRICE",
        help="target price(s), comma-separated: the total market cap at which each case "
        "reaches it, and its multiple of today's total",
    )


def _add_data_options(command: argparse.ArgumentParser) -> None:
    """The market data and the total market cap series."""
    command.add_argument(
        "--data",
        metavar="PATH",
        help="market data: a long table (CSV or Parquet, see 'indexlab data import'); "
        "without it the built-in synthetic demo market is used",
    )
    add_bad_prints(command)
    command.add_argument(
        "--total-market",
        metavar="FILE",
        help="total market cap series (CoinGecko's export snapped_at,market_cap,... or "
        "date,market_cap); needed with --data unless every share is a number",
    )


def command_scenario(args: argparse.Namespace) -> int:
    from indexlab.scenario_output import default_out_dir, write_scenario
    from indexlab.scenarios import (
        parse_rate,
        parse_shares,
        parse_tiers,
        scenario,
        total_from_assets,
    )
    from indexlab.sources.total_market import load_total_market_cap

    if args.into:  # fail before any work if it is not a run folder
        from indexlab.report import read_run

        read_run(args.into)
    options = figure_options(args)  # a bad brand file fails before any work too
    tiers = parse_tiers(args.tiers, field_name="--tiers")
    shares = parse_shares(args.shares, field_name="--shares")
    targets = _parse_targets(args.target) if args.target else ()
    growth = (
        parse_rate(args.supply_growth, field_name="--supply-growth") if args.supply_growth else 0.0
    )
    market = load_data(args)
    if args.total_market:
        market = market.with_total_market_cap(load_total_market_cap(args.total_market))
    elif market.synthetic:
        market = total_from_assets(market)
    result = scenario(
        market,
        args.asset,
        tiers,
        as_of=args.as_of,
        shares=shares,
        lookback_years=args.lookback_years,
        supply_growth=growth,
        horizon=args.horizon,
        targets=targets,
    )
    out = Path(args.out) if args.out else default_out_dir(result.asset)
    write_scenario(result, out, options)
    if args.into:
        _add_section(args.into, result, options)
    if not args.quiet:
        print(scenario_text(result))
        print("")
        files = "scenario.csv, inverse.csv, " if targets else "scenario.csv, "
        shown = ", ".join(f"scenario.{fmt}" for fmt in options.formats)
        print(f"Wrote {out}/ ({files}scenario.json, {shown})")
    return 0


def _add_section(run_dir: str, result: Scenario, options: FigureOptions) -> None:
    """The table and the figure as a section of that run's report."""
    from indexlab.paths import section_key
    from indexlab.report import ReportFigure, ReportSection, add_to_run
    from indexlab.report.sections import text_html
    from indexlab.scenario_output import scenario_figure

    figure = scenario_figure(result, options)
    section = ReportSection(
        key=section_key("scenario", result.asset),
        title=f"Scenario price bands: {result.asset}",
        html=text_html(scenario_text(result)),
        figures=(ReportFigure.of(figure, "Price at total market cap tiers"),),
        order=300,
    )
    add_to_run(run_dir, section)


def _parse_targets(text: str) -> list[float]:
    targets = []
    for item in text.split(","):
        try:
            value = float(item.strip().removeprefix("$"))
        except ValueError:
            raise SpecError(f"--target: {item.strip()!r} is not a price; write e.g. 1.00") from None
        if not (math.isfinite(value) and value > 0):
            raise SpecError(f"--target: {item.strip()!r} is not a price; a target must be > 0")
        targets.append(value)
    return targets


def scenario_text(result: Scenario) -> str:
    """The terminal's view: assumptions, prices per tier and case, and the inverse."""
    from indexlab.cli.text import aligned
    from indexlab.scenarios import format_amount, format_price

    lines = [f"{result.label} at total crypto market cap tiers, as of {result.as_of.date()}"]
    lines += [f"  {key + ':':<15}{value}" for key, value in result.assumptions().items()]
    cases = [case.name for case in result.cases]
    rows = [["total market cap", *cases]]
    for tier, cells in result.table.groupby("tier", sort=False):
        rows.append(
            [
                str(tier),
                *(
                    f"{format_price(p)} ({m:,.2f}x)"
                    for p, m in zip(cells.price, cells.multiple, strict=True)
                ),
            ]
        )
    lines += ["", f"Price (multiple of today's {format_price(result.price_as_of)}):"]
    lines += [aligned(rows)]
    for note in result.share_notes:
        lines += ["", textwrap.fill(f"Note: {note}", width=100, subsequent_indent="  ")]
    for target, cells in result.inverse.groupby("target_price", sort=False):
        lines += [
            "",
            f"Total market cap at which {result.symbol} reaches {format_price(target)} "
            f"({target / result.price_as_of:,.2f}x today's price):",
        ]
        rows = [["case", "share", "total market cap", "x today's total"]]
        for cell in cells.itertuples():
            multiple = "–" if math.isnan(cell.total_multiple) else f"{cell.total_multiple:,.2f}x"
            rows.append(
                [
                    str(cell.case),
                    f"{cell.share:.3%}",
                    f"${format_amount(cell.total_market_cap)}",
                    multiple,
                ]
            )
        lines += [aligned(rows)]
    if result.synthetic:
        lines += [
            "",
            "Synthetic demo data: these numbers describe a generated market, not history.",
        ]
    return "\n".join(lines)
