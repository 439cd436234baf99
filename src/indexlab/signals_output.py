"""What a signal study writes: ``card.csv``, ``flips.csv``, ``segment_stats.csv``,
``metrics.csv``, ``equity.csv``, ``summary.txt``, ``manifest.json`` and
``figures/signals.png`` (``.svg``, ``.pdf`` as asked: :class:`FigureOptions`); its printed
summary; and its section of a run's report.

``indexlab signals ASSET`` is :func:`study_signal`, :func:`write_signals` and, with
``--into``, :func:`signals_section` passed to :func:`indexlab.report.add_to_run`::

    >>> rule = indexlab.signals.parse_rule("sma-cross:50,200")
    >>> study = study_signal(market, "tron", rule.signal(market, ["tron"]), rule.label)
    >>> print(summary_text(study))
    >>> write_signals(study, "runs/signals-tron")

Every output states the data source, the lag and the costs; outputs made from the demo
market say "synthetic demo data". (The arithmetic is in :mod:`indexlab.signals`.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from indexlab.coverage import data_label, survivorship_caveat
from indexlab.market import Market
from indexlab.output import atomic_folder
from indexlab.paths import safe_component, section_key
from indexlab.report import ReportFigure, ReportSection, house, signal_figure
from indexlab.report.house import FigureOptions
from indexlab.report.sections import table_html, text_html
from indexlab.report.signal_figure import source_line as signal_figure_source_line
from indexlab.report.text import aligned, frame_text
from indexlab.signals import FlipAnalysis, PriceCard, Signal, analyze_flips, price_card
from indexlab.version import __version__

FLIPS_SHOWN = 20  # rows of the flip table printed; flips.csv has them all
SECTION_FLIPS = 20  # rows of the flip table in the report's section
SECTION_ORDER = 200


@dataclass(frozen=True, eq=False)
class SignalStudy:
    """An asset's price card and its signal's flips, with what they came from.

    ``label`` names the signal in every output (a rule's label, or ``signal file
    NAME``); ``asset`` is an asset id of ``market``.
    """

    market: Market
    asset: str
    signal: Signal
    label: str
    card: PriceCard
    analysis: FlipAnalysis

    @property
    def title(self) -> str:
        """The asset's symbol in capitals, or its id when it has none."""
        return _title(self.card, self.asset)

    @property
    def data_source(self) -> str:
        return data_label(self.market)


def study_signal(
    market: Market,
    asset: str,
    signal: Signal,
    label: str,
    *,
    as_of: pd.Timestamp | str | None = None,
    start: pd.Timestamp | str | None = None,
    lag_days: int = 1,
    fee_bps: float = 10.0,
    slippage_bps: float = 5.0,
    short: bool = False,
) -> SignalStudy:
    """The price card of ``asset`` on ``as_of`` (default: its last close) and the flips of
    ``signal`` from ``start`` to that day, followed with costs against buy-and-hold
    (see :func:`indexlab.signals.price_card` and :func:`indexlab.signals.analyze_flips`)."""
    series = signal.series(asset, market.dates)
    card = price_card(market, asset, as_of, signal=signal, lag_days=lag_days)
    title = _title(card, asset)
    analysis = analyze_flips(
        market.close[asset],
        series,
        lag_days=lag_days,
        fee_bps=fee_bps,
        slippage_bps=slippage_bps,
        short=short,
        start=start,
        end=card.date,
        name=f"{title} ({asset})" if title != asset else asset,
    )
    return SignalStudy(market, asset, signal, label, card, analysis)


def default_out_dir(asset: str) -> Path:
    """``runs/signals-ASSET``, the asset id made safe as one path component."""
    return Path("runs") / f"signals-{safe_component(asset, fallback='asset')}"


def write_signals(
    study: SignalStudy,
    out_dir: str | Path,
    *,
    run_seconds: float | None = None,
    options: FigureOptions | None = None,
) -> Path:
    """Write the study's files into ``out_dir``, replacing it only once all are written.
    ``run_seconds`` (the time the study took) goes into the manifest; ``options`` frame
    the figure and choose its formats and resolution (default: ``figures/signals.png``,
    1920 x 1080 px)."""
    options = options or FigureOptions()
    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as staging:
        _write_tables(staging, study.card, study.analysis)
        (staging / "summary.txt").write_text(summary_text(study) + "\n", encoding="utf-8")
        figures = staging / "figures"
        figures.mkdir()
        figure = study_figure(study, options)
        source = options.source or house.published(study.data_source)
        metadata = {
            "Title": _figure_title(study, options),
            "Source": signal_figure_source_line(study.analysis, source),
        }
        house.save(figure, figures, "signals", options, metadata)
        manifest = signals_manifest(study)
        if run_seconds is not None:
            manifest["run_seconds"] = round(run_seconds, 4)
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
        )
    return out_dir


def signals_section(study: SignalStudy, options: FigureOptions | None = None) -> ReportSection:
    """The study as a section of a run's report: the summary, the last segments and the
    figure, framed by ``options`` (pass it to :func:`indexlab.report.add_to_run`)."""
    flips = study.analysis.flips.tail(SECTION_FLIPS).copy()
    for column in flips.columns:
        if column in ("return", "max_drawdown"):
            flips[column] = flips[column].map(_percent)
        elif column in ("price", "next_price"):
            flips[column] = flips[column].map(_price_text)
        elif pd.api.types.is_datetime64_any_dtype(flips[column]):
            flips[column] = flips[column].map(_day)
    caption = f"{study.title}: price, signal spans and flips"
    return ReportSection(
        key=section_key("signals", study.asset),
        title=f"Signal flips: {study.title} ({study.label})",
        html=text_html(summary_text(study))
        + table_html(flips, f"The last {SECTION_FLIPS} segments"),
        figures=(ReportFigure.of(study_figure(study, options), caption),),
        order=SECTION_ORDER,
    )


def summary_text(study: SignalStudy) -> str:
    """What ``indexlab signals`` prints and writes to summary.txt: the card, the flips,
    the segment statistics and following the signal against buy and hold."""
    analysis = study.analysis
    lines = [*study.card.lines(), ""]
    lines.append(f"Flips of {study.label} on {analysis.name}, as of {analysis.as_of.date()}:")
    for key, value in analysis.assumptions().items():
        lines.append(f"  {key + ':':<15}{value}")
    lines.extend(f"  note: {note}" for note in analysis.notes)
    flips = analysis.flips
    shown = flips.iloc[-FLIPS_SHOWN:]
    lines.append("")
    if len(shown) < len(flips):
        lines.append(f"The last {len(shown)} of {len(flips)} segments (all in flips.csv):")
    lines += [frame_text(shown, FLIP_FORMATS, left_columns=4, index=True), ""]
    lines.append("Closed segments (the open one is left out):")
    lines += [frame_text(analysis.segment_stats(), STATS_FORMATS, index=True), ""]
    lines += ["Following the signal against buy and hold:", _metrics_text(analysis.metrics())]
    if study.market.synthetic:
        lines += [
            "",
            "Synthetic demo data: these numbers describe a generated market, not history.",
        ]
    return "\n".join(lines)


def signals_manifest(study: SignalStudy) -> dict:
    """What the output folder records about how it was made."""
    market, signal, analysis = study.market, study.signal, study.analysis
    return {
        "indexlab_version": __version__,
        "command": "signals",
        "asset": study.asset,
        "data": {
            "source": study.data_source,
            "synthetic": market.synthetic,
            "path": market.source_path,
            "sha256": market.source_sha256,
        },
        "signal": {
            "label": study.label,
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


def _title(card: PriceCard, asset: str) -> str:
    return card.symbol.upper() if card.symbol else asset


def study_figure(study: SignalStudy, options: FigureOptions | None = None) -> Figure:
    """The study's figure (:func:`indexlab.report.signal_figure`) as ``indexlab signals``
    writes it: with the survivorship caveat when the market holds only survivors (a coin
    picked from today's survivors is a survivor's history too)."""
    return signal_figure(
        study.analysis,
        signal_label=study.label,
        data=study.data_source,
        synthetic=study.market.synthetic,
        options=options or FigureOptions(),
        caveat=survivorship_caveat(study.market),
    )


def _figure_title(study: SignalStudy, options: FigureOptions) -> str:
    return options.title or f"{study.analysis.name}: {study.label}"


def _metrics_text(table: pd.DataFrame) -> str:
    ratios = {"sharpe", "sortino", "calmar"}
    counts = {"longest_drawdown_days", "n_trades"}
    rows = [["", *table.index]]
    for name in table.columns:
        form = _whole if name in counts else (lambda v: f"{v:.2f}") if name in ratios else _percent
        rows.append([name, *(form(float(v)) for v in table[name])])
    return aligned(rows)


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


def _percent(value: float) -> str:
    return "–" if value != value else f"{value:.1%}"


def _whole(value: float) -> str:
    return "–" if value != value else f"{value:.0f}"


def _day(value: pd.Timestamp) -> str:
    return "–" if pd.isna(value) else str(value.date())


def _price_text(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return "–" if number != number else f"{number:.6g}"


FLIP_FORMATS: dict[str, Callable[[object], str]] = {
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
STATS_FORMATS: dict[str, Callable[[object], str]] = {
    "hits": _whole,
    "hit_rate": _percent,
    "mean_return": _percent,
    "median_return": _percent,
    "mean_days": _whole,
}
