"""Chambolle-Pock (PDHG) for the Benamou-Brenier problem (Papadakis, Peyre and Oudet 2014).

``min_U F(I U) + G(U)`` with ``F = J`` and ``G = iota_C``: with steps ``sigma tau |I|^2 < 1``
(``|I| <= 1``, the interpolation averages) the iteration is

    xi <- prox_{sigma F*}(xi + sigma I U_bar)
       =  w - sigma prox_{F / sigma}(w / sigma),   w = xi + sigma I U_bar,
    U_new = proj_C(U - tau I^T xi),    U_bar = 2 U_new - U.

The proximal map of ``F / sigma`` is ``bb_prox`` with ``gamma = 1 / sigma``; its output ``V`` and
``xi`` in ``dJ(V)`` are the centred iterate and the subgradient. (With ``phi = p / tau`` from
the projection, ``I^T xi - G phi = (U - U_new) / tau`` on the unknowns.)
"""

from __future__ import annotations

import math

from .iteration import Method
from .staggered_space import Fields, StaggeredSpace


class ChambollePock(Method):
    """The iteration above; ``sigma`` in the scaled units of the solver, ``tau = theta / sigma``."""

    name = "chambolle-pock"

    def __init__(
        self, space: StaggeredSpace, start: Fields, sigma: float = 1.0, theta: float = 0.99
    ) -> None:
        super().__init__(space)
        if not (sigma > 0):
            raise ValueError(f"sigma must be positive, got {sigma!r}")
        if not (0 < theta < 1):
            raise ValueError(f"theta = sigma * tau must lie in (0, 1), got {theta!r}")
        self.sigma, self.tau = float(sigma), float(theta) / float(sigma)
        self.u, self.u_bar, self.u_old = space.staggered(), space.staggered(), space.staggered()
        self.u.flat[...] = start.flat
        self.u_bar.flat[...] = start.flat
        self.v, self.xi, self.w = space.centred(), space.centred(), space.centred()
        self.p = space.cells()

    @property
    def options(self) -> dict:
        return {"sigma": self.sigma, "tau": self.tau}

    def scale_step(self, factor: float) -> None:
        """The step ``1 / sigma`` of the proximal map of ``J`` times ``factor``: ``sigma`` and
        ``tau`` change in inverse proportion (``sigma tau`` fixed), the iterates stay (Goldstein
        et al. 2015)."""
        self.sigma /= factor
        self.tau *= factor

    def step(self, with_dual: bool = False) -> None:
        sp, xp = self.space, self.xp
        sigma = self.sigma
        w = sp.interpolate(self.u_bar, self.w)
        w.flat *= sigma
        w.flat += self.xi.flat
        # v = prox_{J / sigma}(w / sigma), xi = w - sigma v
        xp.multiply(w.flat, 1.0 / sigma, out=self.xi.flat)
        sp.backend.bb_prox(self.xi.rho, self.xi.m, 1.0 / sigma, out=self.v.pair)
        xp.multiply(self.v.flat, -sigma, out=self.xi.flat)
        self.xi.flat += w.flat
        # U_new = proj_C(U - tau I^T xi)
        self.u_old.flat[...] = self.u.flat
        step = sp.interpolate_adjoint(self.xi, self.u_bar)
        step.flat *= -self.tau
        step.flat += self.u.flat
        sp.project(step, self.u, self.p)
        diff = self.u_bar
        xp.subtract(self.u.flat, self.u_old.flat, out=diff.flat)
        self.residuals.dual = self.dual_residual(self.xi) if with_dual else math.nan
        self.residuals.change = self.norm(diff.flat) / max(self.norm(self.u.flat), 1e-300)
        diff.flat += self.u.flat  # U_bar = 2 U_new - U_old
