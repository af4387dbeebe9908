"""The cost model behind ``stepper="auto"`` and the accuracy of the explicit method it picks."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.equations import fokker_planck_cost as cost
from eulerflow.equations.fokker_planck_cost import (
    DEFAULT_CFL,
    choose_stepper,
    explicit_cost,
    implicit_cost,
)
from eulerflow.exact import ornstein_uhlenbeck


def ou_problem(ndim: int, n: int):
    grid = ef.Grid((n,) * ndim, [(-5, 5)] * ndim)
    eye = np.eye(ndim) if ndim > 1 else 1.0
    mean = np.full(ndim, 0.7) if ndim > 1 else 0.7
    centre = np.zeros(ndim) if ndim > 1 else 0.0
    rho0 = ornstein_uhlenbeck(grid, 0.0, eye, centre, 0.5, mean, 0.15 * eye)
    exact = ornstein_uhlenbeck(grid, 1.0, eye, centre, 0.5, mean, 0.15 * eye)
    return grid, rho0, exact


@pytest.mark.parametrize(("ndim", "n"), [(1, 128), (1, 256), (2, 48), (2, 64), (3, 20)])
def test_explicit_euler_at_the_default_cfl_stays_below_the_spatial_error_floor(ndim, n):
    """Euler's time error at 0.8 of the positivity bound has the order of the spatial error and
    the opposite sign: the total error is below that of a run with a tiny step (measured
    0.56-0.87 of it on these problems, the same ratio on finer grids)."""
    grid, rho0, exact = ou_problem(ndim, n)

    def error(**kwargs) -> float:
        potential = lambda *x: 0.5 * sum(xi**2 for xi in x)  # noqa: E731
        sol = ef.solve_fokker_planck(rho0, grid, potential, 1.0, diffusion=0.5, **kwargs)
        return float(grid.integrate(np.abs(sol.rho[-1] - exact)))

    floor = error(stepper="ssprk3", cfl=0.25)
    euler = error(stepper="ssprk1", cfl=DEFAULT_CFL)
    assert euler < floor, (euler, floor)
    assert euler > 0.4 * floor  # a cancellation of two errors, not a better scheme


def test_the_choice_follows_the_estimated_costs():
    n_cells = 256 * 256
    rate = 1361.0  # the positivity bound's rate of the 2D OU benchmark at 256^2
    short = choose_stepper(2, n_cells, 1.0, rate, 2e-4, time_dependent=False)
    long = choose_stepper(2, n_cells, 50.0, rate, 2e-4, time_dependent=False)
    assert short.stepper == "ssprk1" and short.explicit_cost == np.ceil(rate / DEFAULT_CFL)
    assert long.stepper == "bdf2" and long.explicit_cost == np.ceil(50 * rate / DEFAULT_CFL)
    assert long.implicit_cost == short.implicit_cost  # the implicit estimate ignores t_final
    # a time-dependent operator refactorises at every implicit step
    assert implicit_cost(2, n_cells, 2e-4, True) > 10 * implicit_cost(2, n_cells, 2e-4, False)
    assert choose_stepper(2, n_cells, 50.0, rate, 2e-4, time_dependent=True).stepper == "ssprk1"
    # 3D factorisations are dear: even a long 3D run on 48^3 goes explicit
    assert choose_stepper(3, 48**3, 10.0, 300.0, 4e-3, time_dependent=False).stepper == "ssprk1"
    # a tighter tolerance needs more implicit steps (like rtol^-1/2)
    assert implicit_cost(2, n_cells, 2e-6, False) > implicit_cost(2, n_cells, 2e-4, False)
    assert explicit_cost(1.0, 0.0) == 1.0  # nothing to bound the step


def test_auto_runs_what_it_chose():
    grid, rho0, _ = ou_problem(1, 64)
    potential = lambda x: 0.5 * x**2  # noqa: E731
    for t_final, expected in ((0.5, "ssprk1"), (40.0, "bdf2")):
        sol = ef.solve_fokker_planck(rho0, grid, potential, t_final, diffusion=0.5)
        assert sol.parameters["stepper"] == expected and sol.parameters["auto"]
        named = ef.solve_fokker_planck(
            rho0, grid, potential, t_final, diffusion=0.5, stepper=expected
        )
        np.testing.assert_array_equal(sol.rho, named.rho)


def test_auto_respects_the_step_budget():
    """An explicit run that would exceed ``max_steps`` is not chosen."""
    grid, rho0, _ = ou_problem(1, 64)
    potential = lambda x: 0.5 * x**2  # noqa: E731
    free = ef.solve_fokker_planck(rho0, grid, potential, 0.5, diffusion=0.5)
    assert free.parameters["stepper"] == "ssprk1" and free.n_steps > 20
    budget = ef.solve_fokker_planck(rho0, grid, potential, 0.5, diffusion=0.5, max_steps=20)
    assert budget.parameters["stepper"] == "bdf2" and budget.n_steps <= 20


def test_the_implicit_estimate_matches_bdf2_on_its_calibration_problem():
    """``IMPLICIT_STEPS_AT_RTOL / sqrt(rtol)`` steps and at most ``FACTORIZATIONS``
    factorisations: what error-controlled BDF2 takes on the anisotropic 2D Ornstein-Uhlenbeck
    benchmark (``benchmarks/fokker_planck.py``) at the grid's default tolerance."""
    grid = ef.Grid((64, 64), [(-5, 5), (-5, 5)])
    a, centre = np.array([[1.0, 0.5], [0.5, 1.5]]), np.array([0.5, -0.25])
    m0, s0 = np.array([-1.0, 1.0]), np.array([[0.25, 0.1], [0.1, 0.3]])
    rho0 = ornstein_uhlenbeck(grid, 0.0, a, centre, 0.5, m0, s0)

    def potential(x, y):
        dx, dy = x - centre[0], y - centre[1]
        return 0.5 * (a[0, 0] * dx * dx + 2 * a[0, 1] * dx * dy + a[1, 1] * dy * dy)

    sol = ef.solve_fokker_planck(rho0, grid, potential, 1.0, diffusion=0.5, stepper="bdf2")
    estimate = cost.IMPLICIT_STEPS_AT_RTOL / np.sqrt(sol.parameters["rtol"])
    assert 0.67 * estimate < sol.n_steps < 1.5 * estimate
    assert sol.diagnostics["n_factorizations"] <= cost.FACTORIZATIONS
    assert sol.diagnostics["n_solves"] <= 1.3 * sol.n_steps
