"""Distances between a method's output and a grid reference density, with sampling floors.

One module per family; every metric is a plain function returning a frozen :class:`Score`
(``value``, the resampled ``floor`` and ``floor_std`` of exact samples where sampling noise
exists, ``n``, ``n_outside``, ``method``, ``details``):

- ``binned``: :func:`binned_l1` (total variation) and :func:`binned_kl` (symmetric KL) of
  binned samples, floor by multinomial resampling;
- ``kernels``: :func:`mmd_squared` (Gaussian kernel), :func:`energy_distance`, and the
  closed form :func:`gaussian_mmd_squared`;
- ``wasserstein``: :func:`w2_samples`, exact discrete OT (POT) or binned;
- ``moments``: :func:`moment_errors` (mean and covariance with standard errors);
- ``densities``: :func:`density_l1`, :func:`density_l2`, :func:`relative_entropy` between
  densities, after a conservative remap (:func:`remap`) when the grids differ;
- ``transport``: :func:`w2_squared_error`, :func:`map_error`, :func:`potential_error`.

POT is needed for W2 only (``pip install 'eulerflow[validate]'``).
"""

from .binned import binned_kl, binned_l1
from .densities import density_l1, density_l2, relative_entropy
from .kernels import energy_distance, gaussian_mmd_squared, mmd_squared
from .moments import MomentErrors, density_moments, moment_errors
from .remap import remap
from .score import Score
from .transport import map_error, potential_error, w2_squared_error
from .wasserstein import w2_samples

__all__ = [
    "MomentErrors",
    "Score",
    "binned_kl",
    "binned_l1",
    "density_l1",
    "density_l2",
    "density_moments",
    "energy_distance",
    "gaussian_mmd_squared",
    "map_error",
    "mmd_squared",
    "moment_errors",
    "potential_error",
    "relative_entropy",
    "remap",
    "w2_samples",
    "w2_squared_error",
]
