"""Local free energies: entropy, porous-medium (Renyi/Tsallis) energy and potential energy.

Each is ``E_h(rho) = |C| sum_i f_i(rho_i)`` with the pointwise density ``f_i``:

=============================== =============================== ======================== ==========
energy                          ``f_i(r)``                      ``f_i'(r)``              convex
=============================== =============================== ======================== ==========
``Entropy(eps)``                ``eps r log r`` (``0 log 0=0``) ``eps (log r + 1)``      yes
``PorousMedium(m, eps)``        ``eps r^m / (m - 1)``           ``eps m r^(m-1)/(m-1)``  yes (m>1)
``Potential(V)``                ``V(x_i) r``                    ``V(x_i)``               linear
=============================== =============================== ======================== ==========

Their gradient flows ``d_t rho = div(rho grad f'(rho))`` are the heat equation
``d_t rho = eps Laplace rho``, the porous-medium equation ``d_t rho = eps Laplace rho^m`` and the
transport ``d_t rho = div(rho grad V)`` (Jordan, Kinderlehrer and Otto, SIAM J. Math. Anal. 29
(1998); Otto, Comm. PDE 26 (2001)). ``eps`` is the argument ``diffusion``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..arrays import array_module, is_cupy_array
from ..checks import positive_number
from ..grid import Grid
from .base import LocalEnergy


class Entropy(LocalEnergy):
    """Boltzmann entropy ``E(rho) = eps int rho log rho dx`` (``0 log 0 = 0``).

    First variation ``eps (log rho + 1)``, second derivative ``eps / rho``: convex on
    ``rho >= 0``, strictly. The logarithm is infinite at vacuum; :meth:`local_derivative` and
    :meth:`local_second_derivative` evaluate it at ``max(rho, floor)``. The energy value itself
    is exact (``0 log 0 = 0``). With the default floor (the smallest normal number of the dtype,
    ``log floor ~ -708`` in float64) a vacuum cell next to an occupied one gets a large face
    velocity: the explicit gradient-flow step then shrinks accordingly, and the flux into vacuum
    is an upwinded ``rho grad log rho``, which is the known weak point of this form of linear
    diffusion at sharp vacuum fronts. A larger ``floor`` trades that for a small inconsistency
    in cells below it.

    Parameters
    ----------
    diffusion : float, default 1
        ``eps > 0``: the temperature, the diffusion coefficient of the heat flow
        ``d_t rho = eps Laplace rho`` that this energy generates.
    floor : float, optional
        Positive floor of ``rho`` inside the logarithm; default ``numpy.finfo(dtype).tiny``.

    Examples
    --------
    The entropy of ``N(0, s^2)`` is ``-log(2 pi e s^2) / 2``:

    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(64, (-4, 4))
    >>> rho = ef.exact.gaussian_density(grid, mean=0.0, cov=0.5)
    >>> E = ef.energies.Entropy()
    >>> round(E.value(rho, grid), 3), round(float(-np.log(2 * np.pi * np.e * 0.5) / 2), 3)
    (-1.074, -1.072)
    """

    convex = True

    def __init__(self, diffusion: float = 1.0, floor: float | None = None) -> None:
        self.diffusion = positive_number(diffusion, "diffusion")
        self.floor = None if floor is None else positive_number(floor, "floor")

    def _floored(self, rho, xp):
        floor = self.floor if self.floor is not None else float(np.finfo(rho.dtype).tiny)
        return xp.maximum(rho, floor)

    def local_density(self, rho, grid: Grid):
        xp = array_module(rho)
        positive = rho > 0
        return self.diffusion * xp.where(positive, rho * xp.log(xp.where(positive, rho, 1)), 0)

    def local_derivative(self, rho, grid: Grid):
        xp = array_module(rho)
        return self.diffusion * (xp.log(self._floored(rho, xp)) + 1)

    def local_second_derivative(self, rho, grid: Grid):
        xp = array_module(rho)
        return self.diffusion / self._floored(rho, xp)

    def diffusivity(self, rho, grid: Grid):
        xp = array_module(rho)
        return self.diffusion * (xp.maximum(rho, 0) / self._floored(rho, xp))

    def __repr__(self) -> str:
        return f"Entropy(diffusion={self.diffusion:g})"


class PorousMedium(LocalEnergy):
    """Porous-medium energy ``E(rho) = eps / (m - 1) int rho^m dx``, ``m > 1``.

    First variation ``eps m / (m - 1) rho^(m - 1)``, second derivative ``eps m rho^(m - 2)``
    (infinite at ``rho = 0`` when ``m < 2``, where it is evaluated as ``+inf``): convex on
    ``rho >= 0``. Its gradient flow is ``d_t rho = eps Laplace rho^m``.

    Parameters
    ----------
    m : float
        Exponent, ``> 1`` (``m -> 1`` is the entropy, use :class:`Entropy`).
    diffusion : float, default 1
        ``eps > 0``, the coefficient of ``d_t rho = eps Laplace rho^m``.

    Examples
    --------
    With ``m = 2`` the energy is ``int rho^2 dx``, ``1 / (2 s sqrt(pi))`` for ``N(0, s^2)``:

    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(64, (-4, 4))
    >>> rho = ef.exact.gaussian_density(grid, mean=0.0, cov=0.5)
    >>> E = ef.energies.PorousMedium(m=2)
    >>> round(E.value(rho, grid), 3), round(float(1 / (2 * np.sqrt(0.5 * np.pi))), 3)
    (0.398, 0.399)
    """

    convex = True

    def __init__(self, m: float, diffusion: float = 1.0) -> None:
        m = positive_number(m, "m")
        if not m > 1:
            raise ValueError(
                f"PorousMedium needs an exponent m > 1, got m={m!r}; for m = 1 use "
                "Entropy(diffusion)"
            )
        self.m = m
        self.diffusion = positive_number(diffusion, "diffusion")

    def local_density(self, rho, grid: Grid):
        xp = array_module(rho)
        return (self.diffusion / (self.m - 1)) * xp.maximum(rho, 0) ** self.m

    def local_derivative(self, rho, grid: Grid):
        xp = array_module(rho)
        return (self.diffusion * self.m / (self.m - 1)) * xp.maximum(rho, 0) ** (self.m - 1)

    def local_second_derivative(self, rho, grid: Grid):
        xp = array_module(rho)
        r = xp.maximum(rho, 0)
        if self.m >= 2:
            return (self.diffusion * self.m) * r ** (self.m - 2)
        positive = r > 0
        return xp.where(
            positive, (self.diffusion * self.m) * xp.where(positive, r, 1) ** (self.m - 2), xp.inf
        )

    def diffusivity(self, rho, grid: Grid):
        xp = array_module(rho)
        return (self.diffusion * self.m) * xp.maximum(rho, 0) ** (self.m - 1)

    def __repr__(self) -> str:
        return f"PorousMedium(m={self.m:g}, diffusion={self.diffusion:g})"


class Potential(LocalEnergy):
    """Potential energy ``E(rho) = int V rho dx``, discretised as ``|C| sum_i V(x_i) rho_i``.

    Linear in ``rho`` (convex, second derivative 0); first variation ``V`` at the cell centres.
    Its gradient flow is the transport ``d_t rho = div(rho grad V)``.

    Parameters
    ----------
    V : callable or array
        ``V(*coords)`` evaluated at the cell centres (:attr:`eulerflow.Grid.centers`), or an
        array of ``grid.shape`` (NumPy or CuPy) of the values at the centres.

    Examples
    --------
    With ``V(x) = x^2`` the energy of ``N(0, 1/2)`` is its variance, and the first variation is
    ``V`` at the cell centres:

    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(64, (-4, 4))
    >>> rho = ef.exact.gaussian_density(grid, mean=0.0, cov=0.5)
    >>> E = ef.energies.Potential(lambda x: x**2)
    >>> round(E.value(rho, grid), 3)
    0.501
    >>> bool(np.allclose(E.first_variation(rho, grid), grid.axis_centers(0) ** 2))
    True
    """

    convex = True

    def __init__(self, V: Callable | object) -> None:
        if not (callable(V) or hasattr(V, "shape") or isinstance(V, list | tuple)):
            raise TypeError(f"V must be a callable V(*coords) or an array, got {type(V)!r}")
        if not callable(V) and not hasattr(V, "shape"):
            V = np.asarray(V, dtype=float)
        self.V = V
        self._cache: dict = {}

    def potential(self, grid: Grid, like):
        """``V`` at the cell centres, with the dtype and array type of ``like``."""
        xp = array_module(like)
        key = (grid, np.dtype(like.dtype).str, xp.__name__)
        if key not in self._cache:
            if callable(self.V):
                values = np.broadcast_to(np.asarray(self.V(*grid.centers), dtype=float), grid.shape)
            else:
                values = self.V.get() if is_cupy_array(self.V) else np.asarray(self.V, float)
                if values.shape != grid.shape:
                    raise ValueError(
                        f"the potential array V has shape {values.shape}, but the grid needs "
                        f"shape {grid.shape} (values at the cell centres)"
                    )
            if not np.all(np.isfinite(values)):
                raise ValueError("the potential V must be finite at every cell centre")
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[key] = xp.asarray(values, dtype=like.dtype)
        return self._cache[key]

    def local_density(self, rho, grid: Grid):
        return self.potential(grid, rho) * rho

    def local_derivative(self, rho, grid: Grid):
        return array_module(rho).broadcast_to(self.potential(grid, rho), rho.shape).copy()

    def local_second_derivative(self, rho, grid: Grid):
        return array_module(rho).zeros_like(rho)

    def diffusivity(self, rho, grid: Grid):
        return array_module(rho).zeros_like(rho)

    def __repr__(self) -> str:
        name = getattr(self.V, "__name__", type(self.V).__name__)
        return f"Potential({name})"
