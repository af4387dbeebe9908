""":class:`W2Result`: the outcome of :func:`~eulerflow.wasserstein2` by the back-and-forth
method: the distance, both Kantorovich potentials, the optimal map and the displacement
interpolation, with xarray/netCDF I/O and plots."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..arrays import to_numpy
from ..backends import as_input_type, get_backend
from ..results import Solution
from ..results.base import read_series, series_variables
from .back_and_forth_operators import BackAndForthOperators
from .result import TransportResult

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_DIAGNOSTIC_PREFIX = "diagnostic_"


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class W2Result(TransportResult):
    """Optimal transport between two densities on a grid, without the time dimension.

    ``w2_squared`` is ``2 D(phi, psi)``, the dual value of the returned potentials: a lower
    bound of the ``W2^2`` between the two measures that carry the cell masses at the cell
    centres (every returned pair is feasible), and the distance of the densities up to the
    discretisation (see :func:`~eulerflow.wasserstein2`). ``diagnostics`` holds the
    per-iteration series ``"w2_squared"`` (the dual value after each iteration), ``"best"``
    (the best so far) and ``"sigma"`` (the step), and the scalar ``"time_per_iteration"``.

    Parameters
    ----------
    rho0, rho1 : array
        The two densities (``rho1`` with exactly the mass of ``rho0``).
    potentials : tuple of two arrays
        ``(phi, psi)`` at the cell centres, with ``psi = phi^c`` and ``phi = psi^c`` for the
        cost ``|x - y|^2 / 2`` over the centres: ``phi(x) + psi(y) <= |x - y|^2 / 2`` for all
        centres, with equality for ``y = T(x)``.
    map : array, shape (d, ``*shape``)
        The optimal map ``T(x) = x - grad phi(x)`` at the cell centres of ``rho0`` (the
        minimiser of the c-transform, refined off the grid): component ``a`` along axis ``a``,
        unwrapped on periodic axes.
    inverse_map : array, shape (d, ``*shape``)
        The map ``y - grad psi(y)`` from the cell centres of ``rho1`` back to ``rho0``.

    Examples
    --------
    A translation by 0.3 of a Gaussian bump (std 0.08) on the unit interval, ``W2 = 0.3``:

    >>> import eulerflow as ef
    >>> grid = ef.Grid(128, (0, 1))
    >>> rho0 = ef.exact.gaussian_density(grid, mean=0.3, cov=0.08**2)
    >>> rho1 = ef.exact.gaussian_density(grid, mean=0.6, cov=0.08**2)
    >>> res = ef.wasserstein2(rho0, rho1, grid, normalize=True, backend="numpy")
    >>> res.converged, round(res.w2, 4)
    (True, 0.3)
    >>> rho_half = res.interpolate(0.5)  # McCann's interpolant: the bump moved to 0.45
    >>> mean = grid.integrate(rho_half * grid.axis_centers(0))
    >>> round(float(grid.integrate(rho_half)), 12), round(float(mean), 3)
    (1.0, 0.45)
    """

    rho0: Any
    rho1: Any
    potentials: tuple
    map: Any
    inverse_map: Any

    def __post_init__(self) -> None:
        super().__post_init__()
        shape, d = self.grid.shape, self.grid.ndim
        for name in ("rho0", "rho1"):
            if tuple(getattr(self, name).shape) != shape:
                raise ValueError(f"{name} must have the grid's shape {shape}")
        potentials = tuple(self.potentials)
        if len(potentials) != 2 or any(tuple(p.shape) != shape for p in potentials):
            raise ValueError(f"potentials must be two arrays of the grid's shape {shape}")
        object.__setattr__(self, "potentials", potentials)
        for name in ("map", "inverse_map"):
            if tuple(getattr(self, name).shape) != (d, *shape):
                raise ValueError(f"{name} must have shape {(d, *shape)}")

    # -- derived quantities ---------------------------------------------------------------------
    def _operators(self) -> BackAndForthOperators:
        backend = get_backend("auto", like=self.rho0, size=self.grid.size)
        return BackAndForthOperators(self.grid, backend, np.dtype(self.rho0.dtype))

    def transport_cost(self) -> float:
        """``int |T(x) - x|^2 rho0(x) dx`` over the cell centres, the primal cost of
        ``map`` (close to ``w2_squared`` when the map is accurate)."""
        rho0 = to_numpy(self.rho0)
        moved = to_numpy(self.map)
        squared = sum((moved[a] - self.grid.centers[a]) ** 2 for a in range(self.grid.ndim))
        return float(np.sum(rho0 * squared) * self.grid.cell_volume)

    def interpolate(self, t: float, samples: int | None = None):
        """McCann's displacement interpolant ``((1 - t) x + t T(x))_# rho0`` at time ``t``.

        Each cell of ``rho0`` is split into ``samples^d`` sub-cells, moved by the interpolated
        map and deposited with cloud-in-cell weights, so the mass of ``rho0`` is kept to
        round-off. Where the map stretches cells, the deposited sub-cells leave an aliasing
        error that falls with ``samples``; the default is ``4 t L`` rounded up (at least 4) for
        the largest stretch ``L = max |DT|`` over the support of ``rho0``, capped at 32 in 1D,
        16 in 2D and 6 in 3D.

        Parameters
        ----------
        t : float
            Time in ``[0, 1]``.
        samples : int, optional
            Sub-cells per axis.

        Returns
        -------
        array
            The density at time ``t`` (the array type of ``rho0``).
        """
        if not (isinstance(t, int | float) and 0 <= t <= 1):
            raise ValueError(f"t must be a number in [0, 1], got {t!r}")
        if samples is None:
            samples = self._default_samples(t)
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError(f"samples must be a positive integer, got {samples!r}")
        ops = self._operators()
        xp = ops.xp
        moved = xp.asarray(self.map, dtype=ops.dtype)
        positions = [(1 - t) * ops.centres[a] + t * moved[a] for a in range(self.grid.ndim)]
        rho0 = xp.asarray(self.rho0, dtype=ops.dtype)
        return as_input_type(ops.push_forward(rho0, positions, samples), self.rho0)

    def _default_samples(self, t: float) -> int:
        """Sub-cells per axis for :meth:`interpolate` (see there)."""
        moved, rho0 = to_numpy(self.map), to_numpy(self.rho0)
        support = rho0 > 0
        stretch = 1.0
        for a in range(self.grid.ndim):
            if self.grid.shape[a] > 1:
                for b in range(self.grid.ndim):
                    slope = np.abs(np.gradient(moved[b], self.grid.spacing[a], axis=a))
                    stretch = max(stretch, float(slope[support].max(initial=0.0)))
        cap = {1: 32, 2: 16, 3: 6}[self.grid.ndim]
        return int(min(max(4, np.ceil(4 * max(t * stretch, 1 - t + t * stretch))), cap))

    def pushforward_residual(self, coarsen: int = 1, samples: int | None = None) -> float:
        """``|T_# rho0 - rho1|_1 / |rho1|_1``: how well the map moves ``rho0`` onto ``rho1``.

        ``T_# rho0`` is :meth:`interpolate` at ``t = 1``. With ``coarsen > 1`` both densities
        are first summed over blocks of ``coarsen`` cells per axis (trailing cells that do not
        fill a block are dropped), a weaker measure that ignores how the mass is arranged
        inside a block. The map of the grid dual is quantised where it compresses (see
        :func:`~eulerflow.wasserstein2`), which leaves cell-scale oscillations in
        ``T_# rho0`` that the cell-wise residual counts in full.

        Parameters
        ----------
        coarsen : int, default 1
            Cells per axis of a block.
        samples : int, optional
            Passed to :meth:`interpolate`.

        Returns
        -------
        float
            The relative L1 residual.
        """
        if isinstance(coarsen, bool) or not isinstance(coarsen, int) or coarsen < 1:
            raise ValueError(f"coarsen must be a positive integer, got {coarsen!r}")
        pushed = _block_sums(to_numpy(self.interpolate(1.0, samples)), coarsen)
        rho1 = _block_sums(to_numpy(self.rho1), coarsen)
        return float(np.abs(pushed - rho1).sum() / np.abs(rho1).sum())

    def geodesic(self, times: Sequence[float] | int = 5) -> Solution:
        """The displacement interpolation at ``times`` (or that many equally spaced times in
        ``[0, 1]``) as a :class:`~eulerflow.Solution` (plotting, xarray)."""
        if isinstance(times, int) and not isinstance(times, bool):
            times = np.linspace(0.0, 1.0, max(times, 2))
        times = np.asarray(times, dtype=float)
        values = np.stack([to_numpy(self.interpolate(float(t))) for t in times])
        return Solution(
            t=times,
            values=values,
            grid=self.grid,
            field="rho",
            equation="displacement interpolation",
            parameters={"method": self.method, **self.parameters},
            backend=self.backend,
            diagnostics={"mass": self.grid.integrate(values)},
            n_steps=self.n_iter,
            wall_time=self.wall_time,
            status=self.status,
            message=self.message,
        )

    def __repr__(self) -> str:
        return (
            f"W2Result(w2={self.w2:.6g}, method={self.method!r}, grid={self.grid!r}, "
            f"converged={self.converged}, n_iter={self.n_iter}, backend={self.backend!r})"
        )

    # -- xarray ---------------------------------------------------------------------------------
    def _content(self) -> tuple[dict, dict, dict]:
        """Data variables ``rho0``, ``rho1``, ``phi``, ``psi`` (dims ``x, ...``), ``map`` and
        ``inverse_map`` (``component, x, ...``) and ``diagnostic_*`` (``iteration``, or 0-d);
        ``w2_squared``, ``method`` and ``n_iter`` as attributes."""
        axes = self.grid.axis_names
        n_iter = max((np.size(v) for v in self.history.values()), default=0)
        coords: dict[str, Any] = {name: self.grid.axis_centers(a) for a, name in enumerate(axes)}
        coords["component"] = list(axes)
        coords["iteration"] = np.arange(1, n_iter + 1)
        data = {
            "rho0": (axes, to_numpy(self.rho0)),
            "rho1": (axes, to_numpy(self.rho1)),
            "phi": (axes, to_numpy(self.potentials[0])),
            "psi": (axes, to_numpy(self.potentials[1])),
            "map": (("component", *axes), to_numpy(self.map)),
            "inverse_map": (("component", *axes), to_numpy(self.inverse_map)),
        }
        data.update(series_variables(self.diagnostics, "iteration", _DIAGNOSTIC_PREFIX))
        attrs = {
            "w2_squared": self.w2_squared,
            "method": self.method,
            "n_iter": int(self.n_iter),
        }
        return data, coords, attrs

    @classmethod
    def _from_content(cls, ds: xr.Dataset, common: dict) -> W2Result:
        names = [n for n in ds.data_vars if str(n).startswith(_DIAGNOSTIC_PREFIX)]
        return cls(
            **{**common, "diagnostics": read_series(ds, names, _DIAGNOSTIC_PREFIX)},
            w2_squared=float(ds.attrs["w2_squared"]),
            rho0=ds["rho0"].to_numpy(),
            rho1=ds["rho1"].to_numpy(),
            potentials=(ds["phi"].to_numpy(), ds["psi"].to_numpy()),
            map=ds["map"].to_numpy(),
            inverse_map=ds["inverse_map"].to_numpy(),
            method=str(ds.attrs["method"]),
            n_iter=int(ds.attrs["n_iter"]),
        )

    # -- plotting -------------------------------------------------------------------------------
    def plot(
        self, times: Sequence[float] | int = 5, ax: Axes | None = None, **kwargs: Any
    ) -> Figure:
        """Draw the displacement interpolation (see :meth:`eulerflow.Solution.plot`): five
        snapshots ``t = 0, 1/4, .., 1`` on 1D grids, ``t = 1/2`` on 2D/3D grids by default."""
        solution = self.geodesic(times)
        n = solution.t.size
        index = list(range(n)) if self.grid.ndim == 1 else n // 2
        return solution.plot(index=index, ax=ax, **kwargs)


def _block_sums(values: np.ndarray, size: int) -> np.ndarray:
    """Sums over blocks of ``size`` cells per axis (trailing partial blocks dropped)."""
    if size == 1:
        return values
    trimmed = values[tuple(slice(0, (n // size) * size) for n in values.shape)]
    shape = [m for n in trimmed.shape for m in (n // size, size)]
    return trimmed.reshape(shape).sum(axis=tuple(range(1, 2 * values.ndim, 2)))
