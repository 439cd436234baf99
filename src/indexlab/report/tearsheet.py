"""The tearsheet: one self-contained ``report.html`` plus the figures as PNG files.

The HTML embeds its figures as base64 ``data:`` URIs and its stylesheet inline: no
external CSS, JS, fonts or images, so the file can be mailed and opened offline.
Every piece of text that comes from data or specs is HTML-escaped.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path

import pandas as pd

from indexlab import metrics
from indexlab.report import figures, style
from indexlab.result import DEMO_LABEL, Result

DISCLAIMER = (
    "Backtested, hypothetical results; not the performance of any fund; past performance "
    "does not guarantee future results; not financial advice"
)
MISSING = "–"
WORST_DRAWDOWNS = 5


# ---------------------------------------------------------------- number formats
def _number(value: float | None, spec: str, scale: float = 1.0, suffix: str = "") -> str:
    """``value * scale`` in the format ``spec``; NaN, infinity or None as a dash."""
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value * scale:{spec}}{suffix}"


def format_percent(value: float, decimals: int = 1) -> str:
    """A fraction as a percentage (``-0.1234`` -> ``-12.3%``)."""
    return _number(value, f",.{decimals}f", 100.0, "%")


def format_ratio(value: float) -> str:
    """A ratio to 2 decimals."""
    return _number(value, ",.2f")


def format_integer(value: float) -> str:
    """A count or a number of days."""
    return _number(value, ",.0f")


def _format_other(value: float) -> str:
    return _number(value, ",.4g")


# metric column -> (heading, formatter); a column not listed is shown under its own name.
METRIC_FORMATS: dict[str, tuple[str, Callable[[float], str]]] = {
    "total_return": ("Total return", format_percent),
    "cagr": ("CAGR", format_percent),
    "volatility": ("Volatility", format_percent),
    "sharpe": ("Sharpe", format_ratio),
    "sortino": ("Sortino", format_ratio),
    "max_drawdown": ("Max drawdown", format_percent),
    "longest_drawdown_days": ("Longest drawdown (days)", format_integer),
    "calmar": ("Calmar", format_ratio),
    "best_day": ("Best day", format_percent),
    "worst_day": ("Worst day", format_percent),
    "beta_btc": ("Beta to BTC", format_ratio),
    "correlation_btc": ("Correlation to BTC", format_ratio),
    "avg_turnover": ("Avg turnover per rebalance", lambda v: format_percent(v, 2)),
    "total_cost": ("Total costs (of wealth)", lambda v: format_percent(v, 2)),
    "n_rebalances": ("Rebalances", format_integer),
}


def format_metric(column: str, value: float) -> str:
    """One cell of the metrics table, formatted the way the report shows it."""
    return METRIC_FORMATS.get(column, (column, _format_other))[1](float(value))


# ---------------------------------------------------------------- the report
def write_report(result: Result, out_dir: Path) -> list[Path]:
    """Write ``figures/growth.png``, ``figures/drawdown.png`` and ``report.html``.

    ``out_dir`` must exist. Returns the paths written, figures first.
    """
    out_dir = Path(out_dir)
    figure_dir = out_dir / "figures"
    figure_dir.mkdir(exist_ok=True)
    images = render_figures(result)
    written = []
    for name, png in images.items():
        path = figure_dir / f"{name}.png"
        path.write_bytes(png)
        written.append(path)
    report = out_dir / "report.html"
    report.write_text(report_html(result, images), encoding="utf-8")
    written.append(report)
    return written


def render_figures(result: Result) -> dict[str, bytes]:
    """The report's figures as PNG bytes, by file stem."""
    return {
        "growth": figures.figure_png(figures.growth_figure(result)),
        "drawdown": figures.figure_png(figures.drawdown_figure(result)),
    }


def report_html(result: Result, images: dict[str, bytes] | None = None) -> str:
    """The tearsheet as one HTML string; ``images`` (name -> PNG bytes) are rendered
    from ``result`` when not given."""
    import indexlab  # here, not at the top: indexlab may come to import the report

    if images is None:
        images = render_figures(result)
    strategy = result.strategy
    metric_table = result.metrics()
    sections = [
        f"<h1>{escape(result.name)}</h1>",
        f'<p class="description">{escape(strategy.description)}</p>'
        if strategy.description
        else "",
        _synthetic_banner(result),
        "<h2>Assumptions</h2>",
        _assumptions_table(result.assumptions()),
        "<h2>Notes on this run</h2>",
        _notes(result.notes),
        "<h2>Performance</h2>",
        _metrics_table(metric_table, strategy_name=str(result.equity.columns[0])),
        _figure(
            images["growth"],
            "Growth of 1 (log scale) of the strategy and its benchmarks",
            "Growth of 1 on a log scale. Benchmarks are held buy-and-hold over the same "
            "dates with the same costs.",
        ),
        _figure(
            images["drawdown"],
            "Drawdowns of the strategy and its benchmarks",
            "Drawdown: value relative to its running peak (0% at a new high).",
        ),
        f"<h2>Worst drawdowns of {escape(result.name)}</h2>",
        _drawdown_table(result.equity.iloc[:, 0]),
        f"<footer><p>indexlab {escape(indexlab.__version__)} · "
        f"{escape(result.assumptions()['Annualisation'])}</p>"
        f"<p>{escape(DISCLAIMER)}.</p></footer>",
    ]
    body = "\n".join(section for section in sections if section)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(result.name)} · indexlab report</title>\n"
        f"<style>{style.CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------- sections
def _synthetic_banner(result: Result) -> str:
    if not result.market.synthetic:
        return ""
    return (
        f'<div class="banner" role="note">{escape(DEMO_LABEL)}: these results come from a '
        "generated market, not from real prices. Use real data (--data on the command line, "
        "indexlab.load_market in Python) for real results.</div>"
    )


def _assumptions_table(assumptions: dict[str, str]) -> str:
    rows = "\n".join(
        f'<tr><th scope="row">{escape(key)}</th><td>{escape(value)}</td></tr>'
        for key, value in assumptions.items()
    )
    return f'<table class="assumptions" id="assumptions">\n{rows}\n</table>'


def _notes(notes: Iterable[str]) -> str:
    items = [f"<li>{escape(note)}</li>" for note in notes]
    if not items:
        return '<p class="notes">None: the run went as specified.</p>'
    return '<ul class="notes" id="notes">\n' + "\n".join(items) + "\n</ul>"


def _metrics_table(table: pd.DataFrame, strategy_name: str) -> str:
    """One row per metric, one column per portfolio (the strategy first, highlighted)."""

    def css(portfolio: object) -> str:
        return " strategy" if str(portfolio) == strategy_name else ""

    headings = "".join(
        f'<th class="num{css(p)}" scope="col">{escape(str(p))}</th>' for p in table.index
    )
    rows = []
    for column in table.columns:
        cells = "".join(
            f'<td class="num{css(p)}" data-metric="{escape(column)}">'
            f"{escape(format_metric(column, table.at[p, column]))}</td>"
            for p in table.index
        )
        heading = escape(METRIC_FORMATS.get(column, (column,))[0])
        rows.append(f'<tr><th scope="row" title="{escape(column)}">{heading}</th>{cells}</tr>')
    return (
        '<div class="table-wrap"><table class="metrics" id="metrics">\n'
        f'<thead><tr><th scope="col">Metric</th>{headings}</tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>"
    )


def _drawdown_table(equity: pd.Series) -> str:
    periods = metrics.drawdown_periods(equity).head(WORST_DRAWDOWNS)
    if periods.empty:
        return '<p id="worst-drawdowns">No drawdown: every day was a new high.</p>'
    rows = []
    for rank, period in enumerate(periods.itertuples(index=False), start=1):
        recovery = period.recovery.date() if period.recovered else "not recovered"
        rows.append(
            f'<tr><td class="num">{rank}</td>'
            f'<td class="num" data-column="depth">{escape(format_percent(period.depth))}</td>'
            f"<td>{period.peak.date()}</td><td>{period.trough.date()}</td>"
            f"<td>{escape(str(recovery))}</td>"
            f'<td class="num">{escape(format_integer(period.days))}</td></tr>'
        )
    return (
        '<table class="drawdowns" id="worst-drawdowns">\n'
        '<thead><tr><th class="num" scope="col">#</th><th class="num" scope="col">Depth</th>'
        '<th scope="col">Peak</th><th scope="col">Trough</th><th scope="col">Recovery</th>'
        '<th class="num" scope="col">Days (peak to recovery or last date)</th></tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _figure(png: bytes, alt: str, caption: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )
