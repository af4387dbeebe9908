"""Snapshots of a time-dependent solution: :class:`Solution`.

Every time-marching solver returns a :class:`Solution`: the snapshots of the unknown, their times,
the grid, what was run and per-snapshot diagnostics. It converts to an :class:`xarray.Dataset`,
saves to a checksummed netCDF4/HDF5 file that :func:`eulerflow.load` reads back
(:class:`~eulerflow.results.Result`), and draws itself with matplotlib (:meth:`Solution.plot`,
:meth:`Solution.animate`).

matplotlib and xarray are imported only inside the methods that need them.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..arrays import to_numpy
from .base import Result, read_series, series_variables

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_ANIMATION_SUFFIXES = (".gif", ".mp4")


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class Solution(Result):
    """Snapshots of the solution of a time-dependent equation on a :class:`~eulerflow.Grid`.

    The snapshots are also available under the name of the unknown: ``sol.rho`` for densities,
    ``sol.phi`` for Hamilton-Jacobi potentials (whatever ``field`` says). The fields of
    :class:`~eulerflow.Result` (``grid``, ``parameters``, ``backend``, ``status``,
    ``message``, ``wall_time``, ``diagnostics``) come first.

    Parameters
    ----------
    t : array_like, shape (n_snap,)
        Snapshot times (stored as a 1D NumPy float array).
    values : array, shape (n_snap, ``*grid.shape``)
        Snapshots, NumPy or CuPy, kept as given.
    field : str
        Name of the unknown, for example ``"rho"`` or ``"phi"``.
    equation : str
        Equation solved, for example ``"continuity"``.
    n_steps : int, default 0
        Number of time steps taken.

    Notes
    -----
    ``diagnostics`` holds per-snapshot series (shape ``(n_snap,)``, e.g. ``"mass"``) and scalars
    about the whole run (e.g. ``"dt_min"``).

    Raises
    ------
    TypeError
        If ``grid`` is not a :class:`~eulerflow.Grid`.
    ValueError
        If the shapes of ``t``, ``values`` or the diagnostics disagree, or if names clash.

    Examples
    --------
    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(8, (0, 1))
    >>> sol = ef.Solution(t=[0.0], values=np.ones((1, 8)), grid=grid, field="rho",
    ...                   equation="demo", diagnostics={"mass": [1.0]})
    >>> sol.rho.shape, sol.mass
    ((1, 8), array([1.]))
    """

    t: np.ndarray
    values: Any
    field: str
    equation: str
    n_steps: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.grid is None:
            raise TypeError("grid must be an eulerflow Grid, got None")
        t = np.asarray(to_numpy(self.t), dtype=float)
        if t.ndim != 1 or t.size == 0:
            raise ValueError(
                f"t must be a non-empty 1D array of snapshot times, got shape {t.shape}"
            )
        want = (t.size, *self.grid.shape)
        if tuple(getattr(self.values, "shape", ())) != want:
            raise ValueError(
                f"values has shape {tuple(getattr(self.values, 'shape', ()))}, but {t.size} "
                f"snapshots on a grid of shape {self.grid.shape} need shape {want}"
            )
        for name, series in self.diagnostics.items():
            if series.shape not in ((t.size,), ()):
                raise ValueError(
                    f"diagnostics[{name!r}] has shape {series.shape}, but needs one value per "
                    f"snapshot, shape ({t.size},), or one value for the run"
                )
        reserved = {"t", *self.grid.axis_names}
        names = self.diagnostics.keys()
        if self.field in reserved or reserved & names or self.field in names:
            raise ValueError(
                f"the field name {self.field!r} and the diagnostics names {list(names)} "
                f"must differ from each other and from the coordinate names {sorted(reserved)}"
            )
        object.__setattr__(self, "t", t)

    # -- attribute access -----------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails. Read the instance dict directly: copy and pickle
        # probe attributes on an instance whose fields are not set yet, and must not recurse.
        state = object.__getattribute__(self, "__dict__")
        if "field" in state and name == state["field"]:
            return state["values"]
        # A property that raised AttributeError (``mass``) lands here too: re-raise its message.
        attribute = getattr(type(self), name, None)
        if isinstance(attribute, property):
            return attribute.fget(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), self.field]

    @property
    def mass(self) -> np.ndarray:
        """Total mass of every snapshot, the ``"mass"`` diagnostic, shape (n_snap,)."""
        if "mass" not in self.diagnostics:
            raise AttributeError(
                f"this solution has no 'mass' diagnostic (diagnostics: {list(self.diagnostics)}); "
                f"compute it with grid.integrate(sol.{self.field})"
            )
        return self.diagnostics["mass"]

    def __repr__(self) -> str:
        return (
            f"Solution(equation={self.equation!r}, field={self.field!r}, grid={self.grid!r}, "
            f"snapshots={self.t.size}, t=[{self.t[0]:g}, {self.t[-1]:g}], "
            f"backend={self.backend!r}, n_steps={self.n_steps}, wall_time={self.wall_time:.3g} s, "
            f"status={self.status})"
        )

    # -- xarray ---------------------------------------------------------------------------------
    def _content(self) -> tuple[dict, dict, dict]:
        """Data variable :attr:`field` with dims ``("t", *grid.axis_names)``, one variable per
        diagnostic (over ``"t"``, or 0-d for a scalar), coordinates ``t`` and the cell centres."""
        dims = ("t", *self.grid.axis_names)
        coords = {"t": self.t}
        coords.update({name: self.grid.axis_centers(a) for a, name in enumerate(dims[1:])})
        data_vars = {self.field: (dims, to_numpy(self.values))}
        data_vars.update(series_variables(self.diagnostics, "t"))
        attrs = {"equation": self.equation, "field": self.field, "n_steps": int(self.n_steps)}
        return data_vars, coords, attrs

    @classmethod
    def _from_content(cls, ds: xr.Dataset, common: dict) -> Solution:
        field_name = str(ds.attrs["field"])
        names = [name for name in ds.data_vars if name != field_name]
        return cls(
            **common,
            t=ds["t"].to_numpy(),
            values=ds[field_name].to_numpy(),
            field=field_name,
            equation=str(ds.attrs["equation"]),
            n_steps=int(ds.attrs["n_steps"]),
            diagnostics=read_series(ds, names),
        )

    # -- plotting -------------------------------------------------------------------------------
    def plot(
        self, index: int | Sequence[int] | None = -1, ax: Axes | None = None, **kwargs: Any
    ) -> Figure:
        """Draw snapshots with matplotlib.

        1D grids: a line per chosen snapshot. 2D grids: an image of one snapshot, x horizontal and
        y vertical, with a colorbar. 3D grids: the same for the mid-plane slice in z.

        Parameters
        ----------
        index : int, sequence of int or None, default -1
            Snapshot(s) to draw; a sequence or ``None`` (all snapshots) only on 1D grids.
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure (through pyplot) by default.
        **kwargs
            Passed to ``Axes.plot`` (1D) or ``Axes.imshow`` (2D, 3D), e.g. ``cmap``, ``vmin``.

        Returns
        -------
        matplotlib.figure.Figure
            The figure holding the plot.
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        if self.grid.ndim == 1:
            indices = self._indices(index)
            x = self.grid.axis_centers(0)
            for i in indices:
                ax.plot(x, to_numpy(self.values[i]), label=f"t = {self.t[i]:.4g}", **kwargs)
            ax.set_xlabel(self.grid.axis_names[0])
            ax.set_ylabel(self.field)
            if len(indices) == 1:
                ax.set_title(self._title(indices[0]))
            else:
                ax.legend()
        else:
            if index is None or isinstance(index, Sequence):
                raise ValueError(
                    f"index must be a single snapshot index on a {self.grid.ndim}D grid, "
                    f"got {index!r}"
                )
            i = self._indices(index)[0]
            (x_lo, x_hi), (y_lo, y_hi) = self.grid.bounds[:2]
            image = ax.imshow(
                self._image(to_numpy(self.values[i])),
                origin="lower",
                extent=(x_lo, x_hi, y_lo, y_hi),
                **kwargs,
            )
            ax.figure.colorbar(image, ax=ax, label=self.field)
            ax.set_xlabel(self.grid.axis_names[0])
            ax.set_ylabel(self.grid.axis_names[1])
            ax.set_title(self._title(i))
        return ax.figure

    def plot_level_set(
        self,
        index: int | Sequence[int] = 0,
        level: float = 0.0,
        slices: Sequence[int] | None = None,
        ax: Axes | None = None,
        **kwargs: Any,
    ) -> Figure:
        """Draw the level set ``{values = level}`` (the boundary of a reachable set) of snapshots.

        2D grids: the curves of the chosen snapshots in the plane of the first two axes, one
        colour per snapshot. 3D grids: one panel per slice of the third axis (the heading of
        air3d or of the Dubins car), with the curves of the chosen snapshots in each. The level
        set is extracted by marching squares on the cell centres (matplotlib's ``contour``).

        Parameters
        ----------
        index : int or sequence of int, default 0
            Snapshot(s) (``0``: the earliest time, the full horizon of a backward problem).
        level : float, default 0
            The level.
        slices : sequence of int, optional
            3D only: indices along the third axis, default three evenly spaced ones.
        ax : matplotlib.axes.Axes, optional
            2D only: axes to draw into; a new figure by default.
        **kwargs
            Passed to ``Axes.contour`` (``linewidths``, ``linestyles``, ...).

        Returns
        -------
        matplotlib.figure.Figure
            The figure holding the plot.

        Raises
        ------
        ValueError
            On a 1D grid, with ``ax`` on a 3D grid, or for slices outside the third axis.
        """
        ndim = self.grid.ndim
        if ndim == 1:
            raise ValueError("plot_level_set needs a 2D or 3D grid; use plot() in 1D")
        indices = self._indices(index)
        x, y = self.grid.axis_centers(0), self.grid.axis_centers(1)
        names = self.grid.axis_names
        if ndim == 2:
            if ax is None:
                import matplotlib.pyplot as plt

                _, ax = plt.subplots()
            self._contours(ax, x, y, indices, level, None, kwargs)
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
            ax.set_title(f"{{{self.field} = {level:g}}}")
            return ax.figure
        if ax is not None:
            raise ValueError("on a 3D grid plot_level_set draws one panel per slice: drop ax")
        n = self.grid.shape[2]
        slices = [n // 6, n // 2, (5 * n) // 6] if slices is None else [int(k) for k in slices]
        if not slices or any(not 0 <= k < n for k in slices):
            raise ValueError(f"slices must be indices in [0, {n}) of the third axis, got {slices}")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            1, len(slices), figsize=(4 * len(slices), 3.8), squeeze=False, layout="constrained"
        )
        z = self.grid.axis_centers(2)
        for panel, k in zip(axes[0], slices, strict=True):
            self._contours(panel, x, y, indices, level, k, kwargs)
            panel.set_xlabel(names[0])
            panel.set_ylabel(names[1])
            panel.set_title(f"{names[2]} = {z[k]:.3g}")
        fig.suptitle(f"{{{self.field} = {level:g}}}")
        return fig

    def _contours(self, ax, x, y, indices, level, k, kwargs) -> None:
        """The ``level`` curves of the snapshots ``indices`` (slice ``k`` of axis 2 if given)."""
        from matplotlib.lines import Line2D

        colours = [f"C{j % 10}" for j in range(len(indices))]
        for i, colour in zip(indices, colours, strict=True):
            values = to_numpy(self.values[i])
            values = values if k is None else values[:, :, k]
            if values.min() <= level <= values.max():
                ax.contour(x, y, values.T, levels=[level], colors=colour, **kwargs)
        ax.set_aspect("equal")
        handles = [Line2D([], [], color=c) for c in colours]
        ax.legend(handles, [f"t = {self.t[i]:.4g}" for i in indices], fontsize="small")

    def animate(self, path: str | PathLike, fps: float = 10, **kwargs: Any) -> Path:
        """Write an animation over all snapshots (drawn as by :meth:`plot`).

        Parameters
        ----------
        path : str or path-like
            Target file: ``.gif`` (pillow) or ``.mp4`` (needs ffmpeg).
        fps : float, default 10
            Frames (snapshots) per second.
        **kwargs
            Passed to :meth:`plot`. On 2D/3D grids the colour limits default to the range over
            all snapshots, fixed for the whole animation.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from matplotlib import animation
        from matplotlib.figure import Figure

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in _ANIMATION_SUFFIXES:
            raise ValueError(
                f"path must end in one of {', '.join(_ANIMATION_SUFFIXES)}, got {path.name!r}"
            )
        if suffix == ".gif":
            writer = animation.PillowWriter(fps=fps)
        elif animation.writers.is_available("ffmpeg"):
            writer = animation.FFMpegWriter(fps=fps)
        else:
            raise RuntimeError(
                "writing .mp4 needs ffmpeg, which matplotlib cannot find; install ffmpeg, "
                "or save a .gif, which works without it"
            )

        # A bare Figure (not pyplot) is never registered with pyplot, so nothing is left open.
        fig = Figure()
        ax = fig.add_subplot()
        values = to_numpy(self.values)
        if self.grid.ndim == 1:
            self.plot(0, ax=ax, **kwargs)
            artist = ax.lines[0]
            # Fix the y range over all snapshots (autoscale_view also handles constant data).
            x_range = self.grid.bounds[0]
            ax.update_datalim([(x_range[0], np.nanmin(values)), (x_range[1], np.nanmax(values))])
            ax.autoscale_view()
            frames = list(values)
        else:
            frames = [self._image(snapshot) for snapshot in values]
            kwargs.setdefault("vmin", min(np.nanmin(frame) for frame in frames))
            kwargs.setdefault("vmax", max(np.nanmax(frame) for frame in frames))
            self.plot(0, ax=ax, **kwargs)
            artist = ax.images[0]

        def update(i: int) -> tuple:
            if self.grid.ndim == 1:
                artist.set_ydata(frames[i])
            else:
                artist.set_data(frames[i])
            ax.set_title(self._title(i))
            return (artist,)

        anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=1000 / fps)
        anim.save(path, writer=writer)
        return path

    # -- helpers --------------------------------------------------------------------------------
    def _indices(self, index: int | Sequence[int] | None) -> list[int]:
        """Snapshot indices as non-negative ints (IndexError when out of range)."""
        snapshots = range(self.t.size)
        if index is None:
            return list(snapshots)
        if isinstance(index, Sequence):
            return [snapshots[operator.index(i)] for i in index]
        return [snapshots[operator.index(index)]]

    def _image(self, snapshot: np.ndarray) -> np.ndarray:
        """2D array to show for one snapshot, rows along y: the mid-plane in z on 3D grids."""
        if self.grid.ndim == 3:
            snapshot = snapshot[:, :, self.grid.shape[2] // 2]
        return snapshot.T

    def _title(self, i: int) -> str:
        title = f"{self.field}, t = {self.t[i]:.4g}"
        if self.grid.ndim == 3:
            z = self.grid.axis_centers(2)[self.grid.shape[2] // 2]
            title += f", z = {z:.4g}"
        return title
