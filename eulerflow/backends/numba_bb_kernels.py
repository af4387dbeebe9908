"""Numba kernels of the Benamou-Brenier operators (compiled on first use, cached on disk).

The staggered space-time variables of :mod:`eulerflow.schemes.staggered` (``rho_s`` on the time
faces, ``m_s[a]`` on the faces of spatial axis ``a``; ``N`` time cells, spatial shape
``(n_1..n_d)``) are handled through fixed-rank views, so that one compiled kernel serves 1D, 2D
and 3D data:

- an operation *along one axis* of an array of shape ``(N or N+1, n_1, .., n_d)`` (the time axis
  or a spatial axis) views it as ``(A, n, B)``: ``A`` the product of the axes before, ``n`` the
  axis, ``B`` the product of the axes after (``B = 1`` for the last, contiguous axis, which gets a
  two-dimensional ``(A, n)`` kernel of its own so that its inner loop is contiguous). The kernels
  run the rows ``(a, i)`` (or ``a``) in parallel with contiguous inner loops;
- the fused divergence views every array as four-dimensional ``(N, n0, n1, n2)``: the spatial axes
  are right-aligned (1D ``(N, 1, 1, n)``, 2D ``(N, 1, n0, n1)``), padding axes are inactive;
- the pointwise proximal map works on the flattened arrays.

Every constant is passed in the dtype of the data (as NumPy casts Python scalars), so float32 data
is computed in float32, except in :func:`bb_prox`, which solves its cubic in float64 and rounds
the result.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


# -- interpolation to the cell centres and its adjoint ------------------------------------------
@njit(parallel=True, **_JIT)
def face_average(x, half, out):  # pragma: no cover - compiled
    """``out[a, i, b] = (x[a, i, b] + x[a, i + 1, b]) * half``, ``x`` of shape ``(A, n+1, B)``."""
    n_a, n, n_b = out.shape
    for row in prange(n_a * n):
        a = row // n
        i = row - a * n
        lo = x[a, i]
        hi = x[a, i + 1]
        dst = out[a, i]
        for b in range(n_b):
            dst[b] = (lo[b] + hi[b]) * half
    return out


@njit(parallel=True, **_JIT)
def face_average_last(x, half, out):  # pragma: no cover - compiled
    """:func:`face_average` along the last axis: ``x`` ``(A, n+1)``, ``out`` ``(A, n)``."""
    n_a, n = out.shape
    for a in prange(n_a):
        src = x[a]
        dst = out[a]
        for i in range(n):
            dst[i] = (src[i] + src[i + 1]) * half
    return out


@njit(parallel=True, **_JIT)
def face_average_adjoint(x, periodic, half, out):  # pragma: no cover - compiled
    """Transpose of :func:`face_average`: ``x`` ``(A, n, B)``, ``out`` ``(A, n+1, B)``.

    ``out[:, i] = (x[:, i-1] + x[:, i]) * half`` inside, ``x[:, 0] * half`` and
    ``x[:, n-1] * half`` on the two end faces; when ``periodic`` the end faces are one face and
    both copies get ``(x[:, 0] + x[:, n-1]) * half`` (the adjoint for the sum over distinct faces).
    """
    n_a, n, n_b = x.shape
    for row in prange(n_a * (n + 1)):
        a = row // (n + 1)
        i = row - a * (n + 1)
        dst = out[a, i]
        if i == 0 or i == n:
            first = x[a, 0]
            last = x[a, n - 1]
            if periodic:
                for b in range(n_b):
                    dst[b] = (first[b] + last[b]) * half
            elif i == 0:
                for b in range(n_b):
                    dst[b] = first[b] * half
            else:
                for b in range(n_b):
                    dst[b] = last[b] * half
        else:
            lo = x[a, i - 1]
            hi = x[a, i]
            for b in range(n_b):
                dst[b] = (lo[b] + hi[b]) * half
    return out


@njit(parallel=True, **_JIT)
def face_average_adjoint_last(x, periodic, half, out):  # pragma: no cover - compiled
    """:func:`face_average_adjoint` along the last axis: ``x`` ``(A, n)``, ``out`` ``(A, n+1)``."""
    n_a, n = x.shape
    for a in prange(n_a):
        src = x[a]
        dst = out[a]
        for i in range(1, n):
            dst[i] = (src[i - 1] + src[i]) * half
        if periodic:
            edge = (src[0] + src[n - 1]) * half
            dst[0] = edge
            dst[n] = edge
        else:
            dst[0] = src[0] * half
            dst[n] = src[n - 1] * half
    return out


# -- gradient (differences onto the faces) ------------------------------------------------------
@njit(parallel=True, **_JIT)
def face_difference(p, periodic, inv_h, out):  # pragma: no cover - compiled
    """``out[:, i] = (p[:, i] - p[:, i-1]) * inv_h`` on the inner faces, ``p`` ``(A, n, B)``.

    The end faces ``0`` and ``n`` of ``out`` ``(A, n+1, B)`` get ``(p[:, 0] - p[:, n-1]) * inv_h``
    (both copies) when ``periodic``, else 0.
    """
    n_a, n, n_b = p.shape
    zero = inv_h - inv_h
    for row in prange(n_a * (n + 1)):
        a = row // (n + 1)
        i = row - a * (n + 1)
        dst = out[a, i]
        if i == 0 or i == n:
            if periodic:
                first = p[a, 0]
                last = p[a, n - 1]
                for b in range(n_b):
                    dst[b] = (first[b] - last[b]) * inv_h
            else:
                for b in range(n_b):
                    dst[b] = zero
        else:
            lo = p[a, i - 1]
            hi = p[a, i]
            for b in range(n_b):
                dst[b] = (hi[b] - lo[b]) * inv_h
    return out


@njit(parallel=True, **_JIT)
def face_difference_last(p, periodic, inv_h, out):  # pragma: no cover - compiled
    """:func:`face_difference` along the last axis: ``p`` ``(A, n)``, ``out`` ``(A, n+1)``."""
    n_a, n = p.shape
    zero = inv_h - inv_h
    for a in prange(n_a):
        src = p[a]
        dst = out[a]
        for i in range(1, n):
            dst[i] = (src[i] - src[i - 1]) * inv_h
        if periodic:
            edge = (src[0] - src[n - 1]) * inv_h
            dst[0] = edge
            dst[n] = edge
        else:
            dst[0] = zero
            dst[n] = zero
    return out


@njit(parallel=True, **_JIT)
def time_difference(p, scale, out):  # pragma: no cover - compiled
    """``out[k] = (p[k] - p[k-1]) * scale`` for ``k = 1..N-1``, ``out[0] = out[N] = 0``.

    ``p`` is ``(N, M)`` and ``out`` ``(N+1, M)`` (the time gradient, ``scale = N = 1 / dt``).
    """
    n, m = p.shape
    zero = scale - scale
    for k in prange(n + 1):
        dst = out[k]
        if k == 0 or k == n:
            for j in range(m):
                dst[j] = zero
        else:
            lo = p[k - 1]
            hi = p[k]
            for j in range(m):
                dst[j] = (hi[j] - lo[j]) * scale
    return out


# -- divergence ---------------------------------------------------------------------------------
@njit(parallel=True, **_JIT)
def divergence_4d(rho, m0, m1, m2, active, n_time, inv_h, out):  # pragma: no cover - compiled
    """Space-time divergence on the ``(N, n0, n1, n2)`` view, fused in one pass.

    ``out = (rho[k+1] - rho[k]) * n_time + sum_a (m_a[.., i+1, ..] - m_a[.., i, ..]) * inv_h[a]``
    over the active view axes ``a`` (in axis order), ``rho`` ``(N+1, n0, n1, n2)`` and ``m_a``
    with one more entry along view axis ``a + 1`` (arrays of inactive axes are not read).
    """
    n_t, n0, n1, n2 = out.shape
    for row in prange(n_t * n0 * n1):
        k = row // (n0 * n1)
        rest = row - k * (n0 * n1)
        i0 = rest // n1
        i1 = rest - i0 * n1
        dst = out[k, i0, i1]
        r_lo = rho[k, i0, i1]
        r_hi = rho[k + 1, i0, i1]
        for j in range(n2):
            dst[j] = (r_hi[j] - r_lo[j]) * n_time
        if active[0]:
            lo = m0[k, i0, i1]
            hi = m0[k, i0 + 1, i1]
            for j in range(n2):
                dst[j] += (hi[j] - lo[j]) * inv_h[0]
        if active[1]:
            lo = m1[k, i0, i1]
            hi = m1[k, i0, i1 + 1]
            for j in range(n2):
                dst[j] += (hi[j] - lo[j]) * inv_h[1]
        if active[2]:
            src = m2[k, i0, i1]
            for j in range(n2):
                dst[j] += (src[j + 1] - src[j]) * inv_h[2]
    return out


# -- Poisson solve: multiplication by the inverse eigenvalues -----------------------------------
@njit(parallel=True, **_JIT)
def scale_by_inverse_eigenvalues(coef, lam0, lam1, lam2, lam3, one):  # pragma: no cover
    """``coef[k, i, j, l] *= 1 / (lam0[k] + lam1[i] + lam2[j] + lam3[l])`` in place.

    ``coef`` is the ``(n0, n1, n2, n3)`` view of the transformed right-hand side (real or
    complex) and ``lam_v`` the float64 eigenvalues of the 1D operators along the view axes (a
    zero for a padding axis of length one). As in the reference, the sum and its inverse are
    formed in float64 (in axis order), the inverse is rounded to the real dtype of the data
    (that of ``one``), and the zero mode and any non-positive sum give 0.
    """
    n0, n1, n2, n3 = coef.shape
    for row in prange(n0 * n1 * n2):
        k = row // (n1 * n2)
        rest = row - k * (n1 * n2)
        i = rest // n2
        j = rest - i * n2
        base = lam0[k] + lam1[i] + lam2[j]
        dst = coef[k, i, j]
        for ll in range(n3):
            total = base + lam3[ll]
            inverse = 1.0 / total if total > 0.0 else 0.0
            dst[ll] = dst[ll] * _like(inverse, one)
        if row == 0:
            dst[0] = dst[0] * _like(0.0, one)
    return coef


# -- proximal map -------------------------------------------------------------------------------
# Positions in the tuple ``k`` of constants of the proximal map (in the dtype of the data).
K_ZERO, K_ONE, K_TWO, K_THREE, K_FOUR, K_NINE, K_27, K_13_5, K_SQRT2, K_INF, K_HALF, K_CENT = range(
    12
)


def prox_constants(dtype) -> tuple:
    """The tuple ``k`` of :func:`prox_flat` in ``dtype`` (as NumPy casts Python scalars)."""
    values = (0.0, 1.0, 2.0, 3.0, 4.0, 9.0, 27.0, 13.5, np.sqrt(2.0), np.inf, 0.5, 0.01)
    return tuple(dtype.type(v) for v in values)


_PROX_CHUNK = 4096  # points per parallel task (its buffers stay in the L2 cache)
_CBRT_INV_MAGIC = 0x553EF0FF289DD796  # bits of x^(-1/3) ~ magic - bits(x) / 3
CBRT_MIN, CBRT_MAX = 1e-300, 1e300
"""Range of arguments of :func:`_cbrt_fast`; the kernel takes the scalar path outside it."""


@njit(inline="always", **_JIT)
def _cbrt_fast(x):  # pragma: no cover - compiled
    """Cube root of a float64 ``x`` in ``[CBRT_MIN, CBRT_MAX]`` without libm or divisions
    (vectorisable), to about ``1e-9`` relative.

    A first guess of ``x^(-1/3)`` within 4 per cent from the bits of ``x`` (exponent divided by
    -3), three Newton steps ``y <- y (4 - x y^3) / 3`` (quadratic convergence, no division), then
    ``x y^2``. The two Newton steps on the cubic that follow in :func:`_root` square this error
    away, so the root agrees with the one computed from libm's ``cbrt`` to rounding.
    """
    bits = np.float64(x).view(np.int64)
    guess = np.int64(np.float64(_CBRT_INV_MAGIC) - np.float64(bits) * (1.0 / 3.0))
    y = np.int64(guess).view(np.float64)
    for _ in range(3):
        y = y * (4.0 - x * y * y * y) * (1.0 / 3.0)
    return x * y * y


def _like(value, x):  # pragma: no cover - replaced by the overload below in compiled code
    """``value`` converted to the type of ``x`` (float32 or float64)."""
    return type(x)(value)


@overload(_like, inline="always")
def _like_overload(value, x):
    if x == types.float32:
        return lambda value, x: np.float32(value)
    return lambda value, x: np.float64(value)


@njit(inline="always", **_JIT)
def _cbrt(x, fast):  # pragma: no cover - compiled
    """Cube root in the dtype of ``x``: :func:`_cbrt_fast` (in float64) or libm's ``cbrt``."""
    if fast:
        return _like(_cbrt_fast(np.float64(x)), x)
    return np.cbrt(x)


@njit(inline="always", **_JIT)
def _root(a, c, k, fast):  # pragma: no cover - compiled
    """Largest root ``s`` of ``s^2 (s - a) - c`` for ``c > 0``: the arithmetic of
    :func:`eulerflow.schemes.staggered.largest_cubic_root`, operation by operation.

    ``fast``: cube roots by :func:`_cbrt_fast` and the one-real-root branch only (the caller
    checks that it applies); else libm and both branches.
    """
    zero, one, two, three = k[K_ZERO], k[K_ONE], k[K_TWO], k[K_THREE]
    big_a = a * a * a / k[K_27]
    quarter = big_a + c / k[K_FOUR]
    if fast or quarter > zero:  # one real root: Cardano without cancellation
        u = _cbrt(big_a + c / two + np.sqrt(c * quarter), fast)
        u_safe = u if u > zero else one
        s = a / three + u + a * a / (k[K_NINE] * u_safe)
    else:  # three real roots (a < 0): trigonometric form
        abs_a = abs(a)
        abs_a_safe = abs_a if abs_a > zero else one
        cos_theta = -one + k[K_13_5] * c / (abs_a_safe ** k[K_THREE])
        cos_theta = min(max(cos_theta, -one), one)
        s = abs_a / three * (two * np.cos(np.arccos(cos_theta) / three) - one)
        if not s >= k[K_CENT] * abs_a:  # cancellation: one fixed-point step from sqrt(c / |a|)
            s = np.sqrt(c / (abs_a_safe + np.sqrt(c / abs_a_safe)))
    cbrt_c = _cbrt(c, fast)
    if a > zero:
        lo = max(a, cbrt_c)
        hi = a + min(cbrt_c, c / (a * a))
    else:
        abs_a = abs(a)
        root_neg = np.sqrt(c / abs_a) if abs_a > zero else k[K_INF]
        lo = min(_cbrt(c / two, fast), root_neg / k[K_SQRT2])
        hi = min(cbrt_c, root_neg)
    s = min(max(s, lo), hi)
    for _ in range(2):
        s = s - (s * s * (s - a) - c) / (s * (three * s - two * a))
    return s


@njit(inline="always", **_JIT)
def _prox_point(rc, msq, g, half_g, k, fast):  # pragma: no cover - compiled
    """``(rho*, rho* / s*)`` at one point: :func:`eulerflow.schemes.staggered.prox_kinetic`."""
    zero, one, two = k[K_ZERO], k[K_ONE], k[K_TWO]
    a = rc + g
    c = msq * half_g
    if c > zero:
        s = _root(a, c, k, fast)
    else:
        s = a if a > zero else zero
    s_safe = s if s > zero else one
    rho = rc + c / (s_safe * s_safe) if rc >= zero else s - g
    if rc < zero and rho > zero:  # Newton step in r itself
        below = rc - rho
        shifted = rho + g
        derivative = shifted * (shifted - two * below)
        derivative = derivative if derivative > zero else one
        rho = rho - (-below * shifted * shifted - c) / derivative
    rho = rho if rho > zero else zero
    return rho, rho / s_safe


@njit(inline="always", **_JIT)
def _needs_scalar_path(rc, msq, g, half_g, k):  # pragma: no cover - compiled
    """True where :func:`_root` with ``fast`` does not apply: three real roots, or cube-root
    arguments outside the range of :func:`_cbrt_fast` (``c = 0`` needs no root)."""
    a = rc + g
    c = msq * half_g
    big_a = a * a * a / k[K_27]
    quarter = big_a + c / k[K_FOUR]
    c64 = np.float64(c)
    return c > k[K_ZERO] and not (
        quarter > k[K_ZERO]
        and c64 >= 2.0 * CBRT_MIN
        and c64 <= CBRT_MAX
        and np.float64(big_a) <= CBRT_MAX
    )


@njit(**_JIT)
def _square(x, out):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        out[i] = x[i] * x[i]


@njit(**_JIT)
def _add_square(x, out):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        out[i] += x[i] * x[i]


@njit(**_JIT)
def _fast_pass(rho_c, msq, g, half_g, k, rho_out, scale, flags):  # pragma: no cover - compiled
    """``rho*`` and ``rho* / s*`` of every point by the vectorised path; the points that need the
    scalar path are flagged and keep ``rho_out = rho_c`` (``rho_out`` may be ``rho_c``)."""
    for i in range(rho_c.shape[0]):
        rc = rho_c[i]
        q = msq[i]
        slow = _needs_scalar_path(rc, q, g, half_g, k)
        rho, sc = _prox_point(rc, q, g, half_g, k, True)
        flags[i] = slow
        rho_out[i] = rc if slow else rho
        scale[i] = sc


@njit(**_JIT)
def _scale_pass(x, scale, flags, out):  # pragma: no cover - compiled
    """``out = scale x``, or ``x`` itself on the flagged points (``out`` may be ``x``)."""
    for i in range(x.shape[0]):
        out[i] = x[i] if flags[i] else scale[i] * x[i]


@njit(**_JIT)
def _prox_chunk(rho_c, m0, m1, m2, ndim, g, half_g, k, rho_out, o0, o1, o2):  # pragma: no cover
    """:func:`prox_flat` on one contiguous chunk.

    Short loops over few arrays each (1D views starting at 0), so that LLVM vectorises them:
    ``|m|^2`` into a buffer, the vectorised path (:func:`_fast_pass`), the momenta, then the
    flagged points again through the scalar path (their inputs were passed through).
    """
    n = rho_c.shape[0]
    msq = np.empty(n, dtype=rho_c.dtype)
    scale = np.empty(n, dtype=rho_c.dtype)
    flags = np.empty(n, dtype=np.uint8)
    _square(m0, msq)
    if ndim > 1:
        _add_square(m1, msq)
    if ndim > 2:
        _add_square(m2, msq)
    _fast_pass(rho_c, msq, g, half_g, k, rho_out, scale, flags)
    _scale_pass(m0, scale, flags, o0)
    if ndim > 1:
        _scale_pass(m1, scale, flags, o1)
    if ndim > 2:
        _scale_pass(m2, scale, flags, o2)
    for i in range(n):
        if flags[i]:
            rho, sc = _prox_point(rho_out[i], msq[i], g, half_g, k, False)
            rho_out[i] = rho
            o0[i] = sc * o0[i]
            if ndim > 1:
                o1[i] = sc * o1[i]
            if ndim > 2:
                o2[i] = sc * o2[i]


@njit(parallel=True, **_JIT)
def prox_flat(
    rho_c, m0, m1, m2, ndim, gamma, k, rho_out, o0, o1, o2, n_chunks
):  # pragma: no cover - compiled
    """Pointwise proximal map of ``gamma |m|^2 / (2 rho)`` on flattened arrays (in place allowed).

    ``a = rho_c + gamma``, ``c = |m_c|^2 (gamma / 2)``, ``s*`` the largest root of
    ``s^2 (s - a) - c`` (:func:`_root`), ``rho* = rho_c + c / s*^2`` (``rho_c >= 0``) or
    ``s* - gamma`` polished by a Newton step (``rho_c < 0``), ``m* = (rho* / s*) m_c`` where
    ``rho* > 0``, else ``(0, 0)``: the arithmetic of the reference in the dtype of the data.

    The chunks run in parallel, each swept twice (:func:`_prox_chunk`): a vectorised pass over
    every point with the fast cube root and the one-real-root branch, which passes the inputs of
    the other points through unchanged and flags them, and a scalar pass that solves the flagged
    points with both branches and libm.
    """
    n = rho_c.shape[0]
    half_g = k[K_HALF] * gamma
    for chunk in prange(n_chunks):
        lo = chunk * n // n_chunks
        hi = (chunk + 1) * n // n_chunks
        _prox_chunk(
            rho_c[lo:hi],
            m0[lo:hi],
            m1[lo:hi],
            m2[lo:hi],
            ndim,
            gamma,
            half_g,
            k,
            rho_out[lo:hi],
            o0[lo:hi],
            o1[lo:hi],
            o2[lo:hi],
        )
    return rho_out


# -- Python side: views and dispatch (called by NumbaBackend._bb_*) ------------------------------
_FLOAT_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _dtype_of(x) -> np.dtype:
    dtype = np.dtype(x.dtype)
    if dtype not in _FLOAT_TYPES:
        raise TypeError(f"the numba backend supports float32 and float64 arrays, got {dtype}")
    return dtype


def _split(shape, axis):
    """``(A, B)``: the products of the axes of ``shape`` before and after ``axis``."""
    return int(np.prod(shape[:axis], dtype=np.int64)), int(
        np.prod(shape[axis + 1 :], dtype=np.int64)
    )


def _along(x, axis, fn2, fn3, out, *args):
    """Apply a one-axis kernel along ``axis`` of ``x``, writing the C-contiguous ``out``."""
    if out.size == 0:
        return
    x = np.ascontiguousarray(x)
    before, after = _split(x.shape, axis)
    n_in, n_out = x.shape[axis], out.shape[axis]
    if after == 1:
        fn2(x.reshape(before, n_in), *args, out.reshape(before, n_out))
    else:
        fn3(x.reshape(before, n_in, after), *args, out.reshape(before, n_out, after))


def interpolate(rho_s, m_s, out):
    """Write ``out = (rho_c, m_c)``: averages of neighbouring time faces and space faces."""
    dtype = _dtype_of(rho_s)
    half = dtype.type(0.5)
    rho_c, m_c = out
    _along(rho_s, 0, face_average_last, face_average, rho_c, half)
    for a, (m, mc) in enumerate(zip(m_s, m_c, strict=True)):
        _along(m, a + 1, face_average_last, face_average, mc, half)


def interpolate_adjoint(rho_c, m_c, periodic, out):
    """Write ``out = (rho_s, m_s)``, the transpose of :func:`interpolate` (periodic faces: both
    copies carry the sum of their two contributions)."""
    dtype = _dtype_of(rho_c)
    half = dtype.type(0.5)
    rho_s, m_s = out
    _along(rho_c, 0, face_average_adjoint_last, face_average_adjoint, rho_s, False, half)
    for a, (mc, m) in enumerate(zip(m_c, m_s, strict=True)):
        per = bool(periodic[a])
        _along(mc, a + 1, face_average_adjoint_last, face_average_adjoint, m, per, half)


def gradient(p, spacing, periodic, out):
    """Write ``out = (g_rho, g_m)``, minus the transpose of :func:`divergence` on the unknowns."""
    dtype = _dtype_of(p)
    p = np.ascontiguousarray(p)
    g_rho, g_m = out
    n_time = p.shape[0]
    if g_rho.size:
        time_difference(p.reshape(n_time, -1), dtype.type(n_time), g_rho.reshape(n_time + 1, -1))
    for a, g in enumerate(g_m):
        inv_h = dtype.type(1.0 / spacing[a])
        _along(p, a + 1, face_difference_last, face_difference, g, bool(periodic[a]), inv_h)


def divergence(rho_s, m_s, spacing, out):
    """Write ``out = (rho_s[k+1] - rho_s[k]) N + sum_a (m_s[a][i+1] - m_s[a][i]) (1 / h_a)``."""
    dtype = _dtype_of(rho_s)
    if out.size == 0:
        return
    rho_s = np.ascontiguousarray(rho_s)
    n_time = rho_s.shape[0] - 1
    space = rho_s.shape[1:]
    ndim = len(space)
    shape4 = [n_time, 1, 1, 1]
    first = 4 - ndim  # view axis of spatial axis 0 (spatial axes right-aligned)
    active = np.zeros(3, dtype=np.bool_)
    inv_h = np.ones(3, dtype=dtype)
    m4 = [np.zeros((1, 1, 1, 1), dtype=dtype)] * 3
    for a in range(ndim):
        shape4[first + a] = space[a]
    for a in range(ndim):
        v = first + a
        active[v - 1] = True
        inv_h[v - 1] = dtype.type(1.0 / spacing[a])
        face_shape = tuple(n + (ax == v) for ax, n in enumerate(shape4))
        m4[v - 1] = np.ascontiguousarray(m_s[a]).reshape(face_shape)
    rho4 = rho_s.reshape(n_time + 1, *shape4[1:])
    divergence_4d(rho4, *m4, active, dtype.type(n_time), inv_h, out.reshape(shape4))


def prox(rho_c, m_c, gamma, out):
    """Write ``out = (rho*, m*)``, the pointwise proximal map of ``gamma |m|^2 / (2 rho)``."""
    dtype = _dtype_of(rho_c)
    rho_out, m_out = out
    ndim = len(m_c)
    rho_flat = np.ascontiguousarray(rho_c).reshape(-1)
    if rho_flat.size == 0:
        return
    m_flat = [np.ascontiguousarray(m).reshape(-1) for m in m_c]
    m_dst = [m.reshape(-1) for m in m_out]
    pad_in = m_flat + [m_flat[0]] * (3 - ndim)
    pad_out = m_dst + [m_dst[0]] * (3 - ndim)
    prox_flat(
        rho_flat,
        *pad_in,
        ndim,
        dtype.type(gamma),
        prox_constants(dtype),
        rho_out.reshape(-1),
        *pad_out,
        max(1, -(-rho_flat.size // _PROX_CHUNK)),
    )


@lru_cache(maxsize=64)
def _eigenvalues(n: int, h: float, periodic: bool, length: int) -> np.ndarray:
    """First ``length`` eigenvalues (float64) of the 1D operator ``-D G`` on ``n`` cells of width
    ``h``: ``(2 - 2 cos(pi k / n)) / h^2`` (Neumann, DCT-II) or ``(2 - 2 cos(2 pi k / n)) / h^2``
    (periodic, FFT), evaluated as in the reference. Read-only, cached per argument tuple."""
    k = np.arange(length)
    if periodic:
        lam = (2 - 2 * np.cos(2 * np.pi * k / n)) / h**2
    else:
        lam = (2 - 2 * np.cos(np.pi * k / n)) / h**2
    lam = np.ascontiguousarray(lam, dtype=np.float64)
    lam.flags.writeable = False
    return lam


_NO_AXIS = np.zeros(1)
_NO_AXIS.flags.writeable = False


def poisson(f, spacing, periodic, workers: int, out) -> None:
    """Write ``out = p`` with ``-divergence(gradient(p)) = f`` (zero mode 0).

    Orthonormal DCT-II along the time axis and the walled axes, a real FFT along the periodic
    axes (``scipy.fft`` with ``workers`` threads), the multiplication by the inverse eigenvalue
    sums in place (:func:`scale_by_inverse_eigenvalues`, eigenvalues cached per axis) and the
    inverse transforms: the sequence of the reference :func:`eulerflow.schemes.staggered.poisson`.
    """
    import scipy.fft as sfft

    dtype = _dtype_of(f)
    if out.size == 0:
        return
    shape = tuple(f.shape)
    n_time, space = shape[0], shape[1:]
    ndim = len(space)
    neumann = (0, *(a + 1 for a in range(ndim) if not periodic[a]))
    per = tuple(a + 1 for a in range(ndim) if periodic[a])
    coef = sfft.dctn(
        np.array(f, dtype=dtype, order="C"),
        type=2,
        axes=neumann,
        norm="ortho",
        workers=workers,
        overwrite_x=True,
    )
    if per:
        coef = sfft.rfftn(coef, axes=per, workers=workers)
    lams = [_eigenvalues(n_time, 1.0 / n_time, False, n_time)] + [_NO_AXIS] * (3 - ndim)
    for a in range(ndim):
        h, p = float(spacing[a]), bool(periodic[a])
        lams.append(_eigenvalues(space[a], h, p, coef.shape[a + 1]))
    shape4 = tuple(len(lam) for lam in lams)
    scale_by_inverse_eigenvalues(coef.reshape(shape4), *lams, dtype.type(1))
    if per:
        coef = sfft.irfftn(coef, s=[shape[a] for a in per], axes=per, workers=workers)
    out[...] = sfft.idctn(
        coef, type=2, axes=neumann, norm="ortho", workers=workers, overwrite_x=True
    )
