"""Free energies on a grid: the common interface, sums, scalar multiples, pointwise proximal maps.

A free energy ``E`` acts on densities given as cell averages ``rho_i`` on a
:class:`~eulerflow.grid.Grid`. It is discretised as a function of the cell values, and its
first variation is the gradient of that discrete function divided by the cell volume ``|C|``:

    first_variation(rho)_i = (1 / |C|) dE_h / d rho_i,

so that ``E_h(rho + s drho) - E_h(rho) = s |C| sum_i first_variation(rho)_i drho_i + O(s^2)``.
This exact consistency is what makes the finite-volume gradient flow of
``eulerflow.equations.gradient_flow`` dissipate the discrete energy.

*Local* energies are integrals of a pointwise density, ``E_h(rho) = |C| sum_i f_i(rho_i)``
(entropy, porous medium, potential energy and their sums and non-negative multiples). They
expose ``f_i``, ``f_i'`` and ``f_i''`` (:meth:`Energy.local_density`,
:meth:`Energy.local_derivative`, :meth:`Energy.local_second_derivative`) and the pointwise
proximal map :meth:`Energy.prox`, which a JKO step needs. Energies that couple cells
(:class:`~eulerflow.energies.Interaction`) have ``is_local = False``.

Arrays may be NumPy or CuPy; every operation uses the array module of the input.
"""

from __future__ import annotations

import math
import numbers
import warnings
from abc import ABC, abstractmethod

import numpy as np

from ..arrays import array_module
from ..checks import check_grid, positive_number
from ..exceptions import ConvergenceWarning
from ..grid import Grid


def check_density_shape(rho, grid: Grid, name: str = "rho") -> None:
    """``TypeError`` for a non-Grid, ``ValueError`` when ``rho`` does not have ``grid.shape``."""
    check_grid(grid).check_field(rho, name)


class Energy(ABC):
    """A free energy ``E(rho)`` on a grid, with its first variation ``dE/drho``.

    Subclasses implement :meth:`value` and :meth:`first_variation`. Energies add (``E1 + E2``,
    a :class:`SumEnergy`) and scale by real numbers (``2.0 * E``, a :class:`ScaledEnergy`).

    Attributes
    ----------
    is_local : bool
        ``E_h(rho) = |C| sum_i f_i(rho_i)`` for pointwise functions ``f_i``; then
        :meth:`local_density`, :meth:`local_derivative`, :meth:`local_second_derivative` and
        :meth:`prox` are available.
    convex : bool
        ``E`` is convex in ``rho`` (for local energies: every ``f_i`` is convex on
        ``rho >= 0``, which makes :meth:`prox` a well-posed strictly monotone scalar problem).
    """

    is_local: bool = False
    convex: bool = False

    @abstractmethod
    def value(self, rho, grid: Grid) -> float:
        """The discrete energy ``E_h(rho)`` of the cell averages ``rho``."""

    @abstractmethod
    def first_variation(self, rho, grid: Grid):
        """``dE/drho`` at the cell centres: the gradient of ``E_h`` divided by the cell volume."""

    # -- local energies -------------------------------------------------------------------------
    def local_density(self, rho, grid: Grid):
        """Pointwise ``f_i(rho_i)`` with ``E_h(rho) = |C| sum_i f_i(rho_i)`` (local energies)."""
        raise self._not_local("local_density")

    def local_derivative(self, rho, grid: Grid):
        """Pointwise ``f_i'(rho_i)``; equals :meth:`first_variation` (local energies)."""
        raise self._not_local("local_derivative")

    def local_second_derivative(self, rho, grid: Grid):
        """Pointwise ``f_i''(rho_i)`` (local energies)."""
        raise self._not_local("local_second_derivative")

    def prox(self, v, sigma: float, grid: Grid, tol: float = 1e-13, max_iter: int = 100):
        """Pointwise proximal map ``argmin_{r >= 0} sigma f_i(r) + (r - v_i)^2 / 2``.

        For a convex local energy the minimiser of each cell solves the strictly increasing
        scalar equation ``g(r) = r + sigma f_i'(r) - v_i = 0`` (or is ``r = 0`` when
        ``g(0) >= 0``). It is found by Newton's method safeguarded by bisection on a bracket
        ``[lo, hi]`` with ``g(lo) < 0 <= g(hi)``; bisection is geometric once ``lo > 0``, so
        roots spanning many orders of magnitude (the entropy, ``r ~ exp(v / sigma)``) are found
        in few iterations. In the discrete JKO step
        ``min_rho W_2^2(rho, rho_n) / (2 tau) + E_h(rho)`` the energy enters pointwise through
        this map (with ``sigma`` the product of ``tau`` and the primal-dual step).

        Parameters
        ----------
        v : array
            Points at which to evaluate the map, shape ``grid.shape`` (NumPy or CuPy).
        sigma : float
            Step, ``> 0``.
        grid : Grid
            The grid (for ``f_i`` that depend on the cell, such as a potential).
        tol : float
            Relative tolerance: stop when, in every cell, the bracket is narrower than
            ``tol * hi`` or the Newton correction is below ``tol * r``.
        max_iter : int
            Iteration cap; reaching it warns with :class:`eulerflow.ConvergenceWarning`.

        Returns
        -------
        array
            The minimisers, same shape, dtype and array type as ``v``.
        """
        if not self.is_local:
            raise self._not_local("prox")
        if not self.convex:
            raise ValueError(
                f"prox needs a convex energy; {self!r} is not convex (a negative multiple?)"
            )
        sigma = positive_number(sigma, "sigma")
        check_density_shape(v, grid, "v")
        return _newton_prox(self, v, sigma, grid, tol, max_iter)

    def split_local(self) -> tuple[Energy | None, Energy | None]:
        """``(local part, non-local part)`` of the energy, each ``None`` when absent."""
        return (self, None) if self.is_local else (None, self)

    def diffusivity(self, rho, grid: Grid):
        """Pointwise ``D_i = rho_i f_i''(rho_i)``, the diffusion coefficient of the local part.

        The flux of the gradient flow is ``rho grad f'(rho) = D grad rho`` for a local energy:
        explicit time steps must resolve it (``dt <= h^2 / (2 D)``, see
        ``eulerflow.equations.gradient_flow``). Non-local terms contribute 0 (they have smooth
        kernels here and no parabolic restriction).
        """
        xp = array_module(rho)
        if not self.is_local:
            return xp.zeros_like(rho)
        positive = rho > 0
        safe = xp.where(positive, rho, 1)
        return xp.where(positive, safe * self.local_second_derivative(safe, grid), 0)

    # -- algebra --------------------------------------------------------------------------------
    def __add__(self, other: Energy) -> SumEnergy:
        if not isinstance(other, Energy):
            return NotImplemented
        return SumEnergy(self, other)

    def __sub__(self, other: Energy) -> SumEnergy:
        if not isinstance(other, Energy):
            return NotImplemented
        return SumEnergy(self, ScaledEnergy(-1.0, other))

    def __radd__(self, other):
        if isinstance(other, numbers.Number) and other == 0:  # sum([E1, E2]) starts from 0
            return self
        return NotImplemented

    def __mul__(self, factor) -> ScaledEnergy:
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            return NotImplemented
        return ScaledEnergy(factor, self)

    __rmul__ = __mul__

    def __neg__(self) -> ScaledEnergy:
        return ScaledEnergy(-1.0, self)

    def _not_local(self, method: str) -> TypeError:
        return TypeError(
            f"{method} is defined for local energies only; {self!r} couples different cells "
            f"(use first_variation, or split_local() to separate the local part)"
        )


class LocalEnergy(Energy):
    """``E_h(rho) = |C| sum_i f_i(rho_i)``: subclasses give ``f``, ``f'`` and ``f''``."""

    is_local = True

    def value(self, rho, grid: Grid) -> float:
        check_density_shape(rho, grid)
        return float(self.local_density(rho, grid).sum()) * grid.cell_volume

    def first_variation(self, rho, grid: Grid):
        check_density_shape(rho, grid)
        return self.local_derivative(rho, grid)

    @abstractmethod
    def local_density(self, rho, grid: Grid): ...

    @abstractmethod
    def local_derivative(self, rho, grid: Grid): ...

    @abstractmethod
    def local_second_derivative(self, rho, grid: Grid): ...


class SumEnergy(Energy):
    """``E = E_1 + E_2 + ...`` (any number of terms); local (with summed pointwise parts) when
    every term is.

    Parameters
    ----------
    *terms : Energy
        The terms, at least one; a term that is itself a :class:`SumEnergy` contributes its own
        terms (the sum is kept flat).
    """

    def __init__(self, *terms: Energy) -> None:
        flat: list[Energy] = []
        for term in terms:
            if not isinstance(term, Energy):
                raise TypeError(f"energies add only to energies, got {type(term).__name__}")
            flat.extend(term.terms if isinstance(term, SumEnergy) else (term,))
        if not flat:
            raise ValueError("SumEnergy needs at least one term")
        self.terms: tuple[Energy, ...] = tuple(flat)
        self.is_local = all(t.is_local for t in flat)
        self.convex = all(t.convex for t in flat)

    def value(self, rho, grid: Grid) -> float:
        return float(sum(t.value(rho, grid) for t in self.terms))

    def first_variation(self, rho, grid: Grid):
        return _sum(t.first_variation(rho, grid) for t in self.terms)

    def local_density(self, rho, grid: Grid):
        if not self.is_local:
            raise self._not_local("local_density")
        return _sum(t.local_density(rho, grid) for t in self.terms)

    def local_derivative(self, rho, grid: Grid):
        if not self.is_local:
            raise self._not_local("local_derivative")
        return _sum(t.local_derivative(rho, grid) for t in self.terms)

    def local_second_derivative(self, rho, grid: Grid):
        if not self.is_local:
            raise self._not_local("local_second_derivative")
        return _sum(t.local_second_derivative(rho, grid) for t in self.terms)

    def diffusivity(self, rho, grid: Grid):
        return _sum(t.diffusivity(rho, grid) for t in self.terms)

    def split_local(self) -> tuple[Energy | None, Energy | None]:
        local = [t for t in self.terms if t.is_local]
        other = [t for t in self.terms if not t.is_local]

        def combine(parts):
            return None if not parts else parts[0] if len(parts) == 1 else SumEnergy(*parts)

        return combine(local), combine(other)

    def __repr__(self) -> str:
        return " + ".join(repr(t) for t in self.terms)


class ScaledEnergy(Energy):
    """``c E`` for a finite real ``c``; convex when ``E`` is and ``c >= 0``.

    Parameters
    ----------
    factor : float
        The finite factor ``c`` (converted with ``float``).
    energy : Energy
        The energy ``E`` that is scaled.
    """

    def __init__(self, factor: float, energy: Energy) -> None:
        if not isinstance(energy, Energy):
            raise TypeError(f"energy must be an Energy, got {type(energy).__name__}")
        factor = float(factor)
        if not math.isfinite(factor):
            raise ValueError(f"the factor of an energy must be finite, got {factor!r}")
        self.factor = factor
        self.energy = energy
        self.is_local = energy.is_local
        self.convex = energy.convex and factor >= 0

    def value(self, rho, grid: Grid) -> float:
        return self.factor * self.energy.value(rho, grid)

    def first_variation(self, rho, grid: Grid):
        return self.factor * self.energy.first_variation(rho, grid)

    def local_density(self, rho, grid: Grid):
        return self.factor * self.energy.local_density(rho, grid)

    def local_derivative(self, rho, grid: Grid):
        return self.factor * self.energy.local_derivative(rho, grid)

    def local_second_derivative(self, rho, grid: Grid):
        return self.factor * self.energy.local_second_derivative(rho, grid)

    def diffusivity(self, rho, grid: Grid):
        return abs(self.factor) * self.energy.diffusivity(rho, grid)

    def __repr__(self) -> str:
        return f"{self.factor:g} * ({self.energy!r})"


def _sum(arrays):
    total = None
    for a in arrays:
        total = a if total is None else total + a
    return total


def _newton_prox(energy: Energy, v, sigma: float, grid: Grid, tol: float, max_iter: int):
    """Safeguarded Newton for ``r + sigma f'(r) = v`` on ``r >= 0`` (see :meth:`Energy.prox`),
    in the variable ``log r``, inside a bracket that falls back on geometric bisection."""
    xp = array_module(v)
    v = xp.asarray(v)
    dtype = v.dtype if v.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    v = v.astype(dtype, copy=False)

    def g(r):
        return r + sigma * energy.local_derivative(r, grid) - v

    zero = xp.zeros_like(v)
    at_zero = g(zero) >= 0  # g is increasing: r = 0 is the minimiser there
    lo = zero.copy()
    hi = xp.maximum(xp.abs(v), 1).astype(dtype)
    for _ in range(2100):  # grow hi until g(hi) >= 0 (doubling reaches any finite root)
        short = (g(hi) < 0) & ~at_zero
        if not bool(short.any()):
            break
        hi = xp.where(short, 2 * hi, hi)
    r = xp.where(at_zero, zero, xp.clip(v, 0, None))
    r = xp.where((r <= lo) | (r >= hi), 0.5 * hi, r)
    for _ in range(max_iter):
        gr = g(r)
        lo = xp.where(gr < 0, r, lo)
        hi = xp.where(gr >= 0, r, hi)
        step = gr / (1 + sigma * energy.local_second_derivative(r, grid))
        done = at_zero | (gr == 0) | (hi - lo <= tol * hi) | (xp.abs(step) <= tol * r)
        if bool(done.all()):
            break
        # Newton in log r (r <- r exp(-g / (r dg/dr))): the same step as plain Newton when it is
        # small compared with r, and a multiplicative one for roots many decades below the
        # start (the entropy's root at v << 0 is about exp(-|v| / sigma eps))
        ratio = step / xp.where(r > 0, r, 1)
        newton = r * xp.exp(-xp.clip(ratio, -30.0, 30.0))
        bisect = xp.where(lo > 0, xp.sqrt(lo * hi), 1e-4 * hi)
        inside = (newton > lo) & (newton < hi) & xp.isfinite(newton)
        r = xp.where(done, r, xp.where(inside, newton, bisect))
    else:
        warnings.warn(
            f"prox: the pointwise Newton iteration stopped after max_iter={max_iter} iterations "
            f"before reaching tol={tol:g}",
            ConvergenceWarning,
            stacklevel=3,
        )
    return xp.where(at_zero, zero, r)
