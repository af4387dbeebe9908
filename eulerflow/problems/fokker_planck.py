"""Fokker-Planck benchmark problems ``d_t rho = div(eps grad rho + rho grad V)``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..equations.fokker_planck import solve_fokker_planck
from ..exact import gaussian_density
from ..grid import Grid
from ..particles.sampling import as_generator
from .base import Problem


@dataclasses.dataclass(frozen=True, kw_only=True)
class HeatEquation(Problem):
    """The heat equation ``d_t rho = eps Laplace rho`` from ``N(0, s0^2 I)`` in 2D.

    Exact solution ``N(0, (s0^2 + 2 eps t) I)`` (the mass leaving the box ``[-6, 6]^2`` by
    ``t = 1`` is below ``1e-8``; the walls reflect it). Reference: BDF2 with Scharfetter-Gummel
    fluxes, ``dt = 1e-3``.
    """

    name = "heat"
    description = "heat equation from a Gaussian (exact: a Gaussian)"
    equation = "d_t rho = eps Laplace rho"

    bounds: tuple[tuple[float, float], ...] = ((-6.0, 6.0), (-6.0, 6.0))
    times: tuple[float, ...] = (0.25, 0.5, 1.0)
    tolerance: float = 1e-3
    bandwidth: float = 0.5
    diffusion: float = 1.0
    std0: float = 0.5

    def variance(self, t: float) -> float:
        """``s0^2 + 2 eps t``."""
        return self.std0**2 + 2 * self.diffusion * t

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        return gaussian_density(grid, np.zeros(grid.ndim), self.variance(t) * np.eye(grid.ndim))

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        return np.sqrt(self.variance(t)) * rng.standard_normal((n, self.dim))

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None) -> np.ndarray:
        sol = solve_fokker_planck(
            self.initial(grid),
            grid,
            t_final=times[-1],
            diffusion=self.diffusion,
            t_eval=times,
            dt=1e-3,
            progress=progress,
        )
        return sol.rho
