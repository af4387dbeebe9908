"""MMD (Gaussian kernel) and energy distance: closed forms, the floor, a wrong model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

import eulerflow as ef
from eulerflow.metrics import energy_distance, gaussian_mmd_squared, mmd_squared
from eulerflow.metrics.inputs import cell_points
from eulerflow.metrics.kernels import energy_kernel, gaussian_kernel, kernel_mmd_squared


def grid_measure(grid, mean, cov):
    rho = ef.exact.gaussian_density(grid, mean, cov)
    return cell_points(rho / rho.sum(), grid)


def test_closed_form_gaussian_mmd_against_two_grid_gaussians():
    """The cell-centre measures converge to the Gaussians at second order in h."""
    m0, c0 = (0.0, 0.0), [[1.0, 0.3], [0.3, 0.7]]
    m1, c1 = (0.4, -0.2), [[0.8, 0.0], [0.0, 1.2]]
    for s in (0.5, 1.0, 2.0):
        exact = gaussian_mmd_squared(m0, c0, m1, c1, s)
        errors = []
        for n in (32, 64):
            grid = ef.Grid((n, n), ((-6, 6), (-6, 6)))
            x, a = grid_measure(grid, m0, c0)
            y, b = grid_measure(grid, m1, c1)
            errors.append(abs(kernel_mmd_squared(x, a, y, b, gaussian_kernel(s)) / exact - 1))
        assert 1.9 < math.log2(errors[0] / errors[1]) < 2.1
        assert errors[1] < 0.01


def test_closed_form_reduces_to_point_masses():
    delta, s = np.array([0.3, -1.2]), 0.8
    exact = 2 - 2 * math.exp(-(delta @ delta) / (2 * s * s))
    assert gaussian_mmd_squared(np.zeros(2), 0.0, delta, 0.0, s) == pytest.approx(exact)
    points = kernel_mmd_squared(
        np.zeros((1, 2)), np.ones(1), delta[None], np.ones(1), gaussian_kernel(s)
    )
    assert points == pytest.approx(exact, rel=1e-14)


def mean_abs_normal(mu: float, var: float) -> float:
    """E|Z| for Z ~ N(mu, var) (the folded normal mean)."""
    s = math.sqrt(var)
    return s * math.sqrt(2 / math.pi) * math.exp(-(mu**2) / (2 * var)) + mu * (
        1 - 2 * ndtr(-mu / s)
    )


def test_energy_distance_of_two_1d_gaussians():
    """2 E|X - Y| - E|X - X'| - E|Y - Y'| with X - Y ~ N(m0 - m1, v0 + v1)."""
    m0, v0, m1, v1 = 0.0, 1.0, 0.7, 0.5
    exact = (
        2 * mean_abs_normal(m0 - m1, v0 + v1)
        - mean_abs_normal(0.0, 2 * v0)
        - mean_abs_normal(0.0, 2 * v1)
    )
    grid = ef.Grid(2400, (-8, 8))
    x, a = grid_measure(grid, m0, v0)
    y, b = grid_measure(grid, m1, v1)
    assert kernel_mmd_squared(x, a, y, b, energy_kernel) == pytest.approx(exact, rel=1e-5)


def test_energy_distance_in_1d_is_twice_the_l2_distance_of_the_cdfs():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=7), rng.normal(0.5, 2.0, size=5)
    a, b = rng.random(7), rng.random(5)
    a, b = a / a.sum(), b / b.sum()
    points = np.sort(np.concatenate([x, y]))
    F = np.array([a[x <= t].sum() for t in points[:-1]])
    G = np.array([b[y <= t].sum() for t in points[:-1]])
    expected = 2 * np.sum((F - G) ** 2 * np.diff(points))
    value = kernel_mmd_squared(x[:, None], a, y[:, None], b, energy_kernel)
    assert value == pytest.approx(expected, rel=1e-12)


def test_blocked_sums_equal_the_direct_sums(monkeypatch):
    import eulerflow.metrics.kernels as kernels

    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(30, 3))
    a, b = np.full(50, 1 / 50), rng.dirichlet(np.ones(30))
    d2 = lambda u, v: ((u[:, None] - v[None]) ** 2).sum(-1)  # noqa: E731
    k = lambda q: np.exp(-q / 2)  # noqa: E731
    direct = a @ k(d2(x, x)) @ a - 2 * a @ k(d2(x, y)) @ b + b @ k(d2(y, y)) @ b
    monkeypatch.setattr(kernels, "_BLOCK_ENTRIES", 64)  # blocks of 1-2 rows
    assert kernel_mmd_squared(x, a, y, b, gaussian_kernel(1.0)) == pytest.approx(direct, rel=1e-12)


def test_mmd_of_gaussian_samples_against_the_closed_form():
    """V-statistic: E value = MMD^2 + (1 - E k(X, X')) / n for n i.i.d. samples of N(m1, S1);
    its fluctuation is 2 sd(f(X)) / sqrt(n) with the witness f = E k(., X') - E k(., Y)."""
    grid = ef.Grid((48, 48), ((-6, 6), (-6, 6)))
    rho = ef.exact.gaussian_density(grid, (0.0, 0.0), np.eye(2))
    n, s, shift = 4000, 1.0, np.array([0.5, 0.0])
    samples = np.random.default_rng(8).standard_normal((n, 2)) + shift
    score = mmd_squared(samples, rho, grid, bandwidth=s, n_floor=0)
    exact = gaussian_mmd_squared((0, 0), np.eye(2), shift, np.eye(2), s)
    # E k(x, N(m, I)) = det(I + I / s^2)^(-1/2) exp(-|x - m|^2 / (2 (1 + s^2))) in 2D
    c, width = 1 / (1 + 1 / s**2), 2 * (1 + s**2)
    witness = c * (
        np.exp(-((samples - shift) ** 2).sum(1) / width) - np.exp(-(samples**2).sum(1) / width)
    )
    se = 2 * witness.std() / math.sqrt(n)
    bias = (1 - 1 / (1 + 2 / s**2)) / n  # E k(X, X') = det(I + 2 I / s^2)^(-1/2)
    assert abs(score.value - exact - bias) < 3 * se


@pytest.mark.parametrize("metric", ["mmd", "energy"])
def test_floor_is_the_score_of_exact_samples_and_a_wrong_model_is_above_it(metric):
    grid = ef.Grid((16, 16), ((-5, 5), (-5, 5)))
    rho = ef.exact.gaussian_density(grid, (0.0, 0.0), np.eye(2))

    def score(samples, **kw):
        if metric == "mmd":
            return mmd_squared(samples, rho, grid, bandwidth=1.0, **kw)
        return energy_distance(samples, rho, grid, **kw)

    rng = np.random.default_rng(9)
    n = 500
    exact = [score(ef.particles.sample(rho, grid, n, rng), n_floor=0).value for _ in range(30)]
    reference = score(np.zeros((n, 2)), n_floor=30, rng=10)
    se = math.sqrt(np.var(exact, ddof=1) / 30 + reference.floor_std**2 / 30)
    assert abs(np.mean(exact) - reference.floor) < 3 * se
    n = 10_000
    wider = rng.standard_normal((n, 2)) * math.sqrt(1.1)  # variance 10 % off
    shifted = rng.standard_normal((n, 2)) + [0.1, 0.0]
    for samples in (wider, shifted):
        assert score(samples, n_floor=3, rng=1).excess > 3
