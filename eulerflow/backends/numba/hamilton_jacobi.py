"""Numba kernels of the Hamilton-Jacobi derivatives and update (compiled on first use, cached).

Arrays are viewed as three-dimensional ``(n0, n1, n2)`` in C order (``n2`` contiguous); the
backend maps 1D data to ``(1, 1, n)`` and 2D data to ``(n0, 1, n1)`` and tells the kernels which
of the three view axes are axes of the data (``slot[v] >= 0``: the position of view axis ``v``
among the data axes) and which are padding (``slot[v] = -1``, never differentiated).

The outer axis is swept in contiguous chunks of planes, one chunk per parallel task. Every one-
sided difference ``D_{m+1/2} = (g_{m+1} - g_m) / h`` is computed once (plus five warm-up planes
per chunk), ghost values ``g`` (periodic wrap, or the linear extrapolation
``phi_0 + m (phi_1 - phi_0)`` of walls) on the fly from the edge values without a padded copy:

- along axis 0, a ring of the six difference planes ``D_{r-5/2} .. D_{r+5/2}`` that plane ``r``
  needs; moving to plane ``r + 1`` computes one new plane;
- along axis 1, the same ring of six difference rows inside each plane;
- along axis 2, the ``n2 + 5`` differences of one row in a buffer.

Per row ``(r, j)`` the left and right derivatives of every data axis are reconstructed into row
buffers, both in one contiguous (vectorised) inner loop per axis that loads the six differences
of a cell once and, for WENO5, computes the two second-difference terms and the four squares that
the two stencils share once (:func:`_weno5_pair`); then they are combined into the numerical
Hamiltonian and ``out = a phi_n + b phi_k - c Hhat`` (or written to the derivative arrays). The
arithmetic is that of :mod:`eulerflow.schemes.hj_derivatives` and
:mod:`eulerflow.schemes.hj_fluxes` operation by operation and in the same order (a shared term is
the same bits in both uses), in the precision of the data: every constant is passed in the data's
dtype (tuple ``k`` below), as NumPy casts Python scalars, so float32 data is computed in float32
throughout. Only general powers ``x ** e`` (``|p|^q`` with ``q`` not 2) may differ from NumPy in
the last bit (libm ``pow`` against NumPy's).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ...schemes.hj_derivatives import WENO_CANDIDATE_COEFFICIENTS, WENO_EPS_SCALE, weno_eps_floor
from ..view3d import AXES_IN_3D
from .jit import JIT, default_chunks, float_dtype

# Positions in the tuple ``k`` of constants (each cast to the data's dtype by the backend).
K_ZERO, K_HALF, K_TWO, K_THREE, K_FOUR = range(5)
K_13_12, K_QUARTER, K_G1, K_G2, K_G3, K_EPS_SCALE, K_EPS_FLOOR = range(5, 12)
K_THIRD, K_SIXTH, K_FIVE_SIXTHS, K_SEVEN_SIXTHS, K_ELEVEN_SIXTHS = range(12, 17)

# Modes of a power x ** e, chosen from the exponent as NumPy's ``array ** scalar`` does.
POW_GENERAL, POW_SQUARE, POW_SQRT, POW_IDENTITY = range(4)

GHOST_COEFFICIENTS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
"""``gc[3 + m]``: the factor of a ghost ``m`` cells beyond an edge in the wall extrapolation."""


def constants(dtype, eps_scale: float, eps_floor: float) -> tuple:
    """The tuple ``k`` of the kernels in ``dtype`` (WENO5 ``eps = eps_scale vmax + eps_floor``)."""
    values = (0, 0.5, 2, 3, 4, 13 / 12, 0.25, 0.1, 0.6, 0.3, eps_scale, eps_floor)
    values += WENO_CANDIDATE_COEFFICIENTS
    return tuple(dtype.type(v) for v in values)


def pow_mode(exponent: float) -> int:
    """How ``x ** exponent`` is evaluated: square, sqrt and identity as NumPy's fast paths."""
    if exponent == 2.0:
        return POW_SQUARE
    if exponent == 0.5:
        return POW_SQRT
    if exponent == 1.0:
        return POW_IDENTITY
    return POW_GENERAL


# -- scalar pieces ------------------------------------------------------------------------------
@njit(inline="always", **JIT)
def _sq(x):
    return x * x


@njit(inline="always", **JIT)
def _max(x, y):
    """``np.maximum``: NaN if either argument is NaN."""
    return x if (x >= y or x != x) else y


@njit(inline="always", **JIT)
def _min(x, y):
    """``np.minimum``: NaN if either argument is NaN."""
    return x if (x <= y or x != x) else y


@njit(inline="always", **JIT)
def _pow(x, e, mode):
    if mode == POW_SQUARE:
        return x * x
    if mode == POW_SQRT:
        return np.sqrt(x)
    if mode == POW_IDENTITY:
        return x
    return x**e


@njit(inline="always", **JIT)
def _eno2(v2, v3, v4, half):
    left = v3 - v2
    right = v4 - v3
    return v3 + half * (left if abs(left) <= abs(right) else right)


@njit(inline="always", **JIT)
def _second(a, b, c, k):
    """``13/12 ((a + c) - 2 b)^2``, the term the three smoothness indicators of a triple of
    differences share; symmetric in ``a`` and ``c``, so that both one-sided derivatives of a cell
    compute it once."""
    return k[K_13_12] * _sq((a + c) - k[K_TWO] * b)


@njit(inline="always", **JIT)
def _weighted(v1, v2, v3, v4, v5, e1, e2, e3, vmax, k):
    """Jiang-Peng WENO5 ``R(v1..v5)`` from the second-difference terms ``e1, e2, e3`` of the
    triples ``(v1, v2, v3)``, ``(v2, v3, v4)``, ``(v3, v4, v5)`` and ``vmax = max v_m^2``, term
    by term as in ``hj_derivatives.reconstruct``."""
    three, four, quarter = k[K_THREE], k[K_FOUR], k[K_QUARTER]
    third, sixth, five6 = k[K_THIRD], k[K_SIXTH], k[K_FIVE_SIXTHS]
    p1 = v1 * third - v2 * k[K_SEVEN_SIXTHS] + v3 * k[K_ELEVEN_SIXTHS]
    p2 = -(v2 * sixth) + v3 * five6 + v4 * third
    p3 = v3 * third + v4 * five6 - v5 * sixth
    s1 = e1 + quarter * _sq(v1 - four * v2 + three * v3)
    s2 = e2 + quarter * _sq(v2 - v4)
    s3 = e3 + quarter * _sq(three * v3 - four * v4 + v5)
    eps = k[K_EPS_SCALE] * vmax + k[K_EPS_FLOOR]
    a1 = k[K_G1] / _sq(eps + s1)
    a2 = k[K_G2] / _sq(eps + s2)
    a3 = k[K_G3] / _sq(eps + s3)
    return (a1 * p1 + a2 * p2 + a3 * p3) / (a1 + a2 + a3)


@njit(inline="always", **JIT)
def _weno5(v1, v2, v3, v4, v5, k):
    """WENO5 ``R(v1..v5)`` of one stencil."""
    e1, e2, e3 = _second(v1, v2, v3, k), _second(v2, v3, v4, k), _second(v3, v4, v5, k)
    vmax = _max(_max(_max(v1 * v1, v2 * v2), _max(v3 * v3, v4 * v4)), v5 * v5)
    return _weighted(v1, v2, v3, v4, v5, e1, e2, e3, vmax, k)


@njit(inline="always", **JIT)
def _weno5_pair(d0, d1, d2, d3, d4, d5, k):
    """``(R(d0..d4), R(d5..d1))``: both one-sided WENO5 derivatives of a cell from its six
    differences, sharing the two second-difference terms and the four squares their stencils
    have in common (the maxima are exact, so their order does not matter)."""
    e0, e1 = _second(d0, d1, d2, k), _second(d1, d2, d3, k)
    e2, e3 = _second(d2, d3, d4, k), _second(d3, d4, d5, k)
    inner = _max(_max(d1 * d1, d2 * d2), _max(d3 * d3, d4 * d4))
    minus = _weighted(d0, d1, d2, d3, d4, e0, e1, e2, _max(inner, d0 * d0), k)
    plus = _weighted(d5, d4, d3, d2, d1, e3, e2, e1, _max(inner, d5 * d5), k)
    return minus, plus


@njit(inline="always", **JIT)
def _reconstruct(v1, v2, v3, v4, v5, scheme, k):
    if scheme == 0:
        return v3 + k[K_ZERO] * v1
    if scheme == 1:
        return _eno2(v2, v3, v4, k[K_HALF])
    return _weno5(v1, v2, v3, v4, v5, k)


# -- rows ---------------------------------------------------------------------------------------
@njit(inline="always", **JIT)
def _ghost(lines, m, i, n, gc):
    """``g_m`` at position ``i`` of a walled axis (axis 0 of ``lines``, ``n >= 2``)."""
    if m < 0:
        first = lines[0, i]
        return first + gc[3 + m] * (lines[1, i] - first)
    if m > n - 1:
        last = lines[n - 1, i]
        return last + gc[3 + m - (n - 1)] * (last - lines[n - 2, i])
    return lines[m, i]


@njit(**JIT)
def _difference_line(lines, m, periodic, h, gc, out):
    """``out = D_{m+1/2} = (g_{m+1} - g_m) / h`` along axis 0 of ``lines`` ``(n >= 2, L)``."""
    n = lines.shape[0]
    size = out.shape[0]
    if periodic or (m >= 0 and m + 1 <= n - 1):
        lo = lines[m % n]
        hi = lines[(m + 1) % n]
        for i in range(size):
            out[i] = (hi[i] - lo[i]) / h
    else:
        for i in range(size):
            out[i] = (_ghost(lines, m + 1, i, n, gc) - _ghost(lines, m, i, n, gc)) / h


@njit(inline="always", **JIT)
def _ghost_in_row(row, m, n, periodic, gc):
    if periodic:
        return row[m % n]
    if m < 0:
        return row[0] + gc[3 + m] * (row[1] - row[0])
    if m > n - 1:
        return row[n - 1] + gc[3 + m - (n - 1)] * (row[n - 1] - row[n - 2])
    return row[m]


@njit(**JIT)
def _differences_in_row(row, periodic, h, gc, d):
    """``d[m + 3] = D_{m+1/2}`` along a row (``n >= 2``) for ``m = -3 .. n + 1``."""
    n = row.shape[0]
    for m in range(n - 1):
        d[m + 3] = (row[m + 1] - row[m]) / h
    for m in range(-3, 0):
        hi = _ghost_in_row(row, m + 1, n, periodic, gc)
        d[m + 3] = (hi - _ghost_in_row(row, m, n, periodic, gc)) / h
    for m in range(n - 1, n + 2):
        hi = _ghost_in_row(row, m + 1, n, periodic, gc)
        d[m + 3] = (hi - _ghost_in_row(row, m, n, periodic, gc)) / h


@njit(inline="always", **JIT)
def _ring(m):
    """Slot of ``D_{m+1/2}`` (``m >= -6``) in a ring of six."""
    return (m + 6) % 6


@njit(**JIT)
def _fill(out, value):
    for i in range(out.shape[0]):
        out[i] = value


@njit(**JIT)
def _derivative_pair(d0, d1, d2, d3, d4, d5, dm, dp, scheme, k):
    """``dm = R(d0..d4)`` and ``dp = R(d5..d1)`` from the six difference rows
    ``D_{i-5/2} .. D_{i+5/2}``, both in one loop per scheme (vectorised)."""
    n = dm.shape[0]
    if scheme == 0:
        zero = k[K_ZERO]
        for i in range(n):
            dm[i] = d2[i] + zero * d0[i]
            dp[i] = d3[i] + zero * d5[i]
    elif scheme == 1:
        half = k[K_HALF]
        for i in range(n):
            dm[i] = _eno2(d1[i], d2[i], d3[i], half)
            dp[i] = _eno2(d4[i], d3[i], d2[i], half)
    else:
        for i in range(n):
            dm[i], dp[i] = _weno5_pair(d0[i], d1[i], d2[i], d3[i], d4[i], d5[i], k)


# -- one row of the numerical Hamiltonian and the update ----------------------------------------
@njit(**JIT)
def _update_row(pn, pk, pot, has_pot, der, nax, flux, qs, qm, half_alphas, a, b, c, k, rows, out):
    """``out = a pn + b pk - c (Hhat + U)`` on one row, ``der`` holding ``D^-, D^+`` per axis.

    ``qs = (q, q/2, q-2, q-1)`` in the dtype, ``qm = (q == 2, q > 2, pow modes of q/2, q-2,
    q-1)``; ``rows`` is scratch ``(5, n)``. Term order as in ``power_numerical_hamiltonian``.
    """
    n = out.shape[0]
    zero = k[K_ZERO]
    half = k[K_HALF]
    acc = rows[0]
    hh = rows[1]
    if flux == 0:  # Godunov: 0.5 * sum_a max(max(m, 0)^2, min(p, 0)^2)
        for s in range(nax):
            m = der[2 * s]
            p = der[2 * s + 1]
            if s == 0:
                for i in range(n):
                    acc[i] = _max(_sq(_max(m[i], zero)), _sq(_min(p[i], zero)))
            else:
                for i in range(n):
                    acc[i] = acc[i] + _max(_sq(_max(m[i], zero)), _sq(_min(p[i], zero)))
        for i in range(n):
            hh[i] = half * acc[i]
    else:  # (local) Lax-Friedrichs: H((m + p) / 2) - sum_a alpha_a (p - m) / 2
        for s in range(nax):
            m = der[2 * s]
            p = der[2 * s + 1]
            if s == 0:
                for i in range(n):
                    mean = half * (m[i] + p[i])
                    acc[i] = mean * mean
            else:
                for i in range(n):
                    mean = half * (m[i] + p[i])
                    acc[i] = acc[i] + mean * mean
        if qm[0]:
            for i in range(n):
                hh[i] = half * acc[i]
        else:
            for i in range(n):
                hh[i] = _pow(acc[i], qs[1], qm[2]) / qs[0]
        if flux == 1:
            for s in range(nax):
                m = der[2 * s]
                p = der[2 * s + 1]
                ha = half_alphas[s]
                for i in range(n):
                    hh[i] = hh[i] - ha * (p[i] - m[i])
        else:
            for s in range(nax):
                m = der[2 * s]
                p = der[2 * s + 1]
                big = rows[2 + s]
                for i in range(n):
                    big[i] = _max(abs(m[i]), abs(p[i]))
            if not qm[0]:  # |P| = sqrt(sum big^2) into acc
                for s in range(nax):
                    big = rows[2 + s]
                    if s == 0:
                        for i in range(n):
                            acc[i] = big[i] * big[i]
                    else:
                        for i in range(n):
                            acc[i] = acc[i] + big[i] * big[i]
                for i in range(n):
                    acc[i] = np.sqrt(acc[i])
            for s in range(nax):
                m = der[2 * s]
                p = der[2 * s + 1]
                big = rows[2 + s]
                if qm[0]:
                    for i in range(n):
                        hh[i] = hh[i] - half * big[i] * (p[i] - m[i])
                elif qm[1]:
                    for i in range(n):
                        alpha = big[i] * _pow(acc[i], qs[2], qm[3])
                        hh[i] = hh[i] - half * alpha * (p[i] - m[i])
                else:
                    for i in range(n):
                        alpha = _pow(acc[i], qs[3], qm[4]) + zero * big[i]
                        hh[i] = hh[i] - half * alpha * (p[i] - m[i])
    if has_pot:
        for i in range(n):
            out[i] = a * pn[i] + b * pk[i] - c * (hh[i] + pot[i])
    else:
        for i in range(n):
            out[i] = a * pn[i] + b * pk[i] - c * hh[i]


@njit(**JIT)
def _record_maxima(der, nax, chunk_max):
    """``chunk_max[s] = max(chunk_max[s], |D^-_s|, |D^+_s|)`` over one row (NaN skipped)."""
    for s in range(nax):
        m = der[2 * s]
        p = der[2 * s + 1]
        top = chunk_max[s]
        for i in range(m.shape[0]):
            v = max(abs(m[i]), abs(p[i]))
            if v > top:
                top = v
        chunk_max[s] = top


# -- the derivative sweep, shared with the point kernel (:mod:`.hj_point`) ------------------------
@njit(**JIT)
def chunk_buffers(shape, use0, use1, dtype):
    """The scratch of one chunk: ``ring0`` (six difference planes), ``ring1`` (six difference
    rows), ``d2`` (the ``n2 + 5`` differences of a row) and ``der`` (``D^-``, ``D^+`` per axis)."""
    n0, n1, n2 = shape
    ring0 = np.empty((6, n1 * n2 if use0 else 1), dtype)
    ring1 = np.empty((6, n2 if use1 else 1), dtype)
    d2 = np.empty(n2 + 5, dtype)
    der = np.empty((6, n2), dtype)
    return ring0, ring1, d2, der


@njit(**JIT)
def next_plane(phi_k, r, first, use0, use1, periodic, h, gc, ring0, ring1):
    """Move the rings to plane ``r``: ``ring0`` gains ``D_{r+5/2}`` along axis 0 (and the five
    planes before it on the ``first`` plane of a chunk); ``ring1`` restarts with the rows
    ``D_{-5/2} .. D_{3/2}`` of plane ``r`` along axis 1."""
    n0, n1, n2 = phi_k.shape
    if use0:
        planes = phi_k.reshape(n0, n1 * n2)
        if first:
            for m in range(r - 3, r + 2):
                _difference_line(planes, m, periodic[0], h[0], gc, ring0[_ring(m)])
        _difference_line(planes, r + 2, periodic[0], h[0], gc, ring0[_ring(r + 2)])
    if use1:
        plane = phi_k[r]
        for m in range(-3, 2):
            _difference_line(plane, m, periodic[1], h[1], gc, ring1[_ring(m)])


@njit(**JIT)
def row_derivatives(
    phi_k, r, j, slot, use0, use1, periodic, h, gc, scheme, k, ring0, ring1, d2, dst, row
):
    """``D^-`` and ``D^+`` of data axis ``s`` at row ``(r, j)`` into ``dst[2 s, row]`` and
    ``dst[2 s + 1, row]`` for every data axis (``ring1`` moves on to row ``j``)."""
    n2 = phi_k.shape[2]
    z = k[K_ZERO]
    zero_deriv = _reconstruct(z, z, z, z, z, scheme, k)  # an axis of length 1
    if slot[0] >= 0:
        dm, dp = dst[2 * slot[0], row], dst[2 * slot[0] + 1, row]
        if use0:
            lo = j * n2
            hi = lo + n2
            _derivative_pair(
                ring0[_ring(r - 3), lo:hi],
                ring0[_ring(r - 2), lo:hi],
                ring0[_ring(r - 1), lo:hi],
                ring0[_ring(r), lo:hi],
                ring0[_ring(r + 1), lo:hi],
                ring0[_ring(r + 2), lo:hi],
                dm,
                dp,
                scheme,
                k,
            )
        else:
            _fill(dm, zero_deriv)
            _fill(dp, zero_deriv)
    if slot[1] >= 0:
        dm, dp = dst[2 * slot[1], row], dst[2 * slot[1] + 1, row]
        if use1:
            _difference_line(phi_k[r], j + 2, periodic[1], h[1], gc, ring1[_ring(j + 2)])
            _derivative_pair(
                ring1[_ring(j - 3)],
                ring1[_ring(j - 2)],
                ring1[_ring(j - 1)],
                ring1[_ring(j)],
                ring1[_ring(j + 1)],
                ring1[_ring(j + 2)],
                dm,
                dp,
                scheme,
                k,
            )
        else:
            _fill(dm, zero_deriv)
            _fill(dp, zero_deriv)
    if slot[2] >= 0:
        dm, dp = dst[2 * slot[2], row], dst[2 * slot[2] + 1, row]
        if n2 > 1:
            _differences_in_row(phi_k[r, j], periodic[2], h[2], gc, d2)
            _derivative_pair(
                d2[0:n2],
                d2[1 : n2 + 1],
                d2[2 : n2 + 2],
                d2[3 : n2 + 3],
                d2[4 : n2 + 4],
                d2[5 : n2 + 5],
                dm,
                dp,
                scheme,
                k,
            )
        else:
            _fill(dm, zero_deriv)
            _fill(dp, zero_deriv)


# -- the sweep ----------------------------------------------------------------------------------
@njit(parallel=True, **JIT)
def hj_sweep(
    phi_n,
    phi_k,
    potential,
    has_pot,
    slot,
    nax,
    periodic,
    h,
    scheme,
    flux,
    qs,
    qm,
    half_alphas,
    a,
    b,
    c,
    k,
    gc,
    out,
    derivs,
    write_derivs,
    maxima,
    record,
    n_chunks,
):  # pragma: no cover - compiled
    """One pass over ``(n0, n1, n2)`` arrays: the derivatives of ``phi_k`` and either
    ``out = a phi_n + b phi_k - c Hhat`` (``write_derivs`` false) or ``derivs[2 s] = D^-``,
    ``derivs[2 s + 1] = D^+`` of data axis ``s`` (``write_derivs`` true; ``out`` unused).
    With ``record``, chunk ``q`` also writes ``maxima[q, s] = max(|D^-_s|, |D^+_s|)`` over its
    cells (the CFL reduction, fused)."""
    n0, n1, n2 = phi_k.shape
    use0 = slot[0] >= 0 and n0 > 1
    use1 = slot[1] >= 0 and n1 > 1
    targets = derivs.reshape(derivs.shape[0], derivs.shape[1] * derivs.shape[2], derivs.shape[3])
    n_chunks = min(n_chunks, n0)
    for chunk in prange(n_chunks):
        r0 = chunk * n0 // n_chunks
        r1 = (chunk + 1) * n0 // n_chunks
        ring0, ring1, d2, der = chunk_buffers(phi_k.shape, use0, use1, phi_k.dtype)
        row_der = der.reshape(6, 1, n2)
        rows = np.empty((5, n2), phi_k.dtype)
        for r in range(r0, r1):
            next_plane(phi_k, r, r == r0, use0, use1, periodic, h, gc, ring0, ring1)
            for j in range(n1):
                dst, row = (targets, r * n1 + j) if write_derivs else (row_der, 0)
                row_derivatives(
                    phi_k,
                    r,
                    j,
                    slot,
                    use0,
                    use1,
                    periodic,
                    h,
                    gc,
                    scheme,
                    k,
                    ring0,
                    ring1,
                    d2,
                    dst,
                    row,
                )
                if record:
                    _record_maxima(der, nax, maxima[chunk])
                if not write_derivs:
                    _update_row(
                        phi_n[r, j],
                        phi_k[r, j],
                        potential[r, j],
                        has_pot,
                        der,
                        nax,
                        flux,
                        qs,
                        qm,
                        half_alphas,
                        a,
                        b,
                        c,
                        k,
                        rows,
                        out[r, j],
                    )
    return out


# -- Python side: views and dispatch (called by NumbaBackend._hj_*) -------------------------------
def _view(phi, spacing, periodic):
    """``(shape3, slot, periodic3, h3, k, gc)`` of the kernel for ``phi`` (see the module
    docstring)."""
    dtype = float_dtype(phi.dtype)
    shape3 = [1, 1, 1]
    slot = np.full(3, -1, dtype=np.int64)
    periodic3 = np.zeros(3, dtype=np.bool_)
    h3 = np.ones(3, dtype=dtype)
    for axis, target in enumerate(AXES_IN_3D[phi.ndim]):
        shape3[target] = phi.shape[axis]
        slot[target] = axis
        periodic3[target] = periodic[axis]
        h3[target] = spacing[axis]
    k = constants(dtype, WENO_EPS_SCALE, weno_eps_floor(dtype))
    gc = np.array(GHOST_COEFFICIENTS, dtype=dtype)
    return tuple(shape3), slot, periodic3, h3, k, gc


def hj_derivatives(phi, spacing, periodic, scheme_code):
    """``(D^- phi, D^+ phi)`` per axis on validated NumPy arguments (the Numba backend's
    ``_hj_derivatives``): one :func:`hj_sweep` writing the derivative arrays."""
    shape3, slot, periodic3, h3, k, gc = _view(phi, spacing, periodic)
    ndim = phi.ndim
    dtype = np.dtype(phi.dtype)
    phi3 = np.ascontiguousarray(phi).reshape(shape3)
    derivs = np.empty((2 * ndim, *shape3), dtype=dtype)
    if phi3.size:
        zero = dtype.type(0)
        hj_sweep(
            phi3,
            phi3,
            phi3,
            False,
            slot,
            ndim,
            periodic3,
            h3,
            scheme_code,
            0,
            (zero,) * 4,
            (1, 0, 0, 0, 0),
            (zero,) * 3,
            zero,
            zero,
            zero,
            k,
            gc,
            phi3,
            derivs,
            True,
            np.zeros((1, 3)),
            False,
            default_chunks(shape3[0]),
        )
    shape = tuple(phi.shape)
    minus = tuple(derivs[2 * s].reshape(shape) for s in range(ndim))
    plus = tuple(derivs[2 * s + 1].reshape(shape) for s in range(ndim))
    return minus, plus


def hj_update(
    phi_n,
    phi_k,
    spacing,
    periodic,
    scheme_code,
    flux_code,
    power,
    potential,
    alphas,
    a,
    b,
    c,
    out,
    maxima: bool = False,
):
    """``out = a phi_n + b phi_k - c Hhat`` on validated NumPy arguments (the Numba backend's
    ``_hj_update``): one fused :func:`hj_sweep`. With ``maxima``, returns
    ``max(|D^-_a phi_k|, |D^+_a phi_k|)`` per axis from the same pass (else ``None``)."""
    shape3, slot, periodic3, h3, k, gc = _view(phi_k, spacing, periodic)
    dtype = np.dtype(phi_k.dtype)
    if not isinstance(out, np.ndarray) or out.shape != phi_k.shape or out.dtype != dtype:
        raise ValueError(f"out must be a NumPy array of shape {phi_k.shape} and dtype {dtype}")
    if np.may_share_memory(out, phi_k) or (
        potential is not None and np.may_share_memory(out, potential)
    ):
        raise ValueError("out must not overlap phi_k or the potential")
    scalar = dtype.type
    pk = np.ascontiguousarray(phi_k).reshape(shape3)
    pn = np.ascontiguousarray(phi_n).reshape(shape3)
    has_pot = potential is not None
    pot = np.ascontiguousarray(potential).reshape(shape3) if has_pot else pk
    direct = out.flags.c_contiguous
    target = out.reshape(shape3) if direct else np.empty(shape3, dtype=dtype)
    q = float(power)
    qs = (scalar(q), scalar(0.5 * q), scalar(q - 2), scalar(q - 1))
    qm = (int(q == 2.0), int(q > 2.0), pow_mode(0.5 * q), pow_mode(q - 2), pow_mode(q - 1))
    half_alphas = tuple(scalar(0.5 * x) for x in alphas) + (scalar(0),) * (3 - len(alphas))
    n_chunks = default_chunks(shape3[0])
    chunk_maxima = np.zeros((n_chunks, 3))
    if pk.size:
        hj_sweep(
            pn,
            pk,
            pot,
            has_pot,
            slot,
            phi_k.ndim,
            periodic3,
            h3,
            scheme_code,
            flux_code,
            qs,
            qm,
            half_alphas,
            scalar(a),
            scalar(b),
            scalar(c),
            k,
            gc,
            target,
            np.empty((1, 1, 1, 1), dtype=dtype),
            False,
            chunk_maxima,
            bool(maxima),
            n_chunks,
        )
    if not direct:
        out[...] = target.reshape(out.shape)
    if maxima:
        return tuple(float(x) for x in chunk_maxima.max(axis=0)[: phi_k.ndim])
    return None
