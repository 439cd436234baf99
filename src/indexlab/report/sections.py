"""Extra sections of the tearsheet: the extension point for other analyses.

An analysis of a run (signal flips, scenario bands, ...) adds a section to the run's
``report.html`` in one of two ways:

* in Python, pass it to the report::

      section = ReportSection("signals", "Signal flips", html="<p>...</p>",
                              figures=(ReportFigure.of(fig, "Flips of the 200-day MA"),))
      write_report(result, run_dir, sections=[section])

* or save it into the run folder, where every later ``indexlab report RUN_DIR`` (and
  :func:`~indexlab.report.write_report` on that folder) picks it up::

      section.save(run_dir)      # run_dir/sections/signals.json and signals-1.png

A section's ``html`` is a fragment of text, tables and lists: build it with
:func:`text_html` and :func:`table_html`, or escape any text from data yourself
(``html.escape``). It is checked against an allow-list (:mod:`indexlab.report.fragment`:
no scripts, images, styles, event handlers or links that leave the page) and written
out anew, when the section is made and when it is loaded from a file; markup not on the
list is an error naming the section file. The title, captions and alt texts are text,
escaped by the report. Sections appear after the built-in ones, ordered by
``order`` then ``key``; a section passed in Python replaces a saved one of the same key.
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from indexlab.errors import IndexlabError
from indexlab.report.fragment import safe_fragment

SECTIONS_DIR = "sections"
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ReportFigure:
    """A PNG and the caption under it."""

    png: bytes
    caption: str
    alt: str = ""

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise IndexlabError(f"figure {self.caption!r}: png must be PNG bytes")

    @classmethod
    def of(cls, figure: Figure, caption: str, alt: str = "", dpi: float = 150) -> ReportFigure:
        """Render a matplotlib figure (its own canvas, no pyplot needed)."""
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, facecolor=figure.get_facecolor())
        return cls(buffer.getvalue(), caption, alt)


@dataclass(frozen=True)
class ReportSection:
    """A titled block of the tearsheet: an HTML fragment, then figures.

    ``key`` names it in the page (``id="section-KEY"``) and in the run folder: lower
    case letters, digits and dashes.
    """

    key: str
    title: str
    html: str = ""
    figures: tuple[ReportFigure, ...] = ()
    order: int = 100

    def __post_init__(self) -> None:
        if not KEY_PATTERN.fullmatch(self.key):
            raise IndexlabError(
                f"section key {self.key!r}: use lower case letters, digits and dashes "
                "(at most 63), starting with a letter or digit"
            )
        object.__setattr__(self, "html", safe_fragment(self.html, f"section {self.key!r} html"))

    def save(self, run_dir: str | Path) -> Path:
        """Write the section into ``run_dir/sections/`` (figures first, then the JSON
        that lists them, each file replaced atomically). Returns the JSON's path."""
        folder = Path(run_dir) / SECTIONS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        listed = []
        for number, figure in enumerate(self.figures, start=1):
            name = f"{self.key}-{number}.png"
            write_atomic(folder / name, figure.png)
            listed.append({"file": name, "caption": figure.caption, "alt": figure.alt})
        record = {"title": self.title, "order": self.order, "html": self.html, "figures": listed}
        path = folder / f"{self.key}.json"
        write_atomic(path, (json.dumps(record, indent=2) + "\n").encode("utf-8"))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ReportSection:
        """Read a section saved by :meth:`save`, checking what it holds (module docstring)."""
        path = Path(path)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            figures = tuple(
                ReportFigure(
                    _figure_file(path, item["file"]).read_bytes(),
                    str(item.get("caption", "")),
                    str(item.get("alt", "")),
                )
                for item in record.get("figures", ())
            )
            order = record.get("order", 100)
            if not isinstance(order, int) or isinstance(order, bool):
                raise TypeError(f"order {order!r} is not a whole number")
            return cls(
                key=path.stem,
                title=str(record["title"]),
                html=str(record.get("html", "")),
                figures=figures,
                order=order,
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexlabError(f"{path}: not a report section ({exc})") from None
        except IndexlabError as exc:
            raise IndexlabError(f"{path}: {exc}") from None


def _figure_file(section: Path, name: object) -> Path:
    """A figure of a saved section: a PNG file beside it, named without any folder."""
    if not isinstance(name, str) or Path(name).name != name or name.startswith("."):
        raise ValueError(f"figure file {name!r} must be a file name in {section.parent}")
    path = section.parent / name
    if not path.is_file():
        raise ValueError(f"figure file {name!r} is missing or not a regular file")
    return path


def load_sections(run_dir: str | Path) -> list[ReportSection]:
    """The sections saved in ``run_dir/sections/`` (none if the folder is absent)."""
    folder = Path(run_dir) / SECTIONS_DIR
    if not folder.is_dir():
        return []
    return [ReportSection.load(path) for path in sorted(folder.glob("*.json"))]


def merge_sections(
    saved: Iterable[ReportSection], given: Iterable[ReportSection]
) -> list[ReportSection]:
    """Saved sections, replaced by given ones of the same key, in page order."""
    by_key = {section.key: section for section in saved}
    by_key.update({section.key: section for section in given})
    return sorted(by_key.values(), key=lambda section: (section.order, section.key))


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` beside ``path``, then rename it over ``path`` (the usual file mode)."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def table_html(frame: pd.DataFrame, caption: str = "") -> str:
    """A DataFrame as an escaped HTML table for a section fragment."""
    head = f'<p class="caption">{escape(caption)}</p>\n' if caption else ""
    return head + frame.to_html(escape=True, border=0, na_rep="–", classes="section-table")


def text_html(text: str) -> str:
    """Preformatted, escaped text (a printed summary) for a section fragment."""
    return f"<pre>{escape(text)}</pre>"
