"""What the Benamou-Brenier methods share: the iterate they expose and their residuals.

Every method solves the discrete problem

    min_U  J(I U) + iota_C(U),    J(V) = sum_cells |m_c|^2 / (2 rho_c),

(``U`` staggered, ``C`` the affine set of the continuity equation with the boundary data, ``I`` the
interpolation to the cell centres; see :mod:`eulerflow.transport.staggered_space`). Its
optimality (KKT) conditions are: ``U`` in ``C``, ``V = I U``, and ``I^T xi = G phi`` for a
subgradient ``xi`` of ``J`` at ``V`` and a potential ``phi`` on the space-time cells. Where
``rho > 0``, ``xi = (-|v|^2 / 2, v)`` with ``v = m / rho``, so the last condition is the discrete
``v = grad phi`` and ``d_t phi + |grad phi|^2 / 2 = 0`` (Benamou and Brenier
2000); where ``rho = 0`` it only asks ``d_t phi + |grad phi|^2 / 2 <= 0``.

After each iteration a method holds ``u`` (exactly in ``C``: the output of the projection) and
``v`` (an output of the proximal map, so ``rho_c >= 0``), and it knows a subgradient ``xi`` in
``dJ(v)`` exactly (from the proximal map). It reports three relative residuals:

- ``primal``: ``|v - I u| / |v|``, the distance of the pair from the interpolation constraint.
  ``u`` and ``v`` stay untouched until the next step, so it is evaluated after a step when the
  driver asks (:meth:`Method.primal_residual`; the driver asks every few iterations and whenever
  ``change`` is below the tolerance), else left as NaN;
- ``dual``: ``min_phi |I^T xi - G phi| / max(|I^T xi|, s)`` on the unknowns, the KKT residual;
  the minimising ``phi`` (one more Poisson solve, ``-D G phi = -D I^T xi``) is the potential. The
  floor ``s`` (:attr:`StaggeredSpace.dual_scale`) is ``|I^T xi|`` for a velocity of one cell per
  unit time on every cell: transport below the grid resolution is measured against that
  scale instead of its own. Without it the identity transport (``rho0 = rho1``, where the
  solution is ``m = 0`` and ``xi = 0``) gives a ratio of round-off errors, of order 1, that no
  iteration reduces. It is evaluated when asked (``step(with_dual=True)``; the driver asks every
  few iterations and whenever the other two residuals are below the tolerance), else left as
  NaN;
- ``change``: the relative change of the method's own iterate in the last step.
"""

from __future__ import annotations

import dataclasses
import math

from .staggered_space import Fields, StaggeredSpace

_TINY = 1e-300


@dataclasses.dataclass
class Residuals:
    """Relative residuals of one iteration (see the module docstring)."""

    primal: float = math.nan
    dual: float = math.nan
    change: float = math.inf


class Method:
    """Base of the iterations: work arrays for the residuals, the exposed iterate."""

    name = ""

    def __init__(self, space: StaggeredSpace) -> None:
        self.space = space
        self.xp = space.xp
        self._work_c = space.centred()
        self._work_s = space.staggered()
        self._grad = space.staggered()
        self.phi = space.cells()
        self._rhs = space.cells()
        self.residuals = Residuals()

    # -- filled by subclasses -------------------------------------------------------------------
    u: Fields
    v: Fields

    def step(self, with_dual: bool = False) -> None:
        """One iteration; updates :attr:`residuals` (``change``; ``dual`` only ``with_dual``, else
        NaN; ``primal`` is left to :meth:`primal_residual`)."""
        raise NotImplementedError

    @property
    def options(self) -> dict:
        """The step parameters in use (JSON-serialisable)."""
        raise NotImplementedError

    def scale_step(self, factor: float) -> None:
        """Multiply the proximal step of ``J`` by ``factor``, keeping the current iterate and
        subgradient (:mod:`eulerflow.transport.adaptive`)."""
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------------
    def norm(self, x) -> float:
        """Euclidean norm of a flat buffer, accumulated in float64 whatever the working dtype
        (:meth:`Backend.bb_sum_squares`)."""
        return math.sqrt(self.space.backend.bb_sum_squares(x))

    def primal_residual(self) -> float:
        """``|v - I u| / |v|`` of the current iterate (also stored in :attr:`residuals`)."""
        work = self.space.interpolate(self.u, self._work_c)
        work.flat -= self.v.flat
        self.residuals.primal = self.norm(work.flat) / max(self.norm(self.v.flat), _TINY)
        return self.residuals.primal

    def dual_residual(self, xi: Fields, factor: float = 1.0) -> float:
        """``min_phi |I^T xi - G phi| / max(|I^T xi|, s)`` on the unknowns, with the floor
        ``s = space.dual_scale`` (see the module docstring); the minimiser goes to
        :attr:`phi`. ``xi`` may be passed times a positive ``factor`` (the floor is scaled
        alike), which then scales ``phi``."""
        sp = self.space
        a = sp.interpolate_adjoint(xi, self._work_s)
        sp.zero_boundary(a)
        be = sp.backend
        be.bb_divergence(a.rho, a.m, sp.spacing, sp.periodic, out=self._rhs)
        self._rhs *= -1
        be.bb_poisson(self._rhs, sp.spacing, sp.periodic, out=self.phi)
        grad = sp.gradient(self.phi, self._grad)
        scale = max(self.norm(a.flat), sp.dual_scale * factor)
        a.flat -= grad.flat
        return self.norm(a.flat) / scale

    def potential(self):
        """The potential ``phi`` of the last dual residual (scaled units), a copy."""
        return self.phi.copy()
