"""Optimal transport on grids: the Benamou-Brenier dynamic formulation.

``benamou_brenier`` solves the discrete problem on the staggered space-time grid of Papadakis,
Peyre and Oudet by proximal splitting (Douglas-Rachford, Chambolle-Pock, or the ALG2 augmented
Lagrangian of Benamou and Brenier) and returns an :class:`OTResult`.
"""

from .benamou_brenier import METHODS, benamou_brenier
from .result import OTResult

__all__ = ["METHODS", "OTResult", "benamou_brenier"]
