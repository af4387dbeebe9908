"""CUDA source and launch of the c-transform lines of the CuPy backend (no CuPy import).

One thread per line (grid-stride loop) runs the two sweeps of the lower envelope of parabolas of
:mod:`eulerflow.backends.numba.c_transform` (crossings in double precision, the result
``f_j + (c (i - j)) (i - j)`` in double, rounded once to the data type), with the candidates on
the envelope and their start abscissae in a scratch row of ``2 n`` (``2 n + 1``) entries per
line in global memory: a periodic line is extended by at most ``n / 2`` wrapped values on each
side.
"""

from __future__ import annotations

import numpy as np

from ...arrays import is_cupy_array
from .compile import CudaModule, KernelCache, c_type

CT_KERNEL_NAME = "min_plus_lines"
CT_KERNEL_NAME_EXPRESSIONS = (f"{CT_KERNEL_NAME}<float>", f"{CT_KERNEL_NAME}<double>")

CT_KERNEL_SOURCE = r"""
// eulerflow: out[l, i] = min_j f[l, j] + c (i - j)^2 per line (j over the images within n / 2
// of i on a periodic line), argmin[l, i] the minimising j (unwrapped) when with_argmin.
// keep: (n_lines, 2 n) candidates on the envelope; start: (n_lines, 2 n + 1) abscissae.
template <typename T>
__global__ void min_plus_lines(
    const T* __restrict__ f, T* __restrict__ out, long long* __restrict__ argmin,
    long long* __restrict__ keep_all, double* __restrict__ start_all,
    const long long n_lines, const long long n, const double c, const int periodic,
    const int with_argmin)
{
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x; line < n_lines;
         line += stride) {
        const T* row = f + line * n;
        long long* keep = keep_all + line * 2 * n;
        double* start = start_all + line * (2 * n + 1);
        long long pad = 0;
        if (periodic && n > 1) {
            double lo = (double)row[0], hi = (double)row[0];
            for (long long j = 1; j < n; ++j) {
                lo = fmin(lo, (double)row[j]);
                hi = fmax(hi, (double)row[j]);
            }
            const long long half = n / 2;
            const double reach = sqrt(fmax(hi - lo, 0.0) / c);
            pad = reach >= (double)half ? half : min((long long)reach + 1, half);
        }
        const long long m = n + 2 * pad;
        long long k = 0;
        keep[0] = 0;
        start[0] = -INFINITY;
        start[1] = INFINITY;
        for (long long q = 1; q < m; ++q) {
            const double fq = (double)row[((q - pad) % n + n) % n];
            double s;
            while (true) {
                const long long r = keep[k];
                const double fr = (double)row[((r - pad) % n + n) % n];
                s = (fq - fr) / (2.0 * c * (double)(q - r)) + 0.5 * (double)(q + r);
                if (s > start[k] || k == 0) break;
                --k;
            }
            if (s > start[k]) {
                ++k;
                start[k] = s;
            }
            keep[k] = q;
            start[k + 1] = INFINITY;
        }
        k = 0;
        for (long long i = 0; i < n; ++i) {
            const double p = (double)(i + pad);
            while (start[k + 1] < p) ++k;
            const long long j = keep[k] - pad;
            const double dist = (double)(i - j);
            out[line * n + i] = (T)((double)row[(j % n + n) % n] + (c * dist) * dist);
            if (with_argmin) argmin[line * n + i] = j;
        }
    }
}
"""
"""CUDA C++ source of the c-transform kernel (self-contained: no includes)."""

CT_MODULE = CudaModule(CT_KERNEL_SOURCE, CT_KERNEL_NAME_EXPRESSIONS)


def c_transform_lines(kernels: KernelCache, lines, c: float, periodic: bool, out, argmin) -> None:
    """Launch the kernel (the CuPy backend's ``_c_transform_lines``) on C-contiguous
    ``(L, n)`` device arrays; ``argmin`` may be ``None``."""
    cupy = kernels.xp
    dtype = np.dtype(lines.dtype)
    c_type(dtype)
    if not is_cupy_array(out):
        raise TypeError(f"out must be a CuPy array for the cupy backend, got {type(out)}")
    n_lines, n = lines.shape
    if n_lines == 0 or n == 0:
        return
    with_argmin = argmin is not None
    if not with_argmin:
        argmin = cupy.empty((1,), dtype=np.int64)
    keep = cupy.empty((n_lines, 2 * n), dtype=np.int64)
    start = cupy.empty((n_lines, 2 * n + 1), dtype=np.float64)
    kernels.launch(
        CT_MODULE,
        CT_KERNEL_NAME,
        dtype,
        n_lines,
        (
            kernels.contiguous(lines),
            out,
            argmin,
            keep,
            start,
            np.int64(n_lines),
            np.int64(n),
            np.float64(c),
            np.int32(bool(periodic)),
            np.int32(with_argmin),
        ),
    )
