"""scipy's BLAS for the kernel, loaded without the rest of ``scipy.linalg``.

The kernel calls BLAS through ``scipy.linalg.cython_blas`` (:mod:`indexlab.engine.blas`).
``import scipy.linalg.cython_blas`` first runs ``scipy.linalg``'s ``__init__``, which
imports the whole of ``scipy.linalg`` and scipy's array-API layer (that one touches
every numpy submodule: ``numpy.f2py``, ``numpy.testing``, ``numpy.char``, ...): 0.15 to
0.35 s of every ``indexlab run`` on the 2-CPU reference machine (issue 17, item 6), for
one compiled module that needs none of it. :func:`cython_blas` loads that compiled
module alone, from scipy's folder, so the functions and the BLAS library behind them
are the very ones the usual import gives (the same file: results bit for bit); where
scipy is laid out otherwise, or already imported, the usual import is used.

numba's own check for BLAS (``numba.np.arraymath`` imports
``scipy.linalg.cython_blas`` when it is first imported) runs while the module loads,
so that it finds this one. The module is then kept here, not in ``sys.modules``: a
later ``import scipy.linalg`` or ``import scipy.linalg.cython_blas`` runs as always and
gets this same module object (Cython hands back a module it has made before), with
``scipy.linalg.cython_blas`` set.
:func:`function_address` reads a function's address from the module's
``__pyx_capi__``, as ``numba.extending.get_cython_function_address`` does from an
imported one.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

NAME = "scipy.linalg.cython_blas"

_loaded: dict[str, ModuleType] = {}


def cython_blas() -> ModuleType:
    """The module ``scipy.linalg.cython_blas``, loaded once (see the module docstring)."""
    module = sys.modules.get(NAME) or _loaded.get(NAME)
    if module is None:
        try:
            module = _load_alone()
        except Exception:  # anything unexpected: the usual import decides
            module = None
        if module is None:
            module = importlib.import_module(NAME)
        _loaded[NAME] = module
    return module


def function_address(name: str) -> int:
    """The address of BLAS function ``name`` (``"ddot"``, ``"dgemm"``, ...)."""
    capsule = cython_blas().__pyx_capi__[name]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


def _load_alone() -> ModuleType | None:
    """The compiled module read from scipy's ``linalg`` folder without running that
    package's ``__init__``; None where it is not a plain extension module there. It is
    in ``sys.modules`` only while it initialises (as an import would have it)."""
    import scipy

    folder = os.path.join(os.path.dirname(scipy.__file__), "linalg")
    spec = importlib.machinery.PathFinder.find_spec(NAME, [folder])
    if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    try:
        spec.loader.exec_module(module)
        _numba_checks_blas()
    finally:
        del sys.modules[NAME]
    if not getattr(module, "__pyx_capi__", None):
        raise ImportError(f"{spec.origin} exports no C functions")
    return module


def _numba_checks_blas() -> None:
    """numba's array maths check that BLAS is there when first imported, by importing
    ``scipy.linalg.cython_blas`` (``numba.np.arraymath``, imported when numba first
    loads or compiles a function: in every run). Imported now, while this module stands
    under that name, the check finds it instead of importing ``scipy.linalg``."""
    with contextlib.suppress(ImportError):
        import numba.np.arraymath  # noqa: F401
