"""Closed-form and reference solutions, as cell averages on a grid (NumPy only).

Everything here is plain NumPy (with SciPy and one Numba kernel) and is meant as an oracle for the
solvers, the notebooks and the users: densities are cell averages on a
:class:`~eulerflow.grid.Grid`, like every density in eulerflow, computed by tensor-product
Gauss-Legendre quadrature (:func:`cell_average`). One module per equation:

- ``quadrature``: cell averages and Gaussian densities;
- ``continuity``: push-forward by linear flows, characteristics, translation and rotation;
- ``fokker_planck``: Ornstein-Uhlenbeck laws, the heat kernel, the Gibbs state;
- ``hamilton_jacobi``: the Hopf-Lax formula and closed forms of
  ``d_t phi + |grad phi|^2/2 = 0``;
- ``optimal_transport``: W2 between Gaussians and 1D densities, geodesics, closed-form pairs;
- ``jko``: the exact JKO iterates of the Ornstein-Uhlenbeck flow from a Gaussian;
- ``porous_medium``: Barenblatt profiles, the nonlinear Fokker-Planck solution built from them.
"""

from .continuity import (
    characteristics_solution,
    gaussian_push_forward,
    linear_flow_gaussian,
    linear_flow_map,
    rotation_solution,
    translation_solution,
)
from .fokker_planck import gibbs_state, heat_kernel, ornstein_uhlenbeck, ou_moments
from .hamilton_jacobi import hj_linear_solution, hj_quadratic_solution, hopf_lax
from .jko import gaussian_jko_iterates, gaussian_jko_step, ou_jko_densities
from .optimal_transport import (
    TransportPair,
    disk_dilation_pair,
    gaussian_geodesic,
    gaussian_geodesic_density,
    gaussian_geodesic_potential,
    gaussian_geodesic_velocity,
    gaussian_optimal_map,
    gaussian_w2,
    gaussian_w2_squared,
    linear_to_uniform_pair,
    translation_pair,
    w2_geodesic_1d,
    w2_squared_1d,
)
from .porous_medium import (
    barenblatt,
    barenblatt_constants,
    barenblatt_pdf,
    barenblatt_radius,
    nonlinear_fokker_planck,
    nonlinear_fokker_planck_pdf,
    nonlinear_fokker_planck_radius,
)
from .quadrature import cell_average, gaussian_density

__all__ = [
    "TransportPair",
    "barenblatt",
    "barenblatt_constants",
    "barenblatt_pdf",
    "barenblatt_radius",
    "cell_average",
    "characteristics_solution",
    "disk_dilation_pair",
    "gaussian_density",
    "gaussian_geodesic",
    "gaussian_geodesic_density",
    "gaussian_geodesic_potential",
    "gaussian_geodesic_velocity",
    "gaussian_jko_iterates",
    "gaussian_jko_step",
    "gaussian_optimal_map",
    "gaussian_push_forward",
    "gaussian_w2",
    "gaussian_w2_squared",
    "gibbs_state",
    "heat_kernel",
    "hj_linear_solution",
    "hj_quadratic_solution",
    "hopf_lax",
    "linear_flow_gaussian",
    "linear_flow_map",
    "linear_to_uniform_pair",
    "nonlinear_fokker_planck",
    "nonlinear_fokker_planck_pdf",
    "nonlinear_fokker_planck_radius",
    "ornstein_uhlenbeck",
    "ou_jko_densities",
    "ou_moments",
    "rotation_solution",
    "translation_pair",
    "translation_solution",
    "w2_geodesic_1d",
    "w2_squared_1d",
]
