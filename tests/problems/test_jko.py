"""The ou-jko problem: back-and-forth JKO against the exact Gaussian JKO iterates."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.problems.jko import mokrov_target


def test_target_is_mokrov_run_0():
    mean, cov = mokrov_target()
    np.testing.assert_allclose(cov, [[2.49125132, -0.23664398], [-0.23664398, 0.38763696]])
    np.testing.assert_allclose(mean, [-0.55162302, 0.8859694], rtol=1e-7)
    problem = ef.problems.get("ou-jko")
    assert problem.tau == 0.05 and problem.target_cov == cov


def test_reference_is_within_its_tolerance_of_the_exact_jko_iterates():
    """Measured at 128^2, inner tolerance 1e-6: L1 3.4e-3, 7.5e-3, 4.6e-3 (about 14 s)."""
    problem = ef.problems.get("ou-jko")
    grid = problem.grid()
    reference = problem.reference()
    for k, t in enumerate(problem.times):
        exact = problem.exact(t, grid)
        means, covs = ef.exact.gaussian_jko_iterates(
            np.zeros(2),
            np.eye(2),
            problem.tau,
            problem.steps(t),
            A=np.linalg.inv(problem.target_cov),
            b=problem.target_mean,
        )
        np.testing.assert_allclose(exact, ef.exact.gaussian_density(grid, means[-1], covs[-1]))
        assert np.sum(np.abs(reference[k] - exact)) * grid.cell_volume <= problem.tolerance


def test_exact_samples_have_the_moments_of_the_iterate(rng):
    problem = ef.problems.get("ou-jko")
    n = 100_000
    samples = problem.exact_samples(0.5, n, rng)
    mean, cov = problem.moments(0.5)
    std = np.sqrt(np.diag(cov))
    assert np.all(np.abs(samples.mean(axis=0) - mean) <= 4 * std / np.sqrt(n))
    # entries of the sample covariance: standard error sqrt((S_ii S_jj + S_ij^2) / n)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(samples.T) - cov) <= 4 * se)


def test_times_must_be_multiples_of_tau():
    with pytest.raises(ValueError, match="multiples of tau"):
        ef.problems.get("ou-jko", times=(0.25, 0.33))
    assert ef.problems.get("ou-jko", tau=0.1, times=(0.3,)).steps(0.3) == 3
