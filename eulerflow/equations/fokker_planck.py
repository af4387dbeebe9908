"""Linear Fokker-Planck equations by Scharfetter-Gummel finite volumes.

The solver integrates (seed notes, remark after section 1.3, eqs. 31-34: the law of
``dX = b(t, X) dt + sqrt(2 eps) dW`` solves it)

    d_t rho + div(b rho) = eps Laplace rho,     b = -grad V + drift(t, x),

i.e. ``d_t rho = div(eps grad rho + rho grad V)`` for a potential ``V``, a general (possibly
time-dependent) drift, or both. Space: cell averages and the exponentially fitted
Scharfetter-Gummel / Chang-Cooper face fluxes of :mod:`eulerflow.schemes.scharfetter_gummel`
(the discrete Gibbs state ``exp(-V_i / eps)`` has exactly zero flux; walls carry no flux; periodic
axes wrap). The semi-discrete system is ``d rho / dt = L(t) rho`` with a sparse matrix ``L``
whose columns sum to zero and whose off-diagonal entries are non-negative.

Time:

- ``method="explicit"``: SSP Runge-Kutta (Shu-Osher form, :mod:`eulerflow.schemes.ssp`) with the
  fused backend kernel :meth:`~eulerflow.backends.Backend.fokker_planck_update`, under the
  positivity bound ``dt max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a <= cfl <= 1`` (the diagonal of
  ``I + dt L`` stays non-negative), which combines the diffusive and the advective limits.
- ``method="implicit"``: ``stepper="bdf2"`` (default), ``"crank-nicolson"`` or
  ``"implicit-euler"``, each step one solve with ``I - gamma L`` (``gamma = 2 dt / 3``,
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

from ..arrays import stack_like, to_numpy
from ..backends import as_input_type, get_backend
from ..grid import Grid
from ..results import Solution
from ..schemes.scharfetter_gummel import (
    assemble_operator,
    explicit_rate_bound,
    face_weights,
    operator_pattern,
    potential_face_drift,
    zero_wall_faces,
)
from ..schemes.ssp import ssp_stages
from .face_velocity import FaceVelocity
from .marching import march, snapshot_times
from .validation import as_density, negative_or_nonfinite

IMPLICIT_STEPPERS = ("bdf2", "crank-nicolson", "implicit-euler")
EXPLICIT_STEPPERS = ("ssprk3", "ssprk2", "ssprk1")
DEFAULT_IMPLICIT_STEPS = 200
"""Without ``dt``, an implicit run takes ``t_final / DEFAULT_IMPLICIT_STEPS`` as its step."""
DEFAULT_CFL = 0.8
_MAX_FACTORIZATIONS = 4


def solve_fokker_planck(
    rho0,
    grid: Grid,
    t_final: float,
    potential: Callable | np.ndarray | None = None,
    drift: Callable | Sequence | None = None,
    diffusion: float = 1.0,
    t_eval: Sequence[float] | None = None,
    method: str = "implicit",
    stepper: str | None = None,
    dt: float | None = None,
    cfl: float | None = None,
    steady: bool = False,
    backend: str = "auto",
    progress: bool | None = None,
) -> Solution:
    """Solve ``d_t rho = div(eps grad rho + rho grad V - rho b)`` from ``rho(0) = rho0``.

    Parameters
    ----------
    rho0 : array
        Initial cell averages, shape ``grid.shape``, finite and non-negative (NumPy or CuPy;
        float32 input is computed in float32, everything else in float64).
    grid : Grid
        Periodic axes wrap around; the others are walls with zero flux.
    t_final : float
        Final time, ``> 0``.
    potential : callable or array, optional
        ``V(*coords)`` evaluated at the cell centres, or an array of the cell-centre values
        (broadcastable to ``grid.shape``). The drift it adds is ``-grad V``.
    drift : callable or sequence of arrays, optional
        ``b(t, *coords) -> tuple of grid.ndim arrays`` evaluated at the face centres (at every
        stage or step, unless ``steady=True``), or fixed arrays on the faces
        (``grid.face_shape(a)``) or on the cell centres (averaged to the faces). For a
        non-symmetric linear drift ``b = -A (x - m)`` (no potential exists) use this.
    diffusion : float, default 1
        ``eps >= 0``. With ``eps = 0`` the fluxes are first-order upwind.
    t_eval : sequence of float, optional
        Snapshot times in ``[0, t_final]``, increasing; default ``[0, t_final]``.
    method : {"implicit", "explicit"}
        Time integration family (a stepper name is accepted too and implies its family).
    stepper : str, optional
        ``"bdf2"`` (default), ``"crank-nicolson"``, ``"implicit-euler"`` for implicit runs;
        ``"ssprk3"`` (default), ``"ssprk2"``, ``"ssprk1"`` for explicit runs.
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
        methods, factorise once).
    backend : {"auto", "numba", "numpy", "cupy"}
        Compute backend (see :func:`eulerflow.get_backend`).
    progress : bool, optional
        Show a progress bar (default: only on a terminal).

    Returns
    -------
    Solution
        ``sol.t``, ``sol.rho`` (snapshots, array type of ``rho0``), ``sol.mass`` and
        ``sol.diagnostics["min"]`` per snapshot; ``sol.method`` records the stepper, ``dt``
        range, the bound and the number of factorisations.

    Raises
    ------
    ValueError
        Shape mismatch, negative or non-finite ``rho0``, negative or non-finite ``diffusion``,
        a drift with the wrong number of components, ``t_final <= 0``, an explicit ``cfl`` or
        ``dt`` beyond the positivity bound, unknown method or stepper names.
    UnstableSolutionError
        Non-finite values (or, for positivity-preserving steppers, negative values), which a
        drift growing within a step faster than the step control assumed can produce.

    Examples
    --------
    >>> import eulerflow as ef
    >>> grid = ef.Grid(64, (-5, 5))
    >>> rho0 = ef.exact.gaussian_density(grid, mean=1.0, cov=0.2)
    >>> sol = ef.solve_fokker_planck(rho0, grid, 1.0, potential=lambda x: 0.5 * x**2)
    """
    family, stepper = _parse_method(method, stepper)
    eps = _check_diffusion(diffusion)
    times = snapshot_times(t_final, t_eval)
    if potential is None and drift is None and eps == 0:
        raise ValueError("nothing moves: give a potential, a drift or diffusion > 0")
    be = get_backend(backend, like=rho0, size=grid.size)
    rho, dtype = as_density(rho0, grid, be, "rho0")
    operator = _Operator(grid, potential, drift, eps, dtype, steady)
    if family == "explicit":
        runner = _ExplicitRunner(operator, be, stepper, dt, cfl)
    else:
        if cfl is not None:
            raise ValueError("cfl applies to method='explicit' only; implicit runs take dt")
        runner = _ImplicitRunner(operator, be, stepper, _implicit_dt(dt, t_final), times)

    masses: list[float] = []
    minima: list[float] = []

    def snapshot(state):
        masses.append(float(grid.integrate(state)))
        minima.append(float(state.min()))
        return as_input_type(state.copy(), like=rho0)

    def check(state) -> str | None:
        if runner.positive:
            return negative_or_nonfinite(state, be.xp)
        if not bool(be.xp.all(be.xp.isfinite(state))):
            return "the density has non-finite values"
        return None

    record = march(rho, times, runner.max_step, runner.advance, snapshot, check, progress, "FP")
    values = stack_like(record.snapshots, like=rho0)
    return Solution(
        t=times,
        values=values,
        grid=grid,
        field="rho",
        equation="fokker-planck",
        method={
            "method": family,
            "stepper": stepper,
            "diffusion": eps,
            "potential": potential is not None,
            "drift": drift is not None,
            "time_dependent": operator.time_dependent,
            "dt_min": record.dt_min,
            "dt_max": record.dt_max,
            **runner.summary(),
            "dtype": str(np.dtype(dtype)),
        },
        backend=be.name,
        diagnostics={"mass": np.array(masses), "min": np.array(minima)},
        n_steps=record.n_steps,
        wall_time=record.wall_time,
        status=0,
        message="reached t_final",
    )


# -- arguments ------------------------------------------------------------------------------------
def _parse_method(method: str, stepper: str | None) -> tuple[str, str]:
    if method in IMPLICIT_STEPPERS or method in EXPLICIT_STEPPERS:
        if stepper is not None and stepper != method:
            raise ValueError(f"method={method!r} names a stepper; stepper={stepper!r} conflicts")
        stepper = method
        method = "implicit" if method in IMPLICIT_STEPPERS else "explicit"
    if method == "implicit":
        choices = IMPLICIT_STEPPERS
    elif method == "explicit":
        choices = EXPLICIT_STEPPERS
    else:
        raise ValueError(
            f"method must be 'implicit' or 'explicit' (or a stepper name), got {method!r}"
        )
    stepper = choices[0] if stepper is None else stepper
    if stepper not in choices:
        names = ", ".join(repr(c) for c in choices)
        raise ValueError(f"stepper for method={method!r} must be one of {names}, got {stepper!r}")
    return method, stepper


def _check_diffusion(diffusion) -> float:
    if isinstance(diffusion, bool) or not isinstance(diffusion, int | float | np.number):
        raise TypeError(f"diffusion must be a real number >= 0, got {diffusion!r}")
    eps = float(diffusion)
    if not math.isfinite(eps) or eps < 0:
        raise ValueError(
            f"diffusion must be finite and >= 0 (it is the coefficient eps of eps Laplace rho), "
            f"got {diffusion!r}"
        )
    return eps


def _implicit_dt(dt, t_final: float) -> float:
    if dt is None:
        return float(t_final) / DEFAULT_IMPLICIT_STEPS
    if not (isinstance(dt, int | float | np.floating) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    return float(dt)


def potential_values(potential, grid: Grid) -> np.ndarray:
    """``V`` at the cell centres as a float64 array of ``grid.shape`` (callable or array)."""
    if callable(potential):
        values = potential(*grid.centers)
    else:
        values = to_numpy(potential)
    values = np.asarray(to_numpy(values), dtype=float)
    try:
        values = np.broadcast_to(values, grid.shape)
    except ValueError:
        raise ValueError(
            f"potential has shape {values.shape}; it must be given at the cell centres "
            f"(shape {grid.shape}, broadcastable allowed)"
        ) from None
    if not np.all(np.isfinite(values)):
        raise ValueError("potential has non-finite values at the cell centres")
    return np.array(values)


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
            values = potential_values(potential, grid)
            for a in range(grid.ndim):
                self._base[a] += potential_face_drift(values, a, spacing[a], periodic[a])
        self._drift = None
        if drift is not None:
            try:
                self._drift = FaceVelocity(drift, grid, np.float64, steady=steady)
            except (TypeError, ValueError) as err:
                raise type(err)(str(err).replace("velocity", "drift")) from None
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
            try:
                faces = self._drift(t)
            except (TypeError, ValueError) as err:
                raise type(err)(str(err).replace("velocity", "drift")) from None
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
class _ExplicitRunner:
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
                "<= 1 (the diagonal of I + dt L stays >= 0); choose cfl <= 1 or method='implicit'"
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
                f"(at t={t:.6g}); choose a smaller dt, cfl <= 1, or method='implicit'"
            )

    def max_step(self, t: float, state) -> float:
        rate = self._steady_rate if self._steady_rate is not None else self.operator.rate_bound(t)
        if self.dt is not None:
            if self._steady_rate is None:
                self._check_dt(rate, t)
            return self.dt
        return self.cfl / rate if rate > 0 else np.inf

    def advance(self, rho_n, t: float, dt: float):
        be = self.be
        grid = self.operator.grid
        if self._buffers is None:
            self._buffers = (be.xp.empty_like(rho_n), be.xp.empty_like(rho_n))
        previous = rho_n
        for k, stage in enumerate(self.stages):
            last = k == len(self.stages) - 1
            out = rho_n if (last and k > 0) else self._buffers[k % 2]
            forwards, backwards = self.device(t + stage.theta * dt)
            be.fokker_planck_update(
                rho_n,
                previous,
                forwards,
                backwards,
                grid.spacing,
                grid.periodic,
                stage.a,
                stage.b,
                stage.b * dt,
                out=out,
            )
            previous = out
        if previous is not rho_n:
            rho_n[...] = previous
        return rho_n

    def summary(self) -> dict:
        bound = self._steady_rate
        return {
            "cfl": self.cfl,
            "dt_bound": None if not bound else 1.0 / bound,
            "n_factorizations": 0,
        }


# -- implicit: implicit Euler, Crank-Nicolson, BDF2 -----------------------------------------------
class _ImplicitRunner:
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

    def summary(self) -> dict:
        finite = self.steps[np.isfinite(self.steps)]
        return {
            "dt": float(finite.max()) if finite.size else None,
            "n_factorizations": self.n_factorizations,
        }
