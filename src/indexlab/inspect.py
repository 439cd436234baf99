"""What is in a Market, and what looks wrong with it: ``indexlab data info`` and
``indexlab data validate``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indexlab.coverage import (  # noqa: F401 (re-exported: inspect is where users look)
    coverage_notes,
    data_label,
    late_end_notes,
    survivorship_notes,
)
from indexlab.errors import DataError
from indexlab.market import Market

DEAD_FEED_DAYS = 14
EXTREME_DAILY_FACTOR = 10.0


@dataclass
class DataInfo:
    """The answers of ``indexlab data info``, as pandas objects."""

    summary: dict[str, str]
    per_year: pd.DataFrame
    largest: pd.DataFrame
    gaps: pd.DataFrame
    tags: pd.DataFrame
    candidates: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _gap_table(market: Market) -> pd.DataFrame:
    """Runs of missing closes inside each asset's life (first to last valid close)."""
    valid = ~np.isnan(market.close_values)
    first = market.first_valid_positions()
    last = market.last_valid_positions()
    rows = np.arange(valid.shape[0])[:, None]
    inside = (rows >= first[None, :]) & (rows <= last[None, :]) & ~valid
    records = []
    for j in np.flatnonzero(inside.any(axis=0)):
        column = np.concatenate([[False], inside[:, j], [False]]).astype(np.int8)
        edges = np.diff(column)
        for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            records.append(
                {
                    "asset": market.asset_ids[j],
                    "first_missing": market.dates[start].date(),
                    "last_missing": market.dates[end - 1].date(),
                    "days": int(end - start),
                }
            )
    frame = pd.DataFrame(records, columns=["asset", "first_missing", "last_missing", "days"])
    return frame.sort_values(["days", "asset"], ascending=[False, True], ignore_index=True)


def largest(market: Market, date: pd.Timestamp | None = None, n: int = 10) -> pd.DataFrame:
    """The ``n`` largest assets by market cap on ``date`` (default: the last date)."""
    date = market.end if date is None else pd.Timestamp(date)
    if date < market.start or date > market.end:
        raise DataError(
            f"--date {date.date()} is outside the data "
            f"({market.start.date()} .. {market.end.date()})"
        )
    caps = market.market_cap.loc[date].dropna().sort_values(ascending=False, kind="stable")
    top = caps.head(n)
    frame = pd.DataFrame(
        {
            "rank": np.arange(1, len(top) + 1),
            "asset": top.index,
            "symbol": market.assets["symbol"].reindex(top.index).to_numpy(),
            "name": market.assets["name"].reindex(top.index).to_numpy(),
            "market_cap": top.to_numpy(),
            "close": market.close.loc[date].reindex(top.index).to_numpy(),
            "tags": [", ".join(sorted(market.tags.get(a, ()))) for a in top.index],
        }
    )
    if market.total_market_cap is not None:
        frame["dominance"] = top.to_numpy() / market.total_market_cap.loc[date]
    return frame


def describe(market: Market, date: pd.Timestamp | None = None, top: int = 10) -> DataInfo:
    """Date range, coverage per year, the largest assets, gaps, tags and candidates."""
    caps = ~np.isnan(market.market_cap_values)
    closes = ~np.isnan(market.close_values)
    years = market.dates.year
    per_year = pd.DataFrame(
        {
            "assets_with_price": pd.DataFrame(closes, index=years)
            .groupby(level=0)
            .any()
            .sum(axis=1),
            "assets_with_market_cap": pd.DataFrame(caps, index=years)
            .groupby(level=0)
            .any()
            .sum(axis=1),
        }
    )
    first_rows = ~pd.Index(years).duplicated()
    per_year["market_cap_on_first_day"] = caps[first_rows].sum(axis=1)
    per_year.index.name = "year"
    gaps = _gap_table(market)
    last = market.last_valid_positions()
    tag_counts = pd.Series(
        [t for a in market.asset_ids for t in market.tags.get(a, ())], dtype="string"
    ).value_counts()
    tags = pd.DataFrame({"tag": tag_counts.index, "assets": tag_counts.to_numpy()})
    summary = {
        "source": data_label(market),
        "dates": f"{market.start.date()} .. {market.end.date()} ({len(market.dates):,} days)",
        "assets": f"{len(market.asset_ids):,}",
        "assets alive on the last date": f"{int(closes[-1].sum()):,}",
        "assets whose data stop earlier": f"{int((last < len(market.dates) - 1).sum()):,}",
        "gaps inside assets' lives": f"{len(gaps):,} runs, {int(gaps['days'].sum()):,} days",
        "total market cap": "loaded" if market.total_market_cap is not None else "not loaded",
        "volume": "present" if market.volume is not None else "absent",
    }
    candidates = {}
    try:
        from indexlab import detectors
    except ImportError:  # pragma: no cover - detectors ship with the package
        detectors = None
    if detectors is not None:
        candidates["likely stablecoins"] = detectors.likely_stablecoins(market)
        candidates["likely wrapped or staked"] = detectors.likely_wrapped(market)
    return DataInfo(
        summary=summary,
        per_year=per_year,
        largest=largest(market, date, top),
        gaps=gaps,
        tags=tags,
        candidates=candidates,
        notes=(*coverage_notes(market), *market.notes),
    )


def _identical_runs(market: Market, min_days: int) -> list[str]:
    values = market.close_values
    same = values[1:] == values[:-1]  # NaN never equals: a gap ends a run
    out = []
    for j in np.flatnonzero(same.sum(axis=0) >= min_days - 1):
        column = np.concatenate([[0], same[:, j].astype(np.int8), [0]])
        edges = np.diff(column)
        for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if end - start + 1 >= min_days:
                asset = market.asset_ids[j]
                stable = "stablecoin" in market.tags.get(asset, ())
                out.append(
                    f"{asset}: the same close {values[start, j]:.6g} on {end - start + 1} days "
                    f"in a row, {market.dates[start].date()} .. {market.dates[end].date()} "
                    f"({'a stablecoin at its peg?' if stable else 'a dead feed?'})"
                )
    return out


def validate(market: Market) -> dict[str, list[str]]:
    """Warnings about data that loads but looks wrong, by kind (errors raise while
    loading, so a Market that exists has none)."""
    found: dict[str, list[str]] = {
        "notes on the data": [*coverage_notes(market), *market.notes],
        "runs of identical closes": _identical_runs(market, DEAD_FEED_DAYS),
    }
    values = market.close_values
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values[1:] / values[:-1]
    extreme = (ratio > EXTREME_DAILY_FACTOR) | (ratio < 1 / EXTREME_DAILY_FACTOR)
    found[f"daily moves beyond x{EXTREME_DAILY_FACTOR:g}"] = [
        f"{market.asset_ids[j]}: close moved x{ratio[t, j]:.3g} from "
        f"{market.dates[t].date()} to {market.dates[t + 1].date()} "
        f"({values[t, j]:.6g} -> {values[t + 1, j]:.6g})"
        for t, j in zip(*np.nonzero(extreme), strict=True)
    ]
    caps = market.market_cap_values
    with np.errstate(invalid="ignore", divide="ignore"):
        supply = caps / values
        supply_ratio = supply[1:] / supply[:-1]
    jumps = (supply_ratio > 3) | (supply_ratio < 1 / 3)
    found["implied supply jumps (market cap / close) beyond x3"] = [
        f"{market.asset_ids[j]}: x{supply_ratio[t, j]:.3g} on {market.dates[t + 1].date()}"
        + (f" and on {int(jumps[:, j].sum()) - 1} other days" if jumps[:, j].sum() > 1 else "")
        for j in np.flatnonzero(jumps.any(axis=0))
        for t in [int(np.flatnonzero(jumps[:, j])[0])]
    ]
    return {kind: messages for kind, messages in found.items() if messages}
