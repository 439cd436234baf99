"""Progress of a long download on a text stream: a bar on a terminal, lines elsewhere."""

from __future__ import annotations

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
