"""Moment errors with standard errors."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.metrics import density_moments, moment_errors

GRID = ef.Grid((64, 64), ((-6, 6), (-6, 6)))
MEAN, COV = np.array([0.3, -0.2]), np.array([[1.0, 0.4], [0.4, 0.6]])


def test_density_moments_of_a_grid_gaussian():
    rho = ef.exact.gaussian_density(GRID, MEAN, COV)
    mean, cov = density_moments(rho, GRID)
    # the piecewise-constant density's covariance exceeds the Gaussian's by h^2/6 per axis
    # (Sheppard's correction, twice) up to O(h^4)
    h = np.array(GRID.spacing)
    np.testing.assert_allclose(mean, MEAN, atol=1e-6)
    np.testing.assert_allclose(cov, COV + np.diag(h**2 / 6), atol=1e-6)


def test_known_errors_of_deterministic_samples():
    grid = ef.Grid(2, (0, 1))
    errors = moment_errors([0.0, 0.5, 1.0, 0.5], [1.0, 1.0], grid)
    assert errors.mean_error[0] == pytest.approx(0.0)
    assert errors.cov_error[0, 0] == pytest.approx(0.5 / 3 - 1 / 12)
    assert errors.mean_se[0] == pytest.approx(np.sqrt(0.5 / 3 / 4))
    assert errors.n == 4 and errors.n_outside == 0


def test_exact_samples_are_within_a_few_standard_errors_and_wrong_ones_are_not():
    rho = ef.exact.gaussian_density(GRID, MEAN, COV)
    rng = np.random.default_rng(1)
    n = 10_000
    zs = [moment_errors(ef.particles.sample(rho, GRID, n, rng), rho, GRID).z for _ in range(20)]
    # 5 entries (2 means, 3 covariances): the largest |N(0, 1)| of 5 is below 3.5 in 99 % of draws
    assert np.median(zs) < 3
    chol = np.linalg.cholesky(COV)
    white = rng.standard_normal((n, 2))
    shifted = MEAN + white @ chol.T + [0.1, 0.0]
    wider = MEAN + np.sqrt(1.1) * white @ chol.T  # covariance 10 % off
    assert moment_errors(shifted, rho, GRID).z > 5
    assert moment_errors(wider, rho, GRID).z > 5


def test_standard_errors_match_the_spread_of_the_errors():
    rho = ef.exact.gaussian_density(GRID, MEAN, COV)
    rng = np.random.default_rng(2)
    runs = [
        moment_errors(ef.particles.sample(rho, GRID, 1000, rng), rho, GRID) for _ in range(1000)
    ]
    spread = np.std([r.cov_error for r in runs], axis=0)
    se = np.mean([r.cov_se for r in runs], axis=0)
    # 1000 draws: the spread is known to about 1 / sqrt(2 * 999) = 2.2 %; 8 % is 3.5 of those
    np.testing.assert_allclose(se, spread, rtol=0.08)
    np.testing.assert_allclose(
        np.mean([r.mean_se for r in runs], axis=0),
        np.std([r.mean_error for r in runs], axis=0),
        rtol=0.08,
    )
