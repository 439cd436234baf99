"""Progress where people wait: a long download's bar and lines, tqdm bars (a widget in
Jupyter) and phases that say themselves after two seconds."""

from __future__ import annotations

import contextlib
from typing import TextIO


def eta_seconds(elapsed_s: float, done: int, total: int, interval_s: float) -> float:
    """Seconds left: the mean time per coin so far (the request interval before the first)
    times the coins left."""
    per_coin_s = elapsed_s / done if done else interval_s
    return per_coin_s * (total - done)


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Progress on a text stream: on a terminal one bar redrawn with '\\r' plus the lines
    that must stay; elsewhere (a log file, a pipe) only lines, one per coin."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self._drawn = 0  # length of the bar on screen

    def bar(self, text: str) -> None:
        if self.stream is not None and self.tty:
            self.stream.write("\r" + text.ljust(self._drawn))
            self._drawn = len(text)
            self.stream.flush()

    def line(self, text: str, *, tty: bool = True) -> None:
        """A line that stays; ``tty=False``: only when there is no bar to show it instead."""
        if self.stream is None or (self.tty and not tty):
            return
        self._erase()
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self._erase()
            self.stream.flush()

    def _erase(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0


# ---------------------------------------------------------------- bars and phases
# Long phases (an import, a sweep, reading a large file) show progress with tqdm: a
# widget in Jupyter, a bar on a terminal. Off a terminal (a log, a pipe, CI) no bar is
# drawn, whose redraws would fill the log; a sweep writes a line every few seconds
# (indexlab.sweep.progress), a phase without steps nothing.
NOTICE_AFTER_SECONDS = 2.0  # a phase shorter than this says nothing
REFRESH_SECONDS = 0.5


def in_notebook() -> bool:
    """True in a Jupyter kernel with ipywidgets, where tqdm.auto draws a widget."""
    import tqdm.auto  # first: it imports autonotebook without its experimental warning
    import tqdm.autonotebook
    import tqdm.std

    return tqdm.autonotebook.tqdm is not tqdm.std.tqdm


def progress_bar(total: int | None, desc: str, unit: str, stream: TextIO | None = None, **options):
    """A tqdm bar on ``stream`` (default stderr): a widget in Jupyter, a bar on a
    terminal; None elsewhere (the caller prints lines instead)."""
    import sys

    out = sys.stderr if stream is None else stream
    if out is sys.stderr and in_notebook():
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, **options)
    isatty = getattr(out, "isatty", None)
    if not (isatty and isatty()):
        return None
    from tqdm.std import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=out, dynamic_ncols=True, **options)


@contextlib.contextmanager
def phase(
    text: str,
    stream: TextIO | None = None,
    after_s: float = NOTICE_AFTER_SECONDS,
    *,
    quiet: bool = False,
):
    """Around work with no steps to count: once it has taken ``after_s`` seconds, say
    ``text`` on ``stream`` (default stderr) in a line whose clock ticks until the work
    ends, then is erased (the command's own summary follows). Only on a terminal: a log
    or a pipe gets the command's summary, and its one-line errors stay one line; in
    Jupyter only the caller's bars show (output from another thread lands in any cell).
    Nothing when ``quiet``."""
    import sys
    import threading

    out = sys.stderr if stream is None else stream
    done = threading.Event()
    isatty = getattr(out, "isatty", None)
    if quiet or not (isatty and isatty()) or (out is sys.stderr and in_notebook()):
        yield
        return

    def show() -> None:
        if done.wait(after_s):
            return
        bar = progress_bar(
            None, f"indexlab: {text}", "s", out, bar_format="{desc} {elapsed}", leave=False
        )
        if bar is None:
            return
        while not done.wait(REFRESH_SECONDS):
            bar.refresh()
        bar.close()

    thread = threading.Thread(target=show, name="indexlab-phase", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
