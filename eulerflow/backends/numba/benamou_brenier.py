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

from .jit import JIT, float_dtype


# -- interpolation to the cell centres and its adjoint ------------------------------------------
@njit(parallel=True, **JIT)
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


@njit(parallel=True, **JIT)
def face_average_last(x, half, out):  # pragma: no cover - compiled
    """:func:`face_average` along the last axis: ``x`` ``(A, n+1)``, ``out`` ``(A, n)``."""
    n_a, n = out.shape
    for a in prange(n_a):
        src = x[a]
        dst = out[a]
        for i in range(n):
            dst[i] = (src[i] + src[i + 1]) * half
    return out


@njit(parallel=True, **JIT)
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


@njit(parallel=True, **JIT)
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
# Modes of the difference kernels: write ``G p``, add it to ``out``, or write ``out = base + G p``
# and its reflection ``mirror = 2 out - base`` (the projection step of Douglas-Rachford).
WRITE, ADD, REFLECT = 0, 1, 2


@njit(parallel=True, **JIT)
def face_difference(p, periodic, inv_h, mode, base, mirror, out):  # pragma: no cover - compiled
    """``out[:, i] = (p[:, i] - p[:, i-1]) * inv_h`` on the inner faces, ``p`` ``(A, n, B)``.

    The end faces ``0`` and ``n`` of ``out`` ``(A, n+1, B)`` get ``(p[:, 0] - p[:, n-1]) * inv_h``
    (both copies) when ``periodic``, else 0. ``mode``: WRITE as above; ADD adds the differences
    to ``out`` (zero faces left as they are); REFLECT writes ``out = base + difference`` and
    ``mirror = (out + out) - base`` (``base``, ``mirror`` shaped like ``out``; zero faces copy
    ``base``).
    """
    n_a, n, n_b = p.shape
    zero = inv_h - inv_h
    for row in prange(n_a * (n + 1)):
        a = row // (n + 1)
        i = row - a * (n + 1)
        dst = out[a, i]
        src = base[a, i]
        mir = mirror[a, i]
        if (i == 0 or i == n) and not periodic:
            if mode == WRITE:
                for b in range(n_b):
                    dst[b] = zero
            elif mode == REFLECT:
                for b in range(n_b):
                    dst[b] = src[b]
                    mir[b] = src[b]
            continue
        if i == 0 or i == n:
            lo = p[a, n - 1]
            hi = p[a, 0]
        else:
            lo = p[a, i - 1]
            hi = p[a, i]
        if mode == WRITE:
            for b in range(n_b):
                dst[b] = (hi[b] - lo[b]) * inv_h
        elif mode == ADD:
            for b in range(n_b):
                dst[b] += (hi[b] - lo[b]) * inv_h
        else:
            for b in range(n_b):
                value = src[b] + (hi[b] - lo[b]) * inv_h
                dst[b] = value
                mir[b] = (value + value) - src[b]
    return out


@njit(parallel=True, **JIT)
def face_difference_last(p, periodic, inv_h, mode, base, mirror, out):  # pragma: no cover
    """:func:`face_difference` along the last axis: ``p`` ``(A, n)``, ``out`` ``(A, n+1)``."""
    n_a, n = p.shape
    zero = inv_h - inv_h
    for a in prange(n_a):
        src = p[a]
        dst = out[a]
        if mode == REFLECT:
            old = base[a]
            mir = mirror[a]
            for i in range(1, n):
                value = old[i] + (src[i] - src[i - 1]) * inv_h
                dst[i] = value
                mir[i] = (value + value) - old[i]
            for i in (0, n):
                value = old[i] + (src[0] - src[n - 1]) * inv_h if periodic else old[i]
                dst[i] = value
                mir[i] = (value + value) - old[i]
            continue
        if mode == ADD:
            for i in range(1, n):
                dst[i] += (src[i] - src[i - 1]) * inv_h
            if periodic:
                edge = (src[0] - src[n - 1]) * inv_h
                dst[0] += edge
                dst[n] += edge
            continue
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


@njit(parallel=True, **JIT)
def time_difference(p, scale, mode, base, mirror, out):  # pragma: no cover - compiled
    """``out[k] = (p[k] - p[k-1]) * scale`` for ``k = 1..N-1``, ``out[0] = out[N] = 0``.

    ``p`` is ``(N, M)`` and ``out`` ``(N+1, M)`` (the time gradient, ``scale = N = 1 / dt``).
    ``mode`` as in :func:`face_difference` (the rows ``0`` and ``N`` are the zero faces).
    """
    n, m = p.shape
    zero = scale - scale
    for k in prange(n + 1):
        dst = out[k]
        src = base[k]
        mir = mirror[k]
        if k == 0 or k == n:
            if mode == WRITE:
                for j in range(m):
                    dst[j] = zero
            elif mode == REFLECT:
                for j in range(m):
                    dst[j] = src[j]
                    mir[j] = src[j]
            continue
        lo = p[k - 1]
        hi = p[k]
        if mode == WRITE:
            for j in range(m):
                dst[j] = (hi[j] - lo[j]) * scale
        elif mode == ADD:
            for j in range(m):
                dst[j] += (hi[j] - lo[j]) * scale
        else:
            for j in range(m):
                value = src[j] + (hi[j] - lo[j]) * scale
                dst[j] = value
                mir[j] = (value + value) - src[j]
    return out


# -- divergence ---------------------------------------------------------------------------------
@njit(parallel=True, **JIT)
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


@njit(inline="always", **JIT)
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


@njit(inline="always", **JIT)
def _cbrt(x, fast):  # pragma: no cover - compiled
    """Cube root in the dtype of ``x``: :func:`_cbrt_fast` (in float64) or libm's ``cbrt``."""
    if fast:
        return _like(_cbrt_fast(np.float64(x)), x)
    return np.cbrt(x)


@njit(inline="always", **JIT)
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


@njit(inline="always", **JIT)
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


@njit(inline="always", **JIT)
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


@njit(**JIT)
def _square(x, out):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        out[i] = x[i] * x[i]


@njit(**JIT)
def _add_square(x, out):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        out[i] += x[i] * x[i]


@njit(**JIT)
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


@njit(**JIT)
def _scale_pass(x, scale, flags, out):  # pragma: no cover - compiled
    """``out = scale x``, or ``x`` itself on the flagged points (``out`` may be ``x``)."""
    for i in range(x.shape[0]):
        out[i] = x[i] if flags[i] else scale[i] * x[i]


@njit(**JIT)
def _reflect_pass(x, z, out):  # pragma: no cover - compiled
    """``out = 2 x - z`` (as :func:`reflect_flat`) on one chunk."""
    for i in range(x.shape[0]):
        out[i] = x[i] + x[i] - z[i]


@njit(**JIT)
def _prox_chunk(rho_c, m0, m1, m2, ndim, g, half_g, k, outs, mirrors, reflect):  # pragma: no cover
    """:func:`prox_flat` on one contiguous chunk.

    Short loops over few arrays each (1D views starting at 0), so that LLVM vectorises them:
    ``|m|^2`` into a buffer, the vectorised path (:func:`_fast_pass`), the momenta, then the
    flagged points again through the scalar path (their inputs were passed through), and the
    reflections ``mirrors = 2 out - input`` if ``reflect`` (while the chunk is in cache).
    """
    rho_out, o0, o1, o2 = outs
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
    if not reflect:
        return
    r_rho, r0, r1, r2 = mirrors
    _reflect_pass(rho_out, rho_c, r_rho)
    _reflect_pass(o0, m0, r0)
    if ndim > 1:
        _reflect_pass(o1, m1, r1)
    if ndim > 2:
        _reflect_pass(o2, m2, r2)


@njit(parallel=True, **JIT)
def prox_flat(
    rho_c, m0, m1, m2, ndim, gamma, k, outs, mirrors, reflect, n_chunks
):  # pragma: no cover
    """Pointwise proximal map of ``gamma |m|^2 / (2 rho)`` on flattened arrays (in place allowed).

    ``a = rho_c + gamma``, ``c = |m_c|^2 (gamma / 2)``, ``s*`` the largest root of
    ``s^2 (s - a) - c`` (:func:`_root`), ``rho* = rho_c + c / s*^2`` (``rho_c >= 0``) or
    ``s* - gamma`` polished by a Newton step (``rho_c < 0``), ``m* = (rho* / s*) m_c`` where
    ``rho* > 0``, else ``(0, 0)``: the arithmetic of the reference in the dtype of the data.
    ``outs = (rho*, m0*, m1*, m2*)``; ``mirrors``, a tuple like it, receives ``2 out - input`` if
    ``reflect`` (else it is not touched and may be ``outs``).

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
        chunk_outs = (outs[0][lo:hi], outs[1][lo:hi], outs[2][lo:hi], outs[3][lo:hi])
        chunk_mirrors = (mirrors[0][lo:hi], mirrors[1][lo:hi], mirrors[2][lo:hi], mirrors[3][lo:hi])
        _prox_chunk(
            rho_c[lo:hi],
            m0[lo:hi],
            m1[lo:hi],
            m2[lo:hi],
            ndim,
            gamma,
            half_g,
            k,
            chunk_outs,
            chunk_mirrors,
            reflect,
        )
    return outs[0]


# -- Python side: views and dispatch (called by NumbaBackend._bb_*) ------------------------------
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
    dtype = float_dtype(rho_s.dtype)
    half = dtype.type(0.5)
    rho_c, m_c = out
    _along(rho_s, 0, face_average_last, face_average, rho_c, half)
    for a, (m, mc) in enumerate(zip(m_s, m_c, strict=True)):
        _along(m, a + 1, face_average_last, face_average, mc, half)


def interpolate_adjoint(rho_c, m_c, periodic, out):
    """Write ``out = (rho_s, m_s)``, the transpose of :func:`interpolate` (periodic faces: both
    copies carry the sum of their two contributions)."""
    dtype = float_dtype(rho_c.dtype)
    half = dtype.type(0.5)
    rho_s, m_s = out
    _along(rho_c, 0, face_average_adjoint_last, face_average_adjoint, rho_s, False, half)
    for a, (mc, m) in enumerate(zip(m_c, m_s, strict=True)):
        per = bool(periodic[a])
        _along(mc, a + 1, face_average_adjoint_last, face_average_adjoint, m, per, half)


def gradient(p, spacing, periodic, out, mode=WRITE, base=None, mirror=None):
    """Write ``out = (g_rho, g_m)``, minus the transpose of :func:`divergence` on the unknowns
    (``mode`` ADD: ``out += (g_rho, g_m)``, the ``_bb_gradient_add`` of the backend; REFLECT:
    ``out = base + (g_rho, g_m)`` and ``mirror = 2 out - base``, ``_bb_gradient_reflect``)."""
    dtype = float_dtype(p.dtype)
    p = np.ascontiguousarray(p)
    g_rho, g_m = out
    base_rho, base_m = base if base is not None else out
    mirror_rho, mirror_m = mirror if mirror is not None else out
    n_time = p.shape[0]
    if g_rho.size:
        rows = (n_time + 1, -1)
        time_difference(
            p.reshape(n_time, -1),
            dtype.type(n_time),
            mode,
            np.ascontiguousarray(base_rho).reshape(rows),
            mirror_rho.reshape(rows),
            g_rho.reshape(rows),
        )
    for a, g in enumerate(g_m):
        if g.size == 0:
            continue
        inv_h = dtype.type(1.0 / spacing[a])
        before, after = _split(p.shape, a + 1)
        n = p.shape[a + 1]
        view = (before, n + 1) if after == 1 else (before, n + 1, after)
        kernel = face_difference_last if after == 1 else face_difference
        kernel(
            p.reshape(view[0], n, *view[2:]),
            bool(periodic[a]),
            inv_h,
            mode,
            np.ascontiguousarray(base_m[a]).reshape(view),
            mirror_m[a].reshape(view),
            g.reshape(view),
        )


def divergence(rho_s, m_s, spacing, out):
    """Write ``out = (rho_s[k+1] - rho_s[k]) N + sum_a (m_s[a][i+1] - m_s[a][i]) (1 / h_a)``."""
    dtype = float_dtype(rho_s.dtype)
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


def prox(rho_c, m_c, gamma, out, reflect=None):
    """Write ``out = (rho*, m*)``, the pointwise proximal map of ``gamma |m|^2 / (2 rho)``, and
    ``reflect = 2 out - (rho_c, m_c)`` if given."""
    dtype = float_dtype(rho_c.dtype)
    ndim = len(m_c)
    if rho_c.size == 0:
        return

    def padded(rho, m):
        """Flat C-contiguous ``(rho, m0, m1, m2)``, missing axes filled with ``m0``."""
        flat = [np.ascontiguousarray(x).reshape(-1) for x in (rho, *m)]
        return (*flat, *[flat[1]] * (3 - ndim))

    outs = padded(*out)
    prox_flat(
        *padded(rho_c, m_c),
        ndim,
        dtype.type(gamma),
        prox_constants(dtype),
        outs,
        outs if reflect is None else padded(*reflect),
        reflect is not None,
        max(1, -(-rho_c.size // _PROX_CHUNK)),
    )


# -- projection onto the graph of I: tridiagonal line solves (Thomas algorithm) -----------------
@njit(inline="always", **JIT)
def _graph_block(src, cell, first, last, factors, periodic, x):  # pragma: no cover - compiled
    """Solve ``tridiag(q, 3/2, q) x = src + I^T cell`` (``q = 1/4``) down the columns of a block.

    ``src``, ``x`` ``(n_c + 1, W)`` (faces; ``x`` may be ``src``), ``cell`` ``(n_c, W)``: face
    ``j`` gets the right-hand side ``src[j] + (cell[j-1] + cell[j]) / 2``. Fixed ends: the
    unknowns are faces ``1..n_c-1``, the end faces take ``first`` / ``last`` ``(W,)``, whose
    ``q``-multiples move to the right-hand side. Periodic: the unknowns are faces ``0..n_c-1``
    (``cell[-1]`` wraps), the cyclic system is solved by Sherman-Morrison and face ``n_c`` copies
    face 0. ``factors`` (:func:`thomas_factors`): rows ``lower``, ``inv_pivot`` (forward sweep
    ``y_j = r_j - lower_j y_{j-1}``, back substitution ``x_j = (y_j - q x_{j+1}) inv_pivot_j``)
    and ``spike`` (the Sherman-Morrison correction ``x -= (x_0 + v x_{M-1}) w spike`` with
    ``v, w = factors[3, 0], factors[3, 1]``).
    """
    n_c = cell.shape[0]
    width = cell.shape[1]
    q = factors[3, 2]
    half = factors[3, 3]
    start = 0 if periodic else 1
    for j in range(start, n_c):  # forward sweep
        prev = cell[j - 1] if j > 0 else cell[n_c - 1]
        here = cell[j]
        if j == start:
            for k in range(width):
                x[j, k] = src[j, k] + (prev[k] + here[k]) * half
        else:
            lower = factors[0, j - start]
            for k in range(width):
                x[j, k] = src[j, k] + (prev[k] + here[k]) * half - lower * x[j - 1, k]
        if not periodic and j == 1:
            for k in range(width):
                x[j, k] -= q * first[k]
        if not periodic and j == n_c - 1:
            for k in range(width):
                x[j, k] -= q * last[k]
    if n_c > start:  # back substitution
        inv = factors[1, n_c - 1 - start]
        for k in range(width):
            x[n_c - 1, k] *= inv
    for j in range(n_c - 2, start - 1, -1):
        inv = factors[1, j - start]
        for k in range(width):
            x[j, k] = (x[j, k] - q * x[j + 1, k]) * inv
    if periodic:
        v, w = factors[3, 0], factors[3, 1]
        coefficient = np.empty(width, dtype=x.dtype)
        for k in range(width):
            coefficient[k] = (x[0, k] + v * x[n_c - 1, k]) * w
        for j in range(n_c):
            spike = factors[2, j]
            for k in range(width):
                x[j, k] -= coefficient[k] * spike
        for k in range(width):
            x[n_c, k] = x[0, k]
    else:
        for k in range(width):
            x[0, k] = first[k]
            x[n_c, k] = last[k]


@njit(parallel=True, **JIT)
def graph_lines(a, b, first, last, factors, periodic, chunk, out):  # pragma: no cover - compiled
    """:func:`_graph_block` along axis 1 of ``(A, n, B)`` views: ``a``, ``out``
    ``(A, n_c + 1, B)`` (``out`` may be ``a``), ``b`` ``(A, n_c, B)``, ``first``, ``last``
    ``(A, B)``; parallel over the rows ``A`` and chunks of ``chunk`` columns of ``B``."""
    n_a, _, n_b = out.shape
    n_chunks = (n_b + chunk - 1) // chunk
    for task in prange(n_a * n_chunks):
        row = task // n_chunks
        lo = (task - row * n_chunks) * chunk
        hi = min(lo + chunk, n_b)
        _graph_block(
            a[row, :, lo:hi],
            b[row, :, lo:hi],
            first[row, lo:hi],
            last[row, lo:hi],
            factors,
            periodic,
            out[row, :, lo:hi],
        )
    return out


@njit(parallel=True, **JIT)
def graph_lines_last(a, b, first, last, factors, periodic, width, out):  # pragma: no cover
    """:func:`_graph_block` along the last axis: ``a``, ``out`` ``(A, n_c + 1)`` (``out`` may be
    ``a``), ``b`` ``(A, n_c)``, ``first``, ``last`` ``(A,)``. Blocks of ``width`` lines are
    transposed into buffers so that the recurrences run across lines (vectorised)."""
    n_a, n_f = out.shape
    n_c = n_f - 1
    n_blocks = (n_a + width - 1) // width
    for block in prange(n_blocks):
        lo = block * width
        w = min(width, n_a - lo)
        faces = np.empty((n_f, w), dtype=out.dtype)
        cells = np.empty((n_c, w), dtype=out.dtype)
        for k in range(w):
            for j in range(n_f):
                faces[j, k] = a[lo + k, j]
            for j in range(n_c):
                cells[j, k] = b[lo + k, j]
        _graph_block(faces, cells, first[lo : lo + w], last[lo : lo + w], factors, periodic, faces)
        for k in range(w):
            for j in range(n_f):
                out[lo + k, j] = faces[j, k]
    return out


_GRAPH_CHUNK = 512  # columns per parallel task of graph_lines
_GRAPH_WIDTH = 16  # lines per block of graph_lines_last


@lru_cache(maxsize=64)
def thomas_factors(size: int, periodic: bool, dtype: np.dtype) -> np.ndarray:
    """Factors of ``tridiag(1/4, 3/2, 1/4)`` of order ``size`` for :func:`graph_lines` (cached).

    Rows: ``lower_j = q / d_{j-1}``, ``inv_pivot_j = 1 / d_j`` (pivots ``d_0 = D_0``,
    ``d_j = D_j - q^2 / d_{j-1}`` for the diagonal ``D``), the spike ``T^{-1} s`` and the scalars
    ``(v, w, q, 1/2)``. Fixed ends: ``D = 3/2``. Cyclic (Sherman-Morrison, ``A = T + s e^T`` with
    ``g = -3/2``, ``s = (g, 0, .., 0, q)``, ``e = (1, 0, .., 0, q / g)``): ``D_0 = 3/2 - g``,
    ``D_{M-1} = 3/2 - q^2 / g``, ``x = y - (e . y) / (1 + e . T^{-1} s) T^{-1} s`` with
    ``v = q / g``, ``w = 1 / (1 + e . T^{-1} s)``; order 1 (one face, its own two neighbours):
    ``x = r / 2``. Computed in float64, rounded to ``dtype``.
    """
    q, g = 0.25, -1.5
    factors = np.zeros((4, max(size, 4)))
    factors[3, 2:4] = q, 0.5
    if size == 0:
        return _read_only(factors.astype(dtype))
    if periodic and size == 1:
        factors[1, 0] = 0.5
        return _read_only(factors.astype(dtype))
    diagonal = np.full(size, 1.5)
    if periodic:
        diagonal[0] -= g
        diagonal[-1] -= q * q / g
    pivots = np.empty(size)
    pivots[0] = diagonal[0]
    for j in range(1, size):
        factors[0, j] = q / pivots[j - 1]
        pivots[j] = diagonal[j] - q * factors[0, j]
    factors[1, :size] = 1.0 / pivots
    if periodic:
        spike = np.zeros(size)
        spike[0], spike[-1] = g, q
        for j in range(1, size):
            spike[j] -= factors[0, j] * spike[j - 1]
        spike[-1] /= pivots[-1]
        for j in range(size - 2, -1, -1):
            spike[j] = (spike[j] - q * spike[j + 1]) / pivots[j]
        factors[2, :size] = spike
        factors[3, 0] = q / g
        factors[3, 1] = 1.0 / (1.0 + spike[0] + q / g * spike[-1])
    return _read_only(factors.astype(dtype))


def _read_only(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x


def graph_solve(a_s, b_c, rho0, rho1, periodic, out) -> None:
    """Write ``out = argmin |U - a|^2 + |I U - b|^2`` with the boundary data (``out`` may be
    ``a_s``): the tridiagonal system ``(Id + I^T I) U = a + I^T b`` of every line of every block
    (time for ``rho_s``, axis ``a`` for ``m_s[a]``) by :func:`graph_lines` (:func:`graph_lines_last`
    along the last, contiguous axis)."""
    dtype = float_dtype(rho0.dtype)
    rho_a, m_a = a_s
    rho_b, m_b = b_c
    rho_out, m_out = out
    cells = rho_b[0].size
    if cells == 0:
        return
    blocks = [(rho_a, rho_b, rho_out, 0, False)]
    blocks += [(m_a[a], m_b[a], m_out[a], a + 1, bool(periodic[a])) for a in range(len(m_a))]
    for face, cell, dst, axis, per in blocks:
        before, after = _split(cell.shape, axis)
        if axis == 0:
            first = np.ascontiguousarray(rho0, dtype=dtype).reshape(1, cells)
            last = np.ascontiguousarray(rho1, dtype=dtype).reshape(1, cells)
        else:
            first = last = np.zeros((before, after), dtype=dtype)
        _graph_axis(face, cell, first, last, per, (before, cell.shape[axis], after), dst)


def _graph_axis(face, cell, first, last, periodic, view, out) -> None:
    """One block of :func:`graph_solve` on its ``(A, n_c, B)`` view (``B = 1``: the last axis)."""
    before, n_c, after = view
    factors = thomas_factors(n_c if periodic else n_c - 1, periodic, np.dtype(out.dtype))
    face = np.ascontiguousarray(face)
    cell = np.ascontiguousarray(cell)
    if after == 1:
        graph_lines_last(
            face.reshape(before, n_c + 1),
            cell.reshape(before, n_c),
            first.reshape(before),
            last.reshape(before),
            factors,
            periodic,
            _GRAPH_WIDTH,
            out.reshape(before, n_c + 1),
        )
        return
    graph_lines(
        face.reshape(before, n_c + 1, after),
        cell.reshape(before, n_c, after),
        first,
        last,
        factors,
        periodic,
        _GRAPH_CHUNK,
        out.reshape(before, n_c + 1, after),
    )


# -- pointwise updates of the splitting methods (flat buffers) ----------------------------------
@njit(parallel=True, **JIT)
def reflect_flat(x, z, out):  # pragma: no cover - compiled
    """``out = 2 x - z`` (``x + x`` is exact: the result rounds once, as in the reference)."""
    for i in prange(out.size):
        out[i] = x[i] + x[i] - z[i]


@njit(parallel=True, **JIT)
def relax_flat(z, x, y, alpha):  # pragma: no cover - compiled
    """``z <- z + alpha (y - x)``; returns ``(sum z_old^2, sum (y - x)^2)`` accumulated in
    float64 (``alpha`` in the dtype of the data; ``alpha * d`` and the sum round separately)."""
    z_sq = 0.0
    d_sq = 0.0
    for i in prange(z.size):
        zi = z[i]
        d = y[i] - x[i]
        z_sq += np.float64(zi) * np.float64(zi)
        d_sq += np.float64(d) * np.float64(d)
        z[i] = zi + alpha * d
    return z_sq, d_sq


def reflect(x, z, out) -> None:
    """``_bb_reflect`` of :class:`.NumbaBackend`."""
    reflect_flat(x, z, out)


def relax(z, x, y, alpha) -> tuple[float, float]:
    """``_bb_relax`` of :class:`.NumbaBackend`."""
    z_sq, d_sq = relax_flat(z, x, y, float_dtype(z.dtype).type(alpha))
    return float(z_sq), float(d_sq)


@njit(parallel=True, **JIT)
def sum_squares_flat(x):  # pragma: no cover - compiled
    """``sum x^2`` with every square formed and summed in float64."""
    total = 0.0
    for i in prange(x.size):
        xi = np.float64(x[i])
        total += xi * xi
    return total


def sum_squares(x) -> float:
    """``_bb_sum_squares`` of :class:`.NumbaBackend`."""
    return float(sum_squares_flat(x))


@njit(parallel=True, **JIT)
def kinetic_flat(rho, m0, m1, m2, ndim, tiny):  # pragma: no cover - compiled
    """``sum |m|^2 / max(rho, tiny) / 2``: each term in the dtype of the data, summed in
    float64, in one pass without temporaries."""
    total = 0.0
    for i in prange(rho.shape[0]):
        q = m0[i] * m0[i]
        if ndim > 1:
            q += m1[i] * m1[i]
        if ndim > 2:
            q += m2[i] * m2[i]
        r = rho[i]
        total += np.float64(q / (r if r > tiny else tiny))
    return 0.5 * total


def kinetic(rho_c, m_c) -> float:
    """``_bb_kinetic`` of :class:`.NumbaBackend`."""
    dtype = float_dtype(rho_c.dtype)
    rho = np.ascontiguousarray(rho_c).reshape(-1)
    if rho.size == 0:
        return 0.0
    m = [np.ascontiguousarray(x).reshape(-1) for x in m_c]
    pad = m + [m[0]] * (3 - len(m))
    return float(kinetic_flat(rho, *pad, len(m_c), dtype.type(np.finfo(dtype).tiny)))
