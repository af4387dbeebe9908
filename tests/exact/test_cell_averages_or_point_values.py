"""What the solvers' arrays approximate: cell averages or point values at the cell centres.

The two differ by ``h^2 rho'' / 24 + O(h^4)``, so a second-order solver converges to both at
second order and only the constant tells them apart. Measured here on three 1D problems (L1
errors at n, 2n, 4n cells; ``quadrature=1`` gives the exact solution's point values):

- Fokker-Planck, OU ``d_t rho = (x rho)' + rho''`` from ``N(1, 0.09)`` on [-5, 5] to t = 1 (BDF2,
  dt = 1e-3), 64/128/256 cells: 2.11e-3, 5.27e-4, 1.32e-4 against cell averages, 1.51e-3,
  3.77e-4, 9.44e-5 against point values (closer to point values: the Scharfetter-Gummel steady
  state is exactly the point values ``exp(-V(x_i))``);
- continuity, translation by 1 of ``N(-1, 0.09)`` on the periodic [-5, 5], 64/128/256 cells:
  1.32e-1, 4.09e-2, 1.25e-2 against cell averages, 1.42e-1, 4.21e-2, 1.27e-2 against point values;
- porous medium m = 2 from Barenblatt (t0 = 0.01) to t = 0.01 on [-1, 1], 128/256/512 cells:
  3.53e-4, 8.68e-5, 2.48e-5 against cell averages, 4.36e-4, 1.30e-4, 4.30e-5 against point values
  (orders 2.03 and 1.81 against cell averages).
"""

from __future__ import annotations

import numpy as np

import eulerflow as ef


def errors(solve, exact, sizes):
    """``(against cell averages, against point values)`` L1 errors at each size."""
    out = []
    for n in sizes:
        grid, rho = solve(n)
        out.append(
            [grid.integrate(np.abs(rho - exact(grid, q))) for q in (3, 1)]  # averages, points
        )
    return np.array(out)


def orders(series):
    return np.log2(series[:-1] / series[1:])


def test_fokker_planck_is_closer_to_point_values():
    def solve(n):
        grid = ef.Grid(n, (-5, 5))
        rho0 = ef.exact.ornstein_uhlenbeck(grid, 0.0, 1.0, 0.0, 1.0, [1.0], [[0.09]])
        potential = lambda x: 0.5 * x * x  # noqa: E731
        sol = ef.solve_fokker_planck(rho0, grid, t_final=1.0, potential=potential, dt=1e-3)
        return grid, sol.rho[-1]

    def exact(grid, q):
        return ef.exact.ornstein_uhlenbeck(grid, 1.0, 1.0, 0.0, 1.0, [1.0], [[0.09]], quadrature=q)

    e = errors(solve, exact, (64, 128, 256))
    assert np.all(orders(e[:, 0]) > 1.9) and np.all(orders(e[:, 1]) > 1.9), e
    assert np.all(e[:, 1] < 0.8 * e[:, 0]), e  # measured ratio 0.71-0.72


def test_continuity_and_gradient_flow_are_closer_to_cell_averages():
    def gaussian(x, mean):
        return np.exp(-((x - mean) ** 2) / 0.18) / np.sqrt(0.18 * np.pi)

    def transport(n):
        grid = ef.Grid(n, (-5, 5), periodic=True)
        rho0 = ef.exact.cell_average(lambda x: gaussian(x, -1.0), grid)
        velocity = lambda t, x: np.ones_like(x)  # noqa: E731
        sol = ef.solve_continuity(rho0, grid, velocity=velocity, t_final=1.0, steady=True)
        return grid, sol.rho[-1]

    def translated(grid, q):
        return ef.exact.cell_average(lambda x: gaussian(x, 0.0), grid, quadrature=q)

    e = errors(transport, translated, (64, 128, 256))
    assert np.all(orders(e[:, 0]) > 1.6), e
    assert np.all(e[:, 0] < e[:, 1]), e  # measured ratio 0.93-0.98

    def porous(n):
        grid = ef.Grid(n, (-1, 1))
        rho0 = ef.exact.barenblatt(grid, 0, 2, t0=0.01)
        sol = ef.solve_gradient_flow(rho0, grid, ef.energies.PorousMedium(2), 0.01)
        return grid, sol.rho[-1]

    def barenblatt(grid, q):
        return ef.exact.barenblatt(grid, 0.01, 2, t0=0.01, quadrature=q)

    e = errors(porous, barenblatt, (128, 256, 512))
    assert np.all(orders(e[:, 0]) > 1.7), e  # measured 2.03 and 1.81: the edge of the support
    assert np.all(e[:, 0] < 0.85 * e[:, 1]), e  # measured ratio 0.55-0.79


def test_kind_point_is_the_density_at_the_centres():
    grid = ef.Grid((12, 10), ((-3, 3), (-2, 2)))
    mean, cov = np.array([0.3, -0.2]), np.array([[0.5, 0.1], [0.1, 0.4]])
    x, y = np.broadcast_arrays(*grid.centers)
    d = np.stack([x - mean[0], y - mean[1]], axis=-1)
    q = np.einsum("...i,ij,...j->...", d, np.linalg.inv(cov), d)
    pdf = np.exp(-0.5 * q) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
    np.testing.assert_allclose(ef.exact.gaussian_density(grid, mean, cov, kind="point"), pdf)
    heat = ef.exact.heat_kernel(grid, 0.5, 0.4, mean, kind="point")
    np.testing.assert_allclose(heat, ef.exact.gaussian_density(grid, mean, 0.4, kind="point"))
    ou = ef.exact.ornstein_uhlenbeck(grid, 0.0, np.eye(2), [0, 0], 1.0, mean, cov, kind="point")
    np.testing.assert_allclose(ou, pdf)
    averages = ef.exact.gaussian_density(grid, mean, cov)  # kind="average" by default
    assert np.abs(averages - pdf).max() > 1e-3 * pdf.max()
    with np.testing.assert_raises_regex(ValueError, "kind"):
        ef.exact.gaussian_density(grid, mean, cov, kind="centre")
    with np.testing.assert_raises_regex(ValueError, "callable"):
        ef.exact.gibbs_state(grid, np.zeros(grid.shape), 1.0, kind="average")


def test_fokker_planck_steady_state_is_the_point_values():
    """1D double well ``V = (x^2 - 1)^2``, eps = 0.6, run to t = 200 (error-controlled BDF2):
    the state is ``exp(-V(x_i) / eps)`` normalised, to the slow transient left (2.5e-6 at every
    n), while its distance to the cell averages falls like ``h^2`` (4.0e-3, 1.0e-3, 2.6e-4 at
    64, 128, 256 cells)."""

    def well(x):
        return (x**2 - 1) ** 2

    point, average = [], []
    for n in (64, 128, 256):
        grid = ef.Grid(n, (-3, 3))
        rho0 = ef.exact.gaussian_density(grid, 0.5, 0.3)
        rho = ef.solve_fokker_planck(rho0, grid, well, 200.0, diffusion=0.6).rho[-1]
        for kind, errors_ in (("point", point), ("average", average)):
            gibbs = ef.exact.gibbs_state(grid, well, 0.6, kind=kind)
            errors_.append(grid.integrate(np.abs(rho - gibbs)))
    assert max(point) < 1e-5, point
    assert np.all(orders(np.array(average)) > 1.9), average
    assert min(average) > 20 * max(point)
