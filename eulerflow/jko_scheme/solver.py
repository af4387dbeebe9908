"""``jko``: a Wasserstein gradient flow one minimising-movement (JKO) step at a time.

The scheme of Jordan, Kinderlehrer and Otto ("The variational formulation of the Fokker-Planck
equation", SIAM J. Math. Anal. 29, 1998): from ``rho_0``,

    rho_{k+1} = argmin_rho  W2^2(rho, rho_k) / (2 tau) + E(rho),   k = 0, 1, ...,

whose iterates, interpolated in time, converge as ``tau -> 0`` to the solution of
``d_t rho = div(rho grad dE/drho)`` (first order in ``tau``). Each step is solved by one of the
methods of :data:`METHODS`; this module runs the steps, checks each result and collects the
diagnostics into a :class:`~eulerflow.jko_scheme.JKOSolution`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..arrays import to_numpy
from ..backends import Backend, get_backend
from ..checks import (
    as_density,
    check_callable,
    check_grid,
    negative_or_nonfinite,
    positive_int,
    positive_number,
)
from ..energies import Energy
from ..exceptions import ConvergenceWarning, UnstableSolutionError
from ..grid import Grid
from ..progress import progress_bar
from ..schemes.choices import lookup
from . import back_and_forth, dynamic
from .result import STEP_SERIES, JKOSolution
from .step import JKOStep, StepOutcome, optimality_residual

METHODS: dict[str, Callable[..., JKOStep]] = {
    "back-and-forth": back_and_forth.make_step,
    "dynamic": dynamic.make_step,
}
"""Methods of one JKO step, by name: factories ``(rho0, grid, energy, tau, *, backend, tol,
max_iter, **options) -> JKOStep`` (see :mod:`eulerflow.jko_scheme.step`)."""

# Relative mass change of a step above which the step is reported broken: 1e-10, or 1024 units
# of round-off of the working dtype when that is larger (float32: about 1.2e-4).
_MASS_RTOL = 1e-10
_MASS_ULPS = 1024


def jko(
    rho0,
    grid: Grid,
    energy: Energy,
    tau: float,
    n_steps: int,
    *,
    method: str = "back-and-forth",
    every: int = 1,
    tol: float | None = None,
    max_iter: int | None = None,
    backend: str | Backend = "auto",
    progress: bool | None = None,
    callback: Callable[[float, Any], object] | None = None,
    **method_options: Any,
) -> JKOSolution:
    """Run ``n_steps`` JKO steps ``rho_{k+1} = argmin W2^2(rho, rho_k) / (2 tau) + E(rho)``.

    Parameters
    ----------
    rho0 : array_like, shape grid.shape
        Initial density (cell averages), non-negative with positive mass.
    grid : Grid
        The grid; walled axes are the closed box, periodic axes the torus.
    energy : Energy
        The free energy ``E`` (:mod:`eulerflow.energies`), e.g.
        ``Entropy() + Potential(V)`` for the Fokker-Planck equation.
    tau : float
        The time step ``tau > 0``; snapshot ``k`` is at ``t = k tau``.
    n_steps : int
        Number of JKO steps.
    method : {"back-and-forth", "dynamic"}, default "back-and-forth"
        How each step is solved: ``"back-and-forth"``, the dual ascent of Jacobs, Lee and Leger
        (local energies: entropy, porous medium, potential, and sums of them), or ``"dynamic"``,
        the space-time primal-dual formulation of Benamou, Carlier and Laborde (every energy,
        and a congestion bound ``rho_max``).
    every : int, default 1
        Keep a snapshot every ``every`` steps (the initial and the last state are always kept).
    tol, max_iter : optional
        Tolerance and iteration budget of each step's inner solver (the method's defaults when
        ``None``).
    backend : {"auto", "numba", "numpy", "cupy"} or Backend
        Compute backend.
    progress : bool, optional
        Show a progress bar over the steps (default: only on a terminal).
    callback : callable ``(t, rho) -> None``, optional
        Called after every step with its time and density (a backend array: do not modify it).
    **method_options
        Options of the method (see ``eulerflow.jko_scheme.back_and_forth.make_step`` and
        ``eulerflow.jko_scheme.dynamic.make_step``).

    Returns
    -------
    JKOSolution
        Snapshots ``rho`` at ``t = k tau`` with per-snapshot ``mass`` and ``energy``, and per-step
        diagnostics in ``.steps`` (energy, transport cost, inner iterations, converged flag,
        optimality and transport residuals, wall time). ``status`` is 0 when every step
        converged, else 1 with a :class:`~eulerflow.ConvergenceWarning`.

    Raises
    ------
    TypeError
        If ``grid`` is not a Grid, ``energy`` not an Energy, ``callback`` not callable, or the
        method cannot handle the energy (the message names the method that can).
    ValueError
        For a non-positive ``tau``, ``n_steps`` or ``every``, an unknown ``method``, or a
        density with negative or non-finite values or zero mass.
    UnstableSolutionError
        If a step returns non-finite or negative densities or loses mass (with the partial
        solution attached).

    References
    ----------
    R. Jordan, D. Kinderlehrer and F. Otto, "The variational formulation of the Fokker-Planck
    equation", SIAM J. Math. Anal. 29 (1998) 1-17.

    Examples
    --------
    The Fokker-Planck flow from ``N(0, 1/2)`` towards ``N(0, 1)``: the mass is kept and the free
    energy decreases at every step.

    >>> import numpy as np, eulerflow as ef
    >>> from eulerflow.energies import Entropy, Potential
    >>> grid = ef.Grid(32, (-4, 4))
    >>> rho0 = ef.exact.gaussian_density(grid, mean=0.0, cov=0.5)
    >>> sol = ef.jko(rho0, grid, Entropy() + Potential(lambda x: x**2 / 2), 0.1, 3, backend="numpy")
    >>> sol.rho.shape, sol.converged, bool(np.allclose(sol.mass, sol.mass[0]))
    ((4, 32), True, True)
    >>> bool(np.all(np.diff(sol.diagnostics["energy"]) < 0))
    True
    """
    grid = check_grid(grid)
    if not isinstance(energy, Energy):
        raise TypeError(f"energy must be an eulerflow.energies.Energy, got {type(energy).__name__}")
    tau = positive_number(tau, "tau")
    n_steps = positive_int(n_steps, "n_steps")
    every = positive_int(every, "every")
    make_step = lookup(METHODS, method, "method")
    if callback is not None:
        check_callable(callback, "callback", "callback(t, rho)")
    be = get_backend(backend, like=rho0, size=grid.size)
    rho, dtype = as_density(rho0, grid, be, "rho0")
    xp = be.xp
    mass0 = float(grid.integrate(rho))
    if not mass0 > 0:
        raise ValueError(f"rho0 must have positive mass, got mass {mass0!r}")
    mass_rtol = max(_MASS_RTOL, _MASS_ULPS * float(np.finfo(dtype).eps))

    options = {}
    if tol is not None:
        options["tol"] = positive_number(tol, "tol")
    if max_iter is not None:
        options["max_iter"] = positive_int(max_iter, "max_iter")
    start = time.perf_counter()
    step = make_step(rho, grid, energy, tau, backend=be, **options, **method_options)

    snapshots = [to_numpy(rho).copy()]
    snapshot_steps = [0]
    snapshot_energy = [energy.value(rho, grid)]
    series: dict[str, list] = {name: [] for name in STEP_SERIES}
    previous: StepOutcome | None = None
    bar = progress_bar(n_steps, progress, f"JKO ({method})", unit="step")

    def solution(k: int, status: int, message: str) -> JKOSolution:
        return JKOSolution(
            grid=grid,
            parameters={"method": method, "tau": tau, "every": every, **options, **method_options},
            backend=be.name,
            status=status,
            message=message,
            wall_time=time.perf_counter() - start,
            diagnostics={
                "mass": [grid.integrate(s) for s in snapshots],
                "energy": snapshot_energy,
            },
            t=tau * np.asarray(snapshot_steps, dtype=float),
            values=np.stack(snapshots),
            field="rho",
            equation="jko",
            n_steps=k,
            steps={name: values[:k] for name, values in series.items()},
        )

    with bar:
        for k in range(1, n_steps + 1):
            tic = time.perf_counter()
            previous = step(rho, previous)
            new = previous.rho
            problem = negative_or_nonfinite(new, xp)
            mass = float(grid.integrate(new))
            if problem is None and abs(mass - mass0) > mass_rtol * mass0:
                problem = f"changed the mass from {mass0!r} to {mass!r}"
            if problem is not None:
                snapshots.append(to_numpy(new).copy())
                snapshot_steps.append(k)
                snapshot_energy.append(float("nan"))
                err = UnstableSolutionError(f"JKO step {k} ({method}) {problem}")
                err.solution = solution(k - 1, -1, str(err))
                raise err
            rho = new
            value = energy.value(rho, grid)
            series["energy"].append(value)
            series["cost"].append(previous.cost)
            series["n_iter"].append(previous.n_iter)
            series["converged"].append(int(previous.converged))
            series["residual"].append(
                optimality_residual(rho, previous.potential, energy, grid, tau, xp)
            )
            series["transport_residual"].append(previous.transport_residual)
            series["wall_time"].append(time.perf_counter() - tic)
            if k % every == 0 or k == n_steps:
                snapshots.append(to_numpy(rho).copy())
                snapshot_steps.append(k)
                snapshot_energy.append(value)
            if callback is not None:
                callback(k * tau, rho)
            bar.update(1)

    failed = n_steps - sum(series["converged"])
    if failed:
        message = (
            f"{failed} of {n_steps} JKO steps did not reach tol within max_iter inner iterations"
        )
        warnings.warn(message + " (see result.steps)", ConvergenceWarning, stacklevel=2)
        return solution(n_steps, 1, message)
    return solution(n_steps, 0, f"{n_steps} JKO steps, every step converged")
