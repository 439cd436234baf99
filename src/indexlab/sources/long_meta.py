"""Per-asset text of a long table, read chunk by chunk on integer codes: ``symbol``
and ``name`` (the last value given for each asset) and the ``tags`` column (each
distinct cell once per asset, from the first row that carries it; see
:mod:`indexlab.sources.long_table` for what tags in rows mean)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.sources.long_cells import Cells
from indexlab.sources.long_columns import Codebook, LongColumns


def asset_names(columns: LongColumns, cells: Cells) -> pd.DataFrame:
    """``symbol`` and ``name`` per asset: the last non-missing value of each (None if
    none), as the table gives it (not stripped)."""
    meta = pd.DataFrame(index=cells.columns, columns=["symbol", "name"], dtype=object)
    for column in ("symbol", "name"):
        if column not in columns:
            continue
        book = Codebook(strip=False)
        last = np.full(cells.n_assets, -1, dtype=np.int64)
        for offset, (chunk,) in columns.chunks(column):
            codes = book.encode(chunk)
            given = np.flatnonzero(codes >= 0)
            assets = cells.asset_codes(slice(offset, offset + len(codes)))[given]
            last_row = np.full(cells.n_assets, -1, dtype=np.int64)
            np.maximum.at(last_row, assets, given)  # the chunk's last row per asset
            seen = last_row >= 0
            last[seen] = codes[last_row[seen]]
        text = np.array([*book.values, None], dtype=object)
        meta[column] = text[last]  # code -1 reads the last entry: None
    return meta.where(meta.notna(), None)


def first_row_tags(columns: LongColumns, cells: Cells) -> pd.DataFrame:
    """(asset, tag, effective_from): each tag from the first row of the asset carrying
    it. Tags in a cell are separated by ``;`` (or ``,``)."""
    book = Codebook(strip=True)
    pairs: list[pd.Series] = []
    for offset, (chunk,) in columns.chunks("tags"):
        codes = book.encode(chunk)
        given = np.flatnonzero(codes >= 0)
        if not len(given):
            continue
        rows = cells.cell[offset : offset + len(codes)][given]
        # One key per distinct (cell text, asset): a tag on every row costs no more.
        key = codes[given].astype(np.int64) * cells.n_assets + rows % cells.n_assets
        pairs.append(pd.Series(rows // cells.n_assets).groupby(key).min())
    first_day = pd.concat(pairs).groupby(level=0).min() if pairs else pd.Series(dtype=np.int64)
    keys = first_day.index.to_numpy(dtype=np.int64)
    first = pd.DataFrame(
        {
            "asset": np.asarray(cells.columns, dtype=object)[keys % cells.n_assets],
            "cell": np.array(book.values, dtype=object)[keys // cells.n_assets]
            if len(keys)
            else np.array([], dtype=object),
            "effective_from": cells.calendar[first_day.to_numpy(dtype=np.int64)],
        }
    )
    first["tag"] = first["cell"].str.replace(",", ";").str.split(";")
    first = first.explode("tag")
    first["tag"] = first["tag"].str.strip()
    first = first[first["tag"] != ""]
    first = first.groupby(["asset", "tag"])["effective_from"].min().reset_index()
    first["effective_from"] = first["effective_from"].astype("datetime64[ns]")
    return first.loc[:, ["asset", "tag", "effective_from"]]
