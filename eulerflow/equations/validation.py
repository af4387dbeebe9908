"""Checks and conversions of solver inputs shared by the equation solvers."""

from __future__ import annotations

import numpy as np

from ..backends.base import Backend
from ..grid import Grid


def working_dtype(x) -> np.dtype:
    """float32 for float32 input, float64 for everything else (integers, float16, float64)."""
    dtype = np.dtype(getattr(x, "dtype", np.float64))
    if dtype.kind == "c":
        raise TypeError("densities must be real, got a complex array")
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


def as_density(rho, grid: Grid, backend: Backend, name: str = "rho"):
    """``rho`` as a backend array of the working dtype, after checking it is a valid density.

    Raises ``ValueError`` when the shape does not match the grid or when ``rho`` has non-finite
    or negative values, naming the argument.
    """
    if not hasattr(rho, "shape"):
        rho = np.asarray(rho)
    grid.check_field(rho, name)
    dtype = working_dtype(rho)
    arr = backend.asarray(rho, dtype=dtype)
    xp = backend.xp
    if not bool(xp.all(xp.isfinite(arr))):
        raise ValueError(f"{name} has non-finite values (NaN or inf)")
    if arr.size and float(arr.min()) < 0:
        raise ValueError(
            f"{name} has negative values (min {float(arr.min()):.3g}); a density must be >= 0"
        )
    return xp.array(arr, copy=True, order="C"), dtype


def negative_or_nonfinite(rho, xp) -> str | None:
    """A message if ``rho`` has non-finite values or negative values beyond round-off."""
    if not bool(xp.all(xp.isfinite(rho))):
        return "the density has non-finite values"
    low, high = float(rho.min()), float(rho.max())
    if low < -64 * np.finfo(rho.dtype).eps * max(high, 0.0):
        return f"the density has negative values (min {low:.3g}, max {high:.3g})"
    return None
