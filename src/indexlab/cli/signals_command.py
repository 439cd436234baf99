"""``indexlab signals ASSET``: the price card of an asset and how its signal's flips did."""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from indexlab.cli.text import aligned, frame_text
from indexlab.errors import SpecError
from indexlab.version import __version__

if TYPE_CHECKING:
    from indexlab.market import Market
    from indexlab.signals import FlipAnalysis, PriceCard, Signal

DEFAULT_RULE = "sma-cross:50,200"
FLIPS_SHOWN = 20  # rows of the flip table printed; flips.csv has them all


def add_parser(commands: argparse._SubParsersAction) -> None:
    from indexlab.cli import parse_date

    signals = commands.add_parser(
        "signals",
        help="an asset's price card and the performance of its signal's flips",
        description=(
            "Print the price context card of ASSET (price, market-cap rank, returns over 7 "
            "and 30 days, 1 year and year to date, the current signal, the return since its "
            "last flip, dominance) and the table of the signal's flips, and compare following "
            "the signal (with costs per flip) with buy-and-hold. A signal dated t is traded "
            "at the close of t + LAG. Writes card.csv, flips.csv, segment_stats.csv, "
            "metrics.csv, equity.csv, summary.txt, manifest.json and figures/signals.png into "
            "the output folder, replacing a previous one only once complete."
        ),
    )
    signals.add_argument("asset", metavar="ASSET", help="an asset id (tron) or unambiguous symbol")
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
    signals.add_argument("--out", metavar="DIR", help="output folder (default runs/signals-ASSET/)")
    signals.add_argument(
        "--into",
        metavar="RUN_DIR",
        help="also add the card, the flips and the figure as a section of that run's report",
    )
    signals.add_argument("--quiet", action="store_true", help="print nothing but errors")
    signals.set_defaults(handler=command_signals)


def _cutoffs(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise SpecError(f"--cutoffs {text!r}: expected four numbers, e.g. 20,40,60,80") from None


def command_signals(args: argparse.Namespace) -> int:
    from indexlab import demo_market, load_market
    from indexlab.output import atomic_folder
    from indexlab.signals import RatingBands, analyze_flips, parse_rule, price_card, read_signal
    from indexlab.signals.card import data_label
    from indexlab.signals.figure import figure_png, signal_figure
    from indexlab.sources.total_market import load_total_market_cap

    if args.into:  # fail before any work if it is not a run folder
        from indexlab.report import read_run

        read_run(args.into)
    started = time.perf_counter()
    market = load_market(args.data) if args.data else demo_market()
    if args.total_market:
        market = market.with_total_market_cap(load_total_market_cap(args.total_market))
    asset = market.resolve_asset(args.asset, field_name="ASSET")
    if args.date is not None and not market.start <= args.date <= market.end:
        raise SpecError(
            f"--date {args.date.date()}: outside the data ({market.start.date()} .. "
            f"{market.end.date()})"
        )
    if args.signal:
        bands = RatingBands(_cutoffs(args.cutoffs))  # type: ignore[arg-type]
        signal = read_signal(args.signal, market, threshold=args.threshold, bands=bands)
        label = f"signal file {Path(args.signal).name}"
    else:
        rule = parse_rule(args.rule or DEFAULT_RULE)
        signal = rule.signal(market, [asset])
        label = rule.label
    series = signal.series(asset, market.dates)
    card = price_card(market, asset, args.date, signal=signal, lag_days=args.lag_days)
    title = card.symbol.upper() if card.symbol else asset
    analysis = analyze_flips(
        market.close[asset],
        series,
        lag_days=args.lag_days,
        fee_bps=args.fee_bps,
        slippage_bps=args.slippage_bps,
        short=args.short,
        start=args.start,
        end=card.date,
        name=f"{title} ({asset})" if title != asset else asset,
    )
    source = data_label(market)
    text = summary_text(card, analysis, label, market.synthetic)

    out = Path(args.out) if args.out else Path("runs") / f"signals-{_safe(asset)}"
    with atomic_folder(out) as staging:
        _write_tables(staging, card, analysis)
        (staging / "summary.txt").write_text(text + "\n", encoding="utf-8")
        figures = staging / "figures"
        figures.mkdir()
        figure = signal_figure(
            analysis, signal_label=label, data=source, synthetic=market.synthetic
        )
        (figures / "signals.png").write_bytes(figure_png(figure))
        manifest = _manifest(market, asset, signal, label, analysis, source)
        manifest["run_seconds"] = round(time.perf_counter() - started, 4)
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
        )
    if args.into:
        from indexlab.report import ReportFigure, ReportSection, add_to_run
        from indexlab.report.sections import table_html, text_html

        flips = analysis.flips.tail(20).copy()
        for column in flips.columns:
            if column in ("return", "max_drawdown"):
                flips[column] = flips[column].map(_percent)
            elif column in ("price", "next_price"):
                flips[column] = flips[column].map(lambda v: "–" if v != v else f"{v:.6g}")
            elif pd.api.types.is_datetime64_any_dtype(flips[column]):
                flips[column] = flips[column].map(_day)
        section = ReportSection(
            key=f"signals-{_safe(asset).lower().replace('_', '-').replace('.', '-')}"[:63],
            title=f"Signal flips: {title} ({label})",
            html=text_html(text) + table_html(flips, "The last 20 segments"),
            figures=(ReportFigure.of(figure, f"{title}: price, signal spans and flips"),),
            order=200,
        )
        report = add_to_run(args.into, section)
    if not args.quiet:
        print(text)
        print(f"\nWrote {out}/ (card.csv, flips.csv, equity.csv, figures/signals.png, ...)")
        if args.into:
            print(f"Added the section to {report}")
    return 0


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "asset"


def _percent(value: float) -> str:
    return "–" if value != value else f"{value:.1%}"


def _whole(value: float) -> str:
    return "–" if value != value else f"{value:.0f}"


def _day(value: pd.Timestamp) -> str:
    return "–" if pd.isna(value) else str(value.date())


def summary_text(card: PriceCard, analysis: FlipAnalysis, label: str, synthetic: bool) -> str:
    """What the command prints and writes to summary.txt: the card, the flips, the
    segment statistics and following the signal against buy and hold."""
    lines = [*card.lines(), ""]
    lines.append(f"Flips of {label} on {analysis.name}, as of {analysis.as_of.date()}:")
    for key, value in analysis.assumptions().items():
        lines.append(f"  {key + ':':<15}{value}")
    lines.extend(f"  note: {note}" for note in analysis.notes)
    flip_formats = {
        "signal_date": _day,
        "date": _day,
        "next_date": _day,
        "previous": lambda v: v or "–",
        "price": _price_text,
        "next_price": _price_text,
        "return": _percent,
        "max_drawdown": _percent,
        "open": lambda v: "open" if v else "",
    }
    flips = analysis.flips
    shown = flips.iloc[-FLIPS_SHOWN:]
    lines.append("")
    if len(shown) < len(flips):
        lines.append(f"The last {len(shown)} of {len(flips)} segments (all in flips.csv):")
    lines += [frame_text(shown, flip_formats, left_columns=4, index=True), ""]
    stats_formats = {
        "hits": _whole,
        "hit_rate": _percent,
        "mean_return": _percent,
        "median_return": _percent,
        "mean_days": _whole,
    }
    lines.append("Closed segments (the open one is left out):")
    lines += [frame_text(analysis.segment_stats(), stats_formats, index=True), ""]
    table = analysis.metrics()
    ratios = {"sharpe", "sortino", "calmar"}
    counts = {"longest_drawdown_days", "n_trades"}
    rows = [["", *table.index]]
    for name in table.columns:
        form = _whole if name in counts else (lambda v: f"{v:.2f}") if name in ratios else _percent
        rows.append([name, *(form(float(v)) for v in table[name])])
    lines += ["Following the signal against buy and hold:", aligned(rows)]
    if synthetic:
        lines += [
            "",
            "Synthetic demo data: these numbers describe a generated market, not history.",
        ]
    return "\n".join(lines)


def _price_text(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return "–" if number != number else f"{number:.6g}"


def _write_tables(folder: Path, card: PriceCard, analysis: FlipAnalysis) -> None:
    card_fields = card.to_series().map(
        lambda v: str(v.date()) if isinstance(v, pd.Timestamp) else v
    )
    card_fields.to_csv(folder / "card.csv", header=["value"], index_label="field")
    flips = analysis.flips.copy()
    for column in ("signal_date", "date", "next_date"):
        flips[column] = flips[column].dt.strftime("%Y-%m-%d")
    flips.to_csv(folder / "flips.csv", float_format="%.10g")
    analysis.segment_stats().to_csv(folder / "segment_stats.csv", float_format="%.10g")
    analysis.metrics().to_csv(folder / "metrics.csv", float_format="%.10g")
    equity = analysis.equity.assign(
        price=analysis.price, exposure=analysis.exposure, signal_value=analysis.signal
    )
    equity.index = equity.index.strftime("%Y-%m-%d")
    equity.to_csv(folder / "equity.csv", index_label="date", float_format="%.12g")


def _manifest(
    market: Market, asset: str, signal: Signal, label: str, analysis: FlipAnalysis, source: str
) -> dict:
    """What the output folder records about how it was made."""
    return {
        "indexlab_version": __version__,
        "command": "signals",
        "asset": asset,
        "data": {
            "source": source,
            "synthetic": market.synthetic,
            "path": market.source_path,
            "sha256": market.source_sha256,
        },
        "signal": {
            "label": label,
            "source": signal.source,
            "sha256": signal.source_sha256,
            "threshold": signal.threshold,
            "rating_cutoffs": list(signal.bands.cutoffs) if signal.scores is not None else None,
        },
        "as_of": str(analysis.as_of.date()),
        "period": {
            "start": str(analysis.price.index[0].date()),
            "end": str(analysis.price.index[-1].date()),
        },
        "lag_days": analysis.lag_days,
        "fee_bps": analysis.fee_bps,
        "slippage_bps": analysis.slippage_bps,
        "short": analysis.short,
        "periods_per_year": 365,
        "notes": list(analysis.notes),
    }
