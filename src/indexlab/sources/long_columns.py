"""A long table's columns, one at a time, in chunks: what the loader reads.

A Parquet file is read column by column in batches of :data:`BATCH_ROWS` rows (text
columns dictionary-encoded, as Parquet stores them), so loading never holds the whole
table: only the panels being filled, one integer per row (its cell) and one batch. A
pandas DataFrame (a CSV file, or a table handed to ``market_from_long``) is one chunk
per column. Each chunk comes with the position of its first row, so every error still
names the row of the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from indexlab.errors import DataError

BATCH_ROWS = 1 << 18  # 262,144 rows: small buffers, few batches
Chunk = pa.Array | pd.Series


class LongColumns:
    """The columns of a long table, read when asked for and not kept."""

    def __init__(self, names: list[str], n_rows: int, frame: pd.DataFrame | None = None, file=None):
        self.names = names
        self.n_rows = n_rows
        self._frame = frame
        self._file: pq.ParquetFile | None = file
        self._origin = ""

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> LongColumns:
        frame = frame.reset_index(drop=True)
        return cls([str(c) for c in frame.columns], len(frame), frame=frame)

    @classmethod
    def of_parquet(cls, path: Path, text: tuple[str, ...]) -> LongColumns:
        """The columns of a Parquet file (its pandas index columns left out); the
        ``text`` columns are read dictionary-encoded."""
        try:
            schema = pq.read_schema(path)
            index = (schema.pandas_metadata or {}).get("index_columns", [])
            names = [n for n in schema.names if n not in {i for i in index if isinstance(i, str)}]
            dictionary = [
                n for n in text if n in names and _is_text(schema.field(n).type, dictionary=False)
            ]
            # Without pre_buffer: the reader would keep every batch's bytes until the end.
            file = pq.ParquetFile(path, read_dictionary=dictionary, pre_buffer=False)
        except Exception as exc:  # the reader's own message says what is wrong with the bytes
            raise DataError(f"{path}: cannot be read as a table: {exc}") from exc
        columns = cls(names, file.metadata.num_rows, file=file)
        columns._origin = str(path)
        return columns

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def chunks(self, *names: str) -> Iterator[tuple[int, tuple[Chunk, ...]]]:
        """``(offset, chunks)``: the columns ``names`` in order, batch by batch (one
        pass over the file, its columns decoded together), ``offset`` the table row of
        the batch's first value."""
        if self._frame is not None:
            yield 0, tuple(self._frame[self._frame_label(name)] for name in names)
            return
        assert self._file is not None
        offset = 0
        try:
            for batch in self._file.iter_batches(batch_size=BATCH_ROWS, columns=list(names)):
                yield offset, tuple(batch.column(name) for name in names)
                offset += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{self._origin}: cannot be read as a table: {exc}") from exc

    def cell(self, name: str, i: int) -> object:
        """The value of column ``name`` at table row ``i`` as it is stored (for errors)."""
        for offset, (chunk,) in self.chunks(name):
            if i < offset + len(chunk):
                if isinstance(chunk, pd.Series):
                    return chunk.iloc[i - offset]
                return chunk[i - offset].as_py()
        raise IndexError(i)

    def _frame_label(self, name: str) -> object:
        assert self._frame is not None
        return next(c for c in self._frame.columns if str(c) == name)


def _is_text(kind: pa.DataType, dictionary: bool = True) -> bool:
    if dictionary and pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def is_numeric(chunk: Chunk) -> bool:
    """Whether ``chunk`` holds numbers (or nothing): read without parsing text."""
    if isinstance(chunk, pd.Series):
        return pd.api.types.is_numeric_dtype(chunk.dtype) and not pd.api.types.is_bool_dtype(
            chunk.dtype
        )
    kind = chunk.type
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind)


def float_values(chunk: Chunk) -> np.ndarray:
    """A numeric chunk as float64, missing values as NaN (a new array when it had to
    be converted, else possibly a read-only view)."""
    if isinstance(chunk, pd.Series):
        return chunk.to_numpy(dtype=np.float64, na_value=np.nan)
    if not pa.types.is_floating(chunk.type) or chunk.type != pa.float64():
        chunk = pc.cast(chunk, pa.float64(), safe=False)
    return chunk.to_numpy(zero_copy_only=False)


def as_series(chunk: Chunk) -> pd.Series:
    return chunk if isinstance(chunk, pd.Series) else chunk.to_pandas()


def text_codes(chunk: Chunk, values: bool = True) -> tuple[np.ndarray, list[str]]:
    """A text chunk as codes into its distinct values (-1 where missing) and those
    values, as ``astype("string")`` reads them (not read unless ``values``)."""
    if isinstance(chunk, pa.Array) and not _is_text(chunk.type):
        chunk = chunk.to_pandas()
    if isinstance(chunk, pd.Series):
        codes, uniques = pd.factorize(chunk.astype("string"), use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64), [str(u) for u in uniques]
    if not pa.types.is_dictionary(chunk.type):
        chunk = pc.dictionary_encode(chunk)
    indices = chunk.indices
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    uniques = [str(u) for u in chunk.dictionary.to_pylist()] if values else []
    return indices.to_numpy(zero_copy_only=False), uniques


class Codebook:
    """Distinct text values across chunks: each chunk's codes made global."""

    def __init__(self, strip: bool = True) -> None:
        self.strip = strip
        self.values: list[str] = []
        self._code: dict[str, int] = {}
        # The last batch's dictionary and its global codes: batches of a Parquet file
        # in (date, asset) order often carry the same dictionary.
        self._last: tuple[pa.Array, np.ndarray] | None = None

    def encode(self, chunk: Chunk) -> np.ndarray:
        """Global codes of the chunk's values (-1 where missing, or empty once stripped)."""
        if isinstance(chunk, pa.Array) and pa.types.is_dictionary(chunk.type):
            if self._last is not None and self._last[0].equals(chunk.dictionary):
                codes, _ = text_codes(chunk, values=False)
                return self._last[1][codes]
        codes, uniques = text_codes(chunk)
        lookup = self._lookup(uniques)
        if isinstance(chunk, pa.Array) and pa.types.is_dictionary(chunk.type):
            self._last = (chunk.dictionary, lookup)
        return lookup[codes]

    def _lookup(self, uniques: list[str]) -> np.ndarray:
        lookup = np.empty(len(uniques) + 1, dtype=np.int32)
        lookup[-1] = -1  # code -1 reads the last entry
        for k, value in enumerate(uniques):
            if self.strip:
                value = value.strip()
            if self.strip and not value:
                lookup[k] = -1
                continue
            code = self._code.get(value)
            if code is None:
                code = self._code[value] = len(self.values)
                self.values.append(value)
            lookup[k] = code
        return lookup


class RowNames:
    """How errors name a table and its rows: ``origin`` (a file path, or
    ``<DataFrame>``), ``line i + 2`` in a CSV file (line 1 is the header), else
    ``row i + 1``."""

    def __init__(self, origin: str, kind: str) -> None:
        self.origin, self.kind = origin, kind

    def position(self, i: int) -> str:
        return f"line {i + 2}" if self.kind == "line" else f"row {i + 1}"

    def at(self, i: int, column: str) -> str:
        return f"{self.origin}, {self.position(i)}, column '{column}'"


@contextmanager
def small_pages() -> Iterator[None]:
    """numpy without its transparent-huge-page hint while the panels are built.

    numpy asks the kernel for 2 MB pages for every array of 4 MB or more; on a
    machine whose memory is fragmented (a busy one) the kernel then compacts memory
    at each first touch, and loading 10,000 x 6,500 took 18.3 s instead of 13.5 s
    (7.7 s of system time instead of 2.5 s). The hint is numpy's process-wide setting
    (a private function, so it is left alone where it does not exist), restored on
    exit; it changes no value, only how memory is mapped."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # another numpy: nothing to switch
        yield
        return
    before = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(before)
