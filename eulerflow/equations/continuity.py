"""Finite-volume solver of the continuity equation ``d_t rho + div(rho v) = 0``.

Discretisation (the mass in a control volume changes by minus its net outflow; LeVeque, *Finite
Volume Methods for Hyperbolic Problems*, 2002, ch. 4 and 6): cell averages ``rho_i``, face
velocities ``v_{a, j}``, upwind fluxes with MUSCL reconstruction and a slope limiter
(:mod:`eulerflow.schemes.muscl`), and the semi-discrete system
``d rho_i / dt = -sum_a (F_{a, i+1} - F_{a, i}) / h_a`` integrated by an SSP Runge-Kutta method
(:mod:`eulerflow.schemes.ssp`). The fluxes telescope and vanish through walls, so the total mass
is conserved to round-off; the step ``dt = cfl / sum_a (max|v_a| / h_a)`` with ``cfl`` below the
bound of :mod:`eulerflow.schemes.cfl` keeps non-negative densities non-negative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..backends import Backend, get_backend
from ..checks import as_density, check_grid, negative_or_nonfinite
from ..grid import Grid
from ..marching import EmbeddedErrorControl, snapshot_times, solve_in_time, ssp_step
from ..results import Solution
from ..schemes.cfl import check_cfl
from ..schemes.limiters import limiter_code
from ..schemes.ssp import ssp_name, ssp_stages
from .face_velocity import FaceVelocity, max_courant_rate


def solve_continuity(
    rho0,
    grid: Grid,
    velocity: Callable | Sequence,
    t_final: float,
    *,
    t_eval: Sequence[float] | None = None,
    limiter: str = "vanleer",
    stepper: str = "ssprk3",
    cfl: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    steady: bool = False,
    max_steps: int | None = None,
    backend: str | Backend = "auto",
    progress: bool | None = None,
    callback: Callable[[float, object], object] | None = None,
) -> Solution:
    """Solve ``d_t rho + div(rho v) = 0`` from ``rho(0) = rho0`` up to ``t_final``.

    Parameters
    ----------
    rho0 : array
        Initial cell averages, shape ``grid.shape``, finite and non-negative. NumPy or CuPy;
        float32 input is computed in float32, everything else in float64.
    grid : Grid
        The grid; periodic axes wrap around, the others are walls with zero flux.
    velocity : callable or sequence of arrays
        ``v(t, *coords) -> tuple of grid.ndim arrays`` evaluated at the face centres (at every
        Runge-Kutta stage, unless ``steady=True``), or fixed arrays given on the faces
        (``grid.face_shape(a)``) or on the cell centres (averaged to the faces).
    t_final : float
        Final time, ``> 0``.
    t_eval : sequence of float, optional
        Snapshot times in ``[0, t_final]``, increasing; default ``[0, t_final]``.
    limiter : {"vanleer", "minmod", "superbee", "mc", "none"}
        Slope limiter of the MUSCL reconstruction; ``"none"`` is first-order donor cell.
    stepper : {"ssprk3", "ssprk2", "ssprk1"}
        SSP Runge-Kutta method (Shu-Osher form; ``"tvdrk1"`` .. ``"tvdrk3"`` are aliases).
    cfl : float, optional
        Courant number ``dt * sum_a max|v_a| / h_a``; at most 0.5 for MUSCL and 1 for donor
        cell (the positivity bounds). Default: 80% of the bound.
    rtol, atol : float, optional
        Error-controlled steps below the CFL bound: the embedded SSP-RK estimate
        (``ssprk2``/``ssprk3``, ``eulerflow.schemes.ssp.EMBEDDED_ERROR``) keeps the local
        error under ``atol + rtol |rho|`` (aggregated in L1; ``scipy.integrate.solve_ivp``
        convention; ``rtol`` defaults to 1e-3 when only ``atol`` is given, ``atol`` to
        ``1e-3 rtol max|rho0|``). Without them (default) the step is the CFL bound alone, whose
        time error is already far below the spatial error of the scheme.
    steady : bool, default False
        The callable ``velocity`` does not depend on ``t``: evaluate it once.
    max_steps : int, optional
        Step budget (default ``eulerflow.marching.DEFAULT_MAX_STEPS``): a run whose first
        step shows it needs more raises ``ValueError`` before any work; a run that uses it up
        stops with a :class:`~eulerflow.StepBudgetWarning` and ``status=1``.
    backend : {"auto", "numba", "numpy", "cupy"} or Backend
        Compute backend (see :func:`eulerflow.get_backend`).
    progress : bool, optional
        Show a progress bar (default: only on a terminal).
    callback : callable ``(t, rho)``, optional
        Called after every time step with the time and the current density (a backend array
        owned by the solver: read or copy it, do not modify it).

    Returns
    -------
    Solution
        ``sol.t``, ``sol.rho`` (snapshots, same array type as ``rho0``), ``sol.mass`` and
        ``sol.diagnostics["min"]`` per snapshot, the scheme in ``sol.parameters``.

    Raises
    ------
    TypeError
        ``grid`` is not a :class:`~eulerflow.Grid`; ``velocity`` is neither a callable nor
        arrays.
    ValueError
        Shape mismatch (of ``rho0`` or of the velocity components), negative or non-finite
        density, ``t_final <= 0``, a Courant number outside the stable range, unknown scheme
        names, a run that needs more than ``max_steps`` steps.
    UnstableSolutionError
        The solution became non-finite or negative (only possible with a velocity that grows
        faster during a step than the step control assumes); ``err.solution`` holds the run so
        far.

    References
    ----------
    .. [1] B. van Leer, "Towards the ultimate conservative difference scheme. V. A second-order
       sequel to Godunov's method", J. Comput. Phys. 32 (1979) 101-136.
    .. [2] C.-W. Shu and S. Osher, "Efficient implementation of essentially non-oscillatory
       shock-capturing schemes", J. Comput. Phys. 77 (1988) 439-471.

    Examples
    --------
    >>> import eulerflow as ef
    >>> grid = ef.Grid(64, (0, 1), periodic=True)
    >>> rho0 = ef.exact.gaussian_density(grid, mean=0.3, cov=0.005)
    >>> sol = ef.solve_continuity(rho0, grid, lambda t, x: (1.0 + 0 * x,), 1.0, steady=True)
    >>> bool(abs(sol.mass[-1] - sol.mass[0]) < 1e-12)
    True
    """
    grid = check_grid(grid)
    limiter_code(limiter)
    stepper = ssp_name(stepper)
    cfl = check_cfl(cfl, limiter)
    times = snapshot_times(t_final, t_eval)
    be = get_backend(backend, like=rho0, size=grid.size)
    rho, dtype = as_density(rho0, grid, be, "rho0")
    faces = FaceVelocity(velocity, grid, dtype, steady=steady)
    control = EmbeddedErrorControl.optional(stepper, rtol, atol, rho, be.xp)
    integrator = _ContinuityIntegrator(faces, be, grid, limiter, stepper, cfl, rho, control)
    return solve_in_time(
        rho,
        times,
        integrator,
        grid=grid,
        like=rho0,
        field="rho",
        equation="continuity",
        parameters={
            "limiter": limiter,
            "stepper": stepper,
            "cfl": cfl,
            "rtol": None if control is None else control.rtol,
            "atol": None if control is None else control.atol,
            "steady_velocity": faces.steady,
            "dtype": str(np.dtype(dtype)),
        },
        backend=be.name,
        check=lambda state: negative_or_nonfinite(state, be.xp),
        record=lambda state: {"mass": float(grid.integrate(state)), "min": float(state.min())},
        progress=progress,
        callback=callback,
        max_steps=max_steps,
    )


class _ContinuityIntegrator:
    """SSP Runge-Kutta stages of the MUSCL upwind rate, with CFL-limited steps (and, with a
    ``control``, error-controlled ones below that bound)."""

    def __init__(
        self, faces: FaceVelocity, be, grid: Grid, limiter, stepper, cfl, like, control
    ) -> None:
        self.faces = faces
        self.control = control
        self.error_controlled = control is not None
        self.be = be
        self.grid = grid
        self.limiter = limiter
        self.stages = ssp_stages(stepper)
        self.cfl = cfl
        self.buffers = (be.xp.empty_like(like), be.xp.empty_like(like))
        self._device: dict[float, tuple] = {}
        self._steady_rate = max_courant_rate(faces(0.0), grid.spacing) if faces.steady else None

    def _device_faces(self, t: float) -> tuple:
        if self.faces.steady:
            t = 0.0
        if t not in self._device:
            self._device.clear()
            self._device[t] = tuple(self.be.asarray(u) for u in self.faces(t))
        return self._device[t]

    def max_step(self, t: float, rho) -> float:
        rate = self._steady_rate
        if rate is None:
            rate = max_courant_rate(self.faces(t), self.grid.spacing)
        stable = self.cfl / rate if rate > 0 else np.inf
        return stable if self.control is None else self.control.limit(stable)

    def _stage(self, rho_n, rho_k, t_stage: float, stage, dt: float, out) -> None:
        self.be.transport_update(
            rho_n,
            rho_k,
            self._device_faces(t_stage),
            self.grid.spacing,
            self.grid.periodic,
            self.limiter,
            stage.a,
            stage.b,
            stage.b * dt,
            out=out,
        )

    def advance(self, rho_n, t: float, dt: float):
        if self.control is not None:
            return self.control.step(self.stages, self._stage, rho_n, t, dt, self.buffers)
        ssp_step(self.stages, self._stage, rho_n, t, dt, self.buffers)
        return rho_n

    def summary(self) -> dict:
        return {}
