"""Text cells that a spreadsheet must not run as formulas (CSV injection).

An asset id, symbol or strategy name comes from a file someone else wrote. A
spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return as a formula (``=HYPERLINK(...)``, ``-2+3+cmd|...``). Following
OWASP's CSV-injection guidance, every CSV indexlab writes puts a single quote before
such a text cell, which makes a spreadsheet show it as text::

    =HYPERLINK("http://x","y")   ->   '=HYPERLINK("http://x","y")
    -2+3                         ->   '-2+3
    -0.05                        ->   -0.05        (a plain number is no formula)
    'quoted                      ->   ''quoted     (so that reading back is exact)

Numbers in numeric columns are never touched; only text is (cells, column names and
index labels). A text that already starts with a quote gets one more, so
:func:`restore` undoes :func:`neutralise` exactly: ``restore(neutralise(s)) == s`` for
every string, and indexlab reading its own CSVs back sees the names it wrote.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it (module docstring)."""
    if not text or not text.startswith((*FORMULA_STARTS, QUOTE)):
        return text
    if _NUMBER.fullmatch(text):
        return text
    return QUOTE + text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given: one leading quote dropped where it added one."""
    if len(text) > 1 and text[0] == QUOTE and text[1] in (*FORMULA_STARTS, QUOTE):
        return text[1:]
    return text


def _map_text(value: object, change) -> object:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, tuple):
        return tuple(_map_text(v, change) for v in value)
    return value


def _map_labels(index: pd.Index, change) -> pd.Index:
    if pd.api.types.is_numeric_dtype(index) or pd.api.types.is_datetime64_any_dtype(index):
        return index
    return index.map(lambda v: _map_text(v, change))


def _map_frame(frame: pd.DataFrame, change) -> pd.DataFrame:
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            out.isetitem(position, column.map(lambda v: _map_text(v, change)))
    out.columns = _map_labels(out.columns, change)
    out.index = _map_labels(out.index, change)
    return out


def neutralise_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, column name and index label passed
    through :func:`neutralise`: what to give ``to_csv``."""
    return _map_frame(frame, neutralise)


def restore_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (read from a CSV indexlab wrote) with :func:`restore` applied
    to every text cell, column name and index label."""
    return _map_frame(frame, restore)
