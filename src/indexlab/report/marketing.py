"""Marketing figures: one chart of a run, 16:9, branded, with the disclosures.

Each figure has a title and a subtitle, the chart (growth of $10,000, drawdowns,
calendar-year returns or allocation), a source and period line, and a footer with
the hypothetical-performance disclosure, which no option removes; a run on synthetic
demo data, or on data that hold only survivors, says so in red above it. The brand
(:mod:`indexlab.report.brand`) sets colours, font and logo. The layout is measured,
not guessed: texts are wrapped to the width they have (a long title shrinks) and the
chart takes the room left, so nothing overlaps or is clipped.

The canvas is 12 x 6.75 in: 1200 x 675 px at 100 dpi (legible on a web page), 3600 x
2025 px at the default 300 dpi (print and slides). Sizes are in points, so the layout is
the same at every resolution.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import dates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from indexlab.errors import IndexlabError
from indexlab.report import charts, style, tables
from indexlab.report.brand import HOUSE, Brand
from indexlab.report.rundata import RunData, as_run_data
from indexlab.result import DEMO_LABEL, Result

KINDS = ("growth", "drawdown", "annual", "allocation")
FORMATS = ("png", "svg", "pdf")
DEFAULT_FORMATS = ("png", "svg")
FIGSIZE_IN = (12.0, 6.75)  # 16:9
DPI = 300
GROWTH_OF = 10_000.0
MARGIN_IN = 0.3
GAP_PT = 6.0
TITLE_SIZE = 22
TITLE_SIZES = (TITLE_SIZE, 18.0, 15.0)  # a long title shrinks before it takes a 3rd line
SUBTITLE_SIZE = 13
LABEL_SIZE = 11.5
TICK_SIZE = 11
LEGEND_SIZE = 11.5
VALUE_SIZE = 10
SOURCE_SIZE = 9.5
DISCLOSURE_SIZE = 9.5

Run = Result | RunData | str | Path


def default_subtitle(data: RunData, kind: str) -> str:
    """What the chart shows, in words, when no ``--subtitle`` is given."""
    start, end = _day(data.start), _day(data.end)
    versus = f" vs {_join(data.benchmarks)}" if data.benchmarks else ""
    return {
        "growth": f"Hypothetical growth of ${GROWTH_OF:,.0f} invested on {start}{versus}, "
        "log scale",
        "drawdown": f"Fall from the previous peak, {start} to {end}{versus}",
        "annual": f"Calendar-year returns{versus}",
        "allocation": f"Weights of the {tables.TOP_HOLDINGS} largest holdings over time, "
        f"{start} to {end}",
    }[kind]


def warnings(data: RunData) -> list[str]:
    """The red lines above the source line: synthetic data, survivorship bias."""
    lines = [f"{DEMO_LABEL.capitalize()}: not real market prices."] if data.synthetic else []
    if data.survivorship:
        lines.append(
            f"{data.survivorship[:1].upper()}{data.survivorship[1:]} (the data hold only "
            "coins alive when they were downloaded), which flatters these results."
        )
    return lines


def source_line(data: RunData, source: str | None = None) -> str:
    """The source and period line."""
    facts = data.assumptions
    return (
        f"Source: {source or data.data_label}. Backtest by indexlab on daily closes, "
        f"{_day(data.start)} to {_day(data.end)}; rebalanced {facts.get('Rebalance', '')}; "
        f"costs: {facts.get('Costs', '')}; benchmarks bought and held with the same costs."
    )


def marketing_figure(
    run: Run,
    kind: str,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    source: str | None = None,
    brand: Brand = HOUSE,
) -> Figure:
    """The ``kind`` figure of a run (one of :data:`KINDS`), laid out and branded."""
    if kind not in KINDS:
        raise IndexlabError(f"figure kind {kind!r}: use one of {', '.join(KINDS)}")
    data = as_run_data(run)
    if kind == "allocation" and data.daily_weights is None:
        raise IndexlabError(
            f"{data.folder or data.name}: no daily_weights.parquet for the allocation figure; "
            "rerun 'indexlab run' with this version"
        )
    figure = Figure(figsize=FIGSIZE_IN, dpi=100, facecolor=brand.background)
    FigureCanvasAgg(figure)
    frame = HouseFrame(figure, brand)
    box = frame.texts(
        title if title is not None else data.display_title,
        subtitle if subtitle is not None else default_subtitle(data, kind),
        source_line(data, source),
        warnings(data),
    )
    ax = figure.add_axes((box.x0, box.y0, box.width, box.height))
    ax.set_gid("chart")
    charts.style_axes(ax, brand)
    ax.tick_params(which="both", labelsize=TICK_SIZE)
    _draw(ax, data, kind, brand)
    charts.apply_font(figure, brand.font_family)
    frame.fit(ax, box)
    if kind == "growth":
        _end_labels(ax, data.equity * GROWTH_OF, brand)
        charts.apply_font(figure, brand.font_family)
        frame.fit(ax, box)
    return figure


def save_marketing_figure(
    run: Run,
    kind: str,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    dpi: float = DPI,
    title: str | None = None,
    subtitle: str | None = None,
    source: str | None = None,
    brand: Brand = HOUSE,
) -> list[Path]:
    """Write ``out_dir/<kind>.<format>`` for each format; returns the paths."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise IndexlabError(
            f"--format {','.join(formats)}: use one or more of {', '.join(FORMATS)}, "
            "comma-separated"
        )
    data = as_run_data(run)
    figure = marketing_figure(
        data, kind, title=title, subtitle=subtitle, source=source, brand=brand
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = {"Title": title or data.display_title, "Description": f"{style.DISCLOSURE}."}
    written = []
    for fmt in formats:
        path = out_dir / f"{kind}.{fmt}"
        metadata = {**text, "Source": source_line(data, source)} if fmt == "png" else text
        if fmt == "pdf":  # PDF's info dictionary names the description "Subject"
            metadata = {"Title": text["Title"], "Subject": text["Description"]}
        figure.savefig(path, format=fmt, dpi=dpi, facecolor=brand.background, metadata=metadata)
        written.append(path)
    return written


# ---------------------------------------------------------------- the charts
def _draw(ax: Axes, data: RunData, kind: str, brand: Brand) -> None:
    label = {"fontsize": LABEL_SIZE, "color": brand.text}
    if kind == "growth":
        charts.draw_growth(ax, data.equity, brand, amount=GROWTH_OF)
        # The legend names the lines; their values sit at their ends.
        for line, name in zip(ax.get_lines(), data.equity.columns, strict=False):
            line.set_label(str(name))
        ax.set_ylabel(f"Value of ${GROWTH_OF:,.0f} (log scale)", **label)
        charts.legend_outside(ax, brand, above=True, size=LEGEND_SIZE)
    elif kind == "drawdown":
        charts.draw_drawdown(ax, data.equity, brand)
        ax.set_ylabel("Below the previous peak", **label)
        charts.legend_outside(ax, brand, above=True, size=LEGEND_SIZE)
    elif kind == "annual":
        partial = tables.partial_years(data.equity.index)
        annual = tables.calendar_year_returns(data.equity)
        charts.draw_annual(ax, annual, partial, brand, value_size=VALUE_SIZE)
        ax.set_ylabel("Return in the calendar year", **label)
        charts.legend_outside(ax, brand, above=True, size=LEGEND_SIZE)
    else:
        bands = tables.allocation(data.daily_weights, tables.TOP_HOLDINGS, data.asset_labels)
        charts.draw_allocation(ax, bands, brand)
        ax.set_ylabel("Weight in the index", **label)
        charts.legend_right(ax, brand, size=LEGEND_SIZE)


def _end_labels(ax: Axes, values: pd.DataFrame, brand: Brand) -> None:
    """The final value of each line, right of the plot at the line's height, pushed
    apart where they would touch."""
    finals = []
    to_axes = ax.transData + ax.transAxes.inverted()
    last_date = _date_number(values.index[-1])
    for position, name in enumerate(values.columns):
        series = values[name].where(values[name] > 0).dropna()
        if series.empty:
            continue
        y = float(to_axes.transform((last_date, float(series.iloc[-1])))[1])
        color = brand.strategy if position == 0 else brand.benchmark_color(position - 1)
        finals.append([y, f"${float(series.iloc[-1]):,.0f}", color, position == 0])
    height_px = ax.get_window_extent().height
    gap = 1.35 * LEGEND_SIZE * ax.figure.dpi / 72.0 / height_px  # one line, in axes units
    finals.sort(key=lambda item: item[0])
    for k in range(1, len(finals)):
        finals[k][0] = max(finals[k][0], finals[k - 1][0] + gap)
    if finals and finals[-1][0] > 1.0:  # the top ran over: push back down from there
        finals[-1][0] = 1.0
        for k in range(len(finals) - 2, -1, -1):
            finals[k][0] = min(finals[k][0], finals[k + 1][0] - gap)
    for y, text, color, strong in finals:
        ax.text(
            1.01,
            y,
            text,
            transform=ax.transAxes,
            ha="left",
            va="center",
            fontsize=LEGEND_SIZE,
            fontweight="bold" if strong else "normal",
            color=color,
            clip_on=False,
        )


def _date_number(day: pd.Timestamp) -> float:
    return float(dates.date2num(pd.Timestamp(day).to_pydatetime()))


# ---------------------------------------------------------------- the layout
class HouseFrame:
    """The house layout of every published figure (marketing, signals, scenario):
    places the header and footer texts, then fits the axes into the room left."""

    def __init__(self, figure: Figure, brand: Brand) -> None:
        self.figure = figure
        self.brand = brand
        self.renderer = figure.canvas.get_renderer()
        self.width, self.height = figure.bbox.width, figure.bbox.height
        self.margin = MARGIN_IN * figure.dpi
        self.gap = GAP_PT * figure.dpi / 72.0

    def _text(self, x: float, y: float, text: str, **kwargs) -> Text:
        artist = self.figure.text(
            x / self.width,
            y / self.height,
            text,
            fontfamily=self.brand.font_family,
            parse_math=False,
            **kwargs,
        )
        return artist

    def _extent(self, artist: Text) -> Bbox:
        return artist.get_window_extent(self.renderer)

    def _wrapped(self, artist: Text, raw: str, max_px: float) -> Text:
        """Refill ``artist`` with ``raw`` wrapped to fit ``max_px``."""
        artist.set_text(raw)
        width = len(raw)
        while self._extent(artist).width > max_px and width > 12:
            width = int(width * min(0.97, max_px / self._extent(artist).width * 1.02))
            artist.set_text(textwrap.fill(raw, width=max(width, 12)))
        return artist

    def _heading(self, heading: Text, title: str, max_px: float) -> Text:
        """The title wrapped to ``max_px``, shrunk (:data:`TITLE_SIZES`) rather than on
        more than two lines, and cut with an ellipsis after three at the smallest."""
        title = " ".join(title.split())
        for size in TITLE_SIZES:
            heading.set_fontsize(size)
            if self._wrapped(heading, title, max_px).get_text().count("\n") < 2:
                return heading
        lines = heading.get_text().split("\n")
        if len(lines) > 3:
            heading.set_text("\n".join([*lines[:2], lines[2][:-1].rstrip() + "…"]))
        return heading

    def texts(
        self,
        title: str,
        subtitle: str,
        source: str,
        warnings: Sequence[str],
        disclosure: str = style.DISCLOSURE,
    ) -> Bbox:
        """Draw header and footer (``disclosure`` last); return the box left for the
        chart (figure fraction)."""
        left, top = self.margin, self.height - self.margin
        full = self.width - 2 * self.margin
        logo_right = self._logo(top)
        header_width = full - (self.width - logo_right + self.gap if logo_right else 0)
        heading = self._text(
            left,
            top,
            "",
            fontsize=TITLE_SIZE,
            fontweight="bold",
            color=self.brand.text,
            va="top",
            ha="left",
        )
        heading = self._heading(heading, title, header_width)
        below = self._extent(heading).y0 - self.gap
        if subtitle:
            sub = self._text(
                left, below, "", fontsize=SUBTITLE_SIZE, color=self.brand.muted, va="top"
            )
            below = self._extent(self._wrapped(sub, subtitle, header_width)).y0 - self.gap
        bottom = self.margin
        notice = self._text(
            left, bottom, "", fontsize=DISCLOSURE_SIZE, color=self.brand.text, va="bottom"
        )
        notice = self._wrapped(notice, f"{disclosure}.", full)
        notice.set_gid("disclosure")
        above = self._extent(notice).y1 + 0.5 * self.gap
        line = self._text(
            left, above, "", fontsize=SOURCE_SIZE, color=self.brand.muted, va="bottom"
        )
        above = self._extent(self._wrapped(line, source, full)).y1 + 0.5 * self.gap
        for text in reversed(warnings):  # the first warning on top
            warning = self._text(
                left,
                above,
                "",
                fontsize=SOURCE_SIZE,
                fontweight="bold",
                color=style.SYNTHETIC_COLOR,
                va="bottom",
            )
            above = self._extent(self._wrapped(warning, text, full)).y1 + 0.5 * self.gap
        rule = above + self.gap
        self.figure.add_artist(
            _hline(self.figure, left, self.width - self.margin, rule, self.brand.axis)
        )
        top_px, bottom_px = below - self.gap, rule + 2 * self.gap
        return Bbox.from_extents(
            left / self.width, bottom_px / self.height, 1 - left / self.width, top_px / self.height
        )

    def _logo(self, top: float) -> float | None:
        """Draw the brand's logo at the top right; return its left edge in pixels."""
        image = self.brand.logo_image()
        if image is None:
            return None
        height = 0.6 * self.figure.dpi
        width = min(height * image.shape[1] / image.shape[0], 0.3 * self.width)
        height = width * image.shape[0] / image.shape[1]
        right = self.width - self.margin
        ax = self.figure.add_axes(
            (
                (right - width) / self.width,
                (top - height) / self.height,
                width / self.width,
                height / self.height,
            )
        )
        ax.imshow(image, interpolation="antialiased")
        ax.set_axis_off()
        ax.set_gid("logo")
        return right - width

    def fit(self, ax: Axes, box: Bbox) -> None:
        """Move and shrink ``ax`` until its ticks, labels and legend fill ``box``."""
        for _ in range(4):
            tight = ax.get_tightbbox(self.renderer).transformed(self.figure.transFigure.inverted())
            inner = ax.get_position()
            new = Bbox.from_extents(
                inner.x0 + (box.x0 - tight.x0),
                inner.y0 + (box.y0 - tight.y0),
                inner.x1 + (box.x1 - tight.x1),
                inner.y1 + (box.y1 - tight.y1),
            )
            if np.allclose(new.extents, inner.extents, atol=1e-4):
                break
            ax.set_position(new)


def _hline(figure: Figure, x0: float, x1: float, y: float, color: str):
    from matplotlib.lines import Line2D

    return Line2D(
        [x0 / figure.bbox.width, x1 / figure.bbox.width],
        [y / figure.bbox.height] * 2,
        transform=figure.transFigure,
        color=color,
        linewidth=0.8,
    )


def _day(day: pd.Timestamp) -> str:
    return f"{day.day} {day:%b %Y}"


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
