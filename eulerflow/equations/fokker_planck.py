"""Linear Fokker-Planck equations by Scharfetter-Gummel finite volumes.

The solver integrates (the law of ``dX = b(t, X) dt + sqrt(2 eps) dW`` solves it; Risken,
*The Fokker-Planck Equation*, 1989)

    d_t rho + div(b rho) = eps Laplace rho,     b = -grad V + drift(t, x),

i.e. ``d_t rho = div(eps grad rho + rho grad V)`` for a potential ``V``, a general (possibly
time-dependent) drift, or both. Space: cell averages and the exponentially fitted
Scharfetter-Gummel / Chang-Cooper face fluxes of :mod:`eulerflow.schemes.scharfetter_gummel`
(the discrete Gibbs state ``exp(-V_i / eps)`` has exactly zero flux; walls carry no flux; periodic
axes wrap). The semi-discrete system is ``d rho / dt = L(t) rho`` with a sparse matrix ``L``
whose columns sum to zero and whose off-diagonal entries are non-negative.

Time:

- ``stepper="ssprk1" .. "ssprk3"`` (explicit): SSP Runge-Kutta (Shu-Osher form,
  :mod:`eulerflow.schemes.ssp`) with the fused backend kernel
  :meth:`~eulerflow.backends.Backend.fokker_planck_update`, under the positivity bound
  ``dt max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a <= cfl <= 1`` (the diagonal of ``I + dt L``
  stays non-negative), which combines the diffusive and the advective limits.
- ``stepper="bdf2"``, ``"crank-nicolson"`` or ``"implicit-euler"`` (implicit): each
  step one solve with ``I - gamma L`` (``gamma = 2 dt / 3``,
  ``dt / 2``, ``dt``). When the operator does not depend on time (a potential, a fixed drift,
  or ``steady=True``) it is assembled once and the matrix ``I - gamma L`` factorised once per
  distinct ``gamma`` by sparse LU (``scipy.sparse`` / SuperLU on the CPU, ``cupyx.scipy.sparse``
  with device triangular solves on the GPU; four factorisations are kept, the least recently
  used evicted); a time-dependent drift is reassembled and refactorised at every step.

The default ``stepper="auto"`` runs explicit Euler at 0.8 of the positivity bound or
error-controlled BDF2, whichever ``eulerflow.equations.fokker_planck_cost`` estimates to be
cheaper for the grid and ``t_final`` (with ``dt``, ``rtol`` or ``atol`` it is BDF2).

Steps. Without ``dt``, BDF2 and implicit Euler choose their steps by a local error estimate
(:class:`~eulerflow.equations.fokker_planck_implicit.ErrorControlledSteps`: the corrector
against an explicit predictor of the same order), with local tolerances set so that the global
relative L1 time error is about ``rtol`` (default :func:`default_rtol` of this module: ``2e-4
(256 / n)^2`` for ``n`` cells along the longest axis, below the spatial error of the grid on the
standard problems). A step size that changes by less than 30 % reuses the nearest LU
factorisation (a few sweeps of the simplified Newton iteration), and the step grows only
fourfold at once, so that a run needs few factorisations. With ``dt`` (and always for
Crank-Nicolson, default ``t_final / 200``) the steps are uniform inside each interval between
snapshot times (step ``k`` starts at ``start + k * step``: times are not accumulated), BDF2
starts with one implicit-Euler step and uses the variable-step formula with the step ratio ``w =
dt_n / dt_{n-1}`` across intervals. Explicit steppers take the positivity bound times ``cfl``
(their time error is then far below the spatial one); with ``rtol``/``atol`` an embedded SSP
pair shortens the steps further when the tolerance asks for it. Accepted and rejected steps,
factorisations and solves are in ``sol.n_steps`` and ``sol.diagnostics``.

Properties: mass is conserved to round-off by every method (columns of ``L`` sum to zero);
explicit steps under the bound and implicit-Euler steps keep ``rho >= 0`` (``I - dt L`` is an
M-matrix); Crank-Nicolson and BDF2 are second order but not positivity preserving, so small
negative undershoots of rough data are possible (they are reported in ``diagnostics["min"]``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

from ..backends import Backend, get_backend
from ..checks import as_density, cell_values, check_grid, negative_or_nonfinite, positive_number
from ..grid import Grid
from ..marching import (
    EmbeddedErrorControl,
    resolve_tolerances,
    snapshot_times,
    solve_in_time,
    ssp_step,
)
from ..results import Solution
from ..schemes.choices import lookup
from ..schemes.scharfetter_gummel import (
    assemble_operator,
    explicit_rate_bound,
    face_weights,
    operator_pattern,
    potential_face_drift,
    zero_wall_faces,
)
from ..schemes.ssp import STEPPER_ALIASES, ssp_stages
from .face_velocity import FaceVelocity
from .fokker_planck_cost import DEFAULT_CFL, choose_stepper
from .fokker_planck_implicit import ErrorControlledSteps, FixedSteps

IMPLICIT_STEPPERS = ("bdf2", "crank-nicolson", "implicit-euler")
EXPLICIT_STEPPERS = ("ssprk3", "ssprk2", "ssprk1")
DEFAULT_IMPLICIT_STEPS = 200
"""Without ``dt``, a Crank-Nicolson run takes ``t_final / DEFAULT_IMPLICIT_STEPS`` as its step."""
RTOL_AT_256 = 2e-4
"""The default ``rtol`` (about the relative L1 time error of the run) on a grid of 256 cells
along its longest axis: below the spatial error on the Ornstein-Uhlenbeck benchmark."""


def default_rtol(grid: Grid) -> float:
    """The default ``rtol`` of an error-controlled implicit run on ``grid``.

    ``RTOL_AT_256 (256 / n)^2`` for ``n`` cells along the longest axis, within
    ``[1e-8, 1e-2]``: the spatial error of the scheme falls like ``n^-2``, and the time error
    of an error-controlled run is about ``rtol``, so the time error stays below the spatial one
    on every grid as it was measured to at 256 cells.
    """
    n = max(grid.shape)
    return float(min(1e-2, max(1e-8, RTOL_AT_256 * (256.0 / n) ** 2)))


def solve_fokker_planck(
    rho0,
    grid: Grid,
    potential: Callable | np.ndarray | None = None,
    t_final: float | None = None,
    *,
    drift: Callable | Sequence | None = None,
    diffusion: float = 1.0,
    t_eval: Sequence[float] | None = None,
    stepper: str = "auto",
    dt: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    cfl: float | None = None,
    steady: bool = False,
    max_steps: int | None = None,
    backend: str | Backend = "auto",
    progress: bool | None = None,
    callback: Callable[[float, object], object] | None = None,
) -> Solution:
    """Solve ``d_t rho = div(eps grad rho + rho grad V - rho b)`` from ``rho(0) = rho0``.

    Parameters
    ----------
    rho0 : array
        Initial cell averages, shape ``grid.shape``, finite and non-negative (NumPy or CuPy;
        float32 input is computed in float32, everything else in float64).
    grid : Grid
        Periodic axes wrap around; the others are walls with zero flux.
    potential : callable or array, optional
        ``V(*coords)`` evaluated at the cell centres, or an array of the cell-centre values
        (broadcastable to ``grid.shape``). The drift it adds is ``-grad V``.
    t_final : float
        Final time, ``> 0`` (required).
    drift : callable or sequence of arrays, optional
        ``b(t, *coords) -> tuple of grid.ndim arrays`` evaluated at the face centres (at every
        stage or step, unless ``steady=True``), or fixed arrays on the faces
        (``grid.face_shape(a)``) or on the cell centres (averaged to the faces). For a
        non-symmetric linear drift ``b = -A (x - m)`` (no potential exists) use this.
    diffusion : float, default 1
        ``eps >= 0``. With ``eps = 0`` the fluxes are first-order upwind.
    t_eval : sequence of float, optional
        Snapshot times in ``[0, t_final]``, increasing; default ``[0, t_final]``.
    stepper : str, default "auto"
        Implicit ``"bdf2"``, ``"crank-nicolson"``, ``"implicit-euler"``, explicit
        ``"ssprk3"``, ``"ssprk2"``, ``"ssprk1"`` (``"tvdrk1"`` .. ``"tvdrk3"`` are aliases), or
        ``"auto"``: with ``dt``, ``rtol`` or ``atol`` it is ``"bdf2"``; otherwise the cheaper of
        explicit Euler at 0.8 of the positivity bound and error-controlled BDF2 at the grid's
        default ``rtol``, by the cost model of ``eulerflow.equations.fokker_planck_cost``
        (short runs and 3D grids go explicit, long runs to equilibrium implicit). Both reach
        the spatial error of the grid; ``sol.parameters["stepper"]`` says which one ran.
    dt : float, optional
        Fixed steps. Implicit: the step, shortened so that every snapshot interval holds a whole
        number of equal steps (default: error-controlled steps for BDF2 and implicit Euler,
        ``t_final / 200`` for Crank-Nicolson). Explicit: the largest step, which must satisfy
        the positivity bound (otherwise a ``ValueError`` says the largest stable value); by
        default the bound times ``cfl``.
    rtol, atol : float, optional
        Error-controlled steps (not with ``dt``). ``rtol`` is about the relative L1 error the
        time stepping may add over the run (default for BDF2 and implicit Euler:
        ``2e-4 (256 / n)^2`` for ``n`` cells along the longest axis); ``atol`` an absolute
        floor in the units of ``rho`` (default ``1e-3 rtol max|rho0|``), as in
        ``scipy.integrate.solve_ivp``. Explicit ``ssprk2``/``ssprk3`` runs use them only when
        given (embedded estimate under the positivity bound); Crank-Nicolson and ``ssprk1``
        refuse them.
    cfl : float, optional
        Explicit only: the fraction ``dt * max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a`` of the
        positivity bound, in ``(0, 1]``; default 0.8.
    steady : bool, default False
        The callable ``drift`` does not depend on ``t``: evaluate it once (and, for implicit
        steppers, factorise once).
    max_steps : int, optional
        Step budget (see :func:`eulerflow.solve_continuity`); ``stepper="auto"`` does not
        choose an explicit run that would exceed it.
    backend : {"auto", "numba", "numpy", "cupy"} or Backend
        Compute backend (see :func:`eulerflow.get_backend`).
    progress : bool, optional
        Show a progress bar (default: only on a terminal).
    callback : callable ``(t, rho)``, optional
        Called after every time step (see :func:`eulerflow.solve_continuity`).

    Returns
    -------
    Solution
        ``sol.t``, ``sol.rho`` (snapshots, array type of ``rho0``), ``sol.mass`` and
        ``sol.diagnostics["min"]`` per snapshot; ``sol.parameters`` records the stepper, ``dt``,
        ``rtol`` and ``atol``, ``sol.n_steps`` the accepted steps and ``sol.diagnostics`` the
        ``dt`` range, ``n_rejected``, ``n_factorizations`` and ``n_solves``.

    Raises
    ------
    TypeError
        ``grid`` is not a Grid, ``t_final`` is missing, ``potential`` or ``drift`` is neither a
        callable nor arrays (e.g. a string).
    ValueError
        Shape mismatch, negative or non-finite ``rho0``, negative or non-finite ``diffusion``,
        a drift with the wrong number of components, ``t_final <= 0``, an explicit ``cfl`` or
        ``dt`` beyond the positivity bound, unknown stepper names, a run that needs more than
        ``max_steps`` steps.
    UnstableSolutionError
        Non-finite values (or, for positivity-preserving steppers, negative values), which a
        drift growing within a step faster than the step control assumed can produce.

    References
    ----------
    .. [1] D. L. Scharfetter and H. K. Gummel, "Large-signal analysis of a silicon Read diode
       oscillator", IEEE Trans. Electron Devices 16 (1969) 64-77.
    .. [2] J. S. Chang and G. Cooper, "A practical difference scheme for Fokker-Planck
       equations", J. Comput. Phys. 6 (1970) 1-16.
    .. [3] E. Hairer, S. P. Norsett and G. Wanner, *Solving Ordinary Differential Equations I*,
       2nd ed., Springer 1993, sections II.4 and III.5 (step size control, variable-step BDF).

    Examples
    --------
    >>> import eulerflow as ef
    >>> grid = ef.Grid(64, (-5, 5))
    >>> rho0 = ef.exact.gaussian_density(grid, mean=1.0, cov=0.2)
    >>> sol = ef.solve_fokker_planck(rho0, grid, lambda x: 0.5 * x**2, 1.0)
    >>> sol.rho.shape
    (2, 64)
    """
    grid = check_grid(grid)
    if t_final is None:
        raise TypeError("solve_fokker_planck() missing required argument: 't_final'")
    stepper = _check_stepper(stepper)
    eps = positive_number(diffusion, "diffusion", allow_zero=True)
    times = snapshot_times(t_final, t_eval)
    if potential is None and drift is None and eps == 0:
        raise ValueError("nothing moves: give a potential, a drift or diffusion > 0")
    be = get_backend(backend, like=rho0, size=grid.size)
    rho, dtype = as_density(rho0, grid, be, "rho0")
    operator = _Operator(grid, potential, drift, eps, dtype, steady)
    device = _DeviceWeights(operator, be)
    stepper, choice = _resolve_auto(
        stepper, operator, float(times[-1]), dt, rtol, atol, cfl, max_steps
    )
    if dt is not None and (rtol is not None or atol is not None):
        raise ValueError("give either dt (fixed steps) or rtol/atol (error control), not both")
    if stepper in EXPLICIT_STEPPERS:
        control = EmbeddedErrorControl.optional(stepper, rtol, atol, rho, be.xp)
        integrator = _ExplicitIntegrator(operator, device, be, stepper, dt, cfl, control)
    else:
        if cfl is not None:
            raise ValueError(
                f"cfl applies to the explicit steppers (ssprk1-3) only; stepper={stepper!r} "
                "takes dt or rtol/atol"
            )
        integrator = _implicit_integrator(operator, device, be, stepper, dt, rtol, atol, rho, times)

    def check(state) -> str | None:
        if integrator.positive:
            return negative_or_nonfinite(state, be.xp)
        if not bool(be.xp.all(be.xp.isfinite(state))):
            return "the density has non-finite values"
        return None

    return solve_in_time(
        rho,
        times,
        integrator,
        grid=grid,
        like=rho0,
        field="rho",
        equation="fokker-planck",
        parameters={
            "stepper": stepper,
            "diffusion": eps,
            "potential": potential is not None,
            "drift": drift is not None,
            "time_dependent": operator.time_dependent,
            "auto": choice is not None,
            "cost_explicit": None if choice is None else choice.explicit_cost,
            "cost_implicit": None if choice is None else choice.implicit_cost,
            **integrator.settings(),
            "dtype": str(np.dtype(dtype)),
        },
        backend=be.name,
        check=check,
        record=lambda state: {"mass": float(grid.integrate(state)), "min": float(state.min())},
        progress=progress,
        callback=callback,
        max_steps=max_steps,
    )


# -- arguments ------------------------------------------------------------------------------------
def _check_stepper(stepper: str) -> str:
    """The canonical stepper name (aliases resolved)."""
    names = {name: name for name in ("auto", *IMPLICIT_STEPPERS, *EXPLICIT_STEPPERS)}
    names |= STEPPER_ALIASES
    return lookup(names, stepper, "stepper")


def _resolve_auto(stepper, operator, t_final, dt, rtol, atol, cfl, max_steps):
    """``(stepper, choice)``: the method ``stepper="auto"`` stands for (``choice`` is the
    :class:`StepperChoice` when the cost model picked it, else ``None``). An explicit run that
    would need more than ``max_steps`` steps is not chosen."""
    if stepper != "auto":
        return stepper, None
    if cfl is not None:
        raise ValueError(
            "cfl applies to the explicit steppers only: name one (stepper='ssprk1', 'ssprk2' "
            "or 'ssprk3')"
        )
    if dt is not None or rtol is not None or atol is not None:
        return "bdf2", None
    grid = operator.grid
    choice = choose_stepper(
        grid.ndim,
        grid.size,
        t_final,
        operator.rate_bound(0.0),
        default_rtol(grid),
        operator.time_dependent,
    )
    if max_steps is not None and choice.stepper == "ssprk1" and choice.explicit_cost > max_steps:
        choice = dataclasses.replace(choice, stepper="bdf2")
    return choice.stepper, choice


def _implicit_integrator(operator, device, be, stepper, dt, rtol, atol, rho, times):
    """Fixed steps when ``dt`` is given (or for Crank-Nicolson), else error-controlled."""
    t_final = float(times[-1])
    if stepper == "crank-nicolson":
        if rtol is not None or atol is not None:
            raise ValueError(
                "stepper='crank-nicolson' runs with fixed steps (dt=...): use 'bdf2' or "
                "'implicit-euler' for error control with rtol/atol"
            )
        if dt is None:
            dt = t_final / DEFAULT_IMPLICIT_STEPS
    if dt is not None:
        if not (isinstance(dt, int | float | np.floating) and math.isfinite(dt) and dt > 0):
            raise ValueError(f"dt must be a positive number, got {dt!r}")
        return FixedSteps(operator, device, be, stepper, float(dt), times)
    rtol = default_rtol(operator.grid) if rtol is None else rtol
    rtol, atol = resolve_tolerances(rtol, atol, rho, be.xp)
    return ErrorControlledSteps(operator, device, be, stepper, rtol, atol, rho, times)


# -- the operator ---------------------------------------------------------------------------------
class _Operator:
    """Face weights ``(f, g)`` of every axis at time ``t`` (host NumPy) and the sparse ``L``."""

    def __init__(self, grid: Grid, potential, drift, eps: float, dtype, steady: bool) -> None:
        self.grid = grid
        self.eps = eps
        self.dtype = np.dtype(dtype)
        spacing, periodic = grid.spacing, grid.periodic
        self._base = [np.zeros(grid.face_shape(a)) for a in range(grid.ndim)]
        if potential is not None:
            values = cell_values(potential, grid, "potential")
            for a in range(grid.ndim):
                self._base[a] += potential_face_drift(values, a, spacing[a], periodic[a])
        self._drift = None
        if drift is not None:
            self._drift = FaceVelocity(drift, grid, np.float64, steady=steady, name="drift")
        self.time_dependent = self._drift is not None and not self._drift.steady
        self._pattern = None
        self._cached: tuple[float, tuple] | None = None
        self._rate: tuple[float, float] | None = None

    def weights(self, t: float) -> tuple[tuple, tuple]:
        """``(forwards, backwards)``: per axis the face weights at time ``t`` (NumPy)."""
        if not self.time_dependent:
            t = 0.0
        if self._cached is not None and self._cached[0] == t:
            return self._cached[1]
        grid = self.grid
        drifts = list(self._base)
        if self._drift is not None:
            faces = self._drift(t)
            drifts = [d + u for d, u in zip(drifts, faces, strict=True)]
        forwards, backwards = [], []
        for a, b in enumerate(drifts):
            f, g = face_weights(b, grid.spacing[a], self.eps)
            f, g = np.array(f, dtype=self.dtype), np.array(g, dtype=self.dtype)
            if not grid.periodic[a]:
                zero_wall_faces(f, a)
                zero_wall_faces(g, a)
            forwards.append(f)
            backwards.append(g)
        result = (tuple(forwards), tuple(backwards))
        self._cached = (t, result)
        return result

    def rate_bound(self, t: float) -> float:
        """``max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a`` at time ``t`` (kept for the last ``t``,
        like the weights: the stepper choice and the explicit integrator both ask at 0)."""
        if not self.time_dependent:
            t = 0.0
        if self._rate is None or self._rate[0] != t:
            forwards, backwards = self.weights(t)
            rate = explicit_rate_bound(forwards, backwards, self.grid.spacing, self.grid.periodic)
            self._rate = (t, rate)
        return self._rate[1]

    def matrix(self, t: float):
        """The SciPy CSR matrix of ``L(t)``."""
        if self._pattern is None:
            self._pattern = operator_pattern(self.grid.shape, self.grid.periodic)
        forwards, backwards = self.weights(t)
        return assemble_operator(
            forwards, backwards, self.grid.spacing, self._pattern, self.grid.size, self.dtype
        )


class _DeviceWeights:
    """The operator's weights on the backend's device, for the last time asked."""

    def __init__(self, operator: _Operator, be) -> None:
        self.operator = operator
        self.be = be
        self._last: tuple[float, tuple] | None = None

    def __call__(self, t: float) -> tuple[tuple, tuple]:
        if not self.operator.time_dependent:
            t = 0.0
        if self._last is None or self._last[0] != t:
            forwards, backwards = self.operator.weights(t)
            be = self.be
            self._last = (
                t,
                (tuple(be.asarray(w) for w in forwards), tuple(be.asarray(w) for w in backwards)),
            )
        return self._last[1]


# -- explicit SSP Runge-Kutta ---------------------------------------------------------------------
class _ExplicitIntegrator:
    positive = True

    def __init__(self, operator: _Operator, device, be, stepper: str, dt, cfl, control) -> None:
        self.operator = operator
        self.be = be
        self.stages = ssp_stages(stepper)
        self.device = device
        self.control = control
        self.error_controlled = control is not None
        if dt is not None and cfl is not None:
            raise ValueError("give either dt or cfl for an explicit run, not both")
        if dt is not None and not (
            isinstance(dt, int | float | np.floating) and math.isfinite(dt) and dt > 0
        ):
            raise ValueError(f"dt must be a positive number, got {dt!r}")
        if cfl is None:
            cfl = DEFAULT_CFL if dt is None else None
        elif not (
            isinstance(cfl, int | float | np.floating) and math.isfinite(cfl) and 0 < cfl <= 1
        ):
            raise ValueError(
                f"cfl={cfl!r} is outside the stable range (0, 1]: explicit steps keep the "
                "density non-negative only while dt * max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a "
                "<= 1 (the diagonal of I + dt L stays >= 0); choose cfl <= 1 or an implicit "
                "stepper"
            )
        self.cfl = None if cfl is None else float(cfl)
        self.dt = None if dt is None else float(dt)
        self.spacing, self.periodic = operator.grid.spacing, operator.grid.periodic
        self._steady_rate = None if operator.time_dependent else operator.rate_bound(0.0)
        if self.dt is not None and self._steady_rate is not None:
            self._check_dt(self._steady_rate, 0.0)
        self._buffers = None

    def _check_dt(self, rate: float, t: float) -> None:
        if self.dt * rate > 1 * (1 + 1e-12):
            raise ValueError(
                f"dt={self.dt!r} is beyond the explicit positivity bound dt <= {1 / rate:.6g} "
                f"(at t={t:.6g}); choose a smaller dt, cfl <= 1, or an implicit stepper"
            )

    def max_step(self, t: float, state) -> float:
        rate = self._steady_rate if self._steady_rate is not None else self.operator.rate_bound(t)
        if self.dt is not None:
            if self._steady_rate is None:
                self._check_dt(rate, t)
            return self.dt
        stable = self.cfl / rate if rate > 0 else np.inf
        return stable if self.control is None else self.control.limit(stable)

    def _stage(self, rho_n, rho_k, t_stage: float, stage, dt: float, out) -> None:
        forwards, backwards = self.device(t_stage)
        self.be.fokker_planck_update(
            rho_n,
            rho_k,
            forwards,
            backwards,
            self.spacing,
            self.periodic,
            stage.a,
            stage.b,
            stage.b * dt,
            out=out,
        )

    def advance(self, rho_n, t: float, dt: float):
        if self._buffers is None:
            self._buffers = (self.be.xp.empty_like(rho_n), self.be.xp.empty_like(rho_n))
        if self.control is not None:
            return self.control.step(self.stages, self._stage, rho_n, t, dt, self._buffers)
        ssp_step(self.stages, self._stage, rho_n, t, dt, self._buffers)
        return rho_n

    def settings(self) -> dict:
        control = {"rtol": None, "atol": None} if self.control is None else self.control.settings()
        return {"cfl": self.cfl, "dt": self.dt, **control}

    def summary(self) -> dict:
        bound = self._steady_rate
        return {"dt_bound": np.nan if not bound else 1.0 / bound, "n_factorizations": 0}
