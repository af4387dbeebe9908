"""The terminal-face term ``tau E(rho(1))`` of a dynamic JKO step, in the solver's unit scaling.

The step (:mod:`eulerflow.jko_scheme.dynamic`) runs on the problem scaled to mean density 1 and
longest box side 1 (:class:`eulerflow.transport.benamou_brenier.UnitScaling`: ``rho = rho_bar r``,
``x = L y``), and minimises the plain sum ``K(V) = sum_cells |m_c|^2 / (2 rho_c)``, which is the
kinetic action ``A = int_0^1 int |m|^2 / (2 rho)`` divided by ``c = rho_bar L^(2 + d) |cell| / N``
(``|cell|`` the scaled cell volume, ``N`` the time cells). The terminal term of
``(A + tau E_h) / c`` is ``T(r) = (tau / c) E_h(rho_bar r)``; as ``dE_h / drho_i = h^d
dE/drho_i`` (the first variation, :mod:`eulerflow.energies`) and ``h^d = L^d |cell|``,

    dT / dr_i = w dE/drho(rho_bar r)_i,   w = tau N / L^2.

Its parts:

- the local part enters through its pointwise proximal map: ``argmin_r s T_loc(r) + |r - a|^2 / 2
  = prox_{s w rho_bar f}(rho_bar a) / rho_bar`` (substitute ``rho = rho_bar r`` and multiply
  by ``rho_bar^2``) (:meth:`eulerflow.energies.Energy.prox`: Newton
  on ``r + sigma f'(r) = v``; closed form in effect for a potential), with ``r >= 0``;
- a non-local part (:class:`~eulerflow.energies.Interaction`) is not separable. It is linearised
  around the current terminal density ``r_bar`` of the iteration: ``T_int(r) ~ T_int(r_bar) +
  <grad T_int(r_bar), r - r_bar>``, i.e. it contributes the explicit gradient
  ``w (W * rho_bar r_bar)`` to the primal update (the forward step of the primal-dual method of
  Condat 2013 and Vu 2013 for a smooth term), re-evaluated at every iteration, so that the fixed
  point satisfies the exact optimality condition. The step bound needs the Lipschitz constant of
  that gradient, estimated by power iteration (the interaction first variation is linear in
  ``rho``);
- the congestion bound ``rho <= rho_max`` (Maury, Roudneff-Chupin and Santambrogio 2010) is the
  indicator of ``r <= rho_max / rho_bar``; the proximal map of a convex scalar function plus an
  interval is the clamp of its proximal map, so it is applied after the pointwise map.
"""

from __future__ import annotations

import math

import numpy as np

from ..energies import Energy
from ..grid import Grid

_POWER_STEPS = 30  # power iterations for the Lipschitz constant of the linearised part
_POWER_SAFETY = 1.25  # the estimate approaches the norm from below


class TerminalTerm:
    """``s T`` and ``grad T_int`` on the terminal face in scaled units (module docstring).

    Parameters
    ----------
    energy : Energy
    grid : Grid
    tau : float
        JKO time step.
    rho_bar, length : float
        Unit scaling: mean density and longest box side.
    n_time : int
        Time cells of the space-time grid.
    rho_max : float or None
        Congestion bound in physical units.
    xp : module
        Array module of the backend.
    """

    def __init__(
        self,
        energy: Energy,
        grid: Grid,
        tau: float,
        rho_bar: float,
        length: float,
        n_time: int,
        rho_max: float | None,
        xp,
    ) -> None:
        self.grid, self.rho_bar, self.xp = grid, rho_bar, xp
        self.weight = tau * n_time / length**2
        self.local, self.nonlocal_part = energy.split_local()
        self.bound = None if rho_max is None else rho_max / rho_bar
        self.lipschitz = 0.0 if self.nonlocal_part is None else self._lipschitz()

    def prox(self, a, s: float):
        """``argmin_r s T_loc(r) + |r - a|^2 / 2`` over ``0 <= r (<= rho_max / rho_bar)``."""
        xp = self.xp
        if self.local is None:
            r = xp.maximum(a, 0)
        else:
            sigma = s * self.weight * self.rho_bar
            r = self.local.prox(a * self.rho_bar, sigma, self.grid) * (1.0 / self.rho_bar)
        if self.bound is not None:
            r = xp.minimum(r, self.bound)
        return r

    def gradient(self, r):
        """``grad T_int(r) = w dE_int/drho(rho_bar r)``, or ``None`` without a non-local part."""
        if self.nonlocal_part is None:
            return None
        return self.nonlocal_part.first_variation(r * self.rho_bar, self.grid) * self.weight

    def _lipschitz(self) -> float:
        """Largest ``|grad T_int(x) - grad T_int(0)| / |x|`` by power iteration, with a margin."""
        xp = self.xp
        rng = np.random.default_rng(0)
        zero = self.gradient(xp.zeros(self.grid.shape))
        x = xp.asarray(rng.standard_normal(self.grid.shape))
        estimate = 0.0
        for _ in range(_POWER_STEPS):
            x = x * (1.0 / math.sqrt(float(xp.sum(x * x))))
            y = self.gradient(x) - zero
            estimate = math.sqrt(float(xp.sum(y * y)))
            if estimate == 0.0:
                break
            x = y
        return _POWER_SAFETY * estimate
