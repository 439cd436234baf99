"""A sweep's progress: configurations done out of all, with an ETA, and the planning of
the chunk under way (planning can take most of a chunk's time, and all of the first
seconds of a sweep).

On a terminal and in Jupyter a tqdm bar (a widget there); elsewhere (a log, a pipe) a
line at most every :data:`LINE_SECONDS`, and the last one, so a log keeps a readable
trace without a bar's redraws.
"""

from __future__ import annotations

import time
from typing import TextIO

from indexlab.sources.progress import progress_bar

LINE_SECONDS = 10.0
POSTFIX_SECONDS = 0.25  # the planning count is redrawn at most this often


class SweepProgress:
    """Progress of ``total`` configurations, ``done`` of them already in the output."""

    def __init__(self, total: int, stream: TextIO | None, done: int = 0) -> None:
        self.total, self.stream, self.done = total, stream, done
        self.started = time.monotonic()
        self._last_line = self._last_postfix = 0.0
        self.bar = None
        if stream is not None:
            self.bar = progress_bar(total, "sweep", "config", stream, initial=done)

    def planning(self, planned: int, of: int) -> None:
        """``planned`` of the ``of`` configurations of the running chunk are planned."""
        now = time.monotonic()
        if now - self._last_postfix < POSTFIX_SECONDS and planned < of:
            return
        self._last_postfix = now
        if self.bar is not None:
            self.bar.set_postfix_str(f"planning {planned}/{of} of this chunk")
        elif self.stream is not None and now - self._last_line >= LINE_SECONDS:
            self._line(now, f"planning {planned}/{of} configurations of a chunk")

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.bar is not None:
            self.bar.set_postfix_str("", refresh=False)
            self.bar.update(n)
        elif self.stream is not None and (
            now - self._last_line >= LINE_SECONDS or self.done >= self.total
        ):
            self._line(now, "")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def _line(self, now: float, doing: str) -> None:
        self._last_line = now
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        eta = f", ETA {(self.total - self.done) / rate:.0f} s" if rate > 0 else ""
        extra = f"; {doing}" if doing else ""
        self.stream.write(
            f"sweep: {self.done}/{self.total} configurations, {elapsed:.1f} s{eta}{extra}\n"
        )
        self.stream.flush()
