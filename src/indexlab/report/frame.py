"""The frame around a figure's axes, in the house style: the bold title, the footer
that states the data and assumptions (with the disclosure), and the synthetic-data
badge (which also carries the survivorship caveat of survivors-only data).

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

# The title's font sizes, largest first: a long title shrinks before it takes more lines.
TITLE_SIZES = (style.TITLE_SIZE, 13.0, 11.0)
TITLE_MAX_LINES = 3  # a longer title is cut with an ellipsis at the smallest size
SYNTHETIC_TEXT = "synthetic demo data: not real market prices"


def fitted_title(
    title: str, width_chars: int, sizes: tuple[float, ...] = TITLE_SIZES
) -> tuple[str, float]:
    """``title`` wrapped into at most :data:`TITLE_MAX_LINES` lines of ``width_chars``
    characters at the first size of ``sizes`` (more characters at a smaller size), and
    that size: a long title shrinks, then is cut with an ellipsis; a word longer than a
    line (a 70-character symbol) is broken."""
    title = " ".join(title.split())
    for size in sizes:
        width = max(12, int(width_chars * sizes[0] / size))
        lines = textwrap.wrap(title, width=width) or [""]
        if len(lines) <= (TITLE_MAX_LINES - 1 if size != sizes[-1] else TITLE_MAX_LINES):
            return "\n".join(lines), size
    lines = lines[:TITLE_MAX_LINES]
    lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "\n".join(lines), size


def badge_lines(synthetic: bool, caveat: str = "") -> list[str]:
    """The lines of the red badge at the top right: the synthetic-data warning and the
    data's caveat (survivorship bias), each when it applies."""
    return [text for text, on in ((SYNTHETIC_TEXT, synthetic), (caveat, bool(caveat))) if on]


def figure_title(
    figure: Figure, title: str, synthetic: bool, color: str = style.INK, caveat: str = ""
) -> None:
    """The bold title at the top left, wrapped (and shrunk when long) to leave room for
    the red badge on the same line (:func:`figure_badges`), and at least as tall as the
    badge, so that the layout keeps the badge off the chart."""
    badges = badge_lines(synthetic, caveat)
    width = style.TITLE_CHARS_BESIDE_BADGE * (1 if badges else 2)
    text, size = fitted_title(title, int(width * figure.get_figwidth() / style.FIGSIZE_IN[0]))
    text += "\n" * max(0, len(badges) - text.count("\n") - 1)
    figure.suptitle(
        text,
        x=0.01,
        ha="left",
        fontsize=size,
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
    figure_badges(figure, True)


def figure_badges(figure: Figure, synthetic: bool, caveat: str = "") -> None:
    """The red badge at the top right: "synthetic demo data" and the data's caveat
    (survivorship bias), one line each; nothing when neither applies."""
    lines = badge_lines(synthetic, caveat)
    if not lines:
        return
    figure.text(
        0.99,
        1.0 - 0.085 / figure.get_figheight(),  # 0.085 in from the top
        "\n".join(lines),
        ha="right",
        va="top",
        fontsize=style.SUBTITLE_SIZE,
        fontweight="bold",
        color=style.SYNTHETIC_COLOR,
        parse_math=False,
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
    caveat: str = "",
) -> None:
    """The house frame of a figure that is not a run's: bold title, muted subtitle, a
    footer that states data and assumptions (with the disclosure), and the red badge
    when the data are synthetic or carry a ``caveat`` (survivorship bias)."""
    first_axes.set_title(
        textwrap.fill(subtitle, width=int(13.5 * figure.get_figwidth())),
        loc="left",
        fontsize=style.SUBTITLE_SIZE,
        color=style.MUTED_INK,
        pad=8,
    )
    figure_title(figure, title, synthetic, caveat=caveat)
    lines = [textwrap.fill(line, width=style.FOOTER_WRAP_CHARS) for line in footer.splitlines()]
    lines.append(f"{style.DISCLOSURE}.")
    figure_footer(figure, "\n".join(lines))
    figure_badges(figure, synthetic, caveat)
