"""The optimal-transport part of the demo, called directly on a small grid."""

from __future__ import annotations

from pathlib import Path

from eulerflow.demos import optimal_transport_demo
from eulerflow.results import load


def test_optimal_transport_part_returns_numbers_and_files(tmp_path: Path) -> None:
    result = optimal_transport_demo(tmp_path, n=32, backend="numba", animation=False)
    assert set(result) == {"title", "report", "numbers", "files"}
    assert set(result["files"]) == {"figure", "solution"}
    assert all(Path(p).is_file() for p in result["files"].values())
    numbers = result["numbers"]
    assert numbers["converged"]
    # 16 x 16 cells: W2^2 within 1e-3 of the exact value of these product densities (measured
    # 7.4e-4; 1.6e-4 on 64 x 64); the geodesic at t = 1/2 within L1 0.1 of the exact one (measured
    # 0.096 on 16 x 16 and 0.026 on 64 x 64); the endpoints are at L1 1.85 from each other.
    assert numbers["relative_error"] < 1e-3
    assert numbers["l1_midpoint"] < 0.1
    assert numbers["continuity_residual"] < 1e-10
    res = load(result["files"]["solution"])
    assert res.w2_squared == numbers["w2_squared"]


def test_optimal_transport_figure_shares_one_colour_scale(
    tmp_path: Path, saved_figures, assert_labelled_and_apart, colour_limits
) -> None:
    optimal_transport_demo(tmp_path, n=16, backend="numba", animation=False)
    (figure,) = saved_figures
    assert_labelled_and_apart(figure)
    # the computed and the exact t = 1/2 densities are compared: same colours for the same values
    limits = {colour_limits(figure, title) for title in ("geodesic, t = 0.5", "exact geodesic")}
    assert len(limits) == 1
    assert colour_limits(figure, "geodesic, t = 0") in limits
