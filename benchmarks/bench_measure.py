"""Wall-clock time and peak resident memory of one call, in a process of its own.

Peak memory is the growth of the resident set during the measured call: the
kernel's high-water mark (``VmHWM``, the same figure as ``resource.getrusage``'s
``ru_maxrss``) is reset just before the call through ``/proc/self/clear_refs``, after
returning freed heap pages to the system, so what is left is what the call itself
needed on top of its inputs. Where the reset is not available (not Linux), the
figure is the process's peak since start, and the result says so.
"""

from __future__ import annotations

import ctypes
import gc
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_MB = 1024 * 1024


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Current resident set size in MB (0 where /proc is not available)."""
    kb = _status_kb("VmRSS")
    return 0.0 if kb is None else kb / 1024


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB since start or the last reset."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / _MB if sys.platform == "darwin" else peak / 1024


def reset_peak_rss() -> bool:
    """Release free heap memory and reset the peak RSS mark; False if not possible."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


@dataclass
class Measurement:
    """Times of the repeated calls, and the memory of the first of them."""

    seconds: list[float] = field(default_factory=list)
    peak_increase_mb: float = 0.0
    peak_rss_mb: float = 0.0
    memory_reset: bool = True
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def median(self) -> float:
        ordered = sorted(self.seconds)
        mid = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[mid]
        return (ordered[mid - 1] + ordered[mid]) / 2

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": self.median,
            "all_seconds": self.seconds,
            "peak_increase_mb": round(self.peak_increase_mb, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "memory_reset": self.memory_reset,
            "phases": self.phases,
        }


def measure(call: Callable[[], Any], repeats: int = 1) -> tuple[Measurement, Any]:
    """Time ``call`` ``repeats`` times; peak memory from the first call.

    Returns the measurement and the value of the last call.
    """
    result = None
    measurement = Measurement()
    for i in range(repeats):
        result = None
        if i == 0:
            measurement.memory_reset = reset_peak_rss()
            before = rss_mb()
        else:
            gc.collect()
        start = time.perf_counter()
        result = call()
        measurement.seconds.append(time.perf_counter() - start)
        if i == 0:
            measurement.peak_rss_mb = peak_rss_mb()
            measurement.peak_increase_mb = max(0.0, measurement.peak_rss_mb - before)
    return measurement, result


class Phases:
    """Named sub-timings inside a measured call (weights, simulation, equity)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def restart(self) -> None:
        """Start timing the next phase now (call at the top of a measured call)."""
        self._start = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._start
        self._start = now
