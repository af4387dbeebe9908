"""Numba kernel of ``hj_update_point``: WENO/ENO derivatives and a compiled point Hamiltonian,
fused in one pass.

The sweep is that of :func:`.hamilton_jacobi.hj_sweep`, through the same compiled helpers
(:func:`.hamilton_jacobi.chunk_buffers`, :func:`.hamilton_jacobi.next_plane` and
:func:`.hamilton_jacobi.row_derivatives`: rings of difference planes and rows, row buffers of
``D^-`` and ``D^+`` per data axis; cached on disk, so a new Hamiltonian compiles only its row
update and the parallel loop), with a different row update:
at every cell it calls the Hamiltonian's compiled scalar function
``point(t, x, p, low, high, table, cell, index) -> (H, alpha)`` (``x`` the cell centre, ``p`` the
mean of the one-sided derivatives, ``low``/``high`` their box; ``alpha`` the tuple of dissipation
bounds, returned in registers rather than stored; ``table`` is ``hamiltonian.table(coords)``,
e.g. tabulated time-invariant dynamics, or dummy arrays, read at the cell's flat index ``cell``
or its per-axis ``index``), forms
``Hhat = H - sum_a alpha_a (p^+_a - p^-_a) / 2`` (or the global ``alphas``), ``min(0, Hhat)`` for
a tube, and ``out = a phi_n + b phi_k - c Hhat``; each chunk of planes records the largest
``alpha_a`` it met (in scalars for the row, stored once per row), so that the CFL rate comes out
of the same pass. No array temporaries: the user's dynamics are inlined into the loop.

A kernel is compiled per point function and number of axes (closures over the point function
are not cached on disk: the first call of a new Hamiltonian compiles, a few seconds).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..view3d import AXES_IN_3D
from .hamilton_jacobi import K_HALF, K_ZERO, _view, chunk_buffers, next_plane, row_derivatives
from .jit import default_chunks

_KERNEL_JIT = {"nogil": True, "error_model": "numpy"}
"""``@njit`` settings of the point kernels (those of :data:`.jit.JIT` but ``cache``)."""


@njit(inline="always", **_KERNEL_JIT)
def _data1(v0, v1, v2):
    return (v0,)


@njit(inline="always", **_KERNEL_JIT)
def _data2(v0, v1, v2):
    return (v0, v1)


@njit(inline="always", **_KERNEL_JIT)
def _data3(v0, v1, v2):
    return (v0, v1, v2)


@njit(inline="always", **_KERNEL_JIT)
def _view1(x0, x1, x2):
    return (x2,)


@njit(inline="always", **_KERNEL_JIT)
def _view2(x0, x1, x2):
    return (x0, x2)


@njit(inline="always", **_KERNEL_JIT)
def _pad1(alpha):
    return alpha[0], 0.0, 0.0


@njit(inline="always", **_KERNEL_JIT)
def _pad2(alpha):
    return alpha[0], alpha[1], 0.0


@njit(inline="always", **_KERNEL_JIT)
def _pad3(alpha):
    return alpha[0], alpha[1], alpha[2]


_DATA_TUPLES = {1: _data1, 2: _data2, 3: _data3}
"""Per number of axes: the tuple of the first ``ndim`` of three values (derivatives)."""
_VIEW_TUPLES = {1: _view1, 2: _view2, 3: _data3}
"""Per number of axes: the data-axis coordinates from the ``(n0, n1, n2)`` view coordinates."""
_PADDED = {1: _pad1, 2: _pad2, 3: _pad3}
"""Per number of axes: the tuple of bounds ``alpha`` padded with zeros to three."""

_KERNELS: dict = {}


def point_sweep(point, ndim: int):
    """The parallel sweep of ``point`` for ``ndim`` axes (compiled once per pair, kept)."""
    key = (point, ndim)
    if key not in _KERNELS:
        _KERNELS[key] = _make_sweep(point, ndim)
    return _KERNELS[key]


def _make_sweep(point, ndim):
    data_tuple, view_tuple, padded = _DATA_TUPLES[ndim], _VIEW_TUPLES[ndim], _PADDED[ndim]

    @njit(**_KERNEL_JIT)
    def update_row(
        pn,
        pk,
        der,
        t,
        r,
        j,
        x0,
        x1,
        cv2,
        local,
        tube,
        half_alphas,
        a,
        b,
        c,
        k,
        maxima,
        out,
        table,
        first,
    ):
        half = k[K_HALF]
        zero = k[K_ZERO]
        top0, top1, top2 = maxima[0], maxima[1], maxima[2]
        for i in range(out.shape[0]):
            m0, p0 = der[0, i], der[1, i]
            m1, p1 = (der[2, i], der[3, i]) if ndim > 1 else (zero, zero)
            m2, p2 = (der[4, i], der[5, i]) if ndim > 2 else (zero, zero)
            h, alpha = point(
                t,
                view_tuple(x0, x1, cv2[i]),
                data_tuple(half * (m0 + p0), half * (m1 + p1), half * (m2 + p2)),
                data_tuple(min(m0, p0), min(m1, p1), min(m2, p2)),
                data_tuple(max(m0, p0), max(m1, p1), max(m2, p2)),
                table,
                first + i,
                view_tuple(r, j, i),
            )
            a0, a1, a2 = padded(alpha)
            top0 = a0 if a0 > top0 else top0
            h = h - (half * a0 if local else half_alphas[0]) * (p0 - m0)
            if ndim > 1:
                top1 = a1 if a1 > top1 else top1
                h = h - (half * a1 if local else half_alphas[1]) * (p1 - m1)
            if ndim > 2:
                top2 = a2 if a2 > top2 else top2
                h = h - (half * a2 if local else half_alphas[2]) * (p2 - m2)
            if tube and h > zero:
                h = zero
            out[i] = a * pn[i] + b * pk[i] - c * h
        maxima[0], maxima[1], maxima[2] = top0, top1, top2

    @njit(parallel=True, **_KERNEL_JIT)
    def sweep(
        phi_n,
        phi_k,
        slot,
        periodic,
        h,
        scheme,
        cv0,
        cv1,
        cv2,
        t,
        local,
        tube,
        half_alphas,
        a,
        b,
        c,
        k,
        gc,
        out,
        maxima,
        table,
        n_chunks,
    ):
        n0, n1, n2 = phi_k.shape
        use0 = slot[0] >= 0 and n0 > 1
        use1 = slot[1] >= 0 and n1 > 1
        for chunk in prange(n_chunks):
            r0 = chunk * n0 // n_chunks
            r1 = (chunk + 1) * n0 // n_chunks
            ring0, ring1, d2, der = chunk_buffers(phi_k.shape, use0, use1, phi_k.dtype)
            row_der = der.reshape(6, 1, n2)
            chunk_max = maxima[chunk]
            for r in range(r0, r1):
                next_plane(phi_k, r, r == r0, use0, use1, periodic, h, gc, ring0, ring1)
                for j in range(n1):
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
                        row_der,
                        0,
                    )
                    update_row(
                        phi_n[r, j],
                        phi_k[r, j],
                        der,
                        t,
                        r,
                        j,
                        cv0[r],
                        cv1[j],
                        cv2,
                        local,
                        tube,
                        half_alphas,
                        a,
                        b,
                        c,
                        k,
                        chunk_max,
                        out[r, j],
                        table,
                        (r * n1 + j) * n2,
                    )
        return out

    return sweep


def hj_update_point(
    phi_n,
    phi_k,
    spacing,
    periodic,
    scheme_code,
    local,
    hamiltonian,
    coords,
    t,
    alphas,
    tube,
    a,
    b,
    c,
    out,
) -> tuple:
    """``out = a phi_n + b phi_k - c Hhat`` on validated NumPy arguments (the Numba backend's
    ``_hj_update_point``); returns the largest dissipation bound per axis."""
    shape3, slot, periodic3, h3, k, gc = _view(phi_k, spacing, periodic)
    dtype = np.dtype(phi_k.dtype)
    ndim = phi_k.ndim
    if not isinstance(out, np.ndarray) or out.shape != phi_k.shape or out.dtype != dtype:
        raise ValueError(f"out must be a NumPy array of shape {phi_k.shape} and dtype {dtype}")
    if np.may_share_memory(out, phi_k):
        raise ValueError("out must not overlap phi_k")
    scalar = dtype.type
    pk = np.ascontiguousarray(phi_k).reshape(shape3)
    pn = np.ascontiguousarray(phi_n).reshape(shape3)
    direct = out.flags.c_contiguous
    target = out.reshape(shape3) if direct else np.empty(shape3, dtype=dtype)
    view_coords = [np.zeros(1)] * 3  # float64: the dynamics see float64 states in any case
    for axis, view_axis in enumerate(AXES_IN_3D[ndim]):
        view_coords[view_axis] = np.ascontiguousarray(coords[axis], dtype=np.float64)
    half_alphas = tuple(scalar(0.5 * x) for x in alphas) + (scalar(0),) * (3 - ndim)
    n_chunks = min(default_chunks(shape3[0]), shape3[0])
    maxima = np.zeros((max(n_chunks, 1), 3))
    if pk.size:
        sweep = point_sweep(hamiltonian.scalar_kernel(), ndim)
        table = hamiltonian.table(coords)
        sweep(
            pn,
            pk,
            slot,
            periodic3,
            h3,
            scheme_code,
            *view_coords,
            float(t),
            bool(local),
            bool(tube),
            half_alphas,
            scalar(a),
            scalar(b),
            scalar(c),
            k,
            gc,
            target,
            maxima,
            table if table is not None else (np.zeros((1, 1)),) * 4,
            n_chunks,
        )
    if not direct:
        out[...] = target.reshape(out.shape)
    return tuple(float(x) for x in maxima.max(axis=0)[:ndim])
