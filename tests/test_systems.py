"""The named reachability systems: the fused control-affine path against the generic callable
path, the properties of a reachable tube, and the double integrator against its exact solution.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import eulerflow as ef
from eulerflow.backends import BackendUnavailableError, get_backend
from eulerflow.hamiltonians import CallableHamiltonian

matplotlib.use("Agg")

AIR3D_SHAPE = (21, 16, 20)
AIR3D_TIMES = [0.0, 0.2, 0.4, 0.6]


@pytest.fixture(scope="module")
def air3d():
    return ef.systems.Air3d()


@pytest.fixture(scope="module")
def air3d_reference(air3d):
    """The tube by the generic path: the same Hamiltonian as an array callable with its bound."""
    h = air3d.hamiltonian
    generic = CallableHamiltonian(
        lambda x, p: h(x, p), lambda x, low, high: h.dissipation(x, low, high)
    )
    grid = air3d.grid(AIR3D_SHAPE)
    return ef.solve_hamilton_jacobi(
        air3d.target(grid), grid, generic, AIR3D_TIMES[-1], t_eval=AIR3D_TIMES,
        direction="backward", tube=True, backend="numpy", progress=False,
    )  # fmt: skip


def _scale(values) -> float:
    return float(np.abs(values).max())


def test_air3d_fused_equals_generic_path_on_numpy(air3d, air3d_reference):
    sol = air3d.solve(AIR3D_SHAPE, AIR3D_TIMES[-1], t_eval=AIR3D_TIMES, backend="numpy")
    assert sol.n_steps == air3d_reference.n_steps
    np.testing.assert_allclose(
        sol.phi, air3d_reference.phi, rtol=0, atol=1e-12 * _scale(air3d_reference.phi)
    )


@pytest.mark.parametrize("name", ["numba", "cupy"])
def test_air3d_fused_on_compiled_backends(air3d, air3d_reference, name):
    try:
        get_backend(name)
    except BackendUnavailableError as err:
        pytest.skip(str(err))
    sol = air3d.solve(AIR3D_SHAPE, AIR3D_TIMES[-1], t_eval=AIR3D_TIMES, backend=name)
    got = sol.phi if isinstance(sol.phi, np.ndarray) else sol.phi.get()
    np.testing.assert_allclose(
        got, air3d_reference.phi, rtol=0, atol=1e-12 * _scale(air3d_reference.phi)
    )


def test_air3d_tube_properties(air3d, air3d_reference):
    """Monotone in time, the target inside the tube, the value never above the target."""
    phi = air3d_reference.phi
    target = air3d.target(air3d.grid(AIR3D_SHAPE))
    roundoff = 1e-13 * _scale(phi)
    np.testing.assert_array_equal(phi[-1], target)  # the terminal value
    for earlier, later in zip(phi[:-1], phi[1:], strict=True):
        assert np.all(earlier <= later + roundoff)  # the tube grows as t goes back
    assert np.all(phi <= target + roundoff)
    assert np.all(phi[0][target <= 0] <= 0)
    grown = np.mean(phi[0] <= 0) - np.mean(target <= 0)
    assert grown > 0.02  # the horizon adds states that cannot avoid capture


@pytest.fixture(scope="module")
def double_integrator():
    return ef.systems.DoubleIntegrator()


def test_double_integrator_converges_to_the_exact_tube(double_integrator):
    """``l = T - tau0`` with ``T`` the minimum time to the origin: the tube over ``tau`` is
    ``max(T - tau, 0) - tau0`` (time-optimal control, switching curve ``x = -v|v|/2``). The value
    is only Holder-1/2 at the origin, where ``T ~ 2 sqrt|x|``: measured order of the mean error
    0.52-0.57 (41 to 321 cells per axis), asked for at least 0.45."""
    tau0, tau = 0.5, 0.5
    errors = []
    for n in (41, 81, 161):
        grid = double_integrator.grid((n, n))
        x, v = grid.centers
        time = double_integrator.time_to_reach(x, v)
        sol = ef.solve_hamilton_jacobi(
            time - tau0, grid, double_integrator.hamiltonian, tau, direction="backward",
            tube=True, backend="numba", progress=False,
        )  # fmt: skip
        exact = np.maximum(time - tau, 0.0) - tau0
        inner = np.broadcast_to((np.abs(x) <= 0.5) & (np.abs(v) <= 0.5), grid.shape)
        errors.append(np.abs(sol.phi[0] - exact)[inner].mean())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders >= 0.45), (errors, orders)
    assert errors[-1] < 0.03


def test_double_integrator_switching_curve(double_integrator):
    x = np.array([1.0, -1.0, -0.5, 0.5])
    v = np.array([0.0, 0.0, 1.0, -1.0])  # the last two lie on the switching curve
    np.testing.assert_allclose(double_integrator.time_to_reach(x, v), [2.0, 2.0, 1.0, 1.0])


def test_dubins_car_in_one_line_and_level_set_plot(tmp_path):
    car = ef.systems.DubinsCar()
    sol = car.solve((21, 21, 12), 0.5, t_eval=[0.0, 0.5], backend="numba")
    target = car.target(car.grid((21, 21, 12)))
    assert np.all(sol.phi[0][target <= 0] <= 0)
    assert np.mean(sol.phi[0] <= 0) > np.mean(target <= 0)
    fig = sol.plot_level_set([0, 1], slices=[0, 6])
    assert len(fig.axes) == 2
    fig.savefig(tmp_path / "dubins.png")
    with pytest.raises(ValueError, match="slices must be indices"):
        sol.plot_level_set(0, slices=[12])


def test_level_set_plot_in_2d(double_integrator):
    sol = double_integrator.solve((41, 41), 0.5, t_eval=[0.0, 0.25, 0.5], backend="numba")
    fig = sol.plot_level_set([0, 1, 2])
    assert len(fig.axes[0].collections) == 3
