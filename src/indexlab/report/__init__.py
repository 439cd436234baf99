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

import importlib
import sys
import types

# Each public name and the module that defines it, imported when first used (PEP 562):
# the run folder's writer and the terminal tables use this package's light modules
# (rundata, text) without loading matplotlib through this file.
_PUBLIC = {
    "HOUSE": "brand",
    "Brand": "brand",
    "load_brand": "brand",
    "allocation_figure": "figures",
    "annual_figure": "figures",
    "drawdown_figure": "figures",
    "growth_figure": "figures",
    "monthly_figure": "figures",
    "rebalance_figure": "figures",
    "rolling_figure": "figures",
    "KINDS": "marketing",
    "marketing_figure": "marketing",
    "save_marketing_figure": "marketing",
    "RunData": "rundata",
    "as_run_data": "rundata",
    "read_run": "rundata",
    "ReportFigure": "sections",
    "ReportSection": "sections",
    "load_sections": "sections",
    "signal_figure": "signal_figure",
    "add_to_run": "tearsheet",
    "report_html": "tearsheet",
    "write_report": "helper",  # tearsheet's, or handed to a helper forked earlier
}


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'indexlab.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"indexlab.report.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """This package, where a name that is both a submodule and a function the package
    exports (``signal_figure``) stays the function: importing the submodule sets the
    package's attribute to the module, and here the function is kept instead, as the
    eager ``from indexlab.report.signal_figure import signal_figure`` kept it."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _PUBLIC.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
