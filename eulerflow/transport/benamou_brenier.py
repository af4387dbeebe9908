"""``benamou_brenier``: dynamic optimal transport by proximal splitting on a staggered grid."""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ..backends import as_input_type, get_backend
from ..backends.base import Backend
from ..checks import as_density, check_grid
from ..exceptions import ConvergenceWarning
from ..grid import Grid
from ..progress import progress_bar
from .adaptive import ResidualBalancing
from .alg2 import ALG2
from .douglas_rachford import DouglasRachford
from .iteration import Method
from .primal_dual import ChambollePock
from .result import OTResult
from .staggered_space import StaggeredSpace

METHODS: dict[str, type[Method]] = {
    "douglas-rachford": DouglasRachford,
    "chambolle-pock": ChambollePock,
    "alg2": ALG2,
}
"""Method names and their iterations."""

_DUAL_EVERY = 10  # iterations between evaluations of the dual residual (one more Poisson solve)
_PRIMAL_EVERY = 10  # iterations between evaluations of the primal residual while change > tol

_ALIASES = {"dr": "douglas-rachford", "pdhg": "chambolle-pock", "cp": "chambolle-pock"}

FLOAT32_MIN_TOL = 1e-5
"""The smallest ``tol`` accepted for float32 iterations on any grid (see
:func:`float32_min_tol`)."""


def float32_min_tol(shape: tuple[int, ...], n_time: int) -> float:
    """The smallest ``tol`` float32 iterations accept on a grid of ``shape`` with ``n_time`` time
    cells: ``max(1e-5, 2 eps n)`` with ``eps`` the float32 machine epsilon and ``n`` the most
    cells along an axis, time included.

    The residuals of float32 iterates stall at about ``eps n`` (0.4 to 1.3 ``eps n`` measured
    from 64 cells in 1D to 128^2 x 32 and 24^3 x 12: the round-off of the space-time Poisson
    solve, amplified by its gradient); ``2 eps n`` stays above that floor.
    """
    n = max(*shape, n_time)
    return max(FLOAT32_MIN_TOL, 2 * float(np.finfo(np.float32).eps) * n)


# Default step parameters in the scaled units (mean density 1, longest box side 1), as functions
# of the mass-weighted mean density rho_w = int rho^2 / int rho (1 for uniform densities, about
# 12 for a Gaussian of width 0.08): the best proximal step of |m|^2 / (2 rho) grows like
# sqrt(rho_w), 3 sqrt(rho_w) for all three methods (scans over smooth positive densities, Gaussian
# bumps and uniform disks, 32^2 to 64^2; the counts barely depend on the resolution).
def default_options(name: str, rho_w: float) -> dict[str, float]:
    """Default step parameters of method ``name`` for the mass-weighted mean density ``rho_w``."""
    step = 3.0 * math.sqrt(max(rho_w, 1.0))
    return {
        "douglas-rachford": {"gamma": step, "alpha": 1.9},
        "chambolle-pock": {"sigma": 1.0 / step, "theta": 0.99},
        "alg2": {"r": 1.0 / step},
    }[name]


def mass_weighted_density(rho0, rho1) -> float:
    """``rho_w = sum rho^2 / sum rho`` over both densities (in the scaled units), the density
    scale of :func:`default_options`."""
    f64 = np.float64
    squares = (rho0 * rho0).sum(dtype=f64) + (rho1 * rho1).sum(dtype=f64)
    return float(squares / (rho0.sum(dtype=f64) + rho1.sum(dtype=f64)))


def benamou_brenier(
    rho0,
    rho1,
    grid: Grid,
    *,
    n_time: int = 32,
    method: str = "douglas-rachford",
    tol: float = 1e-4,
    max_iter: int = 5000,
    normalize: bool = False,
    density_floor: float = 1e-6,
    dtype: DTypeLike | None = None,
    adaptive: bool = False,
    backend: str | Backend = "auto",
    progress: bool | None = None,
    **method_options: Any,
) -> OTResult:
    r"""Optimal transport between two densities by the Benamou-Brenier dynamic formulation.

    Solves

    .. math::

        \min_{\rho, m} \int_0^1 \int \frac{|m|^2}{2 \rho} \, dx \, dt
        \quad \text{s.t.} \quad \partial_t \rho + \nabla \cdot m = 0,\;
        \rho(0) = \rho_0,\; \rho(1) = \rho_1,\; m \cdot n = 0 \text{ on walls},

    whose minimal value is :math:`W_2^2 / 2` (Benamou and Brenier 2000, with :math:`m = \rho v`).
    The discretisation is the staggered space-time grid of Papadakis, Peyre and Oudet (2014):
    ``rho`` on the ``n_time + 1`` time faces, ``m`` on the space faces of ``n_time`` time cells, the
    cost summed over the space-time cells on the centred averages ``I(rho, m)``. Each iteration is
    one pointwise proximal map of :math:`|m|^2 / (2 \rho)` (``Backend.bb_prox``) and one projection
    onto the continuity constraint by a space-time Poisson solve with DCTs/FFTs
    (``Backend.bb_poisson``).

    Parameters
    ----------
    rho0, rho1 : array_like
        Non-negative, finite densities (cell averages) of the grid's shape with equal masses
        ``grid.integrate(rho)``. Vacuum (zero density) is allowed anywhere.
    grid : Grid
        The spatial grid (1D, 2D or 3D; walled and/or periodic axes).
    n_time : int, default 32
        Number of time cells; ``rho`` is returned at ``t = k / n_time``.
    method : {"douglas-rachford", "chambolle-pock", "alg2"}
        ``"douglas-rachford"`` (PPO 2014, relaxation ``alpha``, step ``gamma``),
        ``"chambolle-pock"`` (PDHG of PPO 2014, steps ``sigma`` and ``tau = theta / sigma``) or
        ``"alg2"`` (the augmented Lagrangian of Benamou and Brenier 2000, parameter ``r``).
    tol : float, default 1e-4
        Stop when the three relative residuals are all below ``tol``: ``primal`` (the centred
        proximal iterate against the interpolation of the projected one, the constraint
        residual of the splitting), ``dual`` (the KKT residual ``min_phi |I^T xi - G phi|``,
        the discrete form of ``v = grad phi``, ``d_t phi + |grad phi|^2 / 2 = 0`` where
        ``rho > 0``, relative to ``|I^T xi|`` or, when larger, to its value for a velocity of
        one cell per unit time, so that transport below the grid resolution, the identity
        ``rho0 = rho1`` included, is measured against the grid; it costs one more Poisson
        solve and is evaluated every 10 iterations and whenever the other two are below
        ``tol``) and ``change`` (relative change of the iterate, every iteration). ``primal``
        is evaluated every 10 iterations and whenever ``change`` is below ``tol``, so the
        stopping iteration is the same as with every residual evaluated every iteration; both
        are NaN in the history in between. The returned ``(rho, m)`` satisfies the discrete
        continuity equation to round-off whatever ``tol``. The default is reached well within
        the default ``max_iter`` (see *Default tolerance* below); ``1e-6`` is not, except for
        smooth positive densities. float32 iterations refuse ``tol`` below
        ``max(1e-5, 2 eps n)`` (``n`` the most cells along an axis, time included) with a
        ``ValueError`` (see *Single precision* below).
    max_iter : int, default 5000
        Iteration limit; reaching it gives ``converged=False`` and a
        :class:`~eulerflow.ConvergenceWarning`.
    normalize : bool, default False
        Rescale both densities to unit mass first (needed when their masses differ).
    density_floor : float, default 1e-6
        Relative floor: ``velocity = momentum / rho`` where ``rho > density_floor * max(rho)``,
        else 0.
    dtype : {None, numpy.float32, numpy.float64}, default None
        Working precision of the iterates and of the returned arrays. ``None``: float32 if both
        densities are float32 arrays, else float64.
    adaptive : bool, default False
        Residual balancing of the step (``eulerflow.transport.adaptive``): every 10 iterations,
        when the relative ``primal`` residual exceeds 10 times the ``dual`` one the proximal
        step of the kinetic action is halved, when the ``dual`` one exceeds 10 times the
        ``primal`` one it is doubled (at most 20 changes). It rescues a badly chosen step
        parameter; with the default steps it changes little (see *Adaptive steps* below).
    backend : str or Backend, default "auto"
        Compute backend (see :func:`eulerflow.get_backend`).
    progress : bool or None
        Show a progress bar (``None``: only on a terminal).
    **method_options
        Step parameters of the method (``gamma``, ``alpha``; ``sigma``, ``theta``; ``r``), in the
        scaled units below. The defaults
        (``eulerflow.transport.benamou_brenier.default_options``: proximal step
        ``3 sqrt(rho_w)`` with ``rho_w = int rho^2 / int rho`` in scaled units) need no tuning.

    Returns
    -------
    OTResult
        ``w2``, ``w2_squared``, the geodesic ``rho``, ``momentum``, ``velocity``, the dual
        ``potential`` phi, convergence data and the per-iteration ``history``.

    Notes
    -----
    *Scaling.* The iteration runs on the problem rescaled to mean density 1 and longest box side
    1 (``rho / rho_bar``, ``x / L``, ``m / (rho_bar L)``), so the default steps do not depend on
    the units, the mass or the resolution. The value is reported in the original units:
    ``w2_squared = sum_cells |m_c|^2 / rho_c dt |cell|``, i.e. the minimal action; for densities
    of mass ``M`` this is ``M`` times ``W_2^2`` of the normalised densities.

    *Accuracy and iterations.* For smooth positive densities the discrete ``W_2^2`` converges at
    second order in the grid and time steps (linear-to-uniform pair: relative errors 9.8e-3,
    2.4e-3, 6.1e-4, 1.5e-4 on 16..128 cells with ``n_time = n / 2``). ``W_2^2`` converges much
    faster than the residuals: Douglas-Rachford and Chambolle-Pock reach a relative error of 1e-4
    (against their own limit) in 45-75 iterations from 16^2 x 8 to 128^2 x 32, ALG2 (which is
    Douglas-Rachford without over-relaxation) in about 90-140; all residuals below ``tol = 1e-6``
    take 600-3600 iterations (fewer on finer grids), the dual (KKT) residual being the slowest.

    *Default tolerance.* With the defaults (``n_time = 32``, ``tol = 1e-4``) the iterations to
    convergence measured on Gaussians (32^2 on ``[-1, 1]^2``: different covariances, and a shift
    of 0.02; 1D, 64 cells), translated compact bumps (64 cells; 24^2 walled; 32^2 periodic),
    uniform disks (radii 0.3 to 0.7, 32^2), intervals (64 cells) and the linear-to-uniform pair
    (64 cells) are 54-1376 for Douglas-Rachford, 38-1353 for Chambolle-Pock and 73-2615 for
    ALG2, within the default ``max_iter = 5000``; ``W_2^2`` is then within 1e-5 to 1e-3 of its
    converged value (7e-3 for the shift of 0.02, which is below the cell width). ``tol = 1e-5``
    takes 130-7300 Douglas-Rachford iterations on the same pairs (Chambolle-Pock and ALG2 need
    more than 4000 on six of the nine), and ``tol = 1e-6`` more than 8000 except on the smooth
    positive pair, because the primal residual decays like ``1 / iteration`` where the
    densities vanish or have Gaussian tails.

    *Single precision.* With float32 iterates every reduction (residual norms, kinetic action,
    masses) is still accumulated in float64, on every backend, so the residuals measure the
    float32 iterates and not a float32 summation. The residuals then stall at about ``eps n``,
    with ``eps = 1.2e-7`` the float32 machine epsilon and ``n`` the most cells along an axis,
    time included (largest residual over 300 iterations past convergence, linear-to-uniform
    pairs: 3.7e-6 at 64 cells x 32, 3.4e-6 at 32^2 x 16, 6.5e-6 at 64^2 x 16, 8.8e-6 at
    64^2 x 64, 1.3e-5 at 128^2 x 32, 3.5e-6 at 24^3 x 12, 2.6e-5 at 512 cells x 32): the
    round-off of the space-time Poisson solve, amplified by its gradient. So ``tol`` below
    ``max(1e-5, 2 eps n)`` (``float32_min_tol``; 1e-5 up to 41 cells per axis, 3.1e-5 at 128)
    is refused for float32 with a ``ValueError``. Above it float32 takes the same iterations as
    float64 (+-3 % at ``tol`` = 1e-4 and 1e-5 on the pairs of *Default tolerance* below and at
    the limit on 64^2 x 16) and its ``W_2^2`` is within 2e-6 (relative) of the float64 one on
    those pairs, 1.6e-5 at the limit on 64^2 x 16, where the round-off of the float32 iterate
    is of the size of ``tol``. An iteration moves half the
    bytes: at 128^2 x 32 it takes about 30 % less time than in float64 on the Numba backend
    (``benchmarks/benamou_brenier.py --parts adaptive``).

    *Adaptive steps.* ``adaptive=True`` balances the relative primal and dual residuals by
    halving or doubling the proximal step (He, Yang and Wang 2000; Goldstein et al. 2015;
    ``eulerflow.transport.adaptive``). Iterations to a relative error of 1e-4 in ``W_2^2`` at
    32^2 x 16 on a fixed family of pairs (``benchmarks/benamou_brenier.py --parts adaptive``;
    smooth positive / uniform disks / Gaussian bumps on a floor of 1e-3), without and with
    adaptation: Douglas-Rachford 27 / 154 / 799 both ways, Chambolle-Pock 31 / 496 / 776 and
    32 / 496 / 776, ALG2 55 / 631 / over 1500 and 68 / 631 / over 1500; Gaussian bumps without
    the floor take over 1500 with every method. The default steps are already balanced (the
    residuals stay within a factor 10 of each other), so adaptation is off by default and
    Douglas-Rachford stays the default method. With a step 10 times too small or too large
    adaptation recovers most of the loss (smooth pair: 59-162 iterations instead of 158-584).

    *Vacuum.* Zero-density regions are a normal use: the proximal map returns exactly
    ``(rho, m) = (0, 0)`` there and the result has no NaN. The price is convergence speed: with
    vacuum the residuals and the error of ``W_2^2`` decay roughly like ``1 / iteration`` instead
    of geometrically, so ``tol = 1e-4`` takes 500-1000 iterations (compact bumps, disks) where a
    positive pair needs about 100, and ``tol = 1e-6`` may need ``max_iter`` beyond the default.
    The discretisation error is second order for smooth bumps (translation of a smooth compact
    bump: relative errors 2e-4 - 3e-4 at 64 cells in 1D and 24^2 in 2D) but first order when the
    densities jump at the edge of their support (uniform disks: 1.6e-2 at 16^2, 1.0e-2 at 32^2).
    Outside the support only ``d_t phi + |grad phi|^2 / 2 <= 0`` holds, so ``potential`` is
    meaningful on the support only, and ``velocity`` is set to 0 where ``rho`` is below the
    floor.

    *Negative densities.* The returned ``rho`` is the projected (constraint-satisfying) iterate,
    not clipped. The cost sees it only through the centred averages
    ``rho_c = (rho[k] + rho[k + 1]) / 2`` of two time faces, and only ``rho_c >= 0`` (the domain
    of ``|m|^2 / (2 rho)``) is imposed: ``rho_c >= -tol * max(rho)`` (-0.3 to -0.5 ``tol``
    measured). With ``rho[0] = rho0`` given, ``rho_c`` determines ``rho`` face by face,
    ``rho[k + 1] = 2 rho_c[k] - rho[k]``, so where the minimiser has ``rho_c = 0`` for a time
    cell at a point that carries mass just before, ``rho[k + 1] = -rho[k] < 0``: an odd-even
    oscillation in time that belongs to the discrete minimiser and does not shrink with
    ``tol``. It shows where the geodesic opens a short gap of vacuum inside the mass, typically
    at the cut locus of a periodic axis, where the mass going either way round separates: for
    ``N(0.35, 0.08^2)`` to ``N(0.6, 0.05^2)`` on the periodic unit interval ``min(rho) /
    max(rho)`` is -4.7e-3 (32 cells, ``n_time = 16``), -4.4e-3 (64, 16), -1.3e-2 (64, 32) and
    -8.2e-4 (128, 32) at ``tol = 1e-6``, down to -1.8e-2 at ``tol`` = 1e-4 or 1e-5. Odd cell
    counts give the same, so it is not the spatial checkerboard that the centred average cannot
    see on an even periodic axis (that kernel of ``I`` holds momentum only: ``rho`` is fixed by
    ``rho_c``). Without such a gap the negative values shrink with ``tol``: the same pair with
    walls gives -5.0e-4, -3.3e-5, -5.8e-6 at ``tol`` = 1e-4, 1e-5, 1e-6, and translated bumps,
    Gaussians, disks and intervals, walled and periodic, stay above -1.5e-4 at ``tol = 1e-5``.
    Where a non-negative density is needed, use ``rho_c`` (as
    :meth:`OTResult.kinetic_energy` does).

    Examples
    --------
    >>> grid = Grid(64, (0, 1))
    >>> x = grid.axis_centers(0)
    >>> res = benamou_brenier(np.exp(-((x - 0.3) / 0.05) ** 2), np.exp(-((x - 0.6) / 0.05) ** 2),
    ...                       grid, n_time=16, normalize=True, backend="numpy")
    >>> res.converged, round(res.w2, 3)  # a translation by 0.3: W2 = 0.3
    (True, 0.3)
    """
    start_time = time.perf_counter()
    request = _validate(
        rho0,
        grid,
        n_time=n_time,
        method=method,
        tol=tol,
        max_iter=max_iter,
        normalize=normalize,
        density_floor=density_floor,
        dtype=dtype,
        adaptive=adaptive,
        backend=backend,
        method_options=method_options,
    )
    r0, r1, mass = _densities(rho0, rho1, request)
    scaling = UnitScaling.of(grid, mass, request.n_time)
    r0, r1 = scaling.density_to_unit(r0), scaling.density_to_unit(r1)
    rho_w = mass_weighted_density(r0, r1)
    options = _method_options(request.method, method_options, rho_w)
    space = StaggeredSpace(request.backend, r0, r1, request.n_time, scaling.spacing, grid.periodic)
    iteration = METHODS[request.method](space, space.straight_start(), **options)
    setup_time = time.perf_counter() - start_time

    balancing = ResidualBalancing() if request.adaptive else None
    run = _iterate(iteration, request, scaling, progress, balancing)
    request.backend.synchronize()
    loop_time = time.perf_counter() - start_time - setup_time
    if not run.converged:
        warnings.warn(
            f"benamou_brenier ({request.method}): {run.message}", ConvergenceWarning, stacklevel=2
        )
    timings = {
        "setup": setup_time,
        "iterations": loop_time,
        "per_iteration": loop_time / max(run.n_iter, 1),
        "total": time.perf_counter() - start_time,
    }
    return _result(request, scaling, iteration, run, rho_w, timings, like=rho0)


@dataclasses.dataclass(frozen=True)
class UnitScaling:
    """The scaling of a problem to the unit problem the iteration runs on: mean density 1 and
    longest box side 1 (``rho / rho_bar``, ``x / length``, ``m / (rho_bar length)``,
    ``phi / length^2``).

    ``w2_factor`` turns the kinetic sum ``sum |m_c|^2 / (2 rho_c)`` of the unit problem into
    ``W_2^2`` in physical units (``2 rho_bar length^(2 + d) |cell| / n_time`` with the scaled cell
    volume ``|cell|``); ``spacing`` holds the scaled cell widths.
    """

    rho_bar: float
    length: float
    w2_factor: float
    spacing: tuple[float, ...]

    @classmethod
    def of(cls, grid: Grid, mass: float, n_time: int) -> UnitScaling:
        """The scaling of densities of total ``mass`` on ``grid`` with ``n_time`` time cells."""
        rho_bar = mass / float(np.prod(grid.lengths))
        length = max(grid.lengths)
        spacing = tuple(h / length for h in grid.spacing)
        w2_factor = 2 * rho_bar * length ** (2 + grid.ndim) * float(np.prod(spacing)) / n_time
        return cls(rho_bar, length, w2_factor, spacing)

    def density_to_unit(self, rho):
        """``rho / rho_bar`` in the dtype of ``rho``."""
        return rho * rho.dtype.type(1 / self.rho_bar)

    def density(self, rho):
        """A density of the unit problem in physical units."""
        return rho * self.rho_bar

    def momentum(self, m):
        """A momentum component of the unit problem in physical units."""
        return m * (self.rho_bar * self.length)

    def potential(self, phi):
        """A potential of the unit problem in physical units."""
        return phi * self.length**2

    def w2_squared(self, kinetic: float) -> float:
        """``W_2^2`` in physical units from the kinetic sum of the unit problem."""
        return self.w2_factor * kinetic


@dataclasses.dataclass(frozen=True)
class _Request:
    """The validated arguments of one call."""

    grid: Grid
    method: str
    n_time: int
    tol: float
    max_iter: int
    normalize: bool
    density_floor: float
    dtype: np.dtype | None
    adaptive: bool
    backend: Backend


@dataclasses.dataclass(frozen=True)
class _Run:
    """What the iteration loop found."""

    converged: bool
    n_iter: int
    history: dict
    message: str
    step_changes: int


def _validate(
    like,
    grid,
    *,
    n_time,
    method,
    tol,
    max_iter,
    normalize,
    density_floor,
    dtype,
    adaptive,
    backend,
    method_options: dict,
) -> _Request:
    """The arguments other than the densities checked, and the backend (``"auto"`` steered by
    the array type of ``like`` and the problem size); fails before any work."""
    check_grid(grid)
    name = _method_name(method)
    _method_options(name, method_options, 1.0)  # unknown names fail before any work
    n_time = _positive_int(n_time, "n_time")
    max_iter = _positive_int(max_iter, "max_iter")
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if not (isinstance(density_floor, int | float) and density_floor >= 0):
        raise ValueError(f"density_floor must be a non-negative number, got {density_floor!r}")
    dtype = _dtype(dtype)
    if dtype is not None:
        _check_tol(tol, dtype, grid.shape, n_time)
    be = get_backend(backend, like=like, size=grid.size * n_time)
    if not isinstance(adaptive, bool | np.bool_):
        raise TypeError(f"adaptive must be True or False, got {adaptive!r}")
    return _Request(
        grid, name, n_time, tol, max_iter, bool(normalize), density_floor, dtype, bool(adaptive), be
    )


def _densities(rho0, rho1, request: _Request):
    """``rho0``, ``rho1`` checked and on the backend in the working dtype (``request.dtype``, or
    float32 if both are float32, else float64), with equal masses (see :func:`_equal_masses`),
    and the mass."""
    grid, be = request.grid, request.backend
    r0, dtype = as_density(rho0, grid, be, "rho0")
    r1, dtype1 = as_density(rho1, grid, be, "rho1")
    if dtype1 != dtype:
        dtype = np.dtype(np.float64)
    if request.dtype is not None:
        dtype = request.dtype
    _check_tol(request.tol, dtype, grid.shape, request.n_time)
    r0, r1 = r0.astype(dtype, copy=False), r1.astype(dtype, copy=False)
    return _equal_masses(r0, r1, grid, dtype, request.normalize)


def _iterate(
    iteration: Method,
    request: _Request,
    scaling: UnitScaling,
    progress: bool | None,
    balancing: ResidualBalancing | None = None,
) -> _Run:
    """Steps of ``iteration`` until the residuals are below ``tol`` or ``max_iter``; with
    ``balancing``, the step is rebalanced whenever both relative residuals were evaluated."""
    name, tol, max_iter = request.method, request.tol, request.max_iter
    space = iteration.space
    history: dict[str, list[float]] = {"w2_squared": [], "primal": [], "dual": [], "change": []}
    converged = False
    n_iter = 0
    check_dual = False
    with progress_bar(max_iter, progress, f"benamou-brenier ({name})", unit="it") as bar:
        for n_iter in range(1, max_iter + 1):
            with_dual = check_dual or n_iter % _DUAL_EVERY == 0 or n_iter == max_iter
            iteration.step(with_dual=with_dual)
            res = iteration.residuals
            res.primal = math.nan
            with_primal = res.change <= tol or n_iter % _PRIMAL_EVERY == 0 or n_iter == max_iter
            if with_primal:
                iteration.primal_residual()
            history["w2_squared"].append(scaling.w2_squared(space.kinetic(iteration.v)))
            history["primal"].append(res.primal)
            history["dual"].append(res.dual)
            history["change"].append(res.change)
            bar.update(1)
            if n_iter % _PRIMAL_EVERY == 0:
                bar.set_postfix(w2sq=f"{history['w2_squared'][-1]:.6g}", primal=f"{res.primal:.1e}")
            if not (math.isfinite(res.change) and (math.isfinite(res.primal) or not with_primal)):
                raise FloatingPointError(
                    f"the {name} iteration produced non-finite values at iteration {n_iter}"
                )
            check_dual = res.change <= tol and res.primal <= tol  # primal is NaN if not evaluated
            if check_dual and with_dual and res.dual <= tol:
                converged = True
                break
            if balancing is not None and with_dual and with_primal:
                factor = balancing.factor_for(res.primal, res.dual)
                if factor != 1.0:
                    iteration.scale_step(factor)
    if converged:
        message = f"converged in {n_iter} iterations (all residuals <= tol = {tol:g})"
    else:
        last = {k: history[k][-1] for k in ("primal", "dual", "change")}
        message = (
            f"not converged after max_iter = {max_iter} iterations: residuals "
            + ", ".join(f"{k} {v:.2e}" for k, v in last.items())
            + f" (tol = {tol:g}); raise max_iter or tol"
        )
    changes = balancing.changes if balancing is not None else 0
    return _Run(converged, n_iter, history, message, changes)


def _result(
    request: _Request,
    scaling: UnitScaling,
    iteration: Method,
    run: _Run,
    rho_w: float,
    timings: dict,
    like,
) -> OTResult:
    """The :class:`OTResult` in physical units, arrays of the type of ``like``."""
    space = iteration.space
    xp = space.xp
    u = iteration.u
    centred = space.interpolate(u, space.centred())
    rho = scaling.density(u.rho)
    rho_c = scaling.density(centred.rho)
    momentum = xp.stack([scaling.momentum(m) for m in centred.m], axis=1)
    floor = request.density_floor * float(xp.max(rho))
    positive = rho_c > floor
    safe = xp.where(positive, rho_c, 1)
    velocity = xp.stack(
        [xp.where(positive, scaling.momentum(m) / safe, 0) for m in centred.m], axis=1
    )
    potential = scaling.potential(iteration.potential())
    options = {
        **iteration.options,
        "n_time": request.n_time,
        "tol": request.tol,
        "max_iter": request.max_iter,
        "rho_w": rho_w,
        "normalize": request.normalize,
        "density_floor": request.density_floor,
        "adaptive": request.adaptive,
    }
    return OTResult(
        w2_squared=scaling.w2_squared(space.kinetic(iteration.v)),
        rho=as_input_type(rho, like),
        momentum=as_input_type(momentum, like),
        velocity=as_input_type(velocity, like),
        potential=as_input_type(potential, like),
        momentum_faces=tuple(as_input_type(scaling.momentum(m), like) for m in u.m),
        grid=request.grid,
        method=request.method,
        parameters=options,
        backend=request.backend.name,
        status=0 if run.converged else 1,
        n_iter=run.n_iter,
        diagnostics={
            **{k: np.asarray(v, dtype=float) for k, v in run.history.items()},
            "setup_time": timings["setup"],
            "time_per_iteration": timings["per_iteration"],
            "step_changes": run.step_changes,
        },
        wall_time=timings["total"],
        message=run.message,
    )


def _method_name(method: str) -> str:
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    key = _ALIASES.get(method.lower(), method.lower())
    if key not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return key


def _method_options(name: str, given: dict, rho_w: float) -> dict:
    defaults = default_options(name, rho_w)
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(unknown)} for method {name!r}; "
            f"it takes {', '.join(defaults)}"
        )
    options = {**defaults, **given}
    for key, value in options.items():
        if not (isinstance(value, int | float) and math.isfinite(value)):
            raise ValueError(f"{key} must be a finite number, got {value!r}")
    return {k: float(v) for k, v in options.items()}


def _dtype(dtype) -> np.dtype | None:
    """``dtype`` as float32 or float64 (``None`` stays ``None``: the dtype of the inputs)."""
    if dtype is None:
        return None
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind not in (np.float32, np.float64):
        raise ValueError(f"dtype must be None, numpy.float32 or numpy.float64, got {dtype!r}")
    return kind


def _check_tol(tol: float, dtype: np.dtype, shape: tuple[int, ...], n_time: int) -> None:
    """Refuse a ``tol`` that iterations in ``dtype`` cannot reach (:func:`float32_min_tol`)."""
    if dtype != np.float32:
        return
    limit = float32_min_tol(shape, n_time)
    if tol < limit:
        raise ValueError(
            f"tol = {tol:g} is below what float32 iterations reach on {shape} x {n_time} cells "
            f"(the residuals stall at float32 round-off): with dtype float32 (float32 inputs or "
            f"dtype=np.float32) use tol >= {limit:.3g}, or dtype=np.float64"
        )


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _equal_masses(r0, r1, grid: Grid, dtype, normalize: bool):
    """Masses checked (and rescaled with ``normalize``); ``rho1`` gets exactly ``rho0``'s mass."""
    # sums accumulated in float64 (as grid.integrate in float64)
    m0 = float(r0.sum(dtype=np.float64)) * grid.cell_volume
    m1 = float(r1.sum(dtype=np.float64)) * grid.cell_volume
    for m, label in ((m0, "rho0"), (m1, "rho1")):
        if not m > 0:
            raise ValueError(f"{label} has zero mass; optimal transport needs positive densities")
    if normalize:
        return r0 * dtype.type(1 / m0), r1 * dtype.type(1 / m1), 1.0
    rtol = 1e-5 if dtype == np.float32 else 1e-8
    if abs(m0 - m1) > rtol * max(m0, m1):
        raise ValueError(
            f"rho0 and rho1 must have equal masses: rho0 has mass {m0:.10g}, rho1 has mass "
            f"{m1:.10g} (grid.integrate); rescale them or pass normalize=True"
        )
    # equal up to round-off: make them equal exactly (the Poisson right-hand side sums to 0)
    return r0, r1 * dtype.type(m0 / m1), m0
