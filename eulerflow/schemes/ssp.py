"""Strong-stability-preserving Runge-Kutta methods in Shu-Osher form.

For ``du/dt = L(u)`` a step from ``u^n`` runs the stages ``u^(0) = u^n`` and

    u^(k) = a_k u^n + b_k (u^(k-1) + dt L(u^(k-1))),   k = 1..s,

evaluating ``L`` at time ``t_n + theta_k dt``; ``u^(s)`` is ``u^{n+1}``. The three methods are
convex combinations of forward Euler steps with SSP coefficient 1 (Shu and Osher, J. Comput.
Phys. 77, 1988; Gottlieb, Shu and Tadmor, SIAM Rev. 43, 2001): any property that forward
Euler keeps under ``dt <= dt_FE`` (positivity, TVD) they keep under the same bound.
"""

from __future__ import annotations

from typing import NamedTuple


class Stage(NamedTuple):
    """One Shu-Osher stage: ``u^(k) = a u^n + b (u^(k-1) + dt L(u^(k-1)))`` at ``t + theta dt``."""

    a: float
    b: float
    theta: float


SSP_METHODS: dict[str, tuple[Stage, ...]] = {
    "ssprk1": (Stage(0.0, 1.0, 0.0),),
    "ssprk2": (Stage(0.0, 1.0, 0.0), Stage(0.5, 0.5, 1.0)),
    "ssprk3": (Stage(0.0, 1.0, 0.0), Stage(0.75, 0.25, 1.0), Stage(1 / 3, 2 / 3, 0.5)),
}
"""Stage tables; the SSP coefficient of each is 1."""

ORDER = {"ssprk1": 1, "ssprk2": 2, "ssprk3": 3}


def ssp_stages(stepper: str) -> tuple[Stage, ...]:
    """Stage table of an SSP method; ``ValueError`` listing the choices for unknown names."""
    try:
        return SSP_METHODS[stepper]
    except (KeyError, TypeError):
        choices = ", ".join(repr(k) for k in SSP_METHODS)
        raise ValueError(f"stepper must be one of {choices}, got {stepper!r}") from None
