"""Running a sweep: chunks within a memory budget, results streamed to a Parquet
dataset so that an interrupted sweep resumes where it stopped, and executors.

The configurations still to run are cut into chunks; each chunk is run by
:func:`indexlab.sweep.run_configs` (locally, or as a task on a Dask cluster) and its
rows written as one file ``parts/part-<first id>.parquet`` in the output folder, by the
process that drives the sweep, atomically. On a restart the ids already in the
dataset are skipped, and the final table keeps one row per configuration.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

import pandas as pd

from indexlab.engine.memo import BoundedMemo
from indexlab.errors import IndexlabError, SpecError
from indexlab.market import Market
from indexlab.rules.schedule import calendar_key, schedule_positions
from indexlab.sweep.batch import MEMO_SHARE, chunk_size, member_bound, run_configs
from indexlab.sweep.progress import SweepProgress
from indexlab.sweep.spec import Config, SweepSpec

PARTS = "parts"
FINGERPRINT = "sweep-of.json"  # in PARTS: what the saved rows were computed for
RESULT = "sweep.parquet"
EXECUTORS = ("local", "dask", "dask-local")
_UNITS = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def parse_memory(text: str | float | int) -> float:
    """``"2GB"``, ``"500MB"``, ``"1.5e9"`` or a number of bytes."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        raw = str(text).strip().upper().replace(" ", "")
        unit = next((u for u in ("TB", "GB", "MB", "KB", "B") if raw.endswith(u)), "")
        try:
            value = float(raw[: len(raw) - len(unit)]) * _UNITS[unit]
        except ValueError:
            raise SpecError(f"--memory: {text!r} is not a size such as 2GB or 500MB") from None
    if not value >= 1e6:
        raise SpecError(f"--memory: {text!r} is too small (at least 1MB)")
    return value


class Executor(Protocol):
    """Runs chunks of configurations and yields (chunk number, rows) as they finish.

    Optional: ``min_chunks()``, how many chunks keep it busy (default 1), and
    ``session()``, a context manager around a sweep (a cluster started or connected
    once for both)."""

    def run(
        self, market: Market, chunks: list[list[Config]], memory_bytes: float
    ) -> Iterator[tuple[int, pd.DataFrame]]: ...


def run_chunk(
    market: Market,
    configs: list[Config],
    memory_bytes: float,
    memo: dict | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One chunk's rows (the function an executor runs, locally or on a worker);
    ``memo`` shares planning work with other chunks on the same market."""
    frame, _ = run_configs(
        market, configs, memory_bytes=memory_bytes, memo=memo, on_planned=on_planned
    )
    return frame


@dataclass
class LocalExecutor:
    """In this process, one chunk after the other, sharing their planning work
    (screens, rankings, schedules: a few arrays of the market's size).
    ``on_planned(n, of)`` hears how far the running chunk's planning is."""

    on_planned: Callable[[int, int], None] | None = None

    def run(self, market, chunks, memory_bytes):
        memo = BoundedMemo(memory_bytes * MEMO_SHARE)
        for number, chunk in enumerate(chunks):
            yield number, run_chunk(market, chunk, memory_bytes, memo, self._hear(len(chunk)))

    def _hear(self, of: int) -> Callable[[int], None] | None:
        if self.on_planned is None:
            return None
        tell = self.on_planned
        return lambda planned: tell(planned, of)


def make_executor(name: str, scheduler: str | None = None, workers: int | None = None):
    """The executor called ``name``: ``local``, ``dask`` (at ``scheduler``) or
    ``dask-local`` (a LocalCluster of ``workers`` processes)."""
    if name == "local":
        return LocalExecutor()
    if name in ("dask", "dask-local"):
        if name == "dask" and not scheduler:
            raise SpecError("--executor dask needs --scheduler ADDRESS (tcp://host:8786)")
        try:
            from indexlab.sweep.dask_executor import DaskExecutor
        except ImportError as exc:
            raise SpecError(
                f"--executor {name} needs dask.distributed: pip install 'indexlab[dask]' ({exc})"
            ) from None
        return DaskExecutor(scheduler=scheduler if name == "dask" else None, workers=workers)
    raise SpecError(f"--executor: {name!r} is not one of {', '.join(EXECUTORS)}")


# ---------------------------------------------------------------- the dataset
def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    from indexlab.output import temporary_prefix
    from indexlab.paths import umask_mode

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=temporary_prefix(path.name), dir=path.parent)
    os.close(handle)
    try:
        os.chmod(temporary, umask_mode(0o666))  # mkstemp makes it 0600, private to its owner
        frame.to_parquet(temporary, index=False)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _remove_stale_temporaries(out: Path) -> None:
    """Delete the temporary files that killed sweeps left in ``out`` and ``out/parts``
    (their process gone; see :func:`indexlab.output.stale_temporaries`)."""
    from indexlab.output import stale_temporaries

    for folder in (out, out / PARTS):
        for _, path in stale_temporaries(folder, r"part-[0-9a-f]+\.parquet|sweep\.parquet"):
            if path.is_file():
                path.unlink(missing_ok=True)


def fingerprint(spec: SweepSpec, market: Market) -> dict[str, str]:
    """What saved rows depend on: the base strategy (its period included), the grid and
    constraints, and the data (source, dates, assets and a checksum of the closes)."""
    import numpy as np

    return {
        "base": repr(spec.base),
        "grid": repr(sorted((k, tuple(map(repr, v))) for k, v in spec.grid.items())),
        "constraints": repr(tuple(spec.constraints)),
        "data": f"{market.source} | {market.dates[0].date()}..{market.dates[-1].date()} | "
        f"{len(market.asset_ids)} assets | {float(np.nansum(market.close_values)):.17g}",
    }


def _claim_parts(out: Path, spec: SweepSpec, market: Market) -> None:
    """Resume only rows of the same sweep on the same data: ``parts/sweep-of.json``
    records what they were computed for; other rows there are an error, not a resume."""
    import json

    mark = out / PARTS / FINGERPRINT
    wanted = fingerprint(spec, market)
    if mark.is_file():
        try:
            saved = json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        changed = [k for k in wanted if saved.get(k) != wanted[k]]
        if changed:
            raise SpecError(
                f"{out}: its saved rows come from another sweep ({', '.join(changed)} "
                "changed): rerun with --fresh (indexlab sweep) or delete "
                f"{out / PARTS} to start over, or choose another --out"
            )
        return


def _mark_parts(out: Path, spec: SweepSpec, market: Market) -> None:
    """Record what the rows about to be saved are computed for (with the first of them;
    rows saved before fingerprints were recorded are resumed as before)."""
    import json

    mark = out / PARTS / FINGERPRINT
    if mark.is_file() or any((out / PARTS).glob("part-*.parquet")):
        return
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text(json.dumps(fingerprint(spec, market), indent=1) + "\n", encoding="utf-8")


def read_parts(out: Path) -> pd.DataFrame:
    """Every row written so far (one per configuration, the last if written twice)."""
    folder = out / PARTS
    files = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame()
    frames = []
    for path in files:
        try:
            frames.append(pd.read_parquet(path))
        except (OSError, ValueError) as exc:
            raise IndexlabError(
                f"{path}: unreadable sweep part ({exc}); delete it to rerun"
            ) from None
    frame = pd.concat(frames, ignore_index=True)
    return frame.drop_duplicates("config_id", keep="last")


# ---------------------------------------------------------------- the sweep
def _locality(config: Config) -> tuple:
    """Configurations that trade on the same rows, next to each other: they batch in one
    kernel call and reuse the same rankings before the memo forgets them. The table keeps
    the grid's order whatever order the chunks run in."""
    s = config.strategy
    return (
        str(s.start),
        str(s.end),
        s.lag_days,
        calendar_key(s.rebalance),
        s.rebalance.drift_threshold is not None,
        calendar_key(s.reconstitution),
        repr(s.risk_off),
        repr(s.universe),
        repr(s.ranking),
    )


def _chunks(
    configs: list[Config], market: Market, memory_bytes: float, min_chunks: int = 1
) -> list[list[Config]]:
    """Configurations in chunks whose kernels fit the memory budget (at least one each;
    chunks of equal trading schedules keep their batching), and at least ``min_chunks``
    of them when there are that many configurations (an executor's workers all busy).
    ``configs`` come in :func:`_locality` order, so a chunk holds configurations that
    share rankings: each chunk's planning memo hits, wherever the chunk runs."""
    if not configs:
        return []
    s = configs[0].strategy
    dates = market.dates
    candidates = (
        len(dates)
        if s.rebalance.drift_threshold is not None
        else len(schedule_positions(dates, s.rebalance))
    )
    n_assets = len(market.asset_ids)
    # Planned targets take (candidates x slots) each: bound the slots by the count rules
    # (all assets as slots made chunks of 25 top-200 configurations at 10,000 coins).
    slots = max(member_bound(c.strategy, n_assets) for c in configs)
    size = chunk_size(candidates, len(dates), n_assets, memory_bytes, slots)
    size = max(1, min(size, 500))  # small enough to resume often and to spread over workers
    size = min(size, -(-len(configs) // max(min_chunks, 1)))
    return [configs[i : i + size] for i in range(0, len(configs), size)]


def sweep(
    spec: SweepSpec,
    market: Market,
    *,
    out: str | Path | None = None,
    memory: str | float = "2GB",
    executor: str | Executor = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool | TextIO = False,
    on_chunk: Callable[[int, pd.DataFrame], None] | None = None,
) -> pd.DataFrame:
    """Run every configuration of ``spec`` on ``market``; one row per configuration:
    ``config_id``, the grid's parameters, every metric, and ``error``.

    With ``out``, rows are streamed to ``out/parts/`` as chunks finish and the whole
    table is written to ``out/sweep.parquet`` at the end; running again with the same
    ``out`` skips the configurations already there (resume).
    """
    memory_bytes = parse_memory(memory)
    runner = make_executor(executor, scheduler, workers) if isinstance(executor, str) else executor
    configs = spec.configs()
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        _remove_stale_temporaries(out_dir)
    if out_dir is not None:
        _claim_parts(out_dir, spec, market)
    done = read_parts(out_dir) if out_dir is not None else pd.DataFrame()
    done_ids = set(done["config_id"]) if len(done) else set()
    todo = sorted((c for c in configs if c.id not in done_ids), key=_locality)
    stream = sys.stderr if progress is True else (progress or None)
    bar = SweepProgress(len(configs), stream, done=len(configs) - len(todo))
    if isinstance(runner, LocalExecutor) and runner.on_planned is None:
        runner = LocalExecutor(on_planned=bar.planning)
    results = [done] if len(done) else []
    session = getattr(runner, "session", None) if todo else None
    try:
        with session() if session is not None else contextlib.nullcontext():
            min_chunks = getattr(runner, "min_chunks", lambda: 1)()
            chunks = _chunks(todo, market, memory_bytes, min_chunks)
            for number, frame in runner.run(market, chunks, memory_bytes):
                if out_dir is not None:
                    _mark_parts(out_dir, spec, market)
                    _write_atomic(frame, out_dir / PARTS / f"part-{chunks[number][0].id}.parquet")
                results.append(frame)
                bar.advance(len(chunks[number]))
                if on_chunk is not None:
                    on_chunk(number, frame)
    finally:
        bar.close()
    table = pd.concat(results, ignore_index=True) if results else pd.DataFrame()
    table = table.drop_duplicates("config_id", keep="last").set_index("config_id")
    order = [c.id for c in configs]
    missing = [i for i in order if i not in table.index]
    if missing:
        raise IndexlabError(
            f"sweep: {len(missing)} configurations have no result (first {missing[0]})"
        )
    table = mark_equivalents(table.loc[order].reset_index())
    if out_dir is not None:
        _write_atomic(table, out_dir / RESULT)
    return table


def mark_equivalents(table: pd.DataFrame) -> pd.DataFrame:
    """``same_as``: for a configuration whose every metric equals an earlier one's (to
    10 significant digits; equal weights under caps that never bind, say), the id of
    the first such configuration; empty otherwise."""
    from indexlab.metrics import METRIC_COLUMNS

    table = table.drop(columns="same_as", errors="ignore")
    columns = [c for c in METRIC_COLUMNS if c in table]
    ok = table["error"].isna() if "error" in table else pd.Series(True, index=table.index)
    rounded = table.loc[ok, columns].apply(lambda c: c.map(lambda v: f"{v:.10g}"))
    key = rounded.agg("|".join, axis=1)
    first = table.loc[ok, "config_id"].groupby(key).transform("first")
    same = first.where(first != table.loc[ok, "config_id"])
    return table.assign(same_as=same.reindex(table.index).astype(object))


def best(table: pd.DataFrame, metric: str, top: int) -> pd.DataFrame:
    """The ``top`` configurations by ``metric`` (largest first; for max drawdown and
    costs, the least bad), configurations with errors left out."""
    ok = table[table["error"].isna()] if "error" in table else table
    ascending = metric in ("volatility", "avg_turnover", "total_cost", "longest_drawdown_days")
    return ok.sort_values(metric, ascending=ascending, kind="stable", na_position="last").head(top)


def heatmap_table(table: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """The median of ``metric`` for each (y, x) pair of grid values, over the other
    parameters (a robust summary: the best cell of a grid is partly luck)."""
    ok = table[table["error"].isna()] if "error" in table else table
    return ok.pivot_table(index=y, columns=x, values=metric, aggfunc="median", dropna=False)
