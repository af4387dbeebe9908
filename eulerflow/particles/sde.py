"""Euler-Maruyama for the SDE ``dX = b(t, X) dt + sqrt(2 eps) dW``.

If ``X_0`` has law ``rho_0``, the law ``rho(t)`` of ``X_t`` solves the Fokker-Planck equation
``d_t rho + div(b rho) = eps Laplace rho`` (Kloeden and Platen, *Numerical Solution of
Stochastic Differential Equations*, 1992, ch. 9; Risken, *The Fokker-Planck Equation*, 1989):
a cloud of independent
particles, deposited on a grid (:func:`eulerflow.particles.deposit`), approximates the
solution of :func:`eulerflow.solve_fokker_planck` up to the sampling error (of order
``n^{-1/2}``) and the weak error of the time stepping (of order ``dt``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..arrays import array_module, is_cupy_array, stack_like
from ..checks import check_callable, check_grid, positive_number, real_number
from ..exceptions import StepBudgetWarning
from ..grid import Grid
from ..marching import march, snapshot_times
from .mesh import as_positions
from .sampling import as_generator
from .solution import ParticleSolution


def euler_maruyama(
    x0,
    grid: Grid | None,
    drift: Callable | None,
    t_final: float,
    *,
    diffusion: float = 1.0,
    dt: float,
    t_eval: Sequence[float] | None = None,
    rng=None,
    mass: float = 1.0,
    max_steps: int | None = None,
    progress: bool | None = None,
    callback: Callable[[float, object], object] | None = None,
) -> ParticleSolution:
    """Integrate ``dX = b(t, X) dt + sqrt(2 eps) dW`` for a cloud of particles.

    One step from ``t_k`` to ``t_{k+1} = t_k + dt_k``:

        X_{k+1} = X_k + b(t_k, X_k) dt_k + sqrt(2 eps dt_k) xi_k,   xi_k ~ N(0, I) i.i.d.,

    with ``dt_k = dt`` except that steps are shortened to land exactly on every snapshot time
    (and on ``t_final``). The scheme has weak order 1 (expectations of smooth functions are off
    by ``O(dt)``) and strong order 1/2.

    Boundaries: without ``grid`` the particles move in all of ``R^d``. With a ``grid``, after
    every step periodic axes are wrapped into ``[lo, hi)`` and walled axes reflect the particles
    (``x -> 2 lo - x`` below the box, ``2 hi - x`` above, repeated as needed): the reflected
    process has the zero-flux (no-flux) boundary condition of the Fokker-Planck solver. Near a
    wall the reflection lowers the weak order to 1/2 in ``dt``.

    Parameters
    ----------
    x0 : array, shape (n, d)
        Initial positions (for example from :func:`eulerflow.particles.sample`); NumPy, or CuPy
        (the noise is then drawn on the device, seeded from ``rng``). float32 positions are
        stepped in float32.
    grid : Grid or None
        Box with periodic and walled axes (see above); ``None`` for all of ``R^d``.
    drift : callable or None
        ``b(t, *coords) -> tuple of d arrays``, the convention of the velocities of
        :func:`eulerflow.solve_continuity`: ``coords`` are the ``d`` coordinate arrays of the
        particles (each of shape ``(n,)``) and the result has one component per axis, each
        broadcastable to ``(n,)`` (a 1D drift may return the array itself). ``None``: no drift
        (Brownian motion).
    t_final : float
        Final time, > 0.
    diffusion : float, default 1
        Diffusion coefficient ``eps >= 0`` (``eps = 0``: the explicit Euler method for the
        characteristics ``dX/dt = b``).
    dt : float
        Time step, > 0 (required).
    t_eval : sequence of float, optional
        Snapshot times in ``[0, t_final]`` (default ``[0, t_final]``).
    rng : numpy.random.Generator, int or None
        Random source; a seed makes the run reproducible.
    mass : float, default 1
        Total mass carried by the cloud, ``mass / n`` per particle (used by the deposits).
    max_steps : int, optional
        Step budget (see :func:`eulerflow.solve_continuity`).
    progress : bool or None
        Progress bar (None: only on a terminal).
    callback : callable ``(t, positions)``, optional
        Called after every step.

    Returns
    -------
    ParticleSolution
        Positions at the snapshot times, with ``deposit``/``histogram``/``to_solution``.

    Raises
    ------
    TypeError
        ``grid`` is neither a Grid nor None; ``drift`` is not callable; non-numeric arguments.
    ValueError
        Bad shapes, negative ``diffusion``, ``dt <= 0``, ``t_eval`` outside ``[0, t_final]``,
        a run that needs more than ``max_steps`` steps.
    UnstableSolutionError
        Positions became non-finite (a drift too large for ``dt``).

    Examples
    --------
    >>> import numpy as np
    >>> from eulerflow.particles import euler_maruyama
    >>> x0 = np.zeros((1000, 1))
    >>> sol = euler_maruyama(x0, None, lambda t, x: (-x,), 1.0, dt=0.01, rng=0)
    >>> sol.positions.shape
    (2, 1000, 1)
    """
    if grid is not None:
        check_grid(grid, "grid (or None)")
    eps = positive_number(diffusion, "diffusion", allow_zero=True)
    dt = positive_number(dt, "dt")
    if drift is not None:
        check_callable(drift, "drift (or None)", "b(t, *coords) -> tuple of arrays")
    mass = real_number(mass, "mass")
    times = snapshot_times(t_final, t_eval)
    x = _as_initial_positions(x0, grid)
    xp = array_module(x)
    n, d = x.shape
    dtype = x.dtype
    normal = _normal_source(as_generator(rng), x)
    if grid is not None:
        x = _apply_boundaries(x, grid, xp)

    def advance(state, t, step):
        b = _drift_values(drift, t, state, xp)
        new = state + b * dtype.type(step) if b is not None else state.copy()
        if eps > 0:
            new += dtype.type(math.sqrt(2.0 * eps * step)) * normal((n, d), dtype)
        return _apply_boundaries(new, grid, xp) if grid is not None else new

    def check(state):
        if not bool(xp.all(xp.isfinite(state))):
            return "particle positions became non-finite (drift too large for dt?)"
        return None

    record = march(
        x,
        times,
        max_step=lambda t, state: dt,
        advance=advance,
        snapshot=lambda state: state.copy(),
        check=check,
        progress=progress,
        description="euler-maruyama",
        max_steps=max_steps,
        callback=callback,
    )
    status, message = 0, f"reached t = {times[-1]:g} in {record.n_steps} steps"
    if record.stopped:
        status, message = 1, record.stopped
        warnings.warn(f"euler_maruyama: {message}", StepBudgetWarning, stacklevel=2)
    return ParticleSolution(
        t=np.asarray(record.times),
        positions=stack_like(record.snapshots, x),
        grid=grid,
        total_mass=mass,
        parameters={"scheme": "euler-maruyama", "diffusion": eps, "dt": dt},
        backend="numpy" if xp is np else "cupy",
        n_steps=record.n_steps,
        wall_time=record.wall_time,
        status=status,
        message=message,
    )


def _as_initial_positions(x0, grid):
    if grid is not None:
        return as_positions(x0, grid, "x0").copy()
    xp = array_module(x0)
    x = xp.asarray(x0)
    if x.ndim != 2 or not 1 <= x.shape[1] <= 3 or x.shape[0] < 1:
        raise ValueError(f"x0 must have shape (n, d) with n >= 1, d = 1..3, got {x.shape}")
    if x.dtype.kind not in "fiu":
        raise TypeError(f"x0 must be a real array, got dtype {x.dtype}")
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    x = xp.array(x, dtype=dtype, order="C", copy=True)
    if not bool(xp.all(xp.isfinite(x))):
        raise ValueError("x0 has non-finite values")
    return x


def _normal_source(rng: np.random.Generator, like):
    """``normal(shape, dtype)``: standard normal numbers of the array type of ``like``."""
    if is_cupy_array(like):
        import cupy

        device_rng = cupy.random.default_rng(int(rng.integers(2**63)))
        return lambda shape, dtype: device_rng.standard_normal(shape, dtype=dtype)
    return lambda shape, dtype: rng.standard_normal(shape, dtype=dtype)


def _drift_values(drift, t, x, xp):
    """``b(t, x)`` as an ``(n, d)`` array of the dtype of ``x``, or None without drift."""
    if drift is None:
        return None
    n, d = x.shape
    values = drift(t, *(x[:, a] for a in range(d)))
    if d == 1 and hasattr(values, "shape") and not isinstance(values, tuple | list):
        values = (values,)
    try:
        values = tuple(values)
    except TypeError:
        raise TypeError(f"drift(t, *coords) must return a tuple of {d} arrays") from None
    if len(values) != d:
        raise ValueError(
            f"drift(t, *coords) must return {d} components (one per axis), got {len(values)}"
        )
    out = xp.empty((n, d), dtype=x.dtype)
    for a, component in enumerate(values):
        out[:, a] = xp.broadcast_to(xp.asarray(component, dtype=x.dtype), (n,))
    return out


def _apply_boundaries(x, grid: Grid, xp):
    """Wrap periodic axes into ``[lo, hi)``; reflect at walls into ``[lo, hi]`` (in place)."""
    for a, ((lo, hi), periodic) in enumerate(zip(grid.bounds, grid.periodic, strict=True)):
        col = x[:, a]
        length = hi - lo
        if periodic:
            col -= length * xp.floor((col - lo) / length)
            col[col >= hi] = lo  # rounding of the line above
        elif bool(xp.any((col < lo) | (col > hi))):
            # unfold onto a circle of length 2L, then fold back: reflection at both walls
            y = xp.mod(col - lo, 2 * length)
            col[...] = lo + xp.where(y > length, 2 * length - y, y)
    return x
