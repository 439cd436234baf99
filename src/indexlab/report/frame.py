"""The frame around a figure's axes, in the house style: the bold title, the footer
that states the data and assumptions (with the disclosure), and the synthetic-data
badge.

The tearsheet's figures, the signal and scenario figures frame their own layouts with
the parts; :func:`frame_figure` puts them all on a figure that is not a run's (the
sweep's heatmap and entry-date study). What goes inside the axes is
:mod:`indexlab.report.charts`.
"""

from __future__ import annotations

import textwrap

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from indexlab.report import style


def figure_title(figure: Figure, title: str, synthetic: bool, color: str = style.INK) -> None:
    """The bold title at the top left, wrapped short enough to leave room for the
    synthetic-data badge on the same line."""
    figure.suptitle(
        textwrap.fill(title, width=style.TITLE_CHARS_BESIDE_BADGE * (1 if synthetic else 2)),
        x=0.01,
        ha="left",
        fontsize=style.TITLE_SIZE,
        fontweight="bold",
        color=color,
        parse_math=False,
    )


def figure_footer(figure: Figure, text: str, color: str = style.MUTED_INK) -> None:
    """The footer (data, assumptions, disclosure) along the bottom; it takes part in
    the constrained layout, so it is never clipped."""
    figure.supxlabel(
        text,
        x=0.01,
        ha="left",
        multialignment="left",
        fontsize=style.FOOTER_SIZE,
        color=color,
        parse_math=False,
    )


def synthetic_badge(figure: Figure) -> None:
    """The red "synthetic demo data" badge at the top right."""
    figure.text(
        0.99,
        1.0 - 0.085 / figure.get_figheight(),  # 0.085 in from the top
        "synthetic demo data: not real market prices",
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


def frame_figure(
    figure: Figure,
    first_axes: Axes,
    *,
    title: str,
    subtitle: str,
    footer: str,
    synthetic: bool,
) -> None:
    """The house frame of a figure that is not a run's: bold title, muted subtitle, a
    footer that states data and assumptions (with the disclosure), and the
    synthetic-data badge when the data are synthetic."""
    first_axes.set_title(
        textwrap.fill(subtitle, width=int(13.5 * figure.get_figwidth())),
        loc="left",
        fontsize=style.SUBTITLE_SIZE,
        color=style.MUTED_INK,
        pad=8,
    )
    figure_title(figure, title, synthetic)
    lines = [textwrap.fill(line, width=style.FOOTER_WRAP_CHARS) for line in footer.splitlines()]
    lines.append(f"{style.DISCLOSURE}.")
    figure_footer(figure, "\n".join(lines))
    if synthetic:
        synthetic_badge(figure)
