"""The report's figures: growth of 1 and drawdowns of the strategy and its benchmarks.

Each function takes a :class:`~indexlab.result.Result` and returns a
``matplotlib.figure.Figure`` on its own Agg canvas: no pyplot, no global state.
Every figure states the data source, period, N, lag and costs in its footer.
"""

from __future__ import annotations

import io
import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
)

from indexlab import metrics
from indexlab.report import style
from indexlab.result import DEMO_LABEL, Result


def growth_figure(result: Result) -> Figure:
    """Growth of 1 on a log scale: the strategy (thick) and each benchmark."""
    figure = style.new_figure()
    ax = figure.add_subplot()
    equity = result.equity
    for position, name in enumerate(equity.columns):
        # A log axis cannot show values <= 0: leave those points out rather than fail.
        curve = equity[name].where(equity[name] > 0)
        final = curve.dropna().iloc[-1] if curve.notna().any() else np.nan
        _plot_portfolio(ax, curve, f"{name}  ({final:,.2f}×)", position)
    ax.axhline(1.0, color=style.MUTED_INK, linewidth=0.9, linestyle=(0, (4, 3)), zorder=1)
    ax.set_yscale("log")
    _log_ticks(ax, equity.where(equity > 0).to_numpy())
    ax.set_ylabel("Growth of 1 (log scale)", fontsize=style.LABEL_SIZE, color=style.INK)
    _finish(
        figure,
        ax,
        result,
        "Growth of 1, log scale; legend: final value. Benchmarks are held buy-and-hold "
        "with the same costs.",
    )
    _legend(ax)
    return figure


def drawdown_figure(result: Result) -> Figure:
    """Underwater curves: each portfolio's fall from its running peak, in percent."""
    figure = style.new_figure()
    ax = figure.add_subplot()
    underwater = metrics.drawdown(result.equity)
    strategy = underwater.columns[0]
    ax.fill_between(
        underwater.index,
        underwater[strategy].to_numpy(),
        0.0,
        color=style.STRATEGY_COLOR,
        alpha=0.10,
        linewidth=0,
        zorder=2,
    )
    for position, name in enumerate(underwater.columns):
        depth = float(underwater[name].min())
        label = f"{name}  (max {_minus(f'{depth:.1%}')}"
        dated = position == 0 and depth < 0
        label += f" on {underwater[name].idxmin().date()})" if dated else ")"
        _plot_portfolio(ax, underwater[name], label, position)
    _mark_trough(ax, underwater[strategy])
    ax.axhline(0.0, color=style.SPINE, linewidth=0.9, zorder=1)
    lowest = float(np.nanmin(underwater.to_numpy())) if underwater.size else 0.0
    # A little room below the deepest fall, but never below -100% (nothing can fall further).
    ax.set_ylim(max(min(lowest, -0.01) * 1.08, -1.0), 0.02 * max(abs(lowest), 0.01))
    # Ticks at round percentages (1-2-5 steps), labelled without spurious decimals.
    ax.yaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: _minus(f"{round(value * 100, 6):g}%"))
    )
    ax.set_ylabel("Drawdown from running peak", fontsize=style.LABEL_SIZE, color=style.INK)
    _finish(
        figure,
        ax,
        result,
        "Drawdown (underwater): value relative to its running peak; 0% at a new high.",
    )
    _legend(ax)
    return figure


def figure_png(figure: Figure) -> bytes:
    """The figure as PNG bytes, at the house size and resolution."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=style.DPI, facecolor="white")
    return buffer.getvalue()


def footer_text(result: Result) -> str:
    """What every figure says about its data and assumptions."""
    facts = result.assumptions()
    lines = [
        [f"Data: {facts['Data']}", f"Period: {facts['Period']}"],
        [facts["Annualisation"], f"Lag: {facts['Lag']}", f"Costs: {facts['Costs']}"],
        ["Backtested, hypothetical results; not financial advice."],
    ]
    return "\n".join(
        textwrap.fill("  ·  ".join(parts), width=style.FOOTER_WRAP_CHARS) for parts in lines
    )


# ---------------------------------------------------------------- helpers
def _minus(number: str) -> str:
    """The typographic minus, as on the tick labels."""
    return number.replace("-", "\u2212")


def _plot_portfolio(ax: Axes, series: pd.Series, label: str, position: int) -> None:
    """Position 0 is the strategy (thick, strong, on top); the rest are benchmarks."""
    if position == 0:
        kwargs = {
            "color": style.STRATEGY_COLOR,
            "linewidth": style.STRATEGY_LINE_WIDTH,
            "zorder": 5,
        }
    else:
        kwargs = {
            "color": style.benchmark_color(position - 1),
            "linewidth": style.BENCHMARK_LINE_WIDTH,
            "alpha": style.BENCHMARK_ALPHA,
            "zorder": 4,
        }
    ax.plot(series.index, series.to_numpy(dtype=np.float64), label=label, **kwargs)


def _log_ticks(ax: Axes, values: np.ndarray) -> None:
    """Readable log ticks: 1-2-5 steps over a short range, powers of ten over a long one."""
    finite = values[np.isfinite(values)]
    decades = np.log10(finite.max() / finite.min()) if finite.size else 0.0
    if decades <= 0.5:
        # Within a factor of ~3, log ticks would be one or two: use evenly spaced values.
        ax.yaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
        ax.yaxis.set_minor_locator(NullLocator())
    else:
        subs = (1.0, 2.0, 5.0) if decades <= 3.0 else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.4g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _mark_trough(ax: Axes, underwater: pd.Series) -> None:
    """A ring around the strategy's deepest point (its depth and date are in the legend)."""
    if underwater.empty or not (underwater < 0).any():
        return
    ax.plot(
        [underwater.idxmin()],
        [float(underwater.min())],
        marker="o",
        markersize=11,
        markerfacecolor="none",  # a ring: a filled dot would hide the tip of the line
        markeredgewidth=1.5,
        markeredgecolor=style.STRATEGY_COLOR,
        zorder=6,
    )


def _legend(ax: Axes) -> None:
    """One row (or a few) under the plot, where it can never hide a line."""
    labels = ax.get_legend_handles_labels()[1]
    # As many columns as fit the width: a wider legend would squeeze the plot.
    ncols = 1
    while ncols < len(labels):
        widest = sorted((len(label) for label in labels), reverse=True)[: ncols + 1]
        if sum(widest) + 8 * (ncols + 1) > style.LEGEND_ROW_CHARS:
            break
        ncols += 1
    rows = math.ceil(len(labels) / ncols)
    ncols = max(1, math.ceil(len(labels) / rows))  # balanced rows: 2 + 2 rather than 3 + 1
    legend = ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.07),
        ncols=ncols,
        fontsize=style.LEGEND_SIZE,
        frameon=False,
        handlelength=2.4,
        columnspacing=2.2,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)  # asset names may contain "$"
        text.set_color(style.INK)


def _finish(figure: Figure, ax: Axes, result: Result, subtitle: str) -> None:
    """Title (the strategy name), subtitle, date axis, footer and the synthetic badge."""
    locator = AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    # No offset text in the corner (it would collide with the legend below the axis):
    # month ticks carry their year instead.
    formatter = ConciseDateFormatter(locator, show_offset=False)
    formatter.formats = ["%Y", "%b %Y", "%d", "%H:%M", "%H:%M", "%S.%f"]
    formatter.zero_formats = ["", "%b %Y", "%b %Y", "%b %d", "%H:%M", "%H:%M"]
    ax.xaxis.set_major_formatter(formatter)
    first, last = result.equity.index[0], result.equity.index[-1]
    if first == last:  # a one-day run: show that day, not a default span of years
        first, last = first - pd.Timedelta(days=1), last + pd.Timedelta(days=1)
    ax.set_xlim(first, last)
    style.style_axes(ax)
    ax.set_title(subtitle, loc="left", fontsize=style.SUBTITLE_SIZE, color=style.MUTED_INK, pad=8)
    # Wrapped short enough to leave room for the synthetic badge on the same line.
    title_chars = (
        style.TITLE_CHARS_BESIDE_BADGE
        if result.market.synthetic
        else 2 * style.TITLE_CHARS_BESIDE_BADGE
    )
    figure.suptitle(
        textwrap.fill(result.name, width=title_chars),
        x=0.01,
        ha="left",
        fontsize=style.TITLE_SIZE,
        fontweight="bold",
        color=style.INK,
        parse_math=False,
    )
    # supxlabel takes part in the constrained layout, so the footer is never clipped.
    figure.supxlabel(
        footer_text(result),
        x=0.01,
        ha="left",
        multialignment="left",
        fontsize=style.FOOTER_SIZE,
        color=style.MUTED_INK,
        parse_math=False,
    )
    if result.market.synthetic:
        figure.text(
            0.99,
            0.985,
            f"{DEMO_LABEL}: not real market prices",
            ha="right",
            va="top",
            fontsize=style.SUBTITLE_SIZE,
            fontweight="bold",
            color=style.SYNTHETIC_COLOR,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": style.SYNTHETIC_BACKGROUND,
                "edgecolor": style.SYNTHETIC_COLOR,
            },
        )
