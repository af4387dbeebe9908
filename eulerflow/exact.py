"""Closed-form and reference solutions of the continuity equation, as cell averages.

Everything here is plain NumPy (and :func:`scipy.linalg.expm`) and is meant as an oracle for the
solvers, the notebooks and the users: the results are cell averages on a
:class:`~eulerflow.grid.Grid`, like every density in eulerflow, computed by tensor-product
Gauss-Legendre quadrature (:func:`cell_average`).

The solutions rest on the push-forward theorem (seed notes, section 1.3): if ``X(t, x)`` is the flow
of a smooth velocity, ``d/dt X(t, x) = v(t, X(t, x))`` with ``X(0, x) = x``, then
``rho(t) = X(t, .) # rho0`` is the unique solution of

    d_t rho + div(rho v) = 0,    rho(0) = rho0,

and ``rho(t, X(t, x)) det DX(t, x) = rho0(x)``. Along a characteristic
``d/dt log rho(t, X(t, x)) = -div v(t, X(t, x))``, which :func:`characteristics_solution` integrates
for any smooth velocity; linear velocities ``v = A x + b`` transport Gaussians to Gaussians
(:func:`linear_flow_gaussian`), and translations and rotations have closed forms.

The last section concerns the Hamilton-Jacobi equation ``d_t phi + |grad phi|^2 / 2 = 0`` of the
optimal-transport potential (seed notes, section 3): :func:`hopf_lax` evaluates the Hopf-Lax
formula exactly on a grid (its one-dimensional sweeps are a Numba kernel, compiled on first use),
and :func:`hj_linear_solution` and :func:`hj_quadratic_solution` are closed forms.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from eulerflow.grid import Grid

__all__ = [
    "cell_average",
    "characteristics_solution",
    "gaussian_density",
    "gaussian_push_forward",
    "hj_linear_solution",
    "hj_quadratic_solution",
    "hopf_lax",
    "linear_flow_gaussian",
    "linear_flow_map",
    "rotation_solution",
    "translation_solution",
]

Field = Callable[..., ArrayLike]

# Weights of the fourth-order central difference f'(x) ~ sum_k w_k f(x + k d) / (12 d).
_FD4_STENCIL = ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0))
# Finite-difference step of the divergence, relative to the smallest grid spacing.
_FD_RELATIVE_STEP = 1e-3


# -- quadrature ------------------------------------------------------------------------------------
def cell_average(f: Field, grid: Grid, quadrature: int = 3) -> np.ndarray:
    """Average of ``f`` over every cell of ``grid``, by Gauss-Legendre quadrature.

    With ``q = quadrature`` Gauss-Legendre nodes ``xi_k`` and weights ``w_k`` on ``[-1, 1]``, the
    average over the cell with centre ``c`` and widths ``h`` is

        (1 / |cell|) int_cell f  ~  sum_{k_1..k_d} prod_a (w_{k_a} / 2)
                                    f(c_1 + h_1 xi_{k_1} / 2, ..., c_d + h_d xi_{k_d} / 2).

    The rule is exact when ``f`` is a polynomial of degree at most ``2 q - 1`` in each coordinate;
    for smooth ``f`` the error is ``O(h^(2 q))``. ``quadrature=1`` gives the value at the centre.

    Parameters
    ----------
    f : callable
        Vectorised function ``f(*coords)`` of the ``ndim`` coordinates. It is called once per
        quadrature node (``q ** ndim`` calls) with broadcastable coordinate arrays shaped like
        :attr:`Grid.centers`; its result must broadcast to ``grid.shape``.
    grid : Grid
        The grid.
    quadrature : int, default 3
        Number of Gauss-Legendre points per axis, at least 1.

    Returns
    -------
    numpy.ndarray
        Cell averages, float64 array of shape ``grid.shape``.
    """
    _check_callable(f, "f")
    _check_grid(grid)
    q = _check_positive_int(quadrature, "quadrature")
    points, weights = np.polynomial.legendre.leggauss(q)
    axis_nodes = [
        [center + 0.5 * h * xi for xi in points]
        for center, h in zip(grid.centers, grid.spacing, strict=True)
    ]
    total = np.zeros(grid.shape)
    for node in itertools.product(range(q), repeat=grid.ndim):
        coords = [axis_nodes[a][k] for a, k in enumerate(node)]
        weight = math.prod(0.5 * weights[k] for k in node)
        total += weight * _as_field(f(*coords), grid.shape, "f")
    return total


# -- Gaussians and linear flows --------------------------------------------------------------------
def gaussian_density(
    grid: Grid, mean: ArrayLike, cov: ArrayLike, quadrature: int = 3
) -> np.ndarray:
    """Cell averages of the normal density ``N(mean, cov)``.

    The density is

        p(x) = (2 pi)^(-d/2) det(cov)^(-1/2) exp(-(x - mean)^T cov^(-1) (x - mean) / 2),

    averaged over each cell by :func:`cell_average`. It is not renormalised on the box, so the
    total mass ``grid.integrate(rho)`` is 1 minus the Gaussian mass outside the box (and the
    quadrature error).

    Parameters
    ----------
    grid : Grid
        The grid; ``d = grid.ndim``.
    mean : array_like, shape (d,)
        Mean (a scalar is accepted on a 1D grid).
    cov : array_like, shape (d, d), or scalar
        Symmetric positive definite covariance; a scalar ``s`` means ``s * I``.
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`cell_average`).

    Returns
    -------
    numpy.ndarray
        Cell averages of shape ``grid.shape``.

    Raises
    ------
    ValueError
        If ``mean`` or ``cov`` has the wrong shape, or ``cov`` is not symmetric positive definite.
    """
    _check_grid(grid)
    mean = _as_vector(mean, grid.ndim, "mean")
    _, chol = _as_covariance(cov, grid.ndim)
    return cell_average(_gaussian_pdf(mean, chol), grid, quadrature)


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
    A = _as_square_matrix(A, "A")
    d = A.shape[0]
    b = _as_vector(b, d, "b")
    t = _check_time(t, "t")
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
    mean = _as_vector(mean, d, "mean")
    cov, _ = _as_covariance(cov, d)
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
    _check_grid(grid)
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
    _check_callable(rho0, "rho0")
    _check_callable(velocity, "velocity")
    if divergence is not None:
        _check_callable(divergence, "divergence")
    _check_grid(grid)
    t = _check_time(t, "t", nonnegative=True)
    n_steps = _check_positive_int(n_steps, "n_steps")
    if t == 0:
        return cell_average(rho0, grid, quadrature)
    if divergence is None:
        divergence = _central_divergence(velocity, grid)
    rhs = _characteristic_rhs(velocity, divergence, grid)

    def rho_t(*coords: np.ndarray) -> np.ndarray:
        start = [np.broadcast_to(x, grid.shape) for x in coords] + [np.zeros(grid.shape)]
        *foot, log_jacobian = _rk4_backward(rhs, start, t, n_steps)
        return _as_field(rho0(*_wrap(foot, grid)), grid.shape, "rho0") * np.exp(log_jacobian)

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
    _check_callable(rho0, "rho0")
    _check_grid(grid)
    c = _as_vector(shift_velocity, grid.ndim, "shift_velocity")
    t = _check_time(t, "t")

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
    _check_callable(rho0, "rho0")
    _check_grid(grid)
    if grid.ndim != 2:
        raise ValueError(f"rotation_solution needs a 2D grid, got a {grid.ndim}D grid")
    cx, cy = _as_vector(center, 2, "center")
    angle = -_check_time(omega, "omega") * _check_time(t, "t")
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
        v = _components(velocity(s, *position), grid, "velocity")
        return [*v, _as_field(divergence(s, *position), grid.shape, "divergence")]

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
                total += weight * _components(v, grid, "velocity")[axis]
        return total / (12.0 * step)

    return divergence


def _wrap(coords: Sequence[np.ndarray], grid: Grid) -> list[np.ndarray]:
    """Map coordinates on periodic axes into ``[lo, hi)``; leave walled axes alone."""
    return [
        lo + np.mod(x - lo, hi - lo) if periodic else x
        for x, (lo, hi), periodic in zip(coords, grid.bounds, grid.periodic, strict=True)
    ]


def _gaussian_pdf(mean: np.ndarray, chol: np.ndarray) -> Callable[..., np.ndarray]:
    """Normal density with Cholesky factor ``chol`` of the covariance, as ``pdf(*coords)``."""
    d = mean.size
    log_norm = -0.5 * d * math.log(2.0 * math.pi) - float(np.sum(np.log(np.diag(chol))))

    def pdf(*coords: np.ndarray) -> np.ndarray:
        # Whitened coordinates z = chol^{-1} (x - mean), by forward substitution.
        z: list[np.ndarray] = []
        for i in range(d):
            r = coords[i] - mean[i]
            for j in range(i):
                r = r - chol[i, j] * z[j]
            z.append(r / chol[i, i])
        return np.exp(log_norm - 0.5 * sum(zi * zi for zi in z))

    return pdf


# -- helpers: validation ---------------------------------------------------------------------------
def _check_grid(grid) -> None:
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be an eulerflow Grid, got {type(grid).__name__}")


def _check_callable(f, name: str) -> None:
    if not callable(f):
        raise TypeError(f"{name} must be a callable, got {type(f).__name__}")


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _check_time(value, name: str, nonnegative: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(value) or (nonnegative and value < 0):
        need = "finite and >= 0" if nonnegative else "finite"
        raise ValueError(f"{name} must be {need}, got {value!r}")
    return value


def _as_vector(value, d: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if d == 1 and arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},) (one entry per axis), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def _as_square_matrix(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _as_covariance(cov, d: int) -> tuple[np.ndarray, np.ndarray]:
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


def _as_field(values, shape: tuple[int, ...], name: str) -> np.ndarray:
    """``values`` as a float64 array broadcast to ``shape``."""
    arr = np.asarray(values, dtype=float)
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} returned an array of shape {arr.shape}, which does not broadcast to the "
            f"grid shape {shape}"
        ) from None


def _components(values, grid: Grid, name: str) -> list[np.ndarray]:
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
    return [_as_field(v, grid.shape, name) for v in components]


# ==================================================================================================
# Hamilton-Jacobi equation d_t phi + |grad phi|^2 / 2 = 0: Hopf-Lax formula and closed forms
# ==================================================================================================
#
# The potential of the optimal (Benamou-Brenier) velocity v = grad phi solves the Hamilton-Jacobi
# equation d_t phi + |grad phi|^2 / 2 = 0 (seed notes, section 3). Its viscosity solution is the
# Hopf-Lax formula phi(t, x) = min_y phi0(y) + |x - y|^2 / (2 t). `hopf_lax` evaluates it exactly
# on a grid, with the minimum over the cell centres; `hj_linear_solution` and
# `hj_quadratic_solution` are smooth closed forms on R^d.


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
    minimum up to a few units of round-off of the data. The sweeps run in a Numba kernel, in
    parallel over the lines.

    Periodic axes: for given ``i`` and ``j`` only the image of ``y_j`` nearest to ``x_i`` can
    win, and it lies at most half a box length away: ``|i - j| <= n / 2`` in index units, with
    ``j`` now the position of the image. Moreover a minimiser never pays more than the candidate
    ``y = x`` saves: ``c (i - j)^2 <= f_i - min f <= max f - min f = R``, that is
    ``|x - y|^2 / (2 t) <= R``, so ``|i - j| <= sqrt(R / c)``. Each line (``R`` its range) is
    therefore extended periodically by ``P = min(floor(sqrt(R / c)) + 1, floor(n / 2))`` values on
    each side (the ``+ 1`` guards against round-off in the square root) and the envelope is run
    over those ``n + 2 P`` points: every minimiser is among them, so the periodic result is
    exact, and at most two copies of the line are ever built (fewer for small ``t``).
    """
    _check_grid(grid)
    phi = _as_grid_values(phi0, grid, "phi0")
    t = _check_time(t, "t", nonnegative=True)
    if t == 0:
        return phi
    for axis, (h, periodic) in enumerate(zip(grid.spacing, grid.periodic, strict=True)):
        phi = _min_plus_axis(phi, axis, h * h / (2.0 * t), periodic)
    return np.ascontiguousarray(phi)


def hj_linear_solution(grid: Grid, slope: ArrayLike, t: float, offset: float = 0.0) -> np.ndarray:
    """Solution of ``d_t phi + |grad phi|^2 / 2 = 0`` for the linear datum ``s . x + offset``.

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
    _check_grid(grid)
    s = _as_vector(slope, grid.ndim, "slope")
    t = _check_time(t, "t", nonnegative=True)
    offset = _check_time(offset, "offset")
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
    _check_grid(grid)
    d = grid.ndim
    Q = _as_symmetric_matrix(Q, d, "Q")
    t = _check_time(t, "t", nonnegative=True)
    c = _as_vector(np.broadcast_to(center, (d,)) if np.ndim(center) == 0 else center, d, "center")
    offset = _check_time(offset, "offset")
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
    lines = np.ascontiguousarray(np.moveaxis(values, axis, -1))
    out = np.empty_like(lines)
    _min_plus_kernel()(lines.reshape(-1, n), c, periodic, out.reshape(-1, n))
    return np.moveaxis(out, -1, axis)


@functools.cache
def _min_plus_kernel():
    """The Numba kernel of :func:`hopf_lax`, compiled (or loaded from the disk cache) on first use.

    Numba is imported here, not at the top of the module, so that ``import eulerflow`` stays
    light.
    """
    from numba import njit, prange

    @njit(parallel=True, cache=True, nogil=True)
    def min_plus_lines(f, c, periodic, out):
        """``out[l, i] = min_j f[l, j] + c (i - j)^2`` for every line ``l`` (see hopf_lax)."""
        n_lines, n = f.shape
        for line in prange(n_lines):
            row = f[line]
            pad = 0
            if periodic:
                lo = row[0]
                hi = row[0]
                for j in range(1, n):
                    lo = min(lo, row[j])
                    hi = max(hi, row[j])
                spread = hi - lo
                # A minimiser is the image nearest to i (|i - j| <= n / 2) and has
                # c (i - j)^2 <= spread.
                half = n // 2
                if spread >= c * half * half:
                    pad = half
                else:
                    pad = min(int(np.sqrt(spread / c)) + 1, half)
            m = n + 2 * pad
            g = np.empty(m)
            for q in range(m):
                g[q] = row[(q - pad + n) % n]
            # Lower envelope: parabola v[k] is lowest on [z[k], z[k + 1]].
            v = np.empty(m, dtype=np.int64)
            z = np.empty(m + 1)
            k = 0
            v[0] = 0
            z[0] = -np.inf
            z[1] = np.inf
            for q in range(1, m):
                gq = g[q]
                while True:
                    r = v[k]
                    s = (gq - g[r]) / (2.0 * c * (q - r)) + 0.5 * (q + r)
                    if s > z[k] or k == 0:
                        break
                    k -= 1
                if s > z[k]:
                    k += 1
                    z[k] = s
                # else k == 0 and s == -inf: parabola q is below v[0] everywhere and replaces it.
                v[k] = q
                z[k + 1] = np.inf
            k = 0
            for i in range(n):
                p = i + pad
                while z[k + 1] < p:
                    k += 1
                dist = p - v[k]
                out[line, i] = g[v[k]] + c * dist * dist

    return min_plus_lines


def _as_grid_values(values, grid: Grid, name: str) -> np.ndarray:
    """A finite float64 copy of ``values``, which must have shape ``grid.shape``."""
    if np.iscomplexobj(values):
        raise TypeError(f"{name} must be real, got a complex array")
    arr = np.array(values, dtype=float)
    grid.check_field(arr, name)
    bad = np.count_nonzero(~np.isfinite(arr))
    if bad:
        raise ValueError(f"{name} must be finite, but {bad} of its {arr.size} values are not")
    return arr


def _as_symmetric_matrix(value, d: int, name: str) -> np.ndarray:
    """A symmetric (d, d) matrix (a scalar ``q`` means ``q I``), symmetrised."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = arr * np.eye(d)
    arr = _as_square_matrix(arr, name)
    if arr.shape != (d, d):
        raise ValueError(f"{name} must be a scalar or a ({d}, {d}) matrix, got shape {arr.shape}")
    if np.max(np.abs(arr - arr.T)) > 1e-10 * np.max(np.abs(arr)):
        raise ValueError(f"{name} must be symmetric; pass 0.5 * ({name} + {name}.T)")
    return 0.5 * (arr + arr.T)
