"""ALG2, the augmented Lagrangian method of Benamou and Brenier (Numer. Math. 84, 2000), on the
staggered grid.

The constraint ``V = I U`` of the staggered problem ``min J(V) + iota_C(U)`` is written with a
free staggered variable ``W`` as ``(U, V) = (W, I W)``, with Lagrange multipliers ``(lam_U,
lam_V)`` (scaled by ``1 / r``) and the augmented Lagrangian

    L_r = iota_C(U) + J(V) + r <lam, (U, V) - (W, I W)> + r / 2 |(U, V) - (W, I W)|^2.

One iteration minimises over ``(U, V)`` (the projection onto ``C``, whose Poisson solve is the
potential step of ALG2, and the pointwise proximal map of ``J / r``), then over ``W`` (the
graph solve ``(Id + I^T I) W = U + lam_U + I^T (V + lam_V)``), then updates the multipliers
``lam += (U, V) - (W, I W)``. After the ``(U, V)`` step ``xi = r (I W - lam_V - V)`` is in
``dJ(V)``; at convergence ``I^T xi = G phi`` with ``phi = r p`` and ``-r lam_V = xi`` is the centred
``(a, b)`` field of Benamou and Brenier (``a + |b|^2 / 2 <= 0``).
"""

from __future__ import annotations

import math

from .iteration import Method
from .staggered_space import Fields, StaggeredSpace


class ALG2(Method):
    """The iteration above; ``r`` in the scaled units of the solver."""

    name = "alg2"

    def __init__(self, space: StaggeredSpace, start: Fields, r: float = 1.0) -> None:
        super().__init__(space)
        if not (r > 0):
            raise ValueError(f"r must be positive, got {r!r}")
        self.r = float(r)
        self.w_s = space.staggered()
        self.w_s.flat[...] = start.flat
        self.w_c = space.centred()
        space.interpolate(self.w_s, self.w_c)
        self.lam_u, self.lam_v = space.staggered(), space.centred()
        self.u, self.v = space.staggered(), space.centred()
        self.a_s, self.b_c, self.y_c = space.staggered(), space.centred(), space.centred()
        self.p = space.cells()
        self.w_old = space.staggered()

    @property
    def options(self) -> dict:
        return {"r": self.r}

    def scale_step(self, factor: float) -> None:
        """``r <- r / factor`` (the proximal step ``1 / r`` times ``factor``); the multipliers,
        scaled by ``1 / r``, are rescaled so that ``r lam`` stays (He, Yang and Wang 2000)."""
        self.r /= factor
        self.lam_u.flat *= factor
        self.lam_v.flat *= factor

    def step(self, with_dual: bool = False) -> None:
        sp, xp = self.space, self.xp
        # (U, V) step
        xp.subtract(self.w_s.flat, self.lam_u.flat, out=self.a_s.flat)
        sp.project(self.a_s, self.u, self.p)
        xp.subtract(self.w_c.flat, self.lam_v.flat, out=self.y_c.flat)
        sp.backend.bb_prox(self.y_c.rho, self.y_c.m, 1.0 / self.r, out=self.v.pair)
        self.residuals.dual = math.nan
        if with_dual:
            xi = self.y_c  # xi / r = y - V
            xi.flat -= self.v.flat
            self.residuals.dual = self.dual_residual(xi, 1.0 / self.r)
            self.phi *= self.r
        w_norm = self.norm(self.w_s.flat)
        self.w_old.flat[...] = self.w_s.flat
        # W step
        xp.add(self.u.flat, self.lam_u.flat, out=self.a_s.flat)
        xp.add(self.v.flat, self.lam_v.flat, out=self.b_c.flat)
        sp.graph_solve(self.a_s, self.b_c, out=self.w_s)
        sp.interpolate(self.w_s, self.w_c)
        # multipliers lam += (U, V) - (W, I W), one fused pass each (the sums are not needed)
        be = sp.backend
        be.bb_relax(self.lam_u.flat, self.w_s.flat, self.u.flat, 1.0)
        be.bb_relax(self.lam_v.flat, self.w_c.flat, self.v.flat, 1.0)
        self.w_old.flat -= self.w_s.flat
        self.residuals.change = self.norm(self.w_old.flat) / max(w_norm, 1e-300)
