import numpy as np
import pytest

import eulerflow as ef
from eulerflow.exceptions import UnstableSolutionError
from eulerflow.marching import march, snapshot_times, solve_in_time


def test_snapshot_times_default_and_validation():
    np.testing.assert_array_equal(snapshot_times(2.0, None), [0.0, 2.0])
    np.testing.assert_array_equal(snapshot_times(2.0, [0.5, 2.0]), [0.5, 2.0])
    for bad in ([], [-1.0], [3.0], [1.0, 1.0]):
        with pytest.raises(ValueError):
            snapshot_times(2.0, bad)


def test_march_lands_on_snapshots_and_integrates_exactly():
    """Forward Euler on u' = 1 is exact: the snapshots are the times themselves."""
    times = np.array([0.0, 0.3, 1.0])
    record = march(
        0.0,
        times,
        max_step=lambda t, u: 0.07,
        advance=lambda u, t, dt: u + dt,
        snapshot=lambda u: u,
        check=lambda u: None,
        progress=False,
    )
    np.testing.assert_allclose(record.snapshots, times, atol=1e-14)
    assert record.n_steps == 5 + 10  # 0.3 / 0.07 -> 5 steps, 0.7 / 0.07 -> 10 steps
    assert record.dt_max == 0.07 and record.dt_min < 0.07


def test_march_reports_invalid_state():
    with pytest.raises(UnstableSolutionError, match="at t=1: bad"):
        march(
            1.0,
            np.array([1.0]),
            lambda t, u: 0.5,
            lambda u, t, dt: u,
            lambda u: u,
            lambda u: "bad",
            progress=False,
        )
    with pytest.raises(UnstableSolutionError, match="collapsed"):
        march(
            1.0,
            np.array([1.0]),
            lambda t, u: 0.0,
            lambda u, t, dt: u,
            lambda u: u,
            lambda u: None,
            progress=False,
        )


def _count_steps(times, step):
    taken = []
    record = march(
        0.0,
        np.asarray(times, dtype=float),
        max_step=lambda t, u: step,
        advance=lambda u, t, dt: taken.append((t, dt)) or u,
        snapshot=lambda u: u,
        check=lambda u: None,
        progress=False,
    )
    return record, taken


def test_many_equal_steps_do_not_end_with_a_spurious_tiny_step():
    """100000 steps of 1e-5 to [0.3, 0.7, 1]: a plain running sum of t drifts by ~1e-12 and
    used to end each interval with an extra step of ~1e-12 (n_steps 100001, dt_min 1.4e-12)."""
    record, taken = _count_steps([0.0, 0.3, 0.7, 1.0], 1e-5)
    assert record.n_steps == 100_000
    assert record.dt_max == 1e-5 and record.dt_min >= 1e-5 * (1 - 1e-9)
    t = np.array([s[0] for s in taken])
    k = np.arange(t.size)
    assert np.max(np.abs(t - k * 1e-5)) <= 4 * np.spacing(1.0)  # no drift either


def test_a_real_remainder_is_a_step_and_round_off_is_not():
    """Ten steps just short of 1/10 leave a remainder of 1e-6 dt: a real (11th) step; a
    remainder of 1e-11 dt is round-off and the tenth step lands on t = 1. No step exceeds
    max_step."""
    for shortfall, steps in ((1e-6, 11), (1e-11, 10)):
        step = 0.1 * (1 - shortfall)
        record, taken = _count_steps([0.0, 1.0], step)
        assert record.n_steps == steps, shortfall
        assert max(dt for _, dt in taken) <= step


class _Blowup:
    """u' = u with forward Euler, and NaN after t = 0.5 (an unstable setting)."""

    def max_step(self, t, u):
        return 0.1

    def advance(self, u, t, dt):
        u += dt * u
        if t >= 0.5:
            u[0] = np.nan
        return u

    def summary(self):
        return {"rejected_steps": 0}


def _run(integrator, times, **options):
    grid = ef.Grid(4, (0, 1))
    return solve_in_time(
        np.ones(4),
        np.asarray(times),
        integrator,
        grid=grid,
        like=np.ones(4),
        field="rho",
        equation="toy",
        parameters={},
        backend="numpy",
        check=lambda u: None if np.all(np.isfinite(u)) else "non-finite",
        record=lambda u: {"max": float(np.max(u))},
        progress=False,
        callback=None,
        max_steps=options.get("max_steps"),
    )


def test_unstable_state_raises_with_the_partial_solution():
    """The error carries the run so far (status -1), the invalid state as its last snapshot."""
    with pytest.raises(UnstableSolutionError, match="at t=1: non-finite") as info:
        _run(_Blowup(), [0.0, 0.4, 1.0])
    partial = info.value.solution
    assert partial.status == -1 and "non-finite" in partial.message
    np.testing.assert_allclose(partial.t, [0.0, 0.4, 1.0])
    np.testing.assert_allclose(partial.rho[1], 1.1**4)
    assert np.isnan(partial.rho[-1, 0]) and partial.diagnostics["rejected_steps"] == 0


def test_callback_sees_every_step_and_budget_stops_march():
    seen = []
    record = march(
        0.0,
        np.array([0.0, 1.0]),
        max_step=lambda t, u: 0.001,
        advance=lambda u, t, dt: u + dt,
        snapshot=lambda u: u,
        check=lambda u: None,
        progress=False,
        max_steps=2000,
        callback=lambda t, u: seen.append(t),
    )
    assert len(seen) == record.n_steps == 1000 and not record.stopped
    with pytest.raises(ValueError, match=r"about 1e\+03 time steps"):
        march(
            0.0,
            np.array([1.0]),
            lambda t, u: 0.001,
            lambda u, t, dt: u,
            lambda u: u,
            lambda u: None,
            progress=False,
            max_steps=10,
        )
