"""What goes inside the axes of every figure, in a brand's colours.

The tearsheet's figures (:mod:`indexlab.report.figures`) and the marketing figures
(:mod:`indexlab.report.marketing`) frame the same charts differently: these functions
draw the data, the ticks and the legend onto axes they are given, and nothing else.
The strategy is position 0 (thick, strong colour, on top); benchmarks follow, muted.
The frame around the axes (title, footer, synthetic-data badge) is
:mod:`indexlab.report.frame`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import PolyCollection
from matplotlib.colors import TwoSlopeNorm, to_rgb
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

from indexlab import metrics
from indexlab.report import style, tables, thin
from indexlab.report.brand import Brand


# ---------------------------------------------------------------- axes and text
def minus(number: str) -> str:
    """The typographic minus, as on the tick labels."""
    return number.replace("-", "\u2212")


def percent_text(value: float, decimals: int = 0, sign: bool = False) -> str:
    if not math.isfinite(value):
        return "–"
    return minus(f"{value * 100:{'+' if sign else ''},.{decimals}f}%")


def style_axes(ax: Axes, brand: Brand) -> None:
    style.style_axes(ax, ink=brand.text, muted=brand.muted, grid=brand.grid, spine=brand.axis)


def percent_axis(ax: Axes, bins: int = 7) -> None:
    """Round percentages (1-2-5 steps) without spurious decimals on the y axis."""
    ax.yaxis.set_major_locator(MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: minus(f"{round(value * 100, 6):,g}%"))
    )


def date_axis(ax: Axes, index: pd.DatetimeIndex, max_ticks: int = 10) -> None:
    """Concise date ticks (years, or months with their year) over exactly the run."""
    locator = AutoDateLocator(minticks=4, maxticks=max_ticks)
    ax.xaxis.set_major_locator(locator)
    # No offset text in the corner (it collides with what sits below the axis):
    # month ticks carry their year instead.
    formatter = ConciseDateFormatter(locator, show_offset=False)
    formatter.formats = ["%Y", "%b %Y", "%d", "%H:%M", "%H:%M", "%S.%f"]
    formatter.zero_formats = ["", "%b %Y", "%b %Y", "%b %d", "%H:%M", "%H:%M"]
    ax.xaxis.set_major_formatter(formatter)
    first, last = pd.Timestamp(index[0]), pd.Timestamp(index[-1])
    if first == last:  # a one-day run: show that day, not a default span of years
        first, last = first - pd.Timedelta(days=1), last + pd.Timedelta(days=1)
    ax.set_xlim(first, last)


def log_ticks(ax: Axes, values: np.ndarray, label: Callable[[float], str]) -> None:
    """Log ticks labelled in plain numbers: 1-2-5 steps over a short range, powers of
    ten over a long one, evenly spaced values within a factor of ~3."""
    finite = values[np.isfinite(values) & (values > 0)]
    decades = np.log10(finite.max() / finite.min()) if finite.size else 0.0
    if decades <= 0.5:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
        ax.yaxis.set_minor_locator(NullLocator())
    else:
        subs = (1.0, 2.0, 5.0) if decades <= 3.0 else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: label(value)))
    ax.yaxis.set_minor_formatter(NullFormatter())


def money(value: float) -> str:
    """``$2k``, ``$10k``, ``$1.5M``: short money for tick labels."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"${round(value / size, 6):,g}{suffix}"
    return f"${round(value, 6):,g}"


def plot_portfolio(ax: Axes, series: pd.Series, label: str, position: int, brand: Brand) -> None:
    if position == 0:
        kwargs = {"color": brand.strategy, "linewidth": style.STRATEGY_LINE_WIDTH, "zorder": 5}
    else:
        kwargs = {
            "color": brand.benchmark_color(position - 1),
            "linewidth": style.BENCHMARK_LINE_WIDTH,
            "alpha": style.BENCHMARK_ALPHA,
            "zorder": 4,
        }
    series = thin.thin_line(series, thin.pixel_columns(ax))  # no more than a screen shows
    # Dates as a datetime64 array: matplotlib reads a DatetimeIndex's first element by
    # iterating it, which turns the whole index into Timestamps (the same numbers).
    ax.plot(series.index.to_numpy(), series.to_numpy(dtype=np.float64), label=label, **kwargs)


def legend_columns(labels: Sequence[str], row_chars: int) -> int:
    """As many columns as fit one row of ``row_chars`` characters, in balanced rows."""
    ncols = 1
    while ncols < len(labels):
        widest = sorted((len(label) for label in labels), reverse=True)[: ncols + 1]
        if sum(widest) + 8 * (ncols + 1) > row_chars:
            break
        ncols += 1
    rows = math.ceil(len(labels) / ncols)
    return max(1, math.ceil(len(labels) / rows))  # 2 + 2 rather than 3 + 1


def legend_outside(
    ax: Axes, brand: Brand, *, above: bool = False, size: float = style.LEGEND_SIZE, **kwargs
) -> None:
    """A legend in rows under (or over) the plot, where it can never hide a line."""
    labels = ax.get_legend_handles_labels()[1]
    if not labels:
        return
    row_chars = int(style.LEGEND_ROW_CHARS * ax.figure.get_figwidth() / style.FIGSIZE_IN[0])
    options = {
        "loc": "lower left" if above else "upper center",
        "bbox_to_anchor": (0.0, 1.01) if above else (0.5, -0.07),
        "ncols": legend_columns(labels, int(row_chars * style.LEGEND_SIZE / size)),
        "fontsize": size,
        "frameon": False,
        "handlelength": 2.0,
        "columnspacing": 2.0,
        "borderaxespad": 0.0,
    }
    options.update(kwargs)
    legend = ax.legend(**options)
    for text in legend.get_texts():
        text.set_parse_math(False)  # asset names may contain "$"
        text.set_color(brand.text)


def apply_font(figure: Figure, family: str) -> None:
    """Every text of the figure, tick labels drawn later included, in ``family``."""
    for text in _texts(figure):
        text.set_fontfamily(family)
    for ax in figure.axes:
        ax.tick_params(which="both", labelfontfamily=family)


def _texts(artist: Artist) -> Iterator[Text]:
    """Every Text under ``artist`` but the tick labels, which ``tick_params`` sets (for
    ticks made later too): walking an axis's ticks would make them all now, a tenth of
    the time a figure takes (``Figure.findobj`` does)."""
    if isinstance(artist, Text):
        yield artist
    children = (
        (artist.label, artist.offsetText) if isinstance(artist, Axis) else artist.get_children()
    )
    for child in children:
        yield from _texts(child)


# ---------------------------------------------------------------- charts
def draw_growth(ax: Axes, equity: pd.DataFrame, brand: Brand, amount: float = 1.0) -> None:
    """Growth of ``amount`` on a log scale; legend labels carry the final value."""
    values = equity * amount
    label_value = money if amount != 1.0 else (lambda v: f"{v:,.2f}×")
    for position, name in enumerate(values.columns):
        # A log axis cannot show values <= 0: leave those points out rather than fail.
        curve = values[name].where(values[name] > 0)
        final = curve.dropna().iloc[-1] if curve.notna().any() else np.nan
        final_text = label_value(final) if math.isfinite(final) else "–"
        plot_portfolio(ax, curve, f"{name}  ({final_text})", position, brand)
    ax.axhline(amount, color=brand.muted, linewidth=0.9, linestyle=(0, (4, 3)), zorder=1)
    ax.set_yscale("log")
    positive = values.where(values > 0).to_numpy(dtype=np.float64)
    log_ticks(ax, positive, money if amount != 1.0 else (lambda v: f"{v:,.4g}"))
    date_axis(ax, equity.index)


def draw_drawdown(ax: Axes, equity: pd.DataFrame, brand: Brand, mark_trough: bool = True) -> None:
    """Underwater curves: each portfolio's fall from its running peak."""
    underwater = metrics.drawdown(equity)
    strategy = underwater.columns[0]
    shaded = thin.thin_line(underwater[strategy], thin.pixel_columns(ax))
    ax.fill_between(
        shaded.index.to_numpy(),
        shaded.to_numpy(),
        0.0,
        color=brand.strategy,
        alpha=0.10,
        linewidth=0,
        zorder=2,
    )
    for position, name in enumerate(underwater.columns):
        depth = float(underwater[name].min())
        label = f"{name}  (max {percent_text(depth, 1)}"
        dated = position == 0 and depth < 0
        label += f" on {underwater[name].idxmin().date()})" if dated else ")"
        plot_portfolio(ax, underwater[name], label, position, brand)
    if mark_trough and (underwater[strategy] < 0).any():
        ax.plot(  # a ring: a filled dot would hide the tip of the line
            [underwater[strategy].idxmin()],
            [float(underwater[strategy].min())],
            marker="o",
            markersize=11,
            markerfacecolor="none",
            markeredgewidth=1.5,
            markeredgecolor=brand.strategy,
            zorder=6,
        )
    ax.axhline(0.0, color=brand.axis, linewidth=0.9, zorder=1)
    lowest = float(np.nanmin(underwater.to_numpy())) if underwater.size else 0.0
    # A little room below the deepest fall, but never below -100% (nothing falls further).
    ax.set_ylim(max(min(lowest, -0.01) * 1.08, -1.0), 0.02 * max(abs(lowest), 0.01))
    percent_axis(ax, bins=8)
    date_axis(ax, equity.index)


def draw_annual(
    ax: Axes,
    annual: pd.DataFrame,
    partial: dict[int, str],
    brand: Brand,
    value_size: float = 8.0,
) -> None:
    """Calendar-year returns as grouped bars, the strategy's value printed on its bar."""
    years = list(annual.index)
    n = annual.shape[1]
    width = 0.8 / n
    x = np.arange(len(years), dtype=float)
    span = float(np.nanmax(np.abs(annual.to_numpy()))) if annual.notna().any().any() else 1.0
    rotate = len(years) > 12
    for position, name in enumerate(annual.columns):
        color = brand.strategy if position == 0 else brand.benchmark_color(position - 1)
        offsets = x - 0.4 + width * (position + 0.5)
        values = annual[name].to_numpy(dtype=np.float64)
        ax.bar(offsets, np.nan_to_num(values), width * 0.92, color=color, label=name, zorder=3)
        if position != 0:
            continue
        for left, value in zip(offsets, values, strict=True):
            if not math.isfinite(value):
                continue
            pad = 0.015 * span
            ax.text(
                left,
                value + (pad if value >= 0 else -pad),
                percent_text(value, 0, sign=True),
                ha="center",
                va="bottom" if value >= 0 else "top",
                rotation=90 if rotate else 0,
                fontsize=value_size,
                fontweight="bold",
                color=brand.strategy,
                zorder=6,
            )
    ax.axhline(0.0, color=brand.axis, linewidth=1.0, zorder=4)
    ax.set_xticks(x, [f"{y}\n{partial[y]}" if y in partial else str(y) for y in years])
    ax.set_xlim(-0.6, len(years) - 0.4)
    low, high = ax.get_ylim()
    ax.set_ylim(low - 0.06 * span, high + 0.06 * span)  # room for the printed values
    percent_axis(ax)
    ax.grid(False, axis="x")


def draw_monthly(ax: Axes, monthly: pd.DataFrame, yearly: pd.Series, brand: Brand) -> None:
    """A heatmap of monthly returns (years down, months across) plus the year's return,
    every cell printed; red for losses, blue for gains, saturating at +-50%."""
    grid = monthly.to_numpy(dtype=np.float64)
    full = np.column_stack([grid, np.full(len(grid), np.nan), yearly.reindex(monthly.index)])
    norm = TwoSlopeNorm(vmin=-0.5, vcenter=0.0, vmax=0.5)
    cmap = colormaps["RdBu"]
    shown = np.ma.masked_invalid(np.clip(full, -0.5, 0.5))
    ax.imshow(shown, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    for row in range(full.shape[0]):
        for column in range(full.shape[1]):
            value = full[row, column]
            if not math.isfinite(value):
                continue
            red, green, blue = to_rgb(cmap(norm(float(np.clip(value, -0.5, 0.5)))))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            ax.text(
                column,
                row,
                percent_text(value, 0),
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold" if column == 13 else "normal",
                color="white" if dark else brand.text,
            )
    months = [pd.Timestamp(2001, m, 1).strftime("%b") for m in range(1, 13)]
    ax.set_xticks(range(14), [*months, "", "Year"])
    ax.set_yticks(range(len(monthly.index)), [str(y) for y in monthly.index])
    ax.xaxis.tick_top()
    ax.tick_params(length=0, labelsize=style.TICK_SIZE, labelcolor=brand.text)
    for spine in ax.spines.values():
        spine.set_visible(False)


def draw_allocation(ax: Axes, bands: pd.DataFrame, brand: Brand) -> None:
    """Stacked areas of the largest holdings, then "other" and "cash", summing to 100%."""
    neutral = {tables.OTHER: style.OTHER_COLOR, tables.CASH: style.CASH_COLOR}
    holdings = sum(name not in neutral for name in bands.columns)
    palette = iter(style.allocation_colors(holdings, avoid=brand_colors(brand)))
    colors = [neutral[name] if name in neutral else next(palette) for name in bands.columns]
    ax.stackplot(
        bands.index.to_numpy(),
        bands.to_numpy(dtype=np.float64).T,
        labels=[str(c) for c in bands.columns],
        colors=colors,
        linewidth=0.3,
        edgecolor="white",
        zorder=2,
    )
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{round(v * 100, 6):g}%"))
    date_axis(ax, bands.index)
    ax.grid(False, axis="x")


def bars(
    ax: Axes, dates: pd.DatetimeIndex, heights: np.ndarray, width_days: float, color: str
) -> None:
    """Bars from 0 centred on ``dates``, ``width_days`` wide, as one collection: what
    ``ax.bar`` draws, without an artist per bar (a hundred rebalances made a hundred
    patches per panel, a third of the figure's time)."""
    centres = date2num(pd.DatetimeIndex(dates).to_pydatetime()) if len(dates) else np.empty(0)
    left, right = centres - width_days / 2, centres + width_days / 2
    heights = np.nan_to_num(np.asarray(heights, dtype=np.float64))
    corners = np.stack(
        [
            np.column_stack([left, np.zeros_like(heights)]),
            np.column_stack([left, heights]),
            np.column_stack([right, heights]),
            np.column_stack([right, np.zeros_like(heights)]),
        ],
        axis=1,
    )
    ax.add_collection(
        PolyCollection(corners, facecolors=color, edgecolors="none", linewidths=0, zorder=3),
        autolim=True,
    )
    ax.xaxis_date()
    ax.autoscale_view()


def brand_colors(brand: Brand) -> tuple[str, ...]:
    """The colours that mean a portfolio: the strategy's and the benchmarks'."""
    return (brand.strategy, *brand.benchmarks)


def legend_right(ax: Axes, brand: Brand, size: float = style.LEGEND_SIZE) -> None:
    """The stack's legend beside the plot, top band first (as the bands are stacked)."""
    handles, labels = ax.get_legend_handles_labels()
    legend = ax.legend(
        handles[::-1],
        labels[::-1],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=size,
        frameon=False,
        borderaxespad=0.0,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
        text.set_color(brand.text)
