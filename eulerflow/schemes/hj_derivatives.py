"""One-sided derivatives for Hamilton-Jacobi equations: first order, ENO2 and WENO5 (reference).

Written once with an array module ``xp``; the compiled kernels of every backend are tested
against these functions.

Along an axis with spacing ``h`` let ``D_{i+1/2} = (phi_{i+1} - phi_i) / h``. The left-biased
derivative ``D^-phi_i`` uses the five differences ``v1..v5 = D_{i-5/2}, D_{i-3/2}, D_{i-1/2},
D_{i+1/2}, D_{i+3/2}``; the right-biased ``D^+phi_i`` uses the mirrored stencil ``v1..v5 =
D_{i+5/2}, D_{i+3/2}, D_{i+1/2}, D_{i-1/2}, D_{i-3/2}``; the same formula ``R(v1..v5)`` gives both:

- ``"first"``: ``R = v3``;
- ``"eno2"``: ``R = v3 + minabs(v3 - v2, v4 - v3) / 2`` (the smoother of the two second-order
  Newton polynomials; ``minabs`` picks the argument of smaller magnitude, the first on ties);
- ``"weno5"`` (Jiang and Peng, SIAM J. Sci. Comput. 21, 2000): the convex combination
  ``w1 p1 + w2 p2 + w3 p3`` of the three third-order candidates
  ``p1 = v1/3 - 7 v2/6 + 11 v3/6``, ``p2 = -v2/6 + 5 v3/6 + v4/3``, ``p3 = v3/3 + 5 v4/6 - v5/6``
  (evaluated as products with the rounded constants ``1/3``, ``7/6``, ...)
  with ``w_k = a_k / sum a``, ``a_k = g_k / (eps + S_k)^2``, ``g = (0.1, 0.6, 0.3)``, smoothness
  indicators ``S1 = 13/12 ((v1 + v3) - 2v2)^2 + 1/4 (v1 - 4v2 + 3v3)^2``,
  ``S2 = 13/12 ((v2 + v4) - 2v3)^2 + 1/4 (v2 - v4)^2``,
  ``S3 = 13/12 ((v3 + v5) - 2v4)^2 + 1/4 (3v3 - 4v4 + v5)^2`` (the second differences summed
  symmetrically, so that the term of a triple of differences is the same bits in both one-sided
  derivatives that use it, and the kernels compute it once per cell) and
  ``eps = 1e-6 max(v1^2, ..., v5^2) + 1e-99`` (scaled as Jiang and Peng suggest).

Ghost values beyond the grid (three per side): periodic axes wrap; walled axes extrapolate
``phi`` linearly from the two edge values, ``phi_{-k} = phi_0 - k (phi_1 - phi_0)``, so the
derivatives next to a wall are those of the linear continuation (an axis of length one gets a
zero derivative).
"""

from __future__ import annotations

import numpy as np

from .choices import lookup

HJ_SCHEMES: dict[str, int] = {"first": 0, "eno2": 1, "weno5": 2}
"""Spatial schemes and their integer codes in the compiled kernels."""

GHOSTS = 3

WENO_EPS_SCALE = 1e-6

WENO_CANDIDATE_COEFFICIENTS = (1 / 3, 1 / 6, 5 / 6, 7 / 6, 11 / 6)
"""``1/3, 1/6, 5/6, 7/6, 11/6``: the candidates ``p_k`` multiply by these rounded constants
(multiplications, not divisions, which cost several times more in the compiled kernels)."""


def weno_eps_floor(dtype) -> float:
    """The additive floor of the WENO5 ``eps`` in ``dtype``.

    It keeps ``(eps + beta)^2`` positive and ``0.1 / (eps + beta)^2`` finite on flat data:
    ``1e-99`` in float64 (squared ``1e-198``) and ``1e-18`` in float32 (squared ``1e-36``, above
    the float32 normal range limit ``1.2e-38``, where ``1e-99`` would round to zero).
    """
    return 1e-99 if np.dtype(dtype).itemsize >= 8 else 1e-18


def scheme_code(scheme: str) -> int:
    """Integer code of a scheme name; ``ValueError`` listing the choices for unknown names."""
    return lookup(HJ_SCHEMES, scheme, "scheme")


def padded(phi, axis: int, periodic: bool, xp):
    """``phi`` with three ghost values on both sides of ``axis`` (wrapped or extrapolated)."""
    n = phi.shape[axis]
    k = np.arange(-GHOSTS, n + GHOSTS)
    if periodic:
        return xp.take(phi, xp.asarray(k % n), axis=axis)
    if n == 1:
        return xp.take(phi, xp.asarray(np.zeros_like(k)), axis=axis)
    clamped = np.clip(k, 0, n - 1)
    inside = xp.take(phi, xp.asarray(clamped), axis=axis)
    first = xp.take(phi, xp.asarray([0]), axis=axis)
    second = xp.take(phi, xp.asarray([1]), axis=axis)
    last = xp.take(phi, xp.asarray([n - 1]), axis=axis)
    before = xp.take(phi, xp.asarray([n - 2]), axis=axis)
    shape = [1] * phi.ndim
    shape[axis] = k.size
    below = xp.asarray(np.minimum(k, 0).reshape(shape), dtype=phi.dtype)
    above = xp.asarray(np.maximum(k - (n - 1), 0).reshape(shape), dtype=phi.dtype)
    return inside + below * (second - first) + above * (last - before)


def reconstruct(v1, v2, v3, v4, v5, scheme: str, xp):
    """``R(v1..v5)``: the one-sided derivative from five consecutive differences (see above)."""
    code = scheme_code(scheme)
    if code == 0:
        return v3 + 0 * v1
    if code == 1:
        left, right = v3 - v2, v4 - v3
        return v3 + 0.5 * xp.where(xp.abs(left) <= xp.abs(right), left, right)
    third, sixth, five6, seven6, eleven6 = WENO_CANDIDATE_COEFFICIENTS
    p1 = v1 * third - v2 * seven6 + v3 * eleven6
    p2 = -(v2 * sixth) + v3 * five6 + v4 * third
    p3 = v3 * third + v4 * five6 - v5 * sixth
    s1 = 13 / 12 * ((v1 + v3) - 2 * v2) ** 2 + 0.25 * (v1 - 4 * v2 + 3 * v3) ** 2
    s2 = 13 / 12 * ((v2 + v4) - 2 * v3) ** 2 + 0.25 * (v2 - v4) ** 2
    s3 = 13 / 12 * ((v3 + v5) - 2 * v4) ** 2 + 0.25 * (3 * v3 - 4 * v4 + v5) ** 2
    vmax = xp.maximum(
        xp.maximum(xp.maximum(v1 * v1, v2 * v2), xp.maximum(v3 * v3, v4 * v4)), v5 * v5
    )
    eps = WENO_EPS_SCALE * vmax + weno_eps_floor(vmax.dtype)
    a1 = 0.1 / (eps + s1) ** 2
    a2 = 0.6 / (eps + s2) ** 2
    a3 = 0.3 / (eps + s3) ** 2
    return (a1 * p1 + a2 * p2 + a3 * p3) / (a1 + a2 + a3)


def one_sided_derivatives(phi, axis: int, h: float, periodic: bool, scheme: str, xp):
    """``(D^- phi, D^+ phi)`` along ``axis``, arrays of ``phi.shape`` (see the module docstring)."""
    n = phi.shape[axis]
    diffs = xp.diff(padded(phi, axis, periodic, xp), axis=axis) / h  # D_{i+1/2}, i = -3..n+1

    def d(offset: int):
        # D_{i + offset + 1/2} for i = 0..n-1 sits at index i + offset + GHOSTS of diffs
        start = offset + GHOSTS
        index = [slice(None)] * phi.ndim
        index[axis] = slice(start, start + n)
        return diffs[tuple(index)]

    minus = reconstruct(d(-3), d(-2), d(-1), d(0), d(1), scheme, xp)
    plus = reconstruct(d(2), d(1), d(0), d(-1), d(-2), scheme, xp)
    return minus, plus
