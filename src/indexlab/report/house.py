"""The house frame of the analysis figures (a signal's flips, a scenario's price bands):
the marketing figures' 16:9 canvas and measured layout (:mod:`indexlab.report.marketing`:
title, subtitle, the brand's logo, the chart, the red warnings, the source line, the
disclosure), with the same options: title, subtitle, source, brand, formats and dpi.

The canvas is 12 x 6.75 in; at the default 160 dpi a PNG is 1920 x 1080 px. The source
line names the data by their provenance (:func:`indexlab.coverage.data_label`), never
by a local path: :func:`published` keeps a file's name only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from indexlab.coverage import DEMO_LABEL
from indexlab.errors import IndexlabError
from indexlab.report import marketing, style
from indexlab.report.brand import HOUSE, Brand

FORMATS = ("png", "svg", "pdf")
DPI = 160  # 12 x 6.75 in at 160 dpi: 1920 x 1080 px
FIGSIZE_IN = marketing.FIGSIZE_IN
MAX_DPI = 1200
TICK_SIZE = marketing.TICK_SIZE - 1
LABEL_SIZE = marketing.LABEL_SIZE - 1
LEGEND_SIZE = marketing.LEGEND_SIZE - 1.5
PANEL_GAP_PT = 10.0


@dataclass(frozen=True)
class FigureOptions:
    """How an analysis figure is framed and written: ``title``, ``subtitle`` and
    ``source`` replace the defaults (the source names the data in the source line), the
    ``brand`` sets colours, font and logo, ``formats`` of :data:`FORMATS`, ``dpi`` for
    PNG."""

    title: str | None = None
    subtitle: str | None = None
    source: str | None = None
    brand: Brand = field(default=HOUSE)
    formats: tuple[str, ...] = ("png",)
    dpi: float = DPI

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown or not self.formats:
            raise IndexlabError(
                f"--format {','.join(self.formats)}: use one or more of {', '.join(FORMATS)}, "
                "comma-separated"
            )
        if not (0 < self.dpi <= MAX_DPI):
            raise IndexlabError(f"--dpi {self.dpi:g}: use a resolution between 1 and {MAX_DPI}")


def published(text: str) -> str:
    """A source as a figure may print it: a local file path becomes the file's name."""
    path = PurePath(text)
    if len(path.parts) > 1 and (path.is_absolute() or Path(text).exists()):
        return path.name
    return text


def warnings(synthetic: bool) -> list[str]:
    """The red lines above the source line."""
    return [f"{DEMO_LABEL.capitalize()}: not real market prices."] if synthetic else []


class HouseFigure:
    """A 16:9 figure in the brand's colours, its frame drawn by :meth:`frame`, its
    chart axes placed by :meth:`fit` into the room the frame leaves."""

    def __init__(self, brand: Brand) -> None:
        self.brand = brand
        self.figure = Figure(figsize=FIGSIZE_IN, dpi=100, facecolor=brand.background)
        FigureCanvasAgg(self.figure)
        self._frame = marketing.HouseFrame(self.figure, brand)
        self.box: Bbox | None = None

    def frame(
        self,
        title: str,
        subtitle: str,
        source: str,
        red_lines: Sequence[str],
        disclosure: str = style.DISCLOSURE,
    ) -> None:
        """Title, subtitle and logo on top; red warnings, source line and disclosure below."""
        self.disclosure = disclosure
        self.box = self._frame.texts(title, subtitle, source, list(red_lines), disclosure)

    def axes(self, count: int = 1) -> list[Axes]:
        """``count`` chart axes in the house style, stacked in the frame's box."""
        assert self.box is not None, "frame() first"
        made = []
        for _ in range(count):
            ax = self.figure.add_axes((self.box.x0, self.box.y0, self.box.width, self.box.height))
            style.style_axes(
                ax,
                ink=self.brand.text,
                muted=self.brand.muted,
                grid=self.brand.grid,
                spine=self.brand.axis,
            )
            ax.tick_params(which="both", labelsize=TICK_SIZE)
            made.append(ax)
        made[0].set_gid("chart")
        return made

    def fit(self, axes: Sequence[Axes], ratios: Sequence[float] = (1.0,)) -> None:
        """Stack ``axes`` top to bottom in the box, heights in ``ratios``, their plots
        sharing left and right edges, each with its ticks, labels and legend inside."""
        from indexlab.report.charts import apply_font

        apply_font(self.figure, self.brand.font_family)
        box, renderer = self.box, self.figure.canvas.get_renderer()
        gap = PANEL_GAP_PT / 72.0 * self.figure.dpi / self.figure.bbox.height
        for _ in range(5):
            pads = [_pads(ax, renderer) for ax in axes]  # left, right, bottom, top
            x0 = box.x0 + max(p[0] for p in pads)
            x1 = box.x1 - max(p[1] for p in pads)
            room = box.height - sum(p[2] + p[3] for p in pads) - gap * (len(axes) - 1)
            heights = np.asarray(ratios, float) / sum(ratios) * max(room, 0.05)
            top, moved = box.y1, False
            for ax, (_l, _r, bottom, above), height in zip(axes, pads, heights, strict=True):
                new = Bbox.from_extents(x0, top - above - height, x1, top - above)
                moved |= not np.allclose(new.extents, ax.get_position().extents, atol=1e-4)
                ax.set_position(new)
                top = new.y0 - bottom - gap
            if not moved:
                break


def _pads(ax: Axes, renderer) -> tuple[float, float, float, float]:
    """How far ``ax``'s labels, ticks and legend reach beyond its plot, in figure
    fractions: left, right, bottom, top."""
    tight = ax.get_tightbbox(renderer).transformed(ax.figure.transFigure.inverted())
    inner = ax.get_position()
    return (
        max(inner.x0 - tight.x0, 0.0),
        max(tight.x1 - inner.x1, 0.0),
        max(inner.y0 - tight.y0, 0.0),
        max(tight.y1 - inner.y1, 0.0),
    )


def save(
    figure: Figure,
    folder: Path,
    stem: str,
    options: FigureOptions,
    metadata: dict[str, str],
    disclosure: str = style.DISCLOSURE,
) -> list[Path]:
    """Write ``folder/stem.FORMAT`` for each of ``options.formats``; returns the paths.
    PNG carries title, description (the disclosure) and source; SVG and PDF the title."""
    written = []
    for fmt in options.formats:
        path = folder / f"{stem}.{fmt}"
        meta = {"Title": metadata.get("Title", "")}
        if fmt == "png":
            meta = {**metadata, "Description": f"{disclosure}."}
        elif fmt == "pdf":
            meta["Subject"] = f"{disclosure}."
        figure.savefig(
            path,
            format=fmt,
            dpi=options.dpi,
            facecolor=figure.get_facecolor(),
            metadata=meta,
        )
        written.append(path)
    return written
