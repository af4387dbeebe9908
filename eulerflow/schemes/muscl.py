"""MUSCL reconstruction and upwind face fluxes for ``d_t rho + div(rho u) = 0`` (reference).

Written once with an array module ``xp`` (NumPy or CuPy); this is the readable definition that
the compiled kernels of every backend are tested against.

Along axis ``a`` with cells ``i = 0..n-1`` and faces ``j = 0..n`` (face ``j`` between cells
``j-1`` and ``j``, see :mod:`eulerflow.grid`):

- limited slope of cell ``i``: ``s_i = lim(q_i - q_{i-1}, q_{i+1} - q_i)``, neighbours taken
  periodically on periodic axes and by copying the edge cell on walled axes (so ``s = 0`` next to
  a wall);
- face states ``q^-_j = q_{j-1} + s_{j-1} / 2`` and ``q^+_j = q_j - s_j / 2``;
- upwind flux ``F_j = max(u_j, 0) q^-_j + min(u_j, 0) q^+_j``; ``F_0 = F_n = 0`` on walls;
- rate ``L(q)_i = -sum_a (F_{a, i+1} - F_{a, i}) / h_a``, the finite-volume form of
  ``-div(rho u)`` (the change of mass in a cell is minus the net outflow).

An axis with a single cell carries no net flux and is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .limiters import limited_slope


def cell_index(k: np.ndarray, n: int, periodic: bool) -> np.ndarray:
    """Cell indices ``k`` wrapped into ``[0, n-1]`` (periodic) or clamped to it (walls)."""
    return k % n if periodic else np.clip(k, 0, n - 1)


def face_fluxes(q, u, axis: int, periodic: bool, limiter: str, xp):
    """Upwind MUSCL fluxes ``F_j``, ``j = 0..n``, through the faces normal to ``axis``.

    Parameters
    ----------
    q : array
        Cell averages.
    u : array
        Velocities normal to the faces; ``q.shape`` with ``n + 1`` along ``axis``.
    axis, periodic, limiter
        The axis, whether it is periodic, and the limiter name.
    xp : module
        ``numpy`` or ``cupy``.
    """
    n = q.shape[axis]

    def take(a, idx):
        return xp.take(a, xp.asarray(idx), axis=axis)

    cells = np.arange(n)
    slopes = limited_slope(
        q - take(q, cell_index(cells - 1, n, periodic)),
        take(q, cell_index(cells + 1, n, periodic)) - q,
        limiter,
        xp,
    )
    faces = np.arange(n + 1)
    left = cell_index(faces - 1, n, periodic)
    right = cell_index(faces, n, periodic)
    q_minus = take(q, left) + 0.5 * take(slopes, left)
    q_plus = take(q, right) - 0.5 * take(slopes, right)
    flux = xp.maximum(u, 0) * q_minus + xp.minimum(u, 0) * q_plus
    if not periodic:
        edge = [slice(None)] * q.ndim
        for j in (0, n):
            edge[axis] = j
            flux[tuple(edge)] = 0
    return flux


def transport_rate(
    q, velocities: Sequence, spacing: Sequence[float], periodic: Sequence[bool], limiter: str, xp
):
    """``L(q) = -sum_a (F_{a, i+1} - F_{a, i}) / h_a``: the finite-volume ``-div(q u)``."""
    rate = xp.zeros_like(q)
    for axis in range(q.ndim):
        if q.shape[axis] == 1:
            continue
        flux = face_fluxes(q, velocities[axis], axis, periodic[axis], limiter, xp)
        rate -= xp.diff(flux, axis=axis) / spacing[axis]
    return rate
