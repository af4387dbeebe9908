"""Staggered space-time grid of Benamou-Brenier problems: reference kernels (backend-neutral).

Layout (Papadakis, Peyre and Oudet, SIAM J. Imaging Sci. 7, 2014). A spatial grid of shape
``(n_1, .., n_d)`` with spacings ``h_a`` and ``N`` time cells of width ``dt = 1 / N`` on ``[0, 1]``:

- ``rho_s``, shape ``(N + 1, *shape)``: densities on the time faces ``t_k = k / N``;
  ``rho_s[0]`` and ``rho_s[N]`` are the boundary data ``rho0`` and ``rho1``.
- ``m_s``, a tuple of ``d`` arrays: ``m_s[a]`` has shape ``(N, *shape)`` except ``n_a + 1`` along
  spatial axis ``a`` (array axis ``a + 1``); face ``j`` lies between cells ``j - 1`` and ``j``.
  On a walled axis faces ``0`` and ``n_a`` are walls (value 0); on a periodic axis they are one
  face and carry the same value.
- centred variables ``rho_c`` and ``m_c[a]``, shape ``(N, *shape)``, at the centres of the
  space-time cells.

Every function takes the array module ``xp`` (NumPy or CuPy) and writes into preallocated ``out``
arrays; :class:`eulerflow.backends.numpy_backend.NumpyBackend` calls them with ``xp = numpy``.
They are the oracle of the backend contract tests (``tests/backends/test_contract_bb.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from types import ModuleType

import numpy as np


def _faces(a: int, lo: int | None, hi: int | None, ndim: int) -> tuple:
    """Index selecting ``lo:hi`` along array axis ``a`` (all of the other axes)."""
    index = [slice(None)] * ndim
    index[a] = slice(lo, hi)
    return tuple(index)


def interpolate(rho_s, m_s: Sequence, out: tuple) -> None:
    """Centred variables ``I(rho_s, m_s)``: averages of the two faces of each space-time cell.

    ``rho_c[k] = (rho_s[k] + rho_s[k + 1]) / 2`` and
    ``m_c[a][.., i, ..] = (m_s[a][.., i, ..] + m_s[a][.., i + 1, ..]) / 2`` along spatial axis
    ``a``. Writes ``out = (rho_c, m_c)``.
    """
    rho_c, m_c = out
    ndim = rho_s.ndim
    half = rho_s.dtype.type(0.5)
    rho_c[...] = rho_s[:-1]
    rho_c += rho_s[1:]
    rho_c *= half
    for a, (m, mc) in enumerate(zip(m_s, m_c, strict=True)):
        mc[...] = m[_faces(a + 1, None, -1, ndim)]
        mc += m[_faces(a + 1, 1, None, ndim)]
        mc *= half


def interpolate_adjoint(rho_c, m_c: Sequence, periodic: Sequence[bool], out: tuple) -> None:
    """Transpose of :func:`interpolate`: ``(rho_s, m_s) = I^T (rho_c, m_c)``.

    Time faces: ``rho_s[k] = (rho_c[k - 1] + rho_c[k]) / 2`` with the missing neighbour read as 0
    at ``k = 0`` and ``k = N``. Walled axis: ``m_s[a][j] = (m_c[a][j - 1] + m_c[a][j]) / 2`` with
    the missing neighbour read as 0 at the wall faces ``j = 0, n_a``. Periodic axis: the
    neighbours wrap, so both copies of the shared face carry ``(m_c[a][n_a - 1] + m_c[a][0]) / 2``.
    This is the exact adjoint for the plain sum over cells and over the distinct faces (faces
    ``0 .. n_a - 1`` on a periodic axis, all faces on a walled one). Writes ``out``.
    """
    rho_s, m_s = out
    ndim = rho_c.ndim
    half = rho_c.dtype.type(0.5)
    rho_s[:-1] = rho_c
    rho_s[-1] = 0
    rho_s[1:] += rho_c
    rho_s *= half
    for a, (mc, m, per) in enumerate(zip(m_c, m_s, periodic, strict=True)):
        axis = a + 1
        inner = _faces(axis, 1, -1, ndim)
        m[inner] = mc[_faces(axis, None, -1, ndim)]
        m[inner] += mc[_faces(axis, 1, None, ndim)]
        first, last = _faces(axis, 0, 1, ndim), _faces(axis, -1, None, ndim)
        if per:
            m[first] = mc[first]
            m[first] += mc[last]
            m[last] = m[first]
        else:
            m[first] = mc[first]
            m[last] = mc[last]
        m *= half


def divergence(rho_s, m_s: Sequence, spacing: Sequence[float], out) -> None:
    """Space-time divergence of staggered fields, ``out`` of shape ``(N, *shape)``.

    ``out[k] = (rho_s[k + 1] - rho_s[k]) N + sum_a (m_s[a][.., i + 1, ..] - m_s[a][.., i, ..]) /
    h_a``, the discrete ``d_t rho + div m`` on each space-time cell.
    """
    ndim = rho_s.ndim
    n_time = rho_s.shape[0] - 1
    dtype = rho_s.dtype.type
    _subtract(rho_s[1:], rho_s[:-1], out)
    out *= dtype(n_time)
    for a, (m, h) in enumerate(zip(m_s, spacing, strict=True)):
        diff = m[_faces(a + 1, 1, None, ndim)] - m[_faces(a + 1, None, -1, ndim)]
        diff *= dtype(1.0 / h)
        out += diff


def _subtract(x, y, out) -> None:
    out[...] = x
    out -= y


def gradient(p, spacing: Sequence[float], periodic: Sequence[bool], out: tuple) -> None:
    """Space-time gradient of a cell-centred ``p`` onto the staggered faces (``-div^T``).

    ``g_rho[k] = (p[k] - p[k - 1]) N`` for ``k = 1 .. N - 1`` and 0 on the boundary time faces;
    ``g_m[a][j] = (p[j] - p[j - 1]) / h_a`` on interior faces, 0 on wall faces, and the wrapped
    difference ``(p[0] - p[n_a - 1]) / h_a`` on both copies of a periodic face. Writes
    ``out = (g_rho, g_m)``.
    """
    g_rho, g_m = out
    ndim = p.ndim
    n_time = p.shape[0]
    dtype = p.dtype.type
    g_rho[0] = 0
    g_rho[-1] = 0
    _subtract(p[1:], p[:-1], g_rho[1:-1])
    g_rho[1:-1] *= dtype(n_time)
    for a, (g, h, per) in enumerate(zip(g_m, spacing, periodic, strict=True)):
        axis = a + 1
        inner = g[_faces(axis, 1, -1, ndim)]
        _subtract(p[_faces(axis, 1, None, ndim)], p[_faces(axis, None, -1, ndim)], inner)
        first, last = _faces(axis, 0, 1, ndim), _faces(axis, -1, None, ndim)
        if per:
            _subtract(p[first], p[last], g[first])
            g[last] = g[first]
        else:
            g[first] = 0
            g[last] = 0
        g *= dtype(1.0 / h)


def axis_eigenvalues(n: int, h: float, periodic: bool, length: int) -> np.ndarray:
    """First ``length`` eigenvalues (float64) of the 1D ``-D G`` on ``n`` cells of width ``h``:
    ``(2 - 2 cos(pi k / n)) / h^2`` (Neumann, DCT-II) or ``(2 - 2 cos(2 pi k / n)) / h^2``
    (periodic, FFT)."""
    k = np.arange(length)
    return (2 - 2 * np.cos((2 * np.pi if periodic else np.pi) * k / n)) / h**2


@lru_cache(maxsize=16)
def _inverse_eigenvalues(shape, spacing, periodic, dtype, xp: ModuleType):
    """``1 / lambda`` of ``-div grad`` in the DCT/FFT basis, 0 for the zero mode (cached).

    ``shape`` is ``(N, *space)``; the time axis is Neumann. A periodic axis listed last among the
    periodic ones is halved (``rfftn``).
    """
    n_axes = len(shape)
    periodic_axes = [a for a in range(1, n_axes) if periodic[a - 1]]
    total = 0
    for axis, n in enumerate(shape):
        h = 1.0 / shape[0] if axis == 0 else spacing[axis - 1]
        per = axis > 0 and periodic[axis - 1]
        length = n // 2 + 1 if per and axis == periodic_axes[-1] else n
        lam = axis_eigenvalues(n, h, per, length)
        view = [1] * n_axes
        view[axis] = lam.size
        total = total + lam.reshape(view)
    total = np.asarray(total, dtype=np.float64)
    inverse = np.zeros_like(total)
    nonzero = total > 0
    inverse[nonzero] = 1.0 / total[nonzero]
    inverse.flat[0] = 0.0
    return xp.asarray(inverse, dtype=dtype)


def poisson(f, spacing: Sequence[float], periodic: Sequence[bool], fft: ModuleType, xp, out):
    """Solve ``-div(grad p) = f`` on the space-time cells (the operators above), write ``p``.

    Neumann in time and on walled axes (orthonormal DCT-II), periodic on periodic axes (real FFT);
    the eigenvalues are ``(2 - 2 cos(pi k / n)) / h^2`` and ``(2 - 2 cos(2 pi k / n)) / h^2`` with
    ``h = 1 / N`` in time. The zero mode of ``p`` is set to 0 (``f`` must sum to 0 for an exact
    solve; otherwise its mean is ignored).
    """
    shape = tuple(f.shape)
    spacing = tuple(float(h) for h in spacing)
    periodic = tuple(bool(p) for p in periodic)
    inverse = _inverse_eigenvalues(shape, spacing, periodic, np.dtype(f.dtype), xp)
    neumann_axes = [0] + [a + 1 for a, per in enumerate(periodic) if not per]
    periodic_axes = [a + 1 for a, per in enumerate(periodic) if per]
    g = fft.dctn(f, type=2, axes=neumann_axes, norm="ortho")
    if periodic_axes:
        g = fft.rfftn(g, axes=periodic_axes)
        g *= inverse
        g = fft.irfftn(g, s=[shape[a] for a in periodic_axes], axes=periodic_axes)
    else:
        g *= inverse
    out[...] = fft.idctn(g, type=2, axes=neumann_axes, norm="ortho")


def prox_kinetic(rho_c, m_c: Sequence, gamma: float, xp, out: tuple) -> None:
    """Pointwise proximal map of ``gamma * |m|^2 / (2 rho)``, written to ``out = (rho, m)``.

    The function is ``+inf`` for ``rho < 0`` and for ``rho = 0, m != 0``, and 0 at ``(0, 0)``.
    With ``a = gamma + rho_c`` and ``c = gamma |m_c|^2 / 2``, the largest root ``s*`` of
    ``f(s) = s^2 (s - a) - c`` (``s = rho + gamma``) gives ``rho*``, computed as
    ``rho_c + c / s*^2`` where ``rho_c >= -gamma`` and as ``s* - gamma`` elsewhere (the two are
    equal; the rounding error is about ``eps min(|rho_c|, rho* + gamma)``), followed where
    ``rho_c < 0`` and ``rho* > 0`` by one Newton step on ``g(r) = (r - rho_c)(r + gamma)^2 - c``,
    ``r -= g(r) / ((r + gamma)(3 r + gamma - 2 rho_c))``. If ``rho* > 0`` the map is
    ``(rho*, rho* m_c / s*)``, else ``(0, 0)``.

    The root (see :func:`largest_cubic_root`): closed form (Cardano's formula in a form without
    cancellation when there is one real root, the trigonometric form when there are three), clipped
    into a bracket that always holds the root, then two Newton steps. ``out`` may be the input
    arrays (in place).
    """
    rho_out, m_out = out
    dtype = rho_c.dtype.type
    g = dtype(gamma)
    msq = m_c[0] * m_c[0]
    for m in m_c[1:]:
        msq += m * m
    a = rho_c + g
    c = msq
    c *= dtype(0.5) * g
    s = largest_cubic_root(a, c, xp)
    positive_s = s > 0
    s_safe = xp.where(positive_s, s, dtype(1))
    # rho* = s* - gamma = rho_c + c / s*^2: the absolute rounding error of the second form is
    # about eps |rho_c|, that of the first eps (rho* + gamma); take the smaller
    rho = xp.where(rho_c >= -g, rho_c + c / (s_safe * s_safe), s - g)
    # rho_c < 0: one Newton step on (r - rho_c)(r + gamma)^2 - c in r itself, which removes the
    # cancellation of s* - gamma when rho* << gamma
    below = rho_c - rho
    shifted = rho + g
    derivative = shifted * (shifted - dtype(2) * below)
    derivative = xp.where(derivative > 0, derivative, dtype(1))
    polish = (rho_c < 0) & (rho > 0)
    rho = xp.where(polish, rho - (-below * shifted * shifted - c) / derivative, rho)
    positive = rho > 0
    rho = xp.where(positive, rho, dtype(0))
    scale = rho / s_safe
    for m, mo in zip(m_c, m_out, strict=True):
        mo[...] = scale * m
    rho_out[...] = rho


def largest_cubic_root(a, c, xp):
    """Largest real root ``s`` of ``s^2 (s - a) - c = 0`` for ``c >= 0`` (elementwise).

    ``c == 0``: ``max(a, 0)``. ``c > 0`` (exactly one positive root): with ``A = a^3 / 27``,
    if ``A + c / 4 > 0`` (one real root) ``u = cbrt(A + c / 2 + sqrt(c (A + c / 4)))`` and
    ``s = a / 3 + u + a^2 / (9 u)``; else (``a < 0``, three real roots)
    ``cos(theta) = -1 + 27 c / (2 |a|^3)`` and ``s = (|a| / 3) (2 cos(theta / 3) - 1)``, replaced by
    ``sqrt(c / (|a| + sqrt(c / |a|)))`` where it is below ``|a| / 100`` (cancellation). The value is
    clipped into ``[lo, hi]``: for ``a > 0`` ``lo = max(a, cbrt(c))``,
    ``hi = a + min(cbrt(c), c / a^2)``; for ``a <= 0`` ``lo = min(cbrt(c / 2), sqrt(c / (2|a|)))``,
    ``hi = min(cbrt(c), sqrt(c / |a|))`` (square roots read as ``inf`` when ``a = 0``). Two Newton
    steps ``s -= (s^2 (s - a) - c) / (s (3 s - 2 a))`` follow; ``f`` is convex and increasing on the
    bracket, so Newton never leaves ``[s*, hi]`` after the first step.
    """
    dtype = a.dtype.type
    one, zero = dtype(1), dtype(0)
    has_c = c > 0
    big_a = a * a * a / dtype(27)
    one_root = big_a + c / dtype(4) > 0
    # one real root (Cardano without cancellation: u v = a^2 / 9 replaces the second cube root)
    disc = xp.where(one_root, c * (big_a + c / dtype(4)), zero)
    u = xp.cbrt(big_a + c / dtype(2) + xp.sqrt(disc))
    u_safe = xp.where(u > 0, u, one)
    s_one = a / dtype(3) + u + a * a / (dtype(9) * u_safe)
    # three real roots (a < 0): trigonometric form
    abs_a = xp.abs(a)
    abs_a_safe = xp.where(abs_a > 0, abs_a, one)
    cos_theta = xp.clip(dtype(-1) + dtype(13.5) * c / (abs_a_safe**3), dtype(-1), dtype(1))
    s_three = abs_a / dtype(3) * (dtype(2) * xp.cos(xp.arccos(cos_theta) / dtype(3)) - one)
    # ... which cancels when s << |a|; there s^2 (s + |a|) = c is solved to O((s / 2|a|)^2) by one
    # fixed-point step from sqrt(c / |a|)
    small = xp.sqrt(c / (abs_a_safe + xp.sqrt(c / abs_a_safe)))
    s_three = xp.where(s_three >= dtype(0.01) * abs_a, s_three, small)
    s = xp.where(one_root, s_one, s_three)
    # bracket
    cbrt_c = xp.cbrt(c)
    a_pos = a > 0
    a_safe = xp.where(a_pos, a, one)
    lo_pos = xp.maximum(a, cbrt_c)
    hi_pos = a + xp.minimum(cbrt_c, c / (a_safe * a_safe))
    inf = dtype(math.inf)
    root_neg = xp.where(abs_a > 0, xp.sqrt(c / abs_a_safe), inf)
    lo_neg = xp.minimum(xp.cbrt(c / dtype(2)), root_neg / dtype(math.sqrt(2.0)))
    hi_neg = xp.minimum(cbrt_c, root_neg)
    lo = xp.where(a_pos, lo_pos, lo_neg)
    hi = xp.where(a_pos, hi_pos, hi_neg)
    s = xp.minimum(xp.maximum(s, lo), hi)
    s = xp.where(has_c, s, xp.maximum(a, zero) + one)  # any point where f' > 0 (masked below)
    for _ in range(2):
        s = s - (s * s * (s - a) - c) / (s * (dtype(3) * s - dtype(2) * a))
    return xp.where(has_c, s, xp.maximum(a, zero))


def graph_solve(a_s, b_c, rho0, rho1, periodic: Sequence[bool], fft: ModuleType, xp, out) -> None:
    """Projection onto the graph of ``I``: ``out = argmin_U |U - a|^2 + |I U - b|^2``.

    ``U`` ranges over the staggered fields with ``rho_s[0] = rho0``, ``rho_s[N] = rho1``, zero wall
    faces and equal periodic copies; the minimiser solves ``(Id + I^T I) U = a + I^T b`` on the
    unknowns (interior time faces, interior faces of walled axes, faces ``0 .. n_a - 1`` of
    periodic axes; the inner product counts each distinct face once). ``I^T I`` acts along one axis
    per block (time for ``rho_s``, axis ``a`` for ``m_s[a]``) as the stencil ``(1, 2, 1) / 4``, so
    every line solves the constant tridiagonal system ``(1/4, 3/2, 1/4)``: with fixed ends (the
    boundary values moved to the right-hand side) by the orthonormal DST-I, eigenvalues
    ``3/2 + cos(pi j / (M + 1)) / 2``, ``j = 1..M``; on a periodic axis by the real FFT,
    eigenvalues ``3/2 + cos(2 pi j / n) / 2``. ``out`` may be ``a_s`` (pairs ``(rho, m)``).
    """
    rhs_rho, rhs_m = _graph_rhs(a_s, b_c, periodic)
    out_rho, out_m = out
    n_time = rhs_rho.shape[0] - 1
    ndim = rhs_rho.ndim
    quarter = rhs_rho.dtype.type(0.25)
    if n_time >= 2:
        rhs_rho[1] -= quarter * rho0
        rhs_rho[-2] -= quarter * rho1
        out_rho[1:-1] = _tridiagonal_solve(rhs_rho[1:-1], 0, False, fft, xp)
    out_rho[0] = rho0
    out_rho[-1] = rho1
    for a, (rhs, m, per) in enumerate(zip(rhs_m, out_m, periodic, strict=True)):
        axis = a + 1
        first, last = _faces(axis, 0, 1, ndim), _faces(axis, -1, None, ndim)
        if per:
            inner = _faces(axis, None, -1, ndim)
            m[inner] = _tridiagonal_solve(rhs[inner], axis, True, fft, xp)
            m[last] = m[first]
            continue
        if m.shape[axis] > 2:
            inner = _faces(axis, 1, -1, ndim)
            m[inner] = _tridiagonal_solve(rhs[inner], axis, False, fft, xp)
        m[first] = 0
        m[last] = 0


def _graph_rhs(a_s, b_c, periodic):
    """``I^T b + a`` as new arrays ``(rho, m)``."""
    rho_a, m_a = a_s
    rho_b, m_b = b_c
    rhs = (rho_a.copy(), tuple(m.copy() for m in m_a))
    interpolate_adjoint(rho_b, m_b, periodic, rhs)
    rhs[0][...] += rho_a
    for r, m in zip(rhs[1], m_a, strict=True):
        r += m
    return rhs


@lru_cache(maxsize=32)
def _graph_inverse_eigenvalues(size: int, periodic: bool, dtype, ndim: int, axis: int, xp):
    """``1 / lambda`` of ``tridiag(1/4, 3/2, 1/4)`` along ``axis`` (DST-I or rfft order)."""
    if periodic:
        lam = 1.5 + 0.5 * np.cos(2 * np.pi * np.arange(size // 2 + 1) / size)
    else:
        lam = 1.5 + 0.5 * np.cos(np.pi * np.arange(1, size + 1) / (size + 1))
    view = [1] * ndim
    view[axis] = lam.size
    return xp.asarray((1.0 / lam).reshape(view), dtype=dtype)


def _tridiagonal_solve(rhs, axis: int, periodic: bool, fft: ModuleType, xp):
    """Solve ``tridiag(1/4, 3/2, 1/4) x = rhs`` along ``axis`` (cyclic when ``periodic``)."""
    size = rhs.shape[axis]
    inverse = _graph_inverse_eigenvalues(size, periodic, np.dtype(rhs.dtype), rhs.ndim, axis, xp)
    if periodic:
        spectrum = fft.rfft(rhs, axis=axis)
        spectrum *= inverse
        return fft.irfft(spectrum, n=size, axis=axis)
    coefficients = _dst1(rhs, axis, fft, xp)
    coefficients *= inverse
    return _dst1(coefficients, axis, fft, xp)


def _dst1(x, axis: int, fft: ModuleType, xp):
    """Orthonormal DST-I along ``axis`` (its own inverse); through an odd extension and a real
    FFT where the FFT module has no DST-I (CuPy)."""
    try:
        return fft.dst(x, type=1, axis=axis, norm="ortho")
    except NotImplementedError:
        pass
    n = x.shape[axis]
    zero_shape = list(x.shape)
    zero_shape[axis] = 1
    zero = xp.zeros(zero_shape, dtype=x.dtype)
    extended = xp.concatenate([zero, x, zero, -xp.flip(x, axis=axis)], axis=axis)
    spectrum = fft.rfft(extended, axis=axis)
    index = [slice(None)] * x.ndim
    index[axis] = slice(1, n + 1)
    scale = x.dtype.type(-math.sqrt(2.0 / (n + 1)) / 2)
    return xp.ascontiguousarray(spectrum[tuple(index)].imag * scale)


# -- pointwise updates of the splitting methods (on the flat buffers of the fields) -------------
def reflect(x, z, xp, out) -> None:
    """``out = 2 x - z`` (the reflection of Douglas-Rachford), elementwise; ``out`` may be ``x``,
    not ``z``."""
    xp.multiply(x, 2, out=out)
    out -= z


def sum_squares(x, xp) -> float:
    """``sum x^2`` of a flat array, accumulated in float64 whatever the dtype of ``x``
    (``einsum``: no BLAS call, whose threads can stall on a busy machine)."""
    return float(xp.einsum("i,i->", x, x, dtype=xp.float64))


def relax(z, x, y, alpha: float, xp) -> tuple[float, float]:
    """``z <- z + alpha (y - x)`` in place; returns ``(sum z^2, sum (y - x)^2)`` with ``z`` taken
    before the update (the squared norms of the relative change of Douglas-Rachford), both
    accumulated in float64 (:func:`sum_squares`)."""
    z_sq = sum_squares(z, xp)
    d = xp.subtract(y, x)
    d_sq = sum_squares(d, xp)
    d *= alpha
    z += d
    return z_sq, d_sq


def gradient_add(p, spacing: Sequence[float], periodic: Sequence[bool], out: tuple) -> None:
    """``out += G p`` with :func:`gradient`'s ``G`` (``out = (rho, m)`` staggered), rounding as
    ``gradient`` followed by an addition; entries where ``G p`` is 0 (boundary time faces, wall
    faces) are left as they are."""
    g_rho, g_m = out
    ndim = p.ndim
    dtype = p.dtype.type
    step = p[1:] - p[:-1]
    step *= dtype(p.shape[0])
    g_rho[1:-1] += step
    for a, (g, h, per) in enumerate(zip(g_m, spacing, periodic, strict=True)):
        axis = a + 1
        inv_h = dtype(1.0 / h)
        step = p[_faces(axis, 1, None, ndim)] - p[_faces(axis, None, -1, ndim)]
        step *= inv_h
        g[_faces(axis, 1, -1, ndim)] += step
        if per:
            first, last = _faces(axis, 0, 1, ndim), _faces(axis, -1, None, ndim)
            edge = p[first] - p[last]
            edge *= inv_h
            g[first] += edge
            g[last] += edge


def gradient_reflect(
    p,
    spacing: Sequence[float],
    periodic: Sequence[bool],
    base: tuple,
    out: tuple,
    mirror: tuple,
    xp,
) -> None:
    """``out = base + G p`` and ``mirror = 2 out - base`` (staggered pairs): a copy of ``base``,
    :func:`gradient_add` and :func:`reflect`, the projection onto the continuity constraint and
    its Douglas-Rachford reflection."""
    for dst, src in zip((out[0], *out[1]), (base[0], *base[1]), strict=True):
        dst[...] = src
    gradient_add(p, spacing, periodic, out)
    reflect_pairs(out, base, xp, mirror)


def reflect_pairs(x: tuple, z: tuple, xp, out: tuple) -> None:
    """:func:`reflect` of every array of the ``(rho, m)`` pairs: ``out = 2 x - z``."""
    for xa, za, oa in zip((x[0], *x[1]), (z[0], *z[1]), (out[0], *out[1]), strict=True):
        reflect(xa, za, xp, oa)


def kinetic(rho_c, m_c: Sequence, xp) -> float:
    """Kinetic action ``sum |m_c|^2 / (2 max(rho_c, tiny))`` over the centred cells (plain sum
    accumulated in float64, each term rounded in the dtype of the data; ``tiny`` the smallest
    normal number of the dtype, so cells with ``rho_c = 0 = m_c`` add 0)."""
    msq = m_c[0] * m_c[0]
    for m in m_c[1:]:
        msq += m * m
    msq /= xp.maximum(rho_c, np.finfo(rho_c.dtype).tiny)
    return 0.5 * float(msq.sum(dtype=xp.float64))
