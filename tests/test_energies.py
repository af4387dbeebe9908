"""Energies: value vs first variation, FFT interaction vs brute force, local parts, prox, inputs."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import scipy.special

import eulerflow as ef
from eulerflow import energies as en
from eulerflow.energies import difference_coordinates, difference_grid_shape


def quadratic_w(*dx):
    return 0.5 * sum(c**2 for c in dx)


def gaussian_w(*dx):
    return -np.exp(-sum(c**2 for c in dx) / 0.3)


def skew_w(*dx):  # not symmetric: only its symmetric part enters the energy
    return np.cos(2 * dx[0]) + 0.7 * dx[0] + (0.2 * dx[0] * dx[-1] if len(dx) > 1 else 0)


def potential_v(*x):
    return np.sin(2 * x[0]) + 0.5 * sum(c**2 for c in x)


ENERGIES = {
    "entropy": en.Entropy(0.3),
    "porous-1.5": en.PorousMedium(1.5, diffusion=0.7),
    "porous-3": en.PorousMedium(3),
    "potential": en.Potential(potential_v),
    "interaction-quadratic": en.Interaction(quadratic_w),
    "interaction-skew": en.Interaction(skew_w),
    "aggregation-diffusion": en.PorousMedium(2, 0.1) + 2.0 * en.Interaction(gaussian_w),
    "all": en.Entropy(0.1) + en.Potential(potential_v) + 0.5 * en.Interaction(quadratic_w),
}

GRIDS = [
    ef.Grid(11, (-1.0, 1.5)),
    ef.Grid(12, (-1.0, 1.0), periodic=True),
    ef.Grid((7, 8), ((-1.0, 1.0), (0.0, 1.5)), periodic=(True, False)),
    ef.Grid((5, 4, 6), ((-1.0, 1.0),) * 3, periodic=(False, True, False)),
]


def brute_force_convolution(w, rho, grid):
    """``|C| sum_j W_s(x_i - x_j) rho_j`` by a double loop over cells (nearest periodic image)."""
    centres = np.stack(np.meshgrid(*grid.centers, indexing="ij", sparse=False), axis=-1)
    centres = centres.reshape(-1, grid.ndim)
    lengths = np.array(grid.lengths)
    periodic = np.array(grid.periodic)
    out = np.zeros(grid.size)
    for i, j in itertools.product(range(grid.size), repeat=2):
        diff = centres[i] - centres[j]
        # nearest periodic image; at exactly half a period average the two images
        images = []
        for a in range(grid.ndim):
            if periodic[a]:
                r = (diff[a] + lengths[a] / 2) % lengths[a] - lengths[a] / 2
                choices = [r, -r] if np.isclose(abs(r), lengths[a] / 2) else [r]
            else:
                choices = [diff[a]]
            images.append(choices)
        values = [
            0.5 * (w(*map(np.asarray, z)) + w(*(-np.asarray(c) for c in z)))
            for z in itertools.product(*images)
        ]
        out[i] += np.mean(values) * rho.ravel()[j]
    return out.reshape(grid.shape) * grid.cell_volume


# -- value and first variation -------------------------------------------------------------------
@pytest.mark.parametrize("grid", GRIDS, ids=lambda g: f"{g.ndim}d-{g.periodic}")
@pytest.mark.parametrize("name", list(ENERGIES))
def test_first_variation_is_the_gradient_of_the_value(rng, grid, name):
    energy = ENERGIES[name]
    rho = rng.random(grid.shape) + 0.2
    direction = rng.standard_normal(grid.shape)
    s = 1e-5
    derivative = energy.value(rho + s * direction, grid) - energy.value(rho - s * direction, grid)
    derivative /= 2 * s
    predicted = float(np.sum(energy.first_variation(rho, grid) * direction)) * grid.cell_volume
    assert derivative == pytest.approx(predicted, rel=1e-7, abs=1e-9)


def test_local_values_are_the_integrals(rng):
    grid = ef.Grid((6, 5), ((0.0, 1.2), (-1.0, 0.0)))
    rho = rng.random(grid.shape)
    rho[0, 0] = 0.0
    vol = grid.cell_volume
    x, y = grid.centers
    xlogx = np.where(rho > 0, rho * np.log(np.where(rho > 0, rho, 1)), 0)
    assert en.Entropy(0.3).value(rho, grid) == pytest.approx(0.3 * xlogx.sum() * vol)
    assert en.PorousMedium(3, 2.0).value(rho, grid) == pytest.approx(np.sum(rho**3) * vol)
    assert en.Potential(potential_v).value(rho, grid) == pytest.approx(
        np.sum(potential_v(x, y) * rho) * vol
    )
    array_v = np.broadcast_to(potential_v(x, y), grid.shape)
    assert en.Potential(array_v).value(rho, grid) == pytest.approx(
        en.Potential(potential_v).value(rho, grid)
    )


@pytest.mark.parametrize("name", ["entropy", "porous-1.5", "porous-3", "potential"])
def test_local_derivatives_by_finite_differences(rng, name):
    energy = ENERGIES[name]
    grid = GRIDS[2]
    rho = rng.random(grid.shape) + 0.3
    s = 1e-6
    f_plus, f_minus = energy.local_density(rho + s, grid), energy.local_density(rho - s, grid)
    np.testing.assert_allclose(
        (f_plus - f_minus) / (2 * s), energy.local_derivative(rho, grid), rtol=1e-7, atol=1e-8
    )
    d_plus, d_minus = energy.local_derivative(rho + s, grid), energy.local_derivative(rho - s, grid)
    np.testing.assert_allclose(
        (d_plus - d_minus) / (2 * s),
        energy.local_second_derivative(rho, grid),
        rtol=1e-6,
        atol=1e-7,
    )
    # convex: f'' >= 0; the diffusivity is rho f''
    assert energy.convex and np.all(energy.local_second_derivative(rho, grid) >= 0)
    np.testing.assert_allclose(
        energy.diffusivity(rho, grid), rho * energy.local_second_derivative(rho, grid), rtol=1e-12
    )


def test_entropy_at_vacuum_uses_the_floor():
    grid = ef.Grid(3, (0, 1))
    rho = np.array([0.0, 1.0, np.e])
    assert en.Entropy(2.0).value(rho, grid) == pytest.approx(2.0 * np.e / 3)  # 0 log 0 = 0
    xi = en.Entropy(2.0).first_variation(rho, grid)
    assert xi[0] == pytest.approx(2.0 * (np.log(np.finfo(float).tiny) + 1))
    np.testing.assert_allclose(xi[1:], [2.0, 4.0])
    floored = en.Entropy(1.0, floor=1e-8).first_variation(rho, grid)
    assert floored[0] == pytest.approx(np.log(1e-8) + 1)
    assert en.Entropy(1.0).diffusivity(rho, grid)[0] == 0


# -- interaction by FFT --------------------------------------------------------------------------
INTERACTION_GRIDS = [
    ef.Grid(9, (-1.0, 2.0)),
    ef.Grid(9, (-1.0, 2.0), periodic=True),
    ef.Grid(8, (-1.0, 1.0), periodic=True),  # even: a half-period difference
    ef.Grid((5, 6), ((-1.0, 1.0), (0.0, 2.0))),
    ef.Grid((5, 6), ((-1.0, 1.0), (0.0, 2.0)), periodic=True),
    ef.Grid((6, 5), ((-1.0, 1.0), (0.0, 2.0)), periodic=(False, True)),
    ef.Grid((3, 4, 5), ((-1.0, 1.0),) * 3, periodic=(True, False, True)),
]


@pytest.mark.parametrize("grid", INTERACTION_GRIDS, ids=repr)
@pytest.mark.parametrize("w", [quadratic_w, gaussian_w, skew_w], ids=lambda f: f.__name__)
def test_interaction_fft_equals_brute_force_sum(rng, grid, w):
    rho = rng.random(grid.shape)
    energy = en.Interaction(w)
    expected = brute_force_convolution(w, rho, grid)
    got = energy.first_variation(rho, grid)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13 * np.abs(expected).max())
    value = 0.5 * np.sum(rho * expected) * grid.cell_volume
    assert energy.value(rho, grid) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("periodic", [False, True])
def test_interaction_array_kernel_equals_callable(rng, periodic):
    grid = ef.Grid((7, 6), ((0.0, 1.4), (-1.0, 1.0)), periodic=periodic)
    assert difference_grid_shape(grid) == (13, 11)
    kernel = gaussian_w(*difference_coordinates(grid))
    rho = rng.random(grid.shape)
    np.testing.assert_allclose(
        en.Interaction(kernel).first_variation(rho, grid),
        en.Interaction(gaussian_w).first_variation(rho, grid),
        rtol=1e-13,
        atol=1e-15,
    )


def test_interaction_nothing_wraps_around_on_walls():
    """A mass at the left wall does not feel one at the right wall through a periodic image."""
    grid = ef.Grid(16, (0.0, 1.0))
    rho = np.zeros(16)
    rho[0] = 1.0
    xi = en.Interaction(lambda dx: np.where(np.abs(dx) < 0.1, 1.0, 0.0)).first_variation(rho, grid)
    np.testing.assert_allclose(xi[-3:], 0.0, atol=1e-15)
    assert xi[0] == pytest.approx(grid.cell_volume)


def test_interaction_quadratic_velocity_points_to_the_mean(rng):
    """For W = |x|^2 / 2 the first variation is M |x - mean|^2 / 2 + const."""
    grid = ef.Grid((9, 10), ((-1.0, 1.0), (-2.0, 1.0)))
    rho = rng.random(grid.shape)
    mass = float(grid.integrate(rho))
    x, y = grid.centers
    mean = [float(grid.integrate(rho * c)) / mass for c in (x, y)]
    xi = en.Interaction(quadratic_w).first_variation(rho, grid)
    expected = 0.5 * mass * ((x - mean[0]) ** 2 + (y - mean[1]) ** 2)
    np.testing.assert_allclose(xi - xi.mean(), expected - expected.mean(), atol=1e-12)


def test_float32_is_kept(rng):
    grid = GRIDS[2]
    rho = (rng.random(grid.shape) + 0.1).astype(np.float32)
    for name, energy in ENERGIES.items():
        xi = energy.first_variation(rho, grid)
        assert xi.dtype == np.float32, name
        ref = energy.first_variation(rho.astype(np.float64), grid)
        np.testing.assert_allclose(xi, ref, rtol=2e-5, atol=2e-5 * np.abs(ref).max())


# -- algebra -------------------------------------------------------------------------------------
def test_sums_and_multiples(rng):
    grid = GRIDS[1]
    rho = rng.random(grid.shape) + 0.1
    a, b, c = en.Entropy(0.2), en.PorousMedium(2), en.Interaction(quadratic_w)
    total = a + 2 * b - c
    assert isinstance(total, en.SumEnergy) and len(total.terms) == 3
    assert total.value(rho, grid) == pytest.approx(
        a.value(rho, grid) + 2 * b.value(rho, grid) - c.value(rho, grid)
    )
    np.testing.assert_allclose(
        total.first_variation(rho, grid),
        a.first_variation(rho, grid)
        + 2 * b.first_variation(rho, grid)
        - c.first_variation(rho, grid),
    )
    assert sum([a, b]).value(rho, grid) == pytest.approx((a + b).value(rho, grid))
    assert (a + b).is_local and (a + b).convex and not total.is_local and not total.convex
    assert not (-1.0 * b).convex and (3 * b).convex
    local, nonlocal_ = total.split_local()
    assert local.is_local and not nonlocal_.is_local
    assert local.value(rho, grid) + nonlocal_.value(rho, grid) == pytest.approx(
        total.value(rho, grid)
    )
    with pytest.raises(TypeError, match="local energies only"):
        total.local_density(rho, grid)
    with pytest.raises(TypeError):
        a + 1.0


# -- proximal maps -------------------------------------------------------------------------------
def test_prox_closed_forms(rng):
    grid = ef.Grid((6, 7), ((-1.0, 1.0), (0.0, 2.0)))
    v = 3 * rng.standard_normal(grid.shape)
    sigma = 0.4
    x, y = grid.centers
    pot = en.Potential(potential_v)
    np.testing.assert_allclose(
        pot.prox(v, sigma, grid), np.maximum(v - sigma * potential_v(x, y), 0), atol=1e-12
    )
    # porous medium m = 2, eps: r + 2 sigma eps r = v
    np.testing.assert_allclose(
        en.PorousMedium(2, 0.5).prox(v, sigma, grid),
        np.maximum(v, 0) / (1 + 2 * sigma * 0.5),
        rtol=1e-12,
        atol=1e-14,
    )
    # entropy + potential: r + sigma eps (log r + 1) + sigma V = v  ->  Lambert W
    eps = 0.3
    shifted = v - sigma * potential_v(x, y)
    c = sigma * eps
    expected = c * np.real(scipy.special.lambertw(np.exp((shifted - c) / c) / c))
    got = (en.Entropy(eps) + pot).prox(v, sigma, grid)
    np.testing.assert_allclose(got, expected, rtol=1e-11)


def test_prox_solves_the_optimality_condition(rng):
    grid = ef.Grid(40, (0.0, 1.0))
    energy = en.PorousMedium(3, 0.5) + en.Entropy(0.05) + en.Potential(lambda x: 2 * x)
    v = 4 * rng.standard_normal(grid.shape)
    sigma = 0.7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = energy.prox(v, sigma, grid)
    assert np.all(r > 0)
    residual = r + sigma * energy.local_derivative(r, grid) - v
    np.testing.assert_allclose(residual, 0, atol=1e-10 * np.abs(v).max())
    # porous medium alone: vacuum where v <= 0
    r = en.PorousMedium(1.5).prox(v, sigma, grid)
    assert np.all(r[v <= 0] == 0) and np.all(r[v > 0] > 0)


def test_prox_refuses_nonlocal_and_nonconvex():
    grid = ef.Grid(5, (0, 1))
    v = np.ones(5)
    with pytest.raises(TypeError, match="local"):
        en.Interaction(quadratic_w).prox(v, 0.1, grid)
    with pytest.raises(ValueError, match="convex"):
        (-1.0 * en.PorousMedium(2)).prox(v, 0.1, grid)
    with pytest.raises(ValueError, match="sigma"):
        en.Entropy().prox(v, -1.0, grid)


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [1.0, 0.5, -2.0])
def test_porous_medium_needs_m_above_one(m):
    with pytest.raises(ValueError, match="m"):
        en.PorousMedium(m)


def test_bad_parameters():
    with pytest.raises(ValueError, match="diffusion"):
        en.Entropy(0.0)
    with pytest.raises(ValueError, match="diffusion"):
        en.PorousMedium(2, diffusion=-1.0)
    with pytest.raises(TypeError, match="V must be"):
        en.Potential(3.0)
    with pytest.raises(TypeError, match="W must be"):
        en.Interaction(None)


def test_interaction_kernel_of_the_wrong_shape():
    grid = ef.Grid((5, 6), ((0, 1), (0, 1)))
    rho = np.ones(grid.shape)
    with pytest.raises(ValueError, match=r"must have shape \(9, 11\)"):
        en.Interaction(np.ones((5, 6))).value(rho, grid)
    with pytest.raises(ValueError, match="does not broadcast"):
        en.Interaction(lambda x, y: np.ones((3, 3))).value(rho, grid)


def test_potential_array_of_the_wrong_shape_and_rho_of_the_wrong_shape():
    grid = ef.Grid((5, 6), ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match="potential array V has shape"):
        en.Potential(np.ones((6, 5))).value(np.ones(grid.shape), grid)
    with pytest.raises(ValueError, match="grid needs shape"):
        en.Entropy().value(np.ones((4, 6)), grid)


def test_prox_reaches_roots_many_decades_below_the_start():
    """At ``v = 0`` with a small ``sigma`` (a case met inside a dynamic JKO step) the root of
    ``r + sigma (eps (log r + 1) + V) = 0`` is about ``exp(-V / eps - 1)``, down to 1e-21 on
    this box: Newton reaches it within the default 100 iterations, without a warning, and the
    optimality condition holds to round-off. (The regression case for the switch to Newton in
    ``log r``, where plain Newton in ``r`` stopped at ``max_iter``, is the first dynamic JKO step
    of the rose in ``tests/validation/test_neural_jko.py``.)"""
    grid = ef.Grid((56, 56), ((-7, 7), (-7, 7)))
    x, y = grid.centers
    energy = en.Entropy() + en.Potential(lambda x, y: 0.5 * (x * x + y * y))
    sigma = 1.28e-4
    v = np.zeros(grid.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = energy.prox(v, sigma, grid)
    assert np.all(r > 0) and r.min() < 1e-20
    condition = r + sigma * (np.log(r) + 1 + 0.5 * (x * x + y * y)) - v
    np.testing.assert_allclose(condition, 0, atol=1e-15)
