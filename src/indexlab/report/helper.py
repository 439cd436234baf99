"""A process that writes a run's report, started before the run (issue 17, item 6).

``indexlab run`` spends its first seconds loading numba and the engine, building the
market and running the backtest, on one CPU. The report then needs matplotlib, its
fonts and this package's modules: loading them cost most of a second more, after
the backtest. A helper forked at the start loads them on another CPU while the
backtest runs, and waits; handed the run folder once its tables are written, it
writes the report exactly as :func:`~indexlab.report.tearsheet.write_report` does in
the caller (it runs that function), drawing with everything already loaded.

    with report_helper():            # forks the helper, where that is safe and pays
        ...                          # the backtest, write_run(...): its call of
                                     # indexlab.report.write_report goes to the helper

Only a report of a run folder (a path) is handed over, once; anything else is drawn
where it is asked for. The helper and the processes it draws in form a process group
of their own, ended together when the block is left without a report written (an
error, Ctrl-C): nothing outlives the command.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import multiprocessing
import os
import signal
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePath
from typing import Any

from indexlab.report import render

_ACTIVE: contextvars.ContextVar[ReportHelper | None] = contextvars.ContextVar(
    "indexlab_report_helper", default=None
)


class ReportHelper:
    """One forked process, warm, that writes one report when asked (see the module)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child_conn, self._conn), name="indexlab-report"
        )
        self._process.start()
        child_conn.close()
        with contextlib.suppress(OSError):  # the child does the same: whoever is first
            os.setpgid(self._process.pid, self._process.pid)
        self.used = False

    def write_report(self, run: str | PurePath, out_dir: str | PurePath, **options: Any):
        """What ``write_report(run, out_dir, **options)`` returns, done in the helper.
        An error there is raised here (with the helper's traceback as a note); if the
        helper is gone, the report is written here instead."""
        self.used = True
        try:
            self._conn.send((Path(run), Path(out_dir), options))
            outcome, value = self._conn.recv()
        except (EOFError, OSError):  # the helper died (killed, out of memory): do it here
            self.close()
            from indexlab.report import tearsheet

            return tearsheet.write_report(run, out_dir, **options)
        self._process.join()
        if outcome == "error":
            raise value
        return value

    @property
    def exitcode(self) -> int | None:
        """The helper's exit code once it has ended (0: it did its job or had none)."""
        return self._process.exitcode

    def close(self) -> None:
        """End the helper and whatever it started, unless it has finished already."""
        self._conn.close()
        if self._process.exitcode is None:
            with contextlib.suppress(OSError):
                os.killpg(self._process.pid, signal.SIGTERM)
            self._process.terminate()
        self._process.join()


def write_report(
    run: Any, out_dir: str | PurePath, *, sections: Sequence[Any] = (), workers: int | None = None
) -> list[Path]:
    """:func:`indexlab.report.tearsheet.write_report` (the package's ``write_report``),
    handed to the helper of the enclosing :func:`report_helper` block when ``run`` is
    a run folder: this process then loads nothing of matplotlib."""
    helper = active()
    if helper is not None and isinstance(run, str | PurePath):
        return helper.write_report(run, out_dir, sections=sections, workers=workers)
    from indexlab.report import tearsheet

    return tearsheet.write_report(run, out_dir, sections=sections, workers=workers)


def active() -> ReportHelper | None:
    """The helper of the enclosing :func:`report_helper` block, if it is still unused."""
    helper = _ACTIVE.get()
    return helper if helper is not None and not helper.used else None


@contextlib.contextmanager
def report_helper(enabled: bool = True) -> Iterator[ReportHelper | None]:
    """Within the block, a report of a run folder is written by a helper forked now
    (see the module); ``enabled=False``, one CPU, or a platform or process where
    forking is not safe (:func:`indexlab.report.render.default_workers`): no helper."""
    helper = ReportHelper() if enabled and render.default_workers(2) > 1 else None
    token = _ACTIVE.set(helper)
    try:
        yield helper
    finally:
        _ACTIVE.reset(token)
        if helper is not None:
            helper.close()


def _serve(conn, parent_conn) -> None:
    """The helper: load what the report needs, wait for one job, do it, send back the
    paths written or the error."""
    parent_conn.close()  # so that the parent's end closing reads as the end here
    # What the parent had loaded stays loaded here: no collector pass need walk it
    # again (nor copy its pages, shared with the parent until written to).
    gc.freeze()
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _warm()
    try:
        run, out_dir, options = conn.recv()
    except (EOFError, OSError):
        return
    from indexlab.report import tearsheet

    try:
        reply = ("done", tearsheet.write_report(run, out_dir, **options))
    except BaseException as exc:  # sent to the parent, which raises it
        exc.add_note(f"(in indexlab's report process)\n{traceback.format_exc()}")
        reply = ("error", exc)
    try:
        conn.send(reply)
    except OSError:  # the command is gone (killed): nobody to tell
        pass
    except Exception:  # an error that does not pickle: its text
        with contextlib.suppress(OSError):
            conn.send(("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


def _warm() -> None:
    """Import the report's modules (and what reading the run folder's Parquet file
    imports) and draw a small figure with the house fonts, so that the first real
    figure finds matplotlib's font list and caches ready."""
    try:
        import pyarrow.dataset  # noqa: F401  (pandas.read_parquet: ~25 ms at first use)
        import pyarrow.pandas_compat  # noqa: F401

        from indexlab.report import figures, style, tearsheet  # noqa: F401

        figure = style.new_figure(figsize=(1.0, 1.0), dpi=20)
        figure.text(0.5, 0.5, "2020 1.0%", fontfamily=style.FONT_FAMILY)
        figure.canvas.draw()
    except Exception:  # whatever fails here fails again, and is reported, in the job
        pass
