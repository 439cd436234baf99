"""``indexlab band STRATEGY.toml [--data PATH] [--out DIR] [--start] [--end]
[--pessimistic zero|H]``: the survivorship band of a strategy (issue 16, item 6).

Writes into DIR (default ``runs/<strategy name>-band/``), replacing it only once every
file is written: ``band_equity.csv`` (date, the optimistic and the pessimistic equity),
``band_metrics.csv`` (two rows), ``band.png`` (the figure of :mod:`indexlab.report.band`)
and ``manifest.json``, and prints the one-line summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from indexlab.cli.options import add_bad_prints, load_data, parse_date
from indexlab.errors import IndexlabError, SpecError
from indexlab.paths import safe_component

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
    parser.add_argument("--out", metavar="DIR", help="default: runs/<strategy name>-band/")
    parser.add_argument("--start", type=parse_date, metavar="DATE", help="first date")
    parser.add_argument("--end", type=parse_date, metavar="DATE", help="last date")
    parser.add_argument(
        "--into",
        metavar="RUN_DIR",
        help="also add the band (figure, two rows of metrics) as a section of that run's "
        "report; the run must be of the same strategy",
    )
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
    market = load_data(args)
    if args.into:
        _check_run(Path(args.into), strategy, market)
    band = survivorship_band(strategy, market, pessimistic=_pessimistic(args.pessimistic))
    default = Path("runs") / f"{safe_component(strategy.name, fallback='strategy')}-band"
    out = Path(args.out) if args.out else default
    figure = band_figure(band)
    section = band_section(band, figure) if args.into else None
    write_band(band, figure, out)
    print(band.summary())
    print(f"Wrote band_equity.csv, band_metrics.csv and band.png to {out}")
    if section is not None:
        from indexlab.report.tearsheet import add_to_run

        print(f"Added the section to {add_to_run(args.into, section)}")
    return 0


def _check_run(run_dir: Path, strategy, market) -> None:
    """The run folder holds a run of the band's strategy (its delisting assumption aside)
    on the same data: a band of another design or data in its report would misstate both."""
    from indexlab.coverage import data_label
    from indexlab.report.rundata import MANIFEST
    from indexlab.report.runfiles import need_file, read_manifest
    from indexlab.spec import Strategy

    manifest = read_manifest(need_file(run_dir, MANIFEST))
    theirs = Strategy.from_dict(manifest.get("strategy", {}))
    if theirs.name != strategy.name:
        raise SpecError(
            f"--into {run_dir}: it holds a run of {theirs.name!r}, the band is of "
            f"{strategy.name!r}; add the band to a run of the same strategy"
        )
    mine = strategy.replace(**{"costs.delisting": theirs.costs.delisting})
    if mine != theirs:
        raise SpecError(
            f"--into {run_dir}: its run of {theirs.name!r} was made with other settings "
            "(e.g. --start/--end or an edited file); run the band with the same ones"
        )
    data = manifest.get("data", {})
    same = (
        data.get("sha256") == market.source_sha256
        if data.get("sha256") and market.source_sha256
        else data.get("source") == data_label(market)
    )
    if not same:
        raise SpecError(
            f"--into {run_dir}: its run used the data {data.get('source')!r}, the band "
            f"{data_label(market)!r}; pass the run's --data"
        )


SHOWN_METRICS = ("total_return", "cagr", "volatility", "max_drawdown", "sharpe")


def band_section(band, figure):
    """The band as a section of a run's report: the summary, two rows of metrics and the
    figure (shown after the run's own sections, before added analyses)."""
    import pandas as pd

    from indexlab.report import ReportFigure, ReportSection
    from indexlab.report.formats import METRIC_FORMATS, format_metric
    from indexlab.report.sections import table_html, text_html

    metrics = band.metrics().loc[:, list(SHOWN_METRICS)]
    shown = pd.DataFrame(
        {METRIC_FORMATS[c][0]: [format_metric(c, v) for v in metrics[c]] for c in SHOWN_METRICS},
        index=list(metrics.index),
    )
    caption = "The strategy under the optimistic and the pessimistic delisting assumption"
    return ReportSection(
        key="survivorship-band",
        title="Survivorship band",
        html=text_html(band.summary()) + table_html(shown, caption),
        figures=(
            ReportFigure.of(figure, f"{band.optimistic.strategy.display_title}: survivorship band"),
        ),  # fmt: skip
        order=150,
    )


def write_band(band, figure, out: Path) -> None:
    """The band's files into ``out``, replacing it only once all are written (a failed
    run leaves the previous folder as it was)."""
    from indexlab.output import atomic_folder
    from indexlab.report import style
    from indexlab.version import __version__

    with atomic_folder(out) as staging:
        band.equity.to_csv(staging / "band_equity.csv", float_format="%.12g")
        band.metrics().to_csv(staging / "band_metrics.csv", float_format="%.12g")
        title = f"{band.optimistic.strategy.display_title}: Survivorship band"
        metadata = {"Title": title, "Description": style.DISCLOSURE}
        figure.savefig(staging / "band.png", dpi=150, metadata=metadata)
        manifest = {
            "indexlab_version": __version__,
            "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "command": "band",
            "pessimistic": band.labels[1],
            "files": ["band_equity.csv", "band_metrics.csv", "band.png"],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m indexlab.cli.band_command STRATEGY.toml ...`` (the same as ``indexlab
    band``): errors as one line on stderr, like every command."""
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
