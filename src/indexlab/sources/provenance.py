"""Where a long table's data came from, as published outputs say it: the vendor and
the download date, recorded at import in the Parquet file's metadata (beside the
import summary) and read back by :func:`indexlab.load_market` into
``Market.provenance``.

A CoinGecko history's newest point is the moment it was downloaded (the API's last
point is "now", not a 00:00 UTC snapshot), so the import records that day; other
importers record the newest file's modification day, or what their report says.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PROVENANCE_KEY = b"indexlab.provenance"
# An importer's vendor id (its report's ``vendor``) -> the name outputs print.
VENDOR_NAMES = {
    "coingecko": "CoinGecko",
    "cmc-snapshots": "CoinMarketCap",
    "cmc-daily": "CoinMarketCap",
}


def provenance_text(vendor: str, downloaded: str | None) -> str:
    """``"CoinGecko, downloaded 2025-07-24"`` (the vendor alone when the day is unknown)."""
    return f"{vendor}, downloaded {downloaded}" if downloaded else vendor


def provenance_record(summary: object) -> dict[str, str | None]:
    """What :func:`write_provenance` stores for an import ``summary``: its ``vendor``
    (by name, :data:`VENDOR_NAMES`) and ``downloaded`` day, when it has them."""
    vendor_id = str(getattr(summary, "vendor", "") or "")
    vendor = VENDOR_NAMES.get(vendor_id, vendor_id) or None
    downloaded = getattr(summary, "downloaded", None)
    if downloaded is None:
        downloaded = newest_file_day(Path(str(getattr(summary, "source", "") or ".")))
    return {"vendor": vendor, "downloaded": downloaded}


def newest_file_day(source: Path) -> str | None:
    """The UTC day of the newest modification of ``source`` or a file in it."""
    try:
        files = [p for p in source.iterdir() if p.is_file()] if source.is_dir() else [source]
        newest = max(p.stat().st_mtime for p in files)
    except (OSError, ValueError):
        return None
    return dt.datetime.fromtimestamp(newest, dt.UTC).date().isoformat()


def provenance_metadata(summary: object) -> dict[bytes, bytes]:
    """The Parquet metadata entry that records ``summary``'s provenance (none when the
    vendor is unknown)."""
    record = provenance_record(summary)
    if not record["vendor"]:
        return {}
    return {PROVENANCE_KEY: json.dumps(record).encode()}


def read_provenance(path: str | Path) -> str | None:
    """The provenance text stored in a Parquet file's metadata, or None (a CSV, a file
    imported before provenance was recorded, a file written by another tool)."""
    path = Path(path)
    if path.suffix.lower() != ".parquet":
        return None
    try:
        metadata = pq.read_schema(path).metadata or {}
        record = json.loads(metadata[PROVENANCE_KEY])
    except (KeyError, ValueError, OSError, pa.ArrowInvalid):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("vendor"), str):
        return None
    downloaded = record.get("downloaded")
    return provenance_text(record["vendor"], downloaded if isinstance(downloaded, str) else None)
