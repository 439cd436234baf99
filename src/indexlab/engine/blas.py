"""The kernel's matrix product, straight from BLAS: what numba's ``np.dot`` calls,
without what it compiles around the call.

numba's ``np.dot`` compiles, into every function that uses it, its checks of the
operands' shapes and their error messages, formatted at run time (string joins, integer
and repr formatting): about 5 of the kernel's 20 seconds of first compile (issue 17,
item 9). :func:`matmul_into` calls the same functions of the same library (scipy's
``cython_blas``, which numba's own helper calls too) with the arguments numba would
pass, so the products are numba's bit for bit: ``ddot`` for a (1 x k) by (k x 1)
product, ``dgemv`` when either side is a vector, ``dgemm`` otherwise.

BLAS is column-major (Fortran). A C-ordered (m x k) array is the column-major (k x m)
array of its transpose, so ``out = a @ b`` for C-ordered arrays is computed as
``out^T = b^T a^T``: ``dgemm("n", "n", n, m, k, 1, b, n, a, k, 0, out, n)``.

Each function is bound by a symbol name registered with LLVM when this module is
imported (``ExternalFunction``), not by an address baked into the compiled code (a
ctypes pointer), because numba cannot cache code that holds an address.
"""

from __future__ import annotations

from typing import NamedTuple

import llvmlite.binding
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from indexlab.engine.scipy_blas import function_address

_POINTER = types.voidptr
_INT32_MAX = 2**31 - 1  # scipy's BLAS takes 32-bit integers


def _bind(name: str, signature: types.Signature) -> types.ExternalFunction:
    symbol = f"indexlab_cython_blas_{name}"
    address = function_address(name)  # scipy.linalg.cython_blas's, without scipy.linalg
    llvmlite.binding.add_symbol(symbol, address)
    return types.ExternalFunction(symbol, signature)


# Fortran calling convention: every argument by address.
_ddot = _bind("ddot", types.float64(*[_POINTER] * 5))
_dgemv = _bind("dgemv", types.void(*[_POINTER] * 11))
_dgemm = _bind("dgemm", types.void(*[_POINTER] * 13))


@intrinsic
def _address(typingctx, array, index):
    """The address of ``array``'s element ``index`` in memory order, for BLAS (a
    C-contiguous array; quicker to compile than ``array[index:].ctypes``)."""

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())

    return types.voidptr(array, types.intp), codegen


class Work(NamedTuple):
    """The arguments BLAS reads by address, made once per kernel call: ``ints`` (the
    increment 1, then room for the sizes), ``scalars`` (alpha 1, beta 0), ``flags``
    ('n', 't')."""

    ints: np.ndarray
    scalars: np.ndarray
    flags: np.ndarray


@numba.njit(cache=True)
def new_work() -> Work:
    scalars = np.empty(2)
    scalars[0], scalars[1] = 1.0, 0.0
    flags = np.empty(2, dtype=np.uint8)
    flags[0], flags[1] = 110, 116  # "n", "t" (numba's ord() is a compile of its own)
    ints = np.empty(8, dtype=np.int32)
    ints[0] = 1
    return Work(ints, scalars, flags)


@numba.njit(cache=True)
def matmul_into(out, a, b, work) -> None:
    """``out[:] = a @ b`` for float64 ``a`` (m x k), ``b`` (k x n), ``out`` (m x n),
    exactly as numba's ``np.dot`` computes it (same BLAS function, same arguments).
    All three C-contiguous, each size below 2**31 (the kernel's arrays are)."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        out[:, :] = 0.0
        return
    contiguous = a.flags.c_contiguous and b.flags.c_contiguous and out.flags.c_contiguous
    if not contiguous or max(m, n, k) > _INT32_MAX:
        raise ValueError("matmul_into takes C-contiguous arrays, sizes below 2**31")
    ints = work.ints  # ints[0] stays 1: the vectors' step
    step, size1 = _address(ints, 0), _address(ints, 1)
    size2, size3 = _address(ints, 2), _address(ints, 3)
    one, zero = _address(work.scalars, 0), _address(work.scalars, 1)
    plain, transposed = _address(work.flags, 0), _address(work.flags, 1)
    a_at, b_at, out_at = _address(a, 0), _address(b, 0), _address(out, 0)
    if n == 1 and m == 1:
        ints[1] = k
        out[0, 0] = _ddot(size1, a_at, step, b_at, step)
    elif n == 1:  # matrix by vector: a^T (k x m, column-major) transposed, times b
        ints[1], ints[2], ints[3] = k, m, k
        _dgemv(transposed, size1, size2, one, a_at, size3, b_at, step, zero, out_at, step)
    elif m == 1:  # vector by matrix: b^T (n x k, column-major) times the row a
        ints[1], ints[2], ints[3] = n, k, n
        _dgemv(plain, size1, size2, one, b_at, size3, a_at, step, zero, out_at, step)
    else:  # out^T (n x m) = b^T (n x k) a^T (k x m), all column-major
        ints[1], ints[2], ints[3] = n, m, k
        _dgemm(
            plain, plain, size1, size2, size3, one, b_at, size1, a_at, size3, zero, out_at, size1
        )
