"""A run's main tables in the formats researchers paste elsewhere: CSV, Parquet, Excel.

    >>> from indexlab.export import export, run_tables
    >>> export(result, "out", formats=("csv", "parquet", "xlsx"))
    >>> run_tables("runs/top10")["calendar_years"]     # the same tables as DataFrames

Every table is a plain DataFrame: returns, weights, turnover and costs are fractions
(0.1 is 10%), equity is in units of the initial capital, dates are calendar days.
The Excel workbook needs ``openpyxl`` (``pip install 'indexlab[export]'``); it holds
every table but the daily weights, which are large (CSV and Parquet have them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from indexlab.cells import FORMULA_STARTS, neutralise_cells
from indexlab.errors import IndexlabError
from indexlab.paths import safe_component
from indexlab.report import tables
from indexlab.report.rundata import RunData, as_run_data
from indexlab.result import Result

FORMATS = ("csv", "parquet", "xlsx")
WORST_DRAWDOWNS = 10
_NOT_IN_EXCEL = ("daily_weights",)


def run_tables(run: Result | RunData | str | Path) -> dict[str, pd.DataFrame]:
    """The main tables of a run, by name, each with a plain (unnamed-level-free) layout."""
    data = as_run_data(run)
    strategy = data.equity.iloc[:, 0]
    assumptions = pd.DataFrame(
        {"item": list(data.assumptions), "value": list(data.assumptions.values())}
    )
    notes = pd.DataFrame({"item": "Note", "value": list(data.notes)})
    units = pd.DataFrame(
        {
            "item": ["Units"],
            "value": [
                "equity in multiples of the initial capital; returns, weights, turnover and "
                "costs as fractions (0.1 = 10%)"
            ],
        }
    )
    monthly = tables.monthly_returns(strategy)
    monthly.columns = [pd.Timestamp(2001, m, 1).strftime("%b") for m in monthly.columns]
    trades = data.trades.copy()
    trades.insert(0, "cost_of_value", trades["cost"] / trades["value_pre_trade"])
    weights = data.weights.stack()
    weights = weights[weights > 0].rename("weight").reset_index()
    weights.columns = ["date", "asset", "weight"]
    frames = {
        "assumptions": pd.concat([assumptions, units, notes], ignore_index=True),
        "metrics": data.metrics,
        "equity": data.equity,
        "returns": data.returns,
        "calendar_years": tables.calendar_year_returns(data.equity),
        "monthly_returns": monthly,
        "drawdowns": tables.worst_drawdowns(strategy, WORST_DRAWDOWNS),
        "rebalances": trades,
        "weights": weights,
    }
    if data.daily_weights is not None:
        frames["daily_weights"] = data.daily_weights
    return frames


def _keeps_index(frame: pd.DataFrame) -> bool:
    return not isinstance(frame.index, pd.RangeIndex)


def _each_table(run, folder: str | Path, suffix: str, write) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in run_tables(run).items():
        path = folder / f"{name}.{suffix}"
        write(frame, path)
        written.append(path)
    return written


def to_csv(run: Result | RunData | str | Path, folder: str | Path) -> list[Path]:
    """One ``<table>.csv`` per table in ``folder``."""

    def write(frame: pd.DataFrame, path: Path) -> None:
        frame = neutralise_cells(frame)  # no text cell starts a formula (indexlab.cells)
        frame.to_csv(path, index=_keeps_index(frame), float_format="%.12g")

    return _each_table(run, folder, "csv", write)


def to_parquet(run: Result | RunData | str | Path, folder: str | Path) -> list[Path]:
    """One ``<table>.parquet`` per table in ``folder``."""

    def write(frame: pd.DataFrame, path: Path) -> None:
        frame = frame.copy()
        frame.columns = [str(c) for c in frame.columns]  # Parquet needs text column names
        frame.attrs = {}  # a run folder's line numbers mean nothing in the exported file
        frame.to_parquet(path, index=_keeps_index(frame))

    return _each_table(run, folder, "parquet", write)


def to_excel(run: Result | RunData | str | Path, path: str | Path) -> Path:
    """One workbook, a sheet per table (all but the daily weights)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise IndexlabError(
            "Excel export needs openpyxl: pip install 'indexlab[export]' (or openpyxl)"
        ) from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in run_tables(run).items():
            if name in _NOT_IN_EXCEL:
                continue
            frame.to_excel(writer, sheet_name=name, index=_keeps_index(frame))
            sheet = writer.sheets[name]
            _cells_as_text(sheet)
            sheet.freeze_panes = "B2" if _keeps_index(frame) else "A2"
            for column in sheet.columns:  # wide enough for dates and headings
                width = max(len(str(cell.value or "")) for cell in column[:50])
                sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    return path


def _cells_as_text(sheet) -> None:
    """Every text cell of ``sheet`` stored as text, never as a formula or an error value.

    openpyxl turns a string that starts with ``=`` into a live formula (and ``#N/A``
    into an error), and nothing indexlab writes is meant as one: every such cell came
    from data (an asset id, a symbol, a strategy name). Text that a spreadsheet would
    re-read as a formula when edited gets Excel's quote prefix as well.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type in ("f", "e"):
                cell.data_type = "s"
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True


def export(
    run: Result | RunData | str | Path,
    out_dir: str | Path,
    formats: Sequence[str] = ("xlsx",),
) -> list[Path]:
    """Write the run's tables in each of ``formats`` (``csv``, ``parquet``, ``xlsx``)
    into ``out_dir``: ``csv/`` and ``parquet/`` folders, ``<run name>.xlsx``."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise IndexlabError(f"export format {unknown[0]!r}: use {', '.join(FORMATS)}")
    data = as_run_data(run)
    out_dir = Path(out_dir)
    written: list[Path] = []
    for fmt in formats:
        if fmt == "csv":
            written += to_csv(data, out_dir / "csv")
        elif fmt == "parquet":
            written += to_parquet(data, out_dir / "parquet")
        else:
            stem = safe_component(data.name, fallback="run")
            written.append(to_excel(data, out_dir / f"{stem}.xlsx"))
    return written
