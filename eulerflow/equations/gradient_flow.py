"""Finite-volume solver of Wasserstein gradient flows ``d_t rho = div(rho grad dE/drho)``.

The scheme is that of Carrillo, Chertock and Huang, "A finite-volume method for nonlinear
nonlocal equations with a gradient flow structure", Commun. Comput. Phys. 17 (2015) 233-258.
Along each axis, with cells ``i`` and faces ``i + 1/2``:

- ``xi_i = dE/drho(rho)_i`` at the cell centres (:meth:`eulerflow.energies.Energy.first_variation`);
- face velocity ``u_{i+1/2} = -(xi_{i+1} - xi_i) / h`` (zero on walls, wrapped on periodic
  axes), :func:`face_velocities`;
- upwind flux ``F_{i+1/2} = max(u, 0) rho^E_i + min(u, 0) rho^W_{i+1}`` with the
  piecewise-linear reconstruction ``rho^{E,W}_i = rho_i +- s_i / 2`` and the limited slope
  ``s_i``; the paper's generalised minmod with ``theta = 1`` is ``limiter="minmod"``
  (``minmod(dl, (dl + dr) / 2, dr) = minmod(dl, dr)``), ``theta = 2`` is ``limiter="mc"``.
  For non-negative data these face values are non-negative, so the positivity correction of
  the paper never triggers;
- ``d rho_i / dt = -sum_a (F_{a, i+1/2} - F_{a, i-1/2}) / h_a``.

The last two steps are exactly the MUSCL upwind rate of :mod:`eulerflow.schemes.muscl`, so one
Runge-Kutta stage is one fused ``Backend.transport_update`` call with the face velocities above.
Semi-discretely ``d E_h / dt = |C| sum_i xi_i d rho_i / dt = -|C| sum_faces u F <= 0``
(summation by parts, ``u = -(xi_{i+1} - xi_i) / h``; ``F`` has the sign of ``u``): the discrete
energy decays. In time: SSP Runge-Kutta (Shu-Osher form) with

    dt = cfl / max(sum_a max|u_a| / h_a, sum_a max D / h_a^2),   cfl <= 1/2,

where the first rate is the paper's bound ``dt <= h / (2 max |u|)`` (in 1D at ``cfl = 1/2``),
which keeps the density non-negative, and the second is the explicit diffusion bound for the
diffusivity ``D = rho f''(rho)`` of the local part of the energy
(:meth:`eulerflow.energies.Energy.diffusivity`; ``eps`` for the entropy, ``eps m rho^(m-1)``
for the porous medium). The paper's bound alone is not enough: for the porous-medium equation
it lets the explicit step exceed ``h^2 / (2 D)``, and the run then oscillates and the energy
rises (measured on the 1D Barenblatt run, n = 40..160: up to 14% in one step); with both
bounds the discrete energy decreased at every step in all our tests. The velocities change
within a step; every stage checks its own Courant number against the bound, and a step whose
stage would exceed it is redone as two half steps, so positivity holds at every stage.

Energy decay at every step is a property of the semi-discrete scheme; the explicit step
keeps it when ``f''`` is bounded on the data. Where ``f''`` is unbounded at vacuum (entropy,
porous medium with ``m < 2``) a single large step that fills empty cells can raise the energy
(the mass ``delta`` moved into an empty cell costs ``f(delta) >> f'(0) delta``); on positive
data, or with smaller steps, it decays. The entropy's first variation at vacuum is floored
(:class:`eulerflow.energies.Entropy`), which makes the upwinded ``rho grad log rho`` flux over-fill
empty cells next to occupied ones: prefer positive initial data with entropy terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..arrays import array_module
from ..backends import Backend, get_backend
from ..checks import as_density, check_grid, negative_or_nonfinite
from ..energies.base import Energy
from ..exceptions import UnstableSolutionError
from ..grid import Grid
from ..marching import EmbeddedErrorControl, snapshot_times, solve_in_time, ssp_step
from ..results import Solution
from ..schemes.cfl import check_cfl, max_courant
from ..schemes.limiters import limiter_code
from ..schemes.ssp import ssp_name, ssp_stages

_MAX_HALVINGS = 30


def face_velocities(xi, spacing: Sequence[float], periodic: Sequence[bool], out: Sequence):
    """Write ``u_{a, j} = -(xi_j - xi_{j-1}) / h_a`` into the face arrays ``out``.

    ``out[a]`` has ``xi.shape`` with ``n_a + 1`` along axis ``a`` (face ``j`` between cells
    ``j - 1`` and ``j``). Walls (faces ``0`` and ``n_a`` of a walled axis) get ``0``; on a
    periodic axis both end faces get ``-(xi_0 - xi_{n-1}) / h_a``. Written with array slicing,
    so it runs on NumPy and CuPy arrays alike.

    Returns
    -------
    tuple
        ``out``.
    """
    ndim = xi.ndim
    xp = array_module(xi)
    for axis, (h, per, u) in enumerate(zip(spacing, periodic, out, strict=True)):
        n = xi.shape[axis]

        def sl(start, stop, axis=axis):
            index = [slice(None)] * ndim
            index[axis] = slice(start, stop)
            return tuple(index)

        inv_h = 1.0 / h
        interior = u[sl(1, n)]
        xp.subtract(xi[sl(0, n - 1)], xi[sl(1, n)], out=interior)
        interior *= inv_h
        if per:
            u[sl(0, 1)] = (xi[sl(n - 1, n)] - xi[sl(0, 1)]) * inv_h
            u[sl(n, n + 1)] = u[sl(0, 1)]
        else:
            u[sl(0, 1)] = 0
            u[sl(n, n + 1)] = 0
    return out


def solve_gradient_flow(
    rho0,
    grid: Grid,
    energy: Energy,
    t_final: float,
    *,
    t_eval: Sequence[float] | None = None,
    limiter: str = "minmod",
    stepper: str = "ssprk3",
    cfl: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_steps: int | None = None,
    backend: str | Backend = "auto",
    progress: bool | None = None,
    callback: Callable[[float, object], object] | None = None,
) -> Solution:
    """Solve ``d_t rho = div(rho grad dE/drho)`` from ``rho(0) = rho0`` up to ``t_final``.

    Parameters
    ----------
    rho0 : array
        Initial cell averages, shape ``grid.shape``, finite and non-negative (NumPy or CuPy;
        float32 is computed in float32, everything else in float64).
    grid : Grid
        The grid; periodic axes wrap around, the others are walls with zero flux.
    energy : eulerflow.energies.Energy
        The free energy, e.g. ``PorousMedium(2) + Potential(V)`` or
        ``Entropy(diffusion) + Interaction(W)``.
    t_final : float
        Final time, ``> 0``.
    t_eval : sequence of float, optional
        Snapshot times in ``[0, t_final]``, increasing; default ``[0, t_final]``.
    limiter : {"minmod", "mc", "vanleer", "superbee", "none"}
        Slope limiter of the reconstruction; ``"minmod"`` is the scheme of the paper.
    stepper : {"ssprk3", "ssprk2", "ssprk1"}
        SSP Runge-Kutta method (``"tvdrk1"`` .. ``"tvdrk3"`` are aliases).
    cfl : float, optional
        Courant number: ``dt`` is ``cfl`` over the larger of ``sum_a max|u_a| / h_a`` and
        ``sum_a max D / h_a^2`` (see above); at most 1/2 (1 for ``limiter="none"``), default
        80% of the bound.
    rtol, atol : float, optional
        Error-controlled steps below the CFL bound: the embedded SSP-RK estimate
        (``ssprk2``/``ssprk3``, ``eulerflow.schemes.ssp.EMBEDDED_ERROR``) keeps the local
        error under ``atol + rtol |rho|`` (aggregated in L1; ``scipy.integrate.solve_ivp``
        convention; ``rtol`` defaults to 1e-3 when only ``atol`` is given, ``atol`` to
        ``1e-3 rtol max|rho0|``). Without them (default) the step is the CFL bound alone, whose
        time error is already far below the spatial error of the scheme.
    max_steps : int, optional
        Step budget (see :func:`eulerflow.solve_continuity`).
    backend : {"auto", "numba", "numpy", "cupy"} or Backend
        Compute backend of the transport stages.
    progress : bool, optional
        Show a progress bar (default: only on a terminal).
    callback : callable ``(t, rho) -> None``, optional
        Called after every time step with the time and the current density (a backend array
        owned by the solver: read it, copy it, do not modify it). For example, record the
        energy at every step with ``lambda t, rho: log.append(energy.value(rho, grid))``.

    Returns
    -------
    Solution
        ``sol.t``, ``sol.rho`` (snapshots, array type of ``rho0``), and per snapshot
        ``sol.diagnostics["energy"]`` (the discrete energy), ``"mass"`` and ``"min"``;
        ``sol.diagnostics["rejected_steps"]`` counts steps redone in halves.

    Raises
    ------
    TypeError
        ``grid`` is not a Grid; ``energy`` is not an :class:`~eulerflow.energies.Energy`.
    ValueError
        Shape mismatch, negative or non-finite ``rho0``, ``t_final <= 0``, a Courant number
        outside the stable range, unknown scheme names, a run that needs more than
        ``max_steps`` steps.
    UnstableSolutionError
        Non-finite or negative values (or a step that collapses below ``2^-30`` of its size).

    References
    ----------
    .. [1] J. A. Carrillo, A. Chertock and Y. Huang, "A finite-volume method for nonlinear
       nonlocal equations with a gradient flow structure", Commun. Comput. Phys. 17 (2015)
       233-258.

    Examples
    --------
    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(40, (-2, 2))
    >>> rho0 = ef.exact.gaussian_density(grid, mean=0.0, cov=0.1)
    >>> E = ef.energies.PorousMedium(2) + ef.energies.Potential(lambda x: 0.5 * x**2)
    >>> sol = ef.solve_gradient_flow(rho0, grid, E, 0.1)
    >>> bool(sol.diagnostics["energy"][-1] < sol.diagnostics["energy"][0])
    True
    """
    grid = check_grid(grid)
    if not isinstance(energy, Energy):
        raise TypeError(
            f"energy must be an eulerflow.energies.Energy (e.g. PorousMedium(2) + Potential(V)), "
            f"got {type(energy).__name__}"
        )
    limiter_code(limiter)
    stepper = ssp_name(stepper)
    cfl = check_cfl(cfl, limiter)
    times = snapshot_times(t_final, t_eval)
    be = get_backend(backend, like=rho0, size=grid.size)
    rho, dtype = as_density(rho0, grid, be, "rho0")
    control = EmbeddedErrorControl.optional(stepper, rtol, atol, rho, be.xp)
    integrator = _GradientFlowIntegrator(energy, grid, be, limiter, stepper, cfl, rho, control)

    def record(state) -> dict[str, float]:
        return {
            "mass": float(grid.integrate(state)),
            "min": float(state.min()),
            "energy": float(energy.value(state, grid)),
        }

    return solve_in_time(
        rho,
        times,
        integrator,
        grid=grid,
        like=rho0,
        field="rho",
        equation="gradient-flow",
        parameters={
            "scheme": "carrillo-chertock-huang",
            "energy": repr(energy),
            "limiter": limiter,
            "stepper": stepper,
            "cfl": cfl,
            "rtol": None if control is None else control.rtol,
            "atol": None if control is None else control.atol,
            "dtype": str(np.dtype(dtype)),
        },
        backend=be.name,
        check=lambda state: negative_or_nonfinite(state, be.xp),
        record=record,
        progress=progress,
        callback=callback,
        max_steps=max_steps,
    )


class _GradientFlowIntegrator:
    """SSP stages of the Carrillo-Chertock-Huang rate; a step whose stage breaks the Courant
    bound is redone as two half steps."""

    def __init__(
        self, energy: Energy, grid: Grid, be, limiter, stepper, cfl, like, control
    ) -> None:
        self.energy = energy
        self.control = control
        self.error_controlled = control is not None
        self.grid = grid
        self.be = be
        self.limiter = limiter
        self.stages = ssp_stages(stepper)
        self.cfl = cfl
        self.bound = max_courant(limiter)
        xp, dtype = be.xp, like.dtype
        self.dtype = dtype
        self.faces = tuple(xp.zeros(grid.face_shape(a), dtype=dtype) for a in range(grid.ndim))
        self.buffers = (xp.empty_like(like), xp.empty_like(like))
        self.faces_of = None  # the state whose face velocities are in self.faces
        self.rejected = 0

    def courant_rate(self, q) -> float:
        """Face velocities of ``q`` into :attr:`faces`; returns ``sum_a max|u_a| / h_a``."""
        xp = self.be.xp
        xi = xp.asarray(self.energy.first_variation(q, self.grid))
        if xi.dtype != self.dtype:
            xi = xi.astype(self.dtype)
        spacing = self.grid.spacing
        face_velocities(xi, spacing, self.grid.periodic, self.faces)
        self.faces_of = q
        return float(
            sum(float(xp.abs(u).max()) / h for u, h in zip(self.faces, spacing, strict=True))
        )

    def diffusion_rate(self, q) -> float:
        """``sum_a max D / h_a^2``, ``D = rho f''(rho)`` the diffusivity of the local part."""
        d_max = float(self.be.xp.asarray(self.energy.diffusivity(q, self.grid)).max())
        return d_max * sum(1.0 / h**2 for h in self.grid.spacing)

    def max_step(self, t: float, rho_n) -> float:
        rate = max(self.courant_rate(rho_n), self.diffusion_rate(rho_n))
        if not np.isfinite(rate):
            raise ValueError(
                f"the first variation of {self.energy!r} is not finite at t={t:.6g}; check the "
                "energy"
            )
        stable = self.cfl / rate if rate > 0 else np.inf
        return stable if self.control is None else self.control.limit(stable)

    def _stage(self, rho_n, rho_k, t_stage: float, stage, dt: float, out) -> bool:
        if self.faces_of is not rho_k and not self.courant_rate(rho_k) * dt <= self.bound:
            self.rejected += 1  # the step is redone: as two halves, or shorter under control
            return False
        self.be.transport_update(
            rho_n,
            rho_k,
            self.faces,
            self.grid.spacing,
            self.grid.periodic,
            self.limiter,
            stage.a,
            stage.b,
            stage.b * dt,
            out=out,
        )
        return True

    def advance(self, rho_n, t: float, dt: float, depth: int = 0):
        if self.faces_of is not rho_n:
            self.courant_rate(rho_n)
        if self.control is not None:  # rejected (None) by the estimate or the Courant bound
            new = self.control.step(self.stages, self._stage, rho_n, t, dt, self.buffers)
            self.faces_of = None
            return new
        if ssp_step(self.stages, self._stage, rho_n, t, dt, self.buffers):
            self.faces_of = None
            return rho_n
        if depth >= _MAX_HALVINGS:
            raise UnstableSolutionError(
                f"the gradient-flow step collapsed below {dt:.3g} at t={t:.6g}: the velocity "
                f"changes too fast within a step"
            )
        half = 0.5 * dt
        self.advance(rho_n, t, half, depth + 1)
        return self.advance(rho_n, t + half, half, depth + 1)

    def summary(self) -> dict:
        return {"rejected_steps": self.rejected}
