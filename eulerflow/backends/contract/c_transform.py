"""The c-transform kernel of the backend contract: the public checking wrapper and the abstract
one-dimensional kernel each backend implements.

``c_transform(values, spacing, periodic, tau, minimiser=False)``
    ``out(x_i) = min_j values_j + |x_i - y_j|^2 / (2 tau)`` over the cell centres ``y_j`` (and
    their periodic images), exactly; with ``minimiser=True`` also the index of a minimiser.

The cost is a sum over the axes, so the ``d``-dimensional minimum is ``d`` one-dimensional
min-plus transforms ``g_i = min_j f_j + c (i - j)^2`` (``c = h^2 / (2 tau)``, positions in
cells), one per axis, each applied to the result of the previous one. A backend implements the
one-dimensional transform on a batch of contiguous lines
(:meth:`CTransformKernels._c_transform_lines`): the NumPy reference by a brute-force minimum
(``O(n^2)`` per line), the compiled backends by the ``O(n)`` lower envelope of parabolas
(Felzenszwalb and Huttenlocher, "Distance transforms of sampled functions", Theory of Computing
8, 2012). On a periodic axis the candidates are the
images within half a box length of ``i``, which is where the torus distance is attained.

Implementations: :mod:`eulerflow.backends.numpy_backend` (the reference),
:mod:`eulerflow.backends.numba.c_transform`, :mod:`eulerflow.backends.cupy.c_transform`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

import numpy as np


class CTransformKernels(ABC):
    """``c_transform`` (part of :class:`~eulerflow.backends.Backend`)."""

    xp: ModuleType

    def c_transform(
        self,
        values,
        spacing: Sequence[float],
        periodic: Sequence[bool],
        tau: float,
        minimiser: bool = False,
    ):
        """The c-transform ``out(x) = min_y values(y) + |x - y|^2 / (2 tau)`` on the grid.

        ``x`` and ``y`` run over the cell centres; on a periodic axis ``y`` also runs over the
        periodic images, so the cost is the squared torus distance. The minimum is exact up to
        round-off (every result is ``values_j + |x_i - y_j|^2 / (2 tau)`` for a minimising
        ``j``).

        Parameters
        ----------
        values : array
            Finite values at the cell centres (1 to 3 dimensions, float32 or float64).
        spacing, periodic
            Cell widths and periodic flags per axis.
        tau : float
            ``tau > 0``.
        minimiser : bool, default False
            Also return the index of a minimiser.

        Returns
        -------
        out : array
            The transform, shape and dtype of ``values``.
        index : tuple of int64 arrays, only with ``minimiser=True``
            Per axis, the index ``j_a`` of a minimising centre ``y = lo + (j + 1/2) h``; on a
            periodic axis it is unwrapped (the image attaining the torus distance, so it may lie
            in ``[-n/2, n + n/2]``).
        """
        shape = tuple(values.shape)
        if not 1 <= len(shape) <= 3:
            raise ValueError(f"values must have 1 to 3 dimensions, got shape {shape}")
        if np.dtype(values.dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"values must be float32 or float64, got {values.dtype}")
        spacing, periodic = tuple(float(h) for h in spacing), tuple(bool(p) for p in periodic)
        if not len(spacing) == len(periodic) == len(shape):
            raise ValueError(f"need one spacing and periodic flag per axis ({len(shape)})")
        if not (all(h > 0 and math.isfinite(h) for h in spacing) and tau > 0):
            raise ValueError("spacing and tau must be positive and finite")
        xp = self.xp
        current = values
        passes = []
        for axis, (h, per) in enumerate(zip(spacing, periodic, strict=True)):
            n = shape[axis]
            lines = xp.ascontiguousarray(xp.moveaxis(current, axis, -1))
            out = xp.empty_like(lines)
            argmin = xp.empty(lines.shape, dtype=np.int64) if minimiser else None
            self._c_transform_lines(
                lines.reshape(-1, n),
                h * h / (2.0 * float(tau)),
                per,
                out.reshape(-1, n),
                None if argmin is None else argmin.reshape(-1, n),
            )
            current = xp.moveaxis(out, -1, axis)
            if minimiser:
                passes.append(xp.moveaxis(argmin, -1, axis))
        current = xp.ascontiguousarray(current)
        if not minimiser:
            return current
        return current, _backtrack(passes, shape, periodic, xp)

    @abstractmethod
    def _c_transform_lines(self, lines, c: float, periodic: bool, out, argmin) -> None:
        """``out[l, i] = min_j lines[l, j] + c (i - j)^2`` (``j`` over the images within
        ``n / 2`` of ``i`` when ``periodic``); ``argmin[l, i]`` the minimising ``j``, unwrapped,
        unless ``argmin`` is ``None``. ``lines``, ``out`` and ``argmin`` are C-contiguous
        ``(L, n)`` arrays."""


def _backtrack(passes, shape, periodic, xp):
    """The index of the ``d``-dimensional minimiser from the per-pass ones.

    Pass ``a`` minimised over ``j_a`` with the axes before ``a`` already at their output index
    and those after ``a`` at their (still free) source index, so the minimiser is read from the
    last pass backwards: ``j_{d-1} = A_{d-1}(i)``, then ``j_a = A_a(i_0 .. i_a, j_{a+1} ..)``.
    """
    d = len(shape)
    grids = xp.meshgrid(*[xp.arange(n, dtype=np.int64) for n in shape], indexing="ij")
    chosen: list = [None] * d
    for axis in range(d - 1, -1, -1):
        where = tuple(
            grids[b] if b <= axis else chosen[b] % shape[b] if periodic[b] else chosen[b]
            for b in range(d)
        )
        chosen[axis] = passes[axis][where]
    return tuple(chosen)


def min_plus_lines_reference(lines, c: float, periodic: bool, out, argmin, xp) -> None:
    """Brute-force ``_c_transform_lines`` (the NumPy reference): every candidate ``j`` (and, on a
    periodic axis, the image of each ``j`` nearest to ``i``) in blocks of lines."""
    n_lines, n = lines.shape
    i = xp.arange(n, dtype=np.int64)[:, None]
    j = xp.arange(n, dtype=np.int64)[None, :]
    if periodic:
        j = j + n * xp.round((i - j) / n).astype(np.int64)  # the image nearest to i
    dist = (i - j).astype(lines.dtype)
    cost = (lines.dtype.type(c) * dist) * dist  # (n, n): i by candidate
    block = max(1, (1 << 22) // max(n * n, 1))
    for lo in range(0, n_lines, block):
        total = lines[lo : lo + block, None, :] + cost[None, :, :]
        best = xp.argmin(total, axis=2)
        out[lo : lo + block] = xp.take_along_axis(total, best[:, :, None], axis=2)[:, :, 0]
        if argmin is not None:
            argmin[lo : lo + block] = xp.broadcast_to(j, (n, n))[i.T, best] if periodic else best
