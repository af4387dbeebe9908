"""Exact JKO iterates of the Ornstein-Uhlenbeck flow from a Gaussian."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize

import eulerflow as ef
from eulerflow.exact import (
    gaussian_density,
    gaussian_jko_iterates,
    gaussian_jko_step,
    gaussian_w2_squared,
    ou_jko_densities,
    ou_moments,
)

# Anisotropic, and A does not commute with S_K (so no common eigenbasis simplifies the step).
A = np.array([[1.5, 0.6], [0.6, 0.5]])
B = np.array([0.7, -0.4])
M_K = np.array([-1.0, 1.2])
S_K = np.array([[0.4, -0.15], [-0.15, 0.9]])


def _free_energy(mean, cov, A, b, eps) -> float:
    """``eps int rho log rho + int rho V`` for ``rho = N(mean, cov)``, in closed form."""
    d = mean.size
    _, logdet = np.linalg.slogdet(cov)
    negentropy = -0.5 * (d * math.log(2 * math.pi * math.e) + logdet)
    potential = 0.5 * ((mean - b) @ A @ (mean - b) + np.trace(A @ cov))
    return eps * negentropy + potential


def _unpack(z: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance ``L L^T`` from the mean and the Cholesky entries (log diagonal)."""
    L = np.zeros((d, d))
    L[np.tril_indices(d)] = z[d:]
    L[np.diag_indices(d)] = np.exp(np.diag(L))
    return z[:d], L @ L.T


@pytest.mark.parametrize("tau, eps", [(0.3, 0.5), (1.0, 1.0), (0.05, 2.0)])
def test_step_is_the_minimiser_of_the_jko_functional(tau, eps):
    """Minimise W2^2(N(m, S), N(m_k, S_k)) / (2 tau) + E(N(m, S)) numerically and compare."""
    d = 2

    def jko_functional(z):
        m, S = _unpack(z, d)
        return gaussian_w2_squared(m, S, M_K, S_K) / (2 * tau) + _free_energy(m, S, A, B, eps)

    start = np.zeros(d + d * (d + 1) // 2)  # N(0, I): far from the answer
    found = scipy.optimize.minimize(
        jko_functional, start, method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40000, "maxfev": 40000},
    )  # fmt: skip
    assert found.success, found.message
    m_num, S_num = _unpack(found.x, d)
    m, S = gaussian_jko_step(M_K, S_K, tau, A=A, b=B, diffusion=eps)
    np.testing.assert_allclose(m, m_num, atol=1e-6)
    np.testing.assert_allclose(S, S_num, atol=1e-6)
    # The closed form is at least as good as the numerical minimiser, and strictly better than
    # nearby covariances.
    z = np.concatenate([m, np.linalg.cholesky(S)[np.tril_indices(d)]])
    z[[2, 4]] = np.log(z[[2, 4]])
    np.testing.assert_allclose(_unpack(z, d)[1], S, atol=1e-14)
    assert jko_functional(z) <= found.fun + 1e-13
    rng = np.random.default_rng(5)
    for _ in range(20):
        assert jko_functional(z + 1e-3 * rng.standard_normal(z.size)) > jko_functional(z)


def test_step_satisfies_the_optimality_condition():
    """T = B - eps tau S^{-1} is the optimal map from N(m, S) to N(m_k, S_k): T S T = S_k."""
    tau, eps = 0.4, 0.7
    m, S = gaussian_jko_step(M_K, S_K, tau, A=A, b=B, diffusion=eps)
    T = np.eye(2) + tau * A - eps * tau * np.linalg.inv(S)
    assert np.all(np.linalg.eigvalsh(0.5 * (T + T.T)) > 0)
    np.testing.assert_allclose(T @ S @ T, S_K, atol=1e-14)
    np.testing.assert_allclose((m - M_K) / tau + A @ (m - B), 0.0, atol=1e-14)


@pytest.mark.parametrize("d", [1, 3])
def test_isotropic_scalar_recursion(d):
    """A = I, b = 0, eps = 1: m_{k+1} = m_k / (1 + tau), (1 + tau) s^2 - s_k s - tau = 0."""
    tau, n = 0.25, 6
    mean0, s0 = np.linspace(-1.0, 2.0, d), 0.3
    means, covs = gaussian_jko_iterates(mean0, s0**2, tau, n, A=np.eye(d), b=np.zeros(d))
    s = s0
    for k in range(1, n + 1):
        s = (s + math.sqrt(s * s + 4 * (1 + tau) * tau)) / (2 * (1 + tau))
        np.testing.assert_allclose(means[k], mean0 / (1 + tau) ** k, rtol=1e-14)
        np.testing.assert_allclose(covs[k], s * s * np.eye(d), rtol=1e-14, atol=1e-300)
        assert (1 + tau) * s * s - math.sqrt(covs[k - 1][0, 0]) * s - tau == pytest.approx(
            0.0, abs=1e-14
        )


def test_heat_flow_and_deterministic_limits():
    """A = 0: the proximal map of the entropy; eps = 0: push-forward by implicit Euler."""
    tau, eps = 0.3, 0.8
    m, S = gaussian_jko_step(M_K, S_K, tau, A=0.0, b=np.zeros(2), diffusion=eps)
    e = eps * tau
    lam, V = np.linalg.eigh(S_K)
    expected = (V * (0.5 * (lam + 2 * e + np.sqrt(lam * (lam + 4 * e))))) @ V.T
    np.testing.assert_array_equal(m, M_K)
    np.testing.assert_allclose(S, expected, atol=1e-15)
    m, S = gaussian_jko_step(M_K, S_K, tau, A=A, b=B, diffusion=0.0)
    inv_B = np.linalg.inv(np.eye(2) + tau * A)
    np.testing.assert_allclose(m, inv_B @ (M_K + tau * A @ B), atol=1e-15)
    np.testing.assert_allclose(S, inv_B @ S_K @ inv_B, atol=1e-15)


def test_iterates_converge_to_the_ou_flow_at_first_order():
    """Error of step n = t / tau against the exact OU moments at t: order 1 in tau."""
    t, eps = 1.0, 0.6
    errors = []
    taus = [t / n for n in (10, 20, 40, 80)]
    exact_m, exact_S = ou_moments(t, A, B, eps, M_K, S_K)
    for tau in taus:
        means, covs = gaussian_jko_iterates(M_K, S_K, tau, round(t / tau), A=A, b=B, diffusion=eps)
        errors.append(np.linalg.norm(means[-1] - exact_m) + np.linalg.norm(covs[-1] - exact_S, 2))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 0.95) & (orders < 1.05)), orders
    assert errors[-1] < 1e-2
    # every intermediate iterate too: iterate k against the OU law at k tau
    means, covs = gaussian_jko_iterates(M_K, S_K, taus[-1], 80, A=A, b=B, diffusion=eps)
    for k in (5, 40):
        m_k, S_k = ou_moments(k * taus[-1], A, B, eps, M_K, S_K)
        assert np.linalg.norm(covs[k] - S_k, 2) < 2 * errors[-1]
        assert np.linalg.norm(means[k] - m_k) < 2 * errors[-1]


def test_gibbs_state_is_a_fixed_point_and_attracts():
    eps = 0.45
    gibbs = eps * np.linalg.inv(A)
    for tau in (1e-3, 0.2, 5.0):
        m, S = gaussian_jko_step(B, gibbs, tau, A=A, b=B, diffusion=eps)
        np.testing.assert_allclose(m, B, rtol=1e-15)
        np.testing.assert_allclose(S, gibbs, rtol=1e-13)
    means, covs = gaussian_jko_iterates(M_K, S_K, 0.5, 400, A=A, b=B, diffusion=eps)
    np.testing.assert_allclose(means[-1], B, atol=1e-12)
    np.testing.assert_allclose(covs[-1], gibbs, atol=1e-12)


def test_grid_densities_are_the_cell_averages_of_the_iterates():
    grid = ef.Grid((56, 56), ((-7, 7), (-6, 8)))  # 6 standard deviations
    rho = ou_jko_densities(grid, M_K, S_K, 0.2, 3, A=A, b=B, diffusion=0.6)
    means, covs = gaussian_jko_iterates(M_K, S_K, 0.2, 3, A=A, b=B, diffusion=0.6)
    assert rho.shape == (4, *grid.shape)
    np.testing.assert_array_equal(rho[2], gaussian_density(grid, means[2], covs[2]))
    np.testing.assert_allclose([grid.integrate(r) for r in rho], 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="grid is 1D"):
        ou_jko_densities(ef.Grid(10, (0, 1)), M_K, S_K, 0.2, 3, A=A, b=B)
    with pytest.raises(TypeError, match="grid must be an eulerflow.Grid"):
        ou_jko_densities((10, 10), M_K, S_K, 0.2, 3, A=A, b=B)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"tau": 0.0}, ValueError, "tau must be > 0"),
        ({"tau": -1.0}, ValueError, "tau must be > 0"),
        ({"tau": "big"}, TypeError, "tau must be a real number"),
        ({"diffusion": -0.1}, ValueError, "diffusion must be >= 0"),
        ({"mean": [0.0, 1.0, 2.0]}, ValueError, r"cov must be a scalar or a \(3, 3\)"),
        ({"mean": [[0.0, 1.0]]}, ValueError, "mean must be a vector"),
        ({"mean": [0.0, np.nan]}, ValueError, "mean must be finite"),
        ({"cov": [[1.0, 0.0], [0.0, -1.0]]}, ValueError, "cov must be positive definite"),
        ({"cov": [[1.0, 0.5], [0.0, 1.0]]}, ValueError, "cov must be symmetric"),
        ({"A": [[1.0, 0.5], [0.0, 1.0]]}, ValueError, "A must be symmetric"),
        ({"A": np.eye(3)}, ValueError, r"A must be a scalar or a \(2, 2\)"),
        ({"A": -5.0, "tau": 0.5}, ValueError, "I \\+ tau A must be positive definite"),
        ({"b": [1.0]}, ValueError, r"b must have shape \(2,\)"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match):
    args = {"mean": M_K, "cov": S_K, "tau": 0.1, "A": A, "b": B, "diffusion": 1.0, **kwargs}
    with pytest.raises(error, match=match):
        gaussian_jko_step(**args)


def test_bad_iterates_input_names_the_argument():
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        gaussian_jko_iterates(M_K, S_K, 0.1, 0, A=A, b=B)
    with pytest.raises(TypeError, match="n_steps must be an integer"):
        gaussian_jko_iterates(M_K, S_K, 0.1, 2.0, A=A, b=B)
    with pytest.raises(ValueError, match="cov0 must be positive definite"):
        gaussian_jko_iterates(M_K, np.zeros((2, 2)), 0.1, 2, A=A, b=B)
    with pytest.raises(ValueError, match="mean0 must be finite"):
        gaussian_jko_iterates([np.inf, 0.0], S_K, 0.1, 2, A=A, b=B)
