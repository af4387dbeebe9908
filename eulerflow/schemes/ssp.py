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

from .choices import lookup


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

STEPPER_ALIASES: dict[str, str] = {"tvdrk1": "ssprk1", "tvdrk2": "ssprk2", "tvdrk3": "ssprk3"}
"""Other names of the same tables: the TVD Runge-Kutta methods of Shu and Osher are these SSP
methods."""

ORDER = {"ssprk1": 1, "ssprk2": 2, "ssprk3": 3}

EMBEDDED_ERROR: dict[str, tuple[float, ...]] = {
    "ssprk2": (0.0, -1.0, 1.0),
    "ssprk3": (1.0, 0.0, -2.0, 1.0),
}
"""Local error estimates from the stages: the coefficients of ``(u^n, u^(1), .., u^(s))`` in
``u^(s) - u_low``, with ``u_low`` an embedded method of one order less built from the same
stages. SSPRK2: ``u_low = u^(1)`` (forward Euler). SSPRK3: ``u_low = 2 u^(2) - u^n``, which is
``(u^n + (u^(1) + dt L(u^(1)))) / 2``, Heun's SSPRK2 (Conde, Fekete and Shadid, "Embedded pairs
for optimal explicit strong stability preserving Runge-Kutta methods", J. Comput. Appl. Math.
412, 2022, use such pairs for step control). Both estimates are ``O(dt^(p))`` for the order
``p`` of the method."""


def ssp_name(stepper: str) -> str:
    """The canonical name (``"ssprk1"`` .. ``"ssprk3"``) of an SSP stepper or of its alias.

    Raises
    ------
    ValueError
        Unknown name (the message lists the accepted ones).
    """
    names = {**{name: name for name in SSP_METHODS}, **STEPPER_ALIASES}
    return lookup(names, stepper, "stepper")


def ssp_stages(stepper: str) -> tuple[Stage, ...]:
    """Stage table of an SSP method (aliases accepted); ``ValueError`` listing the choices."""
    return SSP_METHODS[ssp_name(stepper)]
