"""eulerflow: grid-based (Eulerian) solvers for optimal transport and Wasserstein gradient flows.

Public API
----------
Grid
    Uniform cell-centred Cartesian grid in 1, 2 or 3 dimensions.
solve_continuity
    Finite-volume solver of ``d_t rho + div(rho v) = 0``.
solve_hamilton_jacobi
    Solver of ``d_t phi + H(x, grad phi) = 0`` (WENO5/ENO2/first order, Godunov and
    Lax-Friedrichs Hamiltonians, forward or backward in time).
hamiltonians
    Hamiltonians ``H(x, p)`` for the Hamilton-Jacobi solver.
get_backend, available_backends
    The backend interface (NumPy reference, Numba, CuPy).
exact
    Closed-form and reference solutions.
load
    Read a saved result.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import exact, hamiltonians
from .backends import Backend, BackendUnavailableError, available_backends, get_backend
from .equations.continuity import solve_continuity
from .equations.hamilton_jacobi import solve_hamilton_jacobi
from .exceptions import ConvergenceWarning, NonPeriodicVelocityWarning, UnstableSolutionError
from .grid import Grid
from .results import Solution, load

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "ConvergenceWarning",
    "Grid",
    "NonPeriodicVelocityWarning",
    "Solution",
    "UnstableSolutionError",
    "__version__",
    "available_backends",
    "exact",
    "get_backend",
    "hamiltonians",
    "load",
    "solve_continuity",
    "solve_hamilton_jacobi",
]
