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
(seed notes section 3, eqs. 50-57).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..arrays import stack_like
from ..backends import as_input_type, get_backend
from ..grid import Grid
from ..hamiltonians import Hamiltonian, as_hamiltonian, power_dissipation
from ..results import Solution
from ..schemes.hj_derivatives import scheme_code
from ..schemes.hj_fluxes import flux_code, lax_friedrichs
from ..schemes.ssp import ssp_stages
from .marching import march, snapshot_times
from .validation import working_dtype

HJ_STEPPERS = {"tvdrk1": "ssprk1", "tvdrk2": "ssprk2", "tvdrk3": "ssprk3"}
"""TVD Runge-Kutta methods (the SSP methods of :mod:`eulerflow.schemes.ssp`)."""

MAX_HJ_CFL = 1.0
"""Largest Courant number accepted: the monotonicity bound of the first-order schemes."""


def solve_hamilton_jacobi(
    phi0,
    grid: Grid,
    t_final: float,
    hamiltonian: Hamiltonian | Callable | None = None,
    scheme: str = "weno5",
    stepper: str = "tvdrk3",
    t_eval: Sequence[float] | None = None,
    direction: str = "forward",
    cfl: float = 0.5,
    flux: str | None = None,
    dissipation=None,
    backend: str = "auto",
    progress: bool | None = None,
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
    t_final : float
        Length of the time interval, ``> 0``.
    hamiltonian : Hamiltonian, callable or None
        ``None`` for ``H = |p|^2/2``; a :class:`~eulerflow.hamiltonians.Hamiltonian`
        (``PowerHamiltonian(q)``, ``QuadraticPotentialHamiltonian(U)``); or a callable
        ``H(x, p)`` (``x`` and ``p`` tuples of arrays), which needs ``dissipation``.
    scheme : {"weno5", "eno2", "first"}
        One-sided derivatives.
    stepper : {"tvdrk3", "tvdrk2", "tvdrk1"}
        TVD Runge-Kutta method.
    t_eval : sequence of float, optional
        Snapshot times in ``[0, t_final]``, increasing; default ``[0, t_final]``.
    direction : {"forward", "backward"}
        Initial- or terminal-value problem.
    cfl : float, default 0.5
        Courant number ``dt sum_a alpha_a / h_a`` in ``(0, 1]``.
    flux : {"godunov", "lax-friedrichs", "local-lax-friedrichs"}, optional
        Numerical Hamiltonian; default Godunov for ``|p|^2/2 (+ U)``, local Lax-Friedrichs
        otherwise.
    dissipation : float, sequence or callable, optional
        Bound on ``|dH/dp_a|`` for a callable ``hamiltonian``
        (see :class:`~eulerflow.hamiltonians.CallableHamiltonian`).
    backend : {"auto", "numba", "numpy", "cupy"}
        Compute backend.
    progress : bool, optional
        Show a progress bar (default: only on a terminal).

    Returns
    -------
    Solution
        ``sol.t`` (increasing), ``sol.phi`` (snapshots, same array type as ``phi0``), the range of
        ``phi`` per snapshot in ``sol.diagnostics``.
    """
    hamiltonian = as_hamiltonian(hamiltonian, dissipation)
    scheme_code(scheme)
    stages = ssp_stages(_stepper_name(stepper))
    flux = _default_flux(flux, hamiltonian)
    _check_cfl(cfl)
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    times = snapshot_times(t_final, t_eval)
    backward = direction == "backward"
    solve_times = np.sort(t_final - times) if backward else times
    if backward:
        hamiltonian = hamiltonian.reflected()

    be = get_backend(backend, like=phi0, size=grid.size)
    phi = _as_values(phi0, grid, be)
    if backward:
        phi = -phi
    dtype = phi.dtype
    xp = be.xp
    spacing, periodic = grid.spacing, grid.periodic
    fused = hamiltonian.kernel_power is not None
    potential = hamiltonian.potential_values(grid) if fused else None
    if potential is not None:
        potential = be.asarray(potential, dtype=dtype)
    coords = None if fused else tuple(be.asarray(c, dtype=dtype) for c in grid.centers)
    alphas: list[tuple] = []

    def dissipation_bounds(phi_n) -> tuple:
        minus, plus = be.hj_derivatives(phi_n, spacing, periodic, scheme)
        if fused:
            big = [
                max(float(xp.abs(m).max()), float(xp.abs(p).max()))
                for m, p in zip(minus, plus, strict=True)
            ]
            return tuple(float(x) for x in power_dissipation(big, hamiltonian.kernel_power, np))
        low = tuple(xp.minimum(m, p) for m, p in zip(minus, plus, strict=True))
        high = tuple(xp.maximum(m, p) for m, p in zip(minus, plus, strict=True))
        bounds = hamiltonian.dissipation(coords, low, high, xp)
        return tuple(float(xp.max(xp.asarray(b))) for b in bounds)

    def max_step(t: float, phi_n) -> float:
        alphas.clear()
        alphas.append(dissipation_bounds(phi_n))
        rate = sum(alpha / h for alpha, h in zip(alphas[0], spacing, strict=True))
        if not np.isfinite(rate):
            return 0.0
        return cfl / rate if rate > 0 else np.inf

    buffers = (xp.empty_like(phi), xp.empty_like(phi))

    def stage_update(phi_n, phi_k, a: float, b: float, c: float, out):
        if fused:
            be.hj_update(
                phi_n,
                phi_k,
                spacing,
                periodic,
                scheme,
                flux,
                hamiltonian.kernel_power,
                potential,
                alphas[0],
                a,
                b,
                c,
                out=out,
            )
            return
        minus, plus = be.hj_derivatives(phi_k, spacing, periodic, scheme)
        hhat = lax_friedrichs(
            hamiltonian, coords, minus, plus, flux == "local-lax-friedrichs", alphas[0], xp
        )
        out[...] = a * phi_n + b * phi_k - c * hhat

    def advance(phi_n, t: float, dt: float):
        previous = phi_n
        for k, stage in enumerate(stages):
            out = phi_n if (k == len(stages) - 1 and k > 0) else buffers[k % 2]
            stage_update(phi_n, previous, stage.a, stage.b, stage.b * dt, out)
            previous = out
        if previous is not phi_n:
            phi_n[...] = previous
        return phi_n

    lows: list[float] = []
    highs: list[float] = []

    def snapshot(phi_n):
        sign = -1 if backward else 1
        lows.append(float((sign * phi_n).min()))
        highs.append(float((sign * phi_n).max()))
        return as_input_type(sign * phi_n, like=phi0)

    def check(phi_n) -> str | None:
        if not bool(xp.all(xp.isfinite(phi_n))):
            return "phi has non-finite values (unstable setting?)"
        return None

    record = march(
        phi, solve_times, max_step, advance, snapshot, check, progress, "hamilton-jacobi"
    )
    snapshots = record.snapshots[::-1] if backward else record.snapshots
    if backward:
        lows.reverse()
        highs.reverse()
    return Solution(
        t=times,
        values=stack_like(snapshots, like=phi0),
        grid=grid,
        field="phi",
        equation="hamilton-jacobi",
        method={
            "scheme": scheme,
            "flux": flux,
            "stepper": stepper,
            "cfl": float(cfl),
            "direction": direction,
            "hamiltonian": repr(hamiltonian),
            "dt_min": record.dt_min,
            "dt_max": record.dt_max,
            "dtype": str(np.dtype(dtype)),
        },
        backend=be.name,
        diagnostics={"min": np.array(lows), "max": np.array(highs)},
        n_steps=record.n_steps,
        wall_time=record.wall_time,
        status=0,
        message="reached t_final",
    )


def _stepper_name(stepper: str) -> str:
    try:
        return HJ_STEPPERS[stepper]
    except (KeyError, TypeError):
        choices = ", ".join(repr(k) for k in HJ_STEPPERS)
        raise ValueError(f"stepper must be one of {choices}, got {stepper!r}") from None


def _default_flux(flux: str | None, hamiltonian: Hamiltonian) -> str:
    quadratic = hamiltonian.kernel_power == 2.0
    if flux is None:
        return "godunov" if quadratic else "local-lax-friedrichs"
    flux_code(flux)
    if flux == "godunov" and not quadratic:
        raise ValueError(
            "flux='godunov' is implemented for H = |p|^2/2 (+ U) only; use "
            "'local-lax-friedrichs' or 'lax-friedrichs' for this Hamiltonian"
        )
    return flux


def _check_cfl(cfl: float) -> None:
    if not (isinstance(cfl, int | float) and np.isfinite(cfl) and 0 < cfl <= MAX_HJ_CFL):
        raise ValueError(
            f"cfl={cfl!r} is outside the stable range (0, {MAX_HJ_CFL}] of the monotone "
            "Hamilton-Jacobi schemes; choose a smaller cfl"
        )


def _as_values(phi0, grid: Grid, be):
    if not hasattr(phi0, "shape"):
        phi0 = np.asarray(phi0)
    grid.check_field(phi0, "phi0")
    arr = be.asarray(phi0, dtype=working_dtype(phi0))
    if not bool(be.xp.all(be.xp.isfinite(arr))):
        raise ValueError("phi0 has non-finite values (NaN or inf)")
    return be.xp.array(arr, copy=True, order="C")
