"""Named benchmark problems with converged grid references: the zoo neural methods are scored on.

Each problem is a frozen dataclass (:class:`Problem`): its box, its times, its PDE, the exact
solution where one exists and the solver settings of its grid reference
(:meth:`Problem.reference`, computed once and cached on disk). :func:`get` returns one by name
(with parameters overridden), :func:`list` prints them all, and a subclass that sets ``name``
joins the registry (or use :func:`register`).

Examples
--------
>>> import eulerflow as ef
>>> "heat" in ef.problems.names()
True
"""

from .base import Problem
from .fokker_planck import AnisotropicOU, DoubleWell, HeatEquation, OURose, StyblinskiTang
from .gradient_flows import AggregationDiffusion, Barenblatt, BarenblattM2, BarenblattM3
from .hamilton_jacobi import QuadraticHamiltonJacobi
from .jko import OUJKO
from .registry import get, list_problems, names, register
from .transport import GaussianTransport, MixtureTransport, TransportProblem

list = list_problems  # noqa: A001 (eulerflow.problems.list() prints the zoo)

__all__ = [
    "AnisotropicOU",
    "DoubleWell",
    "HeatEquation",
    "OURose",
    "Problem",
    "StyblinskiTang",
    "get",
    "list",
    "list_problems",
    "names",
    "register",
]
__all__ += ["AggregationDiffusion", "Barenblatt", "BarenblattM2", "BarenblattM3"]
__all__ += ["GaussianTransport", "MixtureTransport", "OUJKO", "QuadraticHamiltonJacobi"]
__all__ += ["TransportProblem"]
