"""What the Numba kernels share: the ``@njit`` settings, index wrapping, outer-axis chunks and
the dtype check of the backend (a leaf module: it imports no other module of the backend).

Every kernel is compiled on first use and cached on disk (``cache=True``), releases the GIL and
uses NumPy's floating-point error model (division by zero gives ``inf``/``nan``, no exception).
The particle kernels (:mod:`.particles`) are the exception: they are compiled with
``cache=True`` only.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit

JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
"""Keyword arguments of ``numba.njit`` for every kernel (``parallel=True`` added where it runs
``prange`` loops, ``inline="always"`` for small helpers)."""

FLOAT_TYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes the kernels are compiled for."""


@njit(inline="always", **JIT)
def wrap(k, n, periodic):
    """Index ``k`` of an axis of ``n`` cells: wrapped on a periodic axis, clamped on walls."""
    if periodic:
        return k % n
    return min(max(k, 0), n - 1)


def default_chunks(n0: int) -> int:
    """Number of outer-axis chunks: a few per thread for load balance, each a run of planes."""
    return max(1, min(n0, 4 * get_num_threads()))


def float_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype; ``TypeError`` unless it is float32 or float64."""
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_TYPES:
        raise TypeError(f"the numba backend supports float32 and float64 arrays, got {dtype}")
    return dtype
