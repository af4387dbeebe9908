"""Time marching to a list of snapshot times: the one loop behind every time-dependent solver.

A solver describes its time integration by an *integrator* (:class:`Integrator`): the largest
stable step at the current state and the step itself. :func:`march` advances the state through
the snapshot times, shortening steps to land exactly on each of them, and :func:`solve_in_time`
wraps it into what every solver returns: it records the snapshots and their diagnostics, checks
the state at every snapshot (non-finite or negative values raise
:class:`~eulerflow.UnstableSolutionError` with the partial :class:`~eulerflow.Solution` attached,
never returned silently), enforces the step budget ``max_steps`` (an estimate from the first
step that exceeds it raises before any work; running out during the run stops with a warning and
``status=1``), calls the user's ``callback`` after every step, shows a progress bar and builds the
:class:`~eulerflow.Solution`. :func:`ssp_step` is the Shu-Osher stage loop shared by the explicit
Runge-Kutta solvers.

The elapsed time is a compensated (Neumaier) sum of the steps, so it does not drift with the
number of steps. A step after which at most ``SNAP_FRACTION * dt`` plus ``SNAP_ULPS`` ulp of the
snapshot time remain lands on the snapshot time: that remainder is round-off, and taking it as a
spurious tiny step would, for example, restart a multistep method. No step exceeds ``max_step``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .arrays import stack_like
from .backends import as_input_type
from .exceptions import StepBudgetWarning, UnstableSolutionError
from .grid import Grid
from .progress import progress_bar
from .results import Solution
from .schemes.ssp import EMBEDDED_ERROR, ORDER, Stage, ssp_name
from .schemes.step_control import ErrorControl, check_tolerances

DEFAULT_MAX_STEPS = 1_000_000
"""Step budget of a run when ``max_steps=None``: far above any ordinary run, far below a run of
hours started by mistake (a velocity of 1e6, ``dt=1e-9``, ``t_final=1e4``)."""

SNAP_FRACTION = 1e-9
"""A step that leaves at most this fraction of itself (plus :data:`SNAP_ULPS` ulp of the target)
before a snapshot time lands on it: the rest is round-off, not a step to take."""
SNAP_ULPS = 8

MAX_REJECTIONS = 50
"""An error-controlled run stops with :class:`~eulerflow.UnstableSolutionError` after this many
rejected steps in a row (each shrinks the step by at least the controller's safety factor)."""
ATOL_FRACTION = 1e-3
"""A default ``atol`` is this fraction of ``rtol`` times the size of the initial state."""


class Integrator(Protocol):
    """The time integration of one solver, as :func:`solve_in_time` drives it."""

    def max_step(self, t: float, state) -> float:
        """Largest stable step from ``t`` (``inf``: nothing moves)."""

    def advance(self, state, t: float, dt: float):
        """One step from ``t`` to ``t + dt``; returns the new state (may update in place), or
        ``None`` when an error-controlled step is rejected (``state`` untouched; the next
        :meth:`max_step` then proposes a shorter step)."""

    def summary(self) -> dict[str, Any]:
        """Scalar diagnostics of the whole run (rejected steps, factorisations...)."""


def snapshot_times(t_final: float, t_eval: Sequence[float] | None) -> np.ndarray:
    """Validated snapshot times: ``[0, t_final]`` by default, else sorted ``t_eval``."""
    if isinstance(t_final, bool) or not (
        isinstance(t_final, int | float | np.floating) and math.isfinite(t_final)
    ):
        raise ValueError(f"t_final must be a finite number, got {t_final!r}")
    if t_final <= 0:
        raise ValueError(f"t_final must be positive, got {t_final!r}")
    if t_eval is None:
        return np.array([0.0, float(t_final)])
    times = np.asarray(t_eval, dtype=float).ravel()
    if times.size == 0:
        raise ValueError("t_eval must contain at least one time")
    if not np.all(np.isfinite(times)) or times[0] < 0 or times[-1] > t_final:
        raise ValueError(f"t_eval must lie in [0, t_final] = [0, {t_final}], got {t_eval!r}")
    if np.any(np.diff(times) <= 0):
        raise ValueError("t_eval must be strictly increasing")
    return times


def check_max_steps(max_steps: int | None) -> int:
    """``max_steps`` validated (``None``: :data:`DEFAULT_MAX_STEPS`)."""
    if max_steps is None:
        return DEFAULT_MAX_STEPS
    if isinstance(max_steps, bool) or not isinstance(max_steps, int | np.integer) or max_steps < 1:
        raise ValueError(f"max_steps must be an integer >= 1 or None, got {max_steps!r}")
    return int(max_steps)


def ssp_step(
    stages: Sequence[Stage],
    stage_update: Callable[..., bool | None],
    state,
    t: float,
    dt: float,
    buffers: tuple,
) -> bool:
    """One Shu-Osher SSP Runge-Kutta step of ``state`` in place (:mod:`eulerflow.schemes.ssp`).

    Stage ``k`` computes ``u^(k) = a_k u^n + b_k (u^(k-1) + dt L(u^(k-1)))`` by calling
    ``stage_update(u_n, u_previous, t_stage, stage, dt, out)`` with ``t_stage = t + theta_k dt``;
    the stages alternate between the two ``buffers`` and the last one writes ``state`` itself.
    ``stage_update`` may return ``False`` to reject the step before writing: ``state`` is then
    untouched and the function returns ``False``.

    Returns
    -------
    bool
        ``True`` when the step was taken.
    """
    previous = state
    for k, stage in enumerate(stages):
        last = k == len(stages) - 1
        out = state if (last and k > 0) else buffers[k % 2]
        if stage_update(state, previous, t + stage.theta * dt, stage, dt, out) is False:
            return False
        previous = out
    if previous is not state:
        state[...] = previous
    return True


def resolve_tolerances(rtol, atol, state, xp) -> tuple[float, float]:
    """``(rtol, atol)`` checked (:func:`~eulerflow.schemes.step_control.check_tolerances`), with
    ``atol=None`` replaced by ``ATOL_FRACTION * rtol * max |state|``."""
    rtol, atol = check_tolerances(rtol, atol)
    if atol is None:
        atol = ATOL_FRACTION * rtol * float(xp.abs(state).max())
    return rtol, atol


class EmbeddedErrorControl:
    """Step control of an explicit SSP run by the embedded estimate of
    :data:`eulerflow.schemes.ssp.EMBEDDED_ERROR`, under the solver's stability bound.

    Use: ``dt = control.limit(stable)`` as the integrator's ``max_step`` and
    ``control.step(...)`` in place of :func:`ssp_step` in its ``advance``.

    Parameters
    ----------
    stepper : str
        ``"ssprk2"`` or ``"ssprk3"`` (``"ssprk1"`` has no embedded method: ``ValueError``).
    rtol, atol : float
        Checked tolerances (:func:`resolve_tolerances`).
    xp : module
        The array module of the state.
    """

    def __init__(self, stepper: str, rtol: float, atol: float, xp) -> None:
        name = ssp_name(stepper)
        if name not in EMBEDDED_ERROR:
            raise ValueError(
                f"rtol/atol need an embedded error estimate, which stepper={stepper!r} does "
                "not have: use 'ssprk2' or 'ssprk3', or leave rtol and atol out"
            )
        self.weights = EMBEDDED_ERROR[name]
        self.control = ErrorControl(rtol, atol, ORDER[name])
        self.xp = xp
        self.h = math.inf
        self._saved = None
        self.rtol, self.atol = rtol, atol

    @classmethod
    def optional(cls, stepper: str, rtol, atol, state, xp) -> EmbeddedErrorControl | None:
        """The control of an explicit run given ``rtol``/``atol`` (``None`` when both are
        ``None``: steps set by the stability bound alone). A missing ``rtol`` is ``1e-3``;
        the default ``atol`` refers to ``max |state|``."""
        if rtol is None and atol is None:
            return None
        return cls(
            stepper, *resolve_tolerances(1e-3 if rtol is None else rtol, atol, state, xp), xp
        )

    def limit(self, stable: float) -> float:
        """The step to try: the controller's proposal, at most ``stable``."""
        return min(stable, self.h)

    def step(self, stages, stage_update, state, t: float, dt: float, buffers):
        """:func:`ssp_step` judged by the embedded estimate: the new ``state``, or ``None``
        (``state`` restored to ``u^n``) when the estimate exceeds the tolerance or a stage
        rejected the step (a broken stability bound: the next try is half as long)."""
        if self._saved is None:
            self._saved = self.xp.empty_like(state)
        self._saved[...] = state
        if not ssp_step(stages, stage_update, state, t, dt, buffers):
            self.h = 0.5 * dt
            return None
        # state = u^(s), buffers as ssp_step left them: u^(1), u^(2)
        values = [self._saved, buffers[0], buffers[1], state][: len(self.weights) - 1]
        values.append(state)
        error = sum(w * u for w, u in zip(self.weights, values, strict=True) if w != 0)
        err = self.control.norm(error, self._saved, state, self.xp)
        self.h = dt * self.control.factor(err)
        if err > 1:
            state[...] = self._saved
            return None
        return state

    def settings(self) -> dict:
        return {"rtol": self.rtol, "atol": self.atol}


def _add(t: float, carry: float, dt: float) -> tuple[float, float]:
    """``(t + carry) + dt`` as a new pair ``(t, carry)``: ``t`` is the elapsed time rounded to
    the nearest float and ``carry`` the round-off it leaves (a two-sum), so ``t`` stays within an
    ulp of the exact sum of the steps whatever their number (a plain running sum of ``n`` equal
    steps drifts by up to ``n`` ulp)."""
    total = t + dt
    if abs(t) >= abs(dt):
        carry += (t - total) + dt
    else:
        carry += (dt - total) + t
    rounded = total + carry
    return rounded, carry - (rounded - total)


@dataclass
class MarchRecord:
    """What :func:`march` collected."""

    snapshots: list = field(default_factory=list)
    times: list = field(default_factory=list)
    n_steps: int = 0
    n_rejected: int = 0
    dt_min: float = math.inf
    dt_max: float = 0.0
    wall_time: float = 0.0
    stopped: str = ""  # why the run stopped before the last snapshot ("" when it did not)


def march(
    state,
    times: np.ndarray,
    max_step: Callable[[float, object], float],
    advance: Callable[[object, float, float], object],
    snapshot: Callable[[object], object],
    check: Callable[[object], str | None],
    progress: bool | None = None,
    description: str = "",
    max_steps: int | None = None,
    callback: Callable[[float, object], object] | None = None,
    error_controlled: bool = False,
) -> MarchRecord:
    """Advance ``state`` from ``t = 0`` through all snapshot ``times``.

    Parameters
    ----------
    state
        Initial state (for example a density array).
    times : array
        Increasing snapshot times in ``[0, t_final]``.
    max_step : callable ``(t, state) -> dt``
        Largest stable step from ``t``; ``inf`` allowed (nothing moves).
    advance : callable ``(state, t, dt) -> state``
        One time step.
    snapshot : callable ``(state) -> object``
        Copy of the state to keep (called at every snapshot time).
    check : callable ``(state) -> str or None``
        A message when the state is invalid (non-finite, negative); it raises
        :class:`UnstableSolutionError` with that message (and the record so far as
        ``err.record``, the invalid state's snapshot included).
    progress : bool or None
        Show a progress bar (None: only on a terminal).
    description : str
        Label of the progress bar.
    max_steps : int, optional
        Step budget (default :data:`DEFAULT_MAX_STEPS`). When the first step shows that the run
        needs more (``t_final / dt`` steps), ``ValueError`` before any work; when the budget runs
        out during the run, the state at that time is the last snapshot and ``record.stopped``
        says why.
    callback : callable ``(t, state)``, optional
        Called after every step.
    error_controlled : bool
        ``max_step`` proposes error-controlled steps (which may be rejected and grow): the
        first one says nothing about the length of the run, so the up-front budget estimate is
        skipped (the budget itself still holds).
    """
    budget = check_max_steps(max_steps)
    record = MarchRecord()
    t_final = float(times[-1])
    start = time.perf_counter()
    t, carry = 0.0, 0.0  # the elapsed time is t + carry (compensated sum of the steps)
    estimated = error_controlled
    rejections = 0  # rejected steps in a row
    with progress_bar(
        t_final,
        progress,
        description,
        unit="t",
        bar_format="{l_bar}{bar}| t={n:.4g}/{total:.4g} [{elapsed}<{remaining}]",
    ) as bar:
        for target in times:
            target = float(target)
            resolution = SNAP_ULPS * math.ulp(target)
            while (target - t) - carry > 0:
                if record.n_steps >= budget:
                    record.stopped = (
                        f"stopped at t={t:.6g} before t_final={t_final:g}: the step budget "
                        f"max_steps={budget} is used up; pass a larger max_steps to go on"
                    )
                    break
                stable = float(max_step(t, state))
                if not estimated:
                    estimated = True
                    _check_estimate(t_final - t, stable, budget)
                dt = min(stable, (target - t) - carry)
                if not dt > 0:
                    raise UnstableSolutionError(f"time step collapsed to {dt!r} at t={t:.6g}")
                advanced = advance(state, t, dt)
                if advanced is None:
                    record.n_rejected += 1
                    rejections += 1
                    if rejections > MAX_REJECTIONS:
                        raise UnstableSolutionError(
                            f"{rejections} steps in a row were rejected by the error control "
                            f"at t={t:.6g} (last dt={dt:.3g}): the solution is not smooth "
                            "enough for the tolerance; loosen rtol/atol or give a fixed dt"
                        )
                    continue
                state, rejections = advanced, 0
                t_old = t
                t, carry = _add(t, carry, dt)
                if (target - t) - carry <= SNAP_FRACTION * dt + resolution:
                    t, carry = target, 0.0
                record.n_steps += 1
                record.dt_min = min(record.dt_min, dt)
                record.dt_max = max(record.dt_max, dt)
                bar.update(t - t_old)
                if callback is not None:
                    callback(t, state)
            message = check(state)
            if message:
                record.snapshots.append(snapshot(state))
                record.times.append(t)
                record.wall_time = time.perf_counter() - start
                err = UnstableSolutionError(f"at t={t:.6g}: {message}")
                err.record = record
                raise err
            record.snapshots.append(snapshot(state))
            record.times.append(t)
            if record.stopped:
                break
    record.wall_time = time.perf_counter() - start
    return record


def _check_estimate(remaining: float, dt: float, budget: int) -> None:
    """``ValueError`` when ``remaining / dt`` steps exceed the budget (estimated from step 1)."""
    if not (dt > 0 and math.isfinite(dt)):
        return
    needed = remaining / dt
    if needed > budget:
        raise ValueError(
            f"this run would take about {needed:.3g} time steps (stable step dt = {dt:.3g} at "
            f"the start, t_final = {remaining:.6g}), more than max_steps={budget}: check the "
            "velocity, diffusion, dt or t_final, or pass max_steps to allow a run this long"
        )


def solve_in_time(
    state,
    times: np.ndarray,
    integrator: Integrator,
    *,
    grid: Grid,
    like,
    field: str,
    equation: str,
    parameters: dict,
    backend: str,
    check: Callable[[object], str | None],
    record: Callable[[object], dict[str, float]],
    progress: bool | None,
    callback: Callable[[float, object], object] | None,
    max_steps: int | None,
    output: Callable[[object], object] | None = None,
    terminal_time: float | None = None,
) -> Solution:
    """Run ``integrator`` through the snapshot ``times`` and build the :class:`Solution`.

    Parameters
    ----------
    state
        Initial state (a backend array, owned and updated by the integrator).
    times : array
        The snapshot times of the march (see :func:`march`).
    integrator : Integrator
        The solver's steps.
    grid, field, equation, parameters, backend
        Fields of the :class:`~eulerflow.Solution`.
    like : array
        The user's input array: snapshots come back with its array type.
    check : callable ``(state) -> str or None``
        Validity check at every snapshot (see :func:`march`).
    record : callable ``(state) -> dict``
        The per-snapshot diagnostics (``mass``, ``min``, ``energy``...) of a state.
    progress, callback, max_steps
        As the solvers document them.
    output : callable ``(state) -> array``, optional
        The values to keep of a state (default: the state itself); converted to the array type
        of ``like``.
    terminal_time : float, optional
        ``T`` of a backward problem: ``times`` are then the times ``s = T - t`` of the march and
        the snapshots are reported at ``t = T - s``, in increasing order.

    Returns
    -------
    Solution
        ``status`` 0 when ``t_final`` was reached, 1 when the step budget ran out (with a
        :class:`~eulerflow.StepBudgetWarning`).

    Raises
    ------
    UnstableSolutionError
        At a snapshot with non-finite or negative values; ``err.solution`` is the partial
        solution (``status=-1``) whose last snapshot is the invalid state.
    """
    series: dict[str, list] = {}

    def snapshot(current):
        for name, value in record(current).items():
            series.setdefault(name, []).append(value)
        values = current if output is None else output(current)
        return as_input_type(values.copy() if values is current else values, like=like)

    def build(marched: MarchRecord, status: int, message: str) -> Solution:
        snapshots, solved = marched.snapshots, np.asarray(marched.times, dtype=float)
        diagnostics = {name: np.asarray(values, dtype=float) for name, values in series.items()}
        t = solved
        if terminal_time is not None:
            snapshots = snapshots[::-1]
            t = terminal_time - solved[::-1]
            diagnostics = {name: values[::-1] for name, values in diagnostics.items()}
        steps = {
            "dt_min": marched.dt_min,
            "dt_max": marched.dt_max,
            "n_rejected": marched.n_rejected,
        }
        return Solution(
            t=t,
            values=stack_like(snapshots, like=like),
            grid=grid,
            field=field,
            equation=equation,
            parameters=parameters,
            backend=backend,
            diagnostics={**diagnostics, **steps, **integrator.summary()},
            n_steps=marched.n_steps,
            wall_time=marched.wall_time,
            status=status,
            message=message,
        )

    try:
        marched = march(
            state,
            times,
            integrator.max_step,
            integrator.advance,
            snapshot,
            check,
            progress,
            equation,
            max_steps,
            callback,
            getattr(integrator, "error_controlled", False),
        )
    except UnstableSolutionError as err:
        if getattr(err, "record", None) is not None:
            err.solution = build(err.record, -1, str(err))
        raise
    if marched.stopped:
        warnings.warn(f"{equation}: {marched.stopped}", StepBudgetWarning, stacklevel=3)
        return build(marched, 1, marched.stopped)
    return build(marched, 0, "reached t_final")
