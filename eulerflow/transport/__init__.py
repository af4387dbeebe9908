"""Optimal transport on grids: the quadratic Wasserstein distance and the dynamic formulation.

``wasserstein2`` computes ``W2``, the optimal map and the Kantorovich potentials between two
densities by the back-and-forth method of Jacobs and Leger (a :class:`W2Result`);
``benamou_brenier`` solves the dynamic problem on the staggered space-time grid of Papadakis,
Peyre and Oudet by proximal splitting (Douglas-Rachford, Chambolle-Pock, or the ALG2 augmented
Lagrangian of Benamou and Brenier) and returns an :class:`OTResult`. Both results are
:class:`TransportResult`.
"""

from .benamou_brenier import METHODS, benamou_brenier
from .result import OTResult, TransportResult
from .w2_result import W2Result
from .wasserstein2 import wasserstein2

__all__ = ["METHODS", "OTResult", "TransportResult", "W2Result", "benamou_brenier", "wasserstein2"]
