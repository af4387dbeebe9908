import numpy as np
import pytest

from eulerflow.equations.marching import march, snapshot_times
from eulerflow.exceptions import UnstableSolutionError


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
