"""The continuity solver: conservation, positivity, accuracy against exact solutions."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import eulerflow as ef
from eulerflow import exact
from eulerflow.schemes.cfl import max_courant
from eulerflow.schemes.limiters import LIMITERS
from eulerflow.schemes.ssp import SSP_METHODS


def l1_error(rho, reference, grid):
    return float(np.sum(np.abs(rho - reference)) * grid.cell_volume)


def observed_orders(errors):
    errors = np.asarray(errors)
    return np.log2(errors[:-1] / errors[1:])


def random_face_velocities(rng, grid):
    faces = []
    for axis in range(grid.ndim):
        u = rng.standard_normal(grid.face_shape(axis))
        if grid.periodic[axis]:
            first = (slice(None),) * axis + (0,)
            last = (slice(None),) * axis + (-1,)
            u[last] = u[first]
        faces.append(u)
    return tuple(faces)


# -- conservation and positivity -----------------------------------------------------------------
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("stepper", list(SSP_METHODS))
@pytest.mark.parametrize("limiter", list(LIMITERS))
def test_mass_conserved_over_1000_steps(rng, limiter, stepper, periodic):
    grid = ef.Grid((12, 9), ((0, 1.2), (0, 0.9)), periodic=periodic)
    rho0 = rng.random(grid.shape) + 0.1
    velocity = random_face_velocities(rng, grid)
    cfl = 0.9 * max_courant(limiter)
    rate = sum(np.max(np.abs(u)) / h for u, h in zip(velocity, grid.spacing, strict=True))
    sol = ef.solve_continuity(
        rho0,
        grid,
        velocity,
        t_final=1000 * cfl / rate,
        limiter=limiter,
        stepper=stepper,
        cfl=cfl,
        backend="numba",
        progress=False,
    )
    assert sol.n_steps >= 1000
    drift = abs(sol.mass[-1] - sol.mass[0]) / sol.mass[0]
    assert drift < 1e-12
    assert sol.mass[0] == pytest.approx(grid.integrate(rho0), rel=1e-15)
    assert sol.diagnostics["min"][-1] >= 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rho0=arrays(np.float64, (7, 6), elements=st.floats(0, 10) | st.just(0.0)),
    seed=st.integers(0, 2**32 - 1),
    limiter=st.sampled_from(list(LIMITERS)),
    stepper=st.sampled_from(list(SSP_METHODS)),
    periodic=st.tuples(st.booleans(), st.booleans()),
)
def test_positivity_at_the_cfl_bound(rho0, seed, limiter, stepper, periodic):
    """Non-negative data stay non-negative with cfl equal to the documented bound."""
    grid = ef.Grid((7, 6), ((0, 1), (0, 2)), periodic=periodic)
    velocity = random_face_velocities(np.random.default_rng(seed), grid)
    sol = ef.solve_continuity(
        rho0,
        grid,
        velocity,
        t_final=0.3,
        limiter=limiter,
        stepper=stepper,
        cfl=max_courant(limiter),
        backend="numba",
        progress=False,
    )  # the solver itself raises UnstableSolutionError on negative values beyond round-off
    tiny = 64 * np.finfo(float).eps * max(float(rho0.max()), 1.0)
    assert float(sol.rho.min()) >= -tiny
    assert abs(sol.mass[-1] - sol.mass[0]) <= 1e-12 * max(sol.mass[0], 1e-300)


def test_positivity_bound_is_sharp():
    """Above the bound a forward-Euler MUSCL step does produce negative values."""
    backend = ef.get_backend("numpy")
    rho = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    u = np.array([-1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0])  # cell 3 empties both ways
    for courant, negative in [(0.5, False), (0.55, True)]:
        new = backend.transport_update(rho, rho, [u], [1.0], [False], "superbee", 0, 1, courant)
        assert (new.min() < 0) == negative


# -- accuracy against exact solutions --------------------------------------------------------------
def smooth_periodic(x):
    return np.exp(np.sin(2 * np.pi * x))


@pytest.mark.parametrize(
    ("limiter", "sizes", "min_order"),
    [("none", [128, 256, 512, 1024], 0.9), ("vanleer", [64, 128, 256, 512], 1.8)],
)
def test_translation_order_1d(limiter, sizes, min_order):
    errors = []
    for n in sizes:
        grid = ef.Grid(n, (0, 1), periodic=True)
        rho0 = exact.cell_average(smooth_periodic, grid)
        sol = ef.solve_continuity(
            rho0,
            grid,
            lambda t, x: (np.full_like(x, 0.7),),
            t_final=1.0,
            steady=True,
            limiter=limiter,
            backend="numba",
            progress=False,
        )
        reference = exact.translation_solution(smooth_periodic, grid, 0.7, 1.0)
        errors.append(l1_error(sol.rho[-1], reference, grid))
    orders = observed_orders(errors)
    assert np.all(orders >= min_order), (errors, orders)


def test_translation_order_2d_diagonal():
    def bump(x, y):
        return 1.0 + np.sin(2 * np.pi * x) * np.cos(2 * np.pi * y)

    errors = []
    for n in [32, 64, 128]:
        grid = ef.Grid((n, n), ((0, 1), (0, 1)), periodic=True)
        rho0 = exact.cell_average(bump, grid)
        sol = ef.solve_continuity(
            rho0,
            grid,
            lambda t, x, y: (np.ones_like(x), -0.5 * np.ones_like(y)),
            t_final=0.5,
            steady=True,
            backend="numba",
            progress=False,
        )
        reference = exact.translation_solution(bump, grid, (1.0, -0.5), 0.5)
        errors.append(l1_error(sol.rho[-1], reference, grid))
    assert np.all(observed_orders(errors) >= 1.8), errors


def test_solid_body_rotation_converges():
    def bump(x, y):
        return np.exp(-((x - 0.4) ** 2 + y**2) / (2 * 0.15**2))

    errors = []
    for n in [32, 64, 128]:
        grid = ef.Grid((n, n), ((-1, 1), (-1, 1)))
        rho0 = exact.cell_average(bump, grid)
        sol = ef.solve_continuity(
            rho0,
            grid,
            lambda t, x, y: (-y, x),
            t_final=np.pi / 2,
            steady=True,
            backend="numba",
            progress=False,
        )
        reference = exact.rotation_solution(bump, grid, 1.0, np.pi / 2)
        errors.append(l1_error(sol.rho[-1], reference, grid))
    orders = observed_orders(errors)
    assert np.all(orders >= 1.5), (errors, orders)
    assert errors[-1] < 1e-2 * grid.integrate(rho0)  # measured 6.4e-3 (vanleer, 128^2)


def test_compressible_linear_field_against_push_forward():
    """v = A x with tr A < 0 compresses a Gaussian: exact push-forward N(M m, M S M^T)."""
    A = np.array([[-0.4, -1.0], [0.8, -0.2]])
    mean, cov = np.array([1.0, -0.5]), np.array([[0.3, 0.1], [0.1, 0.2]])
    errors = []
    for n in [32, 64, 128]:
        grid = ef.Grid((n, n), ((-4, 4), (-4, 4)))
        rho0 = exact.gaussian_density(grid, mean, cov)
        sol = ef.solve_continuity(
            rho0,
            grid,
            lambda t, x, y: (A[0, 0] * x + A[0, 1] * y, A[1, 0] * x + A[1, 1] * y),
            t_final=1.0,
            steady=True,
            backend="numba",
            progress=False,
        )
        reference = exact.linear_flow_gaussian(grid, mean, cov, A, np.zeros(2), 1.0)
        errors.append(l1_error(sol.rho[-1], reference, grid))
    orders = observed_orders(errors)
    assert np.all(orders >= 1.5), (errors, orders)
    assert errors[-1] < 0.015  # measured 0.0113 at 128^2 (unit mass)


def test_time_dependent_velocity_matches_characteristics():
    """A time-dependent, compressible field against the characteristics solver."""

    def velocity(t, x, y):
        return (-y * np.cos(t) - 0.2 * x, x * np.cos(t) - 0.2 * y)

    def rho0(x, y):
        return np.exp(-((x - 1.0) ** 2 + y**2) / 0.3)

    errors = []
    for n in [32, 64, 128]:
        grid = ef.Grid((n, n), ((-3, 3), (-3, 3)))
        sol = ef.solve_continuity(
            exact.cell_average(rho0, grid),
            grid,
            velocity,
            t_final=1.0,
            backend="numba",
            progress=False,
        )
        reference = exact.characteristics_solution(
            rho0, velocity, grid, 1.0, n_steps=100, quadrature=3
        )
        errors.append(l1_error(sol.rho[-1], reference, grid))
    assert np.all(observed_orders(errors) >= 1.5), errors


# -- backends ------------------------------------------------------------------------------------
@pytest.mark.parametrize("periodic", [True, False])
def test_backends_give_identical_solutions(fast_backend, rng, periodic):
    grid = ef.Grid((15, 11), ((0, 1), (0, 1)), periodic=periodic)
    rho0 = rng.random(grid.shape)

    def velocity(t, x, y):
        return (np.sin(2 * np.pi * y) + t, np.cos(2 * np.pi * x))

    kwargs = dict(t_final=0.3, t_eval=[0.1, 0.3], limiter="mc", progress=False)
    if periodic:
        kwargs["t_eval"] = [0.0, 0.3]
    ref = ef.solve_continuity(rho0, grid, velocity, backend="numpy", **kwargs)
    fast = ef.solve_continuity(
        fast_backend.asarray(rho0), grid, velocity, backend=fast_backend.name, **kwargs
    )
    assert fast.backend == fast_backend.name and ref.n_steps == fast.n_steps
    values = fast_backend.to_numpy(fast.rho)
    np.testing.assert_allclose(values, ref.rho, rtol=0, atol=1e-12 * np.max(ref.rho))


# -- inputs, outputs and conventions ----------------------------------------------------------
def test_velocity_forms_agree(rng):
    grid = ef.Grid((10, 8), ((0, 1), (0, 2)), periodic=(True, False))
    rho0 = rng.random(grid.shape)
    x, y = grid.centers

    def velocity(t, x, y):
        return (np.cos(2 * np.pi * x) + y, 0.5 * np.sin(np.pi * y) + x)

    run = dict(t_final=0.2, backend="numpy", progress=False)
    from_callable = ef.solve_continuity(rho0, grid, velocity, **run)
    faces = tuple(velocity(0, *grid.face_centers(a))[a] for a in range(2))
    from_faces = ef.solve_continuity(rho0, grid, faces, **run)
    np.testing.assert_array_equal(from_callable.rho, from_faces.rho)
    from_centres = ef.solve_continuity(rho0, grid, velocity(0, x, y), **run)
    assert from_centres.rho.shape == from_faces.rho.shape
    assert not np.array_equal(from_centres.rho, from_faces.rho)  # averaged, not sampled


def test_snapshots_times_and_types(rng):
    grid = ef.Grid(16, (0, 1), periodic=True)
    rho0 = rng.random(16).astype(np.float32)
    sol = ef.solve_continuity(
        rho0, grid, ([0.3] * 17,), t_final=1.0, t_eval=[0.0, 0.25, 1.0], progress=False
    )
    np.testing.assert_array_equal(sol.t, [0.0, 0.25, 1.0])
    assert sol.rho.shape == (3, 16) and sol.rho.dtype == np.float32
    assert isinstance(sol.rho, np.ndarray)
    np.testing.assert_array_equal(sol.rho[0], rho0)
    assert sol.equation == "continuity" and sol.parameters["limiter"] == "vanleer"
    assert sol.backend == "numba" and sol.wall_time > 0


def test_nonperiodic_velocity_on_periodic_axis_warns():
    grid = ef.Grid(8, (0, 1), periodic=True)
    with pytest.warns(ef.NonPeriodicVelocityWarning, match="periodic axis 0"):
        sol = ef.solve_continuity(
            np.ones(8), grid, lambda t, x: (x,), t_final=0.1, steady=True, progress=False
        )
    assert abs(sol.mass[-1] - sol.mass[0]) < 1e-14


def test_unstable_velocity_is_reported():
    """A velocity that jumps within a step beats the step control: reported, not returned."""
    grid = ef.Grid(32, (0, 1), periodic=True)

    def velocity(t, x):
        return (np.where(t < 0.04, 1.0, 400.0) * np.sin(2 * np.pi * x),)

    # steps of 0.025 from the speed at t; the second stage of the step from t = 0.025 sees 400x
    with pytest.raises(ef.UnstableSolutionError, match="negative|non-finite"):
        ef.solve_continuity(
            np.ones(32),
            grid,
            velocity,
            t_final=0.06,
            stepper="ssprk2",
            limiter="none",
            progress=False,
        )


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"rho0": np.ones((8, 7))}, ValueError, r"rho0 has shape \(8, 7\)"),
        ({"rho0": -np.ones((8, 8))}, ValueError, "negative values"),
        ({"rho0": np.full((8, 8), np.nan)}, ValueError, "non-finite"),
        ({"velocity": lambda t, x, y: (x,)}, ValueError, "must give 2 components"),
        ({"velocity": (np.ones((3, 3)), np.ones((8, 8)))}, ValueError, "component 0 has shape"),
        ({"velocity": 3.0}, TypeError, "velocity must be a callable"),
        ({"t_final": 0.0}, ValueError, "t_final must be positive"),
        ({"t_final": np.inf}, ValueError, "t_final must be a finite"),
        ({"t_eval": [0.5, 2.0]}, ValueError, "t_eval must lie in"),
        ({"t_eval": [0.5, 0.2]}, ValueError, "strictly increasing"),
        ({"cfl": 0.7}, ValueError, "outside the stable range"),
        ({"cfl": 1.2, "limiter": "none"}, ValueError, "outside the stable range"),
        ({"limiter": "vl"}, ValueError, "limiter must be one of"),
        ({"stepper": "euler"}, ValueError, "stepper must be one of"),
        ({"backend": "jax"}, ValueError, "backend must be one of"),
        ({"velocity": lambda t, x, y: (np.nan * x, y)}, ValueError, "non-finite"),
    ],
)
def test_bad_input(change, error, match):
    grid = ef.Grid((8, 8), ((0, 1), (0, 1)))
    kwargs = dict(
        rho0=np.ones((8, 8)),
        grid=grid,
        velocity=lambda t, x, y: (y, -x),
        t_final=1.0,
        progress=False,
    )
    kwargs.update(change)
    with pytest.raises(error, match=match):
        ef.solve_continuity(**kwargs)


def test_progress_bar_can_be_forced(capsys):
    grid = ef.Grid(8, (0, 1), periodic=True)
    ef.solve_continuity(np.ones(8), grid, ([1.0] * 9,), t_final=0.5, progress=True)
    assert "continuity" in capsys.readouterr().err


# -- defects found by a new user (issue 10) -------------------------------------------------------
def test_velocity_of_the_wrong_shape_is_named():
    """Defect 6: a velocity returning the wrong shape gave a raw NumPy broadcast error."""
    grid = ef.Grid((8, 8), ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match=r"velocity\(t, \*coords\) returned component 0 of shape"):
        ef.solve_continuity(np.ones((8, 8)), grid, lambda t, x, y: (np.ones(3), y), 1.0)


def test_runaway_velocity_is_refused_before_any_work():
    """Defect 8: a velocity of 1e6 silently started a run of hours."""
    grid = ef.Grid((32, 32), ((0, 1), (0, 1)))
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"about 8e\+07 time steps.*max_steps=1000000"):
        ef.solve_continuity(np.ones((32, 32)), grid, lambda t, x, y: (1e6 + 0 * x, 0 * y), 1.0)
    assert time.perf_counter() - start < 5


def test_step_budget_stops_with_status_one_and_the_state_reached():
    grid = ef.Grid(32, (0, 1), periodic=True)
    rho0 = 1.0 + 0.5 * np.sin(2 * np.pi * grid.axis_centers(0))
    # the first step estimates 1 / (0.4 / 32) = 80 steps; a growing velocity needs more
    velocity = lambda t, x: (1.0 + 10 * t + 0 * x,)  # noqa: E731
    with pytest.warns(ef.StepBudgetWarning, match="max_steps=100"):
        sol = ef.solve_continuity(rho0, grid, velocity, 1.0, max_steps=100)
    assert sol.status == 1 and "max_steps=100" in sol.message and sol.n_steps == 100
    assert 0 < sol.t[-1] < 1 and sol.t.size == 2
    np.testing.assert_allclose(sol.mass, sol.mass[0], rtol=1e-13)


@pytest.mark.parametrize(
    ("stepper", "order", "rtols"),
    [("ssprk3", 3, [1e-5, 1e-6, 1e-7, 1e-8]), ("ssprk2", 2, [1e-3, 1e-4, 1e-5, 1e-6])],
)
def test_error_controlled_steps_have_the_order_and_follow_rtol(stepper, order, rtols):
    """With ``rtol`` the embedded SSP-RK estimate shortens the steps below the CFL bound: the
    time error (against the exact solution of the semi-discrete system) falls like
    ``n_steps^-order`` and stays within a factor 3 of ``rtol`` over three decades."""
    grid = ef.Grid(32, (0, 1), periodic=True)
    rho0 = 1 + 0.5 * np.sin(2 * np.pi * grid.centers[0])

    def velocity(t, x):
        return (1.0 + 0.5 * np.cos(2 * np.pi * x),)

    def run(t_final=1.0, start=rho0, **kwargs):
        return ef.solve_continuity(
            start, grid, velocity, t_final, steady=True, limiter="none", progress=False, **kwargs
        )

    # Donor cell is linear: d rho / dt = L rho, with the columns of L from one forward-Euler
    # step of each unit vector; the semi-discrete solution is expm(L) rho0.
    h = 1e-3
    columns = [
        (run(stepper="ssprk1", t_final=h, start=e).rho[-1] - e) / h for e in np.eye(grid.shape[0])
    ]
    reference = scipy.linalg.expm(np.array(columns).T) @ rho0
    rtols = np.array(rtols)
    errors, steps = [], []
    for rtol in rtols:
        sol = run(stepper=stepper, rtol=rtol, atol=0.0)
        errors.append(np.abs(sol.rho[-1] - reference).sum() / np.abs(reference).sum())
        steps.append(sol.n_steps)
        assert sol.parameters["rtol"] == rtol
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.3, (slope, steps, errors)
    ratio = np.array(errors) / rtols
    assert np.all((ratio > 1 / 3) & (ratio < 3)), ratio
    assert run(stepper=stepper).n_steps < steps[0]  # the default: the CFL bound alone


def test_tolerances_are_checked():
    grid = ef.Grid(16, (0, 1), periodic=True)
    rho0 = np.ones(16)

    def velocity(t, x):
        return (1.0 + 0 * x,)

    with pytest.raises(ValueError, match="rtol"):
        ef.solve_continuity(rho0, grid, velocity, 1.0, rtol=0.0)
    with pytest.raises(ValueError, match="ssprk2' or 'ssprk3"):
        ef.solve_continuity(rho0, grid, velocity, 1.0, stepper="ssprk1", rtol=1e-3)
