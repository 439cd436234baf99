"""``indexlab sweep SWEEP.toml``: a grid of strategies, its best configurations, a
heatmap, and the entry-date study."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from indexlab.cli.options import add_bad_prints, load_data
from indexlab.errors import SpecError

if TYPE_CHECKING:
    import pandas as pd

    from indexlab.market import Market
    from indexlab.sweep import SweepSpec


# The commands of this module and their one-line help (the command line lists them
# without importing the rest).
COMMANDS = {
    "sweep": "run a grid of strategy configurations",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    sweep = commands.add_parser(
        "sweep",
        help=COMMANDS["sweep"],
        description=(
            "Run every configuration of SWEEP (a base strategy and a grid of changes, see "
            "docs/sweeps.md) through the batched engine. Writes sweep.parquet (one row per "
            "configuration: its parameters and every metric), best.csv, heatmap.png, the "
            "entry-date study (entry_study.csv, entry_study.png) when the file asks for it, "
            "and manifest.json into the output folder. Rows are saved as chunks finish: run "
            "the same command again to resume an interrupted sweep."
        ),
    )
    sweep.add_argument("sweep_file", metavar="SWEEP.toml", help="the sweep file")
    sweep.add_argument("--data", metavar="PATH", help="market data (default: the demo market)")
    add_bad_prints(sweep)
    sweep.add_argument("--total-market", metavar="FILE", help="total market cap series")
    sweep.add_argument("--out", metavar="DIR", help="output folder (default runs/sweep-NAME/)")
    sweep.add_argument(
        "--memory",
        default="2GB",
        metavar="SIZE",
        help="memory budget for the engine's arrays (default 2GB): configurations run in "
        "chunks that fit it",
    )
    sweep.add_argument(
        "--executor",
        default="local",
        choices=["local", "dask", "dask-local"],
        help="where chunks run: this process (default), a Dask cluster at --scheduler, or a "
        "local Dask cluster of --workers processes",
    )
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://host:8786")
    sweep.add_argument("--workers", type=int, metavar="N", help="dask-local worker processes")
    sweep.add_argument("--metric", metavar="NAME", help="rank the best by this metric")
    sweep.add_argument("--top", type=int, metavar="N", help="how many best configurations to list")
    sweep.add_argument(
        "--heatmap",
        metavar="X,Y",
        help="the two grid keys of the heatmap (default: the file's heatmap, else its first "
        "two varied keys); rerunning with another pair only redraws, the rows are saved",
    )
    sweep.add_argument(
        "--start",
        type=_date,
        metavar="DATE",
        help="first date of every configuration, YYYY-MM-DD (overrides the base's start; a "
        "'start' in the grid still wins)",
    )
    sweep.add_argument(
        "--end", type=_date, metavar="DATE", help="last date of every configuration, YYYY-MM-DD"
    )
    sweep.add_argument("--fresh", action="store_true", help="discard saved rows and start over")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    sweep.set_defaults(handler=command_sweep)


def _date(text: str):
    from indexlab.cli.options import parse_date

    return parse_date(text)


def command_sweep(args: argparse.Namespace) -> int:
    from indexlab.paths import safe_component
    from indexlab.sources.progress import phase
    from indexlab.sources.total_market import load_total_market_cap
    from indexlab.sweep import best, sweep
    from indexlab.sweep.runner import PARTS

    spec = _spec(args)
    with phase(f"reading {args.data or 'the demo market'}", quiet=args.quiet):
        market = load_data(args)
    if args.total_market:
        market = market.with_total_market_cap(load_total_market_cap(args.total_market))
    out = Path(args.out) if args.out else Path("runs") / f"sweep-{safe_component(spec.name)}"
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out}: is a file")
    if args.fresh and (out / PARTS).is_dir():
        shutil.rmtree(out / PARTS)
    started = time.perf_counter()
    table = sweep(
        spec,
        market,
        out=out,
        memory=args.memory,
        executor=args.executor,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=not args.quiet,
    )
    seconds = time.perf_counter() - started
    top = best(table, spec.metric, spec.top)
    top.to_csv(out / "best.csv", index=False)
    _write_heatmap(spec, table, market, out)
    summary = _write_entry_study(spec, market, out, quiet=args.quiet)
    manifest = _manifest(args, spec, table, market, seconds, summary)
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    tmp = out / ".manifest.json.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out / "manifest.json")
    if not args.quiet:
        _print_summary(manifest, seconds, spec, top, market, out)
    return 0


def _spec(args: argparse.Namespace) -> SweepSpec:
    """The sweep file, with the options that override it."""
    from indexlab.sweep import read_sweep

    spec = read_sweep(args.sweep_file)
    if args.metric:
        spec = replace(spec, metric=args.metric)
    if args.top is not None:
        spec = replace(spec, top=args.top)
    if args.start is not None or args.end is not None:
        start = args.start if args.start is not None else spec.base.start
        end = args.end if args.end is not None else spec.base.end
        if start is not None and end is not None and end < start:
            raise SpecError(f"--end {end.date()} is before start {start.date()}")
        spec = replace(spec, base=spec.base.replace(start=start, end=end))
    if args.heatmap:
        keys = tuple(k.strip() for k in args.heatmap.split(","))
        if len(keys) != 2:
            raise SpecError(f"--heatmap: give two grid keys X,Y, got {args.heatmap!r}")
        spec = replace(spec, heatmap=keys)
    return spec


def _write_heatmap(spec: SweepSpec, table: pd.DataFrame, market: Market, out: Path) -> None:
    """heatmap.png over the two heatmap keys (the file's, else its first two varied
    keys); none when the grid varies fewer than two."""
    from indexlab.coverage import data_label
    from indexlab.report.figures import figure_png
    from indexlab.sweep import heatmap_table
    from indexlab.sweep.figures import heatmap_figure

    keys = spec.heatmap or tuple(k for k, v in spec.grid.items() if len(v) > 1)[:2]
    if len(keys) != 2:
        return
    x, y = keys
    cells = heatmap_table(table, x, y, spec.metric)
    counts = table.pivot_table(index=y, columns=x, values="config_id", aggfunc="count")
    figure = heatmap_figure(
        cells,
        x,
        y,
        spec.metric,
        title=f"{spec.name}: {y} x {x}",
        footer=(
            f"Data: {data_label(market)}  ·  {_period_text(spec, market)}  ·  base strategy "
            f"{spec.base.name}  ·  {len(table)} configurations  ·  N = 365, risk-free rate 0"
            f"{_survivorship_text(market)}"
        ),
        synthetic=market.synthetic,
        counts=counts,
    )
    (out / "heatmap.png").write_bytes(figure_png(figure))


def _period_text(spec: SweepSpec, market: Market) -> str:
    start = spec.base.start if spec.base.start is not None else market.dates[0]
    end = spec.base.end if spec.base.end is not None else market.dates[-1]
    return f"Period: {start.date()} to {end.date()}"


def _survivorship_text(market: Market) -> str:
    """The survivorship caveat for a figure's footer, when the data call for it."""
    from indexlab.coverage import survivorship_notes

    if not survivorship_notes(market):
        return ""
    return (
        "\nSurvivorship bias: the data hold only coins alive when they were downloaded; "
        "coins that died are missing, which flatters every configuration."
    )


def _write_entry_study(
    spec: SweepSpec, market: Market, out: Path, *, quiet: bool = False
) -> dict | None:
    """entry_study.csv and .png when the file asks for the study; its summary."""
    from indexlab.coverage import data_label
    from indexlab.report.figures import figure_png
    from indexlab.sweep.entry import describe_entry_study, entry_study
    from indexlab.sweep.figures import entry_figure

    if spec.entry_study is None:
        return None
    from indexlab.sources.progress import phase

    with phase("entry-date study: the base strategy from every start date", quiet=quiet):
        study = entry_study(market, spec.base, spec.entry_study)
    study.to_csv(out / "entry_study.csv", index=False)
    figure = entry_figure(
        study,
        title=f"{spec.base.name}: every start date",
        # The entry study runs the base strategy alone: the sweep's count does not apply.
        footer=f"Data: {data_label(market)}  ·  strategy {spec.base.name}  ·  "
        f"N = 365, risk-free rate 0{_survivorship_text(market)}",
        synthetic=market.synthetic,
    )
    (out / "entry_study.png").write_bytes(figure_png(figure))
    return describe_entry_study(study)


def _manifest(
    args: argparse.Namespace,
    spec: SweepSpec,
    table: pd.DataFrame,
    market: Market,
    seconds: float,
    summary: dict | None,
) -> dict:
    import pandas as pd

    from indexlab.inspect import coverage_notes

    return {
        "sweep": spec.name,
        "sweep_file": str(args.sweep_file),
        "base": spec.base.to_dict(),
        "grid": {
            k: [str(v) if isinstance(v, pd.Timestamp) else v for v in values]
            for k, values in spec.grid.items()
        },
        "constraints": list(spec.constraints),
        # The period every configuration asked for (a run starts later when lag_days or
        # the data require it); None: from the data's first or to its last date.
        "period": {
            "start": None if spec.base.start is None else str(spec.base.start.date()),
            "end": None if spec.base.end is None else str(spec.base.end.date()),
        },
        "data_dates": {"first": str(market.dates[0].date()), "last": str(market.dates[-1].date())},
        "configurations": len(table),
        "errors": int(table["error"].notna().sum()),
        "metric": spec.metric,
        "data": {
            "source": market.source,
            "synthetic": market.synthetic,
            "sha256": market.source_sha256,
        },
        "executor": args.executor,
        "memory": args.memory,
        "seconds": round(seconds, 3),
        "entry_study": summary,
        # What every run of this data prints (survivorship, files that stop early): a
        # sweep is many runs of it.
        "notes": [*coverage_notes(market), *market.notes],
    }


def _print_summary(
    manifest: dict, seconds: float, spec: SweepSpec, top: pd.DataFrame, market: Market, out: Path
) -> None:
    from indexlab.report.tearsheet import format_metric

    metrics = list(dict.fromkeys([spec.metric, "cagr", "max_drawdown"]))
    shown = top[["config_id", *spec.grid, *metrics, "same_as"]].head(10).copy()
    for column in metrics:
        shown[column] = [format_metric(column, v) for v in shown[column]]
    shown["same_as"] = shown["same_as"].fillna("")
    for column in spec.grid:  # a key left unset prints as in a sweep file
        shown[column] = shown[column].astype(object).where(shown[column].notna(), "none")
    period, data = manifest["period"], manifest["data_dates"]
    print(
        f"\n{spec.name}: {manifest['configurations']} configurations in "
        f"{seconds:.1f} s ({manifest['errors']} with errors), "
        f"{period['start'] or data['first']} to {period['end'] or data['last']}; "
        f"best by {spec.metric}:"
    )
    print(shown.to_string(index=False))
    for note in manifest["notes"]:
        print(f"  note: {note}")
    summary = manifest["entry_study"]
    if summary is not None:
        print(
            f"\nEntry-date study: {int(summary['starts'])} starts; beat BTC from "
            f"{summary['share_beating_btc']:.0%} of them; median CAGR "
            f"{summary['median_cagr']:.1%} vs BTC {summary['median_btc_cagr']:.1%}"
        )
    if market.synthetic:
        print("Synthetic demo data: these numbers describe a generated market, not history.")
    print(
        f"Wrote {out}/ (sweep.parquet, best.csv, heatmap.png, manifest.json, ...)",
        file=sys.stdout,
    )
