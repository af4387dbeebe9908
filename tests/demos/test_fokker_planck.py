"""The Fokker-Planck part of the demo, called directly on a small grid."""

from __future__ import annotations

from pathlib import Path

import pytest

from eulerflow.demos import fokker_planck_demo
from eulerflow.results import load


def test_fokker_planck_part_returns_numbers_and_files(tmp_path: Path) -> None:
    result = fokker_planck_demo(tmp_path, n=32, backend="numba", animation=False)
    assert set(result) == {"title", "report", "numbers", "files"}
    assert set(result["files"]) == {"figure", "solution"}
    assert all(Path(p).is_file() for p in result["files"].values())
    numbers = result["numbers"]
    assert numbers["mass_error"] < 1e-12
    # At n = 32 the grid solution is at L1 0.05 from the exact law (second order: 3.3e-3 at 128);
    # the unmoved initial density is at L1 1.9.
    assert numbers["l1_fokker_planck"] < 0.1
    # 20 000 particles: the histogram error is sampling error, within 20% of its expectation
    assert abs(numbers["l1_particles"] - numbers["l1_sampling"]) < 0.2 * numbers["l1_sampling"]
    # porous medium on 16 x 16 cells against Barenblatt; the energy falls at every step
    assert numbers["l1_barenblatt"] < 0.05
    assert numbers["energy_increase"] < 0
    sol = load(result["files"]["solution"])
    assert sol.equation == "fokker-planck"


def test_fokker_planck_figure_energy_against_time(
    tmp_path: Path, saved_figures, assert_labelled_and_apart, colour_limits
) -> None:
    fokker_planck_demo(tmp_path, n=16, backend="numba", animation=False)
    (figure,) = saved_figures
    assert_labelled_and_apart(figure)
    (energy_panel,) = [ax for ax in figure.axes if ax.get_title().startswith("discrete energy")]
    assert energy_panel.get_xlabel().startswith("t")
    times = energy_panel.lines[0].get_xdata()
    assert times[0] == 0 and times[-1] == pytest.approx(0.1)  # the run's times, not step numbers
    fp = colour_limits(figure, "Fokker-Planck")
    assert fp == colour_limits(figure, "exact OU law") == colour_limits(figure, "Euler-Maruyama")
