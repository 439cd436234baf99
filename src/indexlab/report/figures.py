"""The tearsheet's figures: performance, risk, calendar returns, holdings and trading.

Each function takes a :class:`~indexlab.result.Result` (or a
:class:`~indexlab.report.rundata.RunData`, or a run folder's path) and returns a
``matplotlib.figure.Figure`` on its own Agg canvas: no pyplot, no global state. Every
figure names the strategy, says what it shows, and states the data source, period, N,
lag and costs in its footer.
"""

from __future__ import annotations

import contextlib
import io
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from indexlab.report import charts, style, tables, thin
from indexlab.report.brand import HOUSE, Brand
from indexlab.report.frame import figure_badges, figure_footer, figure_title
from indexlab.report.rundata import RunData, as_run_data
from indexlab.result import Result

Run = Result | RunData | str | Path


def growth_figure(run: Run, brand: Brand = HOUSE) -> Figure:
    """Growth of 1 on a log scale: the strategy (thick) and each benchmark."""
    data = as_run_data(run)
    figure = style.new_figure()
    ax = figure.add_subplot()
    charts.draw_growth(ax, data.equity, brand)
    ax.set_ylabel("Growth of 1 (log scale)", fontsize=style.LABEL_SIZE, color=brand.text)
    _finish(
        figure,
        [ax],
        data,
        brand,
        "Growth of 1, log scale; legend: final value. Benchmarks are held buy-and-hold "
        "with the same costs.",
    )
    charts.legend_outside(ax, brand)
    return figure


def drawdown_figure(run: Run, brand: Brand = HOUSE) -> Figure:
    """Underwater curves: each portfolio's fall from its running peak, in percent."""
    data = as_run_data(run)
    figure = style.new_figure()
    ax = figure.add_subplot()
    charts.draw_drawdown(ax, data.equity, brand)
    ax.set_ylabel("Drawdown from running peak", fontsize=style.LABEL_SIZE, color=brand.text)
    _finish(
        figure,
        [ax],
        data,
        brand,
        "Drawdown (underwater): value relative to its running peak; 0% at a new high.",
    )
    charts.legend_outside(ax, brand)
    return figure


def rolling_figure(run: Run, brand: Brand = HOUSE, window: int = tables.ROLLING_DAYS) -> Figure:
    """Rolling ``window``-day return, volatility and Sharpe, one panel each."""
    data = as_run_data(run)
    stats = tables.rolling_statistics(data.equity, window, data.periods_per_year)
    figure = style.new_figure(figsize=(style.FIGSIZE_IN[0], 8.4))
    axes = figure.subplots(3, 1, sharex=True)
    panels = (
        ("return", f"{window}-day return", True),
        ("volatility", "Volatility (annualised)", True),
        ("sharpe", "Sharpe ratio", False),
    )
    for ax, (key, heading, as_percent) in zip(axes, panels, strict=True):
        frame = stats[key]
        for position, name in enumerate(frame.columns):
            charts.plot_portfolio(ax, frame[name], str(name), position, brand)
        if key != "volatility":
            ax.axhline(0.0, color=brand.axis, linewidth=0.9, zorder=1)
        if as_percent:
            charts.percent_axis(ax, bins=5)
        else:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
            ax.yaxis.set_major_formatter(
                FuncFormatter(lambda v, _pos: charts.minus(f"{round(v, 6):g}"))
            )
        ax.set_ylabel(heading, fontsize=style.LABEL_SIZE, color=brand.text)
        charts.date_axis(ax, data.equity.index)
    if len(data.equity) <= window:
        axes[0].text(
            0.5,
            0.5,
            f"The run is shorter than {window} days: no full window yet.",
            transform=axes[0].transAxes,
            ha="center",
            color=brand.muted,
        )
    _finish(
        figure,
        list(axes),
        data,
        brand,
        f"Rolling {window}-day statistics; N = {data.periods_per_year}, risk-free rate 0. "
        "Each point looks back over the previous window.",
    )
    charts.legend_outside(axes[-1], brand, bbox_to_anchor=(0.5, -0.22))
    return figure


def annual_figure(run: Run, brand: Brand = HOUSE) -> Figure:
    """Calendar-year returns of the strategy beside its benchmarks."""
    data = as_run_data(run)
    annual = tables.calendar_year_returns(data.equity)
    figure = style.new_figure()
    ax = figure.add_subplot()
    charts.draw_annual(ax, annual, tables.partial_years(data.equity.index), brand)
    ax.set_ylabel("Return in the calendar year", fontsize=style.LABEL_SIZE, color=brand.text)
    _finish(
        figure,
        [ax],
        data,
        brand,
        "Calendar-year returns; the strategy's value on its bar. The first year counts "
        "the initial costs; partial years are marked.",
        dates=False,
    )
    charts.legend_outside(ax, brand, bbox_to_anchor=(0.5, -0.14))
    return figure


def monthly_figure(run: Run, brand: Brand = HOUSE) -> Figure:
    """A heatmap of the strategy's monthly returns, with each year's return."""
    data = as_run_data(run)
    equity = data.equity.iloc[:, 0]
    monthly = tables.monthly_returns(equity)
    yearly = tables.calendar_year_returns(equity.to_frame()).iloc[:, 0]
    height = 2.3 + 0.36 * len(monthly.index)
    figure = style.new_figure(figsize=(style.FIGSIZE_IN[0], height))
    ax = figure.add_subplot()
    charts.draw_monthly(ax, monthly, yearly, brand)
    _finish(
        figure,
        [ax],
        data,
        brand,
        f"Monthly returns of {data.strategy} (blue: gain, red: loss; full colour at ±50%); "
        "the first month counts the initial costs.",
        dates=False,
    )
    return figure


def allocation_figure(run: Run, brand: Brand = HOUSE, top: int = tables.TOP_HOLDINGS) -> Figure:
    """The strategy's weights at every close: the ``top`` largest holdings and the rest."""
    data = as_run_data(run)
    if data.daily_weights is None:
        raise ValueError("the run has no daily weights (rerun it to get daily_weights.parquet)")
    bands = tables.allocation(data.daily_weights, top, data.asset_labels)
    figure = style.new_figure()
    ax = figure.add_subplot()
    # One close in ``step`` and both sides of each rebalance: as much as the chart can
    # show, the jumps kept sharp (the bands are computed from every close first).
    shown, step = thin.thin_rows(bands, thin.pixel_columns(ax, style.DPI), data.trades.index)
    charts.draw_allocation(ax, shown, brand)
    ax.set_ylabel("Weight at the close", fontsize=style.LABEL_SIZE, color=brand.text)
    subtitle = (
        f"Weights at every close: the {top} holdings with the largest average weight, "
        "then the rest; weights drift between rebalances."
        if step == 1  # as long as that, or the line runs past the legend:
        else f"Weights at one close in {step} and at each rebalance: the {top} largest "
        "holdings on average, then the rest; weights drift in between."
    )
    _finish(figure, [ax], data, brand, subtitle)
    charts.legend_right(ax, brand)
    return figure


def rebalance_figure(run: Run, brand: Brand = HOUSE) -> Figure:
    """Constituents held, one-way turnover and cost at each rebalance."""
    data = as_run_data(run)
    table = tables.rebalance_table(data.trades)
    later = table.iloc[1:]  # the initial buy (turnover 1) would flatten the bars
    figure = style.new_figure(figsize=(style.FIGSIZE_IN[0], 7.6))
    axes = figure.subplots(3, 1, sharex=True)
    axes[0].step(
        table.index.to_numpy(),
        table["constituents"],
        where="post",
        color=brand.strategy,
        linewidth=1.8,
    )
    # From zero: a step from 98 to 100 names should not look like a doubling.
    axes[0].set_ylim(0, max(int(table["constituents"].max()), 1) * 1.12)
    axes[0].yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes[0].set_ylabel("Constituents", fontsize=style.LABEL_SIZE, color=brand.text)
    gaps = np.diff(table.index.values).astype("timedelta64[D]").astype(float)
    width = 0.7 * float(np.median(gaps)) if len(gaps) else 1.0
    for ax, column, heading in (
        (axes[1], "turnover", "Turnover (one-way)"),
        (axes[2], "cost", "Cost (of value)"),
    ):
        charts.bars(
            ax, later.index, later[column].to_numpy(dtype=np.float64), width, brand.strategy
        )
        ax.set_ylabel(heading, fontsize=style.LABEL_SIZE, color=brand.text)
        ax.set_ylim(0.0, max(float(later[column].max()) * 1.12, 1e-6) if len(later) else 1.0)
    charts.percent_axis(axes[1], bins=4)
    axes[2].yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    axes[2].yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{round(v * 1e4, 4):g} bps"))
    for ax in axes:
        charts.date_axis(ax, data.equity.index)
    first = table.iloc[0]
    _finish(
        figure,
        list(axes),
        data,
        brand,
        f"At each rebalance: assets held, turnover and cost; the initial buy (turnover "
        f"{charts.percent_text(first['turnover'], 0)}, cost "
        f"{first['cost'] * 1e4:.1f} bps) is left out of the bars.",
    )
    return figure


# The tearsheet's figures by kind: what report.html shows and ``result.plot(kind)`` draws.
BY_KIND = {
    "growth": growth_figure,
    "drawdown": drawdown_figure,
    "rolling": rolling_figure,
    "annual": annual_figure,
    "monthly": monthly_figure,
    "allocation": allocation_figure,
    "rebalances": rebalance_figure,
}


# From the slowest to draw to the quickest (the demo run, issue 17): the order to hand
# them to parallel workers in, so that none is left with a slow one at the end.
SLOWEST_FIRST = ("monthly", "rebalances", "rolling", "allocation", "growth", "drawdown", "annual")


def kind_png(run: Run, kind: str) -> bytes:
    """The tearsheet's figure ``kind`` (a key of :data:`BY_KIND`) as PNG bytes."""
    return figure_png(BY_KIND[kind](run))


def figure_png(figure: Figure, dpi: float = style.DPI) -> bytes:
    """The figure as PNG bytes, at the house resolution unless told otherwise.

    At the figure's own resolution the canvas draws once: ``savefig`` draws twice (a
    first pass with drawing switched off, to run the layout, then the drawing with the
    layout engine off), for the same pixels."""
    buffer = io.BytesIO()
    if dpi == figure.dpi and isinstance(figure.canvas, FigureCanvasAgg):
        with _date_ticks_once(figure):
            figure.canvas.draw()  # the layout runs within this one draw
        _encode_png(figure, buffer)
    else:
        figure.savefig(buffer, format="png", dpi=dpi, facecolor=figure.get_facecolor())
    return buffer.getvalue()


@contextlib.contextmanager
def _date_ticks_once(figure: Figure) -> Iterator[None]:
    """Within the block, each axis placed by an ``AutoDateLocator`` gets the ticks that
    locator gives now, fixed: a draw asks an axis for its ticks many times (each
    layout pass, then the drawing), and the date locator works them out anew each
    time (dateutil rules, ~8 % of the tearsheet's drawing). The view does not change
    while the figure draws, so neither do the ticks: the pixels are the same. The
    figure gets its own locators back afterwards (one shown in a notebook can still
    be zoomed)."""
    swapped = []
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for major in (True, False):
                ticker = axis.major if major else axis.minor
                if isinstance(ticker.locator, AutoDateLocator):
                    swapped.append((axis, major, ticker.locator))
    for axis, major, locator in swapped:  # all computed before any is replaced
        fixed = FixedLocator(locator())
        (axis.set_major_locator if major else axis.set_minor_locator)(fixed)
    try:
        yield
    finally:
        for axis, major, locator in swapped:
            (axis.set_major_locator if major else axis.set_minor_locator)(locator)


# zlib's level for the PNGs: 3 compresses the tearsheet's figures 45 % faster than
# PIL's default 6, into files 6 % larger (the same pixels).
PNG_COMPRESS_LEVEL = 3


def _encode_png(figure: Figure, buffer: io.BytesIO) -> None:
    """The drawn canvas as PNG, as matplotlib writes it (resolution, "Software" note),
    but in RGB when every pixel is opaque (a figure on a white background): the same
    image with a quarter less to compress, so faster and smaller."""
    import matplotlib
    from PIL import Image, PngImagePlugin

    rgba = np.asarray(figure.canvas.buffer_rgba())
    image = Image.fromarray(rgba, "RGBA")
    if (rgba[..., 3] == 255).all():
        image = image.convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    )
    image.save(
        buffer,
        format="png",
        dpi=(figure.dpi, figure.dpi),
        pnginfo=info,
        compress_level=PNG_COMPRESS_LEVEL,
    )


def footer_text(run: Run) -> str:
    """What every figure says about its data and assumptions."""
    facts = as_run_data(run).assumptions
    lines = [
        [f"Data: {facts['Data']}", f"Period: {facts['Period']}"],
        [facts["Annualisation"], f"Lag: {facts['Lag']}", f"Costs: {facts['Costs']}"],
        [f"{style.DISCLOSURE}."],
    ]
    return "\n".join(
        textwrap.fill("  ·  ".join(parts), width=style.FOOTER_WRAP_CHARS) for parts in lines
    )


# ---------------------------------------------------------------- framing
def _finish(
    figure: Figure,
    axes: Sequence[Axes],
    data: RunData,
    brand: Brand,
    subtitle: str,
    dates: bool = True,
) -> None:
    """Title (the strategy's display title), subtitle, footer, the red badge (synthetic
    data, survivorship bias) and the font."""
    for ax in axes:
        if ax.images:  # a heatmap keeps its own frame
            continue
        charts.style_axes(ax, brand)
        if dates:
            charts.date_axis(ax, data.equity.index)
    axes[0].set_title(
        # About 13.5 characters per inch at the subtitle's size.
        textwrap.fill(subtitle, width=int(13.5 * figure.get_figwidth())),
        loc="left",
        fontsize=style.SUBTITLE_SIZE,
        color=brand.muted,
        pad=8,
    )
    figure_title(
        figure, data.display_title, data.synthetic, color=brand.text, caveat=data.survivorship
    )
    figure_footer(figure, footer_text(data), color=brand.muted)
    figure_badges(figure, data.synthetic, data.survivorship)
    charts.apply_font(figure, brand.font_family)
