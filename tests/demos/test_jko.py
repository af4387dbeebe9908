"""The JKO part of the demo, called directly on a small grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eulerflow.demos import jko_demo
from eulerflow.jko_scheme import JKOSolution
from eulerflow.results import load


def test_jko_part_numbers_files_and_figure(
    tmp_path: Path, saved_figures, assert_labelled_and_apart, colour_limits
) -> None:
    result = jko_demo(tmp_path, n=32, backend="numba", animation=False)
    assert set(result) == {"title", "report", "numbers", "files"}
    assert set(result["files"]) == {"figure", "solution"}
    assert all(Path(p).is_file() for p in result["files"].values())
    numbers = result["numbers"]
    assert numbers["mass_error"] < 1e-12
    # 32 x 32 cells, tau = 0.05: L1 0.015 from the exact solution at t = 1 (6.4e-3 at 128 x 128),
    # at most 0.052 over the steps (the O(tau) error peaks while the profile moves fastest);
    # the initial profile is at L1 0.75 from the exact one at t = 1.
    assert numbers["l1_final"] < 0.03
    assert numbers["l1_max"] < 0.08
    # the energy falls at every step
    assert numbers["energy_increase"] < 0
    assert len(numbers["n_iter"]) == 20 and min(numbers["n_iter"]) >= 1
    sol = load(result["files"]["solution"])
    assert isinstance(sol, JKOSolution)
    assert sol.t[-1] == pytest.approx(1.0) and sol.n_steps == 20
    assert np.array_equal(sol.steps["n_iter"], numbers["n_iter"])

    (figure,) = saved_figures
    assert_labelled_and_apart(figure)
    # the JKO snapshots and the exact density are compared: one colour scale for all of them
    limits = {colour_limits(figure, title) for title in ("JKO, t = 0", "JKO, t = 1", "exact")}
    assert len(limits) == 1
    (energy_panel,) = [ax for ax in figure.axes if ax.get_title() == "energy"]
    assert energy_panel.get_xlabel().startswith("t")
    times = energy_panel.lines[0].get_xdata()
    assert times[0] == 0 and times[-1] == pytest.approx(1.0)  # times k tau, not step numbers
