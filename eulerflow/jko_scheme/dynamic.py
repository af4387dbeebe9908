"""``method="dynamic"``: a JKO step as a Benamou-Brenier problem with a free terminal density.

Following Benamou, Carlier and Laborde (2016), the step ``rho_{k+1} = argmin W2^2(rho, rho_k) /
(2 tau) + E(rho)`` is written, with the Benamou-Brenier formula ``W2^2 / 2 = min int_0^1 int
|m|^2 / (2 rho)``, as one convex problem in space-time:

    min_{rho, m}  int_0^1 int |m|^2 / (2 rho) dx ds + tau E(rho(1))
    s.t.  d_s rho + div m = 0,  rho(0) = rho_k,  m . n = 0 on walls,

with ``rho(1)`` free; then ``rho_{k+1} = rho(1)``. The discretisation is the staggered space-time
grid of Papadakis, Peyre and Oudet (2014) (:mod:`eulerflow.transport.staggered_space`), ``rho``
on ``n_time + 1`` time faces of which the last is an unknown, ``m`` on the space faces, the
kinetic action summed over the space-time cells on the centred averages. The iteration is the
primal-dual method of Chambolle and Pock (2011) with the forward step of Condat (2013) and Vu
(2013) for a non-local energy (:mod:`eulerflow.jko_scheme._free_end_pdhg`): each iteration is one
pointwise proximal map of ``|m|^2 / (2 rho)`` (``Backend.bb_prox``), one pointwise proximal map of
the local energy on the terminal face (:mod:`eulerflow.jko_scheme._terminal`), and one projection
onto the continuity constraint by a space-time Poisson solve with a free terminal face
(``Backend.bb_poisson_free_end``). Carrillo, Craig, Wang and Wei (2022) analyse primal-dual
methods for this formulation.

Outputs, in the convention of :mod:`eulerflow.jko_scheme.step`:

- ``rho``: the terminal face of the projected iterate, which has the mass of ``rho_k`` to
  round-off; values below 0 (round-off and the unconverged part of the iteration, which the
  pointwise map keeps non-negative only in the limit) are set to 0 and the mass restored by a
  factor;
- ``potential``: with ``s`` running from ``rho_k`` (``s = 0``) to ``rho_{k+1}`` (``s = 1``) the
  velocity is ``v = grad phi_HJ`` with ``d_s phi_HJ + |grad phi_HJ|^2 / 2 = 0``, and the optimal
  map from ``rho_{k+1}`` back to ``rho_k`` is ``x - v(1, x) = x - grad phi_HJ(1, x)``: the
  Kantorovich potential is ``phi = phi_HJ(1)``. Its discrete value is the dual variable of the
  continuity constraint extrapolated to ``s = 1``, times ``L^2`` (``x = L y``); the optimality
  of the terminal face is ``phi + tau dE/drho(rho_{k+1}) = 0`` on the support (module
  :mod:`eulerflow.jko_scheme._free_end_pdhg`), which the driver's residual measures;
- ``cost``: ``W2^2 / (2 tau) = A / tau`` with ``A`` the discrete kinetic action (``W2^2 = 2 A``
  for the unnormalised densities of mass ``M``).
"""

from __future__ import annotations

import math
from typing import Any

from ..backends.base import Backend
from ..energies import Energy
from ..grid import Grid
from ..transport.benamou_brenier import UnitScaling, mass_weighted_density
from ..transport.staggered_space import StaggeredSpace
from ._free_end_pdhg import FreeEndChambollePock
from ._terminal import TerminalTerm
from .step import StepOutcome

_CHECK_EVERY = 10  # iterations between evaluations of the primal and dual residuals


def make_step(
    rho0,
    grid: Grid,
    energy: Energy,
    tau: float,
    *,
    backend: Backend,
    tol: float = 1e-5,
    max_iter: int = 5000,
    n_time: int = 1,
    rho_max: float | None = None,
    sigma: float | None = None,
    theta: float = 0.99,
) -> _DynamicStep:
    """The dynamic JKO step (module docstring) for ``rho0``'s mass on ``grid``.

    Parameters
    ----------
    rho0 : array
        The initial density (backend array), for its mass and density scale.
    grid : Grid
    energy : Energy
        Any energy whose local part is convex (:meth:`~eulerflow.energies.Energy.prox`); a
        non-local part (interaction) is linearised at every iteration (see
        :mod:`eulerflow.jko_scheme._terminal`).
    tau : float
        JKO time step.
    backend : Backend
    tol : float, default 1e-5
        Stop when the relative primal residual (``|L U - (V, r)| / |(V, r)|``) and the relative
        dual (KKT) residual of the iteration are both below ``tol``; they are evaluated every 10
        iterations.
    max_iter : int, default 5000
        Iteration budget of one step; reaching it gives ``converged=False``.
    n_time : int, default 1
        Time cells of the space-time grid of one step. More cells barely change the result or
        the iteration count, and each costs a full space-time layer per iteration: one step
        of the 1D Ornstein-Uhlenbeck test (64 cells, tau = 0.1) took 1690, 1730, 1670
        iterations with ``n_time`` = 1, 2, 4, relative errors of the cost 1.7e-3, 3.0e-3,
        4.4e-3 and L1 errors 4.9e-4, 4.7e-4, 5.2e-4; the 64^2 Barenblatt step of the
        benchmark 1550-2180, 1620-1760, 1510-1570 iterations, L1 errors 2.1e-3, 2.2e-3,
        2.2e-3 after 3 steps. The single cell limits the spatial convergence, though: its
        action (on the centred average of the two end densities) is not the exact
        ``W2^2 / 2``, an error that does not shrink with ``h``. At ``tau = 0.1`` (Ornstein-
        Uhlenbeck, 32/64/128 cells, ``tol = 1e-6``) the L1 errors are 1.6e-3, 5.3e-4, 4.2e-4
        with one cell (orders 1.6, 0.4) and 1.9e-3, 4.7e-4, 1.1e-4 with four (orders 2.0,
        2.0); the floor shrinks with the displacement of a step, i.e. with ``tau``.
    rho_max : float, optional
        Congestion bound ``rho_{k+1} <= rho_max`` (crowd motion, Maury, Roudneff-Chupin and
        Santambrogio 2010), imposed on the terminal face. Because ``{rho <= rho_max}`` is
        displacement convex (the limit ``m -> inf`` of McCann's condition for ``int rho^m``),
        the geodesic between two admissible densities stays admissible, so the intermediate
        time cells need no bound; ``rho_k`` itself (the initial density) may exceed it.
    sigma, theta : float, optional
        Dual step (scaled units; default ``1 / (3 sqrt(rho_w))`` with ``rho_w = int rho^2 /
        int rho`` in scaled units, as :func:`eulerflow.transport.benamou_brenier`) and the
        fraction ``theta < 1`` of the largest primal step. The iteration count depends
        strongly on ``sigma`` but so does the point where the residuals reach ``tol``: three
        steps of the 64^2 porous-medium benchmark (``tau = 5e-4``) took 730-950 iterations per
        step with ``sigma`` / 4 and 2260-2920 with the default, relative L1 errors against
        Barenblatt 5.03e-3 and 4.93e-3; with ``tol = 1e-6``, 2030-2540 and 5620-6610
        iterations, errors 4.92e-3 and 4.82e-3 (``sigma`` / 16: 4.54e-3). At equal accuracy
        the smaller ``sigma`` saves little, and the default stays.

    Returns
    -------
    callable
        ``step(rho_k, previous) -> StepOutcome``, warm-started from ``previous.state``.

    Raises
    ------
    ValueError
        For ``n_time`` not a positive integer, a non-positive ``rho_max``, ``sigma`` or ``tol``,
        ``theta`` outside (0, 1), and for ``rho_max`` below the mean density ``mass / volume``
        (no density of that mass satisfies the bound), before any iteration.
    """
    if isinstance(n_time, bool) or not isinstance(n_time, int) or n_time < 1:
        raise ValueError(f"n_time must be a positive integer, got {n_time!r}")
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be positive, got {tol!r}")
    if not 0 < theta < 1:
        raise ValueError(f"theta must lie in (0, 1), got {theta!r}")
    mass = float(grid.integrate(rho0))
    volume = math.prod(grid.lengths)
    if rho_max is not None:
        rho_max = float(rho_max)
        if not (math.isfinite(rho_max) and rho_max > 0):
            raise ValueError(f"rho_max must be positive and finite, got {rho_max!r}")
        if rho_max < mass / volume:
            raise ValueError(
                f"rho_max = {rho_max:g} is below the mean density mass / volume = "
                f"{mass / volume:g}: no density of this mass fits under it"
            )
    scaling = UnitScaling.of(grid, mass, n_time)
    if sigma is None:
        unit = scaling.density_to_unit(rho0)
        sigma = 1.0 / (3.0 * math.sqrt(max(mass_weighted_density(unit, unit), 1.0)))
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    terminal = TerminalTerm(
        energy, grid, tau, scaling.rho_bar, scaling.length, n_time, rho_max, backend.xp
    )
    return _DynamicStep(grid, backend, scaling, terminal, tau, n_time, tol, max_iter, sigma, theta)


class _DynamicStep:
    """One configured dynamic JKO step (see :func:`make_step`)."""

    def __init__(
        self,
        grid: Grid,
        backend: Backend,
        scaling: UnitScaling,
        terminal: TerminalTerm,
        tau: float,
        n_time: int,
        tol: float,
        max_iter: int,
        sigma: float,
        theta: float,
    ) -> None:
        self.grid, self.backend, self.scaling, self.terminal = grid, backend, scaling, terminal
        self.n_time, self.tol, self.max_iter = n_time, tol, max_iter
        self.tau, self.sigma, self.theta = tau, sigma, theta

    def __call__(self, rho_k: Any, previous: StepOutcome | None) -> StepOutcome:
        xp, sc = self.backend.xp, self.scaling
        r0 = sc.density_to_unit(rho_k)
        space = StaggeredSpace(self.backend, r0, None, self.n_time, sc.spacing, self.grid.periodic)
        warm = None if previous is None else previous.state
        it = FreeEndChambollePock(space, self.terminal, self.sigma, self.theta, warm)
        converged, n_iter = False, 0
        for n_iter in range(1, self.max_iter + 1):
            check = n_iter % _CHECK_EVERY == 0
            it.step(with_dual=check)
            if not math.isfinite(it.residuals.change):
                break
            if check and it.residuals.dual <= self.tol and it.primal_residual() <= self.tol:
                converged = True
                break
        self.backend.synchronize()
        terminal = xp.maximum(it.u.rho[-1], 0)
        terminal *= float(xp.sum(r0)) / float(xp.sum(terminal))
        cost = sc.w2_squared(space.kinetic(it.v)) / (2 * self.tau)
        return StepOutcome(
            rho=sc.density(terminal).astype(rho_k.dtype, copy=False),
            potential=sc.potential(it.terminal_potential()),
            cost=cost,
            n_iter=n_iter,
            converged=converged,
            state=it.state(),
        )
