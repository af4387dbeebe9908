"""The space-time Poisson solve of the staggered grid with a free terminal time face (reference).

In a JKO step written as a Benamou-Brenier problem (Benamou, Carlier and Laborde 2016) the
density on the last time face ``rho_s[N]`` is an unknown rather than data. The projection onto
the continuity constraint ``D U = 0`` (with ``rho_s[0]`` fixed) is then ``U + G' p`` with
``-D G' p = D U``, where ``G' = -D^T`` on the unknowns. ``G'`` is the gradient of
:func:`eulerflow.schemes.staggered.gradient` with one more entry, on the terminal face:

    g_rho[N] = N (0 - p[N - 1]),

the difference to a ghost value ``p[N] = 0``. In time, ``-D G'`` is therefore the second
difference ``N^2 T`` with the Neumann row ``(1, -1)`` at ``k = 0`` and the Dirichlet row
``(-1, 2)`` at ``k = N - 1`` (``T = (1)`` for ``N = 1``). Its eigenvectors are
``cos(theta_k (j + 1/2))`` with ``theta_k = pi (2 k + 1) / (2 N + 1)`` (even about ``j = -1/2``,
zero at ``j = N``) and its eigenvalues ``2 - 2 cos theta_k > 0``: the operator is invertible,
there is no zero mode and no compatibility condition on the right-hand side.

The spatial axes are diagonalised as in :func:`eulerflow.schemes.staggered.poisson` (orthonormal
DCT-II on walled axes, real FFT on periodic ones); the time axis by the ``N x N`` orthonormal
eigenvector matrix above (``N`` is small in a JKO step). The code runs on NumPy and CuPy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from types import ModuleType

import numpy as np

from .staggered import axis_eigenvalues


@lru_cache(maxsize=32)
def free_end_time_basis(n_time: int) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal eigenvectors (columns, ``(N, N)``) and eigenvalues ``2 - 2 cos theta_k`` of the
    time operator ``T`` with a free terminal face (float64, read-only, cached)."""
    theta = np.pi * (2 * np.arange(n_time) + 1) / (2 * n_time + 1)
    basis = np.cos(np.outer(np.arange(n_time) + 0.5, theta))
    basis /= np.linalg.norm(basis, axis=0)
    eigenvalues = 2 - 2 * np.cos(theta)
    for x in (basis, eigenvalues):
        x.flags.writeable = False
    return basis, eigenvalues


@lru_cache(maxsize=16)
def _spatial_eigenvalues(coef_shape: tuple, space: tuple, spacing: tuple, periodic: tuple):
    """Eigenvalues of the spatial ``-div grad`` on the transformed array (``coef_shape``, an FFT
    axis possibly halved), float64, broadcast to the full spatial shape."""
    total = np.zeros(coef_shape)
    for a, (n, h, per) in enumerate(zip(space, spacing, periodic, strict=True)):
        view = [1] * len(space)
        view[a] = coef_shape[a]
        total = total + axis_eigenvalues(n, h, per, coef_shape[a]).reshape(view)
    return total


@lru_cache(maxsize=16)
def _inverse_eigenvalues(coef_shape: tuple, space: tuple, spacing, periodic, dtype, xp):
    """``1 / (N^2 lambda_t + lambda_x)`` on the ``(N, *coef_shape)`` transformed array (cached)."""
    n_time = coef_shape[0]
    _, lam_time = free_end_time_basis(n_time)
    lam_space = _spatial_eigenvalues(coef_shape[1:], space, spacing, periodic)
    total = n_time**2 * lam_time.reshape((n_time,) + (1,) * len(space)) + lam_space
    return xp.asarray(1.0 / total, dtype=dtype)


def poisson_free_end(
    f, spacing: Sequence[float], periodic: Sequence[bool], fft: ModuleType, xp, out
) -> None:
    """Solve ``-D G' p = f`` with a free terminal face (module docstring), write ``p``.

    Parameters
    ----------
    f : array, shape (N, ``*shape``)
        Right-hand side on the space-time cells (any values: the operator is invertible).
    spacing, periodic : sequences, one entry per space axis
    fft : module
        ``scipy.fft`` or ``cupyx.scipy.fft``.
    xp : module
        ``numpy`` or ``cupy``.
    out : array, shape (N, ``*shape``)
        Receives ``p``.
    """
    n_time, space = f.shape[0], tuple(f.shape[1:])
    spacing = tuple(float(h) for h in spacing)
    periodic = tuple(bool(p) for p in periodic)
    walled = [a + 1 for a, per in enumerate(periodic) if not per]
    per_axes = [a + 1 for a, per in enumerate(periodic) if per]
    coef = f
    if walled:
        coef = fft.dctn(coef, type=2, axes=walled, norm="ortho")
    if per_axes:
        coef = fft.rfftn(coef, axes=per_axes)
    basis, _ = free_end_time_basis(n_time)
    q = xp.asarray(basis, dtype=f.dtype)
    coef = xp.tensordot(q.T, coef, axes=1)
    coef *= _inverse_eigenvalues(tuple(coef.shape), space, spacing, periodic, f.dtype, xp)
    coef = xp.tensordot(q, coef, axes=1)
    if per_axes:
        coef = fft.irfftn(coef, s=[f.shape[a] for a in per_axes], axes=per_axes)
    if walled:
        coef = fft.idctn(coef, type=2, axes=walled, norm="ortho")
    out[...] = coef
