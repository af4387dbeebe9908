"""Numba kernel of the Scharfetter-Gummel Fokker-Planck update (compiled on first use, cached).

``out = a rho_n + b rho_k + c L(rho_k)`` with ``L`` the finite-volume rate of
:func:`eulerflow.schemes.scharfetter_gummel.fokker_planck_rate`: the flux through a face is
``F = f q_low - g q_high`` with precomputed face weights ``f, g``, so the kernel is a pure
stencil (two neighbours and two faces per axis and cell).

Arrays are viewed as three-dimensional ``(n0, n1, n2)`` (1D as ``(1, 1, n)``, 2D as
``(n0, 1, n1)``); an axis of length one carries no net flux and is skipped. Rows ``i0`` run in
parallel; inside a row the axis-2 fluxes go through a small buffer of ``n2 + 1`` faces (computed
once each, contiguous loops), the axis-0 and axis-1 fluxes are computed per cell from the
contiguous rows of the neighbours.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..contract.checks import LastWeights
from ..view3d import AXES_IN_3D
from .jit import JIT, float_dtype, wrap

_VIEWS = LastWeights()
"""The 3D views of the last C-contiguous weights, reused while they come back."""


@njit(parallel=True, **JIT)
def fokker_planck_update_3d(
    rho_n, rho_k, f0, g0, f1, g1, f2, g2, periodic, inv_h, a, b, c, out
):  # pragma: no cover - compiled
    """``out = a rho_n + b rho_k + c L(rho_k)`` on ``(n0, n1, n2)`` arrays (see
    :mod:`eulerflow.backends.contract.fokker_planck`)."""
    n0, n1, n2 = rho_k.shape
    dtype = rho_k.dtype
    zero = dtype.type(0)
    p0, p1, p2 = periodic[0], periodic[1], periodic[2]
    ih0, ih1, ih2 = inv_h[0], inv_h[1], inv_h[2]
    for i in prange(n0):
        flux = np.empty(n2 + 1, dtype)
        acc = np.empty(n2, dtype)
        im = wrap(i - 1, n0, p0)
        ip = wrap(i + 1, n0, p0)
        lo0 = n0 > 1 and (p0 or i > 0)
        hi0 = n0 > 1 and (p0 or i < n0 - 1)
        for j in range(n1):
            q = rho_k[i, j]
            for k in range(n2):
                acc[k] = zero
            if n2 > 1:
                for k in range(1, n2):
                    flux[k] = f2[i, j, k] * q[k - 1] - g2[i, j, k] * q[k]
                if p2:
                    flux[0] = f2[i, j, 0] * q[n2 - 1] - g2[i, j, 0] * q[0]
                    flux[n2] = f2[i, j, n2] * q[n2 - 1] - g2[i, j, n2] * q[0]
                else:
                    flux[0] = zero
                    flux[n2] = zero
                for k in range(n2):
                    acc[k] -= (flux[k + 1] - flux[k]) * ih2
            if n1 > 1:
                jm = wrap(j - 1, n1, p1)
                jp = wrap(j + 1, n1, p1)
                lo1 = p1 or j > 0
                hi1 = p1 or j < n1 - 1
                qm = rho_k[i, jm]
                qp = rho_k[i, jp]
                for k in range(n2):
                    f_lo = f1[i, j, k] * qm[k] - g1[i, j, k] * q[k] if lo1 else zero
                    f_hi = f1[i, j + 1, k] * q[k] - g1[i, j + 1, k] * qp[k] if hi1 else zero
                    acc[k] -= (f_hi - f_lo) * ih1
            if n0 > 1:
                qm = rho_k[im, j]
                qp = rho_k[ip, j]
                for k in range(n2):
                    f_lo = f0[i, j, k] * qm[k] - g0[i, j, k] * q[k] if lo0 else zero
                    f_hi = f0[i + 1, j, k] * q[k] - g0[i + 1, j, k] * qp[k] if hi0 else zero
                    acc[k] -= (f_hi - f_lo) * ih0
            rn = rho_n[i, j]
            o = out[i, j]
            for k in range(n2):
                o[k] = a * rn[k] + b * q[k] + c * acc[k]


def _weight_views(rho_k, forwards, backwards, spacing, periodic, dtype):
    """``(shape3, weights, periodic3, inv_h3)`` for :func:`fokker_planck_update_3d`; the views
    of the last weights are kept when they are all C-contiguous (views share the arrays' memory,
    so they stay valid when the weights are updated in place)."""
    key = (tuple(rho_k.shape), dtype, tuple(spacing), tuple(periodic))
    views = _VIEWS.get(forwards, backwards, key)
    if views is None:
        views = _build_weight_views(rho_k, forwards, backwards, spacing, periodic, dtype)
        arrays = (*forwards, *backwards)
        if all(isinstance(w, np.ndarray) and w.flags.c_contiguous for w in arrays):
            _VIEWS.keep(forwards, backwards, key, views)
    return views


def _build_weight_views(rho_k, forwards, backwards, spacing, periodic, dtype):
    shape3 = [1, 1, 1]
    periodic3 = np.zeros(3, dtype=np.bool_)
    inv_h3 = np.ones(3, dtype=dtype)
    axes = AXES_IN_3D[rho_k.ndim]
    for axis, target in enumerate(axes):
        shape3[target] = rho_k.shape[axis]
        periodic3[target] = periodic[axis]
        inv_h3[target] = 1.0 / spacing[axis]
    shape3 = tuple(shape3)
    dummy = np.zeros((1, 1, 1), dtype=dtype)  # never read: its axis has length one
    weights = [dummy] * 6
    for axis, target in enumerate(axes):
        face_shape = tuple(n + (t == target) for t, n in enumerate(shape3))
        weights[2 * target] = np.ascontiguousarray(forwards[axis]).reshape(face_shape)
        weights[2 * target + 1] = np.ascontiguousarray(backwards[axis]).reshape(face_shape)
    return shape3, weights, periodic3, inv_h3


def fokker_planck_update(rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out):
    """Run :func:`fokker_planck_update_3d` on validated NumPy arguments (the Numba backend's
    ``_fokker_planck_update``): 3D views, contiguous copies where needed, ``out`` written."""
    dtype = float_dtype(rho_k.dtype)
    if not isinstance(out, np.ndarray) or out.shape != rho_k.shape or out.dtype != dtype:
        raise ValueError(f"out must be a NumPy array of shape {rho_k.shape} and dtype {dtype}")
    shape3, weights, periodic3, inv_h3 = _weight_views(
        rho_k, forwards, backwards, spacing, periodic, dtype
    )
    q = np.ascontiguousarray(rho_k).reshape(shape3)
    if np.may_share_memory(out, q) or any(np.may_share_memory(out, w) for w in weights):
        raise ValueError("out must not overlap rho_k or the face weights")
    direct = out.flags.c_contiguous
    target_out = out.reshape(shape3) if direct else np.empty(shape3, dtype=dtype)
    if q.size:
        scalar = dtype.type
        fokker_planck_update_3d(
            np.ascontiguousarray(rho_n).reshape(shape3),
            q,
            *weights,
            periodic3,
            inv_h3,
            scalar(a),
            scalar(b),
            scalar(c),
            target_out,
        )
    if not direct:
        out[...] = target_out.reshape(out.shape)
