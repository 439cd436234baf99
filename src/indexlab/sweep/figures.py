"""Figures of a sweep: a heatmap over two grid keys, and the entry-date study."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from indexlab.report import style
from indexlab.report.charts import date_axis, percent_axis
from indexlab.report.frame import frame_figure
from indexlab.report.tearsheet import format_metric

PERCENT_METRICS = {
    "total_return",
    "cagr",
    "volatility",
    "max_drawdown",
    "best_day",
    "worst_day",
    "avg_turnover",
    "total_cost",
}


def _label(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "none"
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def heatmap_figure(
    cells: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    *,
    title: str,
    footer: str,
    synthetic: bool,
    counts: pd.DataFrame | None = None,
) -> Figure:
    """``cells`` (rows: values of ``y``, columns: values of ``x``) as a heatmap, each
    cell labelled with its value."""
    figure = style.new_figure()
    ax = figure.add_subplot()
    values = cells.to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() < 0 < finite.max():
        norm = TwoSlopeNorm(vcenter=0.0, vmin=finite.min(), vmax=finite.max())
        cmap = "RdBu"
    else:
        norm, cmap = None, "Blues"
    image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(range(len(cells.columns)), [_label(v) for v in cells.columns])
    ax.set_yticks(range(len(cells.index)), [_label(v) for v in cells.index])
    ax.set_xlabel(x, fontsize=style.LABEL_SIZE)
    ax.set_ylabel(y, fontsize=style.LABEL_SIZE)
    ax.tick_params(labelsize=style.TICK_SIZE)
    if len(cells.columns) > 10:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_ha("right")
    if len(cells.columns) * len(cells.index) <= 120 and finite.size:
        _write_values(ax, image, values, metric)
    empty = ~np.isfinite(values)
    _hatch(ax, empty)
    bar = figure.colorbar(image, ax=ax, shrink=0.85, pad=0.02)
    bar.ax.tick_params(labelsize=style.TICK_SIZE)
    if metric in PERCENT_METRICS:
        bar.ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    frame_figure(
        figure,
        ax,
        title=title,
        subtitle=f"{metric}: the median over the sweep's other parameters"
        + _cells_note(cells, counts, empty.any()),
        footer=footer,
        synthetic=synthetic,
    )
    return figure


def _write_values(ax: Axes, image: AxesImage, values: np.ndarray, metric: str) -> None:
    """Each cell's value printed on it."""
    for (row, column), value in np.ndenumerate(values):
        if not np.isfinite(value):
            continue
        # White on dark cells, ink on light ones: by the cell colour's luminance.
        red, green, blue, _ = image.cmap(image.norm(value))
        strong = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5
        ax.text(
            column,
            row,
            format_metric(metric, value),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if strong else style.INK,
        )


def _hatch(ax: Axes, empty: np.ndarray) -> None:
    """A cell without a value (no configuration passed the constraints, or none ran):
    hatched, so that it does not read as the low end of the colour scale."""
    for row, column in zip(*np.nonzero(empty), strict=True):
        ax.add_patch(
            Rectangle(
                (column - 0.5, row - 0.5),
                1,
                1,
                facecolor="#f2f2f2",
                edgecolor="#b0b0b0",
                hatch="///",
                linewidth=0,
            )
        )


def _cells_note(cells: pd.DataFrame, counts: pd.DataFrame | None, any_empty: bool) -> str:
    """`` (2-3 configurations a cell; hatched: no configuration)``, or less."""
    if counts is None:
        return " (hatched: no configuration)" if any_empty else ""
    per_cell = counts.reindex(index=cells.index, columns=cells.columns).to_numpy(dtype=float)
    filled = per_cell[np.isfinite(per_cell) & (per_cell > 0)]
    if not filled.size:
        return ""
    low, high = int(filled.min()), int(filled.max())
    n = f"{low}" if low == high else f"{low}-{high}"
    return f" ({n} configurations a cell" + ("; hatched: no configuration)" if any_empty else ")")


def entry_figure(table: pd.DataFrame, *, title: str, footer: str, synthetic: bool) -> Figure:
    """CAGR of the strategy and of BTC by start date, and the difference."""
    figure = style.new_figure(figsize=(10.0, 6.4))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    starts = pd.DatetimeIndex(table["start"])
    top.plot(
        starts,
        table["cagr"],
        color=style.STRATEGY_COLOR,
        linewidth=2.0,
        marker="o",
        markersize=3,
        label="strategy",
    )
    top.plot(
        starts,
        table["btc_cagr"],
        color=style.benchmark_color(0),
        linewidth=1.3,
        marker="o",
        markersize=2.5,
        label="BTC, same dates and costs",
    )
    top.axhline(0, color=style.SPINE, linewidth=0.8)
    # "days" counts the run's dates, both ends included: the holding period is one less.
    span = table["days"].to_numpy() - 1 if "days" in table else np.zeros(0)
    held = f"{int(span[0]):,} days" if len(span) and (span == span[0]).all() else None
    top.set_ylabel(
        f"CAGR over the {held} held" if held else "CAGR from the start date",
        fontsize=style.LABEL_SIZE,
    )
    excess = table["excess_cagr"].to_numpy(dtype=np.float64)
    colors = np.where(excess >= 0, style.STRATEGY_COLOR, style.SYNTHETIC_COLOR)
    spacing = np.diff(starts.to_numpy()) / np.timedelta64(1, "D") if len(starts) > 1 else [30.0]
    width = max(1.0, 0.7 * float(np.median(spacing)))  # in days, the bars' date unit
    bottom.bar(starts, excess, width=width, color=colors)
    bottom.axhline(0, color=style.SPINE, linewidth=0.8)
    bottom.set_ylabel("Strategy minus BTC", fontsize=style.LABEL_SIZE)
    for ax in (top, bottom):
        style.style_axes(ax)
        percent_axis(ax)
        date_axis(ax, starts)
    top.legend(frameon=False, fontsize=style.LEGEND_SIZE, loc="upper right")
    share = float(np.mean(excess > 0)) if len(excess) else float("nan")
    frame_figure(
        figure,
        top,
        title=title,
        subtitle=(
            f"Started on each of {len(table)} dates"
            + (f", held {held} each" if held else ", held to the end")
            + ": the strategy beat BTC from "
            f"{share:.0%} of them (median difference {np.median(excess):+.1%} a year)"
        ),
        footer=footer,
        synthetic=synthetic,
    )
    return figure
