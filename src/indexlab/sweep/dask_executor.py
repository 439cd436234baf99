"""Chunks of a sweep as tasks on a Dask cluster (``--executor dask`` / ``dask-local``).

The Market is sent to the workers once (scattered to every worker); each chunk of
configurations is one task calling :func:`indexlab.sweep.runner.run_chunk`; rows come
back to the driver as tasks complete, and the driver writes each chunk's part file
itself, so that a chunk is written once, by one process.

When a worker dies, the scheduler runs the tasks it held again on another worker (a
task whose workers died more than ``distributed.scheduler.allowed-failures`` times,
3 by default, is given up: an error). When the Market itself is lost (every worker
holding a copy died; Dask keeps fewer copies near the end of a sweep), it is sent
again and the chunks not yet returned are submitted again. Whatever happens, each
chunk is yielded at most once.

Each worker process keeps one planning memo per scattered market
(:func:`run_chunk_on_worker`), so its chunks share rankings and screens as the local
executor's do. An executor used as a context manager (``with DaskExecutor() as ex``)
keeps its cluster for several sweeps; otherwise each sweep starts and closes its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import importlib.metadata
import logging
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dask
import pandas as pd
from dask.utils import parse_timedelta
from distributed import Client, Future, LocalCluster
from distributed.comm import connect, get_address_host_port
from distributed.scheduler import KilledWorker

from indexlab.engine.memo import BoundedMemo
from indexlab.errors import IndexlabError, SpecError
from indexlab.market import Market
from indexlab.sweep.batch import MEMO_SHARE
from indexlab.sweep.dask_watch import ClusterWatch, completed, result, say_on_stderr
from indexlab.sweep.runner import run_chunk
from indexlab.sweep.spec import Config

DEFAULT_WORKERS = 2
MARKET_RESENDS = 3  # sending a lost Market again more often than this is an error
# A scheduler that refuses or does not answer is said within this many seconds (unless
# timeout_s asks for longer): Dask's own connect timeout is 30 s.
PROBE_SECONDS = 5.0
CHUNKS_PER_WORKER = 2  # so that no worker idles while another finishes a long chunk
_CANCELLED = (concurrent.futures.CancelledError, asyncio.CancelledError)


@dataclass
class DaskExecutor:
    """Runs chunks on the Dask scheduler at ``scheduler`` (``tcp://host:8786``), or,
    without one, on a LocalCluster of ``workers`` processes (default 2, one thread
    each) started for the sweep and closed after it.

    ``timeout_s`` bounds connecting to the scheduler and waiting for a first worker;
    by default Dask's ``distributed.comm.timeouts.connect`` (30 s unless configured),
    and at most :data:`PROBE_SECONDS` for the scheduler's first answer. ``say`` gets
    the cluster's events during a sweep (a worker lost or joined; stderr by default).
    """

    scheduler: str | None = None
    workers: int | None = None
    timeout_s: float | None = None
    say: Callable[[str], None] = say_on_stderr
    _open: tuple | None = field(default=None, init=False, repr=False)
    _sent: tuple | None = field(default=None, init=False, repr=False)  # (market, its future)

    def __post_init__(self) -> None:
        if self.scheduler is not None and self.workers is not None:
            raise SpecError(
                "--workers: only for --executor dask-local; the workers of a cluster at "
                "--scheduler are started there (dask worker ADDRESS)"
            )
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise SpecError(f"--workers: a number of processes >= 1, got {self.workers!r}")

    @property
    def where(self) -> str:
        if self.scheduler is None:
            return f"dask-local ({self.workers or DEFAULT_WORKERS} workers)"
        return f"dask scheduler {self.scheduler}"

    def __enter__(self) -> DaskExecutor:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> None:
        """Start the cluster (or connect to the scheduler) and keep it until
        :meth:`close`, for several sweeps."""
        if self._open is None:
            manager = self._client(self._timeout())
            self._open = (manager, manager.__enter__())

    def close(self) -> None:
        if self._open is not None:
            manager, _ = self._open
            self._open, self._sent = None, None
            manager.__exit__(None, None, None)

    @contextmanager
    def session(self) -> Iterator[DaskExecutor]:
        """Open for one sweep, unless already open (then left open)."""
        if self._open is not None:
            yield self
            return
        self.open()
        try:
            yield self
        finally:
            self.close()

    @property
    def dashboard(self) -> str | None:
        """The address of the cluster's dashboard while open (bokeh, from the ``dask``
        extra, serves it)."""
        return None if self._open is None else self._open[1].dashboard_link

    def min_chunks(self) -> int:
        """How many chunks keep every worker thread busy: two per thread (a cluster's
        threads counted when it is open)."""
        if self._open is not None:
            threads = sum(self._open[1].nthreads().values())
        else:
            threads = (self.workers or DEFAULT_WORKERS) if self.scheduler is None else 1
        return CHUNKS_PER_WORKER * max(threads, 1)

    def run(
        self, market: Market, chunks: list[list[Config]], memory_bytes: float
    ) -> Iterator[tuple[int, pd.DataFrame]]:
        if not chunks:
            return
        timeout = self._timeout()
        kept_open = self._open is not None  # by the caller, for several sweeps
        with self.session():
            client = self._open[1]

            def send(again: bool) -> Future:
                # Sweeps of one open executor on one Market send it once: the workers
                # keep it, and their planning memos with it.
                if not again and self._sent is not None and self._sent[0] is market:
                    if self._sent[1].status == "finished":
                        return self._sent[1]
                # A copy without the cached arrays: half the bytes; workers rebuild them.
                future = _scatter(client, dataclasses.replace(market), self.where, timeout, again)
                self._sent = (market, future) if kept_open else None
                return future

            yield from _run_chunks(
                client, send, chunks, memory_bytes, self.where, self.say, keep=kept_open
            )

    def _timeout(self) -> float:
        if self.timeout_s is not None:
            return float(self.timeout_s)
        return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s"))

    @contextmanager
    def _client(self, timeout: float) -> Iterator[Client]:
        if self.scheduler is None:
            n = self.workers or DEFAULT_WORKERS
            try:
                cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # not 8787: another cluster may have it
                    # A worker's death is said at once (dask_watch); its restart by the
                    # nanny is kept.
                    silence_logs=logging.ERROR,
                )
            except (OSError, TimeoutError, RuntimeError) as exc:
                raise IndexlabError(
                    f"{self.where}: cannot start a LocalCluster: {_line(exc)}"
                ) from None
            try:
                with Client(cluster, set_as_default=False) as client:
                    yield client
            finally:
                cluster.close()
            return
        _probe(self.scheduler, timeout if self.timeout_s else min(timeout, PROBE_SECONDS))
        try:
            client = Client(self.scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise IndexlabError(f"{self.where}: cannot connect: {_line(exc)}") from None
        try:
            _check_workers(client, self.scheduler, timeout)
            yield client
        finally:
            client.close()


def _run_chunks(
    client: Client,
    send: Callable[[bool], Future],
    chunks: list[list[Config]],
    memory_bytes: float,
    where: str,
    say: Callable[[str], None],
    *,
    keep: bool,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """The chunks' rows as they come; ``send(again)`` gives the market on the workers
    (sent again when lost), released at the end unless ``keep``."""
    todo = set(range(len(chunks)))
    for attempt in range(MARKET_RESENDS + 1):
        market_future = send(attempt > 0)
        # A key per chunk: its first configuration's id, and a token of this submission
        # so that two sweeps on one cluster never share a task. A task run again after
        # its worker died keeps its key.
        run = uuid.uuid4().hex[:8]
        futures = {
            f"indexlab-chunk-{chunks[n][0].id}-{run}": n
            for n in sorted(todo)  # submitted in order, so chunks start in order
        }
        submitted = [
            client.submit(
                run_chunk_on_worker,
                market_future,
                chunks[n],
                memory_bytes,
                market_future.key,
                key=key,
                pure=False,
            )
            for key, n in futures.items()
        ]
        try:
            watch = ClusterWatch(client, where, say)
            for future in completed(submitted, watch):
                number = futures[future.key]
                try:
                    frame = result(future, watch)
                except KilledWorker as exc:
                    raise IndexlabError(_killed_message(where, chunks[number], exc)) from None
                except _CANCELLED:
                    # Its input, the market, was lost with the workers holding it (or
                    # the scheduler restarted): the chunk is submitted again below.
                    continue
                future.release()  # a finished chunk is not recomputed if its worker dies
                todo.discard(number)
                yield number, frame
        finally:
            pending = [f for f in submitted if not f.done()]
            if pending:
                client.cancel(pending)
            if not keep:
                market_future.release()
        if not todo:
            return
    raise IndexlabError(
        f"{where}: {len(todo)} chunks were cancelled {MARKET_RESENDS + 1} times (the market "
        "was lost with the workers holding it, or the scheduler restarted); rows written "
        "so far are kept: run again to resume"
    )


# One planning memo per worker thread and scattered market: the chunks a worker runs
# share rankings and screens (a worker holds one sweep's market at a time).
_WORKER_MEMOS: dict[tuple[str, int], BoundedMemo] = {}


def run_chunk_on_worker(
    market: Market, configs: list[Config], memory_bytes: float, market_key: str
) -> pd.DataFrame:
    """:func:`run_chunk` with this worker's memo for the market sent as ``market_key``."""
    key = (str(market_key), threading.get_ident())
    memo = _WORKER_MEMOS.get(key)
    if memo is None:
        for old in [k for k in _WORKER_MEMOS if k[1] == key[1]]:
            del _WORKER_MEMOS[old]  # another sweep's (or a resent market's): let it go
        memo = _WORKER_MEMOS[key] = BoundedMemo(memory_bytes * MEMO_SHARE)
    return run_chunk(market, configs, memory_bytes, memo)


def _scatter(client: Client, market: Market, where: str, timeout: float, again: bool) -> Future:
    """The market sent to every worker, once per (re)submission of the chunks."""
    try:
        return client.scatter(market, broadcast=True, hash=False, timeout=timeout)
    except (OSError, TimeoutError, *_CANCELLED) as exc:
        if not again:
            raise IndexlabError(
                f"{where}: cannot send the market to the workers: {_line(exc)}"
            ) from None
        raise IndexlabError(
            f"{where}: lost the cluster ({_line(exc)}); rows written so far are kept: "
            "run again to resume"
        ) from None


def _probe(address: str, timeout: float) -> None:
    """A Dask handshake with ``address`` within ``timeout`` (``Client`` itself waits
    for ever on a server that accepts the connection and then says nothing)."""

    async def handshake() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    failure: list[BaseException] = []

    def probe() -> None:  # in a thread: the caller may be inside an event loop (Jupyter)
        try:
            asyncio.run(asyncio.wait_for(handshake(), timeout))
        except Exception as exc:
            failure.append(exc)

    thread = threading.Thread(target=probe, name="indexlab-dask-probe", daemon=True)
    thread.start()
    thread.join()
    if not failure:
        return
    exc = failure[0]
    where = f"dask scheduler {address}"
    if isinstance(exc, ValueError):
        raise IndexlabError(f"{where}: not an address such as tcp://host:8786 ({_line(exc)})")
    if isinstance(exc, OSError | TimeoutError):
        raise IndexlabError(f"{where}: {_unanswered(address, timeout)}")
    raise IndexlabError(f"{where}: {_line(exc)}")


def _unanswered(address: str, timeout: float) -> str:
    """Why a Dask handshake failed, from one plain TCP connection (Dask's own retries
    do not keep the reason)."""
    try:
        host, port = get_address_host_port(address)
        with socket.create_connection((host, port), timeout=min(timeout, 5.0)):
            pass
    except ConnectionRefusedError:
        return (
            f"connection refused for {timeout:g} s (is `dask scheduler` running there, on "
            "that port?)"
        )
    except (OSError, ValueError):
        return f"no answer within {timeout:g} s (is the host reachable from here?)"
    return f"no answer within {timeout:g} s to a Dask handshake (is it a Dask scheduler?)"


def _check_workers(client: Client, address: str, timeout: float) -> None:
    """At least one worker, and every worker with this driver's indexlab."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        raise IndexlabError(
            f"dask scheduler {address}: no worker joined within {timeout:g} s "
            f"(start them with: dask worker {address})"
        ) from None
    ours = importlib.metadata.version("indexlab")
    theirs = client.run(importlib.metadata.version, "indexlab", on_error="return")
    for worker, version in sorted(theirs.items()):
        if version != ours:
            found = "not installed" if isinstance(version, BaseException) else version
            raise IndexlabError(
                f"dask worker {worker}: indexlab {ours} is needed, as on this machine "
                f"(found: {found}); install it on every worker"
            )


def _killed_message(where: str, chunk: list[Config], exc: KilledWorker) -> str:
    return (
        f"{where}: chunk {chunk[0].id} ({len(chunk)} configurations) was given up: the "
        f"workers running it died {exc.allowed_failures + 1} times "
        f"(distributed.scheduler.allowed-failures = {exc.allowed_failures}); often a worker "
        "out of memory: lower --memory or give workers more. Rows written so far are "
        "kept: run again to resume"
    )


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
