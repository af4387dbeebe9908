"""Density-to-density distances (closed forms for Gaussians) and the conservative remap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

import eulerflow as ef
from eulerflow.metrics import density_l1, density_l2, relative_entropy, remap


def gaussian_kl(m0, S0, m1, S1) -> float:
    """KL(N0 || N1) = (tr(S1^-1 S0) + dm^T S1^-1 dm - d + log(det S1 / det S0)) / 2."""
    d = len(m0)
    inv = np.linalg.inv(S1)
    dm = np.subtract(m1, m0)
    return 0.5 * (
        np.trace(inv @ S0) + dm @ inv @ dm - d + math.log(np.linalg.det(S1) / np.linalg.det(S0))
    )


def normal_overlap(m0, S0, m1, S1) -> float:
    """int N(x; m0, S0) N(x; m1, S1) dx = N(m0; m1, S0 + S1)."""
    S = np.asarray(S0) + np.asarray(S1)
    dm = np.subtract(m0, m1)
    return math.exp(-0.5 * dm @ np.linalg.solve(S, dm)) / math.sqrt(np.linalg.det(2 * math.pi * S))


M0, S0 = np.array([0.0, 0.0]), np.array([[1.0, 0.3], [0.3, 0.8]])
M1, S1 = np.array([0.5, -0.3]), np.array([[1.2, 0.0], [0.0, 0.9]])
GRID = ef.Grid((128, 128), ((-8, 8), (-8, 8)))


def converges_to(metric, exact: float) -> None:
    """Cell averages differ from the densities by O(h^2): second order, and the Richardson
    extrapolation of the 64^2 and 128^2 values matches the closed form to 1e-4."""
    values = []
    for n in (64, 128):
        grid = ef.Grid((n, n), ((-8, 8), (-8, 8)))
        rho = ef.exact.gaussian_density(grid, M0, S0)
        ref = ef.exact.gaussian_density(grid, M1, S1)
        values.append(metric(rho, ref, grid).value)
    errors = [abs(v / exact - 1) for v in values]
    assert 1.9 < math.log2(errors[0] / errors[1]) < 2.1
    assert values[1] + (values[1] - values[0]) / 3 == pytest.approx(exact, rel=1e-4)


def test_kl_both_ways_against_the_gaussian_closed_form():
    converges_to(relative_entropy, gaussian_kl(M0, S0, M1, S1))

    def backward(rho, ref, grid):
        score = relative_entropy(rho, ref, grid, reverse=True)
        assert score.details["direction"] == "KL(reference || rho)"
        return score

    converges_to(backward, gaussian_kl(M1, S1, M0, S0))


def test_l2_against_the_gaussian_closed_form():
    exact = math.sqrt(
        normal_overlap(M0, S0, M0, S0)
        + normal_overlap(M1, S1, M1, S1)
        - 2 * normal_overlap(M0, S0, M1, S1)
    )
    converges_to(density_l2, exact)


def test_l1_of_shifted_1d_gaussians():
    """int |N(0, s^2) - N(d, s^2)| = 2 (2 Phi(d / (2 s)) - 1)."""
    grid = ef.Grid(2000, (-8, 8))
    s, d = 0.7, 0.4
    rho = ef.exact.gaussian_density(grid, 0.0, s * s)
    ref = ef.exact.gaussian_density(grid, d, s * s)
    exact = 2 * (2 * ndtr(d / (2 * s)) - 1)
    assert density_l1(rho, ref, grid).value == pytest.approx(exact, rel=1e-4)


def test_remap_is_exact_for_piecewise_constants_and_conservative():
    coarse = ef.Grid((8, 6), ((0, 2), (-1, 2)))
    fine = ef.Grid((16, 18), ((0, 2), (-1, 2)))
    values = np.random.default_rng(0).random(coarse.shape)
    on_fine = np.repeat(np.repeat(values, 2, axis=0), 3, axis=1)
    back, outside = remap(on_fine, fine, coarse)
    np.testing.assert_allclose(back, values, rtol=1e-13)
    assert outside == pytest.approx(0, abs=1e-13)
    assert density_l1(on_fine, values, coarse, rho_grid=fine).value == pytest.approx(0, abs=1e-13)
    shifted = ef.Grid((13, 7), ((-0.3, 1.7), (-1.4, 1.1)))  # overlaps only a part of coarse
    g, outside = remap(values, coarse, shifted)
    assert shifted.integrate(g) + outside == pytest.approx(coarse.integrate(values), rel=1e-13)
    assert outside > 0


def test_method_density_on_another_grid_is_remapped():
    ref = ef.exact.gaussian_density(GRID, M1, S1)
    other = ef.Grid((96, 80), ((-9, 9), (-7.5, 7.5)))
    rho = ef.exact.gaussian_density(other, M1, S1)
    score = density_l1(rho, ref, GRID, rho_grid=other)
    assert score.details["remapped"]
    assert score.details["mass_outside"] == pytest.approx(0, abs=1e-8)
    assert 0 < score.value < 0.05  # first-order remap error on cells of 0.19 x 0.19
    same = density_l1(ref.copy(), ref, GRID)
    assert same.value == 0 and not same.details["remapped"]


def test_kl_is_infinite_off_the_support():
    grid = ef.Grid(3, (0, 1))
    assert relative_entropy([1, 1, 1], [1, 1, 0], grid).value == math.inf
    assert relative_entropy([1, 1, 0], [1, 1, 1], grid).value == pytest.approx(math.log(1.5))
