"""Tests for eulerflow.results.base: the shared result base, checksummed files, load errors."""

from __future__ import annotations

import dataclasses
import json

import h5py
import numpy as np
import pytest

import eulerflow as ef
from eulerflow.particles import ParticleSolution
from eulerflow.results import Result, ResultFileError, Solution, load

GRID = ef.Grid((6, 5), ((0, 1), (0, 1)))


def _solution() -> Solution:
    rng = np.random.default_rng(3)
    values = rng.random((3, *GRID.shape))
    return Solution(
        t=[0.0, 0.5, 1.0],
        values=values,
        grid=GRID,
        field="rho",
        equation="test",
        parameters={"stepper": "ssprk3"},
        backend="numpy",
        diagnostics={"mass": GRID.integrate(values), "dt_min": 0.01},
        n_steps=7,
        wall_time=0.5,
    )


def _ot_result() -> ef.OTResult:
    grid = ef.Grid(24, (0, 1))
    x = grid.axis_centers(0)
    rho0 = grid.normalize(np.exp(-(((x - 0.3) / 0.1) ** 2)) + 0.1)
    rho1 = grid.normalize(np.exp(-(((x - 0.6) / 0.1) ** 2)) + 0.1)
    return ef.benamou_brenier(rho0, rho1, grid, n_time=6, tol=1e-4, backend="numpy")


def _particles() -> ParticleSolution:
    x0 = np.random.default_rng(1).random((50, 2))
    return ef.particles.euler_maruyama(x0, GRID, None, 0.1, dt=0.05, rng=2)


RESULTS = {"Solution": _solution, "OTResult": _ot_result, "ParticleSolution": _particles}


@pytest.mark.parametrize("kind", sorted(RESULTS))
def test_every_result_shares_the_base_and_round_trips(kind, tmp_path):
    result = RESULTS[kind]()
    assert isinstance(result, Result) and type(result).__name__ == kind
    for name in ("grid", "parameters", "backend", "status", "message", "wall_time", "diagnostics"):
        assert hasattr(result, name), name
    assert result.status == 0 and result.succeeded and result.wall_time >= 0
    path = result.save(tmp_path / "r.nc")
    back = load(path)
    assert type(back) is type(result)
    for f in dataclasses.fields(result):
        a, b = getattr(result, f.name), getattr(back, f.name)
        if isinstance(a, dict):
            assert a.keys() == b.keys(), f.name
            for key in a:
                np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), f.name)
        elif isinstance(a, tuple):
            for u, v in zip(a, b, strict=True):
                np.testing.assert_array_equal(u, v)
        else:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), f.name)
    assert np.asarray(result.mass).shape == np.asarray(back.mass).shape  # mass: one per snapshot
    assert np.ndim(result.mass) == 1


def _flip_bytes(path, count: int, seed: int) -> None:
    """Overwrite ``count`` bytes of the stored data of the largest variable (not the header)."""
    with h5py.File(path, "r") as f:
        name = max((k for k in f if isinstance(f[k], h5py.Dataset)), key=lambda k: f[k].size)
        offset = f[name].id.get_offset()
        size = f[name].id.get_storage_size()
    rng = np.random.default_rng(seed)
    positions = offset + rng.choice(size, size=min(count, size), replace=False)
    with open(path, "r+b") as f:
        for pos in positions:
            f.seek(int(pos))
            byte = f.read(1)
            f.seek(int(pos))
            f.write(bytes([byte[0] ^ 0xFF]))


def test_corrupted_file_is_detected(tmp_path):
    """Defect 4 of issue 10: 100 flipped bytes used to load silently with rho.min() = -3425."""
    path = _solution().save(tmp_path / "sol.nc")
    _flip_bytes(path, 100, seed=0)
    with pytest.raises(ResultFileError, match="sol.nc.*corrupted.*'rho'"):
        load(path)


def test_edited_attributes_are_detected(tmp_path):
    path = _solution().save(tmp_path / "sol.nc")
    with h5py.File(path, "r+") as f:
        f.attrs["backend"] = "numba"
    with pytest.raises(ResultFileError, match="its attributes"):
        load(path)


def test_truncated_and_foreign_files_raise_value_errors_naming_the_file(tmp_path):
    path = _solution().save(tmp_path / "sol.nc")
    data = path.read_bytes()
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.nc.*not a readable netCDF4/HDF5"):
        load(truncated)
    text = tmp_path / "notes.nc"
    text.write_text("not a netCDF file")
    with pytest.raises(ResultFileError, match="notes.nc"):
        load(text)
    with pytest.raises(FileNotFoundError, match="missing.nc"):
        load(tmp_path / "missing.nc")


def test_file_without_checksums_is_refused(tmp_path):
    ds = _solution().to_xarray()
    ds.to_netcdf(tmp_path / "plain.nc", engine="h5netcdf")
    with pytest.raises(ResultFileError, match="no checksums"):
        load(tmp_path / "plain.nc")


def test_checksums_cover_every_variable(tmp_path):
    path = _ot_result().save(tmp_path / "ot.nc")
    with h5py.File(path, "r") as f:
        sums = json.loads(f.attrs["eulerflow_checksums"])
        names = {k for k in f if isinstance(f[k], h5py.Dataset)}
    assert names <= sums.keys()


def test_parameters_must_be_json():
    with pytest.raises(TypeError, match="parameters must be JSON-serialisable"):
        dataclasses.replace(_solution(), parameters={"f": print})
