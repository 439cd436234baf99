"""Target weights read from a file (``weighting.scheme = "file"``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexlab.errors import DataError, SpecError
from indexlab.market import Market
from indexlab.spec import Strategy


def file_weights(
    strategy: Strategy, market: Market, snapshot_dates: pd.DatetimeIndex
) -> np.ndarray:
    """The weights-file step. Needs the strategy (its ``weights_file``) and the
    candidate rows' snapshot dates; gives dense (candidates x assets) target weights:
    on each, the file's latest weights dated on or before the snapshot day. The file is
    data: every cell is checked and reported by line and column."""
    path = strategy.resolve_path(strategy.weighting.weights_file)
    if not path.is_file():
        raise SpecError(f"weighting.weights_file: {path}: no such file")
    try:
        table = pd.read_parquet(path) if path.suffix in (".parquet", ".pq") else pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot be read as a table: {exc}") from None
    missing = [c for c in ("date", "asset", "weight") if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]!r} (need date, asset, weight)")
    dates = pd.to_datetime(table["date"], errors="coerce")
    weights = pd.to_numeric(table["weight"], errors="coerce")
    for column, bad in (("date", dates.isna()), ("weight", weights.isna() | (weights < 0))):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path}, line {i + 2}, column {column!r}: {table[column].iloc[i]!r} is not "
                + ("a date" if column == "date" else "a weight >= 0")
            )
    assets = [market.resolve_asset(str(a), field_name=f"{path}") for a in table["asset"]]
    frame = pd.DataFrame({"date": dates.dt.normalize(), "asset": assets, "weight": weights})
    if frame.duplicated(["date", "asset"]).any():
        i = int(np.flatnonzero(frame.duplicated(["date", "asset"]))[0])
        raise DataError(f"{path}, line {i + 2}: {assets[i]!r} on {dates[i].date()} appears twice")
    wide = frame.pivot(index="date", columns="asset", values="weight").fillna(0.0)
    totals = wide.sum(axis=1)
    if (totals > 1 + 1e-9).any():
        day = totals.index[np.argmax(totals.to_numpy() > 1 + 1e-9)]
        raise DataError(f"{path}: the weights of {day.date()} add up to {totals[day]:.6g} > 1")
    wide = wide.reindex(columns=market.asset_ids, fill_value=0.0)
    position = wide.index.searchsorted(snapshot_dates, side="right") - 1
    out = np.where(position[:, None] >= 0, wide.to_numpy()[np.maximum(position, 0)], 0.0)
    return out
