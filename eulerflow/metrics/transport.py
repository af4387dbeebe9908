"""Errors of optimal-transport outputs: the cost W2^2, a transport map, a Kantorovich potential."""

from __future__ import annotations

import math

import numpy as np

from ..checks import cell_values, check_grid, real_number
from ..grid import Grid
from .inputs import as_reference
from .score import Score


def w2_squared_error(w2_squared: float, exact: float) -> Score:
    """Relative error ``|W2^2 - exact| / exact`` of a computed transport cost.

    ``details``: ``abs_error``, ``w2_squared``, ``exact``.

    Parameters
    ----------
    w2_squared : float
        The computed transport cost ``W2^2`` (a finite real number).
    exact : float
        The exact ``W2^2``, finite and ``> 0``.

    Returns
    -------
    Score
        ``value``: the relative error ``|W2^2 - exact| / exact`` (no floor).

    Examples
    --------
    >>> w2_squared_error(1.02, 1.0).value  # doctest: +ELLIPSIS
    0.0200...
    """
    value = real_number(w2_squared, "w2_squared")
    target = real_number(exact, "exact")
    if target <= 0:
        raise ValueError(f"exact must be > 0 for a relative error, got {target!r}")
    error = abs(value - target)
    return Score(
        value=error / target,
        method="relative",
        details={"abs_error": error, "w2_squared": value, "exact": target},
    )


def map_error(T, T_exact, rho0, grid: Grid) -> Score:
    """``L2(rho0)`` error of a transport map: ``(int |T - T*|^2 rho0 dx)^(1/2)``, ``rho0``
    normalised.

    Computed on the cell centres, ``sum_c q_c |T(x_c) - T*(x_c)|^2`` with the cell masses
    ``q_c`` of ``rho0`` (midpoint rule, ``O(h^2)``). ``details["relative"]`` divides by
    ``(int |T* - x|^2 rho0)^(1/2)``, which is ``W2(rho0, T*#rho0)`` when ``T*`` is optimal.

    Parameters
    ----------
    T, T_exact : callable or sequence of d arrays
        The maps, ``T(*coords) -> (T_1, ..., T_d)`` evaluated on ``grid.centers``, or their
        components at the cell centres (an array of shape ``(d, *grid.shape)`` too).
    rho0 : array of ``grid.shape``
        Source density (the weight of the norm).
    grid : Grid
        The grid.

    Returns
    -------
    Score
        ``value``: the ``L2(rho0)`` error, in units of the coordinates; ``details``: ``relative``.

    Examples
    --------
    >>> grid = Grid(4, (0, 1))
    >>> round(map_error(lambda x: (x + 0.1,), lambda x: (x,), [1, 1, 1, 1], grid).value, 12)
    0.1
    """
    q = as_reference(rho0, grid, "rho0")
    T_values = _components(T, grid, "T")
    exact = _components(T_exact, grid, "T_exact")
    error = math.sqrt(float(np.sum(q * np.sum((T_values - exact) ** 2, axis=0))))
    displacement = exact - np.stack(np.broadcast_arrays(*grid.centers))
    scale = math.sqrt(float(np.sum(q * np.sum(displacement**2, axis=0))))
    relative = error / scale if scale > 0 else math.inf
    return Score(value=error, method="cell centres", details={"relative": relative})


def potential_error(phi, phi_exact, rho0, grid: Grid) -> Score:
    """``L2(rho0)`` error of a potential modulo a constant: ``min_c ||phi - phi* - c||``.

    The best constant is the ``rho0``-mean ``c = int (phi - phi*) rho0``, so the value is the
    ``rho0``-standard deviation of ``phi - phi*`` at the cell centres (masses ``q_c``).
    ``details``: ``constant`` (``c``) and ``relative`` (divided by the ``rho0``-standard
    deviation of ``phi*``).

    Parameters
    ----------
    phi, phi_exact : callable or array
        ``phi(*coords)`` or its cell-centre values (see ``eulerflow.checks.cell_values``).
    rho0, grid
        As in :func:`map_error`.

    Returns
    -------
    Score
        ``value``: the error modulo a constant, in units of ``phi``; ``details``: ``constant``,
        ``relative``.

    Examples
    --------
    >>> grid = Grid(4, (0, 1))
    >>> round(potential_error(lambda x: x**2 + 5, lambda x: x**2, [1] * 4, grid).value, 12)
    0.0
    """
    q = as_reference(rho0, grid, "rho0")
    diff = cell_values(phi, grid, "phi") - cell_values(phi_exact, grid, "phi_exact")
    constant = float(np.sum(q * diff))
    error = math.sqrt(float(np.sum(q * (diff - constant) ** 2)))
    exact = cell_values(phi_exact, grid, "phi_exact")
    scale = math.sqrt(float(np.sum(q * (exact - np.sum(q * exact)) ** 2)))
    relative = error / scale if scale > 0 else math.inf
    return Score(
        value=error, method="cell centres", details={"constant": constant, "relative": relative}
    )


def _components(T, grid: Grid, name: str) -> np.ndarray:
    """The ``d`` components of a map at the cell centres, shape ``(d, *grid.shape)``."""
    check_grid(grid)
    values = T(*grid.centers) if callable(T) else T
    if len(values) != grid.ndim:
        raise ValueError(
            f"{name} must have {grid.ndim} components (one per axis), got {len(values)}"
        )
    return np.stack([cell_values(v, grid, f"{name}[{a}]") for a, v in enumerate(values)])
