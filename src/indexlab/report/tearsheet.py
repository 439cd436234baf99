"""The tearsheet: one self-contained ``report.html`` plus the figures as PNG files.

The HTML embeds its figures as base64 ``data:`` URIs and its stylesheet inline: no
external CSS, JS, fonts or images, so the file can be mailed and opened offline; its
Content-Security-Policy forbids anything else, scripts included. Every piece of text
that comes from data or specs is HTML-escaped, and extra sections pass an allow-list.
Its sections, in order: assumptions, notes, metrics, growth, drawdowns (with the worst
five), rolling statistics, calendar-year and monthly returns, allocation, rebalances,
then any extra :class:`~indexlab.report.sections.ReportSection` (signal flips, scenario bands, ...).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

import pandas as pd

from indexlab.report import figures, render, style, tables
from indexlab.report.banners import banners
from indexlab.report.formats import (  # noqa: F401  (named here too, as before)
    METRIC_FORMATS,
    MISSING,
    format_integer,
    format_metric,
    format_percent,
    format_ratio,
)
from indexlab.report.rundata import RunData, as_run_data, read_run
from indexlab.report.sections import ReportSection, load_sections, merge_sections, write_atomic
from indexlab.result import Result

DISCLAIMER = style.DISCLOSURE
# The page loads its inline stylesheet and data: images, nothing else (no scripts).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
WORST_DRAWDOWNS = 5


# ---------------------------------------------------------------- the report
FIGURES = (  # (file stem, alt text); allocation only when the run has daily weights
    ("growth", "Growth of 1 (log scale) of the strategy and its benchmarks"),
    ("drawdown", "Drawdowns of the strategy and its benchmarks"),
    ("rolling", "Rolling 365-day return, volatility and Sharpe ratio"),
    ("annual", "Calendar-year returns of the strategy and its benchmarks"),
    ("monthly", "Monthly returns of the strategy as a heatmap"),
    ("allocation", "Allocation of the strategy over time"),
    ("rebalances", "Constituents, turnover and cost at each rebalance"),
)
_MAKERS = figures.BY_KIND


def write_report(
    run: Result | RunData | str | Path,
    out_dir: str | Path,
    *,
    sections: Sequence[ReportSection] = (),
    workers: int | None = None,
) -> list[Path]:
    """Write ``figures/*.png`` and ``report.html`` into ``out_dir`` (which must exist).

    ``run`` is a Result, a RunData or a run folder. Sections saved in
    ``out_dir/sections/`` are included, with ``sections`` (replacing saved ones of the
    same key). Each file is replaced atomically. The figures are drawn in ``workers``
    processes (see :func:`render_figures`). Returns the paths written, figures first.
    """
    data = as_run_data(run)
    out_dir = Path(out_dir)
    figure_dir = out_dir / "figures"
    figure_dir.mkdir(exist_ok=True)
    images = render_figures(data, workers=workers)
    written = []
    for name, png in images.items():
        path = figure_dir / f"{name}.png"
        write_atomic(path, png)
        written.append(path)
    extra = merge_sections(load_sections(out_dir), sections)
    report = out_dir / "report.html"
    write_atomic(report, report_html(data, images, sections=extra).encode("utf-8"))
    written.append(report)
    return written


def add_to_run(run_dir: str | Path, section: ReportSection) -> Path:
    """Save ``section`` into an existing run folder and rebuild its report.html with it
    (a section of the same key is replaced). Returns the report's path."""
    read_run(run_dir)  # a clear error if run_dir is not a run folder
    section.save(run_dir)
    written = write_report(read_run(run_dir), run_dir)
    return written[-1]


def render_figures(
    run: Result | RunData | str | Path, *, workers: int | None = None
) -> dict[str, bytes]:
    """The report's figures as PNG bytes, by file stem, in the report's order.

    They are drawn side by side in ``workers`` forked processes (None: one per CPU
    where forking is safe, see :mod:`indexlab.report.render`; 1: one after the other
    here); the bytes are the same either way."""
    data = as_run_data(run)
    names = [name for name, _ in FIGURES if name != "allocation" or data.daily_weights is not None]
    order = sorted(names, key=figures.SLOWEST_FIRST.index)
    images = render.render_all(figures.kind_png, data, order, workers)
    return {name: images[name] for name in names}


def report_html(
    run: Result | RunData | str | Path,
    images: dict[str, bytes] | None = None,
    *,
    sections: Sequence[ReportSection] = (),
) -> str:
    """The tearsheet as one HTML string; ``images`` (name -> PNG bytes) are rendered
    when not given."""
    data = as_run_data(run)
    if images is None:
        images = render_figures(data)
    blocks = _builtin_blocks(data, images)
    for section in sections:
        body = section.html + "".join(
            _figure(f.png, f.alt or f.caption, f.caption) for f in section.figures
        )
        blocks.append((f"section-{section.key}", section.title, body))
    return _page(data, blocks)


def _builtin_blocks(data: RunData, images: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(anchor, title, HTML) of each built-in section, in page order."""
    alt = dict(FIGURES)
    equity = data.equity.iloc[:, 0]
    return [
        ("assumptions", "Assumptions", _assumptions_table(data.assumptions)),
        ("notes", "Notes on this run", _notes(data.notes)),
        ("performance", "Performance", _metrics_table(data.metrics, data.strategy)),
        (
            "growth",
            "Growth",
            _figure(
                images["growth"],
                alt["growth"],
                "Growth of 1 on a log scale. Benchmarks are held buy-and-hold over the same "
                "dates with the same costs.",
            ),
        ),
        (
            "drawdowns",
            "Drawdowns",
            _figure(
                images["drawdown"],
                alt["drawdown"],
                "Drawdown: value relative to its running peak (0% at a new high).",
            )
            + f"<h3>Worst {WORST_DRAWDOWNS} drawdowns of {escape(data.strategy)}</h3>"
            + _drawdown_table(equity),
        ),
        (
            "rolling",
            f"Rolling {tables.ROLLING_DAYS}-day statistics",
            _figure(
                images["rolling"],
                alt["rolling"],
                f"Return over the previous {tables.ROLLING_DAYS} days, annualised volatility "
                "and Sharpe ratio of the daily returns in that window.",
            ),
        ),
        (
            "calendar",
            "Calendar-year returns",
            _figure(images["annual"], alt["annual"], "Calendar-year returns.")
            + _calendar_table(data),
        ),
        (
            "monthly",
            "Monthly returns",
            _figure(
                images["monthly"],
                alt["monthly"],
                f"Monthly returns of {data.strategy}; the last column is the year's return.",
            ),
        ),
        ("allocation", "Allocation over time", _allocation(data, images)),
        ("rebalances", "Rebalances", _rebalances(data, images)),
    ]


def _page(data: RunData, blocks: list[tuple[str, str, str]]) -> str:
    """The whole HTML page: the title, the contents line, the blocks and the footer."""
    contents = " · ".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in blocks)
    body = "\n".join(
        [
            f"<h1>{escape(data.display_title)}</h1>",
            f'<p class="description">{escape(data.description)}</p>' if data.description else "",
            banners(data),
            f'<nav class="contents">{contents}</nav>',
            *(
                f'<section id="{key}">\n<h2>{escape(title)}</h2>\n{html}\n</section>'
                for key, title, html in blocks
            ),
            f"<footer><p>indexlab {escape(data.indexlab_version)} · "
            f"{escape(data.assumptions.get('Annualisation', ''))}</p>"
            f"<p>{escape(DISCLAIMER)}.</p></footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(data.display_title)} · indexlab report</title>\n"
        f"<style>{style.CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------- sections
def _assumptions_table(assumptions: dict[str, str]) -> str:
    rows = "\n".join(
        f'<tr><th scope="row">{escape(key)}</th><td>{escape(value)}</td></tr>'
        for key, value in assumptions.items()
    )
    return f'<table class="assumptions" id="assumptions-table">\n{rows}\n</table>'


def _notes(notes: Iterable[str]) -> str:
    items = [f"<li>{escape(note)}</li>" for note in notes]
    if not items:
        return '<p class="notes">None: the run went as specified.</p>'
    return '<ul class="notes" id="notes-list">\n' + "\n".join(items) + "\n</ul>"


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
    periods = tables.worst_drawdowns(equity, WORST_DRAWDOWNS)
    if periods.empty:
        return '<p id="worst-drawdowns">No drawdown: every day was a new high.</p>'
    rows = []
    for rank, period in enumerate(periods.itertuples(index=False), start=1):
        recovery = "not recovered" if pd.isna(period.recovery) else period.recovery.date()
        rows.append(
            f'<tr><td class="num">{rank}</td>'
            f'<td class="num" data-column="depth">{escape(format_percent(period.depth))}</td>'
            f"<td>{period.start.date()}</td><td>{period.trough.date()}</td>"
            f"<td>{escape(str(recovery))}</td>"
            f'<td class="num">{escape(format_integer(period.days))}</td></tr>'
        )
    return (
        '<table class="drawdowns" id="worst-drawdowns">\n'
        '<thead><tr><th class="num" scope="col">#</th><th class="num" scope="col">Depth</th>'
        '<th scope="col">Start (peak)</th><th scope="col">Trough</th>'
        '<th scope="col">Recovery</th>'
        '<th class="num" scope="col">Days (start to recovery or last date)</th></tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _calendar_table(data: RunData) -> str:
    """Year x portfolio returns; partial years say which days they cover."""
    annual = tables.calendar_year_returns(data.equity)
    partial = tables.partial_years(data.equity.index)
    headings = "".join(
        f'<th class="num{" strategy" if k == 0 else ""}" scope="col">{escape(str(p))}</th>'
        for k, p in enumerate(annual.columns)
    )
    rows = []
    for year, values in annual.iterrows():
        span = f' <span class="muted">({escape(partial[year])})</span>' if year in partial else ""
        cells = "".join(
            f'<td class="num{" strategy" if k == 0 else ""}">{escape(format_percent(v))}</td>'
            for k, v in enumerate(values)
        )
        rows.append(f'<tr><th scope="row">{year}{span}</th>{cells}</tr>')
    return (
        '<div class="table-wrap"><table class="metrics" id="calendar-years">\n'
        f'<thead><tr><th scope="col">Year</th>{headings}</tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>"
    )


def _allocation(data: RunData, images: dict[str, bytes]) -> str:
    if "allocation" not in images:
        return (
            '<p class="notes">This run folder has no daily weights (daily_weights.parquet); '
            "rerun it with this version of indexlab to see its allocation over time.</p>"
        )
    return _figure(
        images["allocation"],
        dict(FIGURES)["allocation"],
        f"Weights at the close: the {tables.TOP_HOLDINGS} holdings with the largest average "
        "weight over the run, the rest as other, and cash; weights drift with prices between "
        "rebalances.",
    )


def _rebalances(data: RunData, images: dict[str, bytes]) -> str:
    table = tables.rebalance_table(data.trades)
    later = table.iloc[1:]
    facts = [
        f"{len(table)} rebalances",
        f"{table['constituents'].min()}–{table['constituents'].max()} constituents",
    ]
    if len(later):
        facts += [
            f"median turnover {format_percent(later['turnover'].median(), 2)}",
            f"median cost {later['cost'].median() * 1e4:.2f} bps of value",
        ]
    lost = 1.0 - float((1.0 - table["cost"]).prod())
    facts.append(f"costs took {format_percent(lost, 2)} of wealth")
    summary = f'<p class="summary" id="rebalance-summary">{escape("; ".join(facts))}.</p>'
    return summary + _figure(
        images["rebalances"],
        dict(FIGURES)["rebalances"],
        "Constituents held after each rebalance, one-way turnover (half the sum of absolute "
        "weight changes, cash counted as a position) and cost as a share of the value "
        "before trading; the initial buy is left out of the bars.",
    )


def _figure(png: bytes, alt: str, caption: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )
