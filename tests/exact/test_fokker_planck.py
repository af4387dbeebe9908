"""Closed forms of linear Fokker-Planck equations: OU moments, heat kernel, Gibbs state."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg

import eulerflow as ef
from eulerflow.exact import gibbs_state, heat_kernel, ornstein_uhlenbeck, ou_moments

A_NONSYM = np.array([[1.0, 0.8], [-0.5, 0.6]])  # eigenvalues 0.8 +- 0.62i
B = np.array([0.4, -0.3])
M0 = np.array([-1.0, 1.5])
S0 = np.array([[0.3, 0.05], [0.05, 0.2]])


@pytest.mark.parametrize("A", [A_NONSYM, np.array([[1.0, 0.3], [0.3, 0.5]]), 2.0 * np.eye(2)])
def test_moments_solve_the_moment_odes(A):
    """m' = -A (m - b), S' = -A S - S A^T + 2 eps I, checked by central differences in t."""
    eps, t, h = 0.35, 0.7, 1e-4
    mean, cov = ou_moments(t, A, B, eps, M0, S0)
    mean_p, cov_p = ou_moments(t + h, A, B, eps, M0, S0)
    mean_m, cov_m = ou_moments(t - h, A, B, eps, M0, S0)
    np.testing.assert_allclose((mean_p - mean_m) / (2 * h), -A @ (mean - B), atol=1e-8)
    rhs = -A @ cov - cov @ A.T + 2 * eps * np.eye(2)
    np.testing.assert_allclose((cov_p - cov_m) / (2 * h), rhs, atol=1e-8)
    mean_0, cov_0 = ou_moments(0.0, A, B, eps, M0, S0)
    np.testing.assert_allclose(mean_0, M0, atol=1e-15)
    np.testing.assert_allclose(cov_0, S0, atol=1e-15)
    np.testing.assert_array_equal(cov, cov.T)


def test_stationary_law_solves_the_lyapunov_equation():
    eps = 0.5
    mean, cov = ou_moments(math.inf, A_NONSYM, B, eps, M0, S0)
    np.testing.assert_array_equal(mean, B)
    np.testing.assert_allclose(A_NONSYM @ cov + cov @ A_NONSYM.T, 2 * eps * np.eye(2), atol=1e-13)
    # long times converge to it
    mean_t, cov_t = ou_moments(40.0, A_NONSYM, B, eps, M0, S0)
    np.testing.assert_allclose(mean_t, mean, atol=1e-12)
    np.testing.assert_allclose(cov_t, cov, atol=1e-12)
    with pytest.raises(ValueError, match="positive real part"):
        ou_moments(math.inf, -A_NONSYM, B, eps, M0, S0)


def test_symmetric_case_matches_the_diagonalised_formula():
    """For symmetric A = Q diag(l) Q^T: S = Q (e^{-2tl} S0' + eps (1 - e^{-2tl}) / l) Q^T."""
    A = np.array([[1.2, 0.4], [0.4, 0.7]])
    eps, t = 0.6, 0.9
    lam, Q = np.linalg.eigh(A)
    decay = np.diag(np.exp(-t * lam))
    expected = (
        Q @ (decay @ (Q.T @ S0 @ Q) @ decay) @ Q.T
        + Q @ np.diag(eps * (1 - np.exp(-2 * t * lam)) / lam) @ Q.T
    )
    _, cov = ou_moments(t, A, B, eps, M0, S0)
    np.testing.assert_allclose(cov, expected, atol=1e-14)
    mean, _ = ou_moments(t, A, B, eps, M0, S0)
    np.testing.assert_allclose(mean, B + scipy.linalg.expm(-t * A) @ (M0 - B), atol=1e-15)


def test_one_dimensional_scalars_and_grid_density():
    mean, cov = ou_moments(0.5, 2.0, 1.0, 0.25, 0.0, 0.1)
    np.testing.assert_allclose(mean, [1 - math.exp(-1.0)])
    np.testing.assert_allclose(cov, [[0.1 * math.exp(-2.0) + 0.125 * (1 - math.exp(-2.0))]])
    grid = ef.Grid(400, (-4, 6))
    rho = ornstein_uhlenbeck(grid, 0.5, 2.0, 1.0, 0.25, 0.0, 0.1)
    assert grid.integrate(rho) == pytest.approx(1.0, abs=1e-12)
    x = grid.centers[0]
    assert grid.integrate(rho * x) == pytest.approx(mean[0], abs=1e-10)


def test_heat_kernel_is_the_ou_law_with_zero_drift():
    grid = ef.Grid((40, 30), ((-3, 3), (-2, 2)))
    rho = heat_kernel(grid, 0.3, 0.5, (0.2, -0.1))
    same = ornstein_uhlenbeck(grid, 0.3, np.zeros((2, 2)), (0, 0), 0.5, (0.2, -0.1), 1e-300)
    np.testing.assert_allclose(rho, same, rtol=1e-12, atol=1e-300)
    with pytest.raises(ValueError, match="t > 0 and eps > 0"):
        heat_kernel(grid, 0.0, 0.5, (0, 0))


def test_gibbs_state_normalised_and_positive():
    grid = ef.Grid((20, 24), ((-2, 2), (-3, 3)))
    rho = gibbs_state(grid, lambda x, y: 0.5 * x**2 + y**4, 0.4, mass=2.5)
    assert grid.integrate(rho) == pytest.approx(2.5, rel=1e-14)
    x, y = grid.centers
    ratio = rho / np.exp(-(0.5 * x**2 + y**4) / 0.4)
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-12)
    with pytest.raises(ValueError, match="eps > 0"):
        gibbs_state(grid, lambda x, y: x, 0.0)
    with pytest.raises(ValueError, match="mass must be > 0"):
        gibbs_state(grid, lambda x, y: x, 1.0, mass=-1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="eps"):
        ou_moments(1.0, np.eye(2), B, -1.0, M0, S0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        ou_moments(-1.0, np.eye(2), B, 1.0, M0, S0)
    with pytest.raises(ValueError, match="square"):
        ou_moments(1.0, np.ones((2, 3)), B, 1.0, M0, S0)
    with pytest.raises(ValueError, match="cov0"):
        ou_moments(1.0, np.eye(2), B, 1.0, M0, np.ones((3, 3)))
    with pytest.raises(ValueError, match="for this grid"):
        ornstein_uhlenbeck(ef.Grid(10, (0, 1)), 1.0, np.eye(2), B, 1.0, M0, S0)


def test_the_two_closed_forms_of_the_noise_integral_agree():
    """Van Loan (short times) and the Lyapunov form (long times) meet at t ||A|| = 1."""
    for A in (A_NONSYM, np.array([[1.0, 0.3], [0.3, 0.5]])):
        t_switch = 1 / np.linalg.norm(A, 2)
        _, below = ou_moments(t_switch * (1 - 1e-9), A, B, 0.4, M0, S0)
        _, above = ou_moments(t_switch * (1 + 1e-9), A, B, 0.4, M0, S0)
        np.testing.assert_allclose(below, above, atol=1e-12)
