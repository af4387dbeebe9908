"""Lax-Friedrichs numerical Hamiltonian of a pointwise Hamiltonian ``H(t, x, p)`` (reference).

A *point Hamiltonian* is an object that evaluates ``H(t, x, p)`` and a bound
``alpha_a(t, x) >= |dH/dp_a|`` on a box of momenta, on arrays (``hamiltonian(coords, p, xp,
t=t)`` and ``hamiltonian.dissipation(coords, low, high, xp, t=t)``) and, compiled, on scalars
(see :meth:`eulerflow.backends.Backend.hj_update_point`). With the one-sided derivatives
``p^-_a = D^-_a phi`` and ``p^+_a = D^+_a phi`` (:mod:`eulerflow.schemes.hj_derivatives`)

``Hhat = H(t, x, (p^- + p^+) / 2) - sum_a alpha_a (p^+_a - p^-_a) / 2``

(Osher and Shu, SIAM J. Numer. Anal. 28, 1991), ``alpha_a`` either the bound at each point over
the box spanned by ``p^-`` and ``p^+`` (local Lax-Friedrichs) or one number per axis given for the
whole grid (global Lax-Friedrichs). A *reachable tube* replaces ``Hhat`` by ``min(0, Hhat)``
(Mitchell, Bayen and Tomlin, IEEE Trans. Automat. Control 50, 2005; dissipation included, so the
solution of the time-reversed march never decreases and the value never exceeds its target).

This module is the oracle of the compiled kernels: the NumPy backend calls it with ``numpy``, the
CuPy backend with ``cupy`` for the Hamiltonians that its fused kernel
(:mod:`eulerflow.backends.cupy.hj_point`, time-invariant control-affine games) does not take.
"""

from __future__ import annotations

from collections.abc import Sequence


def point_numerical_hamiltonian(
    hamiltonian,
    t: float,
    coords: Sequence,
    minus: Sequence,
    plus: Sequence,
    local: bool,
    alphas: Sequence[float],
    tube: bool,
    xp,
):
    """``(Hhat, maxima)``: the numerical Hamiltonian on the grid and ``max_x alpha_a`` per axis.

    Parameters
    ----------
    hamiltonian : point Hamiltonian
        Evaluates ``H`` and its dissipation bound on arrays (see the module docstring).
    t : float
        Time at which ``H(t, x, p)`` is evaluated.
    coords : sequence of array
        Cell-centre coordinates per axis, broadcastable to the grid.
    minus, plus : sequence of array
        ``D^- phi`` and ``D^+ phi`` per axis.
    local : bool
        Local (the bound at each point) or global (``alphas``) Lax-Friedrichs.
    alphas : sequence of float
        The global dissipation per axis (read when ``local`` is false).
    tube : bool
        Return ``min(0, Hhat)`` (the Hamiltonian of a reachable tube).
    xp : module
        ``numpy`` or ``cupy``.

    Returns
    -------
    hhat : array
        The numerical Hamiltonian at every cell.
    maxima : tuple of float
        The largest bound ``alpha_a(t, x)`` over the grid per axis (the CFL rate).
    """
    shape = minus[0].shape
    mean = tuple(0.5 * (m + p) for m, p in zip(minus, plus, strict=True))
    low = tuple(xp.minimum(m, p) for m, p in zip(minus, plus, strict=True))
    high = tuple(xp.maximum(m, p) for m, p in zip(minus, plus, strict=True))
    hhat = xp.broadcast_to(xp.asarray(hamiltonian(coords, mean, xp, t=t)), shape)
    bounds = [
        xp.broadcast_to(xp.asarray(b), shape)
        for b in hamiltonian.dissipation(coords, low, high, xp, t=t)
    ]
    used = bounds if local else alphas
    for alpha, m, p in zip(used, minus, plus, strict=True):
        hhat = hhat - 0.5 * alpha * (p - m)
    if tube:
        hhat = xp.minimum(hhat, 0)
    maxima = tuple(float(b.max()) if b.size else 0.0 for b in bounds)
    return hhat.astype(minus[0].dtype, copy=False), maxima
