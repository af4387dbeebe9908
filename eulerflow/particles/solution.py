""":class:`ParticleSolution`: particle positions at snapshot times, with deposits onto grids."""

from __future__ import annotations

import dataclasses
import operator
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np

from ..arrays import stack_like, to_numpy
from ..checks import check_grid
from ..grid import Grid
from ..results import Result, Solution
from ..results.base import read_series, series_variables
from .mesh import deposit

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class ParticleSolution(Result):
    """Positions of a cloud of equally weighted particles at snapshot times.

    The fields of :class:`~eulerflow.Result` (``grid``, ``parameters``, ``backend``,
    ``status``, ``message``, ``wall_time``, ``diagnostics``) come first; ``grid`` is the box the
    particles moved in (periodic/walled axes) and the default grid of :meth:`deposit`, or
    ``None`` for free space.

    Parameters
    ----------
    grid : Grid or None
        The box the particles moved in and the default grid of :meth:`deposit`; ``None`` for
        free space.
    parameters : dict, optional
        What was run (scheme, diffusion, time step...), plain JSON-serialisable values.
    backend : str, optional
        Name of the array backend that computed it (``"numpy"`` or ``"cupy"``).
    status : int, default 0
        ``0`` finished, ``1`` stopped early, ``-1`` failed.
    message : str, optional
        How the run ended, in words.
    wall_time : float, default 0
        Seconds the solver took.
    diagnostics : dict of str to array, optional
        Series recorded per snapshot and scalars about the run; stored as NumPy.
    t : array_like, shape (n_snap,)
        Snapshot times.
    positions : array, shape (n_snap, n, d)
        Positions (NumPy or CuPy, kept as given).
    total_mass : float, default 1
        Total mass of the cloud; each particle carries ``total_mass / n``.
    n_steps : int, default 0
        Time steps taken.
    """

    t: np.ndarray
    positions: Any
    total_mass: float = 1.0
    n_steps: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        t = np.asarray(to_numpy(self.t), dtype=float)
        if t.ndim != 1 or t.size == 0:
            raise ValueError(f"t must be a non-empty 1D array, got shape {t.shape}")
        shape = tuple(getattr(self.positions, "shape", ()))
        if len(shape) != 3 or shape[0] != t.size or not 1 <= shape[2] <= 3:
            raise ValueError(
                f"positions must have shape ({t.size}, n, d) with d = 1..3, got {shape}"
            )
        if self.grid is not None and self.grid.ndim != shape[2]:
            raise ValueError(f"grid is {self.grid.ndim}D but the particles are {shape[2]}D")
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "total_mass", float(self.total_mass))

    @property
    def mass(self) -> np.ndarray:
        """Mass of the cloud at every snapshot, shape (n_snap,) (particles are never lost: walls
        reflect them, periodic axes wrap them)."""
        return np.full(self.t.size, self.total_mass)

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
            f"n_steps={self.n_steps}, wall_time={self.wall_time:.3g} s, status={self.status})"
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
        grid = self._grid(grid)
        if index is not None:
            i = range(self.t.size)[operator.index(index)]
            return deposit(self.positions[i], grid, None, method, self.total_mass, outside, backend)
        snaps = [
            deposit(x, grid, None, method, self.total_mass, outside, backend)
            for x in self.positions
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
            parameters={**self.parameters, "deposit": method, "n_particles": self.n_particles},
            backend=self.backend,
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
        check_grid(grid)
        return grid

    # -- xarray ---------------------------------------------------------------------------------
    def _content(self) -> tuple[dict, dict, dict]:
        """``positions`` over dims ``("t", "particle", "axis")``; the total mass and the number of
        steps as attributes."""
        axis_names = ["x", "y", "z"][: self.ndim]
        data_vars = {"positions": (("t", "particle", "axis"), to_numpy(self.positions))}
        data_vars.update(series_variables(self.diagnostics, "t"))
        coords = {"t": self.t, "axis": axis_names}
        attrs = {"total_mass": self.total_mass, "n_steps": int(self.n_steps)}
        return data_vars, coords, attrs

    @classmethod
    def _from_content(cls, ds: xr.Dataset, common: dict) -> ParticleSolution:
        names = [name for name in ds.data_vars if name != "positions"]
        return cls(
            **{**common, "diagnostics": read_series(ds, names)},
            t=ds["t"].to_numpy(),
            positions=ds["positions"].to_numpy(),
            total_mass=float(ds.attrs["total_mass"]),
            n_steps=int(ds.attrs["n_steps"]),
        )

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
