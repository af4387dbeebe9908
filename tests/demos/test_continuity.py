"""The continuity part of the demo, called directly on a small grid."""

from __future__ import annotations

from pathlib import Path

from eulerflow.demos import continuity_demo


def test_demo_part_returns_numbers_and_files(tmp_path: Path) -> None:
    result = continuity_demo(tmp_path, n=16, backend="numpy", animation=False)
    assert set(result) == {"title", "report", "numbers", "files"}
    assert set(result["files"]) == {"figure", "solution"}
    assert all(Path(p).is_file() for p in result["files"].values())
    numbers = result["numbers"]
    assert numbers["mass_error"] < 1e-12
    assert 0 < numbers["l1_error"] < numbers["l1_exact"]


def test_continuity_figure_labelled(
    tmp_path: Path, saved_figures, assert_labelled_and_apart, colour_limits
) -> None:
    continuity_demo(tmp_path, n=16, backend="numpy", animation=False)
    (figure,) = saved_figures
    assert_labelled_and_apart(figure)
    assert colour_limits(figure, "numerical") == colour_limits(figure, "exact push-forward")
