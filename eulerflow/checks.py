"""Input checks shared by every solver: one place for the messages a user sees on bad input.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, wrong value)
with a message that names the argument, says what was expected and, where there is one, the fix.
The module sits below all solvers (it imports only :mod:`eulerflow.grid`); backends are used
through their ``asarray`` and ``xp`` attributes only.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from .grid import Grid


def check_grid(grid, name: str = "grid") -> Grid:
    """``grid`` itself if it is a :class:`~eulerflow.Grid`, else a ``TypeError`` with an example.

    Examples
    --------
    >>> check_grid((32, 32))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: grid must be an eulerflow.Grid, e.g. Grid(shape=(32, 32), ...
    """
    if isinstance(grid, Grid):
        return grid
    raise TypeError(
        f"{name} must be an eulerflow.Grid, e.g. Grid(shape=(32, 32), bounds=((0, 1), (0, 1))); "
        f"got {type(grid).__name__} {grid!r:.60}"
    )


def real_number(value, name: str) -> float:
    """``value`` as a finite float; ``TypeError`` for non-numbers (bools included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r:.60}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def positive_number(value, name: str, *, allow_zero: bool = False) -> float:
    """A finite real ``value > 0`` (or ``>= 0`` with ``allow_zero``) as a float."""
    value = real_number(value, name)
    if value < 0 or (value == 0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {need}, got {value!r}")
    return value


def positive_int(value, name: str) -> int:
    """An integer ``value >= 1`` as an int (NumPy integers accepted, bools and floats not)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_callable(f, name: str, signature: str) -> Callable:
    """``f`` if callable, else a ``TypeError`` that shows the expected ``signature``."""
    if callable(f):
        return f
    raise TypeError(f"{name} must be a callable {signature}, got {type(f).__name__} {f!r:.60}")


def working_dtype(x, name: str) -> np.dtype:
    """float32 for float32 input, float64 for everything else (integers, float16, float64).

    Raises
    ------
    TypeError
        ``x`` is complex, or not numeric (strings, objects).
    """
    dtype = np.dtype(getattr(x, "dtype", np.float64))
    if dtype.kind == "c":
        raise TypeError(f"{name} must be real, got a complex array")
    if dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real numeric array, got dtype {dtype}")
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


def as_field(values, grid: Grid, backend, name: str):
    """``values`` as a C-contiguous copy on ``backend`` in the working dtype, after checking its
    shape against ``grid`` and that it is finite.

    Returns
    -------
    (array, numpy.dtype)
    """
    if not hasattr(values, "shape"):
        values = np.asarray(values)
    grid.check_field(values, name)
    dtype = working_dtype(values, name)
    arr = backend.asarray(values, dtype=dtype)
    xp = backend.xp
    if not bool(xp.all(xp.isfinite(arr))):
        raise ValueError(f"{name} has non-finite values (NaN or inf)")
    return xp.array(arr, copy=True, order="C"), dtype


def as_density(rho, grid: Grid, backend, name: str = "rho"):
    """Like :func:`as_field`, and the values must be non-negative (a density).

    Returns
    -------
    (array, numpy.dtype)
    """
    arr, dtype = as_field(rho, grid, backend, name)
    if arr.size and float(arr.min()) < 0:
        raise ValueError(
            f"{name} has negative values (min {float(arr.min()):.3g}); a density must be >= 0"
        )
    return arr, dtype


def negative_or_nonfinite(rho, xp) -> str | None:
    """A message if ``rho`` has non-finite values or negative values beyond round-off."""
    if not bool(xp.all(xp.isfinite(rho))):
        return "the density has non-finite values"
    low, high = float(rho.min()), float(rho.max())
    if low < -64 * np.finfo(rho.dtype).eps * max(high, 0.0):
        return f"the density has negative values (min {low:.3g}, max {high:.3g})"
    return None


def cell_values(spec, grid: Grid, name: str, signature: str = "(*coords)") -> np.ndarray:
    """A function of space at the cell centres, as a finite float64 array of ``grid.shape``.

    ``spec`` is a callable ``f(*coords)`` evaluated on ``grid.centers`` or an array of the
    cell-centre values (broadcastable to ``grid.shape``).

    Raises
    ------
    TypeError
        ``spec`` is neither (for example a string such as ``"x**2"``).
    ValueError
        Wrong shape or non-finite values.
    """
    if callable(spec):
        values = spec(*grid.centers)
        what = f"{name}{signature}"
    elif hasattr(spec, "shape") or isinstance(spec, list | tuple):
        values = spec
        what = name
    else:
        raise TypeError(
            f"{name} must be a callable {name}{signature} or an array of its values at the "
            f"cell centres, got {type(spec).__name__} {spec!r:.60}"
        )
    if hasattr(values, "get"):  # a CuPy array
        values = values.get()
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must give real numbers, got {values!r:.60}") from None
    try:
        values = np.broadcast_to(values, grid.shape)
    except ValueError:
        raise ValueError(
            f"{what} has shape {values.shape}; it must be given at the cell centres "
            f"(shape {grid.shape}, broadcastable allowed)"
        ) from None
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} has non-finite values at the cell centres")
    return np.array(values)
