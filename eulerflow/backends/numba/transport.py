"""Numba kernels of the MUSCL-upwind transport update (compiled on first use, cached on disk).

3D arrays are handled as ``(n0, n1, n2)`` by :func:`transport_update_3d`; 1D and 2D arrays as
``(n0, n1)`` by :func:`transport_update_2d` (1D data as one row ``(1, n)``). An axis of length
one carries no net flux, so it is skipped.

The transport kernel sweeps the outermost axis in contiguous chunks of planes, one chunk per
parallel task, carrying the limited slopes and the fluxes of the last plane from one plane to the
next, so that every slope and every face flux is computed once (plus two planes per chunk).
Inside a plane the axis-1 and axis-2 contributions are computed with contiguous inner loops that
LLVM vectorises. The arithmetic is that of :mod:`eulerflow.schemes.muscl`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..view3d import AXES_IN_3D
from .jit import JIT, default_chunks, wrap


@njit(inline="always", **JIT)
def _slope(dl, dr, code):
    """Limited slope of :mod:`eulerflow.schemes.limiters` (code 0..4)."""
    if code == 0 or not dl * dr > 0:
        return 0.0 * dl
    adl = abs(dl)
    adr = abs(dr)
    if code == 1:
        mag = min(adl, adr)
    elif code == 2:
        return 2 * dl * dr / (dl + dr)
    elif code == 3:
        mag = max(min(2 * adl, adr), min(adl, 2 * adr))
    else:
        mag = min(min(2 * adl, 2 * adr), 0.5 * abs(dl + dr))
    return mag if dl > 0 else -mag


@njit(inline="always", **JIT)
def _flux(u, q_left, s_left, q_right, s_right):
    """Upwind flux ``max(u,0) (q_l + s_l/2) + min(u,0) (q_r - s_r/2)``."""
    return max(u, 0.0) * (q_left + 0.5 * s_left) + min(u, 0.0) * (q_right - 0.5 * s_right)


@njit(**JIT)
def _slope_plane(q, r, periodic, code, out):
    """Slopes along axis 0 of plane ``r``: ``out = lim(q_r - q_{r-1}, q_{r+1} - q_r)``."""
    n0, n1, n2 = q.shape
    rm = wrap(r - 1, n0, periodic)
    rp = wrap(r + 1, n0, periodic)
    for j in range(n1):
        for k in range(n2):
            c = q[r, j, k]
            out[j, k] = _slope(c - q[rm, j, k], q[rp, j, k] - c, code)


@njit(**JIT)
def _flux_plane(q, u, f, periodic, s_left, s_right, out):
    """Fluxes through the axis-0 faces ``f`` (between planes ``f-1`` and ``f``)."""
    n0, n1, n2 = q.shape
    if not periodic and (f == 0 or f == n0):
        out[:, :] = 0.0
        return
    left = wrap(f - 1, n0, periodic)
    right = wrap(f, n0, periodic)
    for j in range(n1):
        for k in range(n2):
            out[j, k] = _flux(
                u[f, j, k], q[left, j, k], s_left[j, k], q[right, j, k], s_right[j, k]
            )


@njit(**JIT)
def _inplane_rate(p, u1, u2, periodic1, periodic2, ih1, ih2, code, acc, s1, f1, s2, f2):
    """``acc = -(F1_{j+1} - F1_j)/h1 - (F2_{k+1} - F2_k)/h2`` for one plane ``p`` (n1, n2)."""
    n1, n2 = p.shape
    acc[:, :] = 0.0
    if n1 > 1:
        for j in range(n1):
            jm = wrap(j - 1, n1, periodic1)
            jp = wrap(j + 1, n1, periodic1)
            for k in range(n2):
                c = p[j, k]
                s1[j, k] = _slope(c - p[jm, k], p[jp, k] - c, code)
        for j in range(n1 + 1):
            if not periodic1 and (j == 0 or j == n1):
                f1[j, :] = 0.0
                continue
            jl = wrap(j - 1, n1, periodic1)
            jr = wrap(j, n1, periodic1)
            for k in range(n2):
                f1[j, k] = _flux(u1[j, k], p[jl, k], s1[jl, k], p[jr, k], s1[jr, k])
        for j in range(n1):
            for k in range(n2):
                acc[j, k] -= (f1[j + 1, k] - f1[j, k]) * ih1
    if n2 > 1:
        for j in range(n1):
            row = p[j]
            ur = u2[j]
            s2[0] = _slope(row[0] - row[wrap(-1, n2, periodic2)], row[1] - row[0], code)
            for k in range(1, n2 - 1):
                c = row[k]
                s2[k] = _slope(c - row[k - 1], row[k + 1] - c, code)
            c = row[n2 - 1]
            s2[n2 - 1] = _slope(c - row[n2 - 2], row[wrap(n2, n2, periodic2)] - c, code)
            for k in range(1, n2):
                f2[k] = _flux(ur[k], row[k - 1], s2[k - 1], row[k], s2[k])
            if periodic2:
                f2[0] = _flux(ur[0], row[n2 - 1], s2[n2 - 1], row[0], s2[0])
                f2[n2] = _flux(ur[n2], row[n2 - 1], s2[n2 - 1], row[0], s2[0])
            else:
                f2[0] = 0.0
                f2[n2] = 0.0
            for k in range(n2):
                acc[j, k] -= (f2[k + 1] - f2[k]) * ih2


@njit(parallel=True, **JIT)
def transport_update_3d(
    rho_n, rho_k, u0, u1, u2, periodic, inv_h, code, a, b, c, out, n_chunks
):  # pragma: no cover - compiled
    """``out = a rho_n + b rho_k + c L(rho_k)`` on ``(n0, n1, n2)`` arrays (see
    :mod:`eulerflow.backends.contract.transport`)."""
    n0, n1, n2 = rho_k.shape
    dtype = rho_k.dtype
    n_chunks = min(n_chunks, n0)
    for chunk in prange(n_chunks):
        r0 = chunk * n0 // n_chunks
        r1 = (chunk + 1) * n0 // n_chunks
        acc = np.empty((n1, n2), dtype)
        s1 = np.empty((n1, n2), dtype)
        f1 = np.empty((n1 + 1, n2), dtype)
        s2 = np.empty(n2, dtype)
        f2 = np.empty(n2 + 1, dtype)
        s_prev = np.empty((n1, n2), dtype)
        s_cur = np.empty((n1, n2), dtype)
        s_next = np.empty((n1, n2), dtype)
        f_lo = np.empty((n1, n2), dtype)
        f_hi = np.empty((n1, n2), dtype)
        if n0 > 1:
            _slope_plane(rho_k, wrap(r0 - 1, n0, periodic[0]), periodic[0], code, s_prev)
            _slope_plane(rho_k, r0, periodic[0], code, s_cur)
            _flux_plane(rho_k, u0, r0, periodic[0], s_prev, s_cur, f_lo)
        for r in range(r0, r1):
            _inplane_rate(
                rho_k[r],
                u1[r],
                u2[r],
                periodic[1],
                periodic[2],
                inv_h[1],
                inv_h[2],
                code,
                acc,
                s1,
                f1,
                s2,
                f2,
            )
            if n0 > 1:
                _slope_plane(rho_k, wrap(r + 1, n0, periodic[0]), periodic[0], code, s_next)
                _flux_plane(rho_k, u0, r + 1, periodic[0], s_cur, s_next, f_hi)
                for j in range(n1):
                    for k in range(n2):
                        acc[j, k] -= (f_hi[j, k] - f_lo[j, k]) * inv_h[0]
                s_cur, s_next = s_next, s_cur
                f_lo, f_hi = f_hi, f_lo
            for j in range(n1):
                for k in range(n2):
                    out[r, j, k] = a * rho_n[r, j, k] + b * rho_k[r, j, k] + c * acc[j, k]
    return out


@njit(parallel=True, **JIT)
def transport_update_2d(
    rho_n, rho_k, u0, u1, periodic, inv_h, code, a, b, c, out, n_chunks
):  # pragma: no cover - compiled
    """The same update for ``(n0, n1)`` arrays (2D data, and 1D data as ``(1, n)``).

    Specialised for two axes: per row, one pass for the axis-1 slopes, one for the axis-1 fluxes,
    one for the axis-0 slopes and fluxes of the next face, and one that writes ``out``.
    """
    n0, n1 = rho_k.shape
    dtype = rho_k.dtype
    n_chunks = min(n_chunks, n0)
    p0, p1 = periodic[0], periodic[1]
    for chunk in prange(n_chunks):
        r0 = chunk * n0 // n_chunks
        r1 = (chunk + 1) * n0 // n_chunks
        s_row = np.zeros(n1, dtype)
        f_row = np.zeros(n1 + 1, dtype)
        s_cur = np.zeros(n1, dtype)
        s_next = np.zeros(n1, dtype)
        f_lo = np.zeros(n1, dtype)
        f_hi = np.zeros(n1, dtype)
        if n0 > 1:
            rm = wrap(r0 - 1, n0, p0)
            rp = wrap(r0 + 1, n0, p0)
            for k in range(n1):
                q = rho_k[r0, k]
                s_cur[k] = _slope(q - rho_k[rm, k], rho_k[rp, k] - q, code)
            if p0 or r0 > 0:
                rmm = wrap(r0 - 2, n0, p0)
                for k in range(n1):
                    q = rho_k[rm, k]
                    s_prev = _slope(q - rho_k[rmm, k], rho_k[r0, k] - q, code)
                    f_lo[k] = _flux(u0[r0, k], q, s_prev, rho_k[r0, k], s_cur[k])
        for r in range(r0, r1):
            row = rho_k[r]
            if n1 > 1:
                s_row[0] = _slope(row[0] - row[wrap(-1, n1, p1)], row[1] - row[0], code)
                for k in range(1, n1 - 1):
                    q = row[k]
                    s_row[k] = _slope(q - row[k - 1], row[k + 1] - q, code)
                q = row[n1 - 1]
                s_row[n1 - 1] = _slope(q - row[n1 - 2], row[wrap(n1, n1, p1)] - q, code)
                ur = u1[r]
                for k in range(1, n1):
                    f_row[k] = _flux(ur[k], row[k - 1], s_row[k - 1], row[k], s_row[k])
                if p1:
                    f_row[0] = _flux(ur[0], row[n1 - 1], s_row[n1 - 1], row[0], s_row[0])
                    f_row[n1] = _flux(ur[n1], row[n1 - 1], s_row[n1 - 1], row[0], s_row[0])
            if n0 > 1:
                if p0 or r < n0 - 1:
                    nxt = wrap(r + 1, n0, p0)
                    after = wrap(r + 2, n0, p0)
                    up = u0[r + 1]
                    for k in range(n1):
                        q = rho_k[nxt, k]
                        s_next[k] = _slope(q - row[k], rho_k[after, k] - q, code)
                        f_hi[k] = _flux(up[k], row[k], s_cur[k], q, s_next[k])
                else:
                    f_hi[:] = 0.0
                s_cur, s_next = s_next, s_cur
            rn = rho_n[r]
            dst = out[r]
            for k in range(n1):
                div = (f_row[k + 1] - f_row[k]) * inv_h[1] + (f_hi[k] - f_lo[k]) * inv_h[0]
                dst[k] = a * rn[k] + b * row[k] - c * div
            f_lo, f_hi = f_hi, f_lo
    return out


# -- Python side: views and dispatch (called by NumbaBackend._transport_update) ------------------
def transport_update(rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out) -> None:
    """Run the kernels on validated NumPy arguments (``code`` the limiter code): 1D and 2D data
    through :func:`transport_update_2d`, 3D data through :func:`transport_update_3d`; writes
    ``out`` (C-contiguous)."""
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous for the numba backend")
    dtype = rho_k.dtype
    scalars = (code, dtype.type(a), dtype.type(b), dtype.type(c))
    if rho_k.ndim <= 2:
        _update_rows(rho_n, rho_k, velocities, spacing, periodic, scalars, out)
        return
    axes = AXES_IN_3D[rho_k.ndim]  # 3D only: 1D and 2D use the two-axis kernel
    shape3 = [1, 1, 1]
    periodic3 = np.zeros(3, dtype=np.bool_)
    inv_h3 = np.zeros(3, dtype=dtype)
    for axis, target in enumerate(axes):
        shape3[target] = rho_k.shape[axis]
        periodic3[target] = periodic[axis]
        inv_h3[target] = 1.0 / spacing[axis]
    u3 = [np.zeros((1, 1, 1), dtype=dtype)] * 3
    for axis, target in enumerate(axes):
        face_shape = tuple(n + (a == target) for a, n in enumerate(shape3))
        u3[target] = np.ascontiguousarray(velocities[axis]).reshape(face_shape)
    transport_update_3d(
        np.ascontiguousarray(rho_n).reshape(shape3),
        np.ascontiguousarray(rho_k).reshape(shape3),
        *u3,
        periodic3,
        inv_h3,
        *scalars,
        out.reshape(shape3),
        default_chunks(shape3[0]),
    )


def _update_rows(rho_n, rho_k, velocities, spacing, periodic, scalars, out):
    """1D and 2D data through the two-axis kernel; 1D is viewed as one row ``(1, n)``."""
    dtype = rho_k.dtype
    if rho_k.ndim == 1:
        shape = (1, rho_k.shape[0])
        u0 = np.zeros((2, shape[1]), dtype=dtype)
        u1 = np.ascontiguousarray(velocities[0]).reshape(1, -1)
        periodic2 = np.array((False, periodic[0]))
        inv_h2 = np.array((0.0, 1.0 / spacing[0]), dtype=dtype)
    else:
        shape = rho_k.shape
        u0, u1 = (np.ascontiguousarray(u) for u in velocities)
        periodic2 = np.array(periodic)
        inv_h2 = np.array([1.0 / h for h in spacing], dtype=dtype)
    transport_update_2d(
        np.ascontiguousarray(rho_n).reshape(shape),
        np.ascontiguousarray(rho_k).reshape(shape),
        u0,
        u1,
        periodic2,
        inv_h2,
        *scalars,
        out.reshape(shape),
        default_chunks(shape[0]),
    )
