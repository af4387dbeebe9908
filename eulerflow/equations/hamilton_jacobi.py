"""Solver of the Hamilton-Jacobi equation ``d_t phi + H(x, grad phi) = 0``.

Discretisation (Osher and Shu, SIAM J. Numer. Anal. 28, 1991; Jiang and Peng, SIAM J. Sci.
Comput. 21, 2000): values ``phi_i`` at the cell centres, one-sided derivatives ``D^-_a phi`` and
``D^+_a phi`` of first order, ENO2 or WENO5 (:mod:`eulerflow.schemes.hj_derivatives`), a monotone
numerical Hamiltonian ``Hhat(x, p^-, p^+)`` (Godunov for ``|p|^2/2 + U``, global or local
Lax-Friedrichs for any ``H``; :mod:`eulerflow.schemes.hj_fluxes`), and the semi-discrete system
``d phi_i / dt = -Hhat`` integrated by a TVD (SSP) Runge-Kutta method with
``dt = cfl / sum_a (alpha_a / h_a)``, ``alpha_a`` the largest ``|dH/dp_a|`` on the grid at the
start of the step. For ``H = |p|^2/2`` the limit is the viscosity solution, given exactly by
the Hopf-Lax formula ``phi(t, x) = min_y phi0(y) + |x - y|^2 / (2t)``
(:func:`eulerflow.exact.hopf_lax`).

``direction="backward"`` solves the terminal-value problem ``d_t phi + H(x, grad phi) = 0`` on
``[0, T]`` from ``phi(T)``: with ``chi(s) = -phi(T - s)`` it is the forward problem
``d_s chi + H(x, -grad chi) = 0``, solved by the same scheme. For ``H = |p|^2/2`` this gives
``phi(t, x) = max_y phi(T, y) - |x - y|^2 / (2 (T - t))``, the potential of optimal transport
(Villani, *Topics in Optimal Transportation*, 2003, ch. 5 and 8).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..backends import Backend, get_backend
from ..checks import as_field, check_grid
from ..exceptions import DissipationWarning, UnstableSolutionError
from ..grid import Grid
from ..hamiltonians import Hamiltonian, as_hamiltonian
from ..marching import snapshot_times, solve_in_time, ssp_step
from ..results import Solution
from ..schemes.choices import lookup
from ..schemes.hj_derivatives import scheme_code
from ..schemes.hj_fluxes import (
    flux_code,
    lax_friedrichs,
    power_dissipation,
    power_numerical_hamiltonian,
)
from ..schemes.ssp import ssp_name, ssp_stages

MAX_HJ_CFL = 1.0
"""Largest Courant number accepted: the monotonicity bound of the first-order schemes."""

DEFAULT_HJ_CFL = 0.5
"""Default Courant number. The monotone first-order schemes are stable up to 1; WENO5 and ENO2
with TVD Runge-Kutta 3 have no such bound, and 0.5 is the value used by Jiang and Peng (2000)."""


def solve_hamilton_jacobi(
    phi0,
    grid: Grid,
    hamiltonian: Hamiltonian | Callable | None = None,
    t_final: float | None = None,
    *,
    t_eval: Sequence[float] | None = None,
    scheme: str = "weno5",
    flux: str | None = None,
    dissipation=None,
    stepper: str = "ssprk3",
    cfl: float | None = None,
    direction: str = "forward",
    tube: bool = False,
    target=None,
    obstacle=None,
    max_steps: int | None = None,
    backend: str | Backend = "auto",
    progress: bool | None = None,
    callback: Callable[[float, object], object] | None = None,
) -> Solution:
    """Solve ``d_t phi + H(x, grad phi) = 0`` forward from ``phi(0)`` or backward from ``phi(T)``.

    Parameters
    ----------
    phi0 : array
        Values at the cell centres, shape ``grid.shape``, finite: ``phi(0)`` when
        ``direction="forward"``, the terminal value ``phi(T)``, ``T = t_final``, when
        ``direction="backward"``. NumPy or CuPy; float32 is computed in float32.
    grid : Grid
        The grid; periodic axes wrap, walled axes extrapolate ``phi`` linearly.
    hamiltonian : Hamiltonian, callable or None
        ``None`` for ``H = |p|^2/2``; a :class:`~eulerflow.hamiltonians.Hamiltonian`
        (``PowerHamiltonian(q)``, ``QuadraticPotentialHamiltonian(U)``); or a callable
        ``H(x, p)`` (``x`` and ``p`` tuples of arrays), which needs ``dissipation``.
    t_final : float
        Length of the time interval, ``> 0`` (required).
    t_eval : sequence of float, optional
        Snapshot times in ``[0, t_final]``, increasing; default ``[0, t_final]``.
    scheme : {"weno5", "eno2", "first"}
        One-sided derivatives.
    flux : {"godunov", "lax-friedrichs", "local-lax-friedrichs"}, optional
        Numerical Hamiltonian; default Godunov for ``|p|^2/2 (+ U)``, local Lax-Friedrichs
        otherwise.
    dissipation : float, sequence or callable, optional
        Bound on ``|dH/dp_a|`` for a callable ``hamiltonian``
        (see :class:`~eulerflow.hamiltonians.CallableHamiltonian`). The solver compares it with
        the slopes of ``H`` it observes (at steps 1, 2, 4, 8, ...) and warns
        (:class:`~eulerflow.DissipationWarning`) when the bound is too small: the scheme is
        then not monotone and its time step too large.
    stepper : {"ssprk3", "ssprk2", "ssprk1"}
        TVD (SSP) Runge-Kutta method (``"tvdrk1"`` .. ``"tvdrk3"`` are aliases).
    cfl : float, optional
        Courant number ``dt sum_a alpha_a / h_a`` in ``(0, 1]``; default 0.5
        (``eulerflow.equations.hamilton_jacobi.DEFAULT_HJ_CFL``).
    direction : {"forward", "backward"}
        Initial- or terminal-value problem.
    tube : bool, default False
        Reachable tube (Mitchell, Bayen and Tomlin 2005): the numerical Hamiltonian ``Hhat``,
        dissipation included, is replaced by ``min(0, Hhat)``, so that (``direction="backward"``)
        ``phi`` only decreases as ``t`` goes back and never exceeds its terminal value (the
        target's signed distance) beyond round-off: the set ``phi <= 0`` grows with the horizon.
    target : array or callable ``(t, *coords)``, optional
        ``l(t, x)``: after every time step ``phi = min(phi, l)`` (the target as a constraint;
        a callable is evaluated at the time reached, for targets that move).
    obstacle : array or callable ``(t, *coords)``, optional
        ``g(t, x)``, negative inside the set to avoid: after every step (after ``target``)
        ``phi = max(phi, -g)``, so that no trajectory through the obstacle counts (reach-avoid).
    max_steps : int, optional
        Step budget (see :func:`eulerflow.solve_continuity`).
    backend : {"auto", "numba", "numpy", "cupy"} or Backend
        Compute backend.
    progress : bool, optional
        Show a progress bar (default: only on a terminal).
    callback : callable ``(t, phi)``, optional
        Called after every time step; ``t`` and ``phi`` are those of the march (for
        ``direction="backward"``: ``s = T - t`` and ``-phi``).

    Returns
    -------
    Solution
        ``sol.t`` (increasing), ``sol.phi`` (snapshots, same array type as ``phi0``), the range of
        ``phi`` per snapshot in ``sol.diagnostics``.

    Raises
    ------
    TypeError
        ``grid`` is not a Grid; ``t_final`` is missing; ``phi0`` is not a real array;
        ``hamiltonian`` is not a Hamiltonian or callable; ``target`` or ``obstacle`` is neither
        an array nor a callable.
    ValueError
        Shape mismatch, non-finite ``phi0``, unknown names, ``cfl`` outside ``(0, 1]``, a
        callable Hamiltonian without ``dissipation`` or returning the wrong shape, a run that
        needs more than ``max_steps`` steps.
    UnstableSolutionError
        ``phi`` became non-finite, or a callable Hamiltonian returned non-finite values (the
        message says which).

    References
    ----------
    .. [1] S. Osher and C.-W. Shu, "High-order essentially nonoscillatory schemes for
       Hamilton-Jacobi equations", SIAM J. Numer. Anal. 28 (1991) 907-922.
    .. [2] G.-S. Jiang and D. Peng, "Weighted ENO schemes for Hamilton-Jacobi equations", SIAM
       J. Sci. Comput. 21 (2000) 2126-2143.
    .. [3] I. M. Mitchell, A. M. Bayen and C. J. Tomlin, "A time-dependent Hamilton-Jacobi
       formulation of reachable sets for continuous dynamic games", IEEE Trans. Automat.
       Control 50 (2005) 947-957.

    Examples
    --------
    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(64, (-2, 2))
    >>> x, = grid.centers
    >>> sol = ef.solve_hamilton_jacobi(0.5 * x**2, grid, t_final=1.0)
    >>> exact = 0.25 * x**2  # Hopf-Lax: x^2 / (2 (1 + t)) at t = 1
    >>> bool(np.allclose(sol.phi[-1, 4:-4], exact[4:-4], atol=1e-4))  # 1e-5 away from the walls
    True
    >>> bool(np.allclose(sol.phi[-1], exact, atol=2e-3))  # 1.1e-3 in the wall cells
    True
    """
    grid = check_grid(grid)
    if t_final is None:
        raise TypeError("solve_hamilton_jacobi() missing required argument: 't_final'")
    hamiltonian = as_hamiltonian(hamiltonian, dissipation)
    scheme_code(scheme)
    stepper = ssp_name(stepper)
    flux = _default_flux(flux, hamiltonian)
    cfl = _check_cfl(cfl)
    lookup({"forward": 0, "backward": 1}, direction, "direction")
    times = snapshot_times(t_final, t_eval)
    backward = direction == "backward"
    solve_times = np.sort(t_final - times) if backward else times
    if backward:
        hamiltonian = hamiltonian.reflected()
    be = get_backend(backend, like=phi0, size=grid.size)
    phi, dtype = as_field(phi0, grid, be, "phi0")
    if backward:
        phi = -phi
    integrator = _HamiltonJacobiIntegrator(
        hamiltonian,
        grid,
        be,
        (scheme, flux, stepper, cfl),
        phi,
        clock=(float(t_final), -1.0) if backward else (0.0, 1.0),
        tube=bool(tube),
        constraints=_Constraints(target, obstacle, grid, be, dtype, backward),
    )
    xp = be.xp
    sign = -1 if backward else 1

    def check(phi_n) -> str | None:
        if not bool(xp.all(xp.isfinite(phi_n))):
            return "phi has non-finite values (unstable setting?)"
        return None

    def record(phi_n) -> dict[str, float]:
        return {"min": float((sign * phi_n).min()), "max": float((sign * phi_n).max())}

    return solve_in_time(
        phi,
        solve_times,
        integrator,
        grid=grid,
        like=phi0,
        field="phi",
        equation="hamilton-jacobi",
        parameters={
            "scheme": scheme,
            "flux": flux,
            "stepper": stepper,
            "cfl": cfl,
            "direction": direction,
            "tube": bool(tube),
            "target": target is not None,
            "obstacle": obstacle is not None,
            "hamiltonian": repr(hamiltonian),
            "dtype": str(np.dtype(dtype)),
        },
        backend=be.name,
        check=check,
        record=record,
        progress=progress,
        callback=callback,
        max_steps=max_steps,
        output=lambda phi_n: sign * phi_n,
        terminal_time=float(t_final) if backward else None,
    )


class _HamiltonJacobiIntegrator:
    """TVD Runge-Kutta stages of ``-Hhat(t, x, D^- phi, D^+ phi)``: fused kernels for the built-in
    and the compiled (point) Hamiltonians, array expressions for a user callable.

    ``clock = (t0, direction)`` maps the time ``s`` of the march to the time ``t0 + direction s``
    of the Hamiltonian and the constraints. The CFL reduction is fused into the first stage
    (point Hamiltonians; power Hamiltonians with the Godunov or local Lax-Friedrichs flux):
    ``max_step`` computes ``rate = Hhat(phi_n)`` and the bounds in one pass, and the first stage
    ``a phi_n + b phi_n - c rate`` reuses it.
    """

    def __init__(
        self, hamiltonian, grid: Grid, be, numerics, like, clock, tube, constraints
    ) -> None:
        scheme, flux, stepper, cfl = numerics
        self.hamiltonian = hamiltonian
        self.grid = grid
        self.be = be
        self.scheme = scheme
        self.flux = flux
        self.stages = ssp_stages(stepper)
        self.cfl = cfl
        self.clock = clock
        self.t_stage = clock[0]
        self.tube = tube
        self.constraints = constraints
        dtype = like.dtype
        self.fused = hamiltonian.kernel_power is not None
        self.point = hamiltonian.scalar_kernel() is not None
        potential = hamiltonian.potential_values(grid) if self.fused else None
        self.potential = None if potential is None else be.asarray(potential, dtype=dtype)
        self.coords = (
            None
            if self.fused or self.point
            else tuple(be.asarray(c, dtype=dtype) for c in grid.centers)
        )
        self.axis_coords = tuple(grid.axis_centers(a) for a in range(grid.ndim))
        self.alphas: tuple = ()
        self.buffers = (be.xp.empty_like(like), be.xp.empty_like(like))
        # the CFL reduction fused into the first stage (not for global Lax-Friedrichs, whose
        # Hhat needs the bounds, nor for a tube of a power Hamiltonian, computed by arrays)
        self.fused_rate = self.fused and not tube and flux in ("godunov", "local-lax-friedrichs")
        self.rate = be.xp.empty_like(like) if self.point or self.fused_rate else None
        self.rate_time: float | None = None
        self.n_steps = 0
        self.warned = False

    def _fused_update(self, phi_n, phi_k, a, b, c, out, maxima=False):
        """One ``hj_update`` of a power Hamiltonian; the derivative maxima when ``maxima``."""
        grid = self.grid
        result = self.be.hj_update(
            phi_n,
            phi_k,
            grid.spacing,
            grid.periodic,
            self.scheme,
            self.flux,
            self.hamiltonian.kernel_power,
            self.potential,
            self.alphas or (0.0,) * grid.ndim,  # read by global Lax-Friedrichs only
            a,
            b,
            c,
            out=out,
            maxima=maxima,
        )
        return result[1] if maxima else None

    def _time(self, s: float) -> float:
        return self.clock[0] + self.clock[1] * s

    def _point_update(self, phi_n, phi_k, t_stage, a, b, c, out) -> tuple:
        grid = self.grid
        _, maxima = self.be.hj_update_point(
            phi_n,
            phi_k,
            grid.spacing,
            grid.periodic,
            self.scheme,
            self.flux,
            self.hamiltonian,
            self.axis_coords,
            self._time(t_stage),
            self.alphas or (0.0,) * grid.ndim,
            self.tube,
            a,
            b,
            c,
            out=out,
        )
        return maxima

    def _dissipation_bounds(self, phi_n, t: float) -> tuple:
        be, xp, grid = self.be, self.be.xp, self.grid
        minus, plus = be.hj_derivatives(phi_n, grid.spacing, grid.periodic, self.scheme)
        if self.fused:
            big = [
                max(float(xp.abs(m).max()), float(xp.abs(p).max()))
                for m, p in zip(minus, plus, strict=True)
            ]
            power = self.hamiltonian.kernel_power
            return tuple(float(x) for x in power_dissipation(big, power, np))
        low = tuple(xp.minimum(m, p) for m, p in zip(minus, plus, strict=True))
        high = tuple(xp.maximum(m, p) for m, p in zip(minus, plus, strict=True))
        self.t_stage = self._time(t)
        bounds = self.hamiltonian.dissipation(self.coords, low, high, xp, t=self.t_stage)
        bounds = tuple(float(xp.max(xp.asarray(b))) for b in bounds)
        if not self.warned and self.n_steps & (self.n_steps - 1) == 0:  # steps 0, 1, 2, 4, ...
            self._check_dissipation(minus, plus, bounds)
        return bounds

    def _check_dissipation(self, minus, plus, bounds) -> None:
        """Warn when the user's bound on ``|dH/dp_a|`` is below an observed slope of ``H``.

        By the mean value theorem ``(H(.., p^+_a, ..) - H(.., p^-_a, ..)) / (p^+_a - p^-_a)`` is
        ``dH/dp_a`` somewhere in the box of the one-sided derivatives, so it must not exceed the
        bound. Steps below ``1e-6 |p|`` are skipped: there the round-off of ``H`` (of the size of
        its terms, ``|p|`` times the rest) dominates the quotient.
        """
        xp = self.be.xp
        mean = [0.5 * (m + p) for m, p in zip(minus, plus, strict=True)]
        size = sum(xp.abs(m) + xp.abs(p) for m, p in zip(minus, plus, strict=True))
        for axis, bound in enumerate(bounds):
            step = plus[axis] - minus[axis]
            moved = xp.abs(step) > 1e-8 * (xp.abs(plus[axis]) + xp.abs(minus[axis]) + 1e-300)
            moved &= xp.abs(step) > 1e-6 * size  # else the round-off of H dominates the quotient
            if not bool(xp.any(moved)):
                continue
            upper = [*mean[:axis], plus[axis], *mean[axis + 1 :]]
            lower = [*mean[:axis], minus[axis], *mean[axis + 1 :]]
            rise = self._hamiltonian(upper) - self._hamiltonian(lower)
            slopes = xp.abs(rise) / xp.where(moved, xp.abs(step), 1)
            slope = float(xp.max(xp.where(moved, slopes, 0)))
            if slope > bound * (1 + 1e-6) + 1e-12:
                self.warned = True
                warnings.warn(
                    f"dissipation={bound:.3g} along axis {axis} is below the slope |dH/dp| >= "
                    f"{slope:.3g} that the Hamiltonian shows on this solution: the "
                    "Lax-Friedrichs scheme is then not monotone and the time step too large "
                    "(an under-resolved, possibly wrong solution); pass a bound of |dH/dp_a| "
                    "that holds for all the gradients of phi",
                    DissipationWarning,
                    stacklevel=7,
                )
                return

    def _hamiltonian(self, p):
        """The user's ``H(t, x, p)``, checked for shape and finiteness."""
        values = self.hamiltonian(self.coords, tuple(p), self.be.xp, t=self.t_stage)
        xp = self.be.xp
        values = xp.asarray(values)
        try:
            values = xp.broadcast_to(values, self.grid.shape)
        except ValueError:
            raise ValueError(
                f"the hamiltonian H(x, p) returned shape {tuple(values.shape)}; with x the "
                f"cell-centre coordinates and p the gradient components it must broadcast to "
                f"the grid shape {self.grid.shape}"
            ) from None
        if not bool(xp.all(xp.isfinite(values))):
            raise UnstableSolutionError(
                f"the hamiltonian {self.hamiltonian!r} returned non-finite values (NaN or inf) "
                "for finite x and p: check its formula (and its domain)"
            )
        return values

    def max_step(self, t: float, phi_n) -> float:
        if self.point and self.flux == "local-lax-friedrichs":
            # one pass: rate = Hhat(phi_n) for the first stage, and the CFL bounds
            self.alphas = self._point_update(phi_n, phi_n, t, 0.0, 0.0, -1.0, self.rate)
            self.rate_time = t
        elif self.point:  # global Lax-Friedrichs: the bounds first, then the stages
            self.alphas = self._point_update(phi_n, phi_n, t, 0.0, 0.0, 0.0, self.buffers[0])
        elif self.fused_rate:  # one pass: rate = Hhat(phi_n) and max |D^+- phi_n|
            big = self._fused_update(phi_n, phi_n, 0.0, 0.0, -1.0, self.rate, maxima=True)
            power = self.hamiltonian.kernel_power
            self.alphas = tuple(float(x) for x in power_dissipation(big, power, np))
            self.rate_time = t
        else:
            self.alphas = self._dissipation_bounds(phi_n, t)
        self.n_steps += 1
        rate = sum(alpha / h for alpha, h in zip(self.alphas, self.grid.spacing, strict=True))
        if not np.isfinite(rate):
            return 0.0
        return self.cfl / rate if rate > 0 else np.inf

    def _stage(self, phi_n, phi_k, t_stage: float, stage, dt: float, out) -> None:
        be, grid = self.be, self.grid
        a, b, c = stage.a, stage.b, stage.b * dt
        if phi_k is phi_n and self.rate_time == t_stage:  # the first stage: rate is known
            # (a + b) phi_n - c rate without temporaries: the rate buffer is consumed (scaled in
            # place; the next max_step recomputes it)
            xp = be.xp
            rate = self.rate
            rate *= c
            xp.multiply(phi_n, a + b, out=out)
            xp.subtract(out, rate, out=out)
            self.rate_time = None
            return
        if self.point:
            self._point_update(phi_n, phi_k, t_stage, a, b, c, out)
            return
        if self.fused and self.tube:
            minus, plus = be.hj_derivatives(phi_k, grid.spacing, grid.periodic, self.scheme)
            hhat = power_numerical_hamiltonian(
                minus,
                plus,
                self.flux,
                self.hamiltonian.kernel_power,
                self.potential,
                self.alphas,
                be.xp,
            )
            out[...] = a * phi_n + b * phi_k - c * be.xp.minimum(hhat, 0)
            return
        if self.fused:
            self._fused_update(phi_n, phi_k, a, b, c, out)
            return
        minus, plus = be.hj_derivatives(phi_k, grid.spacing, grid.periodic, self.scheme)
        local = self.flux == "local-lax-friedrichs"
        self.t_stage = self._time(t_stage)
        hhat = lax_friedrichs(_Checked(self), self.coords, minus, plus, local, self.alphas, be.xp)
        if self.tube:
            hhat = be.xp.minimum(hhat, 0)
        out[...] = a * phi_n + b * phi_k - c * hhat

    def advance(self, phi_n, t: float, dt: float):
        ssp_step(self.stages, self._stage, phi_n, t, dt, self.buffers)
        self.rate_time = None
        self.constraints.apply(phi_n, self._time(t + dt))
        return phi_n

    def summary(self) -> dict:
        return {}


class _Checked:
    """The integrator's Hamiltonian with its output checked (shape, finiteness)."""

    def __init__(self, integrator: _HamiltonJacobiIntegrator) -> None:
        self.integrator = integrator

    def __call__(self, coords, p, xp):
        return self.integrator._hamiltonian(p)

    def dissipation(self, coords, low, high, xp):
        return self.integrator.hamiltonian.dissipation(
            coords, low, high, xp, t=self.integrator.t_stage
        )


class _Constraints:
    """``phi = min(phi, l)`` then ``phi = max(phi, -g)`` after each step, in the variable of the
    march (``chi = -phi`` backward: ``chi = max(chi, -l)``, ``chi = min(chi, g)``)."""

    def __init__(self, target, obstacle, grid: Grid, be, dtype, backward: bool) -> None:
        self.grid, self.be, self.dtype, self.backward = grid, be, dtype, backward
        self.target = self._prepare(target, "target")
        self.obstacle = self._prepare(obstacle, "obstacle")

    def _prepare(self, values, name: str):
        if values is None or callable(values):
            return values
        if not hasattr(values, "shape"):
            raise TypeError(f"{name} must be an array on the cells or a callable (t, *coords)")
        return self._as_array(values, name)

    def _as_array(self, values, name: str):
        xp = self.be.xp
        try:
            arr = xp.broadcast_to(self.be.asarray(values, dtype=self.dtype), self.grid.shape)
        except ValueError:
            raise ValueError(
                f"{name} has shape {tuple(values.shape)}, not broadcastable to the grid shape "
                f"{self.grid.shape}"
            ) from None
        if not bool(xp.all(xp.isfinite(arr))):
            raise ValueError(f"{name} has non-finite values on the grid")
        return arr

    def _at(self, values, t: float, name: str):
        if callable(values):
            return self._as_array(_with_shape(values(t, *self.grid.centers)), name)
        return values

    def apply(self, phi, t: float) -> None:
        xp = self.be.xp
        if self.target is not None:
            target = self._at(self.target, t, "target")
            if self.backward:
                xp.maximum(phi, -target, out=phi)
            else:
                xp.minimum(phi, target, out=phi)
        if self.obstacle is not None:
            obstacle = self._at(self.obstacle, t, "obstacle")
            if self.backward:
                xp.minimum(phi, obstacle, out=phi)
            else:
                xp.maximum(phi, -obstacle, out=phi)


def _with_shape(values):
    """``values`` with a ``shape`` (a number returned by a callable becomes a 0-d array)."""
    return values if hasattr(values, "shape") else np.asarray(values)


def _default_flux(flux: str | None, hamiltonian: Hamiltonian) -> str:
    quadratic = hamiltonian.kernel_power == 2.0
    if flux is None:
        return "godunov" if quadratic else "local-lax-friedrichs"
    flux_code(flux)
    if flux == "godunov" and hamiltonian.scalar_kernel() is not None:
        raise ValueError(
            f"flux='godunov' is not available for {hamiltonian!r}; use 'local-lax-friedrichs' "
            "or 'lax-friedrichs'"
        )
    if flux == "godunov" and not quadratic:
        raise ValueError(
            "flux='godunov' is implemented for H = |p|^2/2 (+ U) only; use "
            "'local-lax-friedrichs' or 'lax-friedrichs' for this Hamiltonian"
        )
    return flux


def _check_cfl(cfl: float | None) -> float:
    if cfl is None:
        return DEFAULT_HJ_CFL
    if not (isinstance(cfl, int | float) and np.isfinite(cfl) and 0 < cfl <= MAX_HJ_CFL):
        raise ValueError(
            f"cfl={cfl!r} is outside the stable range (0, {MAX_HJ_CFL}] of the monotone "
            "Hamilton-Jacobi schemes; choose a smaller cfl"
        )
    return float(cfl)
