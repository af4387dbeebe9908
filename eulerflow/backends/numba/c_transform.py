"""The c-transform lines of the Numba backend: the lower envelope of parabolas, in parallel over
the lines (see :mod:`eulerflow.backends.contract.c_transform`).

On a line of values ``f_j`` the parabolas ``p -> f_j + c (p - j)^2`` of two candidates
``r < q`` cross at ``s = (f_q - f_r) / (2 c (q - r)) + (q + r) / 2``. A forward sweep keeps the
parabolas of the lower envelope and the abscissae where each takes over (a candidate whose
crossing with the newest one lies left of its own start is dropped); a second sweep reads the
envelope at the centres. On a periodic axis the line is extended by ``P`` wrapped values on each
side, where ``P = min(floor(sqrt(R / c)) + 1, floor(n / 2))`` and ``R`` the range of the line:
a minimiser saves at most ``R`` over ``j = i``, so it lies within ``sqrt(R / c)`` cells, and the
image attaining the torus distance lies within ``n / 2``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .jit import JIT


@njit(parallel=True, **JIT)
def min_plus_lines(lines, c, periodic, out, argmin, with_argmin):  # pragma: no cover
    """``out[l, i] = min_j lines[l, j] + c (i - j)^2``; ``argmin[l, i]`` the minimising ``j``
    (unwrapped) when ``with_argmin``."""
    n_lines, n = lines.shape
    for line in prange(n_lines):
        row = lines[line]
        pad = 0
        if periodic and n > 1:
            lo = row[0]
            hi = row[0]
            for j in range(1, n):
                lo = min(lo, row[j])
                hi = max(hi, row[j])
            half = n // 2
            reach = np.sqrt(max(float(hi) - float(lo), 0.0) / c)
            pad = half if reach >= half else min(int(reach) + 1, half)
        m = n + 2 * pad
        keep = np.empty(m, dtype=np.int64)  # candidates on the envelope (extended positions)
        start = np.empty(m + 1)  # abscissa where candidate keep[k] takes over
        k = 0
        keep[0] = 0
        start[0] = -np.inf
        start[1] = np.inf
        for q in range(1, m):
            fq = float(row[(q - pad) % n])
            while True:
                r = keep[k]
                s = (fq - float(row[(r - pad) % n])) / (2.0 * c * (q - r)) + 0.5 * (q + r)
                if s > start[k] or k == 0:
                    break
                k -= 1
            if s > start[k]:
                k += 1
                start[k] = s
            keep[k] = q  # (k == 0 and s <= start[0] = -inf: q lies below keep[0] everywhere)
            start[k + 1] = np.inf
        k = 0
        for i in range(n):
            p = i + pad
            while start[k + 1] < p:
                k += 1
            j = keep[k] - pad
            dist = float(i - j)
            out[line, i] = row[j % n] + (c * dist) * dist
            if with_argmin:
                argmin[line, i] = j


def c_transform_lines(lines, c: float, periodic: bool, out, argmin) -> None:
    """The backend's ``_c_transform_lines``: :func:`min_plus_lines` on the C-contiguous lines."""
    if lines.size == 0:
        return
    with_argmin = argmin is not None
    if not with_argmin:
        argmin = np.empty((1, 1), dtype=np.int64)
    min_plus_lines(lines, float(c), bool(periodic), out, argmin, with_argmin)
