"""Rendering independent figures side by side, in forked worker processes.

Drawing the tearsheet's seven figures was 60 % of ``indexlab run`` (issue 17, item 6).
They share nothing but their input, so each can be drawn in its own process: matplotlib
is not thread-safe, but a forked child inherits the parent's modules and data for free
(copy-on-write) and sends back only PNG bytes.

Forking is used only where it is safe and pays: on a platform with ``fork`` (not
Windows; macOS offers it, but its system libraries are not fork-safe, so only Linux
and the BSDs), with more than one CPU to use, more than one figure, and no other Python
thread alive (a notebook kernel runs several; a fork could inherit one of their locks
held). Otherwise the figures are drawn one after the other in this process, with the
same bytes either way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

MAX_WORKERS = 4  # beyond this the figures are too few to share out

# The job a forked worker finds in its copy of this module: (draw, data), set only
# while a pool runs. Forking hands it over without pickling the data.
_job: tuple[Callable[[Any, str], bytes], Any] | None = None


def default_workers(jobs: int) -> int:
    """How many processes to draw ``jobs`` figures in: one per usable CPU, at most
    :data:`MAX_WORKERS` and ``jobs``; 1 where forking is not safe (see the module)."""
    if jobs <= 1 or not _fork_is_safe():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS, jobs))


def _fork_is_safe() -> bool:
    return (
        sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def render_all(
    draw: Callable[[Any, str], bytes],
    data: Any,
    names: Sequence[str],
    workers: int | None = None,
) -> dict[str, bytes]:
    """``{name: draw(data, name)}`` for each of ``names``, drawn in ``workers``
    processes (None: :func:`default_workers`; 1: here, one after the other). ``draw``
    must be a module-level function. An error in a worker is raised here."""
    workers = default_workers(len(names)) if workers is None else min(workers, len(names))
    if workers <= 1 or not _fork_is_safe():
        return {name: draw(data, name) for name in names}
    global _job
    _job = (draw, data)
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_quiet_on_interrupt,
        ) as pool:
            return dict(zip(names, pool.map(_draw, names), strict=True))
    finally:
        _job = None


def _draw(name: str) -> bytes:
    draw, data = _job
    return draw(data, name)


def _quiet_on_interrupt() -> None:
    """A worker leaves Ctrl-C to the parent, which stops the pool and says so once
    (rather than one traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
