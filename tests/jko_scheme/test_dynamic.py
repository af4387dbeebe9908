"""The dynamic JKO step (``method="dynamic"``, Benamou, Carlier and Laborde 2016).

Exact Ornstein-Uhlenbeck recursion (Gaussians stay Gaussian), the transport cost against the
closed-form W2 of Gaussians, an aggregation-diffusion flow against the finite-volume gradient
flow, the congestion bound, and the step properties through the public driver: the JKO
inequality ``E(rho_{k+1}) + cost_k <= E(rho_k)``, mass, positivity, the optimality residual of
the returned potential. Also the free-terminal-face projection of the staggered space.
"""

from __future__ import annotations

import numpy as np
import pytest

from eulerflow import Grid
from eulerflow import energies as en
from eulerflow.backends import get_backend
from eulerflow.equations.gradient_flow import solve_gradient_flow
from eulerflow.exact.quadrature import gaussian_density
from eulerflow.jko_scheme import jko
from eulerflow.jko_scheme.dynamic import make_step
from eulerflow.transport.staggered_space import StaggeredSpace

OU = en.Entropy() + en.Potential(lambda x: 0.5 * x**2)


def ou_jko_gaussian(mean: float, std: float, tau: float, n_steps: int) -> tuple[float, float]:
    """The exact JKO iterates of ``Entropy + |x|^2 / 2`` from ``N(mean, std^2)`` in 1D: Gaussian,
    ``m_{k+1} = m_k / (1 + tau)`` and ``s_{k+1}`` the positive root of
    ``(1 + tau) s^2 - s_k s - tau = 0``."""
    for _ in range(n_steps):
        mean = mean / (1 + tau)
        std = (std + np.sqrt(std**2 + 4 * (1 + tau) * tau)) / (2 * (1 + tau))
    return mean, std


def moments(rho, grid):
    x = grid.axis_centers(0)
    mass = grid.integrate(rho)
    mean = grid.integrate(rho * x) / mass
    return mean, np.sqrt(grid.integrate(rho * (x - mean) ** 2) / mass)


def ou_run(n: int, tau: float, n_steps: int, **options):
    grid = Grid(n, (-4.0, 4.0))
    rho0 = gaussian_density(grid, [0.5], [[0.36]])
    return grid, jko(rho0, grid, OU, tau, n_steps, method="dynamic", backend="numpy", **options)


def test_ou_recursion_and_cost():
    """Two steps of tau = 0.1 on 64 cells and two time cells: the Gaussian of the exact
    recursion within the spatial error, and the cost of each step ``W2^2 / (2 tau)`` with the
    closed form ``W2^2 = (m1 - m0)^2 + (s1 - s0)^2``. (With the default single time cell the
    action is evaluated on the average of the end densities, which moves the mean by a
    time-discretisation error of 2.0e-4 here that no grid refinement removes; two cells: 6.7e-5.)"""
    tau = 0.1
    grid, sol = ou_run(64, tau, 2, n_time=2)
    assert sol.status == 0
    mean, std = ou_jko_gaussian(0.5, 0.6, tau, 2)
    exact = gaussian_density(grid, [mean], [[std**2]])
    assert grid.integrate(np.abs(sol.values[-1] - exact)) < 2e-3
    got_mean, got_std = moments(sol.values[-1], grid)
    assert abs(got_mean - mean) < 2e-4 and abs(got_std - std) < 2e-3
    m0, s0 = 0.5, 0.6
    for k in range(2):
        m1, s1 = ou_jko_gaussian(0.5, 0.6, tau, k + 1)
        want = ((m1 - m0) ** 2 + (s1 - s0) ** 2) / (2 * tau)
        assert sol.steps["cost"][k] == pytest.approx(want, rel=0.05)
        m0, s0 = m1, s1


@pytest.mark.slow
def test_ou_spatial_order():
    """One step of tau = 0.1 at 32, 64, 128 cells against the exact Gaussian (L1), with
    ``n_time = 4``: L1 errors 1.87e-3, 4.71e-4, 1.14e-4, orders 1.99 and 2.04 (tol 1e-6). With
    the default single time cell the errors stall at 1.6e-3, 5.3e-4, 4.2e-4 (orders 1.62, 0.36):
    the kinetic action of one staggered time cell (the centred average of the two end
    densities) is not the exact ``W2^2 / 2``, an error that does not shrink with ``h``."""
    tau = 0.1
    mean, std = ou_jko_gaussian(0.5, 0.6, tau, 1)
    errors = []
    for n in (32, 64, 128):
        grid, sol = ou_run(n, tau, 1, tol=1e-6, max_iter=40000, n_time=4)
        assert sol.status == 0
        exact = gaussian_density(grid, [mean], [[std**2]])
        errors.append(grid.integrate(np.abs(sol.values[-1] - exact)))
    orders = np.log2(np.asarray(errors[:-1]) / np.asarray(errors[1:]))
    assert orders.min() >= 1.5, (errors, orders)


def test_driver_properties():
    """JKO inequality, mass, positivity and optimality residual at every step (porous medium
    with a confining potential, compact support: vacuum on most of the box)."""
    grid = Grid(48, (-1.0, 1.0))
    x = grid.axis_centers(0)
    rho0 = np.where(np.abs(x - 0.2) < 0.3, 1.0 + np.cos(np.pi * (x - 0.2) / 0.3), 0.0)
    energy = en.PorousMedium(2, 0.1) + en.Potential(lambda x: x**2)
    sol = jko(rho0, grid, energy, 0.02, 3, method="dynamic", backend="numpy")
    assert sol.status == 0
    energies = [energy.value(rho0, grid), *sol.steps["energy"]]
    for k in range(3):
        assert energies[k + 1] + sol.steps["cost"][k] <= energies[k]
    mass = grid.integrate(rho0)
    assert np.allclose(sol.diagnostics["mass"], mass, rtol=1e-12, atol=0)
    assert (sol.values >= 0).all()
    assert max(sol.steps["residual"]) < 0.02


def test_interaction_against_gradient_flow():
    """Aggregation-diffusion ``0.1 Entropy + |x - y|^2 / 2`` (interaction linearised in the
    iteration): 4 steps of tau = 0.005 against the finite-volume gradient flow at t = 0.02."""
    grid = Grid(64, (-2.0, 2.0))
    rho0 = gaussian_density(grid, [0.3], [[0.25]])
    energy = en.Entropy(0.1) + en.Interaction(lambda dx: 0.5 * dx**2)
    sol = jko(rho0, grid, energy, 0.005, 4, method="dynamic", backend="numpy")
    assert sol.status == 0
    ref = solve_gradient_flow(rho0, grid, energy, 0.02)
    diff = grid.integrate(np.abs(sol.values[-1] - ref.values[-1]))
    moved = grid.integrate(np.abs(ref.values[-1] - rho0))
    assert diff < 0.05 * moved, (diff, moved)


def test_congestion_bound():
    """Mass pushed against the wall x = 0 by ``V = 2 x`` with ``rho <= 1.5``: the bound holds,
    binds at the wall, and the result differs from the unconstrained flow there."""
    grid = Grid(40, (0.0, 1.0))
    x = grid.axis_centers(0)
    rho0 = np.where(x < 0.5, 1.2, 0.0) + 0.2
    energy = en.Entropy(0.1) + en.Potential(lambda x: 2 * x)
    free = jko(rho0, grid, energy, 0.1, 1, method="dynamic", backend="numpy")
    bound = jko(rho0, grid, energy, 0.1, 1, method="dynamic", backend="numpy", rho_max=1.5)
    assert bound.status == 0
    assert bound.values[1:].max() <= 1.5 * (1 + 1e-4)
    assert free.status == 0 and free.values[-1].max() > 2.0
    assert bound.values[-1][:5].min() > 1.45
    assert grid.integrate(np.abs(bound.values[-1] - free.values[-1])) > 0.1


def test_infeasible_bound_raises_before_iterating():
    grid = Grid(16, (0.0, 2.0))
    rho0 = np.ones(16)
    backend = get_backend("numpy")
    with pytest.raises(ValueError, match="below the mean density"):
        make_step(backend.asarray(rho0), grid, OU, 0.1, backend=backend, rho_max=0.99)
    with pytest.raises(ValueError, match="rho_max"):
        jko(rho0, grid, OU, 0.1, 1, method="dynamic", rho_max=-1.0)


def test_non_convergence_is_reported():
    with pytest.warns(Warning, match="did not reach tol"):
        _, sol = ou_run(32, 0.1, 1, max_iter=20)
    assert sol.status == 1 and sol.steps["converged"][0] == 0


@pytest.mark.parametrize("periodic", [False, True])
def test_free_end_projection(rng, periodic):
    """The projection with a free terminal face: continuity to round-off, ``rho_s[0]`` fixed,
    idempotent, and orthogonal on walled axes (``<y - P y, P z - P y> = 0``)."""
    backend = get_backend("numpy")
    rho0 = rng.random((6, 5)) + 0.5
    space = StaggeredSpace(backend, rho0, None, 3, (0.2, 0.3), (periodic, False))
    y, py, z, pz = space.staggered(), space.staggered(), space.staggered(), space.staggered()
    y.flat[...] = rng.standard_normal(y.flat.size)
    z.flat[...] = rng.standard_normal(z.flat.size)
    space.project(y, py, space.cells())
    space.project(z, pz, space.cells())
    for u in (py, pz):
        assert np.abs(space.divergence(u)).max() < 1e-12
        assert np.array_equal(u.rho[0], rho0)
    again = space.staggered()
    space.project(py, again, space.cells())
    assert np.abs(again.flat - py.flat).max() < 1e-12
    if not periodic:  # (a periodic face is stored twice, which the plain inner product counts)
        inner = np.dot(y.flat - py.flat, pz.flat - py.flat)
        assert abs(inner) < 1e-12 * np.linalg.norm(y.flat) * np.linalg.norm(pz.flat)
