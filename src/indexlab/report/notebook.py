"""How a Result shows itself in a notebook: ``result`` as HTML (what ran, its notes,
the metrics as percentages), ``result.stats()`` as a formatted table and
``result.plot(kind)`` as a matplotlib Figure.

:class:`~indexlab.result.Result` sits below the report layer, so this module installs
itself on it when imported (``import indexlab`` does).
"""

from __future__ import annotations

from html import escape

import pandas as pd
from matplotlib.figure import Figure

from indexlab.errors import SpecError
from indexlab.report import figures
from indexlab.report.tearsheet import METRIC_FORMATS, format_metric
from indexlab.result import Result, install_presenter

PLOTS = figures.BY_KIND

_STYLE = (
    "<style>.indexlab-result table{border-collapse:collapse;margin:4px 0 10px}"
    ".indexlab-result td,.indexlab-result th{padding:2px 10px;text-align:right}"
    ".indexlab-result th:first-child,.indexlab-result td:first-child{text-align:left}"
    ".indexlab-result .notes li{color:#8a4b00}</style>"
)


def stats_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """A metrics table (one row per portfolio) as text: one row per metric under its
    heading, one column per portfolio, each value formatted as the report prints it."""
    columns = {
        str(name): [format_metric(column, row[column]) for column in metrics.columns]
        for name, row in metrics.iterrows()
    }
    headings = [METRIC_FORMATS.get(c, (c, None))[0] for c in metrics.columns]
    table = pd.DataFrame(columns, index=pd.Index(headings, name="metric"))
    table.columns.name = "portfolio"
    return table


def _definition_rows(facts: dict[str, str]) -> str:
    return "".join(
        f"<tr><th>{escape(key)}</th><td style='text-align:left'>{escape(value)}</td></tr>"
        for key, value in facts.items()
    )


def result_html(result: Result) -> str:
    """The Result as a notebook shows it; every text from the strategy or the data is
    escaped."""
    strategy = result.strategy
    title = getattr(strategy, "title", "") or strategy.name
    parts = [_STYLE, "<div class='indexlab-result'>", f"<h3>{escape(title)}</h3>"]
    if strategy.description:
        parts.append(f"<p>{escape(strategy.description)}</p>")
    parts.append(
        f"<p>{escape(result.data_label)} &middot; {result.dates[0].date()} to "
        f"{result.dates[-1].date()} ({len(result.dates):,} days)</p>"
    )
    if result.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in result.notes)
        parts.append(f"<ul class='notes'>{items}</ul>")
    parts.append(stats_table(result.metrics()).to_html(escape=True, border=0))
    parts.append(
        "<details><summary>Assumptions</summary><table>"
        f"{_definition_rows(result.assumptions())}</table></details></div>"
    )
    return "".join(parts)


def result_stats(result: Result, risk_free: float = 0.0) -> pd.DataFrame:
    return stats_table(result.metrics(risk_free=risk_free))


def result_plot(result: Result, kind: str = "growth", **options) -> Figure:
    maker = PLOTS.get(kind)
    if maker is None:
        raise SpecError(f"plot: unknown kind {kind!r}; choose one of {', '.join(PLOTS)}")
    return maker(result, **options)


class _Presenter:
    html = staticmethod(result_html)
    stats = staticmethod(result_stats)
    plot = staticmethod(result_plot)


install_presenter(_Presenter)
