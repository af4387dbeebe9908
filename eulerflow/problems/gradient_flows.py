"""Wasserstein gradient-flow benchmark problems ``d_t rho = div(rho grad dE/drho)``.

- :class:`Barenblatt` (``barenblatt-m2``, ``barenblatt-m3``): the porous-medium equation
  ``d_t rho = Laplace rho^m`` from a Barenblatt profile, exact for all times;
- :class:`AggregationDiffusion` (``aggregation-diffusion``): porous-medium diffusion against an
  attractive Gaussian interaction, without closed form (grid reference, tolerance measured by
  refinement).

The references are computed by :func:`~eulerflow.equations.gradient_flow.solve_gradient_flow`,
the finite-volume scheme of Carrillo, Chertock and Huang (2015).

References
----------
J. L. Vazquez, *The Porous Medium Equation: Mathematical Theory*, Oxford University Press, 2007.

J. A. Carrillo, A. Chertock and Y. Huang, "A finite-volume method for nonlinear nonlocal
equations with a gradient flow structure", Commun. Comput. Phys. 17 (2015) 233-258.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..energies.interaction import Interaction
from ..energies.local import PorousMedium
from ..equations.gradient_flow import solve_gradient_flow
from ..exact.porous_medium import barenblatt, barenblatt_constants, barenblatt_radius
from ..exact.quadrature import gaussian_density
from ..grid import Grid
from ..particles.sampling import as_generator
from .base import Problem


@dataclasses.dataclass(frozen=True, kw_only=True)
class Barenblatt(Problem, register=False):
    """The porous-medium equation ``d_t rho = Laplace rho^m`` in 2D from a Barenblatt profile.

    Exact solution (Vazquez 2007, Sec. 4.4), with the time shift ``t0`` and ``s = t + t0``:

        rho(t, x) = s^(-alpha) (C - k |x|^2 s^(-2 beta))_+^p,
        alpha = d / (d (m - 1) + 2),  beta = alpha / d,  k = alpha (m - 1) / (2 m d),
        p = 1 / (m - 1),

    ``C`` fixed by unit mass (:func:`~eulerflow.exact.barenblatt_constants`); the support, the
    disc of radius ``sqrt(C / k) s^beta``, stays inside the box up to the last time. Reference:
    :func:`~eulerflow.solve_gradient_flow` with
    ``PorousMedium(m)``, minmod MUSCL fluxes and SSP-RK3 at the default Courant number
    (Carrillo, Chertock and Huang 2015).

    Exact samples: ``rho`` is radial, ``rho ∝ (1 - |x|^2 / R^2)_+^p``; with ``u = |x|^2 / R^2``,
    ``r^(d-1) dr ∝ u^(d/2 - 1) du``, so ``u ~ Beta(d/2, p + 1)`` and ``x = R sqrt(u) theta``
    with ``theta`` uniform on the unit sphere (:meth:`exact_samples`).

    Parameters
    ----------
    m : float, default 2.0
        The exponent ``m > 1`` of ``rho^m``.
    t0 : float, default 0.1
        The time shift ``t0 > 0``: the initial profile is the Barenblatt profile at ``s = t0``.

    References
    ----------
    J. L. Vazquez, *The Porous Medium Equation: Mathematical Theory*, Oxford University Press,
    2007.

    J. A. Carrillo, A. Chertock and Y. Huang, "A finite-volume method for nonlinear nonlocal
    equations with a gradient flow structure", Commun. Comput. Phys. 17 (2015) 233-258.
    """

    equation = "d_t rho = Laplace rho^m"

    bounds: tuple[tuple[float, float], ...] = ((-2.0, 2.0), (-2.0, 2.0))
    times: tuple[float, ...] = (0.25, 0.5, 1.0)
    resolution: int = 128
    bandwidth: float = 0.25
    m: float = 2.0
    t0: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        barenblatt_constants(self.dim, self.m)  # checks d and m
        if not self.t0 > 0:
            raise ValueError(f"t0 must be > 0 (B(t0) is the initial profile), got {self.t0!r}")
        radius = self.radius(self.times[-1])
        if any(max(-lo, hi) <= radius for lo, hi in self.bounds):
            raise ValueError(
                f"the support (radius {radius:.3g} at t={self.times[-1]}) leaves the box "
                f"{self.bounds}; enlarge bounds or shorten times"
            )

    def radius(self, t: float) -> float:
        """Radius of the support at ``t``."""
        return barenblatt_radius(t, self.dim, self.m, 1.0, self.t0)

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        return barenblatt(grid, t, m=self.m, t0=self.t0)

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        p = 1.0 / (self.m - 1.0)
        u = rng.beta(self.dim / 2, p + 1, size=n)
        direction = rng.standard_normal((n, self.dim))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        return self.radius(t) * np.sqrt(u)[:, None] * direction

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None) -> np.ndarray:
        sol = solve_gradient_flow(
            self.initial(grid),
            grid,
            PorousMedium(self.m),
            times[-1],
            t_eval=times,
            progress=progress,
        )
        return sol.rho


@dataclasses.dataclass(frozen=True, kw_only=True)
class BarenblattM2(Barenblatt):
    """:class:`Barenblatt` with ``m = 2`` (measured L1 error of the reference at 128^2:
    5.4e-4, 5.2e-4, 4.5e-4 at t = 0.25, 0.5, 1).
    """

    name = "barenblatt-m2"
    description = "porous medium m=2 from a Barenblatt profile (exact: Barenblatt)"
    tolerance: float = 1e-3
    m: float = 2.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class BarenblattM3(Barenblatt):
    """:class:`Barenblatt` with ``m = 3`` (measured L1 error of the reference at 128^2:
    2.6e-3, 2.6e-3, 2.5e-3 at t = 0.25, 0.5, 1).
    """

    name = "barenblatt-m3"
    description = "porous medium m=3 from a Barenblatt profile (exact: Barenblatt)"
    tolerance: float = 5e-3
    m: float = 3.0


def _attractive_gaussian(width: float):
    def W(*dx: np.ndarray) -> np.ndarray:
        return -np.exp(-sum(c**2 for c in dx) / (2 * width**2))

    return W


@dataclasses.dataclass(frozen=True, kw_only=True)
class AggregationDiffusion(Problem):
    """Aggregation against porous-medium diffusion in 2D, from two Gaussian bumps.

    The gradient flow of ``E(rho) = nu / (m - 1) int rho^m + (a / 2) int int W(x - y) rho rho``
    with the attractive Gaussian kernel ``W(z) = -exp(-|z|^2 / (2 w^2))``:

        d_t rho = div(rho grad(nu m / (m - 1) rho^(m - 1) + a W * rho))
                = nu Laplace rho^m + a div(rho grad(W * rho)),

    from the mixture of two Gaussians ``N((-/+ c, 0), s^2 I)`` of mass 1/2 each: the bumps attract
    each other and merge while the diffusion spreads them. No closed form: the reference is
    :func:`~eulerflow.solve_gradient_flow` with
    ``PorousMedium(m, nu) + a Interaction(W)`` (minmod MUSCL, SSP-RK3; the interaction term by
    FFT convolution on the grid), and ``tolerance`` is its measured L1 distance to the
    reference at twice the resolution (the test checks it and the observed order). Measured
    L1 distances between resolutions ``n`` and ``2n`` at t = 0.25, 0.5, 1: 1.9e-2, 3.0e-2,
    4.1e-2 (n = 32), 7.3e-3, 1.3e-2, 1.7e-2 (n = 64), 2.4e-3, 4.6e-3, 5.8e-3 (n = 128): observed
    order 1.2 to 1.6.

    Parameters
    ----------
    m : float, default 2.0
        The exponent ``m > 1`` of the porous-medium term.
    nu : float, default 0.1
        The coefficient ``nu`` of the porous-medium term.
    strength : float, default 2.0
        The strength ``a`` of the interaction.
    width : float, default 1.0
        The width ``w`` of the Gaussian kernel ``W``, in the units of the coordinates.
    separation : float, default 1.0
        The half-distance ``c`` of the initial bumps, centred at ``(-/+ c, 0)``.
    std0 : float, default 0.3
        The standard deviation ``s`` of each initial bump ``N((-/+ c, 0), s^2 I)``.

    References
    ----------
    J. A. Carrillo, A. Chertock and Y. Huang, "A finite-volume method for nonlinear nonlocal
    equations with a gradient flow structure", Commun. Comput. Phys. 17 (2015) 233-258.
    """

    name = "aggregation-diffusion"
    description = "porous-medium diffusion vs attractive Gaussian interaction (grid reference)"
    equation = "d_t rho = nu Laplace rho^m + a div(rho grad(W * rho)), W = -exp(-|z|^2/(2w^2))"

    bounds: tuple[tuple[float, float], ...] = ((-3.0, 3.0), (-3.0, 3.0))
    times: tuple[float, ...] = (0.25, 0.5, 1.0)
    resolution: int = 128
    tolerance: float = 1e-2
    bandwidth: float = 0.25
    m: float = 2.0
    nu: float = 0.1
    strength: float = 2.0
    width: float = 1.0
    separation: float = 1.0
    std0: float = 0.3

    def initial(self, grid: Grid) -> np.ndarray:
        cov = self.std0**2 * np.eye(2)
        left = gaussian_density(grid, (-self.separation, 0.0), cov)
        right = gaussian_density(grid, (self.separation, 0.0), cov)
        rho = 0.5 * (left + right)
        return rho / grid.integrate(rho)

    def energy(self):
        """``PorousMedium(m, nu) + a Interaction(W)``."""
        return PorousMedium(self.m, self.nu) + self.strength * Interaction(
            _attractive_gaussian(self.width)
        )

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None) -> np.ndarray:
        sol = solve_gradient_flow(
            self.initial(grid), grid, self.energy(), times[-1], t_eval=times, progress=progress
        )
        return sol.rho
