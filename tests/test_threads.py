"""The kernel runs with its own BLAS thread count (issue 17, item 5), only for the
duration of the call, overridable by environment or function."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import indexlab
from indexlab.engine import threads


def _blas_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@pytest.fixture(autouse=True)
def _forget_setting():
    threads._state.pop("threads", None)
    yield
    threads._state.pop("threads", None)


def test_the_kernel_uses_one_blas_thread_and_gives_the_rest_back(monkeypatch):
    monkeypatch.delenv(threads.ENVIRONMENT, raising=False)
    before = _blas_threads()
    with threads.kernel_threads():
        assert _blas_threads() == {1}
    assert _blas_threads() == before


def test_the_environment_sets_the_count_or_leaves_the_libraries_alone(monkeypatch):
    monkeypatch.setenv(threads.ENVIRONMENT, "2")
    with threads.kernel_threads():
        assert _blas_threads() == {2}
    threads._state.pop("threads")
    monkeypatch.setenv(threads.ENVIRONMENT, "default")
    before = _blas_threads()
    with threads.kernel_threads():
        assert _blas_threads() == before


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_count_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(threads.ENVIRONMENT, value)
    with pytest.raises(indexlab.SpecError, match="INDEXLAB_BLAS_THREADS"):
        threads.blas_threads()


def test_results_do_not_depend_on_the_thread_count():
    market = indexlab.demo_market()
    strategy = indexlab.Strategy(name="t", universe=indexlab.Universe(top_n=30), benchmarks=())
    threads.set_blas_threads(1)
    one = indexlab.run(strategy, market, warn=False).equity
    threads.set_blas_threads(None)
    default = indexlab.run(strategy, market, warn=False).equity
    np.testing.assert_allclose(one.to_numpy(), default.to_numpy(), rtol=1e-12)
