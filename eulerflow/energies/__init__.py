"""Free energies on a grid and their first variations, for Wasserstein gradient flows.

An energy ``E`` has :meth:`~Energy.value` (the discrete ``E_h(rho)``) and
:meth:`~Energy.first_variation` (``dE/drho`` at the cell centres, the gradient of ``E_h``
divided by the cell volume); energies add and scale::

    E = PorousMedium(m=2) + Potential(lambda x, y: 0.5 * (x**2 + y**2))
    E = Entropy(0.1) + Interaction(lambda *dx: 0.5 * sum(c**2 for c in dx))

=================== ============================================ ========= =====================
energy              ``E(rho)``                                   local     convex in ``rho``
=================== ============================================ ========= =====================
``Entropy(eps)``    ``eps int rho log rho``                      yes       yes (``f'' = eps/r``)
``PorousMedium(m)`` ``eps/(m-1) int rho^m``, ``m > 1``           yes       yes
``Potential(V)``    ``int V rho``                                yes       linear
``Interaction(W)``  ``1/2 int int W(x-y) rho(x) rho(y)``         no        depends on ``W``
=================== ============================================ ========= =====================

Local energies also give the pointwise ``f``, ``f'``, ``f''`` and the proximal map
``argmin_r sigma f(r) + (r - v)^2 / 2`` used by a JKO step (:meth:`Energy.prox`).
"""

from .base import Energy, LocalEnergy, ScaledEnergy, SumEnergy
from .interaction import Interaction, difference_coordinates, difference_grid_shape
from .local import Entropy, PorousMedium, Potential

__all__ = [
    "Energy",
    "Entropy",
    "Interaction",
    "LocalEnergy",
    "PorousMedium",
    "Potential",
    "ScaledEnergy",
    "SumEnergy",
    "difference_coordinates",
    "difference_grid_shape",
]
