"""Distances between a method's density (cell averages) and a grid reference density.

The method's density ``rho`` may be given on another grid (``rho_grid``); it is then remapped
conservatively onto the reference grid (:func:`eulerflow.metrics.remap.remap`: exact cell
averages of the piecewise-constant ``rho``), and every distance is computed between cell
averages on the reference grid. The mass of ``rho`` outside the reference box is reported in
``details["mass_outside"]``; it does not enter the value.
"""

from __future__ import annotations

import math

import numpy as np

from ..arrays import to_numpy
from ..checks import check_grid
from ..grid import Grid
from .remap import remap
from .score import Score


def density_l1(rho, reference, grid: Grid, *, rho_grid: Grid | None = None) -> Score:
    """``L1 = int |rho - reference| dx = sum_c |rho_c - ref_c| |cell|`` on the reference grid.

    The densities are not normalised (a mass error is part of the error). Between cell
    averages this is at most the L1 distance of the underlying functions (Jensen).

    Parameters
    ----------
    rho : array
        The method's density: cell averages on ``rho_grid`` (default ``grid``).
    reference : array of ``grid.shape``
        Reference cell averages.
    grid : Grid
        The reference grid.
    rho_grid : Grid, optional
        The grid of ``rho`` when it is not ``grid`` (see the module docstring).

    Returns
    -------
    Score
        ``value``: the L1 distance (no floor); ``details``: ``remapped``, ``mass_outside``.

    Examples
    --------
    >>> grid = Grid(2, (0, 1))
    >>> density_l1([2.0, 0.0], [1.0, 1.0], grid).value
    1.0
    """
    f, g, details = _on_reference_grid(rho, reference, grid, rho_grid)
    return Score(value=float(grid.integrate(np.abs(f - g))), method="cells", details=details)


def density_l2(rho, reference, grid: Grid, *, rho_grid: Grid | None = None) -> Score:
    """``L2 = (int |rho - reference|^2 dx)^(1/2) = (sum_c (rho_c - ref_c)^2 |cell|)^(1/2)``.

    Arguments as in :func:`density_l1`; not normalised.

    Parameters
    ----------
    rho : array_like
        The method's density: cell averages on ``rho_grid`` (default ``grid``), ``>= 0``.
    reference : array_like, shape ``grid.shape``
        Reference cell averages, ``>= 0``.
    grid : Grid
        The reference grid, on which the distance is computed.
    rho_grid : Grid, optional
        The grid of ``rho`` when it is not ``grid``; ``rho`` is then remapped conservatively
        onto ``grid`` (see the module docstring). Default ``None``: ``rho`` is on ``grid``.

    Returns
    -------
    Score
        ``value``: the L2 distance (no floor); ``details``: ``remapped``, ``mass_outside``.

    Examples
    --------
    >>> grid = Grid(2, (0, 1))
    >>> round(density_l2([2.0, 0.0], [1.0, 1.0], grid).value, 12)
    1.0
    """
    f, g, details = _on_reference_grid(rho, reference, grid, rho_grid)
    value = math.sqrt(float(grid.integrate((f - g) ** 2)))
    return Score(value=value, method="cells", details=details)


def relative_entropy(
    rho, reference, grid: Grid, *, rho_grid: Grid | None = None, reverse: bool = False
) -> Score:
    """Kullback-Leibler divergence between the normalised densities, either way.

    With ``p = rho / int rho`` and ``q = reference / int reference`` (cell averages on the
    reference grid),

        KL(p || q) = int p log(p / q) dx = sum_c p_c log(p_c / q_c) |cell|

    (``0 log 0 = 0``; ``inf`` when ``q_c = 0 < p_c`` somewhere). ``reverse=True`` gives
    ``KL(q || p)`` instead. ``details`` holds both masses before normalisation. Between cell
    averages this is at most the divergence of the underlying densities (joint convexity).

    Parameters
    ----------
    rho, reference, grid, rho_grid
        As in :func:`density_l1`.
    reverse : bool, default False
        ``False``: ``KL(rho || reference)``; ``True``: ``KL(reference || rho)``.

    Returns
    -------
    Score
        ``value``: the divergence in nats, ``>= 0`` (``inf`` as above); ``details``:
        ``direction``, ``mass``, ``reference_mass``, ``remapped``, ``mass_outside``.

    References
    ----------
    .. [1] T. M. Cover and J. A. Thomas, "Elements of Information Theory", 2nd ed., Wiley,
       2006, section 2.3 and theorem 2.7.2 (joint convexity).

    Examples
    --------
    >>> grid = Grid(2, (0, 1))
    >>> round(relative_entropy([2.0, 2.0], [1.0, 1.0], grid).value, 12)
    0.0
    """
    f, g, details = _on_reference_grid(rho, reference, grid, rho_grid)
    masses = float(grid.integrate(f)), float(grid.integrate(g))
    if min(masses) <= 0:
        raise ValueError(f"rho and reference need positive masses, got {masses[0]}, {masses[1]}")
    p, q = f / masses[0], g / masses[1]
    if reverse:
        p, q = q, p
    support = p > 0
    if np.any(q[support] == 0):
        value = math.inf
    else:
        value = float(np.sum(p[support] * np.log(p[support] / q[support])) * grid.cell_volume)
    direction = "KL(reference || rho)" if reverse else "KL(rho || reference)"
    details.update(direction=direction, mass=masses[0], reference_mass=masses[1])
    return Score(value=max(value, 0.0), method="cells", details=details)


def _on_reference_grid(rho, reference, grid: Grid, rho_grid: Grid | None):
    """Both densities as float64 cell averages on ``grid`` (``rho`` remapped if needed)."""
    check_grid(grid)
    g = _density(reference, grid, "reference")
    source = grid if rho_grid is None else check_grid(rho_grid, "rho_grid")
    f = _density(rho, source, "rho")
    details: dict = {"remapped": source != grid, "mass_outside": 0.0}
    if source != grid:
        f, details["mass_outside"] = remap(f, source, grid)
    return f, g, details


def _density(values, grid: Grid, name: str) -> np.ndarray:
    arr = np.array(to_numpy(values) if hasattr(values, "shape") else values, dtype=float)
    grid.check_field(arr, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite values (NaN or inf)")
    if arr.min() < 0:
        raise ValueError(f"{name} has negative values (min {arr.min():.3g}); a density is >= 0")
    return arr
