"""The energy side of the back-and-forth dual: the density that a potential selects.

For a local energy ``E_h(rho) = |C| sum_i f_i(rho_i)`` with

    f_i(r) = a r log r + sum_m b_m r^m / (m - 1) + V_i r      (a, b_m >= 0),

a potential ``Phi`` (scaled by ``tau``, so that ``Phi = tau phi``) selects

    rho_Phi = argmax_{rho >= 0, |C| sum rho = M}  sum_i ( -Phi_i rho_i - tau f_i(rho_i) ),

the maximiser of the convex conjugate of ``tau E`` under the mass constraint: in every cell
``tau f_i'(rho_i) = C - Phi_i`` where ``rho_i > 0`` (``rho_i = 0`` where ``C - Phi_i`` is below
``tau f_i'(0+)``), with the multiplier ``C`` fixed by the mass. :class:`LocalLaw` inverts the
pointwise ``g(r) = f_i'(r) - V_i = a (log r + 1) + sum_m b_m m r^(m-1) / (m - 1)``: in closed
form for the entropy alone (then ``C`` is also explicit) or for one porous-medium exponent alone,
else by a safeguarded Newton iteration in ``log r``; ``C`` is found by a safeguarded scalar Newton
iteration on the (increasing) mass.

References
----------
M. Jacobs, W. Lee and F. Leger, "The back-and-forth method for Wasserstein gradient flows",
ESAIM: COCV 27 (2021) 28, Sec. 3.
"""

from __future__ import annotations

import math

import numpy as np

from ..arrays import array_module
from ..energies import Energy, Entropy, PorousMedium, Potential, ScaledEnergy, SumEnergy
from ..grid import Grid

_NEWTON_ITER = 60
_MASS_RTOL = 1e-14


def not_handled(energy: Energy) -> TypeError:
    """The error for an energy the back-and-forth step cannot take."""
    return TypeError(
        f'method="back-and-forth" handles local energies (Entropy, PorousMedium, Potential and '
        f'sums and positive multiples of them); for {energy!r} use method="dynamic"'
    )


def _terms(energy: Energy, factor: float, found: list) -> None:
    """Append ``(factor, term)`` for every elementary term of ``energy``."""
    if isinstance(energy, SumEnergy):
        for term in energy.terms:
            _terms(term, factor, found)
    elif isinstance(energy, ScaledEnergy):
        _terms(energy.energy, factor * energy.factor, found)
    elif isinstance(energy, Entropy | PorousMedium | Potential):
        found.append((factor, energy))
    else:
        raise not_handled(energy)


class LocalLaw:
    """The pointwise density law ``rho = (f')^{-1}`` of a local energy and its mass multiplier.

    Parameters
    ----------
    energy : Energy
        Entropy, porous-medium and potential terms, summed and scaled (the entropy and
        porous-medium terms by positive factors).
    grid : Grid
        The grid.
    like : array
        An array of the backend and dtype to compute with.

    Raises
    ------
    TypeError
        For any other energy (the message names ``method="dynamic"``).
    ValueError
        For a non-positive multiple of an entropy or porous-medium term (not convex).
    """

    def __init__(self, energy: Energy, grid: Grid, like) -> None:
        terms: list = []
        _terms(energy, 1.0, terms)
        self.entropy = 0.0
        self.powers: dict[float, float] = {}
        self.potential = None
        for factor, term in terms:
            if factor == 0.0:
                continue
            if isinstance(term, Potential):
                values = factor * term.potential(grid, like)
                self.potential = values if self.potential is None else self.potential + values
                continue
            if factor < 0:
                raise ValueError(
                    f'method="back-and-forth" needs a convex energy; {factor:g} * {term!r} is not'
                )
            if isinstance(term, Entropy):
                self.entropy += factor * term.diffusion
            else:
                self.powers[term.m] = self.powers.get(term.m, 0.0) + factor * term.diffusion
        if self.entropy == 0.0 and not self.powers:
            raise ValueError(
                'method="back-and-forth" needs an entropy or porous-medium term: with a potential '
                "energy alone the JKO step is a transport without a density law"
            )
        self.volume = grid.cell_volume

    def derivative(self, rho):
        """``g(rho) = f'(rho) - V``, the pointwise law without the potential."""
        xp = array_module(rho)
        total = xp.zeros_like(rho)
        if self.entropy:
            total += self.entropy * (xp.log(xp.maximum(rho, np.finfo(rho.dtype).tiny)) + 1)
        for m, b in self.powers.items():
            total += (b * m / (m - 1)) * xp.maximum(rho, 0) ** (m - 1)
        return total

    def invert(self, u):
        """``r >= 0`` with ``g(r) = u`` (``r = 0`` where ``u <= g(0+)``)."""
        xp = array_module(u)
        if not self.powers:
            return xp.exp(u / self.entropy - 1)
        if not self.entropy and len(self.powers) == 1:
            ((m, b),) = self.powers.items()
            return ((m - 1) / (b * m) * xp.maximum(u, 0)) ** (1 / (m - 1))
        return self._newton_invert(u, xp)

    def _newton_invert(self, u, xp):
        """Safeguarded Newton in ``s = log r`` on a bracket of ``g(e^s) = u`` (increasing in
        ``s``): bisection where Newton leaves the bracket."""
        a, powers = self.entropy, list(self.powers.items())
        positive = u > 0 if not a else xp.ones(u.shape, dtype=bool)
        # upper end: the root s_P of every porous-medium term alone bounds the root where the
        # entropy term is non-negative (s >= -1), so the root is below max(min s_P, -1); with an
        # entropy term the root is also below its own root u / a - 1 (the other terms are >= 0)
        hi = None
        for m, b in powers:
            s_m = xp.log((m - 1) / (b * m) * xp.maximum(u, 1e-300)) / (m - 1)
            hi = s_m if hi is None else xp.minimum(hi, s_m)
        if a:
            hi = xp.minimum(u / a - 1, xp.maximum(hi, -1.0))
            # g(lo) <= a (lo + 1) + sum P(hi) = u
            lo = (u - sum(b * m / (m - 1) * xp.exp((m - 1) * hi) for m, b in powers)) / a - 1
        else:
            lo = hi - 800.0
        lo = xp.minimum(lo, hi)
        s = hi.copy()
        for _ in range(_NEWTON_ITER):
            r = xp.exp(s)
            value = a * (s + 1) - u
            slope = a * xp.ones_like(s)
            for m, b in powers:
                term = b * m / (m - 1) * r ** (m - 1)
                value = value + term
                slope = slope + (m - 1) * term
            lo = xp.where(value < 0, s, lo)
            hi = xp.where(value >= 0, s, hi)
            step = s - value / xp.where(slope > 0, slope, 1.0)
            inside = (step > lo) & (step < hi)
            s = xp.where(inside, step, 0.5 * (lo + hi))
            if float(xp.max(hi - lo)) < 1e-13 * (1 + float(xp.max(xp.abs(s)))) or not bool(
                xp.any(xp.abs(value) > 1e-14 * (1 + xp.abs(u)))
            ):
                break
        return xp.where(positive, xp.exp(s), 0.0)

    def slope(self, rho):
        """``d rho / d u = 1 / g'(rho)`` (0 where ``rho = 0``)."""
        xp = array_module(rho)
        curvature = xp.zeros_like(rho)
        if self.entropy:
            curvature += self.entropy / xp.maximum(rho, np.finfo(rho.dtype).tiny)
        for m, b in self.powers.items():
            curvature += b * m * xp.maximum(rho, np.finfo(rho.dtype).tiny) ** (m - 2)
        return xp.where(rho > 0, 1 / curvature, 0.0)

    def density(self, Phi, tau: float, mass: float, multiplier: float | None):
        """``(rho_Phi, C)``: the density selected by ``Phi`` with mass ``mass`` and its multiplier
        ``C`` (``rho = g^{-1}((C - Phi) / tau - V)``); ``multiplier`` a first guess or ``None``.
        """
        xp = array_module(Phi)
        shifted = Phi / tau if self.potential is None else Phi / tau + self.potential
        if not self.powers:  # entropy alone: rho = e^{(C/tau - shifted)/a - 1}, C explicit
            low = float(xp.min(shifted))
            weights = xp.exp(-(shifted - low) / self.entropy - 1)
            total = float(xp.sum(weights)) * self.volume
            level = low + self.entropy * math.log(mass / total)
            return weights * (mass / total), tau * level
        return self._mass_root(shifted, tau, mass, multiplier, xp)

    def _mass_root(self, shifted, tau, mass, guess, xp):
        """The level ``L = C / tau`` with ``|C| sum g^{-1}(L - shifted) = mass``, by safeguarded
        Newton on the increasing mass."""

        def evaluate(level):
            rho = self.invert(level - shifted)
            return rho, float(xp.sum(rho)) * self.volume

        low = float(xp.min(shifted))
        lo, hi = -math.inf, math.inf
        if not self.entropy:
            lo = low  # all of g^{-1}(L - shifted) vanish
        level = (
            guess / tau
            if guess is not None
            else low
            + float(
                self.derivative(
                    xp.asarray([mass / (self.volume * shifted.size)], dtype=shifted.dtype)
                )[0]
            )
        )
        width = max(1.0, abs(level))
        for _ in range(200):
            rho, current = evaluate(level)
            error = current - mass
            if abs(error) <= _MASS_RTOL * mass:
                break
            if error < 0:
                lo = level
            else:
                hi = level
            slope = float(xp.sum(self.slope(rho))) * self.volume
            step = level - error / slope if slope > 0 else math.nan
            if lo < step < hi:
                level = step
            elif math.isfinite(lo) and math.isfinite(hi):
                level = 0.5 * (lo + hi)
            else:
                width *= 2
                level = lo + width if math.isfinite(lo) else hi - width
        return rho * (mass / current), tau * level
