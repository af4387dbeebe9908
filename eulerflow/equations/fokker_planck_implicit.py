"""Implicit time steps of the linear Fokker-Planck system ``d rho / dt = L(t) rho``.

Every step is one sparse solve with ``I - gamma L``; :class:`ShiftedSolves` keeps the LU
factorisations of the last few ``gamma`` (a time-independent ``L`` is assembled once).

:class:`FixedSteps` divides each snapshot interval into equal steps of at most ``dt``:
implicit Euler, Crank-Nicolson, or BDF2 started by one implicit-Euler step and using the
variable-step formula (step ratio ``w = dt_n / dt_{n-1}``)

    ((1 + 2w)/(1 + w)) rho^{n+1} - (1 + w) rho^n + (w^2/(1 + w)) rho^{n-1} = dt_n L rho^{n+1}

across intervals of different step sizes (restarted by implicit Euler when ``w > 2``; zero
stability needs ``w < 1 + sqrt 2``).

:class:`ErrorControlledSteps` chooses the steps by a local error estimate (Milne's device: the
corrector against an explicit predictor of the same order; Hairer, Norsett and Wanner, *Solving
Ordinary Differential Equations I*, 2nd ed., Springer 1993, section III.7):

- implicit Euler (also the first step of BDF2): predictor ``rho^n + dt f^n`` (explicit Euler),
  local error ``-(rho^{n+1} - rho_pred) / 2``, of order ``dt^2``;
- BDF2 in fixed-leading-coefficient form: when the step changes from ``h`` to ``dt``, the past
  value at ``t_n - dt`` is read off the quadratic ``p`` with ``p(t_n) = rho^n``,
  ``p'(t_n) = f^n = L rho^n`` and ``p(t_n - h) = rho^{n-1}``, and the constant-step formula
  ``rho^{n+1} = (I - (2 dt / 3) L)^{-1} (4 rho^n - p(t_n - dt)) / 3`` is applied, so the matrix
  depends on ``dt`` only. The predictor is ``p(t_n + dt)``. For a solution with third
  derivative ``y'''`` the errors are ``C_p y'''`` (predictor,
  ``C_p = dt^2 (dt + h) / 6``) and ``C_c y'''`` (corrector, the BDF2 truncation error plus the
  interpolated past value: ``C_c = -2 dt^3 / 9 - dt^2 (h - dt) / 18``), so the corrector's
  error is ``C_c / (C_p - C_c) (rho^{n+1} - rho_pred)``, of order ``dt^3``.

``f^{n+1} = L rho^{n+1}`` comes free from the solve: ``(rho^{n+1} - r) / gamma`` for the right
side ``r``. The step is kept unchanged while the controller's proposal lies in
``[1, KEEP_BELOW)`` times it, so that the factorisation is reused; it grows at most by
``MAX_GROWTH`` per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..schemes.step_control import ErrorControl

MAX_FACTORIZATIONS = 4
KEEP_BELOW = 4.0
"""An accepted step keeps its size while the controller proposes less than this factor (and at
least 1): a new size costs a new LU factorisation."""
MAX_GROWTH = 4.0
"""Largest growth of the step size from one step to the next."""
GLOBAL_PER_LOCAL = {"bdf2": 0.1, "implicit-euler": 0.2}
"""Under a local tolerance ``tau`` a method of order ``p`` makes a global error of about
``K tau^(p / (p + 1))``; ``K`` (by stepper) as measured on smooth Fokker-Planck problems. The
local tolerance is set to ``(rtol / K)^((p + 1) / p)`` so that the global error is about
``rtol`` (Soderlind and Wang, J. Comput. Appl. Math. 185 (2006) 225-243, section 7)."""
LAND_STRETCH = 0.25
"""A step may be stretched by up to this fraction to land on a snapshot time."""
REUSE_BAND = 0.3
"""A factorisation of ``I - gamma_f L`` serves ``gamma`` within this relative distance."""
MAX_SWEEPS = 10
SWEEP_TOL = 1e-2
"""The iteration with a nearby factorisation stops when its last correction is this fraction of
the error tolerance (else, after ``MAX_SWEEPS`` sweeps, a new factorisation is made)."""


class ShiftedSolves:
    """``(I - gamma L(t))^{-1} rhs`` with the LU factorisations of the last few ``gamma``.

    With a ``residual`` function ``(x, gamma, t) -> (I - gamma L(t)) x`` and a time-independent
    ``L``, a ``gamma`` within ``REUSE_BAND`` (relative) of a factorised one is solved without a
    new factorisation, by the iteration ``x <- x + M^{-1} (rhs - (I - gamma L) x)`` with the
    factorised ``M = I - gamma_f L`` (a simplified Newton iteration, Hairer and Wanner,
    *Solving Ordinary Differential Equations II*, section IV.8). Its error contracts by
    ``|gamma / gamma_f - 1|`` per sweep or better when ``L`` has a real non-positive spectrum,
    as the Scharfetter-Gummel operator has (it is symmetric in the weighted inner product of
    its Gibbs state).
    """

    def __init__(self, operator, be, residual=None) -> None:
        self.operator = operator
        self.be = be
        self.residual = residual
        self._solvers: dict[float, Callable] = {}  # least recently used first
        self._matrix = None
        self.n_factorizations = 0
        self.n_solves = 0

    def _factorized(self, gamma: float, t_new: float) -> Callable:
        op = self.operator
        key = key_of(gamma)
        solve = None if op.time_dependent else self._solvers.pop(key, None)
        if solve is None:
            import scipy.sparse

            if self._matrix is None or op.time_dependent:
                self._matrix = op.matrix(t_new)
            identity = scipy.sparse.identity(op.grid.size, dtype=op.dtype, format="csr")
            solve = self.be.sparse_factorized((identity - gamma * self._matrix).tocsc())
            self.n_factorizations += 1
            if not op.time_dependent and len(self._solvers) >= MAX_FACTORIZATIONS:
                self._solvers.pop(next(iter(self._solvers)))  # the least recently used
        if not op.time_dependent:
            self._solvers[key] = solve  # now the most recently used
        return solve

    def _apply(self, solve: Callable, rhs):
        self.n_solves += 1
        return solve(rhs.ravel()).reshape(rhs.shape).astype(rhs.dtype, copy=False)

    def __call__(self, gamma: float, rhs, t_new: float, guess=None, norm=None):
        """The solution; ``guess`` and ``norm`` (the error norm ``(e, old, new) -> float``)
        allow the iteration with a nearby factorisation."""
        reuse = guess is not None and self.residual is not None
        if reuse and not self.operator.time_dependent and key_of(gamma) not in self._solvers:
            nearest = min(self._solvers, key=lambda g: abs(g / gamma - 1), default=None)
            if nearest is not None and abs(nearest / gamma - 1) <= REUSE_BAND:
                x = self._iterate(self._solvers[nearest], gamma, rhs, t_new, guess, norm)
                if x is not None:
                    return x
        return self._apply(self._factorized(gamma, t_new), rhs)

    def _iterate(self, solve, gamma: float, rhs, t_new: float, guess, norm):
        x = guess.copy()
        for _ in range(MAX_SWEEPS):
            change = self._apply(solve, rhs - self.residual(x, gamma, t_new))
            x += change
            if norm(change, x, x) <= SWEEP_TOL:
                return x
        return None


def key_of(gamma: float) -> float:
    """``gamma`` rounded to 13 significant digits: the key of its factorisation."""
    return float(f"{gamma:.12e}")


def apply_operator(operator, device, be, rho, t: float, c: float):
    """``rho + c L(t) rho`` with the backend's Fokker-Planck kernel (a new array)."""
    grid = operator.grid
    forwards, backwards = device(t)
    return be.fokker_planck_update(
        rho, rho, forwards, backwards, grid.spacing, grid.periodic, 0.0, 1.0, c
    )


class FixedSteps:
    """Equal steps of at most ``dt`` inside each snapshot interval (see the module docstring)."""

    error_controlled = False

    def __init__(self, operator, device, be, stepper: str, dt: float, times) -> None:
        self.operator = operator
        self.device = device
        self.be = be
        self.stepper = stepper
        self.positive = stepper == "implicit-euler"
        self.solve = ShiftedSolves(operator, be)
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
            new = self.solve(dt, rho_n, t_new)
        elif self.stepper == "crank-nicolson":
            half = apply_operator(self.operator, self.device, self.be, rho_n, t, 0.5 * dt)
            new = self.solve(0.5 * dt, half, t_new)
        else:
            new = self._bdf2(rho_n, t_new, dt)
        rho_n[...] = new
        return rho_n

    def _bdf2(self, rho_n, t_new: float, dt: float):
        previous = self._previous
        current = rho_n.copy()
        if previous is None or dt / previous[1] > 2.0:
            new = self.solve(dt, rho_n, t_new)  # implicit-Euler start (or restart)
        else:
            rho_old, dt_old = previous
            w = dt / dt_old
            if abs(w - 1) < 1e-9:
                w = 1.0
            alpha = (1 + 2 * w) / (1 + w)
            rhs = ((1 + w) * rho_n - (w * w / (1 + w)) * rho_old) / alpha
            new = self.solve(dt / alpha, rhs, t_new)
        self._previous = (current, dt)
        return new

    def settings(self) -> dict:
        finite = self.steps[np.isfinite(self.steps)]
        return {"dt": float(finite.max()) if finite.size else None, "rtol": None, "atol": None}

    def summary(self) -> dict:
        return {
            "n_factorizations": self.solve.n_factorizations,
            "n_solves": self.solve.n_solves,
        }


class ErrorControlledSteps:
    """BDF2 (or implicit Euler) with steps chosen by a local error estimate.

    Parameters
    ----------
    operator, device, be
        The Fokker-Planck operator, its weights on the device and the backend.
    stepper : {"bdf2", "implicit-euler"}
        The method.
    rtol, atol : float
        Tolerances of the scaled error norm (:mod:`eulerflow.schemes.step_control`).
    rho0 : array
        The initial state (for the first step size).
    times : array
        The snapshot times (steps land on them; the last one is the end of the run).
    """

    error_controlled = True

    def __init__(self, operator, device, be, stepper: str, rtol, atol, rho0, times) -> None:
        self.operator = operator
        self.device = device
        self.be = be
        self.stepper = stepper
        self.positive = stepper == "implicit-euler"
        self.solve = ShiftedSolves(operator, be, self._residual)
        self.order = 2 if stepper == "implicit-euler" else 3
        # Tolerance proportionality: local tolerances that make the global error about rtol.
        p = self.order - 1
        scale = (rtol / GLOBAL_PER_LOCAL[stepper]) ** ((p + 1) / p) / rtol
        self.control = ErrorControl(rtol * scale, atol * scale, self.order, max_factor=MAX_GROWTH)
        self.times = np.asarray(times, dtype=float)
        self._history = None  # (rho^{n-1}, h_{n-1}, f^n) once a step was taken
        self.h, self._start = self._first_step(rho0)
        self.rtol, self.atol = rtol, atol

    def _norm(self, error, old, new) -> float:
        return self.control.norm(error, old, new, self.be.xp)

    def _rate(self, rho, t: float):
        """``L(t) rho``."""
        return apply_operator(self.operator, self.device, self.be, rho, t, 1.0) - rho

    def _residual(self, x, gamma: float, t: float):
        """``(I - gamma L(t)) x``."""
        return apply_operator(self.operator, self.device, self.be, x, t, -gamma)

    def _first_step(self, rho0) -> tuple[float, tuple | None]:
        """A first step whose estimated local error is about half the tolerance, and the start
        ``(L rho0, L^2 rho0)`` of BDF2 from the Taylor quadratic (``None``: implicit Euler).

        The leading error term is a constant times a time derivative of the solution at
        ``t = 0``, taken from the operator (``d^k y / dt^k = L^k rho0`` for a constant ``L``). A
        time-dependent ``L`` starts with implicit Euler, whose second derivative is estimated
        by the change of ``L rho`` over a tiny explicit step (Hairer, Norsett and Wanner,
        section II.4).
        """
        zero = self.be.xp.zeros_like(rho0)
        t_final = float(self.times[-1])
        f0 = self._rate(rho0, 0.0)
        if self.order == 3 and not self.operator.time_dependent:
            second = self._rate(f0, 0.0)
            third = self._norm(self._rate(second, 0.0), rho0, zero)
            h = (3.0 / third) ** (1 / 3) if third > 0 else t_final  # dt^3 |y_ttt| / 6 = 1/2
            return min(h, t_final), (f0, second)
        d1 = self._norm(f0, rho0, zero)
        h0 = 1e-6 * t_final if d1 <= 0 else min(1e-3 / d1, t_final)
        curvature = self._norm(self._rate(rho0 + h0 * f0, h0) - f0, rho0, zero) / h0
        h = (1.0 / curvature) ** 0.5 if curvature > 0 else t_final  # dt^2 |y_tt| / 2 = 1/2
        return min(h, t_final), None

    def max_step(self, t: float, state) -> float:
        """The controller's step, stretched or shortened to land on the next snapshot."""
        later = self.times[self.times > t + 1e-12 * max(abs(t), float(self.times[-1]))]
        if later.size == 0:
            return self.h
        remaining = float(later[0]) - t
        n = remaining / self.h
        if n <= 1 + LAND_STRETCH:
            return remaining
        return self.h if n > 2 else 0.5 * remaining

    def advance(self, rho_n, t: float, dt: float):
        t_new = t + dt
        if self._history is None and self._start is not None:
            f0, second = self._start
            new, f_new, err, order = self._bdf2_from(rho_n, f0, 0.5 * second, 0.0, dt, t_new)
        elif self.stepper == "implicit-euler" or self._history is None:
            new, f_new, err, order = self._implicit_euler(rho_n, t, dt, t_new)
        else:
            rho_old, h, f_n = self._history
            curvature = (rho_old - rho_n + h * f_n) / (h * h)  # p(s) = rho_n + f_n s + c s^2
            new, f_new, err, order = self._bdf2_from(rho_n, f_n, curvature, h, dt, t_new)
        proposal = dt * self.control.factor(err, order)
        if err > 1:
            self.h = proposal
            return None
        if proposal >= KEEP_BELOW * self.h:
            self.h = proposal  # grow; an accepted step never shrinks the next one
        self._history = (rho_n.copy(), dt, f_new)
        rho_n[...] = new
        return rho_n

    def _implicit_euler(self, rho_n, t: float, dt: float, t_new: float):
        predicted = rho_n + dt * self._rate(rho_n, t)
        new = self.solve(dt, rho_n, t_new, predicted, self._norm)
        err = self._norm(0.5 * (new - predicted), rho_n, new)
        return new, (new - rho_n) / dt, err, 2

    def _bdf2_from(self, rho_n, f_n, curvature, h: float, dt: float, t_new: float):
        """One BDF2 step from the quadratic ``p(s) = rho_n + f_n s + curvature s^2`` (``h = 0``:
        the Taylor quadratic of the start)."""
        past = rho_n - dt * f_n + (dt * dt) * curvature
        predicted = rho_n + dt * f_n + (dt * dt) * curvature
        rhs = (4.0 * rho_n - past) / 3.0
        gamma = 2.0 * dt / 3.0
        new = self.solve(gamma, rhs, t_new, predicted, self._norm)
        c_p = dt * dt * (dt + h) / 6.0
        c_c = -2.0 * dt**3 / 9.0 - dt * dt * (h - dt) / 18.0
        err = self._norm((c_c / (c_p - c_c)) * (new - predicted), rho_n, new)
        return new, (new - rhs) / gamma, err, 3

    def settings(self) -> dict:
        return {"dt": None, "rtol": self.rtol, "atol": self.atol}

    def summary(self) -> dict:
        return {
            "n_factorizations": self.solve.n_factorizations,
            "n_solves": self.solve.n_solves,
        }
