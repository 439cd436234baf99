"""The driver's watch over a Dask cluster while a sweep's chunks run: futures as they
finish, and one line as soon as a worker is lost or joins, or the scheduler stops
answering (checked every :data:`WATCH_SECONDS`, between chunks and while a finished
chunk's rows are fetched, so within a few seconds, not after Dask's 30 s connect
timeout).

A worker killed or out of memory closes its connection and the scheduler drops it at
once: the line comes within about a second. A machine that vanishes without closing
its connections is noticed by the scheduler's heartbeats, as Dask configures them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

from distributed import Client, Future, as_completed

WATCH_SECONDS = 1.0  # how often the driver asks the scheduler for its workers
POLL_SECONDS = 0.05  # how often it looks for finished chunks


def say_on_stderr(text: str) -> None:
    """One line on stderr, above a progress bar if one is drawn there."""
    from tqdm.auto import tqdm

    tqdm.write(f"indexlab: {text}", file=sys.stderr)


def workers_now(client: Client) -> set[str] | None:
    """The scheduler's workers, or None when it does not answer within the watch
    interval."""
    try:
        return set(client.nthreads(callback_timeout=WATCH_SECONDS * 2))
    except Exception:  # lost connection, timeout: said by the caller
        return None


class ClusterWatch:
    """The workers the driver last saw and whether the scheduler answered: :meth:`check`
    says what changed since, once."""

    def __init__(self, client: Client, where: str, say: Callable[[str], None]) -> None:
        self.client, self.where, self.say = client, where, say
        self.known = workers_now(client) or set()
        self.answering = True
        self.checked = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.checked >= WATCH_SECONDS

    def check(self) -> None:
        where, say = self.where, self.say
        self.checked = time.monotonic()
        now = workers_now(self.client)
        if now is None:
            if self.answering:
                say(
                    f"{where}: the scheduler does not answer; waiting for it to come back "
                    "(Ctrl-C stops; rows written so far are kept)"
                )
            self.answering = False
            return
        if not self.answering:
            say(f"{where}: the scheduler answers again")
        self.answering = True
        for worker in sorted(self.known - now):
            say(
                f"{where}: worker {worker} was lost; the chunks it held run again on "
                f"{len(now)} other worker(s)"
                if now
                else f"{where}: worker {worker} was lost and no worker is left; waiting for "
                "one to join (Ctrl-C stops; run again to resume)"
            )
        for worker in sorted(now - self.known):
            say(f"{where}: worker {worker} joined")
        self.known = now


def completed(futures: list[Future], watch: ClusterWatch) -> Iterator[Future]:
    """``futures`` as they finish (done, failed or cancelled), in submission order
    among those that finish together; between two, the cluster's changes said once
    (``watch``)."""
    order = {future.key: n for n, future in enumerate(futures)}
    finished = as_completed(futures, loop=watch.client.loop)
    while not finished.is_empty():
        done = finished.next_batch(block=False)
        yield from sorted(done, key=lambda f: order[f.key])
        if not done:
            time.sleep(POLL_SECONDS)
        # Asked after every chunk returned (one small message) and every WATCH_SECONDS.
        if finished.is_empty() or (not done and not watch.due()):
            continue
        watch.check()


def result(future: Future, watch: ClusterWatch):
    """``future.result()``, watching the cluster while it comes: a finished chunk's data
    on a worker that has just died is fetched only after Dask's connect timeout (30 s
    by default) or its recomputation elsewhere, and the loss is said meanwhile."""
    while True:
        try:
            return future.result(timeout=WATCH_SECONDS)
        except TimeoutError:
            watch.check()
