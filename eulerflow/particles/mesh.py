"""Particles to grid and back: mass-conserving deposit (NGP, CIC) and interpolation.

The weights are those of :mod:`eulerflow.schemes.particle_mesh` (nearest grid point: the cell
holding the particle; cloud in cell: linear weights of the ``2^d`` nearest cell centres, a
particle at a cell centre stays in that cell); the work is done by the backend kernels
``deposit`` and ``interpolate`` (:mod:`eulerflow.backends.base`).

Particles outside the box. Periodic axes wrap, so only walled axes can have particles outside
``[lo, hi]`` (the box is closed: a particle on a wall is inside). ``outside`` says what to do
with them (and with particles with NaN or infinite coordinates):

``"error"`` (default)
    raise ``ValueError`` with their number;
``"drop"``
    leave them out with a :class:`ParticlesOutsideWarning` giving their number and weight: the
    deposited mass is the weight of the inside particles (the dropped weight is reported);
``"clip"``
    move them to the nearest point of the box (walled axes only; non-finite coordinates are
    still an error).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..arrays import array_module
from ..backends import as_input_type, get_backend
from ..checks import check_grid
from ..grid import Grid

OUTSIDE_POLICIES = ("error", "drop", "clip")


class ParticlesOutsideWarning(UserWarning):
    """Particles outside a walled box were left out of a deposit."""


def as_positions(x, grid: Grid, name: str = "x"):
    """``x`` as an ``(n, d)`` float32/float64 array of its own array module (a 1D array is
    accepted on 1D grids)."""
    check_grid(grid)
    xp = array_module(x)
    x = xp.asarray(x)
    if x.ndim == 1 and grid.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != grid.ndim:
        raise ValueError(
            f"{name} must have shape (n, {grid.ndim}) for a {grid.ndim}D grid, got {tuple(x.shape)}"
        )
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real array, got dtype {x.dtype}")
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    return xp.ascontiguousarray(x, dtype=dtype)


def outside_mask(x, grid: Grid):
    """True for particles with a non-finite coordinate or a walled coordinate outside the box."""
    xp = array_module(x)
    outside = ~xp.all(xp.isfinite(x), axis=1)
    for a, ((lo, hi), periodic) in enumerate(zip(grid.bounds, grid.periodic, strict=True)):
        if not periodic:
            lo_t, hi_t = x.dtype.type(lo), x.dtype.type(hi)
            outside |= (x[:, a] < lo_t) | (x[:, a] > hi_t)
    return outside


def _apply_policy(x, weights, grid: Grid, outside: str, what: str):
    """``x`` after the ``outside`` policy (see the module docstring)."""
    if outside not in OUTSIDE_POLICIES:
        choices = ", ".join(repr(p) for p in OUTSIDE_POLICIES)
        raise ValueError(f"outside must be one of {choices}, got {outside!r}")
    xp = array_module(x)
    mask = outside_mask(x, grid)
    count = int(mask.sum())
    if count == 0:
        return x
    if outside == "clip":
        if not bool(xp.all(xp.isfinite(x))):
            raise ValueError("x has non-finite coordinates (NaN or inf); they cannot be clipped")
        x = x.copy()
        for a, ((lo, hi), periodic) in enumerate(zip(grid.bounds, grid.periodic, strict=True)):
            if not periodic:
                x[:, a] = xp.clip(x[:, a], lo, hi)
        return x
    if outside == "error":
        raise ValueError(
            f"{count} of {x.shape[0]} particles are outside the box {grid.bounds} of the walled "
            "axes (or have non-finite coordinates); pass outside='drop' to leave them out or "
            "outside='clip' to move them onto the walls"
        )
    lost = f", weight {float(weights[mask].sum()):.6g} lost" if weights is not None else ""
    warnings.warn(
        f"{what}: {count} of {x.shape[0]} particles are outside the box and were left out{lost}",
        ParticlesOutsideWarning,
        stacklevel=3,
    )
    return x


def deposit(
    x,
    grid: Grid,
    weights=None,
    method: str = "cic",
    mass: float | None = None,
    outside: str = "error",
    backend: str = "auto",
):
    """Cell-average density of particles: ``rho_c = sum_p w_p W_c(x_p) / |cell|``.

    Mass is conserved: ``grid.integrate(rho) = sum_p w_p`` (over the particles inside the box)
    to round-off, for both methods and every boundary (see ``eulerflow.particles.mesh`` for the
    weights ``W``).

    Parameters
    ----------
    x : array, shape (n, grid.ndim)
        Particle positions (NumPy or CuPy; a 1D array on 1D grids).
    grid : Grid
        Target grid.
    weights : array, shape (n,), optional
        Particle masses (finite). Default: every particle carries ``mass / n``.
    method : {"cic", "ngp"}
        Cloud in cell (linear weights, the default) or nearest grid point (a histogram).
    mass : float, optional
        Total mass of the particles when ``weights`` is omitted (default 1); not both.
    outside : {"error", "drop", "clip"}
        What to do with particles outside the walled box (module docstring).
    backend : str
        ``"auto"``, ``"numpy"``, ``"numba"`` or ``"cupy"``.

    Returns
    -------
    array of ``grid.shape``
        The density, float32 for float32 positions, else float64; the array type of ``x``.
    """
    positions = as_positions(x, grid)
    n = positions.shape[0]
    xp = array_module(positions)
    dtype = positions.dtype
    if weights is None:
        total = 1.0 if mass is None else float(mass)
        if not np.isfinite(total):
            raise ValueError(f"mass must be finite, got {mass!r}")
        w = xp.full(n, total / max(n, 1), dtype=dtype)
    else:
        if mass is not None:
            raise ValueError("give either weights or mass, not both")
        w = xp.ascontiguousarray(xp.asarray(weights), dtype=dtype)
        if tuple(w.shape) != (n,):
            raise ValueError(f"weights must have shape ({n},), one per particle, got {w.shape}")
        if not bool(xp.all(xp.isfinite(w))):
            raise ValueError("weights has non-finite values (NaN or inf)")
    positions = _apply_policy(positions, w, grid, outside, "deposit")
    be = get_backend(backend, like=positions, size=max(n, grid.size))
    rho = be.deposit(
        be.asarray(positions), be.asarray(w), grid.bounds, grid.shape, grid.periodic, method
    )
    return as_input_type(rho, x)


def histogram(
    x, grid: Grid, weights=None, mass: float | None = None, outside="error", backend="auto"
):
    """Nearest-grid-point deposit: the normalised histogram of the particles on the cells.

    Same as ``deposit(x, grid, weights, "ngp", mass, outside, backend)``.

    Parameters
    ----------
    x : array, shape (n, grid.ndim)
        Particle positions (NumPy or CuPy; a 1D array on 1D grids).
    grid : Grid
        Target grid (the bins are its cells).
    weights : array, shape (n,), optional
        Particle masses (finite). Default: every particle carries ``mass / n``.
    mass : float, optional
        Total mass of the particles when ``weights`` is omitted (default 1); not both.
    outside : {"error", "drop", "clip"}, default "error"
        What to do with particles outside the walled box (module docstring).
    backend : str, default "auto"
        ``"auto"``, ``"numpy"``, ``"numba"`` or ``"cupy"``.

    Returns
    -------
    array of ``grid.shape``
        The density (mass per cell over ``|cell|``), float32 for float32 positions, else
        float64; the array type of ``x``.
    """
    return deposit(x, grid, weights, "ngp", mass, outside, backend)


def interpolate(values, x, grid: Grid, method: str = "cic", outside: str = "error", backend="auto"):
    """Values of the cell values ``values`` at the particles, ``f(x_p) = sum_c W_c(x_p) f_c``.

    ``"cic"`` is the multilinear interpolant of the cell-centre values (periodic across periodic
    ends, constant in the half cells next to walls), ``"ngp"`` the value of the cell holding the
    particle. It is the adjoint of :func:`deposit`: ``sum_p w_p f(x_p) = grid.integrate(rho f)``
    with ``rho = deposit(x, grid, w, method)``.

    Parameters
    ----------
    values : array of ``grid.shape``
        Cell values.
    x : array, shape (n, grid.ndim)
        Positions.
    grid, method, backend
        As in :func:`deposit`.
    outside : {"error", "drop", "clip"}
        As in :func:`deposit`; with ``"drop"`` the outside particles get NaN.

    Returns
    -------
    array, shape (n,)
        In the dtype of the positions and the array type of ``x``.
    """
    positions = as_positions(x, grid)
    grid.check_field(values, "values")
    positions = _apply_policy(positions, None, grid, outside, "interpolate")
    be = get_backend(backend, like=positions, size=max(positions.shape[0], grid.size))
    out = be.interpolate(
        be.asarray(values, dtype=positions.dtype),
        be.asarray(positions),
        grid.bounds,
        grid.periodic,
        method,
    )
    return as_input_type(out, x)
