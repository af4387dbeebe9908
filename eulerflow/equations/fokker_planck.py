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
- ``stepper="bdf2"`` (default), ``"crank-nicolson"`` or ``"implicit-euler"`` (implicit): each
  step one solve with ``I - gamma L`` (``gamma = 2 dt / 3``,
  ``dt / 2``, ``dt``). When the operator does not depend on time (a potential, a fixed drift,
  or ``steady=True``) it is assembled once and the matrix ``I - gamma L`` factorised once per
  distinct ``gamma`` by sparse LU (``scipy.sparse`` / SuperLU on the CPU, ``cupyx.scipy.sparse``
  with device triangular solves on the GPU; four factorisations are kept, the least recently
  used evicted); a time-dependent drift is reassembled and refactorised at every step.

Steps are uniform inside each interval between snapshot times (the interval is divided into
``ceil(length / dt)`` equal steps, step ``k`` starting at ``start + k * step``: times are not
accumulated, so they do not drift), so snapshot times are hit exactly. BDF2 starts with one
implicit-Euler step (its local error ``O(dt^2)`` keeps the global order two, and it damps rough
initial data); across snapshot intervals with different step sizes it uses the variable-step
BDF2 formula with the step ratio ``w = dt_n / dt_{n-1}``,
``((1 + 2w)/(1 + w)) rho^{n+1} - (1 + w) rho^n + (w^2/(1 + w)) rho^{n-1} = dt_n L rho^{n+1}``,
and restarts with an implicit-Euler step when ``w > 2`` (zero stability needs ``w < 1 + sqrt 2``).

Properties: mass is conserved to round-off by every method (columns of ``L`` sum to zero);
explicit steps under the bound and implicit-Euler steps keep ``rho >= 0`` (``I - dt L`` is an
M-matrix); Crank-Nicolson and BDF2 are second order but not positivity preserving, so small
negative undershoots of rough data are possible (they are reported in ``diagnostics["min"]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..backends import Backend, get_backend
from ..checks import as_density, cell_values, check_grid, negative_or_nonfinite, positive_number
from ..grid import Grid
from ..marching import snapshot_times, solve_in_time, ssp_step
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

IMPLICIT_STEPPERS = ("bdf2", "crank-nicolson", "implicit-euler")
EXPLICIT_STEPPERS = ("ssprk3", "ssprk2", "ssprk1")
DEFAULT_IMPLICIT_STEPS = 200
"""Without ``dt``, an implicit run takes ``t_final / DEFAULT_IMPLICIT_STEPS`` as its step."""
DEFAULT_CFL = 0.8
_MAX_FACTORIZATIONS = 4


def solve_fokker_planck(
    rho0,
    grid: Grid,
    potential: Callable | np.ndarray | None = None,
    t_final: float | None = None,
    *,
    drift: Callable | Sequence | None = None,
    diffusion: float = 1.0,
    t_eval: Sequence[float] | None = None,
    stepper: str = "bdf2",
    dt: float | None = None,
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
    stepper : str, default "bdf2"
        Implicit ``"bdf2"``, ``"crank-nicolson"``, ``"implicit-euler"``, or explicit
        ``"ssprk3"``, ``"ssprk2"``, ``"ssprk1"`` (``"tvdrk1"`` .. ``"tvdrk3"`` are aliases).
    dt : float, optional
        Implicit: the step (default ``t_final / 200``), shortened so that every snapshot
        interval holds a whole number of equal steps. Explicit: the largest step, which must
        satisfy the positivity bound (otherwise a ``ValueError`` says the largest stable value);
        by default the bound times ``cfl``.
    cfl : float, optional
        Explicit only: the fraction ``dt * max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a`` of the
        positivity bound, in ``(0, 1]``; default 0.8.
    steady : bool, default False
        The callable ``drift`` does not depend on ``t``: evaluate it once (and, for implicit
        steppers, factorise once).
    max_steps : int, optional
        Step budget (see :func:`eulerflow.solve_continuity`).
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
        ``sol.diagnostics["min"]`` per snapshot; ``sol.parameters`` records the stepper and
        ``sol.diagnostics`` the ``dt`` range, the bound and the number of factorisations.

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
    if stepper in EXPLICIT_STEPPERS:
        integrator = _ExplicitIntegrator(operator, be, stepper, dt, cfl)
    else:
        if cfl is not None:
            raise ValueError(
                f"cfl applies to the explicit steppers (ssprk1-3) only; stepper={stepper!r} "
                "takes dt"
            )
        integrator = _ImplicitIntegrator(operator, be, stepper, _implicit_dt(dt, t_final), times)

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
    names = {name: name for name in (*IMPLICIT_STEPPERS, *EXPLICIT_STEPPERS)} | STEPPER_ALIASES
    return lookup(names, stepper, "stepper")


def _implicit_dt(dt, t_final: float) -> float:
    if dt is None:
        return float(t_final) / DEFAULT_IMPLICIT_STEPS
    if not (isinstance(dt, int | float | np.floating) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    return float(dt)


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
        """``max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a`` at time ``t``."""
        forwards, backwards = self.weights(t)
        return explicit_rate_bound(forwards, backwards, self.grid.spacing, self.grid.periodic)

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

    def __init__(self, operator: _Operator, be, stepper: str, dt, cfl) -> None:
        self.operator = operator
        self.be = be
        self.stages = ssp_stages(stepper)
        self.device = _DeviceWeights(operator, be)
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
        return self.cfl / rate if rate > 0 else np.inf

    def _stage(self, rho_n, rho_k, t_stage: float, stage, dt: float, out) -> None:
        grid = self.operator.grid
        forwards, backwards = self.device(t_stage)
        self.be.fokker_planck_update(
            rho_n,
            rho_k,
            forwards,
            backwards,
            grid.spacing,
            grid.periodic,
            stage.a,
            stage.b,
            stage.b * dt,
            out=out,
        )

    def advance(self, rho_n, t: float, dt: float):
        if self._buffers is None:
            self._buffers = (self.be.xp.empty_like(rho_n), self.be.xp.empty_like(rho_n))
        ssp_step(self.stages, self._stage, rho_n, t, dt, self._buffers)
        return rho_n

    def settings(self) -> dict:
        return {"cfl": self.cfl, "dt": self.dt}

    def summary(self) -> dict:
        bound = self._steady_rate
        return {"dt_bound": np.nan if not bound else 1.0 / bound, "n_factorizations": 0}


# -- implicit: implicit Euler, Crank-Nicolson, BDF2 -----------------------------------------------
class _ImplicitIntegrator:
    def __init__(self, operator: _Operator, be, stepper: str, dt: float, times) -> None:
        self.operator = operator
        self.be = be
        self.stepper = stepper
        self.positive = stepper == "implicit-euler"
        self.device = _DeviceWeights(operator, be)
        # Uniform steps inside each snapshot interval: step k of interval i runs from
        # starts[i] + k * steps[i] to starts[i] + (k + 1) * steps[i] (the last one to times[i]),
        # computed from (i, k), never accumulated, so that no round-off drift creeps in.
        starts = np.concatenate(([0.0], times[:-1]))
        lengths = times - starts
        counts = np.where(lengths > 0, np.maximum(np.ceil(lengths / dt * (1 - 1e-12)), 1), 0)
        self.times = times
        self.starts = starts
        self.counts = counts.astype(np.int64)
        self.steps = np.where(lengths > 0, lengths / np.maximum(counts, 1), np.inf)
        self._interval = 0
        self._k = 0  # steps taken in the current interval
        self._solvers: dict[float, Callable] = {}  # least recently used first
        self._identity = None
        self._matrix = None
        self.n_factorizations = 0
        self._previous = None  # (rho^{n-1}, dt_{n-1}) for BDF2

    def _current(self) -> int:
        """Index of the interval holding the next step (finished intervals skipped)."""
        while self._interval < len(self.counts) and self._k >= self.counts[self._interval]:
            self._interval += 1
            self._k = 0
        return self._interval

    def max_step(self, t: float, state) -> float:
        i = self._current()
        return float(self.steps[i]) if i < len(self.steps) else math.inf

    def _solve(self, gamma: float, rhs, t_new: float):
        """``(I - gamma L(t_new))^{-1} rhs`` with cached factorisations."""
        op = self.operator
        key = float(f"{gamma:.12e}")
        solve = None if op.time_dependent else self._solvers.pop(key, None)
        if solve is not None:
            self._solvers[key] = solve  # now the most recently used
        if solve is None:
            import scipy.sparse

            if self._matrix is None or op.time_dependent:
                self._matrix = op.matrix(t_new)
            identity = scipy.sparse.identity(op.grid.size, dtype=op.dtype, format="csr")
            solve = self.be.sparse_factorized((identity - gamma * self._matrix).tocsc())
            self.n_factorizations += 1
            if not op.time_dependent:
                if len(self._solvers) >= _MAX_FACTORIZATIONS:  # evict the least recently used
                    self._solvers.pop(next(iter(self._solvers)))
                self._solvers[key] = solve
        x = solve(rhs.ravel())
        return x.reshape(rhs.shape).astype(rhs.dtype, copy=False)

    def _apply(self, rho, t: float, c: float):
        """``rho + c L(t) rho`` with the backend kernel."""
        grid = self.operator.grid
        forwards, backwards = self.device(t)
        return self.be.fokker_planck_update(
            rho, rho, forwards, backwards, grid.spacing, grid.periodic, 0.0, 1.0, c
        )

    def advance(self, rho_n, t: float, dt: float):
        i = self._current()
        step, k = float(self.steps[i]), self._k
        if not abs(dt - step) <= 1e-6 * step + 16 * math.ulp(float(self.times[i])):
            raise RuntimeError(
                f"internal error: the marching driver asked for dt={dt!r} at t={t!r}, "
                f"but interval {i} is divided into steps of {step!r}"
            )
        dt = step  # the driver's dt and t differ from the exact ones by round-off only
        t = float(self.starts[i] + k * step)
        last = k + 1 == self.counts[i]
        t_new = float(self.times[i]) if last else float(self.starts[i] + (k + 1) * step)
        self._k += 1
        if self.stepper == "implicit-euler":
            new = self._solve(dt, rho_n, t_new)
        elif self.stepper == "crank-nicolson":
            new = self._solve(0.5 * dt, self._apply(rho_n, t, 0.5 * dt), t_new)
        else:
            new = self._bdf2(rho_n, t_new, dt)
        rho_n[...] = new
        return rho_n

    def _bdf2(self, rho_n, t_new: float, dt: float):
        previous = self._previous
        current = rho_n.copy()
        if previous is None or dt / previous[1] > 2.0:
            new = self._solve(dt, rho_n, t_new)  # implicit-Euler start (or restart)
        else:
            rho_old, dt_old = previous
            w = dt / dt_old
            if abs(w - 1) < 1e-9:
                w = 1.0
            alpha = (1 + 2 * w) / (1 + w)
            rhs = ((1 + w) * rho_n - (w * w / (1 + w)) * rho_old) / alpha
            new = self._solve(dt / alpha, rhs, t_new)
        self._previous = (current, dt)
        return new

    def settings(self) -> dict:
        finite = self.steps[np.isfinite(self.steps)]
        return {"dt": float(finite.max()) if finite.size else None}

    def summary(self) -> dict:
        return {"n_factorizations": self.n_factorizations}
