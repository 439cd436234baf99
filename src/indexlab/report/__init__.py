"""Reports of a run: figures for notebooks, a self-contained HTML tearsheet, and
marketing figures with the hypothetical-performance disclosure.

    >>> from indexlab.report import write_report, growth_figure, marketing_figure
    >>> write_report(result, Path("runs/top10"))     # figures/*.png and report.html
    >>> write_report("runs/top10", "runs/top10")     # rebuilt from the run folder alone
    >>> growth_figure(result)                         # a matplotlib Figure, no pyplot
    >>> marketing_figure("runs/top10", "growth", title="Top 10, capped")

Everything takes a :class:`~indexlab.result.Result`, a :class:`RunData` or the path of a
run folder. Nothing here changes matplotlib's global state: figures are built on their
own Agg canvas with the style passed explicitly. Other analyses add sections to the
tearsheet through :class:`ReportSection` (see :mod:`indexlab.report.sections`) and
:func:`add_to_run`; :func:`signal_figure` draws a signal's flips
(:func:`indexlab.signals.analyze_flips`).
"""

from indexlab.report.brand import HOUSE, Brand, load_brand
from indexlab.report.figures import (
    allocation_figure,
    annual_figure,
    drawdown_figure,
    growth_figure,
    monthly_figure,
    rebalance_figure,
    rolling_figure,
)
from indexlab.report.marketing import KINDS, marketing_figure, save_marketing_figure
from indexlab.report.rundata import RunData, as_run_data, read_run
from indexlab.report.sections import ReportFigure, ReportSection, load_sections
from indexlab.report.signal_figure import signal_figure
from indexlab.report.tearsheet import add_to_run, report_html, write_report

__all__ = [
    "HOUSE",
    "KINDS",
    "Brand",
    "ReportFigure",
    "ReportSection",
    "RunData",
    "add_to_run",
    "allocation_figure",
    "annual_figure",
    "as_run_data",
    "drawdown_figure",
    "growth_figure",
    "load_brand",
    "load_sections",
    "marketing_figure",
    "monthly_figure",
    "read_run",
    "rebalance_figure",
    "report_html",
    "rolling_figure",
    "save_marketing_figure",
    "signal_figure",
    "write_report",
]
