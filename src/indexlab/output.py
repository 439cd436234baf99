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
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.cells import neutralise_cells
from indexlab.coverage import survivorship_caveat
from indexlab.errors import IndexlabError
from indexlab.paths import umask_mode
from indexlab.report.rundata import (
    ASSETS,
    DAILY_WEIGHTS,
    MANIFEST,
    held_assets,
    market_paths,
    published_notes,
)
from indexlab.result import Result
from indexlab.version import __version__


def _versions() -> dict[str, str]:
    import numba

    return {
        "indexlab": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "numba": numba.__version__,
        "matplotlib": _distribution_version("matplotlib"),
    }


def _distribution_version(name: str) -> str:
    """The installed version of ``name`` without importing it (a run without its report
    need not load matplotlib)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


# What the manifest's ``report`` says of a run folder written without its report.
NO_REPORT = (
    "not written (--no-report): no report.html and no figures/; "
    "'indexlab report RUN_DIR' makes them from this folder"
)


def manifest(result: Result, *, run_seconds: float | None = None, report: bool = True) -> dict:
    """What a run folder records about how it was made; ``report`` says whether
    ``report.html`` and ``figures/`` were written with it."""
    market = result.market
    versions = _versions()
    return {
        "indexlab_version": versions["indexlab"],
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "run_seconds": None if run_seconds is None else round(run_seconds, 4),
        "data": {
            "source": result.data_label,
            "synthetic": market.synthetic,
            "survivorship": survivorship_caveat(market),  # "" unless survivors only
            "path": market.source_path,
            "sha256": market.source_sha256,
            "first_date": str(market.start.date()),
            "last_date": str(market.end.date()),
            "n_assets": len(market.asset_ids),
        },
        "period": {"start": str(result.dates[0].date()), "end": str(result.dates[-1].date())},
        "title": result.strategy.display_title,  # what figures and report.html show
        "strategy": result.strategy.to_dict(),
        "strategy_file": result.strategy.origin or None,
        "lag_days": result.strategy.lag_days,
        "periods_per_year": result.periods_per_year,
        "risk_free_rate": 0.0,
        "equity_units": "multiples of the initial capital C0, E_0 net of the first buy's costs",
        "benchmarks": result.benchmark_assets,
        "notes": list(published_notes(result.notes, market_paths(market))),
        "assumptions": result.assumptions(),
        "versions": versions,
        "report": "report.html, figures/" if report else NO_REPORT,
    }


def _write_tables(result: Result, folder: Path) -> None:
    # Text from data is neutralised (indexlab.cells) while the dates are still dates:
    # the day strings made after it start with a digit, which no spreadsheet runs.
    equity = neutralise_cells(result.equity)
    equity.index = equity.index.strftime("%Y-%m-%d")
    equity.to_csv(folder / "equity.csv", index_label="date", float_format="%.12g")
    metrics = neutralise_cells(result.metrics())
    metrics.to_csv(folder / "metrics.csv", index_label="portfolio", float_format="%.10g")
    weights = neutralise_cells(result.weights_long)
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
    trades = neutralise_cells(result.trades[columns])
    trades.index = trades.index.strftime("%Y-%m-%d")
    trades.to_csv(folder / "trades.csv", index_label="date", float_format="%.12g")
    liquidations = neutralise_cells(result.liquidations)
    for column in ("date", "last_valid_date"):
        liquidations[column] = pd.DatetimeIndex(liquidations[column]).strftime("%Y-%m-%d")
    liquidations.to_csv(folder / "liquidations.csv", index=False, float_format="%.12g")
    _write_daily_weights(result, folder)
    neutralise_cells(held_assets(result)).to_csv(folder / ASSETS, index=False)


def _write_daily_weights(result: Result, folder: Path) -> None:
    """``date, asset, weight`` of the strategy at every close, for every weight > 0 (the
    allocation chart of the report; too large for a CSV, so Parquet)."""
    daily = result.daily_weights
    values = daily.to_numpy(dtype=np.float64)
    rows, columns = np.nonzero(values > 0)  # row by row: date, then asset, as stack() gave
    long = pd.DataFrame(
        {
            "date": daily.index[rows],
            "asset": daily.columns[columns].astype(str),
            "weight": values[rows, columns],
        }
    )
    long.to_parquet(folder / DAILY_WEIGHTS, index=False, compression="zstd")


def _is_run_folder(path: Path) -> bool:
    return path.is_dir() and (not any(path.iterdir()) or (path / MANIFEST).is_file())


# ---------------------------------------------------------------- replacing a folder
PREVIOUS_RUNS = "previous-runs"  # what a replaced run folder held beyond the new run
NOTE = "NOTE.txt"
# A temporary named without its writer's pid (indexlab before pids were recorded) is
# taken as abandoned once this old.
UNOWNED_STALE_S = 3600.0
_RANDOM = "[a-z0-9_]{8}"  # the random part of tempfile's names


class FolderNote(UserWarning):
    """What indexlab did to an output folder that its owner should know: a previous run
    restored after a killed one, or files kept aside when a run replaced the folder."""


def temporary_prefix(name: str, kind: str = "tmp") -> str:
    """``.NAME.KIND-PID-``: a hidden sibling that says whose it is, so that the next
    writer can tell an abandoned temporary (its process gone) from one still in use."""
    return f".{name}.{kind}-{os.getpid()}-"


def stale_temporaries(folder: Path, names: str) -> list[tuple[str, Path]]:
    """(kind, path) of the temporaries in ``folder`` of the files or folders whose names
    match the regular expression ``names``, whose writer is gone: its pid no longer runs,
    or, for a name without a pid, the temporary is over an hour old."""
    pattern = re.compile(rf"\.(?:{names})\.(?:(tmp|old)-)?(?:(\d+)-)?{_RANDOM}")
    try:
        entries = list(Path(folder).iterdir())
    except OSError:  # no such folder yet: nothing was left in it
        return []
    stale = []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and _writer_gone(entry, match.group(2)):
            stale.append((match.group(1) or "tmp", entry))
    return stale


def _writer_gone(path: Path, pid: str | None) -> bool:
    if pid is None or os.name != "posix":  # os.kill(pid, 0) would signal on Windows
        try:
            return time.time() - path.lstat().st_mtime > UNOWNED_STALE_S
        except OSError:
            return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, and someone else's (PermissionError)
        return False
    return False


def clean_stale_temporaries(target: str | Path) -> None:
    """Finish what a killed writer of ``target`` left beside it: a previous run parked in
    ``.NAME.old-*`` goes back in place if the new run never landed (or, if it did, what
    the previous one held beyond it is kept, as on any replace); temporaries go."""
    target = Path(target)
    stale = stale_temporaries(target.parent, re.escape(target.name))
    parked = sorted((p for kind, p in stale if kind == "old"), key=_mtime, reverse=True)
    for folder in parked:  # the newest first: that is the one to restore
        previous = folder / target.name
        if previous.is_dir() and not os.path.lexists(target):
            os.replace(previous, target)
            warnings.warn(
                f"{target}: a run into this folder was killed before it landed; the "
                f"previous run it had moved aside ({folder.name}) is restored",
                FolderNote,
                stacklevel=4,  # the ``with atomic_folder(...)`` line
            )
        elif previous.is_dir() and target.is_dir():
            _keep_additions(previous, target)
        elif previous.exists():
            continue  # ``target`` is something else now: leave the parked run alone
        shutil.rmtree(folder, ignore_errors=True)
    for kind, path in stale:
        if kind == "tmp":
            shutil.rmtree(path, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces ``target`` when the block succeeds.

    What a killed writer left beside ``target`` is cleaned first; the folder gets the
    mode that the umask gives any new folder; what the previous ``target`` held beyond
    the new one (``marketing/``, ``export/``, ``sections/``, ...) moves to
    ``target/previous-runs/run-STAMP/`` with a note, never deleted.
    """
    target = Path(target)
    clean_stale_temporaries(target)
    if target.exists() and not _is_run_folder(target):
        kind = "a file" if not target.is_dir() else "a folder that is not an indexlab run"
        raise IndexlabError(f"--out {target}: is {kind}; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=temporary_prefix(target.name), dir=target.parent))
    os.chmod(staging, umask_mode())  # mkdtemp makes it 0700, private to its owner
    try:
        yield staging
        _land(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _land(staging: Path, target: Path) -> None:
    """Put ``staging`` in place of ``target`` with two renames: the previous run parked
    beside it, then the new one moved in (a kill between the two is repaired by the next
    writer, see :func:`clean_stale_temporaries`)."""
    if not target.exists():
        os.replace(staging, target)
        return
    parked = Path(tempfile.mkdtemp(prefix=temporary_prefix(target.name, "old"), dir=target.parent))
    try:
        os.replace(target, parked / target.name)
    except OSError:
        shutil.rmtree(parked, ignore_errors=True)
        raise
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(parked / target.name, target)  # put the previous run back
        shutil.rmtree(parked, ignore_errors=True)
        raise
    _keep_additions(parked / target.name, target)
    shutil.rmtree(parked, ignore_errors=True)


def _keep_additions(previous: Path, new: Path) -> None:
    """Move what ``previous`` (a replaced run folder) holds beyond ``new`` into
    ``new/previous-runs/run-STAMP/`` with a NOTE.txt, and say so. Saved report sections
    count only in a run folder's own ``sections/``, so the new report never shows the
    previous run's; ``previous-runs/`` itself is carried over as it is."""
    earlier = previous / PREVIOUS_RUNS
    if earlier.is_dir():
        for folder in sorted(earlier.iterdir()):
            _move_unique(folder, new / PREVIOUS_RUNS)
    additions = sorted(
        path
        for path in previous.iterdir()
        if path.name != PREVIOUS_RUNS and not os.path.lexists(new / path.name)
    )
    if not additions:
        return
    created = _created(previous)
    kept = new / PREVIOUS_RUNS / _stamp(created, previous)
    kept.mkdir(parents=True, exist_ok=True)
    (kept / NOTE).write_text(_note(new, created), encoding="utf-8")
    names = [p.name + ("/" if p.is_dir() else "") for p in additions]
    for path in additions:
        _move_unique(path, kept)
    listing = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    warnings.warn(
        f"{new}: {listing} {'was' if len(names) == 1 else 'were'} in the folder but not part "
        f"of the new run: moved to {kept}/ (see {NOTE} there), as they describe the "
        "previous run",
        FolderNote,
        stacklevel=5,  # the ``with atomic_folder(...)`` line
    )


def _move_unique(path: Path, folder: Path) -> None:
    """Move ``path`` into ``folder`` under its name, or NAME-2, NAME-3, ... if taken."""
    folder.mkdir(parents=True, exist_ok=True)
    destination, number = folder / path.name, 1
    while os.path.lexists(destination):
        number += 1
        destination = folder / f"{path.name}-{number}"
    os.replace(path, destination)


def _created(run_dir: Path) -> str | None:
    """The ``created_utc`` of a run folder's manifest, or None."""
    try:
        value = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))["created_utc"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _stamp(created: str | None, run_dir: Path) -> str:
    """``run-2026-01-02T030405Z``: when the run was made (its manifest's time, else the
    time its folder last changed), as a folder name."""
    try:
        when = dt.datetime.fromisoformat(created or "")
    except ValueError:
        when = dt.datetime.fromtimestamp(_mtime(run_dir / MANIFEST) or _mtime(run_dir), dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return f"run-{when.astimezone(dt.UTC):%Y-%m-%dT%H%M%SZ}"


def _note(new: Path, created: str | None) -> str:
    made = f"the run of {created}" if created else "the previous run (its time unknown)"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return (
        f"These files were in {new.name}/ when a new run replaced it, and are not part of\n"
        f"that new run: they were added to the folder after {made}, or written by it,\n"
        f"and describe that run, not the one now in {new.name}/. indexlab moved them here\n"
        f"on {now} rather than delete them.\n\n"
        "A saved report section counts only in the run folder's own sections/: move it\n"
        "back (or save it again) if it still applies to the new run.\n"
    )


def write_run(
    result: Result,
    out_dir: str | Path,
    *,
    run_seconds: float | None = None,
    report: bool = True,
    workers: int | None = None,
) -> Path:
    """Write every file of a run folder (DESIGN section 5) into ``out_dir``, atomically.

    The report is built from the folder's own files, exactly as ``indexlab report
    RUN_DIR`` rebuilds it, so the two never differ; its figures are drawn in
    ``workers`` processes (None: one per CPU, see :mod:`indexlab.report.render`).
    ``report=False`` leaves out ``report.html`` and ``figures/``, and the manifest's
    ``report`` says so.
    """
    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as staging:
        _write_tables(result, staging)
        facts = manifest(result, run_seconds=run_seconds, report=report)
        text = json.dumps(facts, indent=2, default=str, allow_nan=False)
        (staging / MANIFEST).write_text(text + "\n", encoding="utf-8")
        if report:
            from indexlab import report as reports  # matplotlib: only when drawing

            # Looked up here, so that a test can replace it.
            reports.write_report(staging, staging, workers=workers)
    return out_dir
