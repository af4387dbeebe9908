"""Reading a method's outputs from files (eulerflow.validation.outputs.read_outputs)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from eulerflow.validation import read_outputs

DATA = Path(str(resources.files("eulerflow.problems") / "data"))  # the shipped neural outputs


def test_npz_numbered_samples(tmp_path: Path) -> None:
    path = tmp_path / "run.npz"
    a, b = np.zeros((3, 2)), np.ones((5, 2))
    np.savez(path, times=[0.5, 1.0], samples_1=b, samples_0=a)
    kind, data = read_outputs(path)
    assert kind == "samples"
    assert list(data) == [0.5, 1.0]
    np.testing.assert_array_equal(data[0.5], a)
    np.testing.assert_array_equal(data[1.0], b)


def test_npz_of_the_shipped_neural_dataset() -> None:
    """The layout of the neural datasets: times and particles_t1, particles_t2 (other arrays
    ignored)."""
    kind, data = read_outputs(DATA / "jko_iflow_ou_rose.npz")
    assert kind == "samples"
    assert list(data) == [0.25, 0.6]
    assert all(x.shape == (20000, 2) for x in data.values())


@pytest.mark.parametrize("kind", ["samples", "density", "values"])
def test_npz_stacked(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "run.npz"
    stack = np.random.default_rng(0).random((2, 6, 4 if kind != "samples" else 2))
    np.savez(path, times=[0.25, 1.0], **{kind: stack})
    got, data = read_outputs(path)
    assert got == kind
    np.testing.assert_array_equal(data[1.0], stack[1])


def test_npz_without_times_needs_t(tmp_path: Path) -> None:
    path = tmp_path / "run.npz"
    np.savez(path, samples_0=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="stores no 'times'.*--t"):
        read_outputs(path)
    assert list(read_outputs(path, t=0.5).data) == [0.5]


def test_file_without_the_expected_arrays_lists_what_it_found(tmp_path: Path) -> None:
    path = tmp_path / "run.npz"
    np.savez(path, times=[1.0], positions=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\['positions', 'times'\].*expected 'times'"):
        read_outputs(path)


def test_times_and_arrays_must_match(tmp_path: Path) -> None:
    path = tmp_path / "run.npz"
    np.savez(path, times=[0.5, 1.0], samples_0=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="1 arrays of outputs but 2 times"):
        read_outputs(path)


def test_numbering_with_a_gap_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "run.npz"
    np.savez(path, times=[0.5, 1.0], samples_0=np.zeros((3, 2)), samples_2=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="not numbered consecutively"):
        read_outputs(path)


def test_npy_needs_t(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    x = np.random.default_rng(1).random((10, 2))
    np.save(path, x)
    with pytest.raises(ValueError, match="stores no times"):
        read_outputs(path)
    kind, data = read_outputs(path, t=0.5)
    assert kind == "samples"
    np.testing.assert_array_equal(data[0.5], x)


def test_netcdf_samples_and_density(tmp_path: Path) -> None:
    x = np.random.default_rng(2).random((2, 7, 2))
    path = tmp_path / "run.nc"
    xr.Dataset({"samples": (("time", "sample", "dim"), x)}, coords={"time": [0.5, 1.0]}).to_netcdf(
        path, engine="h5netcdf"
    )
    kind, data = read_outputs(path)
    assert kind == "samples"
    np.testing.assert_array_equal(data[1.0], x[1])

    rho = np.random.default_rng(3).random((1, 4, 4))
    path = tmp_path / "density.nc"
    xr.Dataset({"density": (("time", "x", "y"), rho)}, coords={"time": [0.25]}).to_netcdf(
        path, engine="h5netcdf"
    )
    kind, data = read_outputs(path)
    assert kind == "density"
    np.testing.assert_array_equal(data[0.25], rho[0])


def test_netcdf_without_outputs(tmp_path: Path) -> None:
    path = tmp_path / "run.nc"
    xr.Dataset({"rho": (("time", "x"), np.zeros((1, 3)))}, coords={"time": [1.0]}).to_netcdf(
        path, engine="h5netcdf"
    )
    with pytest.raises(ValueError, match=r"variables \['rho'\]"):
        read_outputs(path)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    path.write_text("1,2\n")
    with pytest.raises(ValueError, match="unknown file type '.csv'"):
        read_outputs(path)
    with pytest.raises(FileNotFoundError):
        read_outputs(tmp_path / "absent.npz")
