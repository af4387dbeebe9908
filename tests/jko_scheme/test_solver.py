"""The ``jko`` driver, with a fake step method (independent of the real methods), and the
optimality residual of :mod:`eulerflow.jko_scheme.step`."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import eulerflow as ef
from eulerflow import ConvergenceWarning, UnstableSolutionError
from eulerflow.energies import Entropy, Potential
from eulerflow.jko_scheme import JKOSolution, jko
from eulerflow.jko_scheme import solver as jko_solver
from eulerflow.jko_scheme.step import StepOutcome, optimality_residual

GRID = ef.Grid(16, (0, 1))
ENERGY = Entropy(0.5) + Potential(lambda x: (x - 0.5) ** 2)
RHO0 = 1.0 + np.sin(np.pi * GRID.centers[0])  # positive, not symmetric under a shift


def fake_method(*, unconverged=(), broken_at=None, breakage=None):
    """A method whose step ``k`` rolls ``rho_{k-1}`` by one cell (mass preserved), reports cost
    ``k``, ``10 + k`` inner iterations and ``converged = k not in unconverged``; at step
    ``broken_at`` it returns ``breakage(rho)`` instead. The factory's arguments are recorded."""
    calls: dict = {}

    def make_step(rho0, grid, energy, tau, *, backend, **options):
        calls.update(rho0=rho0, grid=grid, energy=energy, tau=tau, backend=backend, **options)

        def step(rho_k, previous: StepOutcome | None) -> StepOutcome:
            k = 1 if previous is None else previous.state + 1
            rho = np.roll(rho_k, 1)
            if k == broken_at:
                rho = breakage(rho)
            return StepOutcome(
                rho=rho,
                potential=np.zeros_like(rho),
                cost=float(k),
                n_iter=10 + k,
                converged=k not in unconverged,
                state=k,
            )

        return step

    return make_step, calls


@pytest.fixture
def fake(monkeypatch):
    """Register a fake method ``"fake"`` (a function of its options) in ``METHODS``."""

    def register(**kwargs):
        make_step, calls = fake_method(**kwargs)
        monkeypatch.setitem(jko_solver.METHODS, "fake", make_step)
        return calls

    return register


def run(n_steps=7, tau=0.1, **kwargs):
    kwargs.setdefault("method", "fake")
    kwargs.setdefault("backend", "numpy")
    return jko(RHO0, GRID, ENERGY, tau, n_steps, **kwargs)


@pytest.mark.parametrize(
    "n_steps, every, kept",
    [(7, 1, list(range(8))), (7, 3, [0, 3, 6, 7]), (6, 3, [0, 3, 6]), (4, 10, [0, 4])],
)
def test_snapshot_bookkeeping(fake, n_steps, every, kept):
    fake()
    tau = 0.125
    seen = []
    sol = run(n_steps, tau, every=every, callback=lambda t, rho: seen.append((t, rho.copy())))
    assert isinstance(sol, JKOSolution)
    np.testing.assert_array_equal(sol.t, tau * np.array(kept, dtype=float))
    assert sol.rho.shape == (len(kept), *GRID.shape)
    for i, k in enumerate(kept):
        np.testing.assert_array_equal(sol.rho[i], np.roll(RHO0, k))
    np.testing.assert_allclose(sol.mass, GRID.integrate(RHO0), rtol=1e-14)
    expected_energy = [ENERGY.value(np.roll(RHO0, k), GRID) for k in kept]
    np.testing.assert_allclose(sol.diagnostics["energy"], expected_energy, rtol=1e-14)
    assert sol.n_steps == n_steps and sol.tau == tau
    assert [t for t, _ in seen] == pytest.approx(tau * np.arange(1, n_steps + 1), rel=1e-15)
    np.testing.assert_array_equal(seen[-1][1], sol.rho[-1])
    assert sol.status == 0 and sol.succeeded and sol.converged
    assert sol.message == f"{n_steps} JKO steps, every step converged"
    assert sol.parameters == {"method": "fake", "tau": tau, "every": every}


def test_per_step_diagnostics(fake):
    calls = fake()
    sol = run(5, tol=1e-6, max_iter=30, extra=3.5)
    assert set(sol.steps) == {
        "energy",
        "cost",
        "n_iter",
        "converged",
        "residual",
        "transport_residual",
        "wall_time",
    }
    for series in sol.steps.values():
        assert series.shape == (5,)
    np.testing.assert_array_equal(sol.steps["cost"], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(sol.steps["n_iter"], [11, 12, 13, 14, 15])
    np.testing.assert_array_equal(sol.steps["converged"], 1)
    np.testing.assert_allclose(sol.steps["energy"], sol.diagnostics["energy"][1:], rtol=1e-15)
    assert np.all(sol.steps["wall_time"] >= 0)
    # a zero potential against a varying tau dE/drho: relative residual exactly 1
    np.testing.assert_allclose(sol.steps["residual"], 1.0, rtol=1e-12)
    # the options reach the method, and the parameters record them
    assert calls["tol"] == 1e-6 and calls["max_iter"] == 30 and calls["extra"] == 3.5
    assert calls["tau"] == 0.1 and calls["grid"] is GRID and calls["energy"] is ENERGY
    assert calls["backend"].name == "numpy"
    np.testing.assert_array_equal(calls["rho0"], RHO0)
    assert sol.parameters["tol"] == 1e-6 and sol.parameters["extra"] == 3.5


def test_unconverged_steps_warn_and_set_the_status(fake):
    fake(unconverged={2, 4})
    with pytest.warns(ConvergenceWarning, match="2 of 5 JKO steps did not reach tol"):
        sol = run(5)
    assert sol.status == 1 and not sol.succeeded and not sol.converged
    assert sol.message == "2 of 5 JKO steps did not reach tol within max_iter inner iterations"
    np.testing.assert_array_equal(sol.steps["converged"], [1, 0, 1, 0, 1])
    assert sol.t.size == 6  # the run went on to the end


def test_converged_run_does_not_warn(fake):
    fake()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(3)


@pytest.mark.parametrize(
    "breakage, match",
    [
        (lambda rho: rho - 2.5, "negative values"),
        (lambda rho: np.where(np.arange(rho.size) == 3, np.nan, rho), "non-finite"),
        (lambda rho: 0.5 * rho, "changed the mass"),
        (lambda rho: rho * (1 + 1e-9), "changed the mass"),
    ],
)
def test_broken_step_raises_with_the_partial_solution(fake, breakage, match):
    fake(broken_at=3, breakage=breakage)
    with pytest.raises(UnstableSolutionError, match=f"JKO step 3 \\(fake\\) .*{match}") as info:
        run(7, every=2)
    sol = info.value.solution
    assert isinstance(sol, JKOSolution)
    assert sol.status == -1 and sol.n_steps == 2
    assert sol.message == str(info.value)
    np.testing.assert_array_equal(sol.t, 0.1 * np.array([0.0, 2.0, 3.0]))
    np.testing.assert_array_equal(sol.rho[-1], breakage(np.roll(RHO0, 3)))  # the invalid state
    np.testing.assert_array_equal(sol.rho[1], np.roll(RHO0, 2))
    assert math.isnan(sol.diagnostics["energy"][-1])
    for series in sol.steps.values():
        assert series.shape == (2,)


def test_round_off_mass_changes_are_accepted(fake):
    fake(broken_at=2, breakage=lambda rho: rho * (1 + 1e-13))
    assert run(3).status == 0


def test_float32_densities_get_a_float32_mass_tolerance(fake):
    """The mass check allows the round-off of the working dtype (the fake step keeps float32)."""
    fake(broken_at=2, breakage=lambda rho: rho * np.float32(1 + 2**-20))
    sol = jko(RHO0.astype(np.float32), GRID, ENERGY, 0.1, 3, method="fake", backend="numpy")
    assert sol.status == 0


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"tau": 0.0}, ValueError, "tau must be > 0"),
        ({"tau": -0.1}, ValueError, "tau must be > 0"),
        ({"tau": math.nan}, ValueError, "tau must be finite"),
        ({"n_steps": 0}, ValueError, "n_steps must be an integer >= 1"),
        ({"n_steps": 2.0}, TypeError, "n_steps must be an integer"),
        ({"every": 0}, ValueError, "every must be an integer >= 1"),
        ({"method": "newton"}, ValueError, "method must be one of .*'fake', got 'newton'"),
        ({"rho0": np.zeros(16)}, ValueError, "rho0 must have positive mass"),
        ({"rho0": -RHO0}, ValueError, "rho0 has negative values"),
        ({"rho0": np.ones(15)}, ValueError, "rho0"),
        ({"grid": (16,)}, TypeError, "grid must be an eulerflow.Grid"),
        ({"energy": lambda rho: 0.0}, TypeError, "energy must be an eulerflow.energies.Energy"),
        ({"tol": 0.0}, ValueError, "tol must be > 0"),
        ({"max_iter": 0}, ValueError, "max_iter must be an integer >= 1"),
        ({"callback": "print"}, TypeError, "callback must be a callable"),
    ],
)
def test_bad_input_names_the_argument(fake, change, error, match):
    calls = fake()
    args = {"rho0": RHO0, "grid": GRID, "energy": ENERGY, "tau": 0.1, "n_steps": 3}
    args.update({"method": "fake", "backend": "numpy", **change})
    with pytest.raises(error, match=match):
        jko(**args)
    assert not calls  # rejected before the method was set up


def test_save_load_round_trip(fake, tmp_path):
    fake(unconverged={3})
    with pytest.warns(ConvergenceWarning):
        sol = run(5, every=2, tol=1e-5)
    loaded = ef.load(sol.save(tmp_path / "jko.nc"))
    assert type(loaded) is JKOSolution
    assert loaded.parameters == sol.parameters and loaded.tau == sol.tau
    assert (loaded.status, loaded.message, loaded.n_steps) == (1, sol.message, 5)
    np.testing.assert_array_equal(loaded.t, sol.t)
    np.testing.assert_array_equal(loaded.rho, sol.rho)
    assert set(loaded.steps) == set(sol.steps)
    for name, series in sol.steps.items():
        np.testing.assert_array_equal(loaded.steps[name], series)
    for name, series in sol.diagnostics.items():
        np.testing.assert_array_equal(loaded.diagnostics[name], series)
    assert not loaded.converged
    assert "JKOSolution(method='fake'" in repr(loaded)


def test_save_load_round_trip_of_a_failed_first_step(fake, tmp_path):
    """No step succeeded: empty per-step series survive the file too."""
    fake(broken_at=1, breakage=lambda rho: -rho)
    with pytest.raises(UnstableSolutionError) as info:
        run(3)
    loaded = ef.load(info.value.solution.save(tmp_path / "failed.nc"))
    assert loaded.n_steps == 0 and loaded.status == -1
    assert all(series.shape == (0,) for series in loaded.steps.values())
    np.testing.assert_array_equal(loaded.t, [0.0, 0.1])


def test_a_corrupted_file_fails_its_checksum(fake, tmp_path):
    import xarray as xr

    fake()
    path = run(3).save(tmp_path / "jko.nc")
    ds = xr.load_dataset(path, engine="h5netcdf")
    ds["step_cost"].values[1] = 99.0
    ds.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ef.ResultFileError, match="variable 'step_cost'"):
        ef.load(path)


def test_steps_must_have_one_value_per_step():
    with pytest.raises(ValueError, match=r"steps\['cost'\] has shape \(2,\)"):
        JKOSolution(
            grid=GRID, t=[0.0], values=RHO0[None], field="rho", equation="jko", n_steps=3,
            parameters={"tau": 0.1}, steps={"cost": [1.0, 2.0]},
        )  # fmt: skip


# -- the optimality residual ---------------------------------------------------------------------
def test_optimality_residual_vanishes_at_the_optimum_only():
    """Entropy + Potential in 1D: phi = C - tau f'(rho) satisfies the condition exactly."""
    grid = ef.Grid(64, (-3, 3))
    x = grid.centers[0]
    energy = Entropy(0.3) + Potential(lambda x: 0.5 * x**2)
    rho = np.exp(-((x - 0.4) ** 2)) / math.sqrt(math.pi)
    tau = 0.05
    drive = tau * (0.3 * (np.log(rho) + 1) + 0.5 * x**2)
    phi = 1.7 - drive
    # round-off only: about eps |phi| / spread(tau f') ~ 1e-14
    assert optimality_residual(rho, phi, energy, grid, tau, np) < 1e-12
    perturbed = phi + 0.01 * np.sin(x)
    assert optimality_residual(rho, perturbed, energy, grid, tau, np) > 0.1
    # the spread of g relative to the spread of the terms: a potential of the wrong sign gives 2
    assert optimality_residual(rho, drive, energy, grid, tau, np) == pytest.approx(2.0)
    # cells below support * max(rho) do not count
    masked = np.where(rho > 1e-8 * rho.max(), phi, 1e6)
    assert optimality_residual(rho, masked, energy, grid, tau, np) < 1e-12
    assert math.isnan(optimality_residual(np.zeros(64), phi, energy, grid, tau, np))
