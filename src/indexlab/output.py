"""Writing a run folder (DESIGN section 5) atomically.

Files are written into a temporary sibling folder, which then replaces the target
in one rename: a failed run never leaves a half-written folder and never clobbers
the previous good one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab import report
from indexlab.errors import IndexlabError
from indexlab.report.rundata import ASSETS, DAILY_WEIGHTS, MANIFEST, held_assets
from indexlab.result import Result
from indexlab.version import __version__


def _versions() -> dict[str, str]:
    import matplotlib
    import numba

    return {
        "indexlab": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "numba": numba.__version__,
        "matplotlib": matplotlib.__version__,
    }


def manifest(result: Result, *, run_seconds: float | None = None) -> dict:
    """What a run folder records about how it was made."""
    market = result.market
    return {
        "indexlab_version": _versions()["indexlab"],
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "run_seconds": None if run_seconds is None else round(run_seconds, 4),
        "data": {
            "source": result.data_label,
            "synthetic": market.synthetic,
            "path": market.source_path,
            "sha256": market.source_sha256,
            "first_date": str(market.start.date()),
            "last_date": str(market.end.date()),
            "n_assets": len(market.asset_ids),
        },
        "period": {"start": str(result.dates[0].date()), "end": str(result.dates[-1].date())},
        "strategy": result.strategy.to_dict(),
        "strategy_file": result.strategy.origin or None,
        "lag_days": result.strategy.lag_days,
        "periods_per_year": result.periods_per_year,
        "risk_free_rate": 0.0,
        "equity_units": "multiples of the initial capital C0, E_0 net of the first buy's costs",
        "benchmarks": result.benchmark_assets,
        "notes": list(result.notes),
        "assumptions": result.assumptions(),
        "versions": _versions(),
    }


def _write_tables(result: Result, folder: Path) -> None:
    equity = result.equity.copy()
    equity.index = equity.index.strftime("%Y-%m-%d")
    equity.to_csv(folder / "equity.csv", index_label="date", float_format="%.12g")
    result.metrics().to_csv(folder / "metrics.csv", index_label="portfolio", float_format="%.10g")
    weights = result.weights_long.copy()
    weights["date"] = weights["date"].dt.strftime("%Y-%m-%d")
    weights.to_csv(folder / "weights.csv", index=False, float_format="%.12g")
    columns = [
        "turnover",
        "turnover_two_way",
        "cost",
        "value_pre_trade",
        "traded_notional",
        "n_assets",
        "reason",
    ]
    trades = result.trades[columns]
    trades = trades.copy()
    trades.index = trades.index.strftime("%Y-%m-%d")
    trades.to_csv(folder / "trades.csv", index_label="date", float_format="%.12g")
    liquidations = result.liquidations.copy()
    for column in ("date", "last_valid_date"):
        liquidations[column] = pd.DatetimeIndex(liquidations[column]).strftime("%Y-%m-%d")
    liquidations.to_csv(folder / "liquidations.csv", index=False, float_format="%.12g")
    _write_daily_weights(result, folder)
    held_assets(result).to_csv(folder / ASSETS, index=False)


def _write_daily_weights(result: Result, folder: Path) -> None:
    """``date, asset, weight`` of the strategy at every close, for every weight > 0 (the
    allocation chart of the report; too large for a CSV, so Parquet)."""
    daily = result.daily_weights
    long = daily.stack()
    long = long[long > 0].rename("weight").reset_index()
    long.columns = ["date", "asset", "weight"]
    long.to_parquet(folder / DAILY_WEIGHTS, index=False, compression="zstd")


def _is_run_folder(path: Path) -> bool:
    return path.is_dir() and (not any(path.iterdir()) or (path / MANIFEST).is_file())


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces ``target`` when the block succeeds."""
    target = Path(target)
    if target.exists() and not _is_run_folder(target):
        kind = "a file" if not target.is_dir() else "a folder that is not an indexlab run"
        raise IndexlabError(f"--out {target}: is {kind}; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield staging
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, retired / target.name)
            try:
                os.replace(staging, target)
            except OSError:
                os.replace(retired / target.name, target)  # put the previous run back
                raise
            finally:
                shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_run(result: Result, out_dir: str | Path, *, run_seconds: float | None = None) -> Path:
    """Write every file of a run folder (DESIGN section 5) into ``out_dir``, atomically.

    The report is built from the folder's own files, exactly as ``indexlab report
    RUN_DIR`` rebuilds it, so the two never differ.
    """
    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as staging:
        _write_tables(result, staging)
        text = json.dumps(
            manifest(result, run_seconds=run_seconds), indent=2, default=str, allow_nan=False
        )
        (staging / MANIFEST).write_text(text + "\n", encoding="utf-8")
        report.write_report(staging, staging)  # looked up here, so a test can replace it
    return out_dir
