"""The primal-dual iteration of a dynamic JKO step: Chambolle-Pock with a free terminal face.

The discrete problem (scaled units, see :mod:`eulerflow.jko_scheme._terminal`) is

    min_U  K(I U) + T_loc(U_N) + T_int(U_N) + iota_C(U),

``U = (rho_s, m_s)`` staggered with ``rho_s[0] = rho_k`` and ``U_N = rho_s[N]`` free, ``C`` the
continuity constraint (:class:`~eulerflow.transport.staggered_space.StaggeredSpace` with
``rho1=None``), ``K`` the kinetic sum, ``T_loc`` the local part of the energy (with the bounds
``0 <= r <= rho_max``) and ``T_int`` its smooth non-local part. With the linear map
``L U = (I U, U_N)``, ``F(V, r) = K(V) + T_loc(r)`` and the dual steps ``sigma`` on ``V`` and
``sigma_r = sigma / 2`` on ``r`` (a diagonal preconditioning, Pock and Chambolle 2011), the
iteration of Chambolle and Pock (2011) with the forward step of Condat (2013) and Vu (2013) for
``T_int`` is

    xi  <- prox_{sigma K*}(xi + sigma I U_bar)                  (Moreau: pointwise proximal maps)
    eta <- prox_{sigma_r T_loc*}(eta + sigma_r U_bar_N)
    U_new = proj_C(U - t (I^T xi + e_N (eta + grad T_int(U_N)))),   U_bar = 2 U_new - U,

with ``1 / t = (sigma + Lip / 2) / theta`` and ``theta < 1``: by Gershgorin on
``L^T diag(sigma, sigma_r) L = sigma I^T I + sigma_r e_N e_N^T`` (row sums ``sigma`` inside,
``sigma / 2 + sigma_r`` on the terminal face) its norm is at most ``sigma``, and Condat's
condition ``1 / t - sigma > Lip / 2`` holds. The ratio 1/2 took 1730 iterations where the plain
``sigma_r = sigma`` (norm bound ``3/2 sigma``) took 2270 (1D Ornstein-Uhlenbeck step, 64
cells). The projection is ``U' + G p``, so that at every iteration

    I^T xi + e_N (eta + grad T_int) - G (p / t) = (U - U_new) / t

on the unknowns: ``phi = p / t`` is the space-time potential and the right-hand side the dual
(KKT) residual. Where ``rho > 0`` the subgradient is ``xi = (-|v|^2 / 2, v)``, so the
interior rows read ``v = grad phi`` and ``d_t phi + |grad phi|^2 / 2 = 0`` (Benamou and Brenier
2000); the row of the terminal face reads ``xi_rho[N - 1] / 2 + dT/dr = -N phi[N - 1]``, i.e.

    phi(1) + dT/dr = 0,   phi(1) = phi[N - 1] + xi_rho[N - 1] / (2 N),

the potential extrapolated by half a time cell with the Hamilton-Jacobi equation
(``d_t phi = xi_rho``) to ``t = 1``: the terminal condition of Benamou, Carlier and Laborde (2016).
"""

from __future__ import annotations

import dataclasses
import math

from ..transport.iteration import Method
from ..transport.staggered_space import Fields, StaggeredSpace
from ._terminal import TerminalTerm

_TERMINAL_RATIO = 0.5  # sigma_r / sigma (module docstring)
_TINY = 1e-300


@dataclasses.dataclass
class DualState:
    """The iterate handed from one JKO step to the next (warm start)."""

    u: Fields
    xi: Fields
    eta: object


class FreeEndChambollePock(Method):
    """The iteration of the module docstring on ``space`` (with ``space.free_end``)."""

    name = "chambolle-pock-free-end"

    def __init__(
        self,
        space: StaggeredSpace,
        terminal: TerminalTerm,
        sigma: float,
        theta: float,
        warm: DualState | None,
    ) -> None:
        super().__init__(space)
        self.terminal = terminal
        self.sigma = float(sigma)
        self.sigma_r = _TERMINAL_RATIO * self.sigma
        bound = max(self.sigma, self.sigma / 2 + self.sigma_r)
        self.tau = float(theta) / (bound + terminal.lipschitz / 2)
        self.u, self.u_bar, self.u_old = space.staggered(), space.staggered(), space.staggered()
        self.v, self.xi, self.w = space.centred(), space.centred(), space.centred()
        self.p = space.cells()
        xp = self.xp
        if warm is None:
            self.u.flat[...] = space.straight_start().flat
            self.eta = xp.zeros(space.shape, dtype=space.dtype)
        else:
            space.project(warm.u, self.u, self.p)
            self.xi.flat[...] = warm.xi.flat
            self.eta = warm.eta.copy()
        self.u_bar.flat[...] = self.u.flat
        self.r = self.u.rho[-1].copy()
        self._dual_norm = 0.0

    @property
    def options(self) -> dict:
        return {"sigma": self.sigma, "sigma_r": self.sigma_r, "tau": self.tau}

    def state(self) -> DualState:
        """The iterate, for a warm start of the next step."""
        return DualState(self.u, self.xi, self.eta)

    def step(self, with_dual: bool = False) -> None:
        sp, xp = self.space, self.xp
        sigma, gamma = self.sigma, 1.0 / self.sigma
        # centred dual: xi = w - sigma prox_{K / sigma}(w / sigma), w = xi + sigma I U_bar
        w = sp.interpolate(self.u_bar, self.w)
        w.flat *= sigma
        w.flat += self.xi.flat
        xp.multiply(w.flat, gamma, out=self.xi.flat)
        sp.backend.bb_prox(self.xi.rho, self.xi.m, gamma, out=self.v.pair)
        xp.multiply(self.v.flat, -sigma, out=self.xi.flat)
        self.xi.flat += w.flat
        # terminal dual: eta = w_r - sigma prox_{T_loc / sigma}(w_r / sigma)
        sr = self.sigma_r
        w_r = self.eta + sr * self.u_bar.rho[-1]
        self.r = self.terminal.prox(w_r * (1.0 / sr), 1.0 / sr)
        self.eta = w_r - sr * self.r
        # primal: U_new = proj_C(U - t L^T (xi, eta + grad T_int))
        self.u_old.flat[...] = self.u.flat
        step = sp.interpolate_adjoint(self.xi, self.u_bar)
        step.rho[-1] += self.eta
        forward = self.terminal.gradient(self.u.rho[-1])
        if forward is not None:
            step.rho[-1] += forward
        if with_dual:
            sp.zero_boundary(step)
            self._dual_norm = self.norm(step.flat)
        step.flat *= -self.tau
        step.flat += self.u.flat
        sp.project(step, self.u, self.p)
        diff = self.u_bar
        xp.subtract(self.u.flat, self.u_old.flat, out=diff.flat)
        change = self.norm(diff.flat)
        self.residuals.change = change / max(self.norm(self.u.flat), _TINY)
        self.residuals.dual = math.nan
        if with_dual:
            scale = self.tau * max(self._dual_norm, sp.dual_scale)
            self.residuals.dual = change / scale
        diff.flat += self.u.flat  # U_bar = 2 U_new - U_old

    def primal_residual(self) -> float:
        """``|(I U, U_N) - (V, r)| / |(V, r)|``, the distance of the pair from ``V = L U``."""
        work = self.space.interpolate(self.u, self._work_c)
        work.flat -= self.v.flat
        gap = self.u.rho[-1] - self.r
        top = math.sqrt(self.norm(work.flat) ** 2 + float(self.xp.sum(gap * gap)))
        bottom = math.sqrt(self.norm(self.v.flat) ** 2 + float(self.xp.sum(self.r * self.r)))
        self.residuals.primal = top / max(bottom, _TINY)
        return self.residuals.primal

    def terminal_potential(self):
        """``phi(1) = p[N - 1] / t + xi_rho[N - 1] / (2 N)`` (scaled units; module docstring)."""
        n = self.space.n_time
        return self.p[-1] * (1.0 / self.tau) + self.xi.rho[-1] * (0.5 / n)
