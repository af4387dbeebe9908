"""Deposit (NGP, CIC) and interpolation through the public functions.

The convergence test uses NGP on samples of a piecewise-constant density: the deposit is then
``N_c / (n |cell|)`` with multinomial counts, whose L1 error has mean
``sqrt(2 / pi) sum_c sqrt(p_c (1 - p_c) / n)`` (see ``test_sampling``): it must lie within 5
standard deviations of it for every ``n`` and decrease at the fitted rate ``n^(-1/2)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.particles import (
    ParticlesOutsideWarning,
    deposit,
    histogram,
    interpolate,
    sample,
)


def multinomial_l1_bounds(p, n, k=5.0):
    var = p * (1 - p) / n
    mean = np.sqrt(2 / np.pi) * np.sum(np.sqrt(var))
    sd = np.sqrt((1 - 2 / np.pi) * np.sum(var))
    return mean, mean - k * sd, mean + k * sd


GRIDS = [
    ef.Grid(11, (-1.0, 2.0)),
    ef.Grid(11, (-1.0, 2.0), periodic=True),
    ef.Grid((6, 5), ((0, 1), (-1, 1)), periodic=(True, False)),
    ef.Grid((4, 5, 3), ((0, 1), (0, 2), (0, 1)), periodic=(False, True, False)),
]


@pytest.mark.parametrize("method", ["ngp", "cic"])
@pytest.mark.parametrize("grid", GRIDS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_deposit_conserves_mass(grid, method, dtype, rng):
    n = 1001
    lo = np.array([b[0] for b in grid.bounds])
    width = np.array(grid.lengths)
    # inside the walled box, anywhere on periodic axes (several periods away)
    u = rng.uniform(0, 1, (n, grid.ndim))
    u[:, np.array(grid.periodic)] = rng.uniform(-3, 4, (n, sum(grid.periodic)))
    x = (lo + width * u).astype(dtype)
    w = rng.random(n)
    rho = deposit(x, grid, weights=w, method=method, backend="numba")
    assert rho.dtype == dtype and rho.shape == grid.shape and rho.min() >= 0
    tol = 1e-13 if dtype == np.float64 else 1e-6
    assert abs(float(grid.integrate(rho.astype(float))) - w.sum()) <= tol * w.sum()
    rho = deposit(x, grid, method=method, mass=2.5, backend="numpy")
    assert abs(float(grid.integrate(rho.astype(float))) - 2.5) <= tol * 2.5


def test_single_particles():
    grid = ef.Grid((5, 4), ((0.0, 5.0), (0.0, 2.0)), periodic=(False, True))
    h = grid.spacing
    # at a cell centre: all of it in that cell, for both methods
    x = np.array([[2.5, 1.25]])
    for method in ("ngp", "cic"):
        rho = deposit(x, grid, method=method, mass=3.0)
        want = np.zeros(grid.shape)
        want[2, 2] = 3.0 / grid.cell_volume
        np.testing.assert_allclose(rho, want, rtol=1e-15, atol=0)
    # on the face x = 2 between cells 1 and 2, at a y cell centre: half each (CIC)
    rho = deposit(np.array([[2.0, 0.75]]), grid)
    assert rho[1, 1] == rho[2, 1] == 0.5 / grid.cell_volume
    # quarter of a cell from the centre of (1, 1): linear weights 3/4, 1/4 per axis
    rho = deposit(np.array([[1.5 + 0.25 * h[0], 0.75 - 0.25 * h[1]]]), grid) * grid.cell_volume
    np.testing.assert_allclose(
        [rho[1, 1], rho[2, 1], rho[1, 0], rho[2, 0]], [9 / 16, 3 / 16, 3 / 16, 1 / 16], rtol=1e-14
    )
    # the half cell next to the wall x = 0 goes fully to cell 0; across the periodic
    # ends y = 0 = 2 the weight is split between the first and last row
    rho = deposit(np.array([[0.2, 0.1]]), grid) * grid.cell_volume
    np.testing.assert_allclose([rho[0, 0], rho[0, 3]], [0.7, 0.3], rtol=1e-14)
    assert rho.sum() == pytest.approx(1.0, abs=1e-15)
    # on the walls themselves (the box is closed)
    rho = deposit(np.array([[0.0, 0.25], [5.0, 0.25]]), grid, method="ngp") * grid.cell_volume
    assert rho[0, 0] == rho[4, 0] == 0.5


def test_ngp_deposit_of_samples_converges_at_rate_one_half():
    """Mean L1 error over 6 independent clouds per size: within 5 of its standard errors of the
    multinomial expectation, and a fitted slope of -1/2 in log-log (one cloud alone fluctuates
    by about 13% on 32 cells, which would blur the slope)."""
    grid = ef.Grid(32, (-3.0, 3.0))
    x = grid.centers[0]
    rho = np.exp(-(x**2)) * (1.5 + np.cos(3 * x))
    rho = grid.normalize(rho)
    p = rho * grid.cell_volume
    rng = np.random.default_rng(11)
    sizes = [1_000, 10_000, 100_000, 1_000_000]
    repeats = 6
    errors = []
    for n in sizes:
        runs = [
            grid.integrate(np.abs(histogram(sample(rho, grid, n, rng), grid) - rho))
            for _ in range(repeats)
        ]
        error = np.mean(runs)
        var = p * (1 - p) / n
        mean = np.sqrt(2 / np.pi) * np.sum(np.sqrt(var))
        sd = np.sqrt((1 - 2 / np.pi) * np.sum(var) / repeats)
        assert abs(error - mean) < 5 * sd, (n, mean, error, sd)
        errors.append(error)
    slope = np.polyfit(np.log(sizes), np.log(errors), 1)[0]
    assert -0.56 < slope < -0.44, slope


def test_cic_deposit_of_samples_is_close_to_smooth_density():
    """CIC of samples of cell averages: sampling error plus the O(h^2) smoothing of the tent."""
    grid = ef.Grid((24, 24), ((-3, 3), (-3, 3)), periodic=True)
    rho = ef.exact.gaussian_density(grid, mean=(0.3, -0.2), cov=[[0.6, 0.2], [0.2, 0.4]])
    n = 400_000
    estimate = deposit(sample(rho, grid, n, rng=4), grid)
    # CIC is a weighted sum of NGP counts of neighbouring cells: the L1 sampling error is at
    # most the NGP one; the smoothing bias is the deposit of the exact expectation
    p = rho * grid.cell_volume
    mean, _, high = multinomial_l1_bounds(p, n)
    expectation = deposit(sample(rho, grid, 4_000_000, rng=5), grid)
    bias = grid.integrate(np.abs(expectation - rho))
    error = grid.integrate(np.abs(estimate - rho))
    assert error < high + bias + mean / 2  # the large run's own sampling error < mean / 2
    assert bias < 0.05  # O(h^2) smoothing for h = 0.25


def test_outside_policies():
    grid = ef.Grid((4, 4), ((0, 1), (0, 1)), periodic=(False, True))
    x = np.array([[0.5, 0.5], [1.5, 0.5], [0.5, 7.3], [-0.1, 0.2]])
    with pytest.raises(ValueError, match="2 of 4 particles are outside"):
        deposit(x, grid)
    with pytest.warns(ParticlesOutsideWarning, match="2 of 4 .* weight 0.5 lost"):
        rho = deposit(x, grid, outside="drop")
    assert grid.integrate(rho) == pytest.approx(0.5, rel=1e-14)
    rho = deposit(x, grid, outside="clip")
    assert grid.integrate(rho) == pytest.approx(1.0, rel=1e-14)
    with pytest.raises(ValueError, match="non-finite"):
        deposit(np.array([[np.nan, 0.5]]), grid, outside="clip")
    with pytest.raises(ValueError, match="outside must be one of"):
        deposit(x, grid, outside="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParticlesOutsideWarning)
        values = interpolate(np.ones(grid.shape), x, grid, outside="drop")
    assert np.isnan(values[[1, 3]]).all() and np.all(values[[0, 2]] == 1)


def test_deposit_argument_errors():
    grid = ef.Grid((4, 4), ((0, 1), (0, 1)))
    x = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="either weights or mass"):
        deposit(x, grid, weights=np.ones(3), mass=2.0)
    with pytest.raises(ValueError, match="weights must have shape"):
        deposit(x, grid, weights=np.ones(4))
    with pytest.raises(ValueError, match="non-finite"):
        deposit(x, grid, weights=np.array([1, np.inf, 1]))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        deposit(np.ones((3, 3)), grid)
    with pytest.raises(ValueError, match="method must be one of"):
        deposit(x, grid, method="tsc")
    with pytest.raises(TypeError, match="Grid"):
        deposit(x, (4, 4))
    with pytest.raises(ValueError, match="values has shape"):
        interpolate(np.ones(5), x, grid)


@pytest.mark.parametrize("periodic", [False, True])
def test_cic_interpolation_is_exact_for_linear_functions(periodic, rng):
    """Between the outermost cell centres the CIC interpolant of ``f = a.x + c`` is exact."""
    grid = ef.Grid((7, 6, 5), ((0, 1), (-1, 1), (0, 2)), periodic=periodic)
    a, c = np.array([0.7, -1.3, 0.4]), 0.25
    f = c + sum(a[k] * grid.centers[k] for k in range(3))
    lo = np.array([b[0] for b in grid.bounds]) + 0.5 * np.array(grid.spacing)
    hi = np.array([b[1] for b in grid.bounds]) - 0.5 * np.array(grid.spacing)
    x = lo + (hi - lo) * rng.random((500, 3))
    got = interpolate(f, x, grid)
    np.testing.assert_allclose(got, c + x @ a, rtol=0, atol=1e-13)
    # NGP gives the value of the cell holding the particle
    cells = np.floor((x - [b[0] for b in grid.bounds]) / grid.spacing).astype(int)
    np.testing.assert_array_equal(
        interpolate(f, x, grid, method="ngp"), f[cells[:, 0], cells[:, 1], cells[:, 2]]
    )


def test_interpolation_is_adjoint_of_deposit(rng):
    grid = ef.Grid((9, 8), ((0, 1), (0, 1)), periodic=(True, False))
    x = rng.random((300, 2))
    w = rng.random(300)
    f = rng.standard_normal(grid.shape)
    for method in ("ngp", "cic"):
        lhs = np.sum(w * interpolate(f, x, grid, method=method))
        rhs = grid.integrate(deposit(x, grid, weights=w, method=method) * f)
        assert lhs == pytest.approx(rhs, rel=1e-12)
