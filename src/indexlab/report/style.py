"""The house style of indexlab's figures and HTML report.

Everything is passed explicitly to the artists a figure creates: nothing here
touches matplotlib's global ``rcParams`` or pyplot's state, so importing or using
the report changes nothing else in the user's session.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

FIGSIZE_IN = (10.0, 5.6)
DPI = 150

# What every figure and page of hypothetical performance says; no option removes it.
DISCLOSURE = (
    "Backtested, hypothetical results; not the performance of any fund; past performance "
    "does not guarantee future results; not financial advice"
)

# What every scenario figure says instead: no backtest there, but no forecast either.
SCENARIO_DISCLOSURE = (
    "Hypothetical scenarios, not forecasts: prices implied by assumed market shares and "
    "totals; not financial advice"
)

FONT_FAMILY = "DejaVu Sans"  # ships with matplotlib: the same on every machine

STRATEGY_COLOR = "#0b4f9c"  # strong blue: the strategy is the subject of every figure
BENCHMARK_COLORS = (  # muted, distinct from the strategy and from each other
    "#d9913a",  # ochre
    "#6f9f7d",  # sage
    "#a37bab",  # mauve
    "#c96f6a",  # brick
    "#8c8c8c",  # grey
    "#7fa7c9",  # pale blue
)
INK = "#222222"
MUTED_INK = "#5f6368"
GRID = "#e3e5e8"
SPINE = "#b9bdc2"
SYNTHETIC_COLOR = "#b3261e"
SYNTHETIC_BACKGROUND = "#fdecea"
# Allocation bands: the ten largest holdings. A band is an asset, not a portfolio, so
# no band takes the strategy's colour or a benchmark's (BTC held in the strategy's blue
# would read as the strategy): every colour here is at least ALLOCATION_MIN_DISTANCE
# (CIELAB delta E) from those and from each other. "other" and "cash" follow in neutral
# tones so they read as the remainder.
HOLDING_COLORS = (  # the largest holdings first: hues unlike any portfolio's
    "#00838f",  # teal
    "#4a148c",  # deep purple
    "#ad1457",  # raspberry
    "#9ccc65",  # lime
    "#1b5e20",  # forest green
    "#26c6da",  # cyan
    "#6d4c41",  # brown
    "#f06292",  # pink
    "#f2c12e",  # yellow
    "#e65100",  # burnt orange
)
ALLOCATION_MIN_DISTANCE = 20.0  # delta E 1976: clearly another colour side by side
OTHER_COLOR = "#c9ccd1"
CASH_COLOR = "#efe6d2"

STRATEGY_LINE_WIDTH = 2.4
BENCHMARK_LINE_WIDTH = 1.3
BENCHMARK_ALPHA = 0.95

TITLE_SIZE = 15
SUBTITLE_SIZE = 10
LABEL_SIZE = 10
TICK_SIZE = 9
LEGEND_SIZE = 9.5
FOOTER_SIZE = 7.5
FOOTER_WRAP_CHARS = 170  # at FOOTER_SIZE, a little under the width of the figure
TITLE_CHARS_BESIDE_BADGE = 38  # at TITLE_SIZE, bold, left of the synthetic-data badge
LEGEND_ROW_CHARS = 115  # at LEGEND_SIZE, label characters that fit one row of the legend


def benchmark_color(position: int) -> str:
    """The colour of the ``position``-th benchmark (0-based), cycling if there are many."""
    return BENCHMARK_COLORS[position % len(BENCHMARK_COLORS)]


def color_distance(first: str, second: str) -> float:
    """CIELAB delta E (1976) between two colours: about 2 is just noticeable, 20 and
    more reads as another colour."""
    lab = [_lab(color) for color in (first, second)]
    return float(np.linalg.norm(lab[0] - lab[1]))


def _lab(color: str) -> np.ndarray:
    """sRGB (D65) to CIELAB."""
    rgb = np.array(to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = _SRGB_TO_XYZ @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


_SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)


def allocation_colors(n: int, avoid: Sequence[str] = ()) -> list[str]:
    """``n`` colours for allocation bands from :data:`HOLDING_COLORS`, leaving out any
    within :data:`ALLOCATION_MIN_DISTANCE` of ``avoid`` (a brand's strategy and
    benchmark colours), cycling when more bands than colours are asked for."""
    palette = [
        color
        for color in HOLDING_COLORS
        if all(color_distance(color, other) >= ALLOCATION_MIN_DISTANCE for other in avoid)
    ] or list(HOLDING_COLORS)
    return [palette[k % len(palette)] for k in range(n)]


def new_figure(
    figsize: tuple[float, float] = FIGSIZE_IN, dpi: float = DPI, layout: str | None = "constrained"
) -> Figure:
    """A blank figure on its own Agg canvas (no pyplot, no globals)."""
    figure = Figure(figsize=figsize, dpi=dpi, facecolor="white", layout=layout)
    FigureCanvasAgg(figure)
    return figure


def style_axes(
    ax: Axes, *, ink: str = INK, muted: str = MUTED_INK, grid: str = GRID, spine: str = SPINE
) -> None:
    """Light grid, no top/right frame, house tick sizes and colours."""
    ax.set_facecolor("none")  # the figure's background shows through
    ax.grid(True, which="major", color=grid, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(spine)
    ax.tick_params(which="both", labelsize=TICK_SIZE, colors=muted, labelcolor=ink)
    ax.tick_params(which="minor", length=2)


# The HTML report's stylesheet: inline, system fonts only (the file must work offline).
CSS = f"""
:root {{ --ink: {INK}; --muted: {MUTED_INK}; --rule: {GRID}; --accent: {STRATEGY_COLOR}; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; background: #f6f7f9; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }}
main {{ max-width: 1120px; margin: 0 auto; padding: 28px 24px 40px; background: white; }}
h1 {{ margin: 0 0 4px; font-size: 28px; color: var(--accent); }}
h2 {{ margin: 32px 0 10px; font-size: 18px; border-bottom: 1px solid var(--rule);
  padding-bottom: 4px; }}
p.description {{ margin: 0 0 12px; color: var(--muted); font-size: 16px; }}
.banner {{ margin: 14px 0; padding: 10px 14px; border-radius: 4px; font-weight: 600;
  color: {SYNTHETIC_COLOR}; background: {SYNTHETIC_BACKGROUND};
  border: 1px solid {SYNTHETIC_COLOR}; }}
.table-wrap {{ overflow-x: auto; }}
table {{ border-collapse: collapse; font-size: 13.5px; }}
th, td {{ padding: 5px 10px; border-bottom: 1px solid var(--rule); text-align: left;
  vertical-align: top; }}
thead th {{ background: #f0f2f5; font-weight: 600; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.num {{ white-space: nowrap; }}
table.metrics .strategy {{ font-weight: 700; color: var(--accent); }}
table.assumptions th {{ white-space: nowrap; color: var(--muted); font-weight: 600; }}
ul.notes {{ margin: 0; padding-left: 20px; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12.5px; }}
nav.contents {{ margin: 10px 0 4px; font-size: 13.5px; line-height: 1.9; color: var(--muted); }}
nav.contents a {{ color: var(--accent); text-decoration: none; white-space: nowrap; }}
nav.contents a:hover {{ text-decoration: underline; }}
h3 {{ margin: 22px 0 8px; font-size: 15px; }}
.muted {{ color: var(--muted); font-weight: 400; font-size: 12.5px; }}
p.summary {{ margin: 4px 0 0; }}
figure {{ margin: 18px 0; }}
figure img {{ display: block; width: 100%; height: auto; border: 1px solid var(--rule); }}
figcaption {{ font-size: 13px; color: var(--muted); margin-top: 4px; }}
footer {{ margin-top: 36px; padding-top: 10px; border-top: 1px solid var(--rule);
  font-size: 12.5px; color: var(--muted); }}
"""
