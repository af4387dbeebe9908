"""The results of optimal transport solvers: :class:`TransportResult`, the fields every one
has, and :class:`OTResult`, the outcome of a Benamou-Brenier solve, with xarray/netCDF I/O and
plots (the back-and-forth result is :class:`~eulerflow.transport.w2_result.W2Result`)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..arrays import to_numpy
from ..results import Result, Solution
from ..results.base import read_series, series_variables

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_DIAGNOSTIC_PREFIX = "diagnostic_"


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class TransportResult(Result):
    """What every optimal transport result has: the value, the method, the iteration count.

    The fields of :class:`~eulerflow.Result` come first; ``status`` is 0 when the method's
    stopping test was met and 1 when ``max_iter`` ran out, and ``diagnostics`` holds the
    per-iteration series (:attr:`history`) and scalars about the run.

    Parameters
    ----------
    w2_squared : float
        The squared quadratic Wasserstein distance (times the mass, for densities of mass
        other than 1).
    method : str
        The method that computed it.
    n_iter : int
        Iterations run.
    """

    w2_squared: float
    method: str
    n_iter: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.grid is None:
            raise TypeError("grid must be an eulerflow Grid, got None")
        object.__setattr__(self, "w2_squared", float(self.w2_squared))

    @property
    def converged(self) -> bool:
        """Whether the stopping test was met (``status == 0``)."""
        return self.status == 0

    @property
    def history(self) -> dict[str, np.ndarray]:
        """The per-iteration series of ``diagnostics``."""
        return {k: v for k, v in self.diagnostics.items() if np.ndim(v) == 1}

    @property
    def w2(self) -> float:
        """The Wasserstein distance ``sqrt(w2_squared)``."""
        return math.sqrt(max(self.w2_squared, 0.0))


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class OTResult(TransportResult):
    """Discrete optimal transport geodesic between two densities (Benamou-Brenier).

    With ``N = n_time`` time cells, ``d`` space axes and the grid shape ``shape``. The fields of
    :class:`~eulerflow.Result` come first: ``grid``, ``parameters`` (step parameters,
    ``n_time``, ``tol``, ``max_iter``...), ``backend``, ``status`` (0 converged, 1 stopped at
    ``max_iter``), ``message``, ``wall_time`` and ``diagnostics``: the per-iteration series
    ``"w2_squared"`` (the objective), ``"primal"``, ``"dual"`` and ``"change"`` (``primal`` and
    ``dual`` are NaN at the iterations where they were not evaluated, see
    :func:`~eulerflow.benamou_brenier`), and the scalars ``"setup_time"`` and
    ``"time_per_iteration"`` (seconds).

    ``w2_squared`` is the minimal action ``sum |m_c|^2 / rho_c dt |cell|`` over the space-time
    cells, the discrete ``W_2^2`` (mass times ``W_2^2`` of the normalised densities), and
    ``method`` is ``"douglas-rachford"``, ``"chambolle-pock"`` or ``"alg2"``.

    Parameters
    ----------
    rho : array, shape (N + 1, ``*shape``)
        Densities at ``t = k / N`` (``rho[0] = rho0``, ``rho[N] = rho1``).
    momentum : array, shape (N, d, ``*shape``)
        Momentum ``m`` at the space-time cell centres (times :attr:`t_mid`), component ``a`` along
        axis ``a``.
    velocity : array, shape (N, d, ``*shape``)
        ``m / rho`` at the cell centres where ``rho`` exceeds the density floor, else 0.
    potential : array, shape (N, ``*shape``)
        The dual variable ``phi`` at the cell centres (times :attr:`t_mid`), the Lagrange
        multiplier of the continuity equation: ``v = grad phi`` and
        ``d_t phi + |grad phi|^2 / 2 = 0`` where ``rho > 0`` (up to an additive constant).
    momentum_faces : tuple of arrays
        The staggered momentum: entry ``a`` has shape ``(N, *shape)`` with ``n_a + 1`` along axis
        ``a`` (faces); with ``rho`` it satisfies the discrete continuity equation
        (:meth:`continuity_residual`).

    Examples
    --------
    Between ``N(-1, 1/4)`` and ``N(1, 1/4)`` the geodesic is a translation and ``W_2^2 = 4``
    (:func:`eulerflow.exact.gaussian_w2_squared`):

    >>> import eulerflow as ef
    >>> grid = ef.Grid(32, (-4, 4))
    >>> rho0 = ef.exact.gaussian_density(grid, mean=-1.0, cov=0.25)
    >>> rho1 = ef.exact.gaussian_density(grid, mean=1.0, cov=0.25)
    >>> res = ef.benamou_brenier(rho0, rho1, grid, n_time=8, backend="numpy")
    >>> res.rho.shape, res.momentum.shape, res.status
    ((9, 32), (8, 1, 32), 0)
    >>> bool(abs(res.w2_squared - ef.exact.gaussian_w2_squared(-1, 0.25, 1, 0.25)) < 0.01)
    True
    """

    rho: Any
    momentum: Any
    velocity: Any
    potential: Any
    momentum_faces: tuple

    def __post_init__(self) -> None:
        super().__post_init__()
        shape = tuple(getattr(self.rho, "shape", ()))
        if len(shape) != self.grid.ndim + 1 or shape[1:] != self.grid.shape or shape[0] < 2:
            raise ValueError(f"rho has shape {shape}, not (n_time + 1, *grid.shape)")
        n_time, d = shape[0] - 1, self.grid.ndim
        for name in ("momentum", "velocity"):
            want = (n_time, d, *self.grid.shape)
            if tuple(getattr(self, name).shape) != want:
                raise ValueError(f"{name} must have shape {want}")
        if tuple(self.potential.shape) != (n_time, *self.grid.shape):
            raise ValueError(f"potential must have shape {(n_time, *self.grid.shape)}")
        object.__setattr__(self, "momentum_faces", tuple(self.momentum_faces))

    # -- derived quantities ---------------------------------------------------------------------
    @property
    def n_time(self) -> int:
        """Number of time cells."""
        return int(self.rho.shape[0]) - 1

    @property
    def t(self) -> np.ndarray:
        """Times of ``rho``, ``k / N`` for ``k = 0..N``."""
        return np.arange(self.n_time + 1) / self.n_time

    @property
    def t_mid(self) -> np.ndarray:
        """Times of ``momentum``, ``velocity`` and ``potential``, ``(k + 1/2) / N``."""
        return (np.arange(self.n_time) + 0.5) / self.n_time

    @property
    def mass(self) -> np.ndarray:
        """Mass of every snapshot of ``rho``, shape (N + 1,)."""
        return to_numpy(self.grid.integrate(self.rho))

    def continuity_residual(self) -> float:
        """``max |d_t rho + div m|`` of the staggered discretisation, relative to ``max|d_t rho|``
        plus ``max|div m|`` (0 up to round-off and the solver's ``tol`` for the returned pair)."""
        rho = np.asarray(to_numpy(self.rho), dtype=float)
        n_time = self.n_time
        dt_rho = np.diff(rho, axis=0) * n_time
        div = np.zeros_like(dt_rho)
        for a, (m, h) in enumerate(zip(self.momentum_faces, self.grid.spacing, strict=True)):
            div += np.diff(np.asarray(to_numpy(m), dtype=float), axis=a + 1) / h
        scale = max(float(np.abs(dt_rho).max()), float(np.abs(div).max()), 1e-300)
        return float(np.abs(dt_rho + div).max()) / scale

    def kinetic_energy(self) -> np.ndarray:
        """``int |v|^2 rho dx`` at every :attr:`t_mid` (the Otto metric speed squared; constant
        along a geodesic and equal to ``w2_squared``).

        ``rho`` is the centred density ``(rho_k + rho_{k+1}) / 2`` and ``v`` is ``velocity``,
        which is 0 where ``rho`` is below the solver's density floor: cells whose density is at
        the level of the iteration residuals (tails, vacuum) carry no meaningful velocity and
        would otherwise dominate ``|m|^2 / rho``.
        """
        rho_c = 0.5 * (to_numpy(self.rho)[1:] + to_numpy(self.rho)[:-1])
        speed2 = np.sum(to_numpy(self.velocity) ** 2, axis=1)
        return (speed2 * rho_c).reshape(self.n_time, -1).sum(axis=1) * self.grid.cell_volume

    def to_solution(self) -> Solution:
        """The geodesic ``rho(t)`` as a :class:`~eulerflow.Solution` (plotting, xarray)."""
        return Solution(
            t=self.t,
            values=self.rho,
            grid=self.grid,
            field="rho",
            equation="benamou-brenier",
            parameters={"method": self.method, **self.parameters},
            backend=self.backend,
            diagnostics={"mass": self.mass},
            n_steps=self.n_iter,
            wall_time=self.wall_time,
            status=self.status,
            message=self.message,
        )

    def __repr__(self) -> str:
        return (
            f"OTResult(w2={self.w2:.6g}, method={self.method!r}, grid={self.grid!r}, "
            f"n_time={self.n_time}, converged={self.converged}, n_iter={self.n_iter}, "
            f"backend={self.backend!r})"
        )

    # -- xarray ---------------------------------------------------------------------------------
    def _content(self) -> tuple[dict, dict, dict]:
        """Data variables ``rho`` (dims ``t, x, ...``), ``momentum`` and ``velocity``
        (``t_mid, component, x, ...``), ``potential`` (``t_mid, x, ...``), ``momentum_faces_x``...
        (``t_mid, x_face, ...``) and ``diagnostic_*`` (``iteration``, or 0-d); ``w2_squared``,
        ``method`` and ``n_iter`` as attributes."""
        axes = self.grid.axis_names
        n_iter = max((np.size(v) for v in self.history.values()), default=0)
        coords: dict[str, Any] = {"t": self.t, "t_mid": self.t_mid, "component": list(axes)}
        coords.update({name: self.grid.axis_centers(a) for a, name in enumerate(axes)})
        coords["iteration"] = np.arange(1, n_iter + 1)
        data = {
            "rho": (("t", *axes), to_numpy(self.rho)),
            "momentum": (("t_mid", "component", *axes), to_numpy(self.momentum)),
            "velocity": (("t_mid", "component", *axes), to_numpy(self.velocity)),
            "potential": (("t_mid", *axes), to_numpy(self.potential)),
        }
        for a, (name, m) in enumerate(zip(axes, self.momentum_faces, strict=True)):
            dims = tuple(f"{n}_face" if b == a else n for b, n in enumerate(axes))
            coords[f"{name}_face"] = self.grid.axis_faces(a)
            data[f"momentum_faces_{name}"] = (("t_mid", *dims), to_numpy(m))
        data.update(series_variables(self.diagnostics, "iteration", _DIAGNOSTIC_PREFIX))
        attrs = {"w2_squared": self.w2_squared, "method": self.method, "n_iter": int(self.n_iter)}
        return data, coords, attrs

    @classmethod
    def _from_content(cls, ds: xr.Dataset, common: dict) -> OTResult:
        names = [n for n in ds.data_vars if str(n).startswith(_DIAGNOSTIC_PREFIX)]
        return cls(
            **{**common, "diagnostics": read_series(ds, names, _DIAGNOSTIC_PREFIX)},
            w2_squared=float(ds.attrs["w2_squared"]),
            rho=ds["rho"].to_numpy(),
            momentum=ds["momentum"].to_numpy(),
            velocity=ds["velocity"].to_numpy(),
            potential=ds["potential"].to_numpy(),
            momentum_faces=tuple(
                ds[f"momentum_faces_{name}"].to_numpy() for name in common["grid"].axis_names
            ),
            method=str(ds.attrs["method"]),
            n_iter=int(ds.attrs["n_iter"]),
        )

    # -- plotting -------------------------------------------------------------------------------
    def plot(
        self, index: int | Sequence[int] | None = None, ax: Axes | None = None, **kwargs: Any
    ) -> Figure:
        """Draw the geodesic ``rho(t)`` (see :meth:`eulerflow.Solution.plot`).

        By default five snapshots (``t = 0, 1/4, .., 1``) on 1D grids, and the middle one
        (``t = 1/2``) on 2D/3D grids.
        """
        if index is None:
            n = self.n_time
            index = n // 2 if self.grid.ndim > 1 else sorted({round(k * n / 4) for k in range(5)})
        return self.to_solution().plot(index=index, ax=ax, **kwargs)

    def animate(self, path: str | PathLike, fps: float = 10, **kwargs: Any) -> Path:
        """Write an animation of the geodesic ``rho(t)`` (``.gif`` or ``.mp4``)."""
        return self.to_solution().animate(path, fps=fps, **kwargs)
