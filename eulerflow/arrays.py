"""Array-type helpers shared by the backends and result objects (NumPy or CuPy arrays)."""

from __future__ import annotations

import numpy as np


def is_cupy_array(x) -> bool:
    """True when ``x`` is a CuPy array (checked without importing CuPy)."""
    return type(x).__module__.split(".")[0] == "cupy"


def array_module(x):
    """``numpy`` or ``cupy``, whichever owns ``x`` (CuPy is imported only for CuPy arrays)."""
    if is_cupy_array(x):
        import cupy

        return cupy
    return np


def to_numpy(x) -> np.ndarray:
    """Copy a CuPy array to the host; return NumPy arrays (and array-likes) as NumPy arrays."""
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def stack_like(arrays: list, like):
    """Stack arrays along a new first axis with the array module of ``like``."""
    if is_cupy_array(like):
        import cupy

        return cupy.stack(arrays)
    return np.stack(arrays)
