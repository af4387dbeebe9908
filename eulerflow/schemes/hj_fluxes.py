"""Numerical Hamiltonians ``Hhat(x, p^-, p^+)`` for ``d_t phi + H(x, grad phi) = 0`` (reference).

Given the one-sided derivatives ``p^-_a = D^-_a phi`` and ``p^+_a = D^+_a phi`` of every axis
(:mod:`eulerflow.schemes.hj_derivatives`), the semi-discrete scheme is
``d phi_i / dt = -Hhat(x_i, p^-, p^+)`` with (Osher and Shu, SIAM J. Numer. Anal. 28, 1991)

- ``"godunov"`` for ``H = |p|^2/2 + U(x)``:
  ``Hhat = sum_a max(max(p^-_a, 0)^2, min(p^+_a, 0)^2) / 2 + U`` (the exact Godunov Hamiltonian
  of this convex, separable ``H``);
- ``"lax-friedrichs"``: ``Hhat = H(x, (p^- + p^+)/2) - sum_a alpha_a (p^+_a - p^-_a) / 2`` with
  one ``alpha_a >= max |dH/dp_a|`` for the whole grid;
- ``"local-lax-friedrichs"``: the same with ``alpha_a`` bounding ``|dH/dp_a|`` over the box
  spanned by ``p^-`` and ``p^+`` at each point.

All three are monotone under ``dt sum_a alpha_a / h_a <= 1`` for first-order derivatives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .choices import lookup

NUMERICAL_HAMILTONIANS: dict[str, int] = {
    "godunov": 0,
    "lax-friedrichs": 1,
    "local-lax-friedrichs": 2,
}
"""Numerical Hamiltonian names and their integer codes in the compiled kernels."""


def power_dissipation(big: Sequence, q: float, xp=np) -> tuple:
    """Bounds of ``|dH/dp_a|`` for ``|p|^q/q`` given ``big_a >= |p_a|`` on a box.

    ``|dH/dp_a| = |p_a| |p|^(q-2)``: at most ``big_a |P|^(q-2)`` for ``q >= 2`` and
    ``|P|^(q-1)`` for ``q < 2``, with ``|P| = sqrt(sum_b big_b^2)``.

    Parameters
    ----------
    big : sequence of array_like
        Per axis ``a``, a bound ``big_a >= |p_a|`` on the box of momenta (arrays broadcastable
        to each other, or numbers).
    q : float
        The power of ``H = |p|^q / q`` (``q > 1``).
    xp : module, default numpy
        The array module (``numpy`` or ``cupy``) that computes ``|P|``.

    Returns
    -------
    tuple
        One bound of ``|dH/dp_a|`` per axis, broadcast from the entries of ``big``
        (``big`` itself, as a tuple, for ``q = 2``).
    """
    if q == 2.0:
        return tuple(big)
    norm = xp.sqrt(sum(b * b for b in big))
    if q > 2.0:
        return tuple(b * norm ** (q - 2) for b in big)
    return tuple(norm ** (q - 1) + 0 * b for b in big)


def flux_code(flux: str) -> int:
    """Integer code of a numerical Hamiltonian; ``ValueError`` listing the choices."""
    return lookup(NUMERICAL_HAMILTONIANS, flux, "flux")


def power_numerical_hamiltonian(
    minus: Sequence, plus: Sequence, flux: str, power: float, potential, alphas, xp
):
    """``Hhat`` for the built-in ``H = |p|^q / q + U(x)`` (what the compiled kernels compute).

    ``potential`` is an array of ``U`` at the cell centres or ``None``; ``alphas`` the global
    Lax-Friedrichs bounds per axis (used by ``"lax-friedrichs"`` only).
    """
    code = flux_code(flux)
    if code == 0:
        if power != 2.0:
            raise ValueError("the Godunov flux is implemented for H = |p|^2/2 (+ U) only")
        hhat = 0.5 * sum(
            xp.maximum(xp.maximum(m, 0) ** 2, xp.minimum(p, 0) ** 2)
            for m, p in zip(minus, plus, strict=True)
        )
    else:
        mean = [0.5 * (m + p) for m, p in zip(minus, plus, strict=True)]
        norm2 = sum(pa * pa for pa in mean)
        hhat = 0.5 * norm2 if power == 2.0 else norm2 ** (0.5 * power) / power
        if code == 2:
            big = [xp.maximum(xp.abs(m), xp.abs(p)) for m, p in zip(minus, plus, strict=True)]
            alphas = power_dissipation(big, power, xp)
        for alpha, m, p in zip(alphas, minus, plus, strict=True):
            hhat = hhat - 0.5 * alpha * (p - m)
    if potential is not None:
        hhat = hhat + potential
    return hhat


def lax_friedrichs(
    hamiltonian,
    coords: Sequence,
    minus: Sequence,
    plus: Sequence,
    local: bool,
    alphas,
    xp,
):
    """Lax-Friedrichs ``Hhat`` for any Hamiltonian object.

    ``hamiltonian(coords, p, xp)`` evaluates ``H`` and ``hamiltonian.dissipation(coords, low,
    high, xp)`` bounds ``|dH/dp_a|`` on a box of momenta (the interface of
    :class:`eulerflow.hamiltonians.Hamiltonian`).

    ``local=True`` bounds ``|dH/dp_a|`` on the box of ``p^-, p^+`` at each point; otherwise the
    given global ``alphas`` are used.
    """
    mean = tuple(0.5 * (m + p) for m, p in zip(minus, plus, strict=True))
    hhat = hamiltonian(coords, mean, xp)
    if local:
        low = tuple(xp.minimum(m, p) for m, p in zip(minus, plus, strict=True))
        high = tuple(xp.maximum(m, p) for m, p in zip(minus, plus, strict=True))
        alphas = hamiltonian.dissipation(coords, low, high, xp)
    for alpha, m, p in zip(alphas, minus, plus, strict=True):
        hhat = hhat - 0.5 * alpha * (p - m)
    return hhat
