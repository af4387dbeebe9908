"""Error-controlled time steps of the Fokker-Planck solver (BDF2, implicit Euler, embedded SSP).

The time error is measured against the exact solution of the *semi-discrete* system
``d rho / dt = L rho`` (``scipy.sparse.linalg.expm_multiply`` of the solver's own matrix), so that
the spatial error does not enter.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg

import eulerflow as ef
from eulerflow.equations import fokker_planck_cost as cost
from eulerflow.equations import fokker_planck_implicit
from eulerflow.equations.fokker_planck import _Operator
from eulerflow.exact import gibbs_state, ornstein_uhlenbeck

EPS = 0.5


def potential(x):
    return 0.5 * x**2 + 0.3 * np.sin(2 * x)


def problem(n: int = 96):
    grid = ef.Grid(n, (-5, 5))
    rho0 = ornstein_uhlenbeck(grid, 0.0, 1.0, 0.0, EPS, 1.5, 0.1)
    return grid, rho0


def semi_discrete(grid, rho0, t: float, drift=None, eps: float = EPS):
    operator = _Operator(grid, potential if drift is None else None, drift, eps, np.float64, True)
    return scipy.sparse.linalg.expm_multiply(t * operator.matrix(0.0), rho0.ravel()).reshape(
        grid.shape
    )


def relative_l1(a, b) -> float:
    return float(np.abs(a - b).sum() / np.abs(b).sum())


def run(grid, rho0, t_final, **kwargs):
    return ef.solve_fokker_planck(
        rho0, grid, potential, t_final, diffusion=EPS, progress=False, **kwargs
    )


@pytest.mark.parametrize(
    ("stepper", "order", "rtols"),
    [("bdf2", 2, [1e-3, 1e-4, 1e-5, 1e-6]), ("implicit-euler", 1, [1e-2, 1e-3, 1e-4])],
)
def test_time_error_order_and_tolerance_proportionality(stepper, order, rtols):
    """Under error control the global time error falls like ``n_steps^-p`` and follows the
    tolerance: ``error / rtol`` stays within a factor 10 (here: within [0.3, 3]) over the
    decades of ``rtol``."""
    grid, rho0 = problem()
    exact = semi_discrete(grid, rho0, 1.0)
    errors, steps = [], []
    for rtol in rtols:
        sol = run(grid, rho0, 1.0, stepper=stepper, rtol=rtol, atol=0.0)
        errors.append(relative_l1(sol.rho[-1], exact))
        steps.append(sol.n_steps)
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.25, (slope, steps, errors)
    ratio = np.array(errors) / np.array(rtols)
    assert np.all((ratio > 0.3) & (ratio < 3)), ratio
    assert ratio.max() / ratio.min() < 10, ratio


def test_embedded_ssprk3_has_third_order_under_error_control():
    """Pure drift (upwind, eps = 0): the step is set by the embedded estimate, far below the
    positivity bound, and the error falls like ``n_steps^-3``."""
    grid = ef.Grid(48, (-5, 5))
    rho0 = ornstein_uhlenbeck(grid, 0.0, 1.0, 0.0, EPS, 1.5, 0.1)
    exact = semi_discrete(grid, rho0, 0.5, eps=0.0)
    errors, steps = [], []
    for rtol in [1e-4, 1e-5, 1e-6, 1e-7]:
        sol = ef.solve_fokker_planck(
            rho0,
            grid,
            potential,
            0.5,
            diffusion=0.0,
            stepper="ssprk3",
            rtol=rtol,
            atol=0.0,
            progress=False,
        )
        errors.append(relative_l1(sol.rho[-1], exact))
        steps.append(sol.n_steps)
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - 3) < 0.5, (slope, steps, errors)


def test_reused_factorisations_do_not_change_the_answer(monkeypatch):
    """Steps solved by the iteration with a nearby factorisation agree with fresh
    factorisations far below the tolerance, and save factorisations."""
    grid, rho0 = problem()
    reused = run(grid, rho0, 1.0, rtol=1e-5)
    monkeypatch.setattr(fokker_planck_implicit, "REUSE_BAND", 0.0)
    fresh = run(grid, rho0, 1.0, rtol=1e-5)
    assert relative_l1(reused.rho[-1], fresh.rho[-1]) < 1e-2 * 1e-5
    assert reused.diagnostics["n_factorizations"] <= fresh.diagnostics["n_factorizations"]


def test_rejected_steps_are_counted_and_recovered():
    """A drift switched on at t = 0.3 (time-dependent, unknown to the controller): steps across
    the switch are rejected, and the run still meets the semi-discrete solution."""
    grid, rho0 = problem(64)

    def drift(t, x):
        return (-(x - 1.0) * (3.0 if t > 0.3 else 0.0),)

    sol = ef.solve_fokker_planck(
        rho0, grid, None, 1.0, drift=drift, diffusion=EPS, rtol=1e-5, progress=False
    )
    assert sol.diagnostics["n_rejected"] >= 1
    before = semi_discrete(grid, rho0, 0.3, drift=lambda t, x: (0.0 * x,))
    after = semi_discrete(grid, before, 0.7, drift=lambda t, x: (-3.0 * (x - 1.0),))
    assert relative_l1(sol.rho[-1], after) < 1e-3


def test_variable_steps_keep_mass_positivity_gibbs_state_and_energy_decay():
    grid = ef.Grid(128, (-4, 4))
    rho0 = ornstein_uhlenbeck(grid, 0.0, 1.0, 0.0, EPS, -1.5, 0.05)
    t_eval = np.linspace(0, 30, 31)
    for stepper in ("bdf2", "implicit-euler"):
        sol = run(grid, rho0, 30.0, t_eval=t_eval, stepper=stepper)
        assert sol.diagnostics["dt_max"] > 10 * sol.diagnostics["dt_min"]  # steps did vary
        np.testing.assert_allclose(sol.mass, sol.mass[0], rtol=1e-12)
        if stepper == "implicit-euler":
            assert sol.rho.min() >= 0
        rho = np.maximum(sol.rho, 1e-300)
        free_energy = grid.integrate(EPS * rho * np.log(rho) + rho * potential(grid.centers[0]))
        assert np.all(np.diff(free_energy) <= 1e-10 * abs(free_energy[0]))
        gibbs = gibbs_state(grid, potential, EPS, mass=float(sol.mass[0]))
        assert grid.integrate(np.abs(sol.rho[-1] - gibbs)) < 1e-8


def test_tolerance_arguments_are_checked():
    grid, rho0 = problem(32)
    with pytest.raises(ValueError, match="dt"):
        run(grid, rho0, 1.0, dt=0.1, rtol=1e-3)
    with pytest.raises(ValueError, match="crank-nicolson"):
        run(grid, rho0, 1.0, stepper="crank-nicolson", rtol=1e-3)
    with pytest.raises(ValueError, match="ssprk2' or 'ssprk3"):
        run(grid, rho0, 1.0, stepper="ssprk1", rtol=1e-3)
    with pytest.raises(ValueError, match="rtol"):
        run(grid, rho0, 1.0, rtol=2.0)
    with pytest.raises(ValueError, match="atol"):
        run(grid, rho0, 1.0, atol=-1.0)


def ou_2d(n: int):
    grid = ef.Grid((n, n), [(-5, 5), (-5, 5)])
    mean0, cov0 = np.array([1.0, -0.5]), np.array([[0.3, 0.05], [0.05, 0.2]])
    rho0 = ef.exact.gaussian_density(grid, mean0, cov0)
    exact = ornstein_uhlenbeck(grid, 1.0, np.eye(2), np.zeros(2), 1.0, mean0, cov0)
    return grid, rho0, exact


@pytest.mark.slow
@pytest.mark.parametrize("n", [192, 256])
def test_default_run_meets_the_spatial_error_floor_on_the_ou_benchmark(n):
    """The default run and the error-controlled BDF2 run are within a factor 2 of the error of a
    run with a tiny step (the spatial error floor); BDF2 takes fewer than the 200 steps of the
    former default, and the default run (the cost model's choice) costs less work than either,
    counted in stage units by the model's prices of a solve and a factorisation."""
    grid, rho0, exact = ou_2d(n)

    def solve(**kwargs):
        sol = ef.solve_fokker_planck(
            rho0, grid, lambda x, y: 0.5 * (x**2 + y**2), 1.0, progress=False, **kwargs
        )
        return grid.integrate(np.abs(sol.rho[-1] - exact)), sol

    def work(sol) -> float:
        if sol.parameters["stepper"] == "ssprk1":
            return float(sol.n_steps + sol.diagnostics["n_rejected"])
        counts = sol.diagnostics["n_solves"], sol.diagnostics["n_factorizations"]
        return cost.implicit_work(2, grid.size, *counts)

    floor, _ = solve(dt=5e-4)
    error, default = solve()
    bdf2_error, bdf2 = solve(stepper="bdf2")
    _, former = solve(dt=1.0 / 200)  # the former default: 200 fixed BDF2 steps
    assert error < 2 * floor, (error, floor)
    assert bdf2_error < 2 * floor, (bdf2_error, floor)
    assert bdf2.n_steps < 200
    assert default.parameters["auto"] and default.parameters["stepper"] == "ssprk1"
    assert work(default) < work(bdf2) < work(former)
