"""The Hamilton-Jacobi part of the demo, called directly on a small grid."""

from __future__ import annotations

from pathlib import Path

import pytest

from eulerflow.demos import hamilton_jacobi_demo
from eulerflow.results import load


def test_hamilton_jacobi_part_returns_numbers_and_files(tmp_path: Path) -> None:
    result = hamilton_jacobi_demo(tmp_path, n=16, backend="numpy", animation=False)
    assert set(result) == {"title", "report", "numbers", "files"}
    assert set(result["files"]) == {"figure", "solution"}
    assert all(Path(p).is_file() for p in result["files"].values())
    numbers = result["numbers"]
    assert numbers["t_star"] == pytest.approx(0.4146, abs=1e-3)
    assert numbers["n_steps"] > 0
    # even on 16 x 16 cells the solution is far closer to Hopf-Lax than to phi0
    assert 0 < numbers["l1_error"] < 0.05 * numbers["l1_change"]
    assert 0 < numbers["linf_error"] < 0.2 * numbers["linf_change"]
    sol = load(result["files"]["solution"])
    assert sol.equation == "hamilton-jacobi"
    assert sol.parameters["scheme"] == "weno5"


def test_hamilton_jacobi_figure_titles_clear_of_colorbars(
    tmp_path: Path, saved_figures, assert_labelled_and_apart, colour_limits
) -> None:
    hamilton_jacobi_demo(tmp_path, n=16, backend="numpy", animation=False)
    (figure,) = saved_figures
    assert_labelled_and_apart(figure)
    assert colour_limits(figure, "numerical") == colour_limits(figure, "Hopf-Lax")
