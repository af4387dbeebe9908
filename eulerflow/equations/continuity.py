"""Finite-volume solver of the continuity equation ``d_t rho + div(rho v) = 0``.

Discretisation (seed notes section 1.1, eq. 3: the mass in a control volume changes by minus
its net outflow): cell averages ``rho_i``, face velocities ``v_{a, j}``, upwind fluxes with MUSCL
reconstruction and a slope limiter (:mod:`eulerflow.schemes.muscl`), and the semi-discrete system
``d rho_i / dt = -sum_a (F_{a, i+1} - F_{a, i}) / h_a`` integrated by an SSP Runge-Kutta method
(:mod:`eulerflow.schemes.ssp`). The fluxes telescope and vanish through walls, so the total mass
is conserved to round-off; the step ``dt = cfl / sum_a (max|v_a| / h_a)`` with ``cfl`` below the
bound of :mod:`eulerflow.schemes.cfl` keeps non-negative densities non-negative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..arrays import stack_like
from ..backends import as_input_type, get_backend
from ..grid import Grid
from ..results import Solution
from ..schemes.cfl import check_cfl
from ..schemes.limiters import limiter_code
from ..schemes.ssp import ssp_stages
from .face_velocity import FaceVelocity, max_courant_rate
from .marching import march, snapshot_times
from .validation import as_density, negative_or_nonfinite


def solve_continuity(
    rho0,
    grid: Grid,
    velocity: Callable | Sequence,
    t_final: float,
    t_eval: Sequence[float] | None = None,
    limiter: str = "vanleer",
    stepper: str = "ssprk3",
    cfl: float | None = None,
    steady: bool = False,
    backend: str = "auto",
    progress: bool | None = None,
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
        SSP Runge-Kutta method (Shu-Osher form).
    cfl : float, optional
        Courant number ``dt * sum_a max|v_a| / h_a``; at most 0.5 for MUSCL and 1 for donor
        cell (the positivity bounds). Default: 80% of the bound.
    steady : bool, default False
        The callable ``velocity`` does not depend on ``t``: evaluate it once.
    backend : {"auto", "numba", "numpy", "cupy"}
        Compute backend (see :func:`eulerflow.get_backend`).
    progress : bool, optional
        Show a progress bar (default: only on a terminal).

    Returns
    -------
    Solution
        ``sol.t``, ``sol.rho`` (snapshots, same array type as ``rho0``), ``sol.mass`` and
        ``sol.diagnostics["min"]`` per snapshot, the scheme in ``sol.method``.

    Raises
    ------
    ValueError
        Shape mismatch, negative or non-finite density, wrong number of velocity components,
        ``t_final <= 0``, a Courant number outside the stable range, unknown scheme names.
    UnstableSolutionError
        The solution became non-finite or negative (only possible with a velocity that grows
        faster during a step than the step control assumes).
    """
    limiter_code(limiter)
    stages = ssp_stages(stepper)
    cfl = check_cfl(cfl, limiter)
    times = snapshot_times(t_final, t_eval)
    be = get_backend(backend, like=rho0, size=grid.size)
    rho, dtype = as_density(rho0, grid, be, "rho0")
    faces = FaceVelocity(velocity, grid, dtype, steady=steady)
    spacing, periodic = grid.spacing, grid.periodic
    xp = be.xp

    cache: dict[float, tuple] = {}

    def device_faces(t: float) -> tuple:
        if faces.steady:
            t = 0.0
        if t not in cache:
            cache.clear()
            cache[t] = tuple(be.asarray(u) for u in faces(t))
        return cache[t]

    buffers = (xp.empty_like(rho), xp.empty_like(rho))

    def advance(rho_n, t: float, dt: float):
        previous = rho_n
        for k, stage in enumerate(stages):
            last = k == len(stages) - 1
            out = rho_n if (last and k > 0) else buffers[k % 2]
            be.transport_update(
                rho_n,
                previous,
                device_faces(t + stage.theta * dt),
                spacing,
                periodic,
                limiter,
                stage.a,
                stage.b,
                stage.b * dt,
                out=out,
            )
            previous = out
        if previous is rho_n:
            return rho_n
        rho_n[...] = previous
        return rho_n

    steady_rate = max_courant_rate(faces(0.0), spacing) if faces.steady else None

    def max_step(t: float, rho_n) -> float:
        rate = steady_rate if faces.steady else max_courant_rate(faces(t), spacing)
        return cfl / rate if rate > 0 else np.inf

    masses: list[float] = []
    minima: list[float] = []

    def snapshot(rho_n):
        masses.append(float(grid.integrate(rho_n)))
        minima.append(float(rho_n.min()))
        return as_input_type(rho_n.copy(), like=rho0)

    def check(rho_n) -> str | None:
        return negative_or_nonfinite(rho_n, xp)

    record = march(rho, times, max_step, advance, snapshot, check, progress, "continuity")
    values = stack_like(record.snapshots, like=rho0)
    return Solution(
        t=times,
        values=values,
        grid=grid,
        field="rho",
        equation="continuity",
        method={
            "limiter": limiter,
            "stepper": stepper,
            "cfl": cfl,
            "steady_velocity": faces.steady,
            "dt_min": record.dt_min,
            "dt_max": record.dt_max,
            "dtype": str(np.dtype(dtype)),
        },
        backend=be.name,
        diagnostics={"mass": np.array(masses), "min": np.array(minima)},
        n_steps=record.n_steps,
        wall_time=record.wall_time,
        status=0,
        message="reached t_final",
    )
