"""Tests of eulerflow.exact: quadrature, Gaussians, linear flows and characteristics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from numpy.polynomial import Polynomial
from scipy.integrate import solve_ivp

from eulerflow.exact import (
    cell_average,
    characteristics_solution,
    gaussian_density,
    gaussian_push_forward,
    linear_flow_gaussian,
    linear_flow_map,
    rotation_solution,
    translation_solution,
)
from eulerflow.grid import Grid

# A compressible (trace 0.2), non-normal linear velocity A x + b in 2D.
A2 = np.array([[0.3, 1.0], [-0.4, -0.1]])
B2 = np.array([0.2, -0.1])
MEAN2 = np.array([-0.5, 0.3])
COV2 = np.array([[0.4, 0.1], [0.1, 0.3]])


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def gaussian_callable(mean, cov):
    """Normal density as a callable of the coordinates, through scipy."""
    dist = scipy.stats.multivariate_normal(mean, cov)

    def pdf(*coords):
        points = np.stack(np.broadcast_arrays(*coords), axis=-1)
        return dist.pdf(points).reshape(points.shape[:-1])

    return pdf


def linear_velocity(A, b):
    def velocity(t, *x):
        return tuple(sum(A[i, j] * x[j] for j in range(len(x))) + b[i] for i in range(len(x)))

    return velocity


# -- cell_average ----------------------------------------------------------------------------------
SHAPES = {1: (7,), 2: (5, 4), 3: (3, 4, 2)}
BOUNDS = {1: ((-1.0, 2.0),), 2: ((-1.0, 2.0), (0.5, 1.5)), 3: ((-1.0, 2.0), (0.5, 1.5), (-2, -1))}


def polynomial_cell_averages(polys, grid):
    """Exact cell averages of prod_a polys[a](x_a), from the antiderivatives."""
    result = np.ones(grid.shape)
    for axis, p in enumerate(polys):
        faces = grid.axis_faces(axis)
        primitive = p.integ()
        avg = (primitive(faces[1:]) - primitive(faces[:-1])) / grid.spacing[axis]
        result = result * grid._broadcast(avg, axis)
    return result


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_cell_average_exact_up_to_degree_2q_minus_1(ndim, q):
    rng = np.random.default_rng(10 * ndim + q)
    grid = Grid(SHAPES[ndim], BOUNDS[ndim])
    polys = [Polynomial(rng.normal(size=2 * q)) for _ in range(ndim)]  # degree 2q - 1

    def f(*coords):
        return math.prod(p(x) for p, x in zip(polys, coords, strict=True))

    expected = polynomial_cell_averages(polys, grid)
    assert relative_error(cell_average(f, grid, quadrature=q), expected) < 1e-13


@pytest.mark.parametrize("q", [1, 2, 3])
def test_cell_average_not_exact_at_degree_2q(q):
    grid = Grid(SHAPES[2], BOUNDS[2])
    polys = [Polynomial([0.0] * (2 * q) + [1.0]), Polynomial([1.0])]  # x^(2q)
    expected = polynomial_cell_averages(polys, grid)
    error = relative_error(cell_average(lambda x, y: x ** (2 * q) + 0 * y, grid, q), expected)
    assert error > 1e-8


@pytest.mark.parametrize("q", [1, 2, 3])
def test_cell_average_converges_with_order_2q(q):
    def f(x, y):
        return np.sin(3 * x) * np.exp(y)

    def exact(grid):
        x0, x1 = grid.axis_faces(0)[:-1], grid.axis_faces(0)[1:]
        y0, y1 = grid.axis_faces(1)[:-1], grid.axis_faces(1)[1:]
        ax = (np.cos(3 * x0) - np.cos(3 * x1)) / (3 * grid.spacing[0])
        ay = (np.exp(y1) - np.exp(y0)) / grid.spacing[1]
        return ax[:, None] * ay[None, :]

    errors = []
    for n in (8, 16):
        grid = Grid((n, n), ((0, 1), (0, 1)))
        errors.append(np.max(np.abs(cell_average(f, grid, q) - exact(grid))))
    order = math.log2(errors[0] / errors[1])
    assert abs(order - 2 * q) < 0.2


def test_cell_average_quadrature_one_is_centre_value_and_scalars_broadcast():
    grid = Grid((6, 5), ((-1, 1), (0, 2)))
    x, y = grid.centers
    np.testing.assert_array_equal(cell_average(lambda x, y: x * y**2, grid, 1), x * y**2)
    np.testing.assert_allclose(cell_average(lambda x, y: 2.5, grid), np.full(grid.shape, 2.5))


# -- Gaussians -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mean", "cov", "shape"),
    [
        (0.3, 0.5, (200,)),
        (MEAN2, COV2, (64, 64)),
        ((0.2, -0.1, 0.1), np.diag([0.5, 0.3, 0.4]) + 0.1, (24, 24, 24)),
    ],
)
def test_gaussian_density_mass_and_centre_values(mean, cov, shape):
    grid = Grid(shape, [(-6.0, 6.0)] * len(shape))
    rho = gaussian_density(grid, mean, cov)
    assert abs(grid.integrate(rho) - 1.0) < 1e-9
    dist = scipy.stats.multivariate_normal(np.atleast_1d(mean), cov)
    points = np.stack(np.broadcast_arrays(*grid.centers), axis=-1)
    expected = dist.pdf(points).reshape(grid.shape)
    assert relative_error(gaussian_density(grid, mean, cov, quadrature=1), expected) < 1e-13


def test_gaussian_density_scalar_cov_is_isotropic():
    grid = Grid((10, 12), ((-2, 2), (-3, 3)))
    np.testing.assert_allclose(
        gaussian_density(grid, (0.1, 0.2), 0.7),
        gaussian_density(grid, (0.1, 0.2), 0.7 * np.eye(2)),
        rtol=1e-14,
    )


# -- linear flows ----------------------------------------------------------------------------------
def ode_flow_map(A, b, t):
    """M and c from the ODEs M' = A M, M(0) = I and c' = A c + b, c(0) = 0."""
    d = A.shape[0]

    def rhs(_, y):
        M, c = y[: d * d].reshape(d, d), y[d * d :]
        return np.concatenate([(A @ M).ravel(), A @ c + b])

    y0 = np.concatenate([np.eye(d).ravel(), np.zeros(d)])
    sol = solve_ivp(rhs, (0, t), y0, method="DOP853", rtol=1e-13, atol=1e-13)
    return sol.y[: d * d, -1].reshape(d, d), sol.y[d * d :, -1]


def singular_matrix(rng, d):
    A = rng.normal(size=(d, d))
    A[-1] = A[0] - 2 * A[1]  # rank d - 1
    return A


@pytest.mark.parametrize("singular", [False, True])
def test_linear_flow_map_matches_ode(singular):
    rng = np.random.default_rng(3)
    A = singular_matrix(rng, 3) if singular else rng.normal(size=(3, 3))
    assert singular == (np.linalg.matrix_rank(A) < 3)
    b = rng.normal(size=3)
    M, c = linear_flow_map(A, b, 0.8)
    M_ref, c_ref = ode_flow_map(A, b, 0.8)
    np.testing.assert_allclose(M, M_ref, rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(c, c_ref, rtol=1e-10, atol=1e-11)


def test_linear_flow_map_closed_forms_for_singular_A():
    b = np.array([0.5, -1.0])
    M, c = linear_flow_map(np.zeros((2, 2)), b, 1.5)
    np.testing.assert_allclose(M, np.eye(2), atol=1e-15)
    np.testing.assert_allclose(c, 1.5 * b, rtol=1e-15)
    nilpotent = np.array([[0.0, 2.0], [0.0, 0.0]])
    M, c = linear_flow_map(nilpotent, b, 1.5)
    np.testing.assert_allclose(M, np.eye(2) + 1.5 * nilpotent, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(c, 1.5 * b + 0.5 * 1.5**2 * nilpotent @ b, rtol=1e-14)


def test_gaussian_push_forward_matches_moment_odes():
    # mean' = A mean + b, cov' = A cov + cov A^T
    def rhs(_, y):
        m, C = y[:2], y[2:].reshape(2, 2)
        return np.concatenate([A2 @ m + B2, (A2 @ C + C @ A2.T).ravel()])

    y0 = np.concatenate([MEAN2, COV2.ravel()])
    sol = solve_ivp(rhs, (0, 1.3), y0, method="DOP853", rtol=1e-13, atol=1e-13)
    mean_t, cov_t = gaussian_push_forward(MEAN2, COV2, A2, B2, 1.3)
    np.testing.assert_allclose(mean_t, sol.y[:2, -1], rtol=1e-10)
    np.testing.assert_allclose(cov_t, sol.y[2:, -1].reshape(2, 2), rtol=1e-10)
    np.testing.assert_array_equal(cov_t, cov_t.T)


def test_linear_flow_gaussian_starts_at_gaussian_and_keeps_mass():
    grid = Grid((48, 48), ((-7, 7), (-7, 7)))
    np.testing.assert_array_equal(
        linear_flow_gaussian(grid, MEAN2, COV2, A2, B2, 0.0), gaussian_density(grid, MEAN2, COV2)
    )
    rho = linear_flow_gaussian(grid, MEAN2, COV2, A2, B2, 1.0)
    assert abs(grid.integrate(rho) - 1.0) < 1e-7


# -- characteristics -------------------------------------------------------------------------------
@pytest.mark.parametrize("exact_divergence", [False, True])
def test_characteristics_match_compressible_linear_flow_2d(exact_divergence):
    grid = Grid((32, 32), ((-4, 4), (-4, 4)))
    divergence = (lambda t, x, y: np.trace(A2)) if exact_divergence else None
    rho = characteristics_solution(
        gaussian_callable(MEAN2, COV2),
        linear_velocity(A2, B2),
        grid,
        1.0,
        n_steps=50,
        divergence=divergence,
        quadrature=3,
    )
    expected = linear_flow_gaussian(grid, MEAN2, COV2, A2, B2, 1.0)
    assert relative_error(rho, expected) < 1e-8


@pytest.mark.parametrize("ndim", [1, 3])
def test_characteristics_match_linear_flow_1d_3d(ndim):
    rng = np.random.default_rng(ndim)
    A = 0.5 * rng.normal(size=(ndim, ndim))
    b = 0.2 * rng.normal(size=ndim)
    mean, cov = 0.2 * rng.normal(size=ndim), 0.3 * np.eye(ndim)
    grid = Grid((64,) if ndim == 1 else (10, 10, 10), [(-3, 3)] * ndim)
    rho = characteristics_solution(
        gaussian_callable(mean, cov), linear_velocity(A, b), grid, 0.7, n_steps=40
    )
    expected = linear_flow_gaussian(grid, mean, cov, A, b, 0.7, quadrature=1)
    assert relative_error(rho, expected) < 1e-8


def test_characteristics_rk4_converges_with_order_4():
    grid = Grid((16, 16), ((-4, 4), (-4, 4)))
    expected = linear_flow_gaussian(grid, MEAN2, COV2, 3 * A2, B2, 1.0, quadrature=1)
    errors = [
        relative_error(
            characteristics_solution(
                gaussian_callable(MEAN2, COV2), linear_velocity(3 * A2, B2), grid, 1.0, n
            ),
            expected,
        )
        for n in (8, 16)
    ]
    assert abs(math.log2(errors[0] / errors[1]) - 4) < 0.3


def test_characteristics_time_dependent_linear_flow():
    # v = cos(s) (A x + b) has the flow of A x + b run for the time sin(t).
    grid = Grid((24, 24), ((-4, 4), (-4, 4)))
    steady = linear_velocity(A2, B2)

    def velocity(s, x, y):
        return tuple(math.cos(s) * v for v in steady(s, x, y))

    rho = characteristics_solution(gaussian_callable(MEAN2, COV2), velocity, grid, 1.2, 100)
    expected = linear_flow_gaussian(grid, MEAN2, COV2, A2, B2, math.sin(1.2), quadrature=1)
    assert relative_error(rho, expected) < 1e-8


def periodic_density(x, y):
    return np.exp(np.cos(2 * np.pi * (x - 0.2)) + 0.5 * np.sin(2 * np.pi * y))


def periodic_density_1d(x):
    return np.exp(np.cos(2 * np.pi * (x - 0.2)))


def test_characteristics_match_translation_on_periodic_grid():
    grid = Grid((20, 16), ((0, 1), (-0.5, 0.5)), periodic=True)
    c = np.array([0.7, -1.3])
    rho = characteristics_solution(
        periodic_density, lambda t, x, y: (c[0] + 0 * x, c[1] + 0 * y), grid, 0.9, 20, quadrature=3
    )
    expected = translation_solution(periodic_density, grid, c, 0.9)
    assert relative_error(rho, expected) < 1e-11
    # the exact shift is a genuine change, and a shift by whole periods is the identity
    assert relative_error(expected, cell_average(periodic_density, grid)) > 0.1
    np.testing.assert_allclose(
        translation_solution(periodic_density, grid, (2.0, -1.0), 1.0),
        cell_average(periodic_density, grid),
        rtol=1e-12,
    )


def test_characteristics_wrap_foot_points_on_periodic_axes():
    grid = Grid((8,), (0, 1), periodic=True)

    def sawtooth(x):  # not periodic as a formula: only its values on the box count
        return 1.0 + x

    rho = characteristics_solution(sawtooth, lambda t, x: (0.7 + 0 * x,), grid, 0.9, 10, None, 3)
    expected = translation_solution(sawtooth, grid, 0.7, 0.9)
    np.testing.assert_allclose(expected[:2], 1.0 + grid.centers[0][:2] - 0.63 + 1.0, rtol=1e-14)
    np.testing.assert_allclose(rho, expected, rtol=1e-12)


@pytest.mark.parametrize("exact_divergence", [False, True])
def test_characteristics_evaluate_velocity_inside_the_periodic_box(exact_divergence):
    # v = 1 + 4.8 x^2 (1 - x)^2 is periodic and C^2 on the torus [0, 1); given only on the box
    grid = Grid((16,), (0, 1), periodic=True)

    def on_box(t, x):
        return (np.where((x >= 0) & (x <= 1), 1.0 + 4.8 * x**2 * (1 - x) ** 2, np.nan),)

    def on_line(t, x):
        return on_box(t, np.mod(x, 1.0))

    def div_on_box(t, x):
        return 9.6 * x * (1 - x) * (1 - 2 * x)

    def solve(velocity, divergence):
        return characteristics_solution(periodic_density_1d, velocity, grid, 0.9, 50, divergence)

    if exact_divergence:
        expected = solve(on_line, lambda t, x: div_on_box(t, np.mod(x, 1.0)))
        rho = solve(on_box, div_on_box)
    else:
        expected, rho = solve(on_line, None), solve(on_box, None)
    assert relative_error(rho, expected) < 1e-9
    assert relative_error(rho, cell_average(periodic_density_1d, grid, 1)) > 0.1


def test_characteristics_difference_stencil_stays_in_the_periodic_box():
    # one RK4 step of length 1/32 takes the first centre, 1/32, exactly onto the boundary x = 0
    grid = Grid((16,), (0, 1), periodic=True)

    def on_box(t, x):
        return (np.where((x >= 0) & (x <= 1), 1.0, np.nan),)

    rho = characteristics_solution(periodic_density_1d, on_box, grid, 1 / 32, n_steps=1)
    expected = translation_solution(periodic_density_1d, grid, 1.0, 1 / 32, quadrature=1)
    assert relative_error(rho, expected) < 1e-12


def test_translation_wraps_on_periodic_axes_only():
    grid = Grid((8,), (0, 1), periodic=False)
    shifted = translation_solution(lambda x: x, grid, 0.25, 2.0, quadrature=1)
    np.testing.assert_allclose(shifted, grid.centers[0] - 0.5, atol=1e-15)
    grid = Grid((8,), (0, 1), periodic=True)
    shifted = translation_solution(lambda x: x, grid, 0.25, 2.0, quadrature=1)
    np.testing.assert_allclose(shifted, np.mod(grid.centers[0] - 0.5, 1.0), atol=1e-15)


def test_characteristics_match_rotation():
    grid = Grid((32, 32), ((-4, 4), (-4, 4)))
    omega, center = 1.3, (0.3, -0.2)
    rho0 = gaussian_callable(MEAN2 + 1.0, COV2)

    def velocity(t, x, y):
        return -omega * (y - center[1]), omega * (x - center[0])

    rho = characteristics_solution(rho0, velocity, grid, 1.0, 100, quadrature=2)
    expected = rotation_solution(rho0, grid, omega, 1.0, center, quadrature=2)
    assert relative_error(rho, expected) < 1e-9
    assert relative_error(expected, cell_average(rho0, grid, 2)) > 0.1


def test_rotation_by_a_full_turn_is_identity_and_quarter_turn_is_exact():
    grid = Grid((20, 20), ((-3, 3), (-3, 3)))
    rho0 = gaussian_callable(MEAN2, COV2)
    np.testing.assert_allclose(
        rotation_solution(rho0, grid, 2 * np.pi, 1.0), cell_average(rho0, grid), rtol=1e-12
    )
    # a quarter turn counter-clockwise about 0 maps the cell (i, j) to (n - 1 - j, i)
    quarter = rotation_solution(lambda x, y: x + 2 * y**2, grid, np.pi / 2, 1.0, quadrature=1)
    x, y = np.broadcast_arrays(*grid.centers)
    np.testing.assert_allclose(quarter, y + 2 * x**2, atol=1e-13)


def test_characteristics_conserve_mass_for_time_dependent_divergence_free_field():
    # v = (psi_y, -psi_x) with psi = cos(pi t) sin(2 pi x) sin(2 pi y) / (2 pi)
    # (the midpoint rule is spectrally accurate for periodic functions, hence quadrature=1)
    grid = Grid((48, 48), ((0, 1), (0, 1)), periodic=True)

    def velocity(t, x, y):
        s = math.cos(math.pi * t)
        return (
            s * np.sin(2 * np.pi * x) * np.cos(2 * np.pi * y),
            -s * np.cos(2 * np.pi * x) * np.sin(2 * np.pi * y),
        )

    rho = characteristics_solution(periodic_density, velocity, grid, 0.8, 200)
    rho_zero_div = characteristics_solution(
        periodic_density, velocity, grid, 0.8, 200, divergence=lambda t, x, y: 0.0
    )
    mass0 = grid.integrate(cell_average(periodic_density, grid, 1))
    assert abs(grid.integrate(rho) / mass0 - 1) < 1e-10
    assert relative_error(rho, rho_zero_div) < 1e-10
    assert relative_error(rho, cell_average(periodic_density, grid, 1)) > 0.1


def test_characteristics_at_time_zero_is_cell_average():
    grid = Grid((6, 7), ((-1, 1), (-1, 1)))
    rho0 = gaussian_callable(MEAN2, COV2)
    np.testing.assert_array_equal(
        characteristics_solution(rho0, linear_velocity(A2, B2), grid, 0.0, quadrature=2),
        cell_average(rho0, grid, 2),
    )


# -- input validation ------------------------------------------------------------------------------
GRID2 = Grid((4, 4), ((-1, 1), (-1, 1)))


@pytest.mark.parametrize(
    ("mean", "cov", "match"),
    [
        ((0.0,), np.eye(2), "mean must have shape"),
        ((0.0, 0.0), np.eye(3), "cov must be a scalar or a"),
        ((0.0, 0.0), [1.0, 1.0], "cov must be a scalar or a"),
        ((0.0, 0.0), [[1.0, 0.5], [0.0, 1.0]], "symmetric"),
        ((0.0, 0.0), [[1.0, 2.0], [2.0, 1.0]], "positive definite"),
        ((0.0, 0.0), -1.0, "positive definite"),
        ((0.0, np.nan), 1.0, "finite"),
    ],
)
def test_gaussian_density_rejects_bad_mean_and_cov(mean, cov, match):
    with pytest.raises(ValueError, match=match):
        gaussian_density(GRID2, mean, cov)


def test_linear_flow_input_validation():
    with pytest.raises(ValueError, match="A must be a square"):
        linear_flow_map(np.ones((2, 3)), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="b must have shape"):
        linear_flow_map(np.eye(2), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="t must be finite"):
        linear_flow_map(np.eye(2), np.zeros(2), np.inf)
    with pytest.raises(ValueError, match="cov must be positive definite"):
        gaussian_push_forward(MEAN2, -np.eye(2), A2, B2, 1.0)
    with pytest.raises(ValueError, match="A must be"):
        linear_flow_gaussian(GRID2, np.zeros(3), np.eye(3), np.eye(3), np.zeros(3), 1.0)


def test_characteristics_input_validation():
    rho0 = gaussian_callable(MEAN2, COV2)
    velocity = linear_velocity(A2, B2)
    with pytest.raises(ValueError, match="t must be finite and >= 0"):
        characteristics_solution(rho0, velocity, GRID2, -0.1)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        characteristics_solution(rho0, velocity, GRID2, 1.0, n_steps=0)
    with pytest.raises(ValueError, match="quadrature must be an integer >= 1"):
        characteristics_solution(rho0, velocity, GRID2, 1.0, quadrature=0)
    with pytest.raises(ValueError, match="velocity must return a tuple of 2 arrays"):
        characteristics_solution(rho0, lambda t, x, y: (x,), GRID2, 1.0)
    with pytest.raises(ValueError, match="velocity returned an array of shape"):
        characteristics_solution(rho0, lambda t, x, y: (x, np.ones(3)), GRID2, 1.0)
    with pytest.raises(ValueError, match="divergence returned an array of shape"):
        characteristics_solution(rho0, velocity, GRID2, 1.0, divergence=lambda t, x, y: x[:2])
    with pytest.raises(TypeError, match="velocity must be a callable"):
        characteristics_solution(rho0, (1.0, 0.0), GRID2, 1.0)
    with pytest.raises(TypeError, match="grid must be an eulerflow.Grid"):
        characteristics_solution(rho0, velocity, (4, 4), 1.0)


def test_other_input_validation():
    with pytest.raises(TypeError, match="quadrature must be an integer >= 1"):
        cell_average(lambda x, y: x, GRID2, quadrature=True)
    with pytest.raises(ValueError, match="f returned an array of shape"):
        cell_average(lambda x, y: np.ones(5), GRID2)
    with pytest.raises(ValueError, match="needs a 2D grid"):
        rotation_solution(lambda x: x, Grid(4, (0, 1)), 1.0, 1.0)
    with pytest.raises(ValueError, match="shift_velocity must have shape"):
        translation_solution(lambda x, y: x, GRID2, 1.0, 1.0)
