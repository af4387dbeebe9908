"""Tests for eulerflow.results.solution: the Solution result object, its file I/O and plotting."""

from __future__ import annotations

import copy
import pickle

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure
from PIL import Image

from eulerflow.grid import Grid
from eulerflow.results import Solution, load

matplotlib.use("Agg")  # headless: no windows, no display needed

GRIDS = {
    1: Grid(shape=7, bounds=(-1.0, 2.0), periodic=True),
    2: Grid(shape=(5, 4), bounds=((0.0, 1.0), (-2.0, 0.5)), periodic=(True, False)),
    3: Grid(shape=(4, 3, 5), bounds=((0, 1), (0, 2), (-1, 1))),
}


def make_solution(ndim: int = 2, n_snap: int = 3, field: str = "rho", **overrides) -> Solution:
    grid = GRIDS[ndim]
    rng = np.random.default_rng(ndim)
    values = rng.random((n_snap, *grid.shape))
    kwargs = dict(
        t=np.linspace(0.0, 0.7, n_snap),
        values=values,
        grid=grid,
        field=field,
        equation="continuity",
        parameters={"scheme": "muscl", "limiter": "van_leer", "cfl": 0.4, "stages": [1, 2, 3]},
        backend="numpy",
        diagnostics={"mass": grid.integrate(values), "steps": np.arange(n_snap)},
        n_steps=42,
        wall_time=0.125,
        status=0,
        message="reached t_final",
    )
    kwargs.update(overrides)
    return Solution(**kwargs)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# -- construction ---------------------------------------------------------------------------------
def test_construction_stores_numpy_times_and_diagnostics():
    sol = make_solution(t=[0, 1, 2], diagnostics={"mass": [1.0, 1.0, 1.0]})
    assert isinstance(sol.t, np.ndarray) and sol.t.dtype == np.float64
    np.testing.assert_array_equal(sol.t, [0.0, 1.0, 2.0])
    assert isinstance(sol.diagnostics["mass"], np.ndarray)


def test_values_kept_as_given():
    values = np.zeros((3, *GRIDS[2].shape), dtype=np.float32)
    sol = make_solution(values=values)
    assert sol.values is values


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"values": np.zeros((3, 5, 5))}, "values has shape"),
        ({"values": np.zeros((2, 5, 4))}, "values has shape"),
        ({"t": np.zeros((3, 1))}, "1D array"),
        ({"t": []}, "non-empty"),
        ({"diagnostics": {"mass": np.ones(2)}}, r"diagnostics\['mass'\]"),
        ({"diagnostics": {"mass": np.ones((3, 2))}}, r"diagnostics\['mass'\]"),
        ({"diagnostics": {"x": np.ones(3)}}, "coordinate names"),
        ({"diagnostics": {"rho": np.ones(3)}}, "must differ"),
        ({"field": "t"}, "coordinate names"),
    ],
)
def test_construction_validation(overrides, match):
    with pytest.raises(ValueError, match=match):
        make_solution(**overrides)


def test_grid_must_be_a_grid():
    with pytest.raises(TypeError, match="Grid"):
        make_solution(grid=(5, 4))


def test_frozen():
    sol = make_solution()
    with pytest.raises(AttributeError):
        sol.n_steps = 3


# -- attribute access -----------------------------------------------------------------------------
def test_field_attribute_access():
    rho_sol = make_solution(field="rho")
    phi_sol = make_solution(field="phi")
    assert rho_sol.rho is rho_sol.values
    assert phi_sol.phi is phi_sol.values
    with pytest.raises(AttributeError, match="'phi'"):
        _ = rho_sol.phi
    with pytest.raises(AttributeError, match="'rho'"):
        _ = phi_sol.rho
    with pytest.raises(AttributeError, match="no attribute 'velocity'"):
        _ = rho_sol.velocity
    assert "rho" in dir(rho_sol)


def test_mass_property():
    sol = make_solution()
    assert sol.mass is sol.diagnostics["mass"]
    no_mass = make_solution(diagnostics={})
    with pytest.raises(AttributeError, match="no 'mass' diagnostic"):
        _ = no_mass.mass
    assert not hasattr(no_mass, "mass")


def test_copy_and_pickle_do_not_recurse():
    sol = make_solution(field="phi")
    for other in (copy.copy(sol), copy.deepcopy(sol), pickle.loads(pickle.dumps(sol))):
        np.testing.assert_array_equal(other.phi, sol.phi)
        assert other.grid == sol.grid


def test_repr_is_short_and_has_no_arrays():
    sol = make_solution(values=np.full((3, 5, 4), 123.456))
    text = repr(sol)
    assert "123.456" not in text and "array" not in text and "\n" not in text
    for part in ("continuity", "'rho'", "Grid(shape=(5, 4)", "snapshots=3", "t=[0, 0.7]"):
        assert part in text
    assert "n_steps=42" in text and "backend='numpy'" in text and "0.125 s" in text


# -- xarray and files -----------------------------------------------------------------------------
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_to_xarray_dims_coords_and_attrs(ndim):
    sol = make_solution(ndim)
    ds = sol.to_xarray()
    grid = sol.grid
    assert ds["rho"].dims == ("t", *grid.axis_names)
    np.testing.assert_array_equal(ds["rho"].values, sol.values)
    np.testing.assert_array_equal(ds["t"].values, sol.t)
    for a, name in enumerate(grid.axis_names):
        np.testing.assert_array_equal(ds[name].values, grid.axis_centers(a))
    assert ds["mass"].dims == ("t",)
    np.testing.assert_array_equal(ds["mass"].values, sol.mass)
    assert ds.attrs["eulerflow_result"] == "Solution"
    assert ds.attrs["equation"] == "continuity" and ds.attrs["n_steps"] == 42


def test_to_xarray_parameters_json():
    sol = make_solution(parameters={"cfl": np.float64(0.5), "stages": np.int64(3)})
    assert sol.to_xarray().attrs["parameters"] == '{"cfl": 0.5, "stages": 3}'
    with pytest.raises(TypeError, match="parameters must be JSON-serialisable"):
        make_solution(parameters={"velocity": print})


@pytest.mark.parametrize("ndim, suffix", [(1, ".nc"), (2, ".h5"), (3, ".hdf5")])
def test_save_load_round_trip(tmp_path, ndim, suffix):
    sol = make_solution(ndim, field="phi", status=1, message="CFL violated at step 7")
    path = sol.save(tmp_path / f"sol{suffix}")
    assert path == tmp_path / f"sol{suffix}" and path.stat().st_size > 0
    back = load(str(path))
    assert isinstance(back, Solution)
    np.testing.assert_array_equal(back.t, sol.t)
    assert back.values.dtype == sol.values.dtype
    np.testing.assert_array_equal(back.phi, sol.phi)
    assert back.grid == sol.grid
    assert back.parameters == sol.parameters
    assert back.diagnostics.keys() == sol.diagnostics.keys()
    for name, series in sol.diagnostics.items():
        assert back.diagnostics[name].dtype == series.dtype
        np.testing.assert_array_equal(back.diagnostics[name], series)
    for name in ("field", "equation", "backend", "n_steps", "wall_time", "status", "message"):
        assert getattr(back, name) == getattr(sol, name)
        assert type(getattr(back, name)) is type(getattr(sol, name))


def test_round_trip_float32_and_empty_message(tmp_path):
    values = np.random.default_rng(0).random((2, *GRIDS[2].shape)).astype(np.float32)
    sol = make_solution(t=[0.0, 0.1], values=values, diagnostics={}, message="", parameters={})
    back = load(sol.save(tmp_path / "sol.nc"))
    assert back.values.dtype == np.float32
    np.testing.assert_array_equal(back.values, values)
    assert back.message == "" and back.parameters == {} and back.diagnostics == {}


def test_save_rejects_bad_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.nc, \.h5, \.hdf5"):
        make_solution().save(tmp_path / "sol.npz")
    assert not (tmp_path / "sol.npz").exists()


def test_load_rejects_foreign_netcdf(tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"a": ("x", np.arange(3.0))}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ValueError, match="not an eulerflow result"):
        load(path)


# -- plotting -------------------------------------------------------------------------------------
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_plot_returns_figure(ndim):
    fig = make_solution(ndim).plot()
    assert isinstance(fig, Figure)
    assert "t = 0.7" in fig.axes[0].get_title()


def test_plot_1d_lines():
    sol = make_solution(1, n_snap=4)
    ax = sol.plot(None).axes[0]
    assert len(ax.lines) == 4
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), sol.grid.axis_centers(0))
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), sol.values[2])
    assert len(make_solution(1, n_snap=4).plot([0, -1]).axes[0].lines) == 2
    with pytest.raises(IndexError):
        sol.plot(4)


def test_plot_2d_orientation_and_extent():
    sol = make_solution(2)
    fig, ax = plt.subplots()
    assert sol.plot(1, ax=ax, cmap="magma") is fig
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array(), sol.values[1].T)
    assert image.get_extent() == [0.0, 1.0, -2.0, 0.5]
    assert image.origin == "lower" and image.get_cmap().name == "magma"
    assert len(fig.axes) == 2  # plot and colorbar
    with pytest.raises(ValueError, match="single snapshot index"):
        sol.plot([0, 1])


def test_plot_3d_mid_plane():
    sol = make_solution(3)
    ax = sol.plot(0).axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), sol.values[0][:, :, 2].T)
    assert "z = 0" in ax.get_title()


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_animate_gif(tmp_path, ndim):
    sol = make_solution(ndim, n_snap=3)
    before = plt.get_fignums()
    path = sol.animate(tmp_path / "movie.gif", fps=5)
    assert path == tmp_path / "movie.gif" and path.stat().st_size > 0
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 3
    assert plt.get_fignums() == before


def test_animate_fixes_colour_limits(tmp_path, monkeypatch):
    sol = make_solution(2, n_snap=3)
    seen = {}
    original = Solution.plot

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Solution, "plot", spy)
    sol.animate(tmp_path / "movie.gif")
    assert seen["vmin"] == sol.values.min() and seen["vmax"] == sol.values.max()


def test_animate_mp4_works_or_says_ffmpeg_is_missing(tmp_path):
    sol = make_solution(2, n_snap=2)
    try:
        path = sol.animate(tmp_path / "movie.mp4")
    except RuntimeError as err:
        assert "ffmpeg" in str(err)
    else:
        assert path.stat().st_size > 0


def test_animate_mp4_without_ffmpeg(tmp_path, monkeypatch):
    from matplotlib import animation

    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    with pytest.raises(RuntimeError, match=r"ffmpeg.*\.gif"):
        make_solution(2).animate(tmp_path / "movie.mp4")
    assert not (tmp_path / "movie.mp4").exists()


def test_animate_rejects_bad_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.gif, \.mp4"):
        make_solution(1).animate(tmp_path / "movie.avi")
