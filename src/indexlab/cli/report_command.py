"""``indexlab report``, ``indexlab figure`` and ``indexlab export``: outputs made from
the files of a run folder alone (no market data needed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from indexlab.errors import IndexlabError


def _list(choices: tuple[str, ...], option: str):
    """An argparse type: a comma-separated subset of ``choices`` (``all`` for every one)."""

    def parse(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
        if items == ("all",):
            return choices
        bad = [item for item in items if item not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"{option} {text!r}: use one or more of {', '.join(choices)}, comma-separated"
            )
        return items

    return parse


# The commands of this module and their one-line help (the command line lists them
# without importing the rest).
COMMANDS = {
    "report": "rebuild a run folder's report.html and figures",
    "figure": "marketing figures of a run: 16:9, branded, with the disclosures",
    "export": "a run's main tables as CSV, Parquet or an Excel workbook",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    _add_report(commands)
    _add_figure(commands)
    _add_export(commands)


def _add_report(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report",
        help=COMMANDS["report"],
        description=(
            "Rebuild RUN_DIR/report.html and RUN_DIR/figures/*.png from the files of a run "
            "folder (no market data needed), including any sections saved in "
            "RUN_DIR/sections/ by other analyses."
        ),
    )
    report.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by 'indexlab run'")
    report.add_argument(
        "--quantstats",
        action="store_true",
        help="also write quantstats' HTML report of each portfolio in RUN_DIR/quantstats/ "
        "(N = 365, returns from the initial capital, so the initial buy's cost counts; "
        "needs pip install 'indexlab[quantstats]')",
    )
    report.add_argument(
        "--benchmark",
        metavar="PORTFOLIO",
        help="with --quantstats: the run's portfolio each report compares with, e.g. BTC "
        "(default: none)",
    )
    report.add_argument("--quiet", action="store_true", help="print nothing but errors")
    report.set_defaults(handler=command_report)


def _add_figure(commands: argparse._SubParsersAction) -> None:
    from indexlab.report.marketing import DEFAULT_FORMATS, DPI, FORMATS, KINDS

    figure = commands.add_parser(
        "figure",
        help=COMMANDS["figure"],
        description=(
            "Write 16:9 figures of a run for a web page or a slide: a title, a subtitle, the "
            "chart, a source and period line, and the hypothetical-performance disclosure "
            "(always). growth: growth of $10,000 (log scale); drawdown: falls from the "
            "previous peak; annual: calendar-year returns; allocation: the 10 largest "
            "holdings over time."
        ),
    )
    figure.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by 'indexlab run'")
    figure.add_argument(
        "--kind",
        type=_list(KINDS, "--kind"),
        default=("growth",),
        help=f"{', '.join(KINDS)}, several comma-separated, or all (default: growth)",
    )
    figure.add_argument(
        "--format",
        type=_list(FORMATS, "--format"),
        default=DEFAULT_FORMATS,
        help="png, svg, pdf, comma-separated (default: png,svg)",
    )
    figure.add_argument("--title", help="the headline (default: the strategy name)")
    figure.add_argument("--subtitle", help="the line under it (default: what the chart shows)")
    figure.add_argument(
        "--source", help="how the source line names the data (default: the run's data source)"
    )
    figure.add_argument(
        "--brand",
        metavar="FILE",
        help="a brand file (TOML: colours, font family, logo); default: the house style "
        "(brands/house.toml shows every key)",
    )
    figure.add_argument(
        "--dpi",
        type=float,
        default=DPI,
        help=f"PNG resolution: the canvas is 12 x 6.75 in, so {DPI} dpi gives 3600 x 2025 "
        "px and 100 dpi 1200 x 675 px (default: %(default)s)",
    )
    figure.add_argument("--out", metavar="DIR", help="output folder (default: RUN_DIR/marketing/)")
    figure.add_argument("--quiet", action="store_true", help="print nothing but errors")
    figure.set_defaults(handler=command_figure)


def _add_export(commands: argparse._SubParsersAction) -> None:
    from indexlab.export import FORMATS as EXPORT_FORMATS

    export = commands.add_parser(
        "export",
        help=COMMANDS["export"],
        description=(
            "Write the main tables of a run (assumptions, metrics, equity, daily returns, "
            "calendar-year and monthly returns, worst drawdowns, rebalances, weights) as CSV "
            "files, Parquet files or one Excel workbook (xlsx needs openpyxl: pip install "
            "'indexlab[export]')."
        ),
    )
    export.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by 'indexlab run'")
    export.add_argument(
        "--format",
        type=_list(EXPORT_FORMATS, "--format"),
        default=("xlsx",),
        help=f"{', '.join(EXPORT_FORMATS)}, several comma-separated (default: xlsx)",
    )
    export.add_argument("--out", metavar="DIR", help="output folder (default: RUN_DIR/export/)")
    export.add_argument("--quiet", action="store_true", help="print nothing but errors")
    export.set_defaults(handler=command_export)


def command_report(args: argparse.Namespace) -> int:
    from indexlab.report import read_run, write_report

    if args.benchmark is not None and not args.quantstats:
        raise IndexlabError("--benchmark goes with --quantstats: add --quantstats")
    run = read_run(args.run_dir)
    if args.benchmark is not None and args.benchmark not in run.equity.columns:
        raise IndexlabError(
            f"--benchmark {args.benchmark!r} is not a portfolio of {args.run_dir}: use one of "
            + ", ".join(map(str, run.equity.columns))
        )
    written = write_report(run, args.run_dir)
    if not args.quiet:
        print(f"Wrote {written[-1]} and {len(written) - 1} figures in {Path(args.run_dir)}/figures")
    if args.quantstats:
        from indexlab.bridges import write_quantstats_reports

        folder = Path(args.run_dir) / "quantstats"
        reports = write_quantstats_reports(run, folder, benchmark=args.benchmark)
        if not args.quiet:
            print(
                f"Wrote {len(reports)} quantstats reports in {folder}: "
                + ", ".join(path.name for path in reports)
            )
    return 0


def command_figure(args: argparse.Namespace) -> int:
    from indexlab.report import HOUSE, load_brand, read_run, save_marketing_figure

    if args.dpi <= 0 or args.dpi > 1200:
        raise IndexlabError(f"--dpi {args.dpi:g}: use a resolution between 1 and 1200")
    run = read_run(args.run_dir)
    brand = load_brand(args.brand) if args.brand else HOUSE
    out = Path(args.out) if args.out else Path(args.run_dir) / "marketing"
    for kind in args.kind:
        written = save_marketing_figure(
            run,
            kind,
            out,
            formats=args.format,
            dpi=args.dpi,
            title=args.title,
            subtitle=args.subtitle,
            source=args.source,
            brand=brand,
        )
        if not args.quiet:
            print("Wrote " + ", ".join(str(path) for path in written))
    return 0


def command_export(args: argparse.Namespace) -> int:
    from indexlab.export import export
    from indexlab.report import read_run

    run = read_run(args.run_dir)
    out = Path(args.out) if args.out else Path(args.run_dir) / "export"
    for path in export(run, out, formats=args.format):
        if not args.quiet:
            print(f"Wrote {path}")
    return 0
