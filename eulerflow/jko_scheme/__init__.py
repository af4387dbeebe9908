"""JKO schemes: Wasserstein gradient flows one minimising-movement step at a time.

- :func:`jko`: ``n_steps`` steps ``rho_{k+1} = argmin W2^2(rho, rho_k) / (2 tau) + E(rho)`` by
  the back-and-forth method (Jacobs, Lee and Leger 2021) or the dynamic primal-dual formulation
  (Benamou, Carlier and Laborde 2016); returns a :class:`JKOSolution`.
- :func:`euclidean_jko_step`: the same step in ``R^d`` with the Euclidean distance (the proximal
  point, or implicit Euler, step ``x_{k+1} = argmin |x - x_k|^2 / (2 tau) + F(x)``).
"""

from .euclidean import euclidean_jko_step
from .result import JKOSolution
from .solver import METHODS, jko

__all__ = ["METHODS", "JKOSolution", "euclidean_jko_step", "jko"]
