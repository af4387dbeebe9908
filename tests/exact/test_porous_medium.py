"""Barenblatt solutions: mass, the PDE (finite-difference residual), support radius, inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate

import eulerflow as ef
from eulerflow import exact

SPHERE_AREA = {1: 2.0, 2: 2 * math.pi, 3: 4 * math.pi}  # |S^{d-1}|, "area" of the unit sphere


def radial_mass(pdf, d: int, radius: float) -> float:
    """``int rho dx = |S^{d-1}| int_0^R rho(r e_1) r^(d-1) dr`` for a radial profile."""

    def integrand(r):
        point = [np.array(r)] + [np.array(0.0)] * (d - 1)
        return float(pdf(*point)) * r ** (d - 1)

    value, _ = scipy.integrate.quad(integrand, 0, radius, epsabs=1e-13, epsrel=1e-12, limit=200)
    return SPHERE_AREA[d] * value


def laplacian_and_time_derivative(pdf, m, t, point, step=1e-4, dt=1e-5):
    """Central differences: ``d_t rho`` and ``Laplace rho^m`` at ``point`` (4th order in space)."""
    point = [np.asarray(p, dtype=float) for p in point]
    time_derivative = (pdf(t + dt)(*point) - pdf(t - dt)(*point)) / (2 * dt)
    f = pdf(t)
    lap = 0.0
    for a in range(len(point)):

        def shifted(k, a=a):
            q = list(point)
            q[a] = q[a] + k * step
            return f(*q) ** m

        lap = lap + (
            -shifted(2) + 16 * shifted(1) - 30 * shifted(0) + 16 * shifted(-1) - shifted(-2)
        ) / (12 * step**2)
    return time_derivative, lap


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("m", [1.5, 2.0, 3.0])
@pytest.mark.parametrize("mass", [1.0, 2.5])
def test_barenblatt_mass_by_radial_quadrature(d, m, mass):
    t = 0.7
    pdf = exact.barenblatt_pdf(t, d, m, mass)
    radius = exact.barenblatt_radius(t, d, m, mass)
    assert radial_mass(pdf, d, radius) == pytest.approx(mass, rel=1e-9)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_barenblatt_cell_averages_carry_the_mass(d):
    n = {1: 101, 2: 41, 3: 17}[d]
    grid = ef.Grid((n,) * d, ((-2.0, 2.0),) * d)
    rho = exact.barenblatt(grid, t=0.2, m=2.0, mass=1.3, t0=0.05)
    assert rho.min() >= 0
    # the quadrature error (measured 3e-6 to 7e-6) comes from the kinked cells at the free boundary
    assert float(grid.integrate(rho)) == pytest.approx(1.3, rel=2e-5)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("m", [1.5, 2.0, 3.0])
def test_barenblatt_solves_the_porous_medium_equation(d, m):
    t, mass = 0.6, 1.0
    radius = exact.barenblatt_radius(t, d, m, mass)
    rng = np.random.default_rng(7)
    residuals, scales = [], []
    for _ in range(6):  # points inside the support, away from the free boundary
        direction = rng.standard_normal(d)
        direction /= np.linalg.norm(direction)
        point = direction * radius * rng.uniform(0.1, 0.8)
        dt, lap = laplacian_and_time_derivative(
            lambda s: exact.barenblatt_pdf(s, d, m, mass), m, t, point
        )
        residuals.append(abs(float(dt - lap)))
        scales.append(abs(float(dt)) + abs(float(lap)))
    assert max(residuals) < 1e-6 * max(scales)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_barenblatt_support_radius(d):
    m, mass, t, t0 = 2.5, 0.8, 0.3, 0.2
    pdf = exact.barenblatt_pdf(t, d, m, mass, t0)
    radius = exact.barenblatt_radius(t, d, m, mass, t0)
    c = exact.barenblatt_constants(d, m, mass)
    assert radius == pytest.approx(math.sqrt(c["C"] / c["k"]) * (t + t0) ** c["beta"])
    e = [1.0] + [0.0] * (d - 1)
    inside = pdf(*[np.array(0.999 * radius * x) for x in e])
    outside = pdf(*[np.array(1.001 * radius * x) for x in e])
    assert inside > 0 and outside == 0
    # the radius grows like t^beta, beta = 1 / (d (m - 1) + 2)
    later = exact.barenblatt_radius(4 * t + 3 * t0, d, m, mass, t0)  # (t + t0) -> 4 (t + t0)
    assert later / radius == pytest.approx(4 ** (1 / (d * (m - 1) + 2)))


def test_barenblatt_time_shift_and_mass_scaling():
    grid = ef.Grid(64, (-3, 3))
    np.testing.assert_allclose(
        exact.barenblatt(grid, 0.3, t0=0.2), exact.barenblatt(grid, 0.5), rtol=1e-14
    )
    # m = 2, d = 1: the profile is (C - k x^2 / t^(2 beta)) / t^alpha with alpha = beta = 1/3
    c = exact.barenblatt_constants(1, 2.0, 1.0)
    assert (c["alpha"], c["beta"], c["k"], c["p"]) == pytest.approx((1 / 3, 1 / 3, 1 / 12, 1))
    # mass 1 = int (C - x^2 / 12)_+ dx = 4 C^(3/2) sqrt(12) / 3
    assert c["C"] == pytest.approx((3 / (4 * math.sqrt(12))) ** (2 / 3))


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("m", [2.0, 3.0])
def test_nonlinear_fokker_planck_solves_its_equation(d, m):
    """``d_t rho = Laplace rho^m + div(rho x)``: residual by finite differences."""
    t, mass, t0 = 0.4, 1.0, 0.5
    radius = exact.nonlinear_fokker_planck_radius(t, d, m, mass, t0)
    rng = np.random.default_rng(3)
    h = 1e-4
    for _ in range(5):
        direction = rng.standard_normal(d)
        direction /= np.linalg.norm(direction)
        point = [np.array(v) for v in direction * radius * rng.uniform(0.1, 0.8)]
        dt, lap = laplacian_and_time_derivative(
            lambda s: exact.nonlinear_fokker_planck_pdf(s, d, m, mass, t0), m, t, point, step=h
        )
        f = exact.nonlinear_fokker_planck_pdf(t, d, m, mass, t0)
        divergence = 0.0
        for a in range(d):  # div(rho x) = sum_a d_a (rho x_a)
            plus, minus = list(point), list(point)
            plus[a], minus[a] = plus[a] + h, minus[a] - h
            divergence += (f(*plus) * plus[a] - f(*minus) * minus[a]) / (2 * h)
        residual = float(dt - lap - divergence)
        assert abs(residual) < 1e-6 * (abs(float(dt)) + abs(float(lap)) + abs(float(divergence)))


def test_nonlinear_fokker_planck_mass_start_and_steady_state():
    d, m, mass, t0 = 2, 2.0, 1.7, 0.3
    np.testing.assert_allclose(
        exact.nonlinear_fokker_planck_pdf(0.0, d, m, mass, t0)(np.array(0.1), np.array(0.2)),
        exact.barenblatt_pdf(t0, d, m, mass)(np.array(0.1), np.array(0.2)),
    )
    for t in (0.0, 0.5, 2.0):
        pdf = exact.nonlinear_fokker_planck_pdf(t, d, m, mass, t0)
        radius = exact.nonlinear_fokker_planck_radius(t, d, m, mass, t0)
        assert radial_mass(pdf, d, radius) == pytest.approx(mass, rel=1e-9)
    # steady state lambda^alpha (C - k lambda^(2 beta) |x|^2)_+^p, lambda = d (m - 1) + 2
    c, lam = exact.barenblatt_constants(d, m, mass), d * (m - 1) + 2
    x = np.linspace(-1.5, 1.5, 31)
    steady = lam ** c["alpha"] * np.maximum(c["C"] - c["k"] * lam ** (2 * c["beta"]) * x**2, 0)
    late = exact.nonlinear_fokker_planck_pdf(12.0, d, m, mass, t0)(x, np.zeros_like(x))
    np.testing.assert_allclose(late, steady ** c["p"], atol=1e-8)


def test_nonlinear_fokker_planck_cell_averages():
    grid = ef.Grid((48, 48), ((-2.5, 2.5), (-2.5, 2.5)))
    rho = exact.nonlinear_fokker_planck(grid, 0.5, m=2.0, mass=1.0, t0=0.5)
    assert rho.shape == grid.shape and rho.min() >= 0
    assert float(grid.integrate(rho)) == pytest.approx(1.0, rel=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"m": 1.0}, "m > 1"),
        ({"m": 0.5}, "m > 1"),
        ({"mass": 0.0}, "mass must be > 0"),
        ({"t0": -1.0}, "t \\+ t0 > 0"),
    ],
)
def test_barenblatt_bad_input(kwargs, match):
    grid = ef.Grid(16, (-1, 1))
    args = {"t": 0.5, "m": 2.0, "mass": 1.0, "t0": 0.0} | kwargs
    with pytest.raises(ValueError, match=match):
        exact.barenblatt(grid, **args)


def test_barenblatt_bad_dimension_and_t0():
    with pytest.raises(ValueError, match="d must be 1, 2 or 3"):
        exact.barenblatt_constants(4, 2.0)
    with pytest.raises(ValueError, match="t0 must be > 0"):
        exact.nonlinear_fokker_planck_pdf(0.5, 1, 2.0, t0=0.0)
    with pytest.raises(TypeError, match="grid"):
        exact.barenblatt("grid", 0.5)
