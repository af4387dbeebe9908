"""Exact quadratic Wasserstein distances, geodesics and closed-form transport pairs.

Reference values for the Benamou-Brenier solver, for the
quadratic cost ``W2^2(rho0, rho1) = min_T int |T(x) - x|^2 rho0(x) dx`` over maps ``T`` pushing
``rho0`` to ``rho1``:

- Gaussians (:func:`gaussian_w2_squared`, :func:`gaussian_optimal_map`, :func:`gaussian_geodesic`
  and the density, velocity and potential along the geodesic): the Bures formula and McCann's
  displacement interpolation, both in closed form;
- one dimension (:func:`w2_squared_1d`, :func:`w2_geodesic_1d`): the quantile formula
  ``W2^2 = int_0^1 |F0^{-1}(s) - F1^{-1}(s)|^2 ds``, evaluated exactly for the piecewise-constant
  densities that cell averages represent;
- closed-form pairs as cell averages with their exact ``W2^2`` (:func:`translation_pair`,
  :func:`disk_dilation_pair`, :func:`linear_to_uniform_pair`), returned as a
  :class:`TransportPair`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ..grid import Grid
from ._validation import as_grid_values, as_vector, check_grid, check_time, positive_int
from .quadrature import cell_average, gaussian_density

# Relative tolerance of the equal-mass check of the 1D quantile formula.
_MASS_RTOL = 1e-9


# -- Gaussians: the Bures formula and McCann's interpolation --------------------------------------
def gaussian_w2_squared(
    mean0: ArrayLike, cov0: ArrayLike, mean1: ArrayLike, cov1: ArrayLike
) -> float:
    """Squared quadratic Wasserstein distance between two normal distributions (Bures formula).

    For ``N(m0, S0)`` and ``N(m1, S1)`` on ``R^d``,

        W2^2 = |m0 - m1|^2 + tr(S0 + S1 - 2 (S0^(1/2) S1 S0^(1/2))^(1/2)).

    The symmetric square roots are taken through ``numpy.linalg.eigh`` (eigenvalues clipped at 0
    against round-off), so singular (positive semidefinite) covariances are accepted; the result
    is clipped at 0. In 1D it reduces to ``(m0 - m1)^2 + (s0 - s1)^2`` with ``s = sqrt(variance)``.
    Its absolute round-off is about ``1e-16 (tr S0 + tr S1)``.

    Parameters
    ----------
    mean0, mean1 : array_like, shape (d,), or scalar when d = 1
        Means.
    cov0, cov1 : array_like, shape (d, d), or scalar
        Symmetric positive semidefinite covariances (a scalar ``s`` means ``s * I``; in 1D the
        variance).

    Returns
    -------
    float
        ``W2^2``.

    Examples
    --------
    In 1D, ``(m0 - m1)^2 + (s0 - s1)^2``; between equal covariances, the squared shift:

    >>> import numpy as np, eulerflow as ef
    >>> ef.exact.gaussian_w2_squared(0.0, 1.0, 3.0, 4.0)  # 3^2 + (1 - 2)^2
    10.0
    >>> S = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> round(ef.exact.gaussian_w2_squared([0, 0], S, [3, 4], S), 12)
    25.0
    """
    m0, s0, m1, s1 = _gaussian_pair(mean0, cov0, mean1, cov1, definite=False)
    root0 = _sqrtm_psd(s0)
    cross = _eigvalsh_psd(root0 @ s1 @ root0)
    bures = np.trace(s0) + np.trace(s1) - 2.0 * float(np.sum(np.sqrt(cross)))
    return float(np.sum((m0 - m1) ** 2) + max(bures, 0.0))


def gaussian_w2(mean0: ArrayLike, cov0: ArrayLike, mean1: ArrayLike, cov1: ArrayLike) -> float:
    """Quadratic Wasserstein distance ``W2`` between two normal distributions.

    The square root of :func:`gaussian_w2_squared` (see there for the formula and arguments).

    Parameters
    ----------
    mean0 : array_like, shape (d,), or scalar when d = 1
        Mean of the first normal distribution.
    cov0 : array_like, shape (d, d), or scalar
        Its symmetric positive semidefinite covariance (a scalar ``s`` means ``s * I``; in 1D
        the variance).
    mean1 : array_like, shape (d,), or scalar when d = 1
        Mean of the second normal distribution.
    cov1 : array_like, shape (d, d), or scalar
        Its symmetric positive semidefinite covariance, as ``cov0``.

    Returns
    -------
    float
        ``W2 >= 0``, in the units of the means.
    """
    return math.sqrt(gaussian_w2_squared(mean0, cov0, mean1, cov1))


def gaussian_optimal_map(
    mean0: ArrayLike, cov0: ArrayLike, mean1: ArrayLike, cov1: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal (Brenier) map ``T(x) = A x + c`` from ``N(m0, S0)`` to ``N(m1, S1)``.

    ``T(x) = m1 + A (x - m0)`` with the symmetric positive definite matrix

        A = S0^(-1/2) (S0^(1/2) S1 S0^(1/2))^(1/2) S0^(-1/2),

    the unique symmetric positive solution of ``A S0 A = S1``; ``T`` is the gradient of the convex
    function ``(x - m0)^T A (x - m0) / 2 + m1 . x``, hence optimal (Brenier's theorem), and
    ``int |T(x) - x|^2 dN(m0, S0) = |m1 - m0|^2 + tr((A - I) S0 (A - I))`` equals
    :func:`gaussian_w2_squared`.

    Parameters
    ----------
    mean0, mean1 : array_like, shape (d,), or scalar when d = 1
        Means.
    cov0, cov1 : array_like, shape (d, d), or scalar
        Covariances: ``cov0`` positive definite, ``cov1`` positive semidefinite.

    Returns
    -------
    A : numpy.ndarray, shape (d, d)
        The symmetric matrix of the map.
    c : numpy.ndarray, shape (d,)
        The offset ``m1 - A m0``.
    """
    m0, s0, m1, s1 = _gaussian_pair(mean0, cov0, mean1, cov1, definite=True)
    A = _map_matrix(s0, s1)
    return A, m1 - A @ m0


def gaussian_geodesic(
    mean0: ArrayLike, cov0: ArrayLike, mean1: ArrayLike, cov1: ArrayLike, t: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of McCann's displacement interpolation between two Gaussians.

    With the optimal map ``T(x) = m1 + A (x - m0)`` (:func:`gaussian_optimal_map`), the
    Wasserstein geodesic is ``rho_t = ((1 - t) id + t T) # rho0``, the normal distribution with

        mean_t = (1 - t) m0 + t m1,    cov_t = M_t S0 M_t,    M_t = (1 - t) I + t A.

    It has constant speed: ``W2(rho_s, rho_t) = |t - s| W2(rho0, rho1)``.

    Parameters
    ----------
    mean0, cov0, mean1, cov1
        As in :func:`gaussian_optimal_map` (``cov0`` positive definite).
    t : float
        Time in ``[0, 1]``.

    Returns
    -------
    mean_t : numpy.ndarray, shape (d,)
    cov_t : numpy.ndarray, shape (d, d)
    """
    m0, s0, m1, s1 = _gaussian_pair(mean0, cov0, mean1, cov1, definite=True)
    t = _unit_time(t)
    M = (1.0 - t) * np.eye(m0.size) + t * _map_matrix(s0, s1)
    cov = M @ s0 @ M
    return (1.0 - t) * m0 + t * m1, 0.5 * (cov + cov.T)


def gaussian_geodesic_density(
    grid: Grid,
    mean0: ArrayLike,
    cov0: ArrayLike,
    mean1: ArrayLike,
    cov1: ArrayLike,
    t: float,
    quadrature: int = 3,
) -> np.ndarray:
    """Cell averages of the Gaussian ``rho_t`` of :func:`gaussian_geodesic` on ``grid``.

    Computed by :func:`eulerflow.exact.gaussian_density`; like there, the density is not
    renormalised on the box (its mass is 1 minus the Gaussian mass outside the box).
    ``cov_t`` must be positive definite, which holds for ``t < 1`` and, at ``t = 1``, when
    ``cov1`` is.

    Parameters
    ----------
    grid : Grid
        The grid; ``grid.ndim`` must equal the dimension ``d`` of the Gaussians.
    mean0 : array_like, shape (d,), or scalar when d = 1
        Mean of ``rho0``.
    cov0 : array_like, shape (d, d), or scalar
        Symmetric positive definite covariance of ``rho0`` (a scalar ``s`` means ``s * I``).
    mean1 : array_like, shape (d,), or scalar when d = 1
        Mean of ``rho1``.
    cov1 : array_like, shape (d, d), or scalar
        Symmetric positive semidefinite covariance of ``rho1``.
    t : float
        Time in ``[0, 1]``.
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`~eulerflow.exact.cell_average`).

    Returns
    -------
    numpy.ndarray
        Cell averages of ``rho_t``, shape ``grid.shape``.
    """
    check_grid(grid)
    mean_t, cov_t = gaussian_geodesic(mean0, cov0, mean1, cov1, t)
    _check_dimension(mean_t.size, grid)
    return gaussian_density(grid, mean_t, cov_t, quadrature)


def gaussian_geodesic_velocity(
    grid: Grid,
    mean0: ArrayLike,
    cov0: ArrayLike,
    mean1: ArrayLike,
    cov1: ArrayLike,
    t: float,
    coords: tuple[ArrayLike, ...] | None = None,
) -> tuple[np.ndarray, ...]:
    """Eulerian velocity of the Gaussian geodesic, ``v(t, y) = K_t (y - mean_t) + (m1 - m0)``.

    Particles move on straight lines ``y = T_t(x) = x + t (T(x) - x)`` at the constant velocity
    ``v(t, T_t(x)) = T(x) - x``. With ``B = A - I`` and ``M_t = (1 - t) I + t A``,
    ``T(x) - x = B (x - m0) + (m1 - m0)`` and ``x - m0 = M_t^(-1) (y - mean_t)``, so

        v(t, y) = K_t (y - mean_t) + (m1 - m0),    K_t = (A - I) ((1 - t) I + t A)^(-1),

    a symmetric matrix (``A`` and ``M_t`` commute). ``v = grad phi`` with ``phi`` from
    :func:`gaussian_geodesic_potential`.

    Parameters
    ----------
    grid : Grid
        Supplies the dimension and, unless ``coords`` is given, the points (cell centres).
    mean0, cov0, mean1, cov1, t
        As in :func:`gaussian_geodesic`.
    coords : tuple of array_like, optional
        ``d`` broadcastable coordinate arrays (e.g. ``grid.face_centers(a)``); default
        ``grid.centers``.

    Returns
    -------
    tuple of numpy.ndarray
        The ``d`` components, each of the broadcast shape of ``coords``.
    """
    K, mean_t, b, points = _geodesic_field(grid, mean0, cov0, mean1, cov1, t, coords)
    dy = [p - mt for p, mt in zip(points, mean_t, strict=True)]
    return tuple(sum(K[a, j] * dy[j] for j in range(len(dy))) + b[a] for a in range(len(dy)))


def gaussian_geodesic_potential(
    grid: Grid,
    mean0: ArrayLike,
    cov0: ArrayLike,
    mean1: ArrayLike,
    cov1: ArrayLike,
    t: float,
    coords: tuple[ArrayLike, ...] | None = None,
) -> np.ndarray:
    """Potential ``phi(t, y)`` of the Gaussian geodesic: ``v = grad phi``, Hamilton-Jacobi holds.

    With ``b = m1 - m0`` and ``K_t`` as in :func:`gaussian_geodesic_velocity`,

        phi(t, y) = (y - mean_t)^T K_t (y - mean_t) / 2 + b . y - t |b|^2 / 2.

    Derivation: ``grad phi = K_t (y - mean_t) + b = v``; since ``d K_t / dt = -K_t^2`` and
    ``d mean_t / dt = b``, ``d_t phi = -(y - mean_t)^T K_t^2 (y - mean_t) / 2
    - (y - mean_t)^T K_t b - |b|^2 / 2 = -|grad phi|^2 / 2``, so

        d_t phi + |grad phi|^2 / 2 = 0    for t in [0, 1],

    with ``phi(0, x) = (x - m0)^T (A - I) (x - m0) / 2 + b . x``, the Brenier potential minus
    ``|x|^2 / 2``. It is the dual variable of the Benamou-Brenier problem, unique up to an
    additive constant.

    Parameters
    ----------
    grid : Grid
        Supplies the dimension (``grid.ndim`` must equal ``d``) and, unless ``coords`` is given,
        the points (cell centres).
    mean0 : array_like, shape (d,), or scalar when d = 1
        Mean of ``rho0``.
    cov0 : array_like, shape (d, d), or scalar
        Symmetric positive definite covariance of ``rho0`` (a scalar ``s`` means ``s * I``).
    mean1 : array_like, shape (d,), or scalar when d = 1
        Mean of ``rho1``.
    cov1 : array_like, shape (d, d), or scalar
        Symmetric positive semidefinite covariance of ``rho1``.
    t : float
        Time in ``[0, 1]``.
    coords : tuple of array_like, optional
        ``d`` broadcastable coordinate arrays (e.g. ``grid.face_centers(a)``); default
        ``grid.centers``.

    Returns
    -------
    numpy.ndarray
        ``phi(t, y)`` at the points, of the broadcast shape of ``coords`` (``grid.shape`` by
        default).
    """
    K, mean_t, b, points = _geodesic_field(grid, mean0, cov0, mean1, cov1, t, coords)
    t = _unit_time(t)
    dy = [p - mt for p, mt in zip(points, mean_t, strict=True)]
    d = len(dy)
    phi = -0.5 * t * float(b @ b) + sum(b[a] * points[a] for a in range(d))
    for a in range(d):
        phi = phi + 0.5 * K[a, a] * dy[a] * dy[a]
        for j in range(a + 1, d):
            phi = phi + K[a, j] * dy[a] * dy[j]
    return np.asarray(np.broadcast_to(phi, np.broadcast_shapes(*(p.shape for p in points))))


# -- one dimension: the quantile formula ----------------------------------------------------------
def w2_squared_1d(rho0: ArrayLike, rho1: ArrayLike, grid: Grid, normalize: bool = False) -> float:
    """Exact ``W2^2`` between two piecewise-constant densities on a 1D grid (quantile formula).

    Each density is constant on every cell (its cell average). On the line,

        W2^2 = M int_0^1 |Q0(s) - Q1(s)|^2 ds,

    with ``M`` the common mass and ``Q = F^(-1)`` the quantile functions of the normalised
    densities. ``F`` is piecewise linear, so ``Q`` is piecewise linear in ``s`` between the
    breakpoints ``F(x_j)`` (cell faces ``x_j``); a cell of zero density is a flat piece of ``F``,
    where ``Q`` jumps. On every interval between consecutive breakpoints of either CDF both
    quantiles are linear, the integrand is a quadratic in ``s`` and Simpson's rule integrates it
    exactly; the result is exact up to round-off.

    Parameters
    ----------
    rho0, rho1 : array_like, shape grid.shape
        Non-negative finite cell averages with positive and equal masses
        ``grid.integrate(rho)`` (relative tolerance 1e-9).
    grid : Grid
        A 1D grid with walls (the formula is the one of the line, not of the circle).
    normalize : bool, default False
        Rescale both densities to unit mass first (then the masses may differ).

    Returns
    -------
    float
        ``W2^2`` (for unit masses, or ``M`` times that of the normalised densities).

    Raises
    ------
    ValueError
        On a grid that is not 1D or is periodic, negative or non-finite values, zero mass, or
        unequal masses without ``normalize=True`` (the message gives both masses).
    """
    faces, F0, F1, mass = _cdfs_1d(rho0, rho1, grid, normalize, "w2_squared_1d")
    s = np.unique(np.concatenate([F0, F1]))
    a, b = s[:-1], s[1:]
    mid = 0.5 * (a + b)
    diffs = [_quantile(F0, faces, mid, u) - _quantile(F1, faces, mid, u) for u in (a, mid, b)]
    integral = np.sum((b - a) * (diffs[0] ** 2 + 4.0 * diffs[1] ** 2 + diffs[2] ** 2)) / 6.0
    return float(mass * integral)


def w2_geodesic_1d(
    rho0: ArrayLike, rho1: ArrayLike, grid: Grid, t: float, normalize: bool = False
) -> np.ndarray:
    """Cell averages of the exact 1D Wasserstein geodesic between piecewise-constant densities.

    McCann's interpolation on the line is ``Q_t = (1 - t) Q0 + t Q1`` for the quantile functions
    (see :func:`w2_squared_1d`). ``Q_t`` is piecewise linear in ``s`` and non-decreasing, so the
    CDF of ``rho_t`` at every cell face is read off exactly by inverting it (linear interpolation
    between its breakpoints, flat across its jumps); the cell averages are the differences of
    that CDF divided by the cell width. ``rho_t`` itself is piecewise constant on the images of
    the breakpoint intervals, not on the cells, so only its cell averages are exact.

    Parameters
    ----------
    rho0, rho1, grid, normalize
        As in :func:`w2_squared_1d`.
    t : float
        Time in ``[0, 1]``; ``t = 0`` and ``t = 1`` return ``rho0`` and ``rho1`` (up to
        round-off and the normalisation).

    Returns
    -------
    numpy.ndarray
        Cell averages of ``rho_t``, shape ``grid.shape``, with the mass of the inputs (1 with
        ``normalize=True``).
    """
    faces, F0, F1, mass = _cdfs_1d(rho0, rho1, grid, normalize, "w2_geodesic_1d")
    t = _unit_time(t)
    s = np.unique(np.concatenate([F0, F1]))
    a, b = s[:-1], s[1:]
    mid = 0.5 * (a + b)

    def q_t(u: np.ndarray) -> np.ndarray:
        return (1.0 - t) * _quantile(F0, faces, mid, u) + t * _quantile(F1, faces, mid, u)

    # Breakpoints (Q_t(a_k+), Q_t(b_k-)) interleaved: a non-decreasing sequence of positions with
    # the CDF values (a_k, b_k); a jump of Q_t between b_k- and a_{k+1}+ is a flat piece of F_t.
    positions = np.maximum.accumulate(np.column_stack([q_t(a), q_t(b)]).ravel())
    levels = np.column_stack([a, b]).ravel()
    cdf = np.interp(faces, positions, levels, left=0.0, right=1.0)
    return mass * np.diff(cdf) / grid.spacing[0]


# -- closed-form pairs -----------------------------------------------------------------------------
class TransportPair(NamedTuple):
    """Two densities (cell averages) with the exact ``W2^2`` of the continuous densities.

    Parameters
    ----------
    rho0, rho1 : numpy.ndarray
        Cell averages of the source and target densities on the same grid.
    w2_squared : float
        Exact ``W2^2`` between the continuous densities.
    w2_error_bound : float
        Bound on the discretisation error of ``W2``, see the attribute below.

    Attributes
    ----------
    rho0, rho1 : numpy.ndarray
        Cell averages on the grid, unit mass each.
    w2_squared : float
        ``W2^2`` between the continuous densities that were averaged.
    w2_error_bound : float
        A rigorous bound on ``|W2(rho0_h, rho1_h) - sqrt(w2_squared)|`` where ``rho_h`` are the
        piecewise-constant densities of the cell averages (before quadrature and round-off
        errors): by coupling each cell with itself, ``W2(rho_h, rho) <= diam(cell) sqrt(m)``
        with ``m`` the mass of the cells on which ``rho`` is not constant; 0 when ``rho1_h``
        is an exact translate of ``rho0_h``.
    """

    rho0: np.ndarray
    rho1: np.ndarray
    w2_squared: float
    w2_error_bound: float


def translation_pair(
    grid: Grid,
    shift: ArrayLike,
    center: ArrayLike | None = None,
    radius: float | None = None,
    quadrature: int = 4,
) -> TransportPair:
    """A smooth compactly supported bump and its translate: ``W2^2 = |shift|^2``.

    ``rho0(x) = C (1 - |x - c|^2 / R^2)_+^4`` (``C^3``, normalised to unit mass on ``R^d`` by
    ``C = Gamma(d/2 + 5) / (Gamma(5) pi^(d/2) R^d)``) and ``rho1(x) = rho0(x - s)``. The map
    ``x -> x + s`` is the gradient of the convex ``|x|^2 / 2 + s . x``, hence optimal, and
    ``W2^2 = |s|^2``. Both supports must lie inside the box; on a periodic axis also
    ``2 R + |s_a| <= L_a / 2``, so that the periodic distance equals the Euclidean one between
    any two points of the supports and the closed form still holds.

    The cell averages (Gauss-Legendre, ``quadrature`` points per axis) are divided by their
    discrete mass, so each has mass 1 exactly (a relative correction of about ``1e-8`` on
    ``20^2`` cells). When ``s`` is a whole number of cells along every
    axis, ``rho1_h`` is the exact translate of ``rho0_h`` and ``W2(rho0_h, rho1_h) = |s|``
    exactly (``w2_error_bound`` 0); otherwise the discrete value differs by ``O(h^2)``.

    Parameters
    ----------
    grid : Grid
        The grid (1D, 2D or 3D).
    shift : array_like, shape (d,), or scalar in 1D
        The translation ``s``.
    center : array_like, shape (d,), optional
        Centre ``c`` of ``rho0``; default: the box centre minus ``s / 2``.
    radius : float, optional
        Support radius ``R``; default: 0.9 times the largest admissible radius.
    quadrature : int, default 4
        Gauss-Legendre points per axis.

    Returns
    -------
    TransportPair
    """
    check_grid(grid)
    d = grid.ndim
    s = as_vector(shift, d, "shift")
    lo = np.array([b[0] for b in grid.bounds])
    hi = np.array([b[1] for b in grid.bounds])
    c = (0.5 * (lo + hi) - 0.5 * s) if center is None else as_vector(center, d, "center")
    room = np.minimum(np.minimum(c, c + s) - lo, hi - np.maximum(c, c + s))
    periodic = np.array(grid.periodic)
    room = np.where(periodic, np.minimum(room, (0.5 * (hi - lo) - np.abs(s)) / 2.0), room)
    largest = float(np.min(room))
    R = 0.9 * largest if radius is None else check_time(radius, "radius")
    if not 0.0 < R <= largest * (1.0 + 1e-12):
        raise ValueError(
            f"translation_pair: the supports of radius {R:.6g} around {c.tolist()} and "
            f"{(c + s).tolist()} must fit in the box (and, on periodic axes, "
            f"2 R + |shift_a| <= L_a / 2); the largest admissible radius is {largest:.6g}; "
            "pass a smaller radius or shift"
        )
    q = positive_int(quadrature, "quadrature")
    norm = math.gamma(d / 2 + 5) / (math.gamma(5) * math.pi ** (d / 2) * R**d)

    def bump(centre: np.ndarray):
        def rho(*coords: np.ndarray) -> np.ndarray:
            r2 = sum((x - ca) ** 2 for x, ca in zip(coords, centre, strict=True)) / R**2
            return norm * np.maximum(1.0 - r2, 0.0) ** 4

        return rho

    rho0 = grid.normalize(cell_average(bump(c), grid, q))
    rho1 = grid.normalize(cell_average(bump(c + s), grid, q))
    cells = s / np.array(grid.spacing)
    on_lattice = bool(np.all(np.abs(cells - np.round(cells)) <= 1e-9 * np.maximum(1, cells)))
    if on_lattice:
        bound = 0.0
    else:
        bound = _cell_diameter(grid) * sum(_mass_where(r > 0, r, grid) ** 0.5 for r in (rho0, rho1))
    return TransportPair(rho0, rho1, float(s @ s), bound)


def disk_dilation_pair(
    grid: Grid, r0: float, r1: float, center: ArrayLike | None = None, slices: int = 32
) -> TransportPair:
    """Uniform ball of radius ``r0`` to the uniform ball of radius ``r1`` (same centre).

    The dilation ``x -> c + (r1 / r0) (x - c)`` is the gradient of a convex function, hence
    optimal, and with ``E|X - c|^2 = d r0^2 / (d + 2)`` for ``X`` uniform in a ball of
    ``R^d``,

        W2^2 = (r1 / r0 - 1)^2 E|X - c|^2 = d (r1 - r0)^2 / (d + 2),

    that is ``(r1 - r0)^2 / 3`` for intervals, ``(r1 - r0)^2 / 2`` for disks and
    ``3 (r1 - r0)^2 / 5`` for balls (unit mass each).

    The cell averages of the indicator are exact in 1D (interval overlaps) and 2D (exact area of
    the intersection of the disk with each rectangular cell); in 3D they average the exact
    areas of ``slices`` planar sections per cell (midpoint rule in ``z``, then rescaled to unit
    mass, a relative correction of about ``1e-5`` with the default 32 slices). Caveat: the cell
    averages are not a uniform ball -- the cells cut by the circle carry intermediate values --
    so ``W2`` between them differs from ``sqrt(w2_squared)`` by at most ``w2_error_bound`` =
    ``diam(cell) (sqrt(m0) + sqrt(m1))``, ``m_i`` the mass in the cut cells, which is
    ``O(h^(3/2))``.

    Parameters
    ----------
    grid : Grid
        A 1D, 2D or 3D grid containing both balls.
    r0, r1 : float
        Positive radii.
    center : array_like, shape (d,), optional
        The common centre; default: the box centre.
    slices : int, default 32
        Sections per cell in 3D.

    Returns
    -------
    TransportPair
    """
    check_grid(grid)
    d = grid.ndim
    radii = [check_time(r, name) for r, name in ((r0, "r0"), (r1, "r1"))]
    lo = np.array([b[0] for b in grid.bounds])
    hi = np.array([b[1] for b in grid.bounds])
    c = 0.5 * (lo + hi) if center is None else as_vector(center, d, "center")
    for r, name in zip(radii, ("r0", "r1"), strict=True):
        if (
            r <= 0
            or np.any(c - r < lo - 1e-12 * (hi - lo))
            or np.any(c + r > hi + 1e-12 * (hi - lo))
        ):
            raise ValueError(
                f"disk_dilation_pair: {name} = {r!r} must be positive and the ball of radius "
                f"{name} around {c.tolist()} must lie in the box {list(grid.bounds)}"
            )
    n = positive_int(slices, "slices")
    rhos = [_ball_average(grid, c, r, n) for r in radii]
    if d == 3:
        rhos = [grid.normalize(rho) for rho in rhos]
    bound = _cell_diameter(grid) * sum(
        _mass_where((rho > 0) & (rho < (1.0 - 1e-9) * rho.max()), rho, grid) ** 0.5 for rho in rhos
    )
    w2sq = d * (radii[1] - radii[0]) ** 2 / (d + 2)
    return TransportPair(rhos[0], rhos[1], w2sq, bound)


def linear_to_uniform_pair(grid: Grid, slope: float = 1.0) -> TransportPair:
    """A linear density (product of linear factors) to the uniform density on the box.

    On ``[0, 1]`` take ``rho0(x) = 1 + a (x - 1/2)`` (``|a| <= 2``) and ``rho1 = 1``. The
    optimal map is ``T = F1^(-1) o F0 = F0``, ``F0(x) = x + a (x^2 - x) / 2``, so

        W2^2 = int_0^1 (F0(x) - x)^2 rho0(x) dx = (a^2 / 4) int_0^1 (x - x^2)^2 (1 + a (x - 1/2)) dx
             = (a^2 / 4) (1 / 30) = a^2 / 120,

    the odd part ``a (x - 1/2)`` integrating to zero against the function ``(x - x^2)^2``,
    symmetric about ``1/2``. ``a = 1`` (``rho0 = x + 1/2``) gives ``1/120``; ``a = 2``
    (``rho0 = 2 x``) gives ``1/30``. On a box ``prod_a [lo_a, lo_a + L_a]`` the pair is
    ``rho0 = prod_a (1 + a (x_a - mid_a) / L_a) / L_a`` and ``rho1 = 1 / |box|``; the map acts
    axis by axis (gradient of a separable convex function), so the costs add and scale like
    ``L^2``:

        W2^2 = a^2 sum_a L_a^2 / 120    (1/60 on the unit square with a = 1).

    The cell averages are exact (the midpoint value of a product of linear factors). Walls only:
    on a periodic axis ``rho0`` jumps at the seam and the optimal map on the circle differs.

    Parameters
    ----------
    grid : Grid
        A 1D, 2D or 3D grid with walls on every axis.
    slope : float, default 1
        The slope ``a`` in ``[-2, 2]``.

    Returns
    -------
    TransportPair
    """
    check_grid(grid)
    if any(grid.periodic):
        raise ValueError(
            "linear_to_uniform_pair needs walls on every axis (the closed form is the one of the "
            f"interval), got periodic={grid.periodic}"
        )
    a = check_time(slope, "slope")
    if abs(a) > 2.0:
        raise ValueError(f"slope must lie in [-2, 2] so that rho0 >= 0, got {a!r}")
    rho0 = np.ones(grid.shape)
    for x, (lo, hi) in zip(grid.centers, grid.bounds, strict=True):
        length = hi - lo
        rho0 = rho0 * (1.0 + a * (x - 0.5 * (lo + hi)) / length) / length
    rho1 = np.full(grid.shape, 1.0 / math.prod(grid.lengths))
    w2sq = a * a * sum(length**2 for length in grid.lengths) / 120.0
    bound = _cell_diameter(grid) if a != 0 else 0.0
    return TransportPair(rho0, rho1, w2sq, bound)


# -- helpers ---------------------------------------------------------------------------------------
def _gaussian_pair(mean0, cov0, mean1, cov1, definite: bool):
    m0 = np.atleast_1d(np.asarray(mean0, dtype=float))
    if m0.ndim != 1:
        raise ValueError(f"mean0 must be a vector of shape (d,), got shape {m0.shape}")
    d = m0.size
    m0 = as_vector(m0, d, "mean0")
    m1 = as_vector(mean1, d, "mean1")
    s0 = _covariance(cov0, d, "cov0", definite)
    s1 = _covariance(cov1, d, "cov1", False)
    return m0, s0, m1, s1


def _covariance(cov, d: int, name: str, definite: bool) -> np.ndarray:
    arr = np.asarray(cov, dtype=float)
    if arr.ndim == 0:
        arr = arr * np.eye(d)
    if arr.shape != (d, d):
        raise ValueError(f"{name} must be a scalar or a ({d}, {d}) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    scale = float(np.max(np.abs(arr)))
    if np.max(np.abs(arr - arr.T)) > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric; pass 0.5 * ({name} + {name}.T)")
    arr = 0.5 * (arr + arr.T)
    smallest = float(np.linalg.eigvalsh(arr)[0]) if d else 0.0
    if (definite and smallest <= 0) or smallest < -1e-12 * scale:
        need = "positive definite" if definite else "positive semidefinite"
        raise ValueError(f"{name} must be {need}, but its smallest eigenvalue is {smallest:.3g}")
    return arr


def _eigvalsh_psd(S: np.ndarray) -> np.ndarray:
    return np.maximum(np.linalg.eigvalsh(0.5 * (S + S.T)), 0.0)


def _sqrtm_psd(S: np.ndarray, power: float = 0.5) -> np.ndarray:
    lam, V = np.linalg.eigh(0.5 * (S + S.T))
    return (V * np.maximum(lam, 0.0) ** power) @ V.T


def _map_matrix(s0: np.ndarray, s1: np.ndarray) -> np.ndarray:
    lam, V = np.linalg.eigh(s0)
    root = (V * np.sqrt(lam)) @ V.T
    inv_root = (V / np.sqrt(lam)) @ V.T
    A = inv_root @ _sqrtm_psd(root @ s1 @ root) @ inv_root
    return 0.5 * (A + A.T)


def _unit_time(t) -> float:
    t = check_time(t, "t")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must lie in [0, 1] (the geodesic's time), got {t!r}")
    return t


def _check_dimension(d: int, grid: Grid) -> None:
    if d != grid.ndim:
        raise ValueError(f"the Gaussians live in {d}D but the grid is {grid.ndim}D")


def _geodesic_field(grid, mean0, cov0, mean1, cov1, t, coords):
    check_grid(grid)
    m0, s0, m1, s1 = _gaussian_pair(mean0, cov0, mean1, cov1, definite=True)
    _check_dimension(m0.size, grid)
    t = _unit_time(t)
    lam, V = np.linalg.eigh(_map_matrix(s0, s1))
    K = (V * ((lam - 1.0) / ((1.0 - t) + t * lam))) @ V.T
    if coords is None:
        points = list(grid.centers)
    else:
        points = [np.asarray(p, dtype=float) for p in coords]
        if len(points) != grid.ndim:
            raise ValueError(f"coords must hold {grid.ndim} coordinate arrays, got {len(points)}")
    return 0.5 * (K + K.T), (1.0 - t) * m0 + t * m1, m1 - m0, points


def _cdfs_1d(rho0, rho1, grid: Grid, normalize: bool, caller: str):
    """Faces, normalised CDFs at the faces (last value exactly 1) and the common mass."""
    check_grid(grid)
    if grid.ndim != 1 or grid.periodic[0]:
        raise ValueError(
            f"{caller} needs a 1D grid with walls (the quantile formula holds on the line), got "
            f"{grid!r}"
        )
    cdfs, masses = [], []
    for rho, name in ((rho0, "rho0"), (rho1, "rho1")):
        arr = as_grid_values(rho, grid, name)
        if np.any(arr < 0):
            raise ValueError(f"{name} must be non-negative; its minimum is {arr.min():.3g}")
        total = float(arr.sum())
        if total <= 0:
            raise ValueError(f"{name} has zero mass; W2 needs positive masses")
        cdf = np.concatenate([[0.0], np.minimum(np.cumsum(arr) / total, 1.0)])
        cdf[-1] = 1.0
        cdfs.append(cdf)
        masses.append(total * grid.spacing[0])
    m0, m1 = masses
    if not normalize and abs(m0 - m1) > _MASS_RTOL * max(m0, m1):
        raise ValueError(
            f"{caller}: rho0 and rho1 must have equal masses, got {m0!r} (rho0) and {m1!r} "
            "(rho1); pass normalize=True to rescale both to unit mass"
        )
    mass = 1.0 if normalize else 0.5 * (m0 + m1)
    return grid.axis_faces(0), cdfs[0], cdfs[1], mass


def _quantile(cdf: np.ndarray, faces: np.ndarray, mid: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Quantile function evaluated at ``s`` on the linear piece that contains ``mid``.

    A piece of zero width can only be picked for a sub-interval one ulp long whose midpoint
    rounds onto a breakpoint (next to ``s = 1``); it gets the left face (its contribution is
    below round-off), and the fraction is clipped to ``[0, 1]`` against the same rounding.
    """
    i = np.clip(np.searchsorted(cdf, mid, side="right") - 1, 0, cdf.size - 2)
    width = cdf[i + 1] - cdf[i]
    positive = width > 0
    fraction = np.divide(s - cdf[i], width, out=np.zeros_like(mid), where=positive)
    return faces[i] + (faces[i + 1] - faces[i]) * np.clip(fraction, 0.0, 1.0)


def _cell_diameter(grid: Grid) -> float:
    return math.sqrt(sum(h * h for h in grid.spacing))


def _mass_where(mask: np.ndarray, rho: np.ndarray, grid: Grid) -> float:
    return float(np.sum(rho[mask]) * grid.cell_volume)


def _ball_average(grid: Grid, c: np.ndarray, r: float, slices: int) -> np.ndarray:
    """Cell averages of the uniform unit-mass ball density of radius ``r`` around ``c``."""
    d = grid.ndim
    volume = math.pi ** (d / 2) / math.gamma(d / 2 + 1) * r**d
    faces = [grid.axis_faces(a) - c[a] for a in range(d)]
    if d == 1:
        fraction = np.diff(np.clip(faces[0], -r, r)) / grid.spacing[0]
    elif d == 2:
        fraction = _disk_rectangle_areas(faces[0], faces[1], r) / grid.cell_volume
    else:
        hz = grid.spacing[2]
        zc = grid.axis_centers(2) - c[2]
        fraction = np.zeros(grid.shape)
        for k in range(slices):
            z = zc - 0.5 * hz + (k + 0.5) * hz / slices
            rz = np.sqrt(np.maximum(r * r - z * z, 0.0))
            areas = np.stack([_disk_rectangle_areas(faces[0], faces[1], rho) for rho in rz], -1)
            fraction += areas / (grid.spacing[0] * grid.spacing[1] * slices)
    return fraction / volume


def _disk_rectangle_areas(xf: np.ndarray, yf: np.ndarray, r: float) -> np.ndarray:
    """Exact areas of ``{x^2 + y^2 <= r^2}`` intersected with the cells between the faces.

    By inclusion-exclusion over the signed corner function ``G(x, y) = sign(x) sign(y)
    F(|x|, |y|)``, ``F(x, y)`` the area of the disk in the rectangle ``[0, x] x [0, y]``.
    """
    if r <= 0:
        return np.zeros((xf.size - 1, yf.size - 1))
    X, Y = np.meshgrid(xf, yf, indexing="ij")
    G = np.sign(X) * np.sign(Y) * _quarter_disk_area(np.abs(X), np.abs(Y), r)
    areas = G[1:, 1:] - G[:-1, 1:] - G[1:, :-1] + G[:-1, :-1]
    # Cells entirely inside or outside the disk get their exact areas, free of round-off.
    x0, x1 = xf[:-1, None], xf[1:, None]
    y0, y1 = yf[None, :-1], yf[None, 1:]
    near = np.maximum(np.maximum(x0, -x1), 0.0) ** 2 + np.maximum(np.maximum(y0, -y1), 0.0) ** 2
    far = np.maximum(np.abs(x0), np.abs(x1)) ** 2 + np.maximum(np.abs(y0), np.abs(y1)) ** 2
    full = (x1 - x0) * (y1 - y0)
    areas = np.where(far <= r * r, full, np.clip(areas, 0.0, full))
    return np.where(near >= r * r, 0.0, areas)


def _quarter_disk_area(x: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    """Area of the disk of radius ``r`` in ``[0, x] x [0, y]`` (``x, y >= 0``)."""
    x = np.minimum(x, r)
    y = np.minimum(y, r)
    inside = x * x + y * y <= r * r
    u = np.sqrt(np.maximum(r * r - y * y, 0.0))  # the circle leaves the strip v <= y at u

    def primitive(v: np.ndarray) -> np.ndarray:  # int_0^v sqrt(r^2 - w^2) dw
        return 0.5 * (v * np.sqrt(np.maximum(r * r - v * v, 0.0)) + r * r * np.arcsin(v / r))

    partial = y * u + primitive(x) - primitive(np.minimum(u, x))
    return np.where(inside, x * y, partial)
