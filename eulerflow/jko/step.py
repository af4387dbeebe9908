"""One JKO step as the methods deliver it, and the optimality residual every method reports.

A JKO step (Jordan, Kinderlehrer and Otto, SIAM J. Math. Anal. 29, 1998) from ``rho_k`` is

    rho_{k+1} = argmin_rho  W2^2(rho, rho_k) / (2 tau) + E(rho).

With ``phi`` the Kantorovich potential from ``rho_{k+1}`` to ``rho_k`` for the cost
``|x - y|^2 / 2`` (the optimal map is ``T(x) = x - grad phi(x)``), its optimality condition is

    phi / tau + dE/drho(rho_{k+1}) = C   on the support of rho_{k+1},

(Santambrogio, *Optimal Transport for Applied Mathematicians*, 2015, Sec. 8.3), so that
``T(x) = x + tau grad dE/drho(rho_{k+1})(x)`` maps ``rho_{k+1}`` back onto ``rho_k``.

A method is a factory ``make_step(rho0, grid, energy, tau, *, backend, tol, max_iter,
**options)`` returning a :class:`JKOStep`: a callable that takes ``rho_k`` (a backend array) and
the previous step's :class:`StepOutcome` (``None`` at the first step, for warm starts) and
returns the next :class:`StepOutcome`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from ..energies import Energy
from ..grid import Grid

_TINY = 1e-300


@dataclasses.dataclass
class StepOutcome:
    """What one JKO step produced.

    Attributes
    ----------
    rho : array
        ``rho_{k+1}`` on the grid (backend array), non-negative, with the mass of ``rho_k``.
    potential : array
        The Kantorovich potential ``phi`` from ``rho_{k+1}`` to ``rho_k`` for the cost
        ``|x - y|^2 / 2`` (so ``x - grad phi(x)`` is the optimal map), at the cell centres.
    cost : float
        ``W2^2(rho_k, rho_{k+1}) / (2 tau)`` as the method computed it.
    n_iter : int
        Inner iterations used.
    converged : bool
        Whether the inner iteration reached its tolerance.
    state : Any
        Whatever the method wants back for a warm start of the next step.
    """

    rho: Any
    potential: Any
    cost: float
    n_iter: int
    converged: bool
    state: Any = None


class JKOStep(Protocol):
    """One JKO step of a method, set up for one grid, energy and ``tau``."""

    def __call__(self, rho_k: Any, previous: StepOutcome | None) -> StepOutcome: ...


def optimality_residual(
    rho, potential, energy: Energy, grid: Grid, tau: float, xp, support: float = 1e-8
) -> float:
    """Relative residual of ``phi + tau dE/drho(rho) = C`` on the support of ``rho``.

    With ``g = phi + tau dE/drho(rho)``, ``c`` its ``rho``-weighted mean and ``S`` the cells
    where ``rho > support * max(rho)``, the residual is

        ( sum_S rho (g - c)^2 )^(1/2) / max( (sum_S rho (a - a_S)^2)^(1/2) for a in (phi, tau f) )

    where ``f = dE/drho(rho)`` and ``a_S`` the ``rho``-weighted mean of ``a``: the spread of
    ``g`` relative to the spread of each of its two terms (each term varies on the support; at
    the optimum they cancel).
    """
    weight = xp.where(rho > support * float(xp.max(rho)), rho, 0.0)
    total = float(xp.sum(weight))
    if total <= 0.0:
        return float("nan")

    def spread(a) -> float:
        centre = float(xp.sum(weight * a)) / total
        return float(xp.sqrt(xp.sum(weight * (a - centre) ** 2) / total))

    drive = tau * energy.first_variation(rho, grid)
    scale = max(spread(potential), spread(drive), _TINY)
    return spread(potential + drive) / scale
