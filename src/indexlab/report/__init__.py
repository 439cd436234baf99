"""Reports of a run: figures for notebooks and a self-contained HTML tearsheet.

    >>> from indexlab.report import write_report, growth_figure
    >>> write_report(result, Path("runs/top10"))   # figures/*.png and report.html
    >>> growth_figure(result)                       # a matplotlib Figure, no pyplot

Nothing here changes matplotlib's global state: figures are built on their own Agg
canvas with the house style passed explicitly.
"""

from indexlab.report.figures import drawdown_figure, growth_figure
from indexlab.report.tearsheet import report_html, write_report

__all__ = ["drawdown_figure", "growth_figure", "report_html", "write_report"]
