"""Tests of eulerflow.exact.optimal_transport: Bures, McCann, the 1D quantile formula, pairs."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
import scipy.integrate
import scipy.stats
from scipy.spatial.transform import Rotation

from eulerflow.exact import (
    TransportPair,
    disk_dilation_pair,
    gaussian_density,
    gaussian_geodesic,
    gaussian_geodesic_density,
    gaussian_geodesic_potential,
    gaussian_geodesic_velocity,
    gaussian_optimal_map,
    gaussian_w2,
    gaussian_w2_squared,
    linear_to_uniform_pair,
    translation_pair,
    w2_geodesic_1d,
    w2_squared_1d,
)
from eulerflow.grid import Grid

M0 = np.array([-0.5, 0.2])
S0 = np.array([[0.3, 0.1], [0.1, 0.2]])
M1 = np.array([0.6, -0.3])
S1 = np.array([[0.15, -0.05], [-0.05, 0.4]])
UNIT_SQUARE = ((0.0, 1.0), (0.0, 1.0))


def random_spd(rng, d: int) -> np.ndarray:
    B = rng.normal(size=(d, d))
    return B @ B.T / d + 0.1 * np.eye(d)


def cell_centre_points(grid: Grid) -> np.ndarray:
    axes = [grid.axis_centers(a) for a in range(grid.ndim)]
    return np.stack([c.ravel() for c in np.meshgrid(*axes, indexing="ij")], axis=1)


def emd2_on_centres(grid: Grid, rho0: np.ndarray, rho1: np.ndarray) -> float:
    """POT's exact discrete W2^2 between point masses rho * cell_volume at the cell centres."""
    points = cell_centre_points(grid)
    a, b = rho0.ravel() / rho0.sum(), rho1.ravel() / rho1.sum()
    return float(ot.emd2(a, b, ot.dist(points, points)))


def centre_error(grid: Grid) -> float:
    """W2 between a piecewise-constant density and its point masses at the centres, at most
    sqrt(sum_a h_a^2 / 12) (the variance of the uniform law on a cell), by coupling in cells."""
    return math.sqrt(sum(h * h for h in grid.spacing) / 12.0)


# -- Bures formula ---------------------------------------------------------------------------------
def test_bures_1d_scalars():
    m0, v0, m1, v1 = 0.3, 2.0, -0.1, 0.5
    expected = (m0 - m1) ** 2 + (math.sqrt(v0) - math.sqrt(v1)) ** 2
    assert gaussian_w2_squared(m0, v0, m1, v1) == pytest.approx(expected, rel=1e-14)
    assert gaussian_w2(m0, v0, m1, v1) == pytest.approx(math.sqrt(expected), rel=1e-14)
    # A point mass (zero variance) is a degenerate Gaussian: W2^2 = dm^2 + v1.
    assert gaussian_w2_squared(m0, 0.0, m1, v1) == pytest.approx((m0 - m1) ** 2 + v1, rel=1e-14)


def test_bures_commuting_covariances(rng):
    """Common eigenvectors: W2^2 = |dm|^2 + sum_i (sqrt(l_i) - sqrt(mu_i))^2."""
    Q = Rotation.from_rotvec([0.3, -0.7, 0.5]).as_matrix()
    lam, mu = np.array([0.2, 1.5, 3.0]), np.array([2.0, 0.1, 0.7])
    m0, m1 = rng.normal(size=3), rng.normal(size=3)
    expected = np.sum((m0 - m1) ** 2) + np.sum((np.sqrt(lam) - np.sqrt(mu)) ** 2)
    got = gaussian_w2_squared(m0, Q @ np.diag(lam) @ Q.T, m1, Q @ np.diag(mu) @ Q.T)
    assert got == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_bures_against_pot(rng, d):
    m0, m1 = rng.normal(size=d), rng.normal(size=d)
    s0, s1 = random_spd(rng, d), random_spd(rng, d)
    pot = float(ot.gaussian.bures_wasserstein_distance(m0, m1, s0, s1))
    assert gaussian_w2(m0, s0, m1, s1) == pytest.approx(pot, rel=1e-10)


def test_bures_is_zero_and_symmetric(rng):
    s0, s1 = random_spd(rng, 3), random_spd(rng, 3)
    m0, m1 = rng.normal(size=3), rng.normal(size=3)
    assert gaussian_w2_squared(m0, s0, m0, s0) == pytest.approx(0.0, abs=1e-14)
    assert gaussian_w2_squared(m0, s0, m1, s1) == pytest.approx(
        gaussian_w2_squared(m1, s1, m0, s0), rel=1e-12
    )


def test_bures_against_pot_emd_on_grid():
    """Grid Gaussians (truncation at +-4 is below 1e-12 in mass) against ot.emd2 on the cell
    centres: the discretisation error is second order in h, so we measure its order."""
    exact = gaussian_w2_squared(M0, S0, M1, S1)
    errors = []
    for n in (16, 24, 32):
        grid = Grid((n, n), ((-4.0, 4.0), (-4.0, 4.0)))
        rho0, rho1 = gaussian_density(grid, M0, S0), gaussian_density(grid, M1, S1)
        errors.append(abs(emd2_on_centres(grid, rho0, rho1) - exact))
    orders = np.log(np.array(errors[:-1]) / errors[1:]) / np.log(np.array([24 / 16, 32 / 24]))
    assert np.all(orders > 1.7), orders
    assert errors[-1] < 0.012 * exact


# -- optimal map and McCann interpolation ---------------------------------------------------------
def test_optimal_map_pushes_forward_and_costs_w2(rng):
    s0, s1 = random_spd(rng, 3), random_spd(rng, 3)
    m0, m1 = rng.normal(size=3), rng.normal(size=3)
    A, c = gaussian_optimal_map(m0, s0, m1, s1)
    assert np.allclose(A, A.T, atol=1e-14)
    assert np.linalg.eigvalsh(A)[0] > 0
    np.testing.assert_allclose(A @ s0 @ A, s1, atol=1e-12)
    np.testing.assert_allclose(A @ m0 + c, m1, atol=1e-13)
    B = A - np.eye(3)
    cost = np.sum((m1 - m0) ** 2) + np.trace(B @ s0 @ B)
    assert cost == pytest.approx(gaussian_w2_squared(m0, s0, m1, s1), rel=1e-11)


def test_geodesic_endpoints_and_constant_speed(rng):
    s0, s1 = random_spd(rng, 3), random_spd(rng, 3)
    m0, m1 = rng.normal(size=3), rng.normal(size=3)
    w2 = gaussian_w2(m0, s0, m1, s1)
    for t, (m, s) in ((0.0, (m0, s0)), (1.0, (m1, s1))):
        mt, st = gaussian_geodesic(m0, s0, m1, s1, t)
        np.testing.assert_allclose(mt, m, atol=1e-13)
        np.testing.assert_allclose(st, s, atol=1e-12)
    for t in (0.1, 0.37, 0.8):
        mt, st = gaussian_geodesic(m0, s0, m1, s1, t)
        assert gaussian_w2(m0, s0, mt, st) == pytest.approx(t * w2, rel=1e-9)
        assert gaussian_w2(mt, st, m1, s1) == pytest.approx((1 - t) * w2, rel=1e-9)


def test_geodesic_covariance_solves_the_velocity_ode():
    """The Eulerian velocity v = K_t (y - mean_t) + b transports N(mean_t, cov_t): the moments
    obey d mean/dt = K_t (mean - mean_t) + b and d cov/dt = K_t cov + cov K_t^T (integrated
    numerically with the velocity's matrix read off gaussian_geodesic_velocity)."""
    grid = Grid((2, 2), UNIT_SQUARE)

    def velocity_matrix(t):
        e = [np.zeros((1, 1)), np.zeros((1, 1))]
        offset = np.array(gaussian_geodesic_velocity(grid, M0, S0, M1, S1, t, coords=e)).ravel()
        columns = []
        for a in range(2):
            unit = [np.full((1, 1), 1.0 if j == a else 0.0) for j in range(2)]
            v = np.array(gaussian_geodesic_velocity(grid, M0, S0, M1, S1, t, coords=unit))
            columns.append(v.ravel() - offset)
        return np.column_stack(columns), offset

    def rhs(t, y):
        K, offset = velocity_matrix(t)
        mean, cov = y[:2], y[2:].reshape(2, 2)
        return np.concatenate([K @ mean + offset, (K @ cov + cov @ K.T).ravel()])

    sol = scipy.integrate.solve_ivp(
        rhs, (0, 1), np.concatenate([M0, S0.ravel()]), t_eval=[0.5, 1.0], rtol=1e-11, atol=1e-12
    )
    for k, t in enumerate((0.5, 1.0)):
        mt, st = gaussian_geodesic(M0, S0, M1, S1, t)
        np.testing.assert_allclose(sol.y[:2, k], mt, atol=1e-8)
        np.testing.assert_allclose(sol.y[2:, k].reshape(2, 2), st, atol=1e-8)


def test_geodesic_velocity_is_constant_along_particles(rng):
    A, c = gaussian_optimal_map(M0, S0, M1, S1)
    grid = Grid((4, 4), UNIT_SQUARE)
    x = rng.normal(size=(2, 50))
    displacement = A @ x + c[:, None] - x
    for t in (0.0, 0.3, 0.9, 1.0):
        y = x + t * displacement
        v = gaussian_geodesic_velocity(grid, M0, S0, M1, S1, t, coords=tuple(y))
        np.testing.assert_allclose(np.array(v), displacement, atol=1e-12)


def test_geodesic_potential_gradient_and_hamilton_jacobi(rng):
    """v = grad phi and d_t phi + |grad phi|^2 / 2 = 0, by fourth-order finite differences."""
    grid = Grid((4, 4), UNIT_SQUARE)
    y = tuple(rng.normal(size=(2, 40)))
    step = 1e-3

    def phi(t, pts):
        return gaussian_geodesic_potential(grid, M0, S0, M1, S1, t, coords=pts)

    def d4(f, h):  # fourth-order central difference of f(+-h, +-2h)
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)

    for t in (0.2, 0.5, 0.8):
        grad = [
            d4(lambda e, a=a, t=t: phi(t, tuple(p + e * (j == a) for j, p in enumerate(y))), step)
            for a in range(2)
        ]
        v = gaussian_geodesic_velocity(grid, M0, S0, M1, S1, t, coords=y)
        np.testing.assert_allclose(np.array(grad), np.array(v), atol=1e-9)
        dphi_dt = d4(lambda e, t=t: phi(t + e, y), step)
        residual = dphi_dt + 0.5 * (v[0] ** 2 + v[1] ** 2)
        assert np.max(np.abs(residual)) < 1e-9
    # At t = 0 the potential is the Brenier potential minus |x|^2 / 2.
    A, _ = gaussian_optimal_map(M0, S0, M1, S1)
    dx = np.array(y) - M0[:, None]
    brenier = 0.5 * np.einsum("in,ij,jn->n", dx, A - np.eye(2), dx) + (M1 - M0) @ np.array(y)
    np.testing.assert_allclose(phi(0.0, y), brenier, atol=1e-13)


def test_geodesic_density_and_kinetic_energy():
    """rho_t is the Gaussian of gaussian_geodesic, and the kinetic energy int |v|^2 rho_t dx is
    W2^2 for every t: exactly from the moments, E|K_t (Y - mean_t) + b|^2 = tr(K_t cov_t K_t)
    + |b|^2, and to second order in h on the grid."""
    w2sq = gaussian_w2_squared(M0, S0, M1, S1)
    zero = (np.zeros(1), np.zeros(1))
    for t in (0.0, 0.4, 1.0):
        mt, st = gaussian_geodesic(M0, S0, M1, S1, t)
        b = np.array(
            gaussian_geodesic_velocity(
                Grid((2, 2), UNIT_SQUARE), M0, S0, M1, S1, t, coords=tuple(mt[:, None])
            )
        ).ravel()
        assert np.allclose(b, M1 - M0, atol=1e-14)  # the velocity at the mean is m1 - m0
        columns = [
            np.array(
                gaussian_geodesic_velocity(
                    Grid((2, 2), UNIT_SQUARE),
                    M0,
                    S0,
                    M1,
                    S1,
                    t,
                    coords=tuple(np.eye(2)[a][:, None]),
                )
            ).ravel()
            - np.array(
                gaussian_geodesic_velocity(
                    Grid((2, 2), UNIT_SQUARE), M0, S0, M1, S1, t, coords=zero
                )
            ).ravel()
            for a in range(2)
        ]
        K = np.column_stack(columns)
        assert np.trace(K @ st @ K.T) + np.sum(b**2) == pytest.approx(w2sq, rel=1e-12)
        errors = []
        for n in (32, 64):
            grid = Grid((n, n), ((-4.0, 4.0), (-4.0, 4.0)))
            rho = gaussian_geodesic_density(grid, M0, S0, M1, S1, t, quadrature=4)
            np.testing.assert_array_equal(rho, gaussian_density(grid, mt, st, quadrature=4))
            v = gaussian_geodesic_velocity(grid, M0, S0, M1, S1, t)
            errors.append(abs(grid.integrate(rho * (v[0] ** 2 + v[1] ** 2)) - w2sq))
        assert math.log2(errors[0] / errors[1]) > 1.8, errors


def test_gaussian_argument_errors():
    with pytest.raises(ValueError, match="cov0 must be positive definite"):
        gaussian_optimal_map(0.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="cov1 must be positive semidefinite"):
        gaussian_w2_squared(M0, S0, M1, -S1)
    with pytest.raises(ValueError, match="mean1 must have shape"):
        gaussian_w2_squared(M0, S0, [1.0, 2.0, 3.0], S1)
    with pytest.raises(ValueError, match="symmetric"):
        gaussian_w2_squared(M0, np.array([[1.0, 0.5], [0.0, 1.0]]), M1, S1)
    with pytest.raises(ValueError, match=r"t must lie in \[0, 1\]"):
        gaussian_geodesic(M0, S0, M1, S1, 1.5)
    with pytest.raises(ValueError, match="2D but the grid is 1D"):
        gaussian_geodesic_density(Grid(8, (0, 1)), M0, S0, M1, S1, 0.5)


# -- the 1D quantile formula -----------------------------------------------------------------------
def interval_density(grid: Grid, lo: float, hi: float) -> np.ndarray:
    """Exact cell averages of the uniform unit-mass density on [lo, hi]."""
    faces = grid.axis_faces(0)
    return np.diff(np.clip(faces, lo, hi)) / (grid.spacing[0] * (hi - lo))


def quantile_integral_loop(rho0, rho1, grid) -> float:
    """Independent exact W2^2: a two-pointer merge over the cells of both densities, with the
    closed-form integral of the squared linear difference on each piece."""
    h, faces = grid.spacing[0], grid.axis_faces(0)
    p0, p1 = rho0 * h / np.sum(rho0 * h), rho1 * h / np.sum(rho1 * h)
    i = j = 0
    c0 = c1 = s = 0.0  # CDF values at the left ends of cells i, j; current quantile level
    total = 0.0
    while i < p0.size and j < p1.size:
        if p0[i] == 0:
            c0, i = c0 + p0[i], i + 1
            continue
        if p1[j] == 0:
            c1, j = c1 + p1[j], j + 1
            continue
        end = min(c0 + p0[i], c1 + p1[j])
        # Q_k(u) = faces + h (u - c) / p on each cell; difference alpha + beta u.
        beta = h / p0[i] - h / p1[j]
        alpha = (faces[i] - h * c0 / p0[i]) - (faces[j] - h * c1 / p1[j])
        total += (
            alpha**2 * (end - s) + alpha * beta * (end**2 - s**2) + beta**2 * (end**3 - s**3) / 3
        )
        s = end
        if c0 + p0[i] <= end:
            c0, i = c0 + p0[i], i + 1
        if c1 + p1[j] <= end:
            c1, j = c1 + p1[j], j + 1
    return total


def random_density_with_vacuum(rng, n: int) -> np.ndarray:
    rho = rng.uniform(0.0, 2.0, size=n)
    rho[rng.random(n) < 0.3] = 0.0
    return rho


def test_quantile_formula_two_uniform_intervals():
    """Uniform [a, b] -> [c, d]: W2^2 = (mean difference)^2 + (length difference)^2 / 12, with
    vacuum cells around both intervals."""
    grid = Grid(100, (0.0, 10.0))
    rho0, rho1 = interval_density(grid, 1.0, 3.0), interval_density(grid, 5.0, 9.0)
    expected = ((1.0 + 3.0) / 2 - (5.0 + 9.0) / 2) ** 2 + ((3.0 - 1.0) - (9.0 - 5.0)) ** 2 / 12
    assert w2_squared_1d(rho0, rho1, grid) == pytest.approx(expected, rel=1e-13)
    # Intervals that do not end on faces: the cell averages are still exact, but piecewise
    # constant, so only compare to the loop below (not to the closed form).
    rho2 = interval_density(grid, 2.33, 7.71)
    assert w2_squared_1d(rho0, rho2, grid) == pytest.approx(
        quantile_integral_loop(rho0, rho2, grid), rel=1e-12
    )


def test_quantile_formula_against_independent_loop_and_brute_force(rng):
    grid = Grid(30, (-1.0, 2.0))
    for _ in range(5):
        rho0, rho1 = random_density_with_vacuum(rng, 30), random_density_with_vacuum(rng, 30)
        rho0, rho1 = grid.normalize(rho0), grid.normalize(rho1)
        exact = w2_squared_1d(rho0, rho1, grid)
        assert exact == pytest.approx(quantile_integral_loop(rho0, rho1, grid), rel=1e-11)
        # Midpoint rule on 10^6 levels of the CDFs inverted by interpolation: the integrand is
        # bounded by L^2 = 9 and smooth except at the <= 62 breakpoints, each adding at most
        # 9 / N, so the rule is within 62 * 9 / 10^6 ~ 6e-4 (observed ~1e-6).
        n = 10**6
        levels = (np.arange(n) + 0.5) / n
        faces = grid.axis_faces(0)
        q0 = np.interp(levels, np.concatenate([[0], np.cumsum(rho0) * grid.spacing[0]]), faces)
        q1 = np.interp(levels, np.concatenate([[0], np.cumsum(rho1) * grid.spacing[0]]), faces)
        assert np.mean((q0 - q1) ** 2) == pytest.approx(exact, abs=6e-4)


@pytest.mark.parametrize("k", [4, 16, 64])
def test_quantile_formula_against_pot_subsampled(rng, k):
    """POT on k equal point masses per cell (at the sub-cell midpoints): each point-mass
    measure is within W2 <= h / (k sqrt(12)) of its piecewise-constant density."""
    grid = Grid(24, (0.0, 1.0))
    h = grid.spacing[0]
    rho0 = grid.normalize(random_density_with_vacuum(rng, 24))
    rho1 = grid.normalize(random_density_with_vacuum(rng, 24))
    sub = (np.arange(k) + 0.5) / k * h
    points = (grid.axis_faces(0)[:-1, None] + sub[None, :]).ravel()
    w0, w1 = np.repeat(rho0 * h / k, k), np.repeat(rho1 * h / k, k)
    pot = float(ot.wasserstein_1d(points, points, w0 / w0.sum(), w1 / w1.sum(), p=2))
    exact = w2_squared_1d(rho0, rho1, grid)
    bound = 2 * h / (k * math.sqrt(12))
    assert abs(math.sqrt(pot) - math.sqrt(exact)) <= bound


def test_quantile_formula_lattice_translation_and_symmetry(rng):
    grid = Grid(40, (0.0, 4.0))
    rho0 = np.zeros(40)
    rho0[3:15] = rng.uniform(0.1, 1.0, size=12)
    rho0 = grid.normalize(rho0)
    rho1 = np.roll(rho0, 17)  # translation by 1.7
    assert w2_squared_1d(rho0, rho1, grid) == pytest.approx(1.7**2, rel=1e-13)
    rho2 = grid.normalize(random_density_with_vacuum(rng, 40))
    assert w2_squared_1d(rho0, rho2, grid) == pytest.approx(
        w2_squared_1d(rho2, rho0, grid), rel=1e-12
    )
    assert w2_squared_1d(rho2, rho2, grid) == pytest.approx(0.0, abs=1e-15)


def test_quantile_formula_masses(rng):
    grid = Grid(20, (0.0, 1.0))
    rho0 = grid.normalize(rng.uniform(0.1, 1.0, 20))
    rho1 = grid.normalize(rng.uniform(0.1, 1.0, 20))
    unit = w2_squared_1d(rho0, rho1, grid)
    # W2^2 is homogeneous of degree one in the common mass.
    assert w2_squared_1d(3 * rho0, 3 * rho1, grid) == pytest.approx(3 * unit, rel=1e-13)
    with pytest.raises(ValueError, match=r"equal masses, got 1\.0.* and 2\.5.*normalize=True"):
        w2_squared_1d(rho0, 2.5 * rho1, grid)
    assert w2_squared_1d(rho0, 2.5 * rho1, grid, normalize=True) == pytest.approx(unit, rel=1e-13)


def test_quantile_formula_argument_errors():
    grid = Grid(8, (0.0, 1.0))
    ok = np.ones(8)
    with pytest.raises(ValueError, match="1D grid with walls"):
        w2_squared_1d(ok, ok, Grid(8, (0.0, 1.0), periodic=True))
    with pytest.raises(ValueError, match="1D grid with walls"):
        w2_squared_1d(np.ones((8, 8)), np.ones((8, 8)), Grid((8, 8), UNIT_SQUARE))
    with pytest.raises(ValueError, match="rho1 must be non-negative"):
        w2_squared_1d(ok, ok - 1.5 * (np.arange(8) == 3), grid)
    with pytest.raises(ValueError, match="rho0 has zero mass"):
        w2_squared_1d(0 * ok, ok, grid)
    with pytest.raises(ValueError, match="rho0 must be finite"):
        w2_squared_1d(ok * np.nan, ok, grid)
    with pytest.raises(ValueError, match="rho1 has shape"):
        w2_squared_1d(ok, np.ones(9), grid)


def test_gaussian_cell_averages_converge_to_bures_in_1d():
    """Independent check of both formulas: the exact W2^2 of the cell averages of two 1D
    Gaussians tends to the Bures value at second order."""
    exact = gaussian_w2_squared(-1.0, 0.25, 1.5, 0.64)
    errors = []
    for n in (50, 100, 200):
        grid = Grid(n, (-8.0, 8.0))
        rho0, rho1 = gaussian_density(grid, -1.0, 0.25), gaussian_density(grid, 1.5, 0.64)
        errors.append(abs(w2_squared_1d(rho0, rho1, grid, normalize=True) - exact))
    orders = np.log2(np.array(errors[:-1]) / errors[1:])
    assert np.all(orders > 1.9), orders


# -- the exact 1D geodesic -------------------------------------------------------------------------
def test_geodesic_1d_uniform_intervals_exact():
    """[a, b] -> [c, d] uniform: rho_t is uniform on the interpolated interval (exact cells)."""
    grid = Grid(100, (0.0, 10.0))
    rho0, rho1 = interval_density(grid, 1.0, 3.0), interval_density(grid, 5.0, 9.0)
    for t in (0.0, 0.25, 0.6, 1.0):
        expected = interval_density(grid, (1 - t) * 1 + t * 5, (1 - t) * 3 + t * 9)
        np.testing.assert_allclose(w2_geodesic_1d(rho0, rho1, grid, t), expected, atol=1e-12)


def test_geodesic_1d_endpoints_mass_and_constant_speed(rng):
    grid = Grid(60, (0.0, 1.0))
    rho0 = grid.normalize(random_density_with_vacuum(rng, 60))
    rho1 = grid.normalize(random_density_with_vacuum(rng, 60))
    np.testing.assert_allclose(w2_geodesic_1d(rho0, rho1, grid, 0.0), rho0, atol=1e-11)
    np.testing.assert_allclose(w2_geodesic_1d(rho0, rho1, grid, 1.0), rho1, atol=1e-11)
    w2 = math.sqrt(w2_squared_1d(rho0, rho1, grid))
    for t in (0.3, 0.7):
        rho_t = w2_geodesic_1d(rho0, rho1, grid, t)
        assert rho_t.min() >= 0 and grid.integrate(rho_t) == pytest.approx(1.0, rel=1e-13)
        # Cell averaging moves mass only inside cells: W2(rho_t_h, rho_t) <= h.
        w0t = math.sqrt(w2_squared_1d(rho0, rho_t, grid))
        wt1 = math.sqrt(w2_squared_1d(rho_t, rho1, grid))
        assert abs(w0t - t * w2) <= grid.spacing[0]
        assert abs(wt1 - (1 - t) * w2) <= grid.spacing[0]


def test_geodesic_1d_lattice_translation():
    grid = Grid(50, (0.0, 5.0))
    pair = translation_pair(grid, 2.0)
    half = w2_geodesic_1d(pair.rho0, pair.rho1, grid, 0.5)
    np.testing.assert_allclose(half, np.roll(pair.rho0, 10), atol=1e-12)


# -- closed-form pairs -----------------------------------------------------------------------------
def test_linear_to_uniform_derivation_by_quadrature():
    """1/120 = int_0^1 (F0^{-1}(s) - s)^2 ds for rho0 = 1 + a (x - 1/2), a = 1, with the quantile
    F0^{-1} from the quadratic F0(x) = x + a (x^2 - x) / 2 (and 1/30 for a = 2, rho0 = 2x)."""
    for a, value in ((1.0, 1 / 120), (2.0, 1 / 30), (-1.5, 2.25 / 120)):

        def quantile(s, a=a):  # root in [0, 1] of a x^2 / 2 + (1 - a / 2) x - s = 0
            return (-(1 - a / 2) + np.sqrt((1 - a / 2) ** 2 + 2 * a * s)) / a

        integral, _ = scipy.integrate.quad(lambda s: (quantile(s) - s) ** 2, 0, 1, epsabs=1e-14)
        assert integral == pytest.approx(value, rel=1e-9)
        grid = Grid(8, (0.0, 1.0))
        assert linear_to_uniform_pair(grid, a).w2_squared == pytest.approx(value, rel=1e-14)


def test_linear_to_uniform_pair_1d_second_order():
    errors = []
    for n in (32, 64, 128):
        grid = Grid(n, (0.0, 1.0))
        pair = linear_to_uniform_pair(grid)
        assert isinstance(pair, TransportPair)
        assert grid.integrate(pair.rho0) == pytest.approx(1.0, rel=1e-14)
        discrete = w2_squared_1d(pair.rho0, pair.rho1, grid)
        assert abs(math.sqrt(discrete) - math.sqrt(pair.w2_squared)) <= pair.w2_error_bound
        errors.append(abs(discrete - 1 / 120))
    orders = np.log2(np.array(errors[:-1]) / errors[1:])
    assert np.all(np.abs(orders - 2) < 0.05), orders
    # A box of length 3: W2^2 scales like L^2.
    grid = Grid(400, (-1.0, 2.0))
    pair = linear_to_uniform_pair(grid)
    assert pair.w2_squared == pytest.approx(9 / 120, rel=1e-14)
    assert w2_squared_1d(pair.rho0, pair.rho1, grid) == pytest.approx(9 / 120, rel=1e-4)


def test_linear_to_uniform_pair_2d_product_against_emd():
    errors = []
    for n in (8, 16):
        grid = Grid((n, n), UNIT_SQUARE)
        pair = linear_to_uniform_pair(grid)
        assert pair.w2_squared == pytest.approx(1 / 60, rel=1e-14)
        emd = emd2_on_centres(grid, pair.rho0, pair.rho1)
        assert abs(math.sqrt(emd) - math.sqrt(1 / 60)) <= pair.w2_error_bound + 2 * centre_error(
            grid
        )
        errors.append(abs(emd - 1 / 60))
    assert math.log2(errors[0] / errors[1]) > 1.8
    grid3 = Grid((4, 5, 6), ((0, 1), (0, 2), (0, 3)))
    assert linear_to_uniform_pair(grid3).w2_squared == pytest.approx(14 / 120, rel=1e-14)
    with pytest.raises(ValueError, match="walls on every axis"):
        linear_to_uniform_pair(Grid((4, 4), UNIT_SQUARE, periodic=(True, False)))
    with pytest.raises(ValueError, match=r"slope must lie in \[-2, 2\]"):
        linear_to_uniform_pair(grid3, 2.5)


def test_disk_areas_are_exact():
    """Cell averages of the unit-mass disk against fine midpoint sub-sampling of each cell
    (error O(1/k) only in cut cells), and the exact total mass."""
    grid = Grid((10, 12), ((-1.0, 1.0), (-1.2, 1.2)))
    pair = disk_dilation_pair(grid, 0.55, 0.9, center=(0.1, -0.05))
    assert grid.integrate(pair.rho0) == pytest.approx(1.0, rel=1e-14)
    assert grid.integrate(pair.rho1) == pytest.approx(1.0, rel=1e-14)
    k = 200
    sub = (np.arange(k) + 0.5) / k
    hx, hy = grid.spacing
    xs = grid.axis_faces(0)[:-1, None] + hx * sub[None, :]
    ys = grid.axis_faces(1)[:-1, None] + hy * sub[None, :]
    inside = ((xs[:, None, :, None] - 0.1) ** 2 + (ys[None, :, None, :] + 0.05) ** 2) <= 0.55**2
    sampled = inside.mean(axis=(2, 3)) / (math.pi * 0.55**2)
    # Each cut cell is met by the circle along a curve of length <= 2 (hx + hy) (convexity),
    # so at most ~4k sub-cells are misclassified, out of k^2.
    assert np.max(np.abs(sampled - pair.rho0)) <= 4 / k / (math.pi * 0.55**2)
    assert np.max(np.abs(sampled - pair.rho0)) > 0  # the sampling really differs in cut cells
    # Cells inside the disk (all corners) carry exactly 1 / (pi r^2), cells outside exactly 0.
    x0, x1 = grid.axis_faces(0)[:-1, None] - 0.1, grid.axis_faces(0)[1:, None] - 0.1
    y0, y1 = grid.axis_faces(1)[None, :-1] + 0.05, grid.axis_faces(1)[None, 1:] + 0.05
    far = np.maximum(x0**2, x1**2) + np.maximum(y0**2, y1**2)
    assert np.count_nonzero(far <= 0.55**2) >= 4
    np.testing.assert_allclose(pair.rho0[far <= 0.55**2], 1 / (math.pi * 0.55**2), rtol=1e-14)
    near = np.maximum(np.maximum(x0, -x1), 0) ** 2 + np.maximum(np.maximum(y0, -y1), 0) ** 2
    assert np.count_nonzero(near >= 0.55**2) >= 4
    assert np.all(pair.rho0[near >= 0.55**2] == 0.0)


def test_disk_dilation_pair_against_emd():
    for n in (12, 24):
        grid = Grid((n, n), UNIT_SQUARE)
        pair = disk_dilation_pair(grid, 0.2, 0.4)
        assert pair.w2_squared == pytest.approx((0.4 - 0.2) ** 2 / 2, rel=1e-14)
        emd = emd2_on_centres(grid, pair.rho0, pair.rho1)
        error = abs(math.sqrt(emd) - math.sqrt(pair.w2_squared))
        assert error <= pair.w2_error_bound + 2 * centre_error(grid)


def test_disk_dilation_pair_1d_and_3d():
    grid = Grid(40, (-1.0, 1.0))
    pair = disk_dilation_pair(grid, 0.3, 0.8)  # radii on faces: exact uniform intervals
    assert pair.w2_error_bound < 1e-8  # only round-off slivers at the faces are "cut"
    assert pair.w2_squared == pytest.approx(0.5**2 / 3, rel=1e-14)
    assert w2_squared_1d(pair.rho0, pair.rho1, grid) == pytest.approx(pair.w2_squared, rel=1e-12)
    grid3 = Grid((12, 12, 12), ((-1.0, 1.0),) * 3)
    pair3 = disk_dilation_pair(grid3, 0.4, 0.8)
    assert pair3.w2_squared == pytest.approx(3 * 0.4**2 / 5, rel=1e-14)
    assert grid3.integrate(pair3.rho0) == pytest.approx(1.0, rel=1e-13)
    # Exact in (x, y): symmetric under x <-> y and the reflections; the midpoint rule in z
    # converges (32 slices against 512: 3.5e-4 of the interior value, measured).
    np.testing.assert_allclose(pair3.rho1, pair3.rho1[::-1, :, :], atol=1e-13)
    np.testing.assert_allclose(pair3.rho1, np.transpose(pair3.rho1, (1, 0, 2)), atol=1e-13)
    fine = disk_dilation_pair(grid3, 0.4, 0.8, slices=512).rho1
    assert np.max(np.abs(fine - pair3.rho1)) < 1e-3 * fine.max()
    assert np.max(np.abs(fine - np.transpose(fine, (2, 0, 1)))) < 1e-5 * fine.max()
    # Second moment close to 3 r^2 / 5 (centre quadrature, O(h^2): 2% measured at h = 1/6).
    r2 = sum(x * x for x in grid3.centers)
    second = grid3.integrate(r2 * pair3.rho1)
    assert second == pytest.approx(3 * 0.8**2 / 5, rel=0.03)
    with pytest.raises(ValueError, match="r1 = 1.2 must be positive and the ball"):
        disk_dilation_pair(grid3, 0.4, 1.2)


def test_translation_pair():
    grid = Grid((20, 20), UNIT_SQUARE)
    lattice = translation_pair(grid, (0.2, -0.1))
    assert lattice.w2_error_bound == 0.0
    assert lattice.w2_squared == pytest.approx(0.05, rel=1e-14)
    np.testing.assert_allclose(lattice.rho1, np.roll(lattice.rho0, (4, -2), axis=(0, 1)), atol=1e-9)
    # Point masses at the centres translate too: POT's value is exact.
    assert emd2_on_centres(grid, lattice.rho0, lattice.rho1) == pytest.approx(0.05, rel=1e-10)
    off = translation_pair(grid, (0.23, -0.1))
    emd = emd2_on_centres(grid, off.rho0, off.rho1)
    assert abs(math.sqrt(emd) - math.sqrt(off.w2_squared)) <= off.w2_error_bound + 2 * centre_error(
        grid
    )
    assert grid.integrate(off.rho0) == pytest.approx(1.0, rel=1e-14)
    line = Grid(200, (0.0, 1.0))
    pair = translation_pair(line, 0.3, radius=0.2)
    assert w2_squared_1d(pair.rho0, pair.rho1, line) == pytest.approx(0.09, rel=1e-12)
    with pytest.raises(ValueError, match="largest admissible radius"):
        translation_pair(line, 0.3, radius=0.4)
    # Off the lattice the exact discrete W2^2 converges to |s|^2 at (at least) second order.
    errors = []
    for n in (20, 40, 80):
        grid1 = Grid(n, (0.0, 1.0))
        pair = translation_pair(grid1, 0.2317, radius=0.3)
        assert pair.w2_error_bound > 0
        errors.append(abs(w2_squared_1d(pair.rho0, pair.rho1, grid1) - 0.2317**2))
    assert np.all(np.log2(np.array(errors[:-1]) / errors[1:]) > 2.0), errors
    periodic = Grid(64, (0.0, 1.0), periodic=True)
    with pytest.raises(ValueError, match="largest admissible radius"):
        translation_pair(periodic, 0.3, radius=0.15)
    assert translation_pair(periodic, 0.25, radius=0.1).w2_squared == pytest.approx(0.0625)
