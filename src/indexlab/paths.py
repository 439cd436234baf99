"""Names from files as folder names: one safe path component from any name, and the
check a strategy or sweep ``name`` must pass.

A name that reaches a path (an asset id from a data file, a strategy or sweep
``name``, a symbol) goes through :func:`safe_component`: whatever it holds, the result
is one ordinary file name in the folder it is joined to, on Linux, macOS and Windows::

    >>> safe_component("top10-capped-monthly")      # a safe name is kept as it is
    'top10-capped-monthly'
    >>> safe_component("../../../../tmp/x")
    'tmp_x'
    >>> safe_component("My index: 2024")
    'My_index_2024'
    >>> safe_component("..", fallback="asset")
    'asset'

The rules (docs/bad-input.md, "Where files go"): letters and digits of any script and
``.``, ``_``, ``-`` are kept; every run of other characters (``/``, ``\\``, spaces,
NUL, newlines and other control characters, ``:*?"<>|``) becomes one ``_``; runs of
dots become one dot; leading dots, dashes and underscores and trailing dots go (no
hidden files, no ``..``, nothing that reads as a command-line option); a Windows device
name (``CON``, ``NUL``, ``COM1``, ...) gets a ``_``; a name longer than
:data:`MAX_BYTES` bytes (UTF-8) is cut and ends with a hash of the whole name, so two
long names stay apart; an empty result is ``fallback``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

MAX_BYTES = 120  # well under the 255 bytes of a file name, with room for "scenario-" and
# the ".NAME.tmp-XXXXXXXX" staging folder of an atomic write
_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and "_"
_DOTS = re.compile(r"\.{2,}")
_NOT_KEY = re.compile(r"[^a-z0-9-]")
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{kind}{digit}" for kind in ("COM", "LPT") for digit in "0123456789¹²³"]
)
# Characters a name may not hold at all (not only in a folder name): control
# characters (NUL, newline, tab, ...), invisible format characters (bidi overrides,
# which make a name read other than it is), line and paragraph separators, surrogates,
# private-use and unassigned code points.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def safe_component(name: str, *, fallback: str = "unnamed") -> str:
    """``name`` as one safe file or folder name (the rules are in the module's
    docstring); ``fallback`` when nothing usable is left. Names that are already safe
    come back unchanged."""
    text = unicodedata.normalize("NFC", str(name))
    text = _UNSAFE.sub("_", text)
    text = _DOTS.sub(".", text).lstrip("._-").rstrip(".")
    if not text:
        return fallback
    stem, dot, rest = text.partition(".")
    if stem.upper() in _WINDOWS_DEVICES:
        text = f"{stem}_{dot}{rest}"
    if len(text.encode("utf-8")) > MAX_BYTES:
        digest = hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        head = text.encode("utf-8")[: MAX_BYTES - 9].decode("utf-8", "ignore").rstrip(".")
        text = f"{head}-{digest}"
    return text


def section_key(prefix: str, name: str) -> str:
    """The key of a report section about ``name`` (``signals-tron``): ``prefix``, a dash
    and ``name`` in lower case ASCII letters, digits and dashes, at most 63 characters
    (what :class:`indexlab.report.ReportSection` accepts)."""
    folder = safe_component(name, fallback="x").lower()
    text = _NOT_KEY.sub("-", folder).strip("-") or "x"
    return f"{prefix}-{text}"[:63].rstrip("-")


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a strategy's or sweep's ``name`` (it names the run's
    folder), or None when it can: a non-empty line of visible text without ``/``,
    ``\\``, ``:*?"<>|`` and not starting with a dot."""
    if not isinstance(name, str) or not name.strip():
        return "must be a non-empty string"
    for char in name:
        category = unicodedata.category(char)
        if category in _INVISIBLE:
            kind = "control" if category == "Cc" else "invisible"
            return (
                f"{name!r} holds the {kind} character U+{ord(char):04X}; a name is one "
                "line of visible text"
            )
    if any(char in name for char in '/\\:*?"<>|') or name.startswith("."):
        return f'{name!r} cannot be used as a folder name (no / \\ : * ? " < > |, no leading dot)'
    return None


def umask_mode(mode: int = 0o777) -> int:
    """``mode`` less the process's umask: what ``mkdir`` and ``open`` would give."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return mode & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # the portable way to read it: set, then put back at once
    os.umask(mask)
    return mode & ~mask
