"""A word on stderr when the first backtest of a process compiles the engine.

numba compiles the kernels for this machine on their first call and keeps them in its
disk cache (``cache=True``); loading them later takes a fraction of a second, but the
very first use after an install takes 10 to 45 seconds, which looked like a hang
(issue 14 item 9, issue 17 item 9). When the first call of a process is still busy
after two seconds, one line says what is happening; nothing is printed otherwise.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from indexlab.engine import kernels

NOTICE_AFTER_SECONDS = 2.0
NOTICE = (
    "indexlab: compiling the backtest engine for this machine (first use only, "
    "10-45 s; later runs load it from numba's cache)"
)


@contextlib.contextmanager
def compile_notice(stream=None) -> Iterator[None]:
    """Around a backtest: if the kernel has not run yet in this process and the block is
    still busy after :data:`NOTICE_AFTER_SECONDS`, print :data:`NOTICE` once."""
    if kernels.simulate_batch.signatures:  # compiled or loaded already
        yield
        return
    out = stream if stream is not None else sys.stderr

    def say() -> None:
        print(NOTICE, file=out, flush=True)

    timer = threading.Timer(NOTICE_AFTER_SECONDS, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
