"""Argument checks shared by the closed forms (plain NumPy, clear messages)."""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_grid, positive_int
from ..grid import Grid

__all__ = ["check_grid", "positive_int"]  # re-exported for the closed forms


def check_callable(f, name: str) -> None:
    if not callable(f):
        raise TypeError(f"{name} must be a callable, got {type(f).__name__}")


def check_time(value, name: str, nonnegative: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(value) or (nonnegative and value < 0):
        need = "finite and >= 0" if nonnegative else "finite"
        raise ValueError(f"{name} must be {need}, got {value!r}")
    return value


def as_vector(value, d: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if d == 1 and arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},) (one entry per axis), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def as_square_matrix(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def as_covariance(cov, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Validated covariance (symmetrised) and its lower Cholesky factor."""
    arr = np.asarray(cov, dtype=float)
    if arr.ndim == 0:
        arr = arr * np.eye(d)
    if arr.shape != (d, d):
        raise ValueError(f"cov must be a scalar or a ({d}, {d}) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("cov must be finite")
    if np.max(np.abs(arr - arr.T)) > 1e-10 * np.max(np.abs(arr)):
        raise ValueError("cov must be symmetric; pass 0.5 * (cov + cov.T) if this is round-off")
    arr = 0.5 * (arr + arr.T)
    try:
        chol = np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        smallest = np.linalg.eigvalsh(arr)[0]
        raise ValueError(
            f"cov must be positive definite, but its smallest eigenvalue is {smallest:.3g}"
        ) from None
    return arr, chol


def as_field(values, shape: tuple[int, ...], name: str) -> np.ndarray:
    """``values`` as a float64 array broadcast to ``shape``."""
    arr = np.asarray(values, dtype=float)
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} returned an array of shape {arr.shape}, which does not broadcast to the "
            f"grid shape {shape}"
        ) from None


def components(values, grid: Grid, name: str) -> list[np.ndarray]:
    """The ``ndim`` components returned by a vector-valued callable, each grid-shaped."""
    try:
        components = list(values)
    except TypeError:
        components = [values]
    if len(components) != grid.ndim:
        raise ValueError(
            f"{name} must return a tuple of {grid.ndim} arrays (one per axis), "
            f"got {len(components)} components"
        )
    return [as_field(v, grid.shape, name) for v in components]


def as_grid_values(values, grid: Grid, name: str) -> np.ndarray:
    """A finite float64 copy of ``values``, which must have shape ``grid.shape``."""
    if np.iscomplexobj(values):
        raise TypeError(f"{name} must be real, got a complex array")
    arr = np.array(values, dtype=float)
    grid.check_field(arr, name)
    bad = np.count_nonzero(~np.isfinite(arr))
    if bad:
        raise ValueError(f"{name} must be finite, but {bad} of its {arr.size} values are not")
    return arr


def as_symmetric_matrix(value, d: int, name: str) -> np.ndarray:
    """A symmetric (d, d) matrix (a scalar ``q`` means ``q I``), symmetrised."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = arr * np.eye(d)
    arr = as_square_matrix(arr, name)
    if arr.shape != (d, d):
        raise ValueError(f"{name} must be a scalar or a ({d}, {d}) matrix, got shape {arr.shape}")
    if np.max(np.abs(arr - arr.T)) > 1e-10 * np.max(np.abs(arr)):
        raise ValueError(f"{name} must be symmetric; pass 0.5 * ({name} + {name}.T)")
    return 0.5 * (arr + arr.T)
