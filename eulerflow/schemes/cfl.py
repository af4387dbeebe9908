"""Courant numbers and the stable bounds of the upwind finite-volume transport scheme.

The Courant number of a step is ``C = dt * sum_a max|u_a| / h_a`` (face speeds ``u_a`` along
axis ``a``). A forward-Euler step of the upwind scheme keeps non-negative data non-negative when

- ``C <= 1`` for first-order donor cell: the outflow of cell ``i`` is at most
  ``dt sum_a max|u_a| q_i / h_a``;
- ``C <= 1/2`` for MUSCL with any limiter of :mod:`eulerflow.schemes.limiters`: the two
  reconstructed face values of a cell add up to ``2 q_i`` and are both non-negative, so the
  outflow is at most ``2 dt sum_a max|u_a| q_i / h_a``.

The SSP Runge-Kutta methods (SSP coefficient 1) keep the same bound. These bounds also make the
scheme stable (total-variation diminishing in 1D).
"""

from __future__ import annotations

import math


def max_courant(limiter: str) -> float:
    """Largest Courant number for which the scheme is positive and stable."""
    return 1.0 if limiter == "none" else 0.5


def check_cfl(cfl: float | None, limiter: str) -> float:
    """Validate a Courant number (default: 80% of the bound) and return it."""
    bound = max_courant(limiter)
    if cfl is None:
        return 0.8 * bound
    if not (isinstance(cfl, int | float) and math.isfinite(cfl) and 0 < cfl <= bound):
        kind = "donor cell (limiter='none')" if limiter == "none" else "MUSCL reconstruction"
        raise ValueError(
            f"cfl={cfl!r} is outside the stable range (0, {bound}] for {kind} with SSP "
            f"Runge-Kutta steppers; choose cfl <= {bound}"
        )
    return float(cfl)
