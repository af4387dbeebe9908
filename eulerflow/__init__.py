"""eulerflow: grid-based (Eulerian) solvers for optimal transport and Wasserstein gradient flows.

Public API
----------
Grid
    Uniform cell-centred Cartesian grid in 1, 2 or 3 dimensions.
solve_continuity
    Finite-volume solver of ``d_t rho + div(rho v) = 0``.
solve_fokker_planck
    Linear Fokker-Planck ``d_t rho = div(eps grad rho + rho grad V - b rho)`` (Scharfetter-Gummel).
solve_gradient_flow
    Wasserstein gradient flows ``d_t rho = div(rho grad dE/drho)`` (Carrillo-Chertock-Huang).
solve_hamilton_jacobi
    Solver of ``d_t phi + H(x, grad phi) = 0`` (WENO5/ENO2/first order, Godunov and
    Lax-Friedrichs Hamiltonians, forward or backward in time).
energies
    Free energies (entropy, porous medium, potential, interaction) and their first variations.
hamiltonians
    Hamiltonians ``H(t, x, p)`` for the Hamilton-Jacobi solver (power, control-affine games,
    compiled scalar and array callables).
sets
    Target and obstacle sets as signed distances on a grid (ball, cylinder, box, unions).
systems
    Classic reachability problems (Air3d, DubinsCar, DoubleIntegrator) in one line.
particles
    Sampling, Euler-Maruyama for ``dX = b dt + sqrt(2 eps) dW``, deposit and interpolation.
get_backend, available_backends
    The backend interface (NumPy reference, Numba, CuPy).
wasserstein2, W2Result
    The quadratic Wasserstein distance, optimal map and potentials (back-and-forth method).
benamou_brenier, OTResult
    Dynamic optimal transport (Benamou-Brenier) on a staggered space-time grid.
jko, JKOSolution, euclidean_jko_step
    JKO (minimising-movement) steps of Wasserstein gradient flows: back-and-forth or dynamic
    primal-dual; the Euclidean proximal step.
exact
    Closed-form and reference solutions.
metrics
    Distances between a method's output and a grid reference, with sampling floors.
problems
    Named benchmark problems with converged grid references.
validate, ValidationReport
    Score a method's samples, density or values against a problem's reference (table, figure).
Result, Solution, load
    Result objects (one base), snapshots of time-dependent solutions, reading saved results.
ensemble
    Many solves on Dask written to one Zarr dataset (imported on first use; needs the
    ``ensemble`` extra).
"""

from __future__ import annotations

from . import energies, exact, hamiltonians, metrics, particles, problems, sets, systems, validation
from ._version import __version__
from .backends import Backend, BackendUnavailableError, available_backends, get_backend
from .equations.continuity import solve_continuity
from .equations.fokker_planck import solve_fokker_planck
from .equations.gradient_flow import solve_gradient_flow
from .equations.hamilton_jacobi import solve_hamilton_jacobi
from .exceptions import (
    ConvergenceWarning,
    DissipationWarning,
    NonPeriodicVelocityWarning,
    StepBudgetWarning,
    UnstableSolutionError,
)
from .grid import Grid
from .jko_scheme import JKOSolution, euclidean_jko_step, jko
from .results import Result, ResultFileError, Solution, load
from .transport import OTResult, W2Result, benamou_brenier, wasserstein2
from .validation import ValidationReport, validate


def __getattr__(name: str):
    # eulerflow.ensemble is imported on first use, so that ``import eulerflow`` stays light.
    if name == "ensemble":
        import importlib

        return importlib.import_module(".ensemble", __name__)
    raise AttributeError(f"module 'eulerflow' has no attribute {name!r}")


__all__ = [
    "Backend",
    "BackendUnavailableError",
    "ConvergenceWarning",
    "DissipationWarning",
    "Grid",
    "JKOSolution",
    "NonPeriodicVelocityWarning",
    "OTResult",
    "Result",
    "ResultFileError",
    "Solution",
    "StepBudgetWarning",
    "UnstableSolutionError",
    "ValidationReport",
    "W2Result",
    "__version__",
    "available_backends",
    "benamou_brenier",
    "energies",
    "ensemble",
    "euclidean_jko_step",
    "exact",
    "get_backend",
    "hamiltonians",
    "jko",
    "load",
    "metrics",
    "particles",
    "problems",
    "sets",
    "solve_continuity",
    "solve_fokker_planck",
    "solve_gradient_flow",
    "solve_hamilton_jacobi",
    "systems",
    "validate",
    "validation",
    "wasserstein2",
]
