"""Tests of the Hamilton-Jacobi section of eulerflow.exact: hopf_lax and the closed forms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eulerflow.exact import hj_linear_solution, hj_quadratic_solution, hopf_lax
from eulerflow.grid import Grid

# Round-off tolerance of hopf_lax, relative to the data scale max |phi0|.
RTOL = 1e-12


def brute_force_hopf_lax(phi0: np.ndarray, grid: Grid, t: float, images: int = 2) -> np.ndarray:
    """``min_j phi0_j + |x_i - y_j|^2 / (2 t)`` over all centres, by brute force in NumPy.

    On periodic axes ``y_j`` also runs over the images ``y_j + k L`` with ``|k| <= images``
    (``|k| <= 1`` already suffices: the nearest image of a centre is less than ``L`` away).
    """
    points = np.stack([np.broadcast_to(x, grid.shape).ravel() for x in grid.centers], axis=-1)
    shifts = [range(-images, images + 1) if p else range(1) for p in grid.periodic]
    best = np.full(points.shape[0], np.inf)
    for k in itertools.product(*shifts):
        y = points + np.asarray(k) * np.asarray(grid.lengths)
        cost = np.sum((points[:, None, :] - y[None, :, :]) ** 2, axis=-1) / (2.0 * t)
        best = np.minimum(best, np.min(phi0.ravel()[None, :] + cost, axis=1))
    return best.reshape(grid.shape)


def assert_matches_brute_force(phi0: np.ndarray, grid: Grid, t: float) -> None:
    expected = brute_force_hopf_lax(phi0, grid, t)
    actual = hopf_lax(phi0, grid, t)
    assert actual.shape == grid.shape and actual.dtype == np.float64
    scale = np.max(np.abs(phi0))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL * scale)


# -- hopf_lax against brute force ------------------------------------------------------------------
@st.composite
def hopf_lax_problems(draw):
    ndim = draw(st.integers(1, 3))
    max_cells = {1: 15, 2: 8, 3: 5}[ndim]
    shape = tuple(draw(st.integers(1, max_cells)) for _ in range(ndim))
    periodic = tuple(draw(st.booleans()) for _ in range(ndim))
    bounds = []
    for _ in range(ndim):
        lo = draw(st.floats(-3.0, 3.0))
        bounds.append((lo, lo + draw(st.floats(0.1, 4.0))))
    t = 10.0 ** draw(st.floats(-3.0, 2.0))
    scale = 10.0 ** draw(st.floats(-3.0, 3.0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        phi0 = scale * rng.normal(size=shape)
    else:  # few distinct values: many ties between parabolas
        phi0 = scale * rng.integers(-2, 3, size=shape).astype(float)
    return phi0, Grid(shape, bounds, periodic), t


@settings(max_examples=60, deadline=None)
@given(hopf_lax_problems())
def test_hopf_lax_matches_brute_force_random(problem):
    phi0, grid, t = problem
    if not np.any(phi0):
        phi0 = phi0 + 1.0
    assert_matches_brute_force(phi0, grid, t)


@pytest.mark.parametrize(
    "shape, periodic",
    [
        ((1,), False),
        ((1,), True),
        ((31,), False),
        ((31,), True),
        ((9, 7), False),
        ((9, 7), True),
        ((9, 7), (True, False)),
        ((7, 9), (False, True)),
        ((5, 3, 7), (True, False, True)),
        ((3, 5, 1), (False, True, True)),
    ],
)
@pytest.mark.parametrize("t", [1e-3, 0.02, 0.3, 5.0, 1e3])
def test_hopf_lax_matches_brute_force_odd_sizes(shape, periodic, t, rng):
    bounds = [(-1.0 + 0.3 * a, 0.7 + 0.5 * a) for a in range(len(shape))]
    grid = Grid(shape, bounds, periodic)
    assert_matches_brute_force(rng.normal(size=shape), grid, t)


def test_hopf_lax_periodic_padding_covers_every_minimiser(rng):
    # t sweeps the padding P = min(floor(sqrt(R / c)) + 1, floor(n / 2)) from 1 to floor(n / 2)
    # with the spread R of the data fixed, so a padding too short would miss minimisers.
    grid = Grid(13, (0.0, 1.3), periodic=True)
    phi0 = rng.normal(size=13)
    for t in np.geomspace(1e-4, 10.0, 120):
        assert_matches_brute_force(phi0, grid, float(t))


def test_hopf_lax_periodic_minimum_through_the_boundary():
    # One deep well next to the right end: on a periodic line the points next to the left end
    # reach it through the boundary, on a walled line they cannot.
    n = 11
    phi0 = np.zeros(n)
    phi0[-1] = -1.0
    t = 0.5
    periodic = hopf_lax(phi0, Grid(n, (0.0, 1.1), periodic=True), t)
    walled = hopf_lax(phi0, Grid(n, (0.0, 1.1), periodic=False), t)
    # x_0 = 0.05, the well at 1.05: distance 0.1 through the boundary, 1.0 inside the box.
    assert periodic[0] == pytest.approx(-1.0 + 0.1**2 / (2 * t), abs=1e-14)
    assert walled[0] == pytest.approx(min(0.0, -1.0 + 1.0**2 / (2 * t)), abs=1e-14)


def test_hopf_lax_extreme_times_overflow_and_underflow():
    # Tiny spacing and huge t: h^2 / (2 t) underflows to 0, the result is the minimum.
    grid = Grid((6, 5), ((0.0, 6e-10), (0.0, 5e-10)), periodic=(False, True))
    phi0 = np.arange(30.0).reshape(6, 5) - 7.0
    np.testing.assert_array_equal(hopf_lax(phi0, grid, 1e306), np.full((6, 5), -7.0))
    assert_matches_brute_force(phi0, grid, 1e306)
    # Unit spacing and a subnormal t: h^2 / (2 t) overflows, nothing moves.
    grid = Grid((6, 5), ((0.0, 6.0), (0.0, 5.0)), periodic=(True, False))
    np.testing.assert_array_equal(hopf_lax(phi0, grid, 1e-320), phi0)


# -- hopf_lax: consistency with the continuous problem --------------------------------------------
@pytest.mark.parametrize("ndim", [1, 2])
def test_hopf_lax_linear_datum_exact_when_the_foot_is_a_centre(ndim):
    # The minimiser of s.y + |x - y|^2 / (2 t) is y* = x - t s. With t s_a a multiple of h_a it is
    # a centre whenever it lies in the box, and there the grid minimum is the exact solution; the
    # minimum over a subset of R^d can only be larger elsewhere.
    n = 20
    grid = Grid((n,) * ndim, [(0.0, 1.0)] * ndim)  # h = 0.05
    slope, t = np.array([0.2, -0.3])[:ndim], 0.5  # t s = (2 h, -3 h)
    phi = hopf_lax(hj_linear_solution(grid, slope, 0.0, offset=0.4), grid, t)
    exact = hj_linear_solution(grid, slope, t, offset=0.4)
    foot_inside = np.ones(grid.shape, dtype=bool)
    for x, sa in zip(grid.centers, slope, strict=True):
        foot_inside = foot_inside & (x - t * sa > 0) & (x - t * sa < 1)
    assert 0 < np.count_nonzero(foot_inside) < grid.size
    np.testing.assert_allclose(phi[foot_inside], exact[foot_inside], rtol=0, atol=1e-14)
    assert np.all(phi[~foot_inside] > exact[~foot_inside] + 1e-6)


@pytest.mark.parametrize(
    "Q",
    [
        np.array([[1.0, 0.3], [0.3, 0.5]]),  # positive definite
        np.array([[1.0, 0.3], [0.3, -0.5]]),  # indefinite, t* = 1.74 > t
    ],
)
def test_hopf_lax_quadratic_datum_second_order(Q):
    # Discrete minimum over the centres of a smooth function: error O(h^2), between 0 and
    # (lambda_max(Q) + 1/t) sum_a h_a^2 / 8 where the continuous minimiser is in the box.
    center, t = np.array([0.3, -0.2]), 0.5
    bound_constant = (np.linalg.eigvalsh(Q)[-1] + 1.0 / t) / 8.0
    errors = []
    for n in (32, 64, 128, 256):
        grid = Grid((n, n), ((-4.0, 4.0), (-4.0, 4.0)))
        phi = hopf_lax(hj_quadratic_solution(grid, Q, 0.0, center), grid, t)
        exact = hj_quadratic_solution(grid, Q, t, center)
        x, y = grid.centers
        interior = (np.abs(x) <= 1.5) & (np.abs(y) <= 1.5)
        error = (phi - exact)[interior]
        assert error.min() >= -1e-13
        assert error.max() <= bound_constant * sum(h * h for h in grid.spacing) + 1e-13
        errors.append(error.max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.8), orders


# -- hopf_lax: semigroup -----------------------------------------------------------------------
@pytest.mark.parametrize("periodic", [False, True, (True, False)])
@pytest.mark.parametrize("s, t", [(0.01, 0.02), (0.05, 0.05), (0.3, 0.1)])
def test_hopf_lax_semigroup_holds_up_to_the_grid(periodic, s, t, rng):
    # Composing: min_j min_k phi0_k + |y_k - y_j|^2 / (2 s) + |y_j - x_i|^2 / (2 t). For fixed k
    # the minimum over every intermediate point z of R^d is |y_k - x_i|^2 / (2 (s + t)), at
    # z = (t y_k + s x_i) / (s + t), so the composition is >= hopf_lax(phi0, s + t); it is equal
    # only when that z is a centre. Taking instead the centre nearest to z (|z - y_j|_a <= h_a / 2)
    # costs (1/s + 1/t) |z - y_j|^2 / 2 more, hence the upper bound. Both bounds are attained.
    grid = Grid((17, 12), ((0.0, 1.0), (-1.0, 0.5)), periodic=periodic)
    phi0 = rng.normal(size=grid.shape)
    composed = hopf_lax(hopf_lax(phi0, grid, s), grid, t)
    direct = hopf_lax(phi0, grid, s + t)
    gap = composed - direct
    tol = RTOL * np.max(np.abs(phi0))
    bound = (1.0 / s + 1.0 / t) * sum(h * h for h in grid.spacing) / 8.0
    assert gap.min() >= -tol
    assert gap.max() <= bound + tol
    assert gap.max() > 0.4 * bound  # the semigroup property fails on the grid
    assert np.any(np.abs(gap) <= tol)


# -- hopf_lax: t = 0, inputs -----------------------------------------------------------------------
def test_hopf_lax_time_zero_returns_a_copy():
    grid = Grid((3, 4), ((0, 1), (0, 1)), periodic=(True, False))
    phi0 = np.arange(12).reshape(3, 4)  # integers are converted
    phi = hopf_lax(phi0, grid, 0.0)
    assert phi.dtype == np.float64 and phi is not phi0
    np.testing.assert_array_equal(phi, phi0)
    phi[0, 0] = 99.0
    assert phi0[0, 0] == 0
    single = Grid((1, 1), ((0, 1), (0, 1)))
    data = np.array([[2.5]])
    out = hopf_lax(data, single, 1.0)
    np.testing.assert_array_equal(out, data)
    assert not np.shares_memory(out, data)


def test_hopf_lax_does_not_modify_input_and_accepts_strided_views(rng):
    grid = Grid((7, 6), ((0.0, 1.0), (0.0, 2.0)), periodic=(False, True))
    base = rng.normal(size=(6, 7))
    view = base.T  # Fortran-ordered view of shape (7, 6)
    before = base.copy()
    phi = hopf_lax(view, grid, 0.1)
    np.testing.assert_array_equal(base, before)
    np.testing.assert_array_equal(phi, hopf_lax(np.ascontiguousarray(view), grid, 0.1))
    assert phi.flags.c_contiguous


def test_hopf_lax_input_errors():
    grid = Grid((4, 3), ((0, 1), (0, 1)))
    good = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"phi0 has shape \(3, 4\)"):
        hopf_lax(np.zeros((3, 4)), grid, 1.0)
    with pytest.raises(ValueError, match="phi0 has shape"):
        hopf_lax(np.zeros((1, 4, 3)), grid, 1.0)
    for bad in (np.nan, np.inf, -np.inf):
        phi0 = good.copy()
        phi0[1, 2] = bad
        with pytest.raises(ValueError, match="phi0 must be finite, but 1 of its 12"):
            hopf_lax(phi0, grid, 1.0)
    with pytest.raises(TypeError, match="phi0 must be real"):
        hopf_lax(good + 1j, grid, 1.0)
    for t in (-1e-3, np.nan, np.inf):
        with pytest.raises(ValueError, match="t must be finite and >= 0"):
            hopf_lax(good, grid, t)
    with pytest.raises(TypeError, match="t must be a real number"):
        hopf_lax(good, grid, "soon")
    with pytest.raises(TypeError, match="grid must be an eulerflow.Grid"):
        hopf_lax(good, (4, 3), 1.0)


# -- hj_linear_solution ----------------------------------------------------------------------------
def test_hj_linear_solution_formula_and_equation():
    grid = Grid((5, 4, 3), ((0, 1), (-1, 1), (2, 3)), periodic=(True, False, False))
    s = np.array([0.5, -1.0, 2.0])
    x, y, z = grid.centers
    phi0 = hj_linear_solution(grid, s, 0.0, offset=-0.7)
    assert phi0.shape == grid.shape
    np.testing.assert_allclose(phi0, 0.5 * x - y + 2 * z - 0.7, rtol=0, atol=1e-14)
    phi = hj_linear_solution(grid, s, 1.5, offset=-0.7)
    np.testing.assert_allclose(phi - phi0, np.full(grid.shape, -1.5 * 5.25 / 2), atol=1e-14)
    # Scalar slope in 1D.
    line = Grid(4, (0.0, 1.0))
    np.testing.assert_allclose(
        hj_linear_solution(line, 3.0, 2.0), 3.0 * line.axis_centers(0) - 9.0, atol=1e-14
    )


def test_hj_linear_solution_input_errors():
    grid = Grid((4, 3), ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match=r"slope must have shape \(2,\)"):
        hj_linear_solution(grid, [1.0, 2.0, 3.0], 1.0)
    with pytest.raises(ValueError, match="slope must be finite"):
        hj_linear_solution(grid, [1.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="t must be finite and >= 0"):
        hj_linear_solution(grid, [1.0, 2.0], -1.0)
    with pytest.raises(ValueError, match="offset must be finite"):
        hj_linear_solution(grid, [1.0, 2.0], 1.0, offset=np.inf)


# -- hj_quadratic_solution -------------------------------------------------------------------------
def test_hj_quadratic_solution_one_dimensional_closed_form():
    grid = Grid(9, (-2.0, 3.0))
    x = grid.axis_centers(0)
    for q, t in ((2.0, 0.7), (-0.5, 1.9), (0.0, 3.0)):
        expected = q * (x - 0.4) ** 2 / (2 * (1 + t * q)) + 1.5
        actual = hj_quadratic_solution(grid, q, t, center=0.4, offset=1.5)
        np.testing.assert_allclose(actual, expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize(
    "Q, center",
    [
        (np.array([[1.0, 0.3], [0.3, -0.5]]), [0.2, -0.1]),
        (np.array([[0.8, 0.1, -0.2], [0.1, -0.3, 0.05], [-0.2, 0.05, 0.4]]), [0.1, 0.0, -0.3]),
    ],
)
def test_hj_quadratic_solution_solves_the_equation(Q, center):
    # Central differences are exact in x for a quadratic; in t the error is O(dt^2).
    d = Q.shape[0]
    grid = Grid((11, 9, 7)[:d], [(-1.0, 1.0)] * d)
    t, dt = 0.8, 1e-4
    assert 1 + t * np.linalg.eigvalsh(Q)[0] > 0
    phi = hj_quadratic_solution(grid, Q, t, center, offset=0.3)
    phi_t = (
        hj_quadratic_solution(grid, Q, t + dt, center, offset=0.3)
        - hj_quadratic_solution(grid, Q, t - dt, center, offset=0.3)
    ) / (2 * dt)
    grad = np.gradient(phi, *grid.spacing, edge_order=2)
    grad = [grad] if d == 1 else grad
    residual = phi_t + 0.5 * sum(g * g for g in grad)
    assert np.max(np.abs(residual)) < 1e-7
    # The datum at t = 0.
    coords = [x - c for x, c in zip(grid.centers, center, strict=True)]
    phi0 = 0.3 + 0.5 * sum(Q[a, b] * coords[a] * coords[b] for a in range(d) for b in range(d))
    np.testing.assert_allclose(hj_quadratic_solution(grid, Q, 0.0, center, 0.3), phi0, atol=1e-14)


def test_hj_quadratic_solution_scalar_center_and_matrix_equivalence():
    grid = Grid((6, 5), ((-1.0, 1.0), (0.0, 2.0)))
    a = hj_quadratic_solution(grid, 0.7, 1.2, center=0.5)
    b = hj_quadratic_solution(grid, 0.7 * np.eye(2), 1.2, center=[0.5, 0.5])
    np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-15)


def test_hj_quadratic_solution_reports_the_shock_time():
    grid = Grid((4, 4), ((-1, 1), (-1, 1)))
    Q = np.diag([1.0, -2.0])  # t* = 1 / 2
    phi = hj_quadratic_solution(grid, Q, 0.499)
    assert np.all(np.isfinite(phi))
    for t in (0.5, 0.7):
        with pytest.raises(ValueError, match=r"shock.*t\* = 1/\|lambda_min\(Q\)\| = 0\.5;"):
            hj_quadratic_solution(grid, Q, t)
    # Positive semidefinite Q: no shock, ever.
    assert np.all(np.isfinite(hj_quadratic_solution(grid, np.diag([1.0, 0.0]), 1e6)))


def test_hj_quadratic_solution_input_errors():
    grid = Grid((4, 3), ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match="Q must be symmetric"):
        hj_quadratic_solution(grid, [[1.0, 0.5], [0.0, 1.0]], 1.0)
    with pytest.raises(ValueError, match=r"Q must be a scalar or a \(2, 2\) matrix"):
        hj_quadratic_solution(grid, np.eye(3), 1.0)
    with pytest.raises(ValueError, match="Q must be a square"):
        hj_quadratic_solution(grid, [1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="Q must be finite"):
        hj_quadratic_solution(grid, [[1.0, np.nan], [np.nan, 1.0]], 1.0)
    with pytest.raises(ValueError, match=r"center must have shape \(2,\)"):
        hj_quadratic_solution(grid, np.eye(2), 1.0, center=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="t must be finite and >= 0"):
        hj_quadratic_solution(grid, np.eye(2), -0.1)
    assert math.isfinite(hj_quadratic_solution(grid, np.eye(2), 1.0).sum())
