"""The figure options of ``indexlab signals`` and ``indexlab scenario``: the marketing
figures' ``--title``, ``--subtitle``, ``--source``, ``--brand``, ``--format`` and
``--dpi`` (:mod:`indexlab.report.house`). Imports nothing heavy: the command line builds
its parsers before it knows which command runs."""

from __future__ import annotations

import argparse

# Mirrors indexlab.report.house (not imported here: it pulls in matplotlib).
FORMATS = ("png", "svg", "pdf")
DPI = 160


def _formats(text: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    if items == ("all",):
        return FORMATS
    if not items or any(item not in FORMATS for item in items):
        raise argparse.ArgumentTypeError(
            f"--format {text!r}: use one or more of {', '.join(FORMATS)}, comma-separated"
        )
    return items


def add_figure_options(parser: argparse.ArgumentParser, *, title: str, stem: str) -> None:
    """The options; ``title`` says what the default title is, ``stem`` names the file."""
    group = parser.add_argument_group(
        "figure",
        "the figure is 16:9 (12 x 6.75 in) in the house frame of 'indexlab figure': title, "
        "subtitle, chart, source line and the hypothetical-performance disclosure (always)",
    )
    group.add_argument("--title", help=f"the headline (default: {title})")
    group.add_argument("--subtitle", help="the line under it (default: what the chart shows)")
    group.add_argument(
        "--source",
        help="how the source line names the data (default: the data's provenance, never a "
        "local path)",
    )
    group.add_argument(
        "--brand",
        metavar="FILE",
        help="a brand file (TOML: colours, font family, logo); default: the house style "
        "(brands/house.toml shows every key)",
    )
    group.add_argument(
        "--format",
        type=_formats,
        default=("png",),
        metavar="FORMATS",
        help=f"{stem}.png, .svg and/or .pdf: png, svg, pdf, several comma-separated, or all "
        "(default: png)",
    )
    group.add_argument(
        "--dpi",
        type=float,
        default=DPI,
        help=f"PNG resolution: {DPI} dpi gives 1920 x 1080 px, 300 dpi 3600 x 2025 px "
        "(default: %(default)g)",
    )


def figure_options(args: argparse.Namespace):
    """The :class:`~indexlab.report.house.FigureOptions` the arguments ask for."""
    from indexlab.report import HOUSE, load_brand
    from indexlab.report.house import FigureOptions

    return FigureOptions(
        title=args.title,
        subtitle=args.subtitle,
        source=args.source,
        brand=load_brand(args.brand) if args.brand else HOUSE,
        formats=tuple(args.format),
        dpi=args.dpi,
    )
