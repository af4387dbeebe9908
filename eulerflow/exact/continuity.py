"""Closed-form and reference solutions of the continuity equation ``d_t rho + div(rho v) = 0``.

The solutions rest on the push-forward theorem (Ambrosio, Gigli and Savare 2008, Prop. 8.1.8):
if ``X(t, x)`` is the flow of a smooth velocity, ``d/dt X(t, x) = v(t, X(t, x))`` with
``X(0, x) = x``, then ``rho(t) = X(t, .) # rho0`` is the unique solution of the continuity
equation and ``rho(t, X(t, x)) det DX(t, x) = rho0(x)``. Along a characteristic
``d/dt log rho(t, X(t, x)) = -div v(t, X(t, x))``, which :func:`characteristics_solution`
integrates for any smooth velocity; linear velocities ``v = A x + b`` transport Gaussians to
Gaussians (:func:`linear_flow_gaussian`), and translations and rotations have closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from ..grid import Grid
from ._validation import (
    as_covariance,
    as_field,
    as_square_matrix,
    as_vector,
    check_callable,
    check_grid,
    check_time,
    components,
    positive_int,
)
from .quadrature import Field, cell_average, gaussian_density

# Weights of the fourth-order central difference f'(x) ~ sum_k w_k f(x + k d) / (12 d).
_FD4_STENCIL = ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0))
# Finite-difference step of the divergence, relative to the smallest grid spacing.
_FD_RELATIVE_STEP = 1e-3


def linear_flow_map(A: ArrayLike, b: ArrayLike, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Flow map of the linear velocity ``v(x) = A x + b``: ``X(t, x) = M x + c``.

    ``M = expm(t A)`` and ``c = (int_0^t expm(s A) ds) b``, both read off one exponential of the
    augmented matrix,

        expm(t [[A, b], [0, 0]]) = [[M, c], [0, 1]],

    which is exact also when ``A`` is singular (for ``A = 0``, ``M = I`` and ``c = t b``).

    Parameters
    ----------
    A : array_like, shape (d, d)
        Matrix of the velocity.
    b : array_like, shape (d,)
        Constant part of the velocity (a scalar is accepted when ``d = 1``).
    t : float
        Time (any finite value; negative times give the inverse flow).

    Returns
    -------
    M : numpy.ndarray, shape (d, d)
    c : numpy.ndarray, shape (d,)
    """
    A = as_square_matrix(A, "A")
    d = A.shape[0]
    b = as_vector(b, d, "b")
    t = check_time(t, "t")
    augmented = np.zeros((d + 1, d + 1))
    augmented[:d, :d] = A
    augmented[:d, d] = b
    flow = scipy.linalg.expm(t * augmented)
    return flow[:d, :d], flow[:d, d]


def gaussian_push_forward(
    mean: ArrayLike, cov: ArrayLike, A: ArrayLike, b: ArrayLike, t: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of ``N(mean, cov)`` transported by ``v(x) = A x + b`` for a time ``t``.

    With the flow map ``X(t, x) = M x + c`` of :func:`linear_flow_map`, the push-forward is the
    Gaussian ``N(M mean + c, M cov M^T)``.

    Parameters
    ----------
    mean : array_like, shape (d,)
        Initial mean.
    cov : array_like, shape (d, d), or scalar
        Initial covariance, symmetric positive definite (a scalar ``s`` means ``s * I``).
    A, b : array_like
        The velocity ``A x + b`` (shapes ``(d, d)`` and ``(d,)``).
    t : float
        Time.

    Returns
    -------
    mean_t : numpy.ndarray, shape (d,)
    cov_t : numpy.ndarray, shape (d, d)
    """
    M, c = linear_flow_map(A, b, t)
    d = M.shape[0]
    mean = as_vector(mean, d, "mean")
    cov, _ = as_covariance(cov, d)
    cov_t = M @ cov @ M.T
    return M @ mean + c, 0.5 * (cov_t + cov_t.T)


def linear_flow_gaussian(
    grid: Grid,
    mean: ArrayLike,
    cov: ArrayLike,
    A: ArrayLike,
    b: ArrayLike,
    t: float,
    quadrature: int = 3,
) -> np.ndarray:
    """Cell averages of the exact solution of ``d_t rho + div(rho (A x + b)) = 0`` on ``R^d``.

    The initial density ``N(mean, cov)`` stays Gaussian: ``rho(t) = N(mean_t, cov_t)`` with
    ``mean_t = M mean + c`` and ``cov_t = M cov M^T`` (:func:`gaussian_push_forward`). On a
    bounded grid this is the solution as long as the mass near the walls is negligible.

    Parameters
    ----------
    grid : Grid
        The grid (``d = grid.ndim``).
    mean, cov : array_like
        The initial Gaussian, as in :func:`gaussian_density`.
    A, b : array_like
        The velocity ``A x + b`` (shapes ``(d, d)`` and ``(d,)``).
    t : float
        Time.
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`cell_average`).

    Returns
    -------
    numpy.ndarray
        Cell averages of shape ``grid.shape``.
    """
    check_grid(grid)
    mean_t, cov_t = gaussian_push_forward(mean, cov, A, b, t)
    if mean_t.shape != (grid.ndim,):
        raise ValueError(f"A must be ({grid.ndim}, {grid.ndim}) on a {grid.ndim}D grid")
    return gaussian_density(grid, mean_t, cov_t, quadrature)


# -- general velocities: characteristics ----------------------------------------------------------
def characteristics_solution(
    rho0: Field,
    velocity: Callable[..., Sequence[ArrayLike]],
    grid: Grid,
    t: float,
    n_steps: int = 200,
    divergence: Field | None = None,
    quadrature: int = 1,
) -> np.ndarray:
    """Solution of ``d_t rho + div(rho v) = 0`` by the method of characteristics, as cell averages.

    For each quadrature node ``x`` the system

        dX/ds = v(s, X),    dL/ds = div v(s, X),    X(t) = x,  L(t) = 0,

    is integrated backwards from ``s = t`` to ``s = 0`` with classical RK4 in ``n_steps`` uniform
    steps, and

        rho(t, x) = rho0(X(0)) exp(L(0)),

    since ``d/ds log rho(s, X(s)) = -div v(s, X(s))`` along a characteristic. The error is that of
    RK4, ``O((t / n_steps)^4)``, plus the error of the divergence.

    On periodic axes the positions are wrapped into the box before every evaluation of ``velocity``,
    ``divergence`` and ``rho0`` (so the characteristics run on the torus, the callables need only be
    right on the box, and a translation is exact). On walled axes they are not: the characteristics
    may leave the box, and the density must be negligible where they do.

    Parameters
    ----------
    rho0 : callable
        Initial density ``rho0(*coords)``, vectorised.
    velocity : callable
        Smooth velocity ``velocity(t, *coords) -> tuple of ndim arrays``, vectorised, possibly
        time dependent; it is called with full grid-shaped coordinate arrays.
    grid : Grid
        The grid.
    t : float
        Time, ``t >= 0``; ``t = 0`` returns ``cell_average(rho0, grid, quadrature)``.
    n_steps : int, default 200
        Number of RK4 steps, at least 1.
    divergence : callable, optional
        ``divergence(t, *coords)``, the exact ``div v``. Without it, ``div v`` is computed by the
        fourth-order central difference ``(-v(x+2d) + 8 v(x+d) - 8 v(x-d) + v(x-2d)) / (12 d)``
        along each axis with ``d = 1e-3 * min(grid.spacing)``: its truncation error
        ``d^4 |v^(5)| / 30`` is negligible and the round-off, of order
        ``eps (|v| + |x| |grad v|) / d`` with ``eps = 2.2e-16``, dominates: about ``2e-11`` for
        ``|v| ~ 5`` on a 64 x 64 grid of ``[-4, 4]^2``, growing like ``1 / h``. This error enters
        ``log rho`` integrated over ``[0, t]``. Each divergence costs ``4 * ndim`` velocity calls.
    quadrature : int, default 1
        Gauss-Legendre points per axis (see :func:`cell_average`); 1 gives the centre values.

    Returns
    -------
    numpy.ndarray
        Cell averages of ``rho(t)``, shape ``grid.shape``.
    """
    check_callable(rho0, "rho0")
    check_callable(velocity, "velocity")
    if divergence is not None:
        check_callable(divergence, "divergence")
    check_grid(grid)
    t = check_time(t, "t", nonnegative=True)
    n_steps = positive_int(n_steps, "n_steps")
    if t == 0:
        return cell_average(rho0, grid, quadrature)
    if divergence is None:
        divergence = _central_divergence(velocity, grid)
    rhs = _characteristic_rhs(velocity, divergence, grid)

    def rho_t(*coords: np.ndarray) -> np.ndarray:
        start = [np.broadcast_to(x, grid.shape) for x in coords] + [np.zeros(grid.shape)]
        *foot, log_jacobian = _rk4_backward(rhs, start, t, n_steps)
        return as_field(rho0(*_wrap(foot, grid)), grid.shape, "rho0") * np.exp(log_jacobian)

    return cell_average(rho_t, grid, quadrature)


# -- closed forms ----------------------------------------------------------------------------------
def translation_solution(
    rho0: Field, grid: Grid, shift_velocity: ArrayLike, t: float, quadrature: int = 3
) -> np.ndarray:
    """Cell averages of ``rho(t, x) = rho0(x - c t)``, the transport by a constant velocity ``c``.

    On periodic axes the foot point ``x - c t`` is wrapped into the box, so ``rho0`` is extended
    periodically; on walled axes it is not (the density must be negligible near the walls).

    Parameters
    ----------
    rho0 : callable
        Initial density ``rho0(*coords)``, vectorised.
    grid : Grid
        The grid.
    shift_velocity : array_like, shape (ndim,)
        The constant velocity ``c`` (a scalar is accepted on a 1D grid).
    t : float
        Time.
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`cell_average`).

    Returns
    -------
    numpy.ndarray
        Cell averages of shape ``grid.shape``.
    """
    check_callable(rho0, "rho0")
    check_grid(grid)
    c = as_vector(shift_velocity, grid.ndim, "shift_velocity")
    t = check_time(t, "t")

    def rho_t(*coords: np.ndarray) -> ArrayLike:
        foot = [x - ca * t for x, ca in zip(coords, c, strict=True)]
        return rho0(*_wrap(foot, grid))

    return cell_average(rho_t, grid, quadrature)


def rotation_solution(
    rho0: Field,
    grid: Grid,
    omega: float,
    t: float,
    center: ArrayLike = (0.0, 0.0),
    quadrature: int = 3,
) -> np.ndarray:
    """Cell averages of ``rho0`` turned by the rotation ``v = omega (-(y - cy), x - cx)``.

    The rotation is divergence free, so ``rho(t, x) = rho0(R(-omega t) (x - center) + center)``
    with ``R(a) = [[cos a, -sin a], [sin a, cos a]]``. The foot point is not wrapped on periodic
    axes (the rotation field is not periodic): the density must be negligible near the boundary.

    Parameters
    ----------
    rho0 : callable
        Initial density ``rho0(x, y)``, vectorised.
    grid : Grid
        A 2D grid.
    omega : float
        Angular velocity (counter-clockwise for ``omega > 0``).
    t : float
        Time.
    center : array_like, shape (2,), default (0, 0)
        Centre of rotation ``(cx, cy)``.
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`cell_average`).

    Returns
    -------
    numpy.ndarray
        Cell averages of shape ``grid.shape``.
    """
    check_callable(rho0, "rho0")
    check_grid(grid)
    if grid.ndim != 2:
        raise ValueError(f"rotation_solution needs a 2D grid, got a {grid.ndim}D grid")
    cx, cy = as_vector(center, 2, "center")
    angle = -check_time(omega, "omega") * check_time(t, "t")
    cos, sin = math.cos(angle), math.sin(angle)

    def rho_t(x: np.ndarray, y: np.ndarray) -> ArrayLike:
        dx, dy = x - cx, y - cy
        return rho0(cos * dx - sin * dy + cx, sin * dx + cos * dy + cy)

    return cell_average(rho_t, grid, quadrature)


# -- helpers: characteristics ----------------------------------------------------------------------
def _characteristic_rhs(velocity, divergence, grid: Grid):
    """Right-hand side ``(v(s, X), div v(s, X))`` of the characteristic system, on wrapped X."""

    def rhs(s: float, state: list[np.ndarray]) -> list[np.ndarray]:
        position = _wrap(state[:-1], grid)
        v = components(velocity(s, *position), grid, "velocity")
        return [*v, as_field(divergence(s, *position), grid.shape, "divergence")]

    return rhs


def _rk4_backward(rhs, state: list[np.ndarray], t: float, n_steps: int) -> list[np.ndarray]:
    """Classical RK4 for ``dY/ds = rhs(s, Y)`` from ``s = t`` down to ``s = 0``."""
    h = -t / n_steps
    for step in range(n_steps):
        s = t + step * h
        k1 = rhs(s, state)
        k2 = rhs(s + 0.5 * h, _axpy(state, 0.5 * h, k1))
        k3 = rhs(s + 0.5 * h, _axpy(state, 0.5 * h, k2))
        k4 = rhs(s + h, _axpy(state, h, k3))
        state = [
            y + (h / 6.0) * (a + 2.0 * b + 2.0 * c + d)
            for y, a, b, c, d in zip(state, k1, k2, k3, k4, strict=True)
        ]
    return state


def _axpy(state: list[np.ndarray], h: float, slope: list[np.ndarray]) -> list[np.ndarray]:
    return [y + h * k for y, k in zip(state, slope, strict=True)]


def _central_divergence(velocity, grid: Grid):
    """``div v`` by fourth-order central differences with step ``1e-3 * min(grid.spacing)``."""
    step = _FD_RELATIVE_STEP * min(grid.spacing)

    def divergence(s: float, *coords: np.ndarray) -> np.ndarray:
        total = np.zeros(grid.shape)
        for axis in range(grid.ndim):
            for offset, weight in _FD4_STENCIL:
                shifted = list(coords)
                shifted[axis] = coords[axis] + offset * step
                v = velocity(s, *_wrap(shifted, grid))
                total += weight * components(v, grid, "velocity")[axis]
        return total / (12.0 * step)

    return divergence


def _wrap(coords: Sequence[np.ndarray], grid: Grid) -> list[np.ndarray]:
    """Map coordinates on periodic axes into ``[lo, hi)``; leave walled axes alone."""
    return [
        lo + np.mod(x - lo, hi - lo) if periodic else x
        for x, (lo, hi), periodic in zip(coords, grid.bounds, grid.periodic, strict=True)
    ]
