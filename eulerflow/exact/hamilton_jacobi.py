"""Hamilton-Jacobi equation ``d_t phi + |grad phi|^2 / 2 = 0``: Hopf-Lax formula and closed forms.

The potential of the optimal (Benamou-Brenier) velocity ``v = grad phi`` solves this equation
(Benamou and Brenier 2000). Its viscosity solution is the Hopf-Lax formula
``phi(t, x) = min_y phi0(y) + |x - y|^2 / (2 t)``. :func:`hopf_lax` evaluates it exactly on a grid,
with the minimum over the cell centres (its one-dimensional sweeps are the Numba backend's
c-transform kernel, :mod:`eulerflow.backends.numba.c_transform`, compiled on first use);
:func:`hj_linear_solution` and :func:`hj_quadratic_solution` are smooth closed forms.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ..grid import Grid
from ._validation import as_grid_values, as_symmetric_matrix, as_vector, check_grid, check_time


def hopf_lax(phi0: ArrayLike, grid: Grid, t: float) -> np.ndarray:
    """Hopf-Lax formula on the grid: the minimum of ``phi0_j + |x_i - y_j|^2 / (2 t)``.

    For every cell centre ``x_i``,

        phi(t, x_i) = min_j [ phi0_j + |x_i - y_j|^2 / (2 t) ],

    where ``y_j`` runs over the cell centres of the box on walled axes and over the cell centres
    and all their periodic images ``y_j + k L e_a`` (``k`` integer, ``L`` the box length) on
    periodic axes. This is the Hopf-Lax (viscosity) solution of

        d_t phi + |grad phi|^2 / 2 = 0,    phi(0) = phi0,

    for the lower semicontinuous initial datum equal to ``phi0_j`` at the centres and ``+inf``
    elsewhere, evaluated at the centres, and it is computed exactly (up to round-off; see
    Notes). For a smooth ``phi0`` sampled at the centres it approximates the Hopf-Lax solution
    ``min_y phi0(y) + |x - y|^2 / (2 t)`` of the continuous problem: where the continuous
    minimiser lies in the box,

        0 <= hopf_lax - phi(t, x) <= (Lambda + 1 / t) sum_a h_a^2 / 8,

    with ``Lambda`` a bound on the largest eigenvalue of the Hessian of ``phi0``, so the error is
    ``O(h^2)``.

    Parameters
    ----------
    phi0 : array_like, shape grid.shape
        Initial values at the cell centres; must be finite.
    grid : Grid
        The grid; ``h_a = grid.spacing[a]``.
    t : float
        Time, ``t >= 0``; ``t = 0`` returns a copy of ``phi0``.

    Returns
    -------
    numpy.ndarray
        ``phi(t)`` at the cell centres, float64 array of shape ``grid.shape``.

    Raises
    ------
    ValueError
        If ``phi0`` has the wrong shape or non-finite values, or ``t`` is negative or not finite.

    Notes
    -----
    The cost splits over the axes, ``|x - y|^2 = sum_a (x_a - y_a)^2``, so the ``d``-dimensional
    minimum is ``d`` successive one-dimensional min-plus transforms, one along each axis (each
    applied to the result of the previous one). On a line of ``n`` values ``f_j`` at the centres
    ``j h`` (positions in units of ``h``) the transform ``g_i = min_j f_j + c (i - j)^2``, with
    ``c = h^2 / (2 t)``, is the lower envelope of the parabolas ``p -> f_j + c (p - j)^2`` read at
    ``p = i``. Two of them cross at ``s = (f_k - f_j) / (2 c (k - j)) + (j + k) / 2``; one sweep
    builds the envelope (the parabolas on it and the abscissae where they take over), a second
    reads it at the centres (the lower-envelope algorithm of Felzenszwalb and Huttenlocher for
    the squared distance transform). Both sweeps are ``O(n)``, so the cost is ``O(d N)`` for
    ``N`` cells. Each result is ``f_j + c (i - j)^2`` evaluated directly for a parabola ``j`` that
    is minimal at ``i`` up to the round-off in the crossing abscissae, so it equals the exact
    minimum up to a few units of round-off of the data. The sweeps run in the Numba backend's
    c-transform kernel (``eulerflow.backends.numba.c_transform.min_plus_lines``, the one the
    back-and-forth JKO method uses), in parallel over the lines.

    Periodic axes: for given ``i`` and ``j`` only the image of ``y_j`` nearest to ``x_i`` can
    win, and it lies at most half a box length away: ``|i - j| <= n / 2`` in index units, with
    ``j`` now the position of the image. Moreover a minimiser never pays more than the candidate
    ``y = x`` saves: ``c (i - j)^2 <= f_i - min f <= max f - min f = R``, that is
    ``|x - y|^2 / (2 t) <= R``, so ``|i - j| <= sqrt(R / c)``. Each line (``R`` its range) is
    therefore extended periodically by ``P = min(floor(sqrt(R / c)) + 1, floor(n / 2))`` values on
    each side (the ``+ 1`` guards against round-off in the square root) and the envelope is run
    over those ``n + 2 P`` points: every minimiser is among them, so the periodic result is
    exact, and at most two copies of the line are ever built (fewer for small ``t``).

    Examples
    --------
    From ``phi0 = x^2 / 2`` the solution is ``x^2 / (2 (1 + t))``, here within the
    ``O(h^2)`` bound above:

    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(64, (-4, 4))
    >>> x, h = grid.axis_centers(0), grid.spacing[0]
    >>> phi = ef.exact.hopf_lax(x**2 / 2, grid, 1.0)
    >>> bool(np.all(np.abs(phi - x**2 / 4) <= 2 * h**2 / 8))
    True
    """
    check_grid(grid)
    phi = as_grid_values(phi0, grid, "phi0")
    t = check_time(t, "t", nonnegative=True)
    if t == 0:
        return phi
    for axis, (h, periodic) in enumerate(zip(grid.spacing, grid.periodic, strict=True)):
        phi = _min_plus_axis(phi, axis, h * h / (2.0 * t), periodic)
    return np.ascontiguousarray(phi)


def hj_linear_solution(grid: Grid, slope: ArrayLike, t: float, offset: float = 0.0) -> np.ndarray:
    """Solution of ``d_t phi + |grad phi|^2 / 2 = 0`` for the linear datum ``dot(s, x) + offset``.

    The gradient stays ``s``, so

        phi(t, x) = s . x - t |s|^2 / 2 + offset,

    the classical (and viscosity) solution on ``R^d`` for all ``t >= 0``, evaluated at the cell
    centres. The grid only supplies the points: its walls and periodic flags play no role (the
    datum is not periodic).

    Parameters
    ----------
    grid : Grid
        The grid (``d = grid.ndim``).
    slope : array_like, shape (d,)
        The gradient ``s`` (a scalar is accepted on a 1D grid).
    t : float
        Time, ``t >= 0``.
    offset : float, default 0
        The constant ``phi0(0)``.

    Returns
    -------
    numpy.ndarray
        ``phi(t)`` at the cell centres, shape ``grid.shape``.
    """
    check_grid(grid)
    s = as_vector(slope, grid.ndim, "slope")
    t = check_time(t, "t", nonnegative=True)
    offset = check_time(offset, "offset")
    phi = np.full(grid.shape, offset - 0.5 * t * float(s @ s))
    for x, sa in zip(grid.centers, s, strict=True):
        phi += sa * x
    return phi


def hj_quadratic_solution(
    grid: Grid, Q: ArrayLike, t: float, center: ArrayLike = 0.0, offset: float = 0.0
) -> np.ndarray:
    """Solution of ``d_t phi + |grad phi|^2 / 2 = 0`` for a quadratic datum.

    For ``phi0(x) = (x - c)^T Q (x - c) / 2 + offset`` with ``Q`` symmetric, the characteristics
    are the straight lines ``x = y + t grad phi0(y) = c + (I + t Q) (y - c)`` and

        phi(t, x) = (x - c)^T Q (I + t Q)^(-1) (x - c) / 2 + offset,

    the classical (and viscosity) solution on ``R^d`` while ``I + t Q`` is positive definite,
    i.e. for all ``t >= 0`` if ``Q`` is positive semidefinite and for
    ``t < t* = 1 / |lambda_min(Q)|`` if ``Q`` has a negative eigenvalue ``lambda_min``: at ``t*``
    the characteristics focus, a shock forms and the Hopf-Lax minimum becomes ``-inf``. The
    values are taken at the cell centres; the grid's walls and periodic flags play no role.

    Parameters
    ----------
    grid : Grid
        The grid (``d = grid.ndim``).
    Q : array_like, shape (d, d), or scalar
        Symmetric matrix (a scalar ``q`` means ``q * I``).
    t : float
        Time, ``0 <= t < t*``.
    center : array_like, shape (d,), or scalar, default 0
        The point ``c`` (a scalar is used on every axis).
    offset : float, default 0
        The constant ``phi0(c)``.

    Returns
    -------
    numpy.ndarray
        ``phi(t)`` at the cell centres, shape ``grid.shape``.

    Raises
    ------
    ValueError
        If ``Q`` is not symmetric or has the wrong shape, or ``I + t Q`` is not positive definite
        (``t >= t*``; the message gives ``t*``).
    """
    check_grid(grid)
    d = grid.ndim
    Q = as_symmetric_matrix(Q, d, "Q")
    t = check_time(t, "t", nonnegative=True)
    c = as_vector(np.broadcast_to(center, (d,)) if np.ndim(center) == 0 else center, d, "center")
    offset = check_time(offset, "offset")
    lam, V = np.linalg.eigh(Q)
    growth = 1.0 + t * lam
    if growth[0] <= 0:
        raise ValueError(
            f"hj_quadratic_solution: I + t Q must be positive definite, but Q has the eigenvalue "
            f"{lam[0]:.6g} < 0, so the characteristics x = c + (I + t Q) (y - c) focus and a "
            f"shock (kink) forms at t* = 1/|lambda_min(Q)| = {1.0 / abs(lam[0]):.12g}; the "
            f"formula holds only for 0 <= t < t*, got t = {t:.12g}"
        )
    M = (V * (lam / growth)) @ V.T
    dx = [x - ca for x, ca in zip(grid.centers, c, strict=True)]
    phi = np.full(grid.shape, offset)
    for a in range(d):
        phi += 0.5 * M[a, a] * dx[a] * dx[a]
        for b in range(a + 1, d):
            phi += 0.5 * (M[a, b] + M[b, a]) * dx[a] * dx[b]
    return phi


# -- helpers: Hopf-Lax -----------------------------------------------------------------------------
def _min_plus_axis(values: np.ndarray, axis: int, c: float, periodic: bool) -> np.ndarray:
    """``g_i = min_j values_j + c (i - j)^2`` along ``axis`` (periodic images too if asked)."""
    n = values.shape[axis]
    if n == 1 or math.isinf(c):
        # A single point, or a cost c = h^2 / (2 t) that overflowed: every other point (and image)
        # costs more than any finite saving, so the minimum is the point itself.
        return values
    if c == 0.0:
        # The cost underflowed (t enormous): the minimum is the smallest value on the line.
        return np.broadcast_to(values.min(axis=axis, keepdims=True), values.shape).copy()
    from ..backends.numba.c_transform import c_transform_lines  # Numba: imported on first use

    lines = np.ascontiguousarray(np.moveaxis(values, axis, -1), dtype=np.float64)
    out = np.empty_like(lines)
    c_transform_lines(lines.reshape(-1, n), c, periodic, out.reshape(-1, n), None)
    return np.moveaxis(out, -1, axis)
