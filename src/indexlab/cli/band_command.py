"""``indexlab band STRATEGY.toml [--data PATH] [--out DIR] [--start] [--end]
[--pessimistic zero|H]``: the survivorship band of a strategy (issue 16, item 6).

Writes into DIR (default ``runs/<strategy name>/band/``): ``band_equity.csv`` (date,
the optimistic and the pessimistic equity), ``band_metrics.csv`` (two rows) and
``band.png`` (the figure of :mod:`indexlab.report.band`), and prints the one-line
summary. Not yet listed in ``indexlab --help``: add ``"band_command"`` to
``indexlab.cli._MODULES``; until then ``python -m indexlab.cli.band_command ...``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from indexlab.cli.options import add_bad_prints, load_data, parse_date
from indexlab.errors import IndexlabError, SpecError

COMMANDS = {
    "band": "a strategy under the optimistic and the pessimistic delisting assumption",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    band = commands.add_parser(
        "band",
        help=COMMANDS["band"],
        description="Run a strategy twice on the same data: delisted positions turned into "
        "cash at their last close (optimistic) and written off or cut by a haircut "
        "(pessimistic); write both equity curves, two rows of metrics and the figure.",
    )
    add_arguments(band)
    band.set_defaults(handler=command_band)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("strategy", metavar="STRATEGY.toml", help="the strategy file")
    parser.add_argument("--data", metavar="PATH", help="market data (default: the demo market)")
    add_bad_prints(parser)
    parser.add_argument("--out", metavar="DIR", help="default: runs/<strategy name>/band/")
    parser.add_argument("--start", type=parse_date, metavar="DATE", help="first date")
    parser.add_argument("--end", type=parse_date, metavar="DATE", help="last date")
    parser.add_argument(
        "--pessimistic",
        default="zero",
        metavar="zero|H",
        help="the pessimistic assumption: zero (written off, the default) or a haircut "
        "fraction H in [0, 1]",
    )


def _pessimistic(text: str) -> str | float:
    if text in ("zero", "last_close"):
        return text
    try:
        return float(text)
    except ValueError:
        raise SpecError(
            f"--pessimistic: {text!r} is not 'zero' or a haircut fraction in [0, 1]"
        ) from None


def command_band(args: argparse.Namespace) -> int:
    from indexlab.engine.band import survivorship_band
    from indexlab.report.band import band_figure
    from indexlab.spec import Strategy

    strategy = Strategy.from_toml(args.strategy)
    overrides = {k: getattr(args, k) for k in ("start", "end") if getattr(args, k) is not None}
    if overrides:
        strategy = strategy.replace(**overrides)
    band = survivorship_band(strategy, load_data(args), pessimistic=_pessimistic(args.pessimistic))
    out = Path(args.out) if args.out else Path("runs") / strategy.name / "band"
    out.mkdir(parents=True, exist_ok=True)
    band.equity.to_csv(out / "band_equity.csv", float_format="%.12g")
    band.metrics().to_csv(out / "band_metrics.csv", float_format="%.12g")
    band_figure(band).savefig(out / "band.png", dpi=150)
    print(band.summary())
    print(f"Wrote band_equity.csv, band_metrics.csv and band.png to {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m indexlab.cli.band_command STRATEGY.toml ...`` until the command is
    registered: errors as one line on stderr, like every command."""
    parser = argparse.ArgumentParser(prog="indexlab band", description=COMMANDS["band"])
    add_arguments(parser)
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        return command_band(args)
    except (IndexlabError, OSError) as exc:
        print(f"indexlab: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
