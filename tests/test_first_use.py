"""The first backtest of a process says that it is compiling the engine when that takes
long (issue 14 item 9, issue 17 item 9), and says nothing otherwise."""

from __future__ import annotations

import io
import time
import types

import pytest

from indexlab.engine import first_use


@pytest.fixture
def quick_notice(monkeypatch):
    monkeypatch.setattr(first_use, "NOTICE_AFTER_SECONDS", 0.05)


def _kernel(compiled: bool):
    signatures = ["(float64[:, :], ...)"] if compiled else []
    return types.SimpleNamespace(simulate_batch=types.SimpleNamespace(signatures=signatures))


def test_a_slow_first_call_says_it_compiles(monkeypatch, quick_notice):
    monkeypatch.setattr(first_use, "kernels", _kernel(compiled=False))
    out = io.StringIO()
    with first_use.compile_notice(out):
        time.sleep(0.5)
    assert out.getvalue() == first_use.NOTICE + "\n"


def test_a_quick_first_call_or_a_compiled_kernel_says_nothing(monkeypatch, quick_notice):
    monkeypatch.setattr(first_use, "kernels", _kernel(compiled=False))
    out = io.StringIO()
    with first_use.compile_notice(out):
        pass
    time.sleep(0.2)  # the timer would have fired by now
    monkeypatch.setattr(first_use, "kernels", _kernel(compiled=True))
    with first_use.compile_notice(out):
        time.sleep(0.3)
    assert out.getvalue() == ""
