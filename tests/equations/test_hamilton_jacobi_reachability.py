"""solve_hamilton_jacobi's reachability options: time-dependent Hamiltonians, tubes, targets and
obstacles, on every path (fused power kernels, compiled point Hamiltonians, array callables)."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.hamiltonians import (
    CallableHamiltonian,
    ControlAffine,
    ControlBox,
    QuadraticPotentialHamiltonian,
    ScalarHamiltonian,
)

GRID = ef.Grid(24, (-1, 1))
T = 0.6


def _time_dependent_hamiltonians():
    """``H(t, x, p) = (1 + t) p`` three ways."""
    return {
        "callable": CallableHamiltonian(
            lambda t, x, p: (1 + t) * p[0], lambda t, x, lo, hi: (1 + t,), time_dependent=True
        ),
        "scalar": ScalarHamiltonian(
            lambda t, x, p: (1 + t) * p[0], lambda t, x, lo, hi: (1 + t,), ndim=1
        ),
        "control-affine": ControlAffine(
            lambda t, x: (1.0 + t + 0.0 * x[0],),
            lambda t, x: ((0.0,),),
            control_set=ControlBox([0.0], [0.0]),
        ),
    }


@pytest.mark.parametrize("name", ["callable", "scalar", "control-affine"])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_time_dependent_hamiltonian_on_linear_data(name, backend):
    """``phi0 = x``: the one-sided derivatives are 1 everywhere (linear walls), so
    ``phi(t) = x - t - t^2/2``, integrated exactly by TVD-RK3; backward from ``phi(T) = x``:
    ``phi(t) = x + (T - t) + (T^2 - t^2)/2``."""
    hamiltonian = _time_dependent_hamiltonians()[name]
    (x,) = GRID.centers
    sol = ef.solve_hamilton_jacobi(x, GRID, hamiltonian, T, backend=backend, progress=False)
    np.testing.assert_allclose(sol.phi[-1], x - T - T**2 / 2, rtol=0, atol=1e-13)
    back = ef.solve_hamilton_jacobi(
        x, GRID, hamiltonian, T, direction="backward", backend=backend, progress=False
    )
    np.testing.assert_allclose(back.phi[0], x + T + T**2 / 2, rtol=0, atol=1e-13)


def test_tube_on_the_power_path_equals_the_callable_path():
    """``H = |p|^2/2 + U`` with ``U`` of both signs: the fused power path (with the tube applied
    by arrays) and a callable give the same tube; the tube only grows backward in time."""
    grid = ef.Grid((20, 18), ((-1, 1), (-1, 1)))
    x, y = grid.centers

    def potential(x, y):
        return 1.5 * np.sin(3 * x) * np.cos(2 * y)

    target = np.sqrt(x**2 + y**2) - 0.4
    common = dict(direction="backward", tube=True, flux="local-lax-friedrichs", progress=False)
    fused = ef.solve_hamilton_jacobi(
        target, grid, QuadraticPotentialHamiltonian(potential), T, t_eval=[0, T / 2, T], **common
    )
    generic = ef.solve_hamilton_jacobi(
        target,
        grid,
        CallableHamiltonian(
            lambda c, p: 0.5 * (p[0] ** 2 + p[1] ** 2) + potential(*c),
            lambda c, lo, hi: (
                np.maximum(np.abs(lo[0]), np.abs(hi[0])),
                np.maximum(np.abs(lo[1]), np.abs(hi[1])),
            ),
        ),
        T,
        t_eval=[0, T / 2, T],
        **common,
    )
    np.testing.assert_allclose(fused.phi, generic.phi, rtol=0, atol=1e-12)
    assert np.all(fused.phi[0] <= fused.phi[1] + 1e-14)
    assert np.all(fused.phi[1] <= target + 1e-14)
    assert np.any(fused.phi[0] < target - 1e-3)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_target_and_obstacle_constrain_every_step(backend):
    """Forward ``H = |p|`` (a front moving outward): with a target the value never exceeds it;
    with an obstacle it is never below ``-g``, so no state in the obstacle is reached."""
    hamiltonian = ScalarHamiltonian(
        lambda t, x, p: np.sqrt(p[0] ** 2), lambda t, x, lo, hi: (1.0,), ndim=1, even=True
    )
    (x,) = GRID.centers
    phi0 = np.abs(x) - 0.2
    cap = np.full(GRID.shape, 0.05)
    obstacle = np.abs(x - 0.6) - 0.1  # negative on [0.5, 0.7]
    sol = ef.solve_hamilton_jacobi(
        phi0, GRID, hamiltonian, 0.3, target=cap, obstacle=obstacle, backend=backend,
        progress=False,
    )  # fmt: skip
    final = sol.phi[-1]
    assert np.all(final <= np.maximum(cap, -obstacle))
    assert np.all(final >= -obstacle)
    assert np.all(final[obstacle < 0] > 0)
    moving = ef.solve_hamilton_jacobi(
        phi0, GRID, hamiltonian, 0.3, target=lambda t, x: 0.05 + t + 0 * x, backend=backend,
        progress=False,
    )  # fmt: skip
    assert np.all(moving.phi[-1] <= 0.35 + 1e-15)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"target": np.zeros(5)}, ValueError, "target has shape"),
        ({"obstacle": [1.0, 2.0]}, TypeError, "obstacle must be an array on the cells"),
        ({"target": np.full(24, np.nan)}, ValueError, "target has non-finite values"),
        (
            {"hamiltonian": _time_dependent_hamiltonians()["scalar"], "flux": "godunov"},
            ValueError,
            "flux='godunov' is not available",
        ),
    ],
)
def test_bad_reachability_input(change, error, match):
    kwargs = dict(phi0=np.zeros(24), grid=GRID, t_final=0.1, progress=False)
    kwargs.update(change)
    with pytest.raises(error, match=match):
        ef.solve_hamilton_jacobi(**kwargs)
