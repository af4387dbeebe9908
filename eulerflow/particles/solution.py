""":class:`ParticleSolution`: particle positions at snapshot times, with deposits onto grids."""

from __future__ import annotations

import dataclasses
import json
import operator
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..arrays import stack_like, to_numpy
from ..grid import Grid
from ..results import _FILE_SUFFIXES, _KIND_ATTR, _RESULT_TYPES, Solution, _to_json

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclasses.dataclass(frozen=True, eq=False)
class ParticleSolution:
    """Positions of a cloud of equally weighted particles at snapshot times.

    Parameters
    ----------
    t : array_like, shape (n_snap,)
        Snapshot times.
    positions : array, shape (n_snap, n, d)
        Positions (NumPy or CuPy, kept as given).
    grid : Grid or None
        The box the particles moved in (periodic/walled axes), and the default grid of
        :meth:`deposit`; ``None`` for free space.
    mass : float, default 1
        Total mass of the cloud; each particle carries ``mass / n``.
    method : dict
        JSON-serialisable description of the run (scheme, eps, dt).
    n_steps, wall_time, status, message
        Run statistics, as in :class:`eulerflow.Solution`.
    """

    t: np.ndarray
    positions: Any
    grid: Grid | None = None
    mass: float = 1.0
    method: dict = dataclasses.field(default_factory=dict)
    n_steps: int = 0
    wall_time: float = 0.0
    status: int = 0
    message: str = ""

    def __post_init__(self) -> None:
        t = np.asarray(to_numpy(self.t), dtype=float)
        if t.ndim != 1 or t.size == 0:
            raise ValueError(f"t must be a non-empty 1D array, got shape {t.shape}")
        shape = tuple(getattr(self.positions, "shape", ()))
        if len(shape) != 3 or shape[0] != t.size or not 1 <= shape[2] <= 3:
            raise ValueError(
                f"positions must have shape ({t.size}, n, d) with d = 1..3, got {shape}"
            )
        if self.grid is not None:
            if not isinstance(self.grid, Grid):
                raise TypeError(f"grid must be a Grid or None, got {type(self.grid).__name__}")
            if self.grid.ndim != shape[2]:
                raise ValueError(f"grid is {self.grid.ndim}D but the particles are {shape[2]}D")
        object.__setattr__(self, "t", t)

    @property
    def n_particles(self) -> int:
        """Number of particles."""
        return int(self.positions.shape[1])

    @property
    def ndim(self) -> int:
        """Space dimension."""
        return int(self.positions.shape[2])

    def __repr__(self) -> str:
        return (
            f"ParticleSolution(n_particles={self.n_particles}, ndim={self.ndim}, "
            f"snapshots={self.t.size}, t=[{self.t[0]:g}, {self.t[-1]:g}], grid={self.grid!r}, "
            f"n_steps={self.n_steps}, wall_time={self.wall_time:.3g} s)"
        )

    # -- to the grid ----------------------------------------------------------------------------
    def deposit(
        self,
        grid: Grid | None = None,
        method: str = "cic",
        index: int | None = None,
        outside: str = "error",
        backend: str = "auto",
    ):
        """Densities of the snapshots on a grid (:func:`eulerflow.particles.deposit`).

        Parameters
        ----------
        grid : Grid, optional
            Target grid (default: the run's grid).
        method : {"cic", "ngp"}
            Cloud in cell or nearest grid point (histogram).
        index : int, optional
            One snapshot (array of ``grid.shape``); default all (``(n_snap, *grid.shape)``).
        outside, backend
            As in :func:`eulerflow.particles.deposit`.
        """
        from .mesh import deposit

        grid = self._grid(grid)
        if index is not None:
            i = range(self.t.size)[operator.index(index)]
            return deposit(self.positions[i], grid, None, method, self.mass, outside, backend)
        snaps = [
            deposit(x, grid, None, method, self.mass, outside, backend) for x in self.positions
        ]
        return stack_like(snaps, self.positions)

    def histogram(self, grid: Grid | None = None, index: int | None = None, **kwargs):
        """Nearest-grid-point densities (normalised histograms), see :meth:`deposit`."""
        return self.deposit(grid, "ngp", index, **kwargs)

    def to_solution(self, grid: Grid | None = None, method: str = "cic", **kwargs) -> Solution:
        """The deposited densities as a :class:`eulerflow.Solution` (plot, animate, save)."""
        grid = self._grid(grid)
        rho = self.deposit(grid, method, **kwargs)
        return Solution(
            t=self.t,
            values=rho,
            grid=grid,
            field="rho",
            equation="fokker-planck (particles)",
            method={**self.method, "deposit": method, "n_particles": self.n_particles},
            backend="particles",
            diagnostics={"mass": to_numpy(grid.integrate(rho))},
            n_steps=self.n_steps,
            wall_time=self.wall_time,
            status=self.status,
            message=self.message,
        )

    def _grid(self, grid: Grid | None) -> Grid:
        grid = self.grid if grid is None else grid
        if grid is None:
            raise ValueError("this run has no grid: pass grid=Grid(...) to deposit on")
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be an eulerflow Grid, got {type(grid).__name__}")
        return grid

    # -- xarray and files -----------------------------------------------------------------------
    def to_xarray(self) -> xr.Dataset:
        """Dataset with ``positions`` over dims ``("t", "particle", "axis")``."""
        import xarray as xr

        axis_names = ["x", "y", "z"][: self.ndim]
        attrs = {
            _KIND_ATTR: "ParticleSolution",
            "mass": float(self.mass),
            "n_steps": int(self.n_steps),
            "wall_time": float(self.wall_time),
            "status": int(self.status),
            "message": self.message,
            "grid": json.dumps(self.grid.to_dict()) if self.grid is not None else "",
            "method": _to_json(self.method, "method"),
        }
        return xr.Dataset(
            {"positions": (("t", "particle", "axis"), to_numpy(self.positions))},
            coords={"t": self.t, "axis": axis_names},
            attrs=attrs,
        )

    @classmethod
    def from_xarray(cls, ds: xr.Dataset) -> ParticleSolution:
        """Inverse of :meth:`to_xarray`."""
        attrs = ds.attrs
        grid = Grid.from_dict(json.loads(attrs["grid"])) if attrs["grid"] else None
        return cls(
            t=ds["t"].to_numpy(),
            positions=ds["positions"].to_numpy(),
            grid=grid,
            mass=float(attrs["mass"]),
            method=json.loads(attrs["method"]),
            n_steps=int(attrs["n_steps"]),
            wall_time=float(attrs["wall_time"]),
            status=int(attrs["status"]),
            message=str(attrs["message"]),
        )

    def save(self, path: str | PathLike) -> Path:
        """Write to netCDF4/HDF5 (``.nc``, ``.h5``, ``.hdf5``); :func:`eulerflow.load` reads it."""
        path = Path(path)
        if path.suffix.lower() not in _FILE_SUFFIXES:
            raise ValueError(
                f"path must end in one of {', '.join(_FILE_SUFFIXES)}, got {path.name!r}"
            )
        self.to_xarray().to_netcdf(path, engine="h5netcdf")
        return path

    # -- plotting -------------------------------------------------------------------------------
    def plot(
        self,
        index: int = -1,
        ax: Axes | None = None,
        grid: Grid | None = None,
        max_points: int = 20000,
        **kwargs: Any,
    ) -> Figure:
        """1D: the histogram of one snapshot on ``grid`` (default the run's grid; else 50
        bins over the particles' range); 2D/3D: a scatter plot of (at most ``max_points`` of)
        the particles in the x-y plane."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        i = range(self.t.size)[operator.index(index)]
        x = to_numpy(self.positions[i])
        if self.ndim == 1:
            g = grid if grid is not None else self.grid
            if g is None:
                g = Grid(50, (float(x.min()), float(x.max()) + 1e-12))
            rho = to_numpy(self.deposit(g, "ngp", i, outside="drop"))
            ax.stairs(rho, g.axis_faces(0), **kwargs)
            ax.set_xlabel("x")
            ax.set_ylabel("rho")
        else:
            step = max(1, x.shape[0] // max_points)
            kwargs.setdefault("s", 1)
            ax.scatter(x[::step, 0], x[::step, 1], **kwargs)
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            ax.set_aspect("equal")
        ax.set_title(f"particles, t = {self.t[i]:.4g}")
        return ax.figure

    def animate(self, path: str | PathLike, grid: Grid | None = None, method: str = "cic", **kw):
        """Animation of the deposited densities (:meth:`to_solution` then ``animate``)."""
        return self.to_solution(grid, method).animate(path, **kw)


_RESULT_TYPES["ParticleSolution"] = ParticleSolution
