"""Ctrl-C that waits for compiled code to return.

A ``KeyboardInterrupt`` raised while numba boxes a kernel's result into Python objects
leaves the dispatcher with an exception set on a returned value: CPython then reports a
``SystemError`` ("returned a result with an exception set") or, now and then, crashes.
Around such a call, SIGINT is only recorded, and raised as ``KeyboardInterrupt`` once
the call has returned. A kernel call is bounded (a few hundred MB of arrays), so the
wait is short; raising at a second Ctrl-C would bring the crash back.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold SIGINT back until the block ends, then raise it as ``KeyboardInterrupt``.

    Only in the main thread and only when SIGINT raises ``KeyboardInterrupt`` (Python's
    default handler): elsewhere, or under a handler of someone else's, it changes nothing.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    received: list[int] = []

    def record(signum: int, frame: object) -> None:
        received.append(signum)

    signal.signal(signal.SIGINT, record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if received:
            raise KeyboardInterrupt  # the interrupt wins over any error of the block
