"""The one backend interface: ``get_backend(name)`` and ``available_backends()``.

Backends are imported lazily: importing :mod:`eulerflow` imports neither Numba's compiled kernels
nor CuPy. ``"auto"`` picks CuPy for CuPy input, or for large problems when a GPU is usable, and
Numba otherwise.

Importing this package sets a short idle spin for the OpenMP threads of Numba's kernels unless the
user has chosen one (:mod:`eulerflow.backends.openmp`).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..arrays import is_cupy_array
from .base import Backend
from .openmp import prefer_short_spin

prefer_short_spin()  # before Numba starts its OpenMP threads (see eulerflow.backends.openmp)

BACKEND_NAMES = ("numpy", "numba", "cupy")

AUTO_GPU_MIN_CELLS = 1 << 18
"""Problems with at least this many cells go to the GPU under ``backend="auto"``."""


class BackendUnavailableError(RuntimeError):
    """The requested backend cannot run here (a package or a device is missing)."""


@cache
def _load(name: str) -> Backend:
    if name == "numpy":
        from .numpy_backend import NumpyBackend

        return NumpyBackend()
    if name == "numba":
        from .numba.backend import NumbaBackend

        return NumbaBackend()
    from .cupy.availability import cupy_unavailable_reason

    reason = cupy_unavailable_reason()
    if reason:
        raise BackendUnavailableError(f"backend 'cupy' is not available: {reason}")
    from .cupy.backend import CupyBackend

    return CupyBackend()


def get_backend(name: str | Backend = "auto", like=None, size: int | None = None) -> Backend:
    """Return a backend by name.

    Parameters
    ----------
    name : {"auto", "numpy", "numba", "cupy"} or Backend
        Backend to use. ``"auto"`` picks ``"cupy"`` when ``like`` is a CuPy array, or when a GPU
        is usable and ``size`` (number of cells) is at least
        ``eulerflow.backends.AUTO_GPU_MIN_CELLS``; otherwise ``"numba"``.
    like : array, optional
        An input array of the problem (its type steers ``"auto"``).
    size : int, optional
        Problem size in cells (steers ``"auto"``).

    Returns
    -------
    Backend
        The backend instance (loaded once and cached); ``name`` itself when it is a Backend.

    Raises
    ------
    BackendUnavailableError
        When ``"cupy"`` is asked for without CuPy or without a GPU (the message says which).
    ValueError
        When ``name`` is neither a Backend nor one of the names above.
    """
    if isinstance(name, Backend):
        return name
    if name == "auto":
        if is_cupy_array(like):
            return _load("cupy")
        if size is not None and size >= AUTO_GPU_MIN_CELLS and "cupy" in available_backends():
            return _load("cupy")
        return _load("numba")
    if name not in BACKEND_NAMES:
        choices = ", ".join(repr(n) for n in ("auto", *BACKEND_NAMES))
        raise ValueError(f"backend must be one of {choices}, got {name!r}")
    return _load(name)


def available_backends() -> list[str]:
    """Names of the backends that can run here, in the order numpy, numba, cupy.

    Returns
    -------
    list of str
        The names among ``"numpy"``, ``"numba"``, ``"cupy"`` whose backend loads here.
    """
    names = []
    for name in BACKEND_NAMES:
        try:
            _load(name)
        except (BackendUnavailableError, ImportError):
            continue
        names.append(name)
    return names


def backend_table() -> list[dict[str, str]]:
    """One row per backend: name, version, device, or why it is unavailable."""
    rows = []
    for name in BACKEND_NAMES:
        try:
            rows.append({**_load(name).info(), "available": "yes"})
        except (BackendUnavailableError, ImportError) as err:
            rows.append({"name": name, "version": "-", "device": str(err), "available": "no"})
    return rows


def as_input_type(x, like):
    """``x`` converted to the array type of ``like`` (NumPy in, NumPy out; CuPy in, CuPy out)."""
    if is_cupy_array(like):
        if is_cupy_array(x):
            return x
        import cupy

        return cupy.asarray(x)
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


__all__ = [
    "AUTO_GPU_MIN_CELLS",
    "Backend",
    "BackendUnavailableError",
    "as_input_type",
    "available_backends",
    "backend_table",
    "get_backend",
]
