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
    with pytest.raises(ValueError, match="t > 0 and diffusion > 0"):
        heat_kernel(grid, 0.0, 0.5, (0, 0))


def test_gibbs_state_normalised_and_positive():
    grid = ef.Grid((20, 24), ((-2, 2), (-3, 3)))
    rho = gibbs_state(grid, lambda x, y: 0.5 * x**2 + y**4, 0.4, mass=2.5)
    assert grid.integrate(rho) == pytest.approx(2.5, rel=1e-14)
    x, y = grid.centers
    ratio = rho / np.exp(-(0.5 * x**2 + y**4) / 0.4)
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-12)
    with pytest.raises(ValueError, match="diffusion > 0"):
        gibbs_state(grid, lambda x, y: x, 0.0)
    with pytest.raises(ValueError, match="mass must be > 0"):
        gibbs_state(grid, lambda x, y: x, 1.0, mass=-1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="diffusion"):
        ou_moments(1.0, np.eye(2), B, -1.0, M0, S0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        ou_moments(-1.0, np.eye(2), B, 1.0, M0, S0)
    with pytest.raises(ValueError, match="square"):
        ou_moments(1.0, np.ones((2, 3)), B, 1.0, M0, S0)
    with pytest.raises(ValueError, match="cov0"):
        ou_moments(1.0, np.eye(2), B, 1.0, M0, np.ones((3, 3)))
    with pytest.raises(ValueError, match="for this grid"):
        ornstein_uhlenbeck(ef.Grid(10, (0, 1)), 1.0, np.eye(2), B, 1.0, M0, S0)


def _mp_noise_integral(t, A):
    """``int_0^t e^{-sA} e^{-sA^T} ds`` by Van Loan's block exponential over the whole ``t`` in
    high precision (enough digits to absorb its ``e^{t ||A||}`` cancellation): an independent
    reference for the scaled-and-doubled double-precision computation."""
    import mpmath  # in the test extra: a missing mpmath fails, never skips

    digits = 30 + math.ceil(2 * t * np.linalg.norm(A, 1) / math.log(10))
    with mpmath.workdps(digits):
        d = A.shape[0]
        block = mpmath.zeros(2 * d, 2 * d)
        for i in range(d):
            block[i, d + i] = 1
            for j in range(d):
                block[i, j] = -mpmath.mpf(float(A[i, j]))
                block[d + i, d + j] = mpmath.mpf(float(A[j, i]))
        big = mpmath.expm(mpmath.mpf(float(t)) * block)
        return np.array((big[:d, d:] * big[:d, :d].T).tolist(), dtype=float)


def test_noise_integral_matches_high_precision_where_the_doublings_change():
    """The Van Loan step ``tau = t / 2^k`` (``tau ||A||_1 <= 1/2``) changes at ``t ||A||_1 =
    2^(k-1)``: on both sides the covariance matches the 60-digit reference to round-off."""
    eps = 0.4
    for A in (A_NONSYM, np.array([[1.0, 0.3], [0.3, 0.5]])):
        norm = np.linalg.norm(A, 1)
        for k in (0, 1, 5):
            for t in 2.0 ** (k - 1) / norm * np.array([1 - 1e-12, 1 + 1e-12]):
                _, cov = ou_moments(t, A, B, eps, M0, 0.0)
                want = 2 * eps * _mp_noise_integral(t, A)
                np.testing.assert_allclose(cov, want, rtol=1e-14, atol=1e-15 * np.abs(want).max())


@pytest.mark.parametrize("t", [0.1, 3.0, 30.0, 200.0])
def test_noise_integral_is_accurate_with_a_near_zero_eigenvalue(t):
    """Stable ``A`` with an eigenvalue ``1e-8``: the Lyapunov form ``S_inf - e^{-tA} S_inf
    e^{-tA^T}`` cancels (relative error 6e-8 on diag(50, 1e-8) at t = 0.1); the result must be
    accurate to round-off. References: the diagonal closed form ``eps (1 - e^{-2 a t}) / a``
    (``expm1``) and, for a non-normal ``A``, Van Loan's formula in high precision."""
    eps = 0.7
    lam = np.array([50.0, 1e-8])
    _, cov = ou_moments(t, np.diag(lam), B, eps, M0, 0.0)
    expected = eps * -np.expm1(-2 * lam * t) / lam
    np.testing.assert_allclose(np.diag(cov), expected, rtol=1e-13)
    assert cov[0, 1] == 0.0
    # non-normal: A = P diag(3, 1e-8) P^-1 (real eigenvalues, eigenvectors 27 degrees apart)
    P = np.array([[1.0, 0.9], [0.2, 1.0]])
    A = P @ np.diag([3.0, 1e-8]) @ np.linalg.inv(P)
    _, cov = ou_moments(t, A, B, eps, M0, 0.0)
    want = 2 * eps * _mp_noise_integral(t, A)
    np.testing.assert_allclose(cov, want, rtol=1e-13)
