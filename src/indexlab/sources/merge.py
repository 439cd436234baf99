"""Long tables of several vendors merged into one, each row keeping its ``source``.

Precedence, where two files have a row for the same (date, asset):

1. by kind: a **daily** row (CoinGecko, ``cmc-daily``, any source not listed in
   :data:`SNAPSHOT_SOURCES`) wins over a **snapshot** row (``cmc-snapshots``);
2. between rows of the same kind, the file listed **first** wins.

The rows that lose are not written; each overlap is audited instead: how far the
loser's close and market cap are from the winner's (relative difference
``|loser / winner - 1|``), counted per pair of sources with the median, the 95th
percentile and the worst few named. The audit is printed and stored in the merged
file's metadata (``indexlab.import``, beside the inputs' own import reports).

Every input must state the same day convention (an import's stored report, see
docs/vendors.md); files of different conventions are refused with one line naming
both. A file that states none (a CSV, another tool's Parquet) takes the others'
convention, and the report says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from indexlab.errors import DataError

SNAPSHOT_SOURCES = frozenset({"cmc-snapshots"})
KEY = ["date", "asset"]
WORST = 5  # overlaps named per pair of sources and measure (one per asset)


@dataclass
class MergeReport:
    """What a merge read, kept and found where the inputs overlap (printed and stored)."""

    source: str
    inputs: list[dict] = field(default_factory=list)
    day_convention: str | None = None
    precedence: str = "daily rows over snapshot rows (cmc-snapshots); then the file listed first"
    vendor: str = "merge"
    rows_read: int = 0
    rows_written: int = 0
    rows_by_source: dict[str, int] = field(default_factory=dict)
    overlaps: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # read by ``indexlab data info`` for every import
    points_dropped_intraday: int = 0
    market_caps_missing: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"merged {len(self.inputs)} files, {self.rows_read:,} rows read, "
            f"{self.rows_written:,} written (day convention {self.day_convention or 'unstated'})",
            f"precedence: {self.precedence}",
            "rows by source: "
            + ", ".join(f"{s} {n:,}" for s, n in sorted(self.rows_by_source.items())),
        ]
        for audit in self.overlaps:
            out.append(
                f"overlap {audit['kept']} over {audit['dropped']}: {audit['rows']:,} asset-days"
            )
            for measure in ("close", "market_cap"):
                out += _audit_lines(measure, audit[measure], audit["dropped"])
        out += [f"note: {n}" for n in self.notes]
        return out


def _audit_lines(measure: str, m: dict, dropped: str) -> list[str]:
    out = []
    if m["lost"]:
        out.append(
            f"  {measure}: {m['lost']:,} asset-days where only the {dropped} row had one "
            "(the merged row has none)"
        )
    if not m["count"]:
        return [*out, f"  {measure}: no pair with both values"]
    out.append(
        f"  {measure}: {m['count']:,} pairs, relative difference median "
        f"{m['median']:.3%}, 95th percentile {m['p95']:.3%}, max {m['max']:.3%}"
    )
    for w in m["worst"]:
        out.append(
            f"    {w['asset']} {w['date']}: {w['kept']:.6g} vs {w['dropped']:.6g} "
            f"({w['difference']:.1%})"
        )
    return out


def _stored(path: Path) -> dict:
    if not path.name.lower().endswith((".parquet", ".pq")):
        return {}
    try:
        raw = (pq.read_schema(path).metadata or {}).get(b"indexlab.import")
        return json.loads(raw) if raw else {}
    except (OSError, ValueError):
        return {}


def _read(path: Path, position: int) -> tuple[pd.DataFrame, dict]:
    from indexlab.sources.long_table import read_table

    frame, _ = read_table(path)
    missing = [c for c in ("date", "asset", "close", "market_cap") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]!r}; expected a long table")
    stored = _stored(path)
    frame = frame.copy()
    frame["date"] = pd.to_datetime(frame["date"], utc=True).dt.tz_localize(None).dt.normalize()
    if "source" not in frame.columns:
        frame["source"] = stored.get("vendor") or path.stem
    frame["source"] = frame["source"].astype("string").fillna(stored.get("vendor") or path.stem)
    twice = frame.duplicated(KEY)
    if twice.any():
        i = int(np.argmax(twice.to_numpy()))
        raise DataError(
            f"{path}: row {i + 1}: asset {frame['asset'].iloc[i]!r} on "
            f"{frame['date'].iloc[i].date()} twice; a long table has one row per date and asset"
        )
    snapshot = frame["source"].isin(SNAPSHOT_SOURCES).to_numpy()
    frame["_priority"] = np.where(snapshot, 1, 0) * 1_000_000 + position
    info = {
        "path": str(path),
        "rows": len(frame),
        "day_convention": stored.get("day_convention"),
        "sources": sorted(frame["source"].unique().tolist()),
        "import": {k: stored.get(k) for k in ("vendor", "source", "mapping") if k in stored},
    }
    return frame, info


def _convention(infos: list[dict], report: MergeReport) -> str | None:
    stated = [i for i in infos if i["day_convention"]]
    for info in stated[1:]:
        if info["day_convention"] != stated[0]["day_convention"]:
            raise DataError(
                f"cannot merge {stated[0]['path']} (day convention "
                f"{stated[0]['day_convention']!r}) with {info['path']} (day convention "
                f"{info['day_convention']!r}): import both with the same --day-convention"
            )
    convention = stated[0]["day_convention"] if stated else None
    for info in infos:
        if not info["day_convention"]:
            report.notes.append(
                f"{info['path']} states no day convention; taken to be "
                f"{convention or 'the same as the others'}"
            )
    return convention


def _differences(kept: pd.DataFrame, dropped: pd.DataFrame, measure: str) -> dict:
    a = kept[measure].to_numpy(dtype=np.float64)
    b = dropped[measure].to_numpy(dtype=np.float64)
    with np.errstate(all="ignore"):
        both = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
        difference = np.abs(b / a - 1.0)
    difference = np.where(both, difference, np.nan)
    count = int(both.sum())
    # Where only the dropped row had a value, the merged table has none (rows are whole).
    lost = int((~(np.isfinite(a) & (a > 0)) & np.isfinite(b) & (b > 0)).sum())
    if not count:
        return {"count": 0, "lost": lost, "median": None, "p95": None, "max": None, "worst": []}
    # The worst few, one per asset (one coin's bad supply would fill the list).
    ranked = np.argsort(-np.nan_to_num(difference, nan=-1.0), kind="stable")
    assets = kept["asset"].to_numpy()[ranked]
    worst = ranked[np.sort(np.unique(assets, return_index=True)[1])][:WORST]
    return {
        "count": count,
        "lost": lost,
        "median": float(np.nanmedian(difference)),
        "p95": float(np.nanpercentile(difference, 95)),
        "max": float(np.nanmax(difference)),
        "worst": [
            {
                "asset": str(kept["asset"].iloc[i]),
                "date": str(kept["date"].iloc[i].date()),
                "kept": float(a[i]),
                "dropped": float(b[i]),
                "difference": float(difference[i]),
            }
            for i in worst
            if both[i]
        ],
    }


def _audit(stacked: pd.DataFrame, winners: pd.DataFrame) -> list[dict]:
    """Each losing row beside the winner of its (date, asset), per pair of sources."""
    losers = stacked[stacked.duplicated(KEY, keep="first")]
    if losers.empty:
        return []
    pairs = losers.merge(winners, on=KEY, suffixes=("_dropped", ""))
    out = []
    for (won, lost), group in pairs.groupby(["source", "source_dropped"], sort=True):
        dropped = group[KEY].assign(
            close=group["close_dropped"], market_cap=group["market_cap_dropped"]
        )
        out.append(
            {
                "kept": str(won),
                "dropped": str(lost),
                "rows": len(group),
                "close": _differences(group, dropped, "close"),
                "market_cap": _differences(group, dropped, "market_cap"),
            }
        )
    return out


def merge_long_tables(paths: list[str | Path]) -> tuple[pd.DataFrame, MergeReport]:
    """The long tables at ``paths`` as one, by the precedence of the module docstring,
    with a ``source`` per row, and the report with the overlaps' audit."""
    if len(paths) < 2:
        raise DataError("data merge: give at least two long tables to merge")
    paths = [Path(p) for p in paths]
    report = MergeReport(source=", ".join(str(p) for p in paths))
    frames, infos = [], []
    for position, path in enumerate(paths):
        frame, info = _read(path, position)
        frames.append(frame)
        infos.append(info)
    report.inputs = infos
    vendors = [i["import"].get("vendor") or "" for i in infos]
    report.vendor = " + ".join(dict.fromkeys(v for v in vendors if v)) or "merge"
    report.day_convention = _convention(infos, report)
    stacked = pd.concat(frames, ignore_index=True, sort=False)
    report.rows_read = len(stacked)
    stacked = stacked.sort_values([*KEY, "_priority"], kind="stable", ignore_index=True)
    winners = stacked.drop_duplicates(KEY, keep="first")
    report.overlaps = _audit(stacked, winners)
    merged = winners.drop(columns="_priority").reset_index(drop=True)
    report.rows_written = len(merged)
    report.rows_by_source = {str(k): int(v) for k, v in merged["source"].value_counts().items()}
    caps = pd.to_numeric(merged["market_cap"], errors="coerce")
    report.market_caps_missing = int((~(caps > 0)).sum())
    return merged, report
