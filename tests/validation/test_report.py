"""ValidationReport: table, pandas, xarray, JSON / netCDF round trips, figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.problems import get


@pytest.fixture(scope="module")
def report() -> ef.ValidationReport:
    problem = get("heat", resolution=32, bins=8)
    wrong = get("heat", resolution=32, bins=8, diffusion=1.5)
    samples = {t: wrong.exact_samples(t, 2000, rng=k) for k, t in enumerate(problem.times)}
    return ef.validate(problem, samples=samples, rng=0, n_floor=5)


def test_table_has_every_row_and_a_verdict(report: ef.ValidationReport) -> None:
    text = str(report)
    lines = text.splitlines()
    assert lines[1].split() == [
        "t", "metric", "value", "floor", "+-", "std", "n", "outside", "method", "verdict"
    ]  # fmt: skip
    assert len(report.rows) == 3 * len(report.metrics)
    body = lines[3 : 3 + len(report.rows)]
    for row, line in zip(report.rows, body, strict=True):
        assert row.metric in line and f"{row.value:.4g}" in line
        assert ("ABOVE FLOOR" in line) == bool(row.above_floor)
    assert report.row(1.0, "cov_error").above_floor  # diffusion 1.5 instead of 1


def test_dataframe_and_xarray(report: ef.ValidationReport) -> None:
    frame = report.to_dataframe()
    assert len(frame) == len(report.rows)
    assert {"t", "metric", "value", "floor", "floor_std", "n_outside", "above_floor"} <= set(
        frame.columns
    )
    ds = report.to_xarray()
    assert ds["value"].dims == ("time", "metric")
    assert list(ds["metric"].values) == list(report.metrics)
    row = report.row(0.5, "w2")
    assert float(ds["value"].sel(time=0.5, metric="w2")) == row.value
    assert float(ds["floor_std"].sel(time=0.5, metric="w2")) == row.floor_std
    assert ds["reference"].dims == ("time", "x", "y")


@pytest.mark.parametrize("suffix", [".json", ".nc"])
def test_save_and_load_round_trip(report: ef.ValidationReport, tmp_path: Path, suffix: str) -> None:
    path = report.save(tmp_path / f"report{suffix}")
    back = ef.ValidationReport.load(path)
    assert back.rows == report.rows
    assert back.times == report.times
    assert back.grid == report.grid and back.bins == report.bins
    assert dict(back.parameters) == dict(report.parameters)
    assert dict(back.settings) == dict(report.settings)
    assert back.notes == report.notes
    np.testing.assert_array_equal(back.reference, report.reference)
    np.testing.assert_array_equal(back.output, report.output)


def test_load_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not an eulerflow validation report"):
        ef.ValidationReport.load(path)
    path.with_suffix(".txt").write_text("")
    with pytest.raises(ValueError, match=r"\.json or \.nc"):
        ef.ValidationReport.load(path.with_suffix(".txt"))


def test_figure(
    report: ef.ValidationReport,
    tmp_path: Path,
    saved_figures,
    assert_labelled_and_apart,
    colour_limits,
) -> None:
    path = tmp_path / "report.png"
    report.plot(path)
    assert path.stat().st_size > 10_000
    (figure,) = saved_figures
    assert_labelled_and_apart(figure)
    for t in report.times:
        reference = colour_limits(figure, f"reference, t = {t:g}")
        assert colour_limits(figure, f"histogram, t = {t:g}") == reference
        low, high = colour_limits(figure, f"difference, t = {t:g}")
        assert low == -high
    (panel,) = [ax for ax in figure.axes if ax.get_title() == "metrics vs time"]
    assert panel.get_yscale() == "log"
    assert len(panel.collections) == 3  # the floor bands of binned_l1, binned_kl, w2
