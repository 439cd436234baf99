"""Reading the files of a run folder, checked: a hand-edited or truncated file is one
error that names the file, the line and the column (issue 13, item 10).

A CSV is read with :mod:`csv` (so line numbers are the file's own, quoted newlines
included) against a schema, column name -> kind of cell:

========== ==================================================================
``date``   a calendar day, ``YYYY-MM-DD``
``name``   text, not empty (an asset id, a portfolio)
``text``   any text, empty allowed
``number`` a number, or empty for "none" (a metric that does not exist)
``finite`` a finite number
``positive`` a finite number > 0
``count``  a whole number >= 0
========== ==================================================================

Text cells and column names are read through :func:`indexlab.cells.restore`, the
inverse of the quote that keeps a spreadsheet from running them as formulas.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.cells import restore
from indexlab.errors import RunFolderError

KINDS = ("date", "name", "text", "number", "finite", "positive", "count")
_WHAT = {
    "date": "a date (YYYY-MM-DD)",
    "name": "a name (not empty)",
    "number": "a number (or empty)",
    "finite": "a finite number",
    "positive": "a number > 0",
    "count": "a whole number >= 0",
}


def need_file(folder: Path, name: str) -> Path:
    """``folder/name``, which must be a file."""
    path = folder / name
    if not path.is_file():
        raise RunFolderError(
            f"{path}: missing; {folder} should be a run folder written by 'indexlab run'"
        )
    return path


def _rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the rows and each row's line number; short or long rows are errors."""
    rows, lines = [], []
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            if not header:
                raise RunFolderError(f"{path}: empty; it should start with a header line")
            for row in reader:
                if not row:
                    continue  # a blank line
                if len(row) != len(header):
                    raise RunFolderError(
                        f"{path} line {reader.line_num}: {len(row)} field(s) where the header has "
                        f"{len(header)} (a truncated or hand-edited file?)"
                    )
                rows.append(row)
                lines.append(reader.line_num)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path}: not a readable CSV file ({exc})") from None
    return [restore(h) for h in header], rows, lines


def _convert(raw: pd.Series, kind: str, where) -> pd.Series:
    """``raw`` text cells as ``kind``; ``where(i)`` names row ``i`` for an error."""
    if kind in ("text", "name"):
        values = raw.map(restore)
        bad = (values == "") if kind == "name" else pd.Series(False, index=raw.index)
    elif kind == "date":
        values = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        bad = values.isna()
    else:
        values = pd.to_numeric(raw.str.strip(), errors="coerce").astype(float)
        bad = values.isna() & (raw.str.strip() != "" if kind == "number" else True)
        if kind == "finite":
            bad |= ~np.isfinite(values)
        elif kind == "positive":
            bad |= ~(np.isfinite(values) & (values > 0))
        elif kind == "count":
            bad |= ~(np.isfinite(values) & (values >= 0) & (values == values.round()))
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise RunFolderError(f"{where(first)}: {raw.iloc[first]!r} is not {_WHAT[kind]}")
    whole = kind == "number" and len(raw) and raw.str.fullmatch(r"\s*[+-]?\d+\s*").all()
    return values.astype("int64") if kind == "count" or whole else values


def read_table(
    path: Path,
    schema: dict[str, str],
    *,
    optional: dict[str, str] | None = None,
    others: str | None = None,
) -> pd.DataFrame:
    """A run folder's CSV, every column in ``schema`` required and converted; columns in
    ``optional`` converted when present, any other column as ``others`` (kept as text
    when None). The frame's ``attrs["lines"]`` holds each row's line number."""
    header, rows, lines = _rows(path)
    missing = [column for column in schema if column not in header]
    if missing:
        raise RunFolderError(
            f"{path}: no column {missing[0]!r} (it has: {', '.join(header)}); "
            "was it edited by hand?"
        )
    if len(set(header)) < len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise RunFolderError(f"{path}: column {twice!r} appears twice in the header")
    kinds = {**(optional or {}), **schema}
    columns = {}
    for position, column in enumerate(header):
        raw = pd.Series([row[position] for row in rows], dtype=object)
        kind = kinds.get(column, others or "text")

        def where(i: int, column: str = column) -> str:
            return f"{path} line {lines[i]}, column {column!r}"

        columns[column] = _convert(raw.astype(str), kind, where)
    frame = pd.DataFrame(columns, columns=header)
    frame.attrs["lines"] = LineNumbers(lines)
    return frame


class LineNumbers:
    """Each row's line number in its file, as a frame's ``attrs["lines"]``.

    pandas deep-copies ``attrs`` into every frame derived from this one (copying a list
    of one int per row was a quarter of the figures' time), and compares them with ``==``
    when it concatenates (a bare numpy array answers that with an array, which raised
    in every ``pd.concat`` and ``.loc`` append on a derived frame, quantstats' included).
    This holder is immutable, so a copy is itself, and its ``==`` is one bool."""

    __slots__ = ("_numbers",)

    def __init__(self, numbers) -> None:
        array = np.array(numbers, dtype=np.int64)
        array.flags.writeable = False
        self._numbers = array

    def __getitem__(self, row: int) -> int:
        return int(self._numbers[row])

    def __len__(self) -> int:
        return len(self._numbers)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LineNumbers) and np.array_equal(self._numbers, other._numbers)

    def __hash__(self) -> int:
        return hash(self._numbers.tobytes())

    def __copy__(self) -> LineNumbers:
        return self

    def __deepcopy__(self, memo: dict) -> LineNumbers:
        return self

    def __repr__(self) -> str:
        return f"LineNumbers({len(self)} rows)"


def line_of(path: Path, frame: pd.DataFrame, row: int) -> str:
    """``path line N``: where row ``row`` (by position) of a :func:`read_table` frame is."""
    return f"{path} line {frame.attrs['lines'][row]}"


# ---------------------------------------------------------------- manifest.json
def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def read_manifest(path: Path) -> dict:
    """``manifest.json``, checked for the keys the report reads (strict JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
        manifest = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise RunFolderError(
            f"{path} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise RunFolderError(f"{path}: should hold a JSON object, not {type(manifest).__name__}")
    if "assumptions" not in manifest:
        raise RunFolderError(
            f"{path}: has no 'assumptions' (written by an older indexlab); "
            "rerun 'indexlab run' to make a folder the report can read"
        )
    _check_types(path, manifest)
    return manifest


_SHAPES = {  # key path -> (types allowed, what to say)
    ("assumptions",): (dict, "an object of texts"),
    ("notes",): (list, "a list of texts"),
    ("strategy",): (dict, "an object"),
    ("strategy", "name"): (str, "a text"),
    ("strategy", "title"): ((str, type(None)), "a text or null"),
    ("strategy", "description"): ((str, type(None)), "a text or null"),
    ("strategy", "initial_capital"): ((int, float), "a number > 0"),
    ("data",): (dict, "an object"),
    ("data", "source"): (str, "a text"),
    ("data", "synthetic"): (bool, "true or false"),
    ("data", "survivorship"): ((str, type(None)), "a text or null"),
    ("periods_per_year",): (int, "a whole number > 0"),
    ("indexlab_version",): (str, "a text"),
}


def _check_types(path: Path, manifest: dict) -> None:
    for keys, (types, what) in _SHAPES.items():
        parent = manifest
        for key in keys[:-1]:
            parent = parent.get(key, {})
        if keys[-1] not in parent:
            continue
        value = parent[keys[-1]]
        fine = isinstance(value, types) and (types is bool or not isinstance(value, bool))
        if fine and isinstance(value, (int, float)) and not isinstance(value, bool):
            fine = math.isfinite(value) and value > 0
        elif fine and keys == ("notes",):
            fine = all(isinstance(note, str) for note in value)
        elif fine and keys == ("assumptions",):
            fine = all(isinstance(v, (str, int, float)) for v in value.values())
        if not fine:
            raise RunFolderError(
                f"{path}: key {'.'.join(keys)!r} should be {what}, not {json.dumps(value)[:60]}"
            )
