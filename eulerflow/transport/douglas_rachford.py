"""Douglas-Rachford splitting for the Benamou-Brenier problem (Papadakis, Peyre and Oudet 2014).

Variables ``x = (U, V)``, staggered and centred. The problem is ``min G1(x) + G2(x)`` with
``G1(U, V) = iota_C(U) + J(V)`` (proximal map: the projection onto ``C`` and the pointwise
proximal map of ``J``) and ``G2 = iota_{V = I U}`` (proximal map: the projection onto the graph of
``I``). With step ``gamma`` and relaxation ``alpha`` in (0, 2) the iteration is

    x = prox_{gamma G1}(z),    y = prox_{G2}(2 x - z),    z <- z + alpha (y - x),

and ``x`` converges to a minimiser. After each step ``xi = (z_V - V) / gamma`` (``z`` before
the update) is in ``dJ(V)``; at a fixed point ``I^T xi = G phi`` for some ``phi``.
"""

from __future__ import annotations

import math

from .iteration import Method
from .staggered_space import Fields, StaggeredSpace


class DouglasRachford(Method):
    """The iteration above; ``gamma`` is in the scaled units of the solver."""

    name = "douglas-rachford"

    def __init__(
        self, space: StaggeredSpace, start: Fields, gamma: float = 1.0, alpha: float = 1.9
    ) -> None:
        super().__init__(space)
        if not (gamma > 0):
            raise ValueError(f"gamma must be positive, got {gamma!r}")
        if not (0 < alpha < 2):
            raise ValueError(f"alpha (relaxation) must lie in (0, 2), got {alpha!r}")
        self.gamma, self.alpha = float(gamma), float(alpha)
        self.z_u, self.z_v = space.staggered(), space.centred()
        self.z_u.flat[...] = start.flat
        space.interpolate(start, self.z_v)
        self.u, self.v = space.staggered(), space.centred()
        self.y_u, self.y_v = space.staggered(), space.centred()
        self.p = space.cells()
        self._xi = space.centred()

    @property
    def options(self) -> dict:
        return {"gamma": self.gamma, "alpha": self.alpha}

    def scale_step(self, factor: float) -> None:
        """``gamma <- factor gamma``. After a step ``z = x + alpha (y - x) + gamma xi`` with
        ``x = prox_{gamma G1}(z_old)`` and ``gamma xi = z_old - x``, so the same ``x``, ``y`` and
        ``xi`` with the new ``gamma`` are ``z + (factor - 1) (z - (1 - alpha) x - alpha y)``."""
        xp = self.xp
        for z, x, y in ((self.z_u, self.u, self.y_u), (self.z_v, self.v, self.y_v)):
            scaled = xp.multiply(x.flat, 1.0 - self.alpha)
            scaled += self.alpha * y.flat
            xp.subtract(z.flat, scaled, out=scaled)  # gamma xi
            scaled *= factor - 1.0
            z.flat += scaled
        self.gamma *= factor

    def step(self, with_dual: bool = False) -> None:
        sp, xp, be = self.space, self.xp, self.space.backend
        # x = prox_{gamma G1}(z) and the reflection y = 2 x - z, in the same passes
        y_u, y_v = self.y_u, self.y_v
        sp.project(self.z_u, self.u, self.p, reflect=y_u)
        be.bb_prox(self.z_v.rho, self.z_v.m, self.gamma, out=self.v.pair, reflect=y_v.pair)
        sp.graph_solve(y_u, y_v, out=y_u)
        sp.interpolate(y_u, y_v)
        self.residuals.dual = math.nan
        if with_dual:
            xi = self._xi
            xp.subtract(self.z_v.flat, self.v.flat, out=xi.flat)  # gamma xi
            self.residuals.dual = self.dual_residual(xi, self.gamma)
            self.phi *= 1.0 / self.gamma
        # z <- z + alpha (y - x), with the squared norms of z and y - x from the same pass
        zu_sq, du_sq = be.bb_relax(self.z_u.flat, self.u.flat, y_u.flat, self.alpha)
        zv_sq, dv_sq = be.bb_relax(self.z_v.flat, self.v.flat, y_v.flat, self.alpha)
        z_norm = math.sqrt(zu_sq) + math.sqrt(zv_sq)
        step = math.sqrt(du_sq) + math.sqrt(dv_sq)
        self.residuals.change = self.alpha * step / max(z_norm, 1e-300)
