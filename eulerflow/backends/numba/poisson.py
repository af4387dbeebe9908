"""The space-time Poisson solve of the Benamou-Brenier projection in the Numba backend.

Solves ``-D G p = f`` on the ``(N, n_1, .., n_d)`` space-time cells (Neumann in time and on the
walled axes, periodic on the periodic ones; the operators of :mod:`eulerflow.schemes.staggered`).
The reference transforms all axes (a DCT-II in time too); here only the spatial axes are
transformed (orthonormal DCT-II on walled axes, real FFT on periodic ones, ``scipy.fft`` with
``workers`` threads), which leaves, for every spatial mode with eigenvalue ``lambda`` of the
spatial operator, the tridiagonal system in time

    N^2 (-p_{k-1} + 2 p_k - p_{k+1}) + lambda p_k = f_k,   k = 0 .. N-1,

with the Neumann rows ``N^2 (p_0 - p_1)`` and ``N^2 (p_{N-1} - p_{N-2})``. It is solved by the
Thomas algorithm in float64 (complex128 for FFT modes), vectorised across the modes
(:func:`solve_time_lines`). Its condition number is about ``4 N^2 / lambda``: the modes with
``lambda < N^2 / SPECTRAL_BELOW`` (a handful of the lowest ones, the zero mode among them) are
solved instead by the exact orthonormal DCT-II in time, ``p = C^T diag(1 / (lambda_t +
lambda)) C f``, which also gives the zero mode 0 as the reference does. Replacing the time DCT
(two strided transforms) by the line solves saves about a third of the Poisson time.

:func:`poisson_free_end` is the solve with a free terminal time face (a JKO step,
:mod:`eulerflow.schemes.staggered_free_end`): the same spatial transforms and, in time, the
exact ``N x N`` eigenvector basis of its invertible time operator (:func:`solve_free_end_lines`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit, prange

from ...schemes.staggered import axis_eigenvalues
from ...schemes.staggered_free_end import free_end_time_basis
from .jit import JIT

SPECTRAL_BELOW = 64.0
"""Modes with ``lambda < N^2 / SPECTRAL_BELOW`` (condition number above about 256) are solved by
the exact DCT in time rather than the Thomas algorithm, whose error grows with the condition."""

_LINE_CHUNK = 256  # spatial modes per parallel task (the float64 work block stays in L2)


@njit(parallel=True, **JIT)
def solve_time_lines(coef, mu, inv_n_sq, dct, lam_time, spectral_below, chunk):  # pragma: no cover
    """Overwrite ``coef`` (``(N, M)``, float64 or complex128: time by spatial modes) with the
    solutions ``p`` of ``N^2 (T + mu[m]) p = coef[:, m]`` (``T`` the Neumann second difference,
    ``mu = lambda / N^2``), one per mode.

    ``dct`` is the ``(N, N)`` orthonormal DCT-II matrix and ``lam_time`` the eigenvalues of
    ``T``. Modes with ``mu < 1 / spectral_below`` are solved spectrally, ``p = C^T diag(1 /
    (N^2 (lam_time + mu))) C f`` (a non-positive sum and the zero mode give 0); the others by the
    Thomas algorithm, in place, the inverse pivots of a task in a work block.
    """
    n_time, n_modes = coef.shape
    n_chunks = (n_modes + chunk - 1) // chunk
    for task in prange(n_chunks):
        lo = task * chunk
        hi = min(lo + chunk, n_modes)
        width = hi - lo
        m = mu[lo:hi]
        # the ill-conditioned modes first, from the right-hand side: the exact DCT in time
        n_spectral = 0
        for c in range(width):
            if m[c] * spectral_below < 1.0:
                n_spectral += 1
        spectral = np.empty((max(n_spectral, 1), n_time), dtype=coef.dtype)
        modes = np.empty(max(n_spectral, 1), dtype=np.int64)
        found = 0
        for c in range(width):
            if m[c] * spectral_below >= 1.0:
                continue
            line = spectral[found]
            for k in range(n_time):
                total = coef[0, lo + c] * 0.0
                for j in range(n_time):
                    total += dct[k, j] * coef[j, lo + c]
                eigenvalue = lam_time[k] + m[c]
                line[k] = total * inv_n_sq / eigenvalue if eigenvalue > 0.0 else total * 0.0
            if lo + c == 0:
                line[0] = line[0] * 0.0
            modes[found] = c
            found += 1
        # Thomas: pivots d_0 = 1 + mu (mu when N = 1), d_k = 2 + mu - 1 / d_{k-1} (1 + mu - ..
        # for the last row); y_k = f_k / N^2 + y_{k-1} / d_{k-1}; p_k = (y_k + p_{k+1}) / d_k
        inv_pivot = np.empty((n_time, width))
        row = coef[0, lo:hi]
        pivot = inv_pivot[0]
        first = 1.0 if n_time > 1 else 0.0
        for c in range(width):
            d = first + m[c]
            pivot[c] = 1.0 / d if d > 0.0 else 0.0
            row[c] = row[c] * inv_n_sq
        for k in range(1, n_time):
            diagonal = 2.0 if k < n_time - 1 else 1.0
            previous = coef[k - 1, lo:hi]
            row = coef[k, lo:hi]
            previous_pivot = inv_pivot[k - 1]
            pivot = inv_pivot[k]
            for c in range(width):
                pivot[c] = 1.0 / (diagonal + m[c] - previous_pivot[c])
                row[c] = row[c] * inv_n_sq + previous[c] * previous_pivot[c]
        row = coef[n_time - 1, lo:hi]
        pivot = inv_pivot[n_time - 1]
        for c in range(width):
            row[c] = row[c] * pivot[c]
        for k in range(n_time - 2, -1, -1):
            row = coef[k, lo:hi]
            following = coef[k + 1, lo:hi]
            pivot = inv_pivot[k]
            for c in range(width):
                row[c] = (row[c] + following[c]) * pivot[c]
        # the spectral modes back from the time-frequency domain
        for s in range(found):
            c = modes[s]
            line = spectral[s]
            for j in range(n_time):
                total = line[0] * 0.0
                for k in range(n_time):
                    total += dct[k, j] * line[k]
                coef[j, lo + c] = total
    return coef


@lru_cache(maxsize=32)
def scaled_spatial_eigenvalues(
    coef_shape: tuple, space: tuple, spacing: tuple, periodic: tuple, n_time: int
):
    """``mu = lambda / N^2`` of every spatial mode of the transformed array (``coef_shape``: its
    spatial shape, an FFT axis possibly halved), flattened in C order; float64, read-only,
    cached."""
    total = np.zeros(coef_shape)
    for a, (n, h, per) in enumerate(zip(space, spacing, periodic, strict=True)):
        view = [1] * len(space)
        view[a] = coef_shape[a]
        total = total + axis_eigenvalues(n, h, per, coef_shape[a]).reshape(view)
    mu = np.ascontiguousarray(total.reshape(-1)) / float(n_time) ** 2
    mu.flags.writeable = False
    return mu


@lru_cache(maxsize=32)
def time_basis(n_time: int) -> tuple[np.ndarray, np.ndarray]:
    """The orthonormal DCT-II matrix of order ``N`` and the eigenvalues ``2 - 2 cos(pi k / N)``
    of the Neumann second difference ``T`` (float64, read-only, cached)."""
    k = np.arange(n_time)[:, None]
    j = np.arange(n_time)[None, :]
    dct = np.cos(np.pi * k * (2 * j + 1) / (2 * n_time)) * np.sqrt(2.0 / n_time)
    dct[0] /= np.sqrt(2.0)
    lam_time = axis_eigenvalues(n_time, 1.0, False, n_time)
    for x in (dct, lam_time):
        x.flags.writeable = False
    return dct, lam_time


def _solve_in_spatial_modes(f, spacing, periodic, workers: int, out, solve_lines) -> None:
    """Write ``out = p``: the spatial transforms of ``f`` (DCT-II on walled axes, real FFT on
    periodic ones), ``solve_lines(lines, mu, n_time)`` on the ``(N, modes)`` coefficients in
    float64 (or complex128) with ``mu`` the scaled spatial eigenvalues, the inverse transforms."""
    import scipy.fft as sfft

    if out.size == 0:
        return
    dtype = np.dtype(out.dtype)
    n_time, space = f.shape[0], tuple(f.shape[1:])
    walled = tuple(a + 1 for a, per in enumerate(periodic) if not per)
    per_axes = tuple(a + 1 for a, per in enumerate(periodic) if per)
    coef = np.asarray(f, dtype=dtype)
    if walled:
        coef = sfft.dctn(coef, type=2, axes=walled, norm="ortho", workers=workers)
    if per_axes:
        coef = sfft.rfftn(coef, axes=per_axes, workers=workers)
    mu = scaled_spatial_eigenvalues(
        tuple(coef.shape[1:]),
        space,
        tuple(float(h) for h in spacing),
        tuple(bool(p) for p in periodic),
        n_time,
    )
    wide = np.complex128 if np.iscomplexobj(coef) else np.float64
    lines = coef.reshape(n_time, -1).astype(wide, copy=False)  # float32 data: solved in float64
    solve_lines(lines, mu, n_time)
    coef = lines.reshape(coef.shape).astype(coef.dtype, copy=False)
    if per_axes:
        coef = sfft.irfftn(coef, s=[f.shape[a] for a in per_axes], axes=per_axes, workers=workers)
    if walled:
        coef = sfft.idctn(
            coef, type=2, axes=walled, norm="ortho", workers=workers, overwrite_x=True
        )
    out[...] = coef


def poisson(f, spacing, periodic, workers: int, out) -> None:
    """Write ``out = p`` with ``-D G p = f`` (the zero mode of ``p`` is 0): spatial transforms,
    :func:`solve_time_lines`, inverse spatial transforms (see the module docstring)."""

    def solve(lines, mu, n_time: int) -> None:
        dct, lam_time = time_basis(n_time)
        solve_time_lines(
            lines, mu, 1.0 / float(n_time) ** 2, dct, lam_time, SPECTRAL_BELOW, _LINE_CHUNK
        )

    _solve_in_spatial_modes(f, spacing, periodic, workers, out, solve)


@njit(parallel=True, **JIT)
def solve_free_end_lines(coef, mu, inv_n_sq, basis, lam_time, chunk):  # pragma: no cover
    """Overwrite ``coef`` (``(N, M)``, float64 or complex128) with ``p = Q diag(1 / (N^2
    (lam_time + mu[m]))) Q^T coef[:, m]`` per spatial mode ``m``: the time solve with a free
    terminal face (``Q = basis``, the orthonormal eigenvectors of its time operator, see
    :mod:`eulerflow.schemes.staggered_free_end`; every eigenvalue is positive)."""
    n_time, n_modes = coef.shape
    n_chunks = (n_modes + chunk - 1) // chunk
    for task in prange(n_chunks):
        lo = task * chunk
        hi = min(lo + chunk, n_modes)
        line = np.empty(n_time, dtype=coef.dtype)
        for c in range(lo, hi):
            for k in range(n_time):
                total = coef[0, c] * 0.0
                for j in range(n_time):
                    total += basis[j, k] * coef[j, c]
                line[k] = total * inv_n_sq / (lam_time[k] + mu[c])
            for j in range(n_time):
                total = line[0] * 0.0
                for k in range(n_time):
                    total += basis[j, k] * line[k]
                coef[j, c] = total
    return coef


def poisson_free_end(f, spacing, periodic, workers: int, out) -> None:
    """Write ``out = p`` with ``-D G' p = f`` for a free terminal time face: the spatial
    transforms of :func:`poisson`, :func:`solve_free_end_lines` in time (in float64), the inverse
    transforms."""

    def solve(lines, mu, n_time: int) -> None:
        basis, lam_time = free_end_time_basis(n_time)
        solve_free_end_lines(lines, mu, 1.0 / float(n_time) ** 2, basis, lam_time, _LINE_CHUNK)

    _solve_in_spatial_modes(f, spacing, periodic, workers, out, solve)
