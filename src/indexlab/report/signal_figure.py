"""The signal figure: the price with its bullish and bearish spans and the flips
marked, above the growth of following the signal against buy-and-hold.

Built on its own Agg canvas in the house style (:mod:`indexlab.report.style`): no
pyplot, no global state. It lives in the report layer, which draws what the analyses
(:mod:`indexlab.signals`) compute; :func:`indexlab.report.figures.figure_png` turns it
into PNG bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from indexlab.report import charts, style
from indexlab.report.brand import Brand
from indexlab.report.house import (
    LABEL_SIZE,
    LEGEND_SIZE,
    FigureOptions,
    HouseFigure,
    published,
    warnings,
)
from indexlab.signals.flips import BUY_AND_HOLD, SIGNAL, FlipAnalysis

BULLISH_COLOR = "#2e7d4f"  # green, darker than the span so markers stand out on it
BEARISH_COLOR = "#b3261e"
NEUTRAL_COLOR = "#8c8c8c"
SPAN_ALPHA = {"bullish": 0.13, "bearish": 0.10, "neutral": 0.12}
DIRECTION_COLORS = {"bullish": BULLISH_COLOR, "bearish": BEARISH_COLOR, "neutral": NEUTRAL_COLOR}
FLIP_MARKERS = {"bullish": "^", "bearish": "v", "neutral": "o"}
MARKERS_UP_TO = 60  # more flips than this: the spans say it, markers would be noise
PANEL_RATIOS = (3.0, 1.7)


def signal_figure(
    analysis: FlipAnalysis,
    *,
    signal_label: str,
    data: str,
    synthetic: bool,
    options: FigureOptions | None = None,
    caveat: str = "",
) -> Figure:
    """The price (log scale when it spans more than a factor 3) shaded green while the
    position is bullish and red while bearish, each flip marked where it is traded; below,
    growth of 1 of following the signal and of buy-and-hold, with costs. 16:9, in the
    house frame (:mod:`indexlab.report.house`): ``options`` give the title, subtitle,
    source and brand; ``data`` names the data in the source line unless
    ``options.source`` does; ``caveat`` (e.g. :func:`indexlab.coverage.survivorship_caveat`
    of the market) is printed in red beside the synthetic-data warning."""
    options = options or FigureOptions()
    brand = options.brand
    house = HouseFigure(brand)
    house.frame(
        options.title if options.title is not None else f"{analysis.name}: {signal_label}",
        options.subtitle if options.subtitle is not None else _headline(analysis),
        source_line(analysis, options.source or published(data)),
        [*warnings(synthetic), *([caveat] if caveat else [])],
    )
    top, bottom = house.axes(2)
    bottom.sharex(top)
    _price_panel(top, analysis, brand)
    _growth_panel(bottom, analysis, brand)
    for ax in (top, bottom):
        ax.grid(True, which="major", axis="x", color=brand.grid, linewidth=0.6)
    charts.date_axis(bottom, analysis.price.index)
    top.tick_params(labelbottom=False)
    house.fit([top, bottom], PANEL_RATIOS)
    return house.figure


def source_line(analysis: FlipAnalysis, source: str) -> str:
    """The source, the period and every assumption of following the signal, in one line."""
    facts = analysis.assumptions()
    return (
        f"Source: {source}. Signal followed by indexlab on daily closes, {facts['Period']}; "
        f"lag {facts['Lag']}; following: {facts['Following']}; costs: {facts['Costs']}; "
        f"{facts['Annualisation']}. Spans: the position held (the signal after the lag); "
        "markers: the close at which each flip is traded."
    )


def _price_panel(ax: Axes, analysis: FlipAnalysis, brand: Brand) -> None:
    price = analysis.price
    flips = analysis.flips
    last = price.index[-1]
    for row in flips.itertuples():
        end = last if row.open else row.next_date
        ax.axvspan(
            row.date,
            end,
            color=DIRECTION_COLORS[row.direction],
            alpha=SPAN_ALPHA[row.direction],
            linewidth=0,
            zorder=1,
        )
    ax.plot(price.index, price.to_numpy(), color=brand.text, linewidth=1.3, zorder=3)
    turned = flips[flips["previous"].notna()]
    if len(turned) <= MARKERS_UP_TO:  # beyond, the spans say it and markers are noise
        for direction, group in turned.groupby("direction"):
            ax.scatter(
                group["date"],
                group["price"],
                marker=FLIP_MARKERS[direction],
                s=46,
                color=DIRECTION_COLORS[direction],
                edgecolors="white",
                linewidths=0.8,
                zorder=5,
            )
    _value_axis(ax, price.to_numpy())
    ax.set_ylabel("Price (USD)", fontsize=LABEL_SIZE, color=brand.text)
    counts = flips["direction"].value_counts()
    markers = len(turned) <= MARKERS_UP_TO
    handles = [Line2D([], [], color=brand.text, linewidth=1.3, label="close")]
    for direction in ("bullish", "bearish", "neutral"):
        if direction not in counts:
            continue
        span = Patch(
            facecolor=DIRECTION_COLORS[direction],
            alpha=min(1.0, SPAN_ALPHA[direction] * 2.5),
            edgecolor="none",
        )
        flip = Line2D(
            [],
            [],
            linestyle="none",
            marker=FLIP_MARKERS[direction],
            markersize=6.5,
            color=DIRECTION_COLORS[direction],
            markeredgecolor="white",
        )
        shown_flip = markers and (turned["direction"] == direction).any()
        label = f"{direction} ({_count(int(counts[direction]), 'segment')})"
        handles.append(_Labelled((span, flip) if shown_flip else span, label))
    _legend_right(ax, handles, brand)


def _growth_panel(ax: Axes, analysis: FlipAnalysis, brand: Brand) -> None:
    equity = analysis.equity
    labels = {
        SIGNAL: "following the signal" + (" (long/short)" if analysis.short else ""),
        BUY_AND_HOLD: "buy and hold",
    }
    for column, color, width, z in (
        (BUY_AND_HOLD, brand.benchmark_color(0), style.BENCHMARK_LINE_WIDTH, 4),
        (SIGNAL, brand.strategy, style.STRATEGY_LINE_WIDTH - 0.6, 5),
    ):
        curve = equity[column].where(equity[column] > 0)
        final = float(equity[column].iloc[-1])
        ax.plot(
            curve.index,
            curve.to_numpy(),
            color=color,
            linewidth=width,
            zorder=z,
            label=f"{labels[column]}  ({final:,.2f}×)",
        )
    ax.axhline(1.0, color=brand.muted, linewidth=0.8, linestyle=(0, (4, 3)), zorder=2)
    follower = equity[SIGNAL]
    if (follower <= 0).any():  # a short wiped out: a log axis cannot show the zero
        alive = follower[follower > 0]
        gone = follower.index[int(np.argmax(follower.to_numpy() <= 0))]
        ax.annotate(
            f"wiped out on {gone.date()}",
            xy=(alive.index[-1], alive.iloc[-1]),
            xytext=(8, 2),
            textcoords="offset points",
            fontsize=LEGEND_SIZE,
            color=brand.strategy,
            va="bottom",
        )
        ax.plot([alive.index[-1]], [alive.iloc[-1]], marker="x", color=brand.strategy)
    _value_axis(ax, equity.where(equity > 0).to_numpy(), fine_decades=2.5)
    ax.set_ylabel("Growth of 1", fontsize=LABEL_SIZE, color=brand.text)
    _legend_right(ax, ax.get_legend_handles_labels()[0][::-1], brand)


class _Labelled:
    """A legend handle (an artist or a tuple of artists drawn over each other) and its
    label."""

    def __init__(self, handle: object, label: str) -> None:
        self.handle, self.label = handle, label


def _legend_right(ax: Axes, handles: list, brand: Brand) -> None:
    """Beside the panel, where it never hides the data (a 16:9 canvas has the width)."""
    entries = [h if isinstance(h, _Labelled) else _Labelled(h, h.get_label()) for h in handles]
    legend = ax.legend(
        [e.handle for e in entries],
        [e.label for e in entries],
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0.0)},
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=LEGEND_SIZE,
        frameon=False,
        handlelength=1.8,
        borderaxespad=0.0,
    )
    for text in legend.get_texts():
        text.set_color(brand.text)
        text.set_parse_math(False)


def _headline(analysis: FlipAnalysis) -> str:
    """Where the signal stands and how its flips did, in one line."""
    last = analysis.last_flip
    since = "that flip" if pd.notna(last["previous"]) else "the first signal"
    closed = analysis.closed
    counted = int(closed["direction"].isin(["bullish", "bearish"]).sum())
    hits = (
        f"hit rate {analysis.hit_rate:.0%} ({int(round(analysis.hit_rate * counted))} of "
        f"{_count(counted, 'closed segment')})"
        if counted
        else "no closed segment yet"
    )
    return (
        f"Signal now {analysis.current_signal}  ·  held {last['direction']} since "
        f"{last['date'].date()}: {_percent(analysis.return_since_last_flip)} since {since}"
        f"  ·  {hits}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _percent(value: float) -> str:
    return f"{value:+.1%}".replace("-", "\u2212")


def _value_axis(ax: Axes, values: np.ndarray, fine_decades: float = 3.0) -> None:
    """Log scale when the values span more than a factor 3, with plain labels; ticks at
    1-2-5 steps up to ``fine_decades`` decades, at powers of ten beyond."""
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size and finite.max() / finite.min() > 3.0:
        ax.set_yscale("log")
        decades = np.log10(finite.max() / finite.min())
        subs = (1.0, 2.0, 5.0) if decades <= fine_decades else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=subs))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: plain_number(value)))


def plain_number(value: float) -> str:
    """``200,000``, ``5,000``, ``1.5``, ``0.02``: never ``2e+05`` on an axis."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"
