"""The HTML a report section may hold: an allow-list, checked and written out anew.

A section saved in a run folder (``sections/*.json``) is a file anyone can edit, and
report.html promises no scripts and nothing from outside the page. So a section's
fragment is parsed, and every tag and attribute must be on the lists below; anything
else (``<script>``, ``<img>``, ``<iframe>``, ``on...=`` handlers, a link that leaves the
page such as ``javascript:`` or ``http:``) is an error that names the section, the line
and column, and the markup. What passes is written out again from the parse (text
escaped, attribute values quoted, every element closed), so what the browser reads is
what was checked. The page's Content-Security-Policy forbids scripts as a second guard.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from indexlab.errors import IndexlabError

TAGS = frozenset(
    "a b blockquote br caption code col colgroup dd div dl dt em h3 h4 h5 hr i li ol p pre "
    "small span strong sub sup table tbody td tfoot th thead tr ul".split()
)
VOID = frozenset({"br", "col", "hr"})
ATTRIBUTES = frozenset(
    "class id title lang dir scope colspan rowspan headers align border span".split()
)
# The only style pandas' DataFrame.to_html writes; nothing that could load a resource.
STYLE = re.compile(r"\s*text-align:\s*(left|right|center);?\s*")
IN_PAGE_LINK = re.compile(r"#[A-Za-z0-9_-]*")


class _Checker(HTMLParser):
    def __init__(self, where: str) -> None:
        super().__init__(convert_charrefs=True)
        self.where = where
        self.out: list[str] = []
        self.open: list[str] = []

    def refuse(self, what: str) -> None:
        line, column = self.getpos()
        raise IndexlabError(
            f"{self.where}: line {line} column {column + 1}: {what} is not allowed in a report "
            "section (it may hold text, tables, lists and in-page links; no scripts, images, "
            "styles or links that leave the page)"
        )

    def _attribute(self, tag: str, name: str, value: str | None) -> str:
        value = value or ""
        allowed = (
            name in ATTRIBUTES
            or (name == "style" and STYLE.fullmatch(value))
            or (tag == "a" and name == "href" and IN_PAGE_LINK.fullmatch(value))
        )
        if not allowed:
            self.refuse(f"attribute {name}={value[:40]!r} on <{tag}>")
        return f' {name}="{escape(value, quote=True)}"'

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.refuse(f"<{tag}>")
        written = "".join(self._attribute(tag, name, value) for name, value in attrs)
        self.out.append(f"<{tag}{written}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open:
            return  # a stray end tag: dropped
        while self.open:
            last = self.open.pop()
            self.out.append(f"</{last}>")
            if last == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        pass  # comments are dropped

    def handle_decl(self, decl: str) -> None:
        self.refuse(f"<!{decl[:40]}>")

    def handle_pi(self, data: str) -> None:
        self.refuse(f"<?{data[:40]}>")

    def unknown_decl(self, data: str) -> None:
        self.refuse(f"<![{data[:40]}]>")


def safe_fragment(html: str, where: str) -> str:
    """``html`` checked against the allow-list and written out anew (module docstring);
    ``where`` names it in an error."""
    checker = _Checker(where)
    checker.feed(html)
    checker.close()
    checker.out.extend(f"</{tag}>" for tag in reversed(checker.open))
    return "".join(checker.out)
