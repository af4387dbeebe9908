"""The Lagrangian side: particles, sampling, SDEs, deposit onto grids and interpolation.

- :func:`sample`: i.i.d. samples of a density given by cell averages;
- :func:`euler_maruyama`: the SDE ``dX = b(t, X) dt + sqrt(2 eps) dW``, whose law
  (Risken, *The Fokker-Planck Equation*, 1989) solves the Fokker-Planck equation
  ``d_t rho + div(b rho) = eps Laplace rho``; returns a :class:`ParticleSolution`;
- :func:`deposit` / :func:`histogram`: mass-conserving cloud-in-cell / nearest-grid-point
  densities of weighted particles on a grid, and :func:`interpolate`, their adjoint (backend
  kernels on NumPy, Numba and CuPy).
"""

from .mesh import ParticlesOutsideWarning, deposit, histogram, interpolate
from .sampling import sample
from .sde import euler_maruyama
from .solution import ParticleSolution

__all__ = [
    "ParticleSolution",
    "ParticlesOutsideWarning",
    "deposit",
    "euler_maruyama",
    "histogram",
    "interpolate",
    "sample",
]
