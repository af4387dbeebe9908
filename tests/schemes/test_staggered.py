"""The reference Benamou-Brenier kernels: adjoint pairs, the Poisson solve and the proximal map."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from eulerflow.backends import get_backend

CASES = [
    ((7,), (False,)),
    ((6,), (True,)),
    ((5, 4), (False, True)),
    ((3, 4, 5), (True, False, True)),
]


def _random_staggered(rng, n_time, shape, periodic):
    rho = rng.standard_normal((n_time + 1, *shape))
    m = []
    for a, per in enumerate(periodic):
        face = (n_time, *(k + 1 if b == a else k for b, k in enumerate(shape)))
        full = rng.standard_normal(face)
        first = [slice(None)] * full.ndim
        last = [slice(None)] * full.ndim
        first[a + 1], last[a + 1] = 0, -1
        if per:
            full[tuple(last)] = full[tuple(first)]
        m.append(full)
    return rho, tuple(m)


def _face_dot(x, y, periodic):
    """Sum over distinct faces (drop the last copy on periodic axes)."""
    total = 0.0
    for a, (u, v, per) in enumerate(zip(x, y, periodic, strict=True)):
        index = [slice(None)] * u.ndim
        if per:
            index[a + 1] = slice(0, -1)
        total += float(np.sum(u[tuple(index)] * v[tuple(index)]))
    return total


@pytest.mark.parametrize(("shape", "periodic"), CASES)
def test_interpolation_adjoint(shape, periodic, rng):
    be = get_backend("numpy")
    n_time = 4
    rho_s, m_s = _random_staggered(rng, n_time, shape, periodic)
    rho_c = rng.standard_normal((n_time, *shape))
    m_c = tuple(rng.standard_normal((n_time, *shape)) for _ in shape)
    i_rho, i_m = be.bb_interpolate(rho_s, m_s)
    t_rho, t_m = be.bb_interpolate_adjoint(rho_c, m_c, periodic)
    lhs = float(np.sum(i_rho * rho_c)) + sum(
        float(np.sum(u * v)) for u, v in zip(i_m, m_c, strict=True)
    )
    rhs = float(np.sum(rho_s * t_rho)) + _face_dot(m_s, t_m, periodic)
    assert lhs == pytest.approx(rhs, rel=1e-12)
    for a, per in enumerate(periodic):
        if per:
            np.testing.assert_array_equal(t_m[a].take(0, axis=a + 1), t_m[a].take(-1, axis=a + 1))


@pytest.mark.parametrize(("shape", "periodic"), CASES)
def test_gradient_is_minus_divergence_transpose(shape, periodic, rng):
    be = get_backend("numpy")
    n_time = 5
    spacing = tuple(0.3 + 0.1 * a for a in range(len(shape)))
    rho_s, m_s = _random_staggered(rng, n_time, shape, periodic)
    # unknowns only: zero boundary time faces and walls
    rho_s[0] = rho_s[-1] = 0
    for a, per in enumerate(periodic):
        if not per:
            idx = [slice(None)] * m_s[a].ndim
            idx[a + 1] = 0
            m_s[a][tuple(idx)] = 0
            idx[a + 1] = -1
            m_s[a][tuple(idx)] = 0
    p = rng.standard_normal((n_time, *shape))
    div = be.bb_divergence(rho_s, m_s, spacing, periodic)
    g_rho, g_m = be.bb_gradient(p, spacing, periodic)
    lhs = float(np.sum(div * p))
    rhs = -(float(np.sum(rho_s * g_rho)) + _face_dot(m_s, g_m, periodic))
    assert lhs == pytest.approx(rhs, rel=1e-12)


@pytest.mark.parametrize(("shape", "periodic"), CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_poisson_solves(shape, periodic, dtype, rng):
    be = get_backend("numpy")
    n_time = 6
    spacing = tuple(0.2 + 0.05 * a for a in range(len(shape)))
    f = rng.standard_normal((n_time, *shape))
    f -= f.mean()
    f = f.astype(dtype)
    p = be.bb_poisson(f, spacing, periodic)
    assert p.dtype == dtype
    g = be.bb_gradient(p, spacing, periodic)
    back = -be.bb_divergence(*g, spacing, periodic)
    tol = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(back, f, atol=tol * np.abs(f).max())
    assert abs(float(p.sum(dtype=np.float64))) < tol * p.size * np.abs(p).max()


def _prox_brute(rho, m, gamma):
    """argmin gamma |M|^2/(2R) + |R - rho|^2/2 + |M - m|^2/2 over R > 0 (or (0, 0))."""

    def objective(x):
        r, mm = x[0], x[1:]
        if r <= 0:
            return np.inf
        return gamma * mm @ mm / (2 * r) + 0.5 * (r - rho) ** 2 + 0.5 * np.sum((mm - m) ** 2)

    best = np.concatenate([[0.0], 0 * m])
    best_val = 0.5 * rho**2 + 0.5 * m @ m
    for start in (max(rho, 1e-3), 1.0, abs(rho) + np.linalg.norm(m)):
        res = minimize(
            objective,
            np.concatenate([[start], m * 0.5]),
            method="Nelder-Mead",
            options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000},
        )
        if res.fun < best_val:
            best, best_val = res.x, res.fun
    return best


def test_prox_against_direct_minimisation(rng):
    be = get_backend("numpy")
    for _ in range(30):
        rho = float(rng.normal() * 2)
        m = rng.normal(size=2) * 2
        gamma = float(10 ** rng.uniform(-2, 1))
        cell = np.ones((1, 1, 1))
        out_rho, out_m = be.bb_prox(rho * cell, (m[0] * cell, m[1] * cell), gamma)
        got = np.array([out_rho.item(), out_m[0].item(), out_m[1].item()])
        want = _prox_brute(rho, m, gamma)
        np.testing.assert_allclose(got, want, atol=1e-5 * (1 + abs(rho) + np.abs(m).max()))


def _prox_exact(rho, m, gamma):
    """The proximal map in 60-digit arithmetic (mpmath), for one point."""
    import mpmath  # in the test extra: a missing mpmath fails, never skips

    with mpmath.workdps(60):
        rho, m, gamma = mpmath.mpf(float(rho)), mpmath.mpf(float(m)), mpmath.mpf(float(gamma))
        a, c = gamma + rho, gamma * m * m / 2
        # Newton from the upper bound max(a, 0) + cbrt(c): monotone on the convex branch
        s = max(a, 0) + mpmath.cbrt(c)
        for _ in range(500):
            if s == 0:
                break
            step = (s * s * (s - a) - c) / (s * (3 * s - 2 * a))
            s -= step
            if abs(step) <= mpmath.mpf(10) ** -45 * s:
                break
        r = s - gamma
        if r <= 0:
            return 0.0, 0.0
        return float(r), float(r * m / s)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prox_against_high_precision(dtype, rng):
    """Every regime (vacuum, rho_c < 0, m_c = 0, tiny and huge gamma) to round-off, no NaN."""
    be = get_backend("numpy")
    n = 160
    rho = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 4, n)
    m0 = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 4, n)
    rho[:20] = 0
    m0[20:40] = 0
    rho[40:60] = -np.abs(m0[40:60])
    rho, m0 = rho.astype(dtype), m0.astype(dtype)
    eps = np.finfo(dtype).eps
    for gamma in (1e-8, 1e-3, 1.0, 1e3, 1e8):
        r, (m,) = be.bb_prox(rho[None], (m0[None],), gamma)
        r, m = r[0].astype(float), m[0].astype(float)
        assert np.all(np.isfinite(r)) and np.all(np.isfinite(m)) and np.all(r >= 0)
        exact = np.array([_prox_exact(x, y, gamma) for x, y in zip(rho, m0, strict=True)])
        scale = np.abs(rho.astype(float)) + np.abs(m0.astype(float))
        assert np.max(np.abs(r - exact[:, 0]) / scale) < 64 * eps, gamma
        assert np.max(np.abs(m - exact[:, 1]) / scale) < 64 * eps, gamma


def test_prox_in_place(rng):
    be = get_backend("numpy")
    rho = rng.standard_normal((3, 4, 5))
    m = (rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5)))
    want_r, want_m = be.bb_prox(rho, m, 0.7)
    be.bb_prox(rho, m, 0.7, out=(rho, m))
    np.testing.assert_array_equal(rho, want_r)
    np.testing.assert_array_equal(m[0], want_m[0])
    np.testing.assert_array_equal(m[1], want_m[1])
