"""How many threads the kernel's BLAS products use.

The kernel values K portfolios between rows with one matrix product (days x assets by
assets x K). OpenBLAS would spread it over every core; on a busy machine those threads
fight other processes and a sweep slows 2 to 11 times, while on a quiet one the products
are too small to gain from them. So the engine runs its kernel with **one BLAS thread**
by default, only for the duration of the call (your own numpy work keeps its setting).

Override with the environment variable ``INDEXLAB_BLAS_THREADS`` (a number, or
``default`` to leave the libraries alone) or :func:`set_blas_threads`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from indexlab.errors import SpecError

ENVIRONMENT = "INDEXLAB_BLAS_THREADS"
DEFAULT = 1

_state: dict[str, object] = {}


def _parse(value: str | int | None) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "default"):
        return None
    try:
        threads = int(value)
    except (TypeError, ValueError):
        threads = 0
    if threads < 1:
        raise SpecError(
            f"{ENVIRONMENT}: {value!r} is not a thread count (a number >= 1 or 'default')"
        )
    return threads


def set_blas_threads(threads: int | None) -> None:
    """BLAS threads for the kernel from now on: a count, or None to leave the
    libraries' own setting (usually one per core)."""
    _state["threads"] = _parse(threads)


def blas_threads() -> int | None:
    """The kernel's BLAS thread count (None: the libraries' own)."""
    if "threads" not in _state:
        _state["threads"] = _parse(os.environ.get(ENVIRONMENT, str(DEFAULT)))
    return _state["threads"]  # type: ignore[return-value]


def _blas_libraries() -> list:
    libraries = _state.get("libraries")
    if libraries is None:  # finding the libraries takes ~10 ms: once per process
        from threadpoolctl import ThreadpoolController

        from indexlab.engine.scipy_blas import cython_blas

        cython_blas()  # the BLAS engine/blas.py calls: loaded, so that it is found
        controller = ThreadpoolController()
        libraries = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
        _state["libraries"] = libraries
    return libraries  # type: ignore[return-value]


@contextlib.contextmanager
def kernel_threads() -> Iterator[None]:
    """Run the block with the kernel's BLAS thread count, then restore the libraries'
    (about 20 microseconds; threadpoolctl's own ``limit`` takes 60)."""
    threads = blas_threads()
    if threads is None:
        yield
        return
    changed = []
    for library in _blas_libraries():
        before = library.get_num_threads()
        if before != threads:
            library.set_num_threads(threads)
            changed.append((library, before))
    try:
        yield
    finally:
        for library, before in changed:
            library.set_num_threads(before)
