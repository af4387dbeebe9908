"""``method="back-and-forth"``: one JKO step by the back-and-forth dual ascent.

With potentials scaled by ``tau`` (``Phi = tau phi`` on the side of ``rho = rho_{k+1}``, ``Psi``
on the side of ``mu = rho_k``, cost ``|x - y|^2 / 2``) the JKO step
``min_rho W2^2(rho, mu) / (2 tau) + E(rho)`` has the dual (Jacobs, Lee and Leger 2021, Sec. 3)

    max_{Phi, Psi}  D(Phi, Psi) / tau,
    D = int Psi dmu + min_{rho >= 0, int rho = M} ( int Phi rho + tau E(rho) ),
    Phi(x) + Psi(y) <= |x - y|^2 / 2,

maximised over ``Psi = Phi^c`` (the functional ``J(Phi)``) and ``Phi = Psi^c`` (``I(Psi)``) in
turn. The inner minimum is attained at ``rho_Phi`` with ``Phi + tau f'(rho_Phi) = C`` on its
support (:mod:`._local_law`), so ``dJ/dPhi = rho_Phi - T_# mu`` and
``dI/dPsi = mu - S_# rho_Phi`` (``S`` the optimal map of the c-transform, ``T`` its inverse;
:mod:`eulerflow.transport.back_and_forth_operators`). One iteration is two preconditioned
ascent steps, discretised as

    Phi <- Phi + sigma_Phi P (rho_Phi - T_# mu),    Psi <- Phi^c,
    Psi <- Psi + sigma_Psi P (mu - S_# rho_Phi),    Phi <- Psi^c,

with ``P = W (theta - Laplace)^{-1} W`` (one DCT/FFT Poisson solve; ``theta = 0`` and
``W = 1`` give the ``H^1`` seminorm gradient of the paper). ``theta`` matches the low modes of
the energy's curvature ``1 / (tau f''(rho))`` to the transport's (``theta = f''(max rho)^{-1} /
(tau max rho)``); with an entropy term, whose curvature scales like ``rho``, the diagonal
``W = min(1, max(10^-2, f''(max rho) / f''(rho_k)))^{-1/2}`` does the same pointwise. The step
``sigma`` starts at ``1 / max rho_k`` (the bound of the preconditioned curvature) and is
adapted once per iteration from the ratio of the achieved increase of ``D(Psi, Psi^c)`` to the
predicted ``sigma (<g_Phi, P g_Phi> + <g_Psi, P g_Psi>)``: halved (down to ``1/64`` of the
start) when the ratio is negative, grown by 5/4 (up to the start) above 1/2, an
Armijo-Goldstein control. The gradients are a discretisation of the ones of the discrete dual,
not its exact gradients, so close to the optimum the measured ascent is dominated by that
inconsistency: this is why the ratio tested is 0 and ``sigma`` has a floor.

The first step starts from ``Phi = -tau f'(max(rho_k, 10^-12 max rho_k))``, the potential of
the step that does not move: without the floor an entropy's ``f'(0) = -inf`` turns vacuum cells
of ``rho_k`` into cells where ``Phi`` jumps by about ``700 tau``, a start so far from
c-concave that the first c-transforms scrambled the density and the iteration stopped at once
with a transport mismatch of 2 (found by the property test over random Gaussian mixtures).
As a guard against such false stops, a step counts as converged only if, besides the ``tol``
test, the transport mismatch ``|rho_Phi - T_# mu|_1 / M`` is at most 25 %: its discretisation
floor at accurate steps is 0.5-1 % for smooth data and reached 6 % on a narrow Gaussian moved
by a large step (std 0.45, ``tau = 0.127``, 64^2 cells, L1 error 8e-3), while the failures
seen had 0.5-2; otherwise the iteration goes on and, at the budget, the step is reported as not
converged.

The potential handed back is ``Phi``, the Kantorovich potential of :mod:`.step`
(``x - grad Phi(x)`` the optimal map, ``Phi + tau dE/drho = C`` on the support), and
``rho_{k+1} = rho_Phi``, which has the mass of ``mu`` by construction: the multiplier ``C`` is
solved to relative 1e-14 and the density is then scaled by the ratio of the masses, a factor
within 1e-14 of 1 (the only renormalisation).

References
----------
M. Jacobs, W. Lee and F. Leger, "The back-and-forth method for Wasserstein gradient flows",
ESAIM: COCV 27 (2021) 28.
M. Jacobs and F. Leger, "A fast approach to optimal transport: the back-and-forth method",
Numer. Math. 146 (2020) 513-544.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..backends import Backend, get_backend
from ..checks import positive_int, positive_number
from ..energies import Energy
from ..grid import Grid
from ..transport.back_and_forth_operators import BackAndForthOperators
from ._local_law import LocalLaw, not_handled
from .step import JKOStep, StepOutcome

DEFAULT_TOL = 1e-5
"""Default ``tol``: relative L1 change of ``rho`` over one iteration (see :func:`make_step`)."""

DEFAULT_MAX_ITER = 500
"""Default iteration budget of one step (each iteration: two ascent steps)."""

_START_FLOOR = 1e-12
"""Relative floor of ``rho_k`` in the first guess ``Phi = -tau dE/drho(rho_k)``."""

_MISMATCH_LIMIT = 0.25
"""Largest relative L1 transport mismatch at which a step may count as converged."""

_SHRINK, _GROW = 0.5, 1.25
_LOW_RATIO, _HIGH_RATIO = 0.0, 0.5
_WEIGHT_FLOOR = 1e-2
_SMALLEST = 1 / 64


@dataclasses.dataclass
class _State:
    """Warm start of the next step: the last potential, multiplier and step sizes."""

    Phi: Any
    multiplier: float
    sigma: float


def make_step(
    rho0,
    grid: Grid,
    energy: Energy,
    tau: float,
    *,
    backend: str | Backend = "auto",
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    screening: float = 1.0,
) -> JKOStep:
    """The back-and-forth JKO step for a local energy (see the module docstring).

    Parameters
    ----------
    rho0 : array
        A density of the run (backend array; sets the dtype).
    grid : Grid
        The grid; walled axes use the DCT, periodic axes the FFT and the torus cost.
    energy : Energy
        ``Entropy``, ``PorousMedium``, ``Potential`` and sums and positive multiples of them.
    tau : float
        The time step.
    backend : str or Backend
        Compute backend.
    tol : float, default :data:`DEFAULT_TOL`
        The step stops when one iteration changes ``rho_Phi`` by at most ``tol`` relative to
        the mass in L1, ``|rho_new - rho_old|_1 <= tol M``, provided that the transport
        mismatch ``|rho_Phi - T_# mu|_1 / M`` is then at most 25 % (module docstring). The
        mismatch is no stopping test of its own: at the discrete fixed point it keeps a floor
        of 0.5-6 %, the discretisation error of the pull-back near walls and in the tails.
    max_iter : int, default :data:`DEFAULT_MAX_ITER`
        Iteration budget (each iteration is two ascent steps).
    screening : float, default 1
        Multiplies ``theta`` in the preconditioner (see the module docstring); 0 gives the
        plain ``H^1`` seminorm of the paper, much slower for small ``tau``.

    Returns
    -------
    JKOStep
        ``step(rho_k, previous) -> StepOutcome``; the outcome's ``state`` warm-starts the next
        step from its potential and step sizes.

    Raises
    ------
    TypeError
        For a non-local energy (the message names ``method="dynamic"``).
    """
    if not isinstance(energy, Energy) or not energy.is_local:
        raise not_handled(energy)
    be = get_backend(backend, like=rho0, size=grid.size)
    xp = be.xp
    tau = positive_number(tau, "tau")
    tol = positive_number(tol, "tol")
    max_iter = positive_int(max_iter, "max_iter")
    if not (screening >= 0 and np.isfinite(screening)):
        raise ValueError(f"screening must be finite and non-negative, got {screening!r}")
    dtype = rho0.dtype if rho0.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    law = LocalLaw(energy, grid, xp.asarray(rho0, dtype=dtype))
    transport = BackAndForthOperators(grid, be, dtype)
    volume = grid.cell_volume

    def dual(Psi, mu, Phi, rho) -> float:
        """``D = int Psi mu + int Phi rho + tau E(rho)``."""
        return volume * float(xp.sum(Psi * mu) + xp.sum(Phi * rho)) + tau * energy.value(rho, grid)

    def relative_mismatch(rho, mu, to_y) -> float:
        """``|rho - (S^{-1})_# mu|_1 / M``, the transport residual of :mod:`.step`."""
        gap = float(xp.sum(xp.abs(rho - transport.pull_back(mu, to_y)))) * volume
        return gap / (float(xp.sum(mu)) * volume)

    def step(rho_k, previous: StepOutcome | None) -> StepOutcome:
        mu = xp.asarray(rho_k, dtype=dtype)
        mass = float(xp.sum(mu)) * volume
        state = previous.state if previous is not None else None
        peak = float(xp.max(mu))
        reference = float(law.slope(xp.asarray([peak], dtype=dtype))[0])
        if law.entropy:  # the curvature of the entropy scales with rho: a diagonal scaling
            weight = xp.clip(law.slope(mu) / reference, _WEIGHT_FLOOR, 1.0) ** -0.5
        else:  # porous medium: constant (m = 2) or larger (m > 2) curvature wherever rho > 0
            weight = xp.ones_like(mu)
        theta = screening * reference / (tau * peak)
        largest = 1.0 / peak
        if isinstance(state, _State):
            Phi, multiplier, sigma = state.Phi, state.multiplier, state.sigma
        else:
            start = xp.maximum(mu, _START_FLOOR * peak)
            Phi = -tau * energy.first_variation(start, grid)
            multiplier = None
            sigma = largest

        def ascent(gradient):
            direction = weight * transport.precondition(weight * gradient, theta)
            return direction, volume * float(xp.sum(gradient * direction))

        Psi = transport.transform(Phi)[0]
        Phi, to_y = transport.transform(Psi)  # Phi^cc: c-concave
        rho, multiplier = law.density(Phi, tau, mass, multiplier)
        value = dual(Psi, mu, Phi, rho)
        converged = False
        n_iter = 0
        mismatch = math.inf
        while n_iter < max_iter and not converged:
            n_iter += 1
            previous_rho = rho
            # ascent in Phi, then Psi = Phi^c
            direction, predicted = ascent(rho - transport.pull_back(mu, to_y))
            Phi = Phi + sigma * direction
            Psi, to_x = transport.transform(Phi)
            rho, multiplier = law.density(Phi, tau, mass, multiplier)
            # ascent in Psi, then Phi = Psi^c
            direction, more = ascent(mu - transport.pull_back(rho, to_x))
            Psi = Psi + sigma * direction
            Phi, to_y = transport.transform(Psi)
            rho, multiplier = law.density(Phi, tau, mass, multiplier)
            # D(Psi, Psi^c) before and after the iteration against its first-order prediction
            new_value = dual(Psi, mu, Phi, rho)
            sigma = _adapt(sigma, new_value - value, sigma * (predicted + more), largest)
            value = new_value
            if float(xp.sum(xp.abs(rho - previous_rho))) * volume <= tol * mass:
                mismatch = relative_mismatch(rho, mu, to_y)
                converged = mismatch <= _MISMATCH_LIMIT
        if not converged:
            mismatch = relative_mismatch(rho, mu, to_y)
        cost = transport.transport_cost(rho, to_y) / tau
        return StepOutcome(
            rho=rho,
            potential=Phi,
            cost=cost,
            n_iter=n_iter,
            converged=converged,
            state=_State(Phi, multiplier, sigma),
            transport_residual=mismatch,
        )

    return step


def _adapt(sigma: float, achieved: float, predicted: float, largest: float) -> float:
    """The next step size from the ratio of achieved to predicted ascent (at most
    ``largest``)."""
    ratio = achieved / predicted if predicted > 0 else 1.0
    if not ratio >= _LOW_RATIO:
        return max(sigma * _SHRINK, largest * _SMALLEST)
    if ratio > _HIGH_RATIO:
        return min(sigma * _GROW, largest)
    return sigma
