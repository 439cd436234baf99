"""The house style of indexlab's figures and HTML report.

Everything is passed explicitly to the artists a figure creates: nothing here
touches matplotlib's global ``rcParams`` or pyplot's state, so importing or using
the report changes nothing else in the user's session.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FIGSIZE_IN = (10.0, 5.6)
DPI = 150

# What every figure and page of hypothetical performance says; no option removes it.
DISCLOSURE = (
    "Backtested, hypothetical results; not the performance of any fund; past performance "
    "does not guarantee future results; not financial advice"
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
# Allocation bands: the ten largest holdings (distinct, colour-blind-aware), then
# "other" and "cash" in neutral tones so they read as the remainder.
HOLDING_COLORS = (
    "#1f5a99",
    "#e08a2c",
    "#4c9a6a",
    "#c0504d",
    "#8064a2",
    "#3fa0b8",
    "#b7a33b",
    "#d46fa6",
    "#7b6a58",
    "#8fb3de",
)
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
