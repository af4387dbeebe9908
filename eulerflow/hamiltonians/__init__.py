"""Hamiltonians ``H(t, x, p)`` for ``d_t phi + H(t, x, grad phi) = 0``.

A Hamiltonian evaluates ``H`` on arrays and bounds ``|dH/dp_a|`` on boxes of momenta (the
dissipation that Lax-Friedrichs fluxes and the CFL condition need). The power Hamiltonians are
understood by the compiled ``hj_update`` kernels; control-affine games and scalar user
Hamiltonians are compiled into ``hj_update_point``; a user callable on arrays runs through array
expressions.

Classes
-------
PowerHamiltonian(q)
    ``H(p) = |p|^q / q``, ``q > 1``; ``q = 2`` is the default ``|p|^2 / 2`` of optimal transport.
QuadraticPotentialHamiltonian(U)
    ``H(x, p) = |p|^2 / 2 + U(x)``.
CallableHamiltonian(H, dissipation)
    Any ``H(x, p)`` (or ``H(t, x, p)``) on arrays with a bound on ``|dH/dp_a|``.
ControlAffine(f, G, D, U, V, mode)
    ``min_u max_d`` (or ``max_u min_d``) of ``p . (f + G u + D d)`` in closed form, compiled.
ControlBox, ControlBall
    The sets ``U`` and ``V`` of controls and disturbances.
ScalarHamiltonian(H, dissipation, ndim)
    A Numba-compatible scalar ``H(t, x, p)`` with its bound, compiled.
"""

from __future__ import annotations

from .base import (
    CallableHamiltonian,
    Hamiltonian,
    PowerHamiltonian,
    QuadraticPotentialHamiltonian,
    as_hamiltonian,
)
from .control_affine import ControlAffine
from .control_sets import ControlBall, ControlBox, ControlSet
from .scalar import ScalarHamiltonian

__all__ = [
    "CallableHamiltonian",
    "ControlAffine",
    "ControlBall",
    "ControlBox",
    "ControlSet",
    "Hamiltonian",
    "PowerHamiltonian",
    "QuadraticPotentialHamiltonian",
    "ScalarHamiltonian",
    "as_hamiltonian",
]
