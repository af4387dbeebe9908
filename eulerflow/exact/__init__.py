"""Closed-form and reference solutions, as cell averages on a grid (NumPy only).

Everything here is plain NumPy (with SciPy and one Numba kernel) and is meant as an oracle for the
solvers, the notebooks and the users: densities are cell averages on a
:class:`~eulerflow.grid.Grid`, like every density in eulerflow, computed by tensor-product
Gauss-Legendre quadrature (:func:`cell_average`). One module per equation:

- :mod:`.quadrature`: cell averages and Gaussian densities;
- :mod:`.continuity`: push-forward by linear flows, characteristics, translation and rotation;
- :mod:`.hamilton_jacobi`: the Hopf-Lax formula and closed forms of
  ``d_t phi + |grad phi|^2/2 = 0``.
"""

from .continuity import (
    characteristics_solution,
    gaussian_push_forward,
    linear_flow_gaussian,
    linear_flow_map,
    rotation_solution,
    translation_solution,
)
from .hamilton_jacobi import hj_linear_solution, hj_quadratic_solution, hopf_lax
from .quadrature import cell_average, gaussian_density

__all__ = [
    "cell_average",
    "characteristics_solution",
    "gaussian_density",
    "gaussian_push_forward",
    "hj_linear_solution",
    "hj_quadratic_solution",
    "hopf_lax",
    "linear_flow_gaussian",
    "linear_flow_map",
    "rotation_solution",
    "translation_solution",
]
