"""CUDA source and launch of the Scharfetter-Gummel Fokker-Planck update of the CuPy backend.

No CuPy import here: :data:`FP_KERNEL_SOURCE` is compiled with NVRTC on first use (through
``cupy.RawModule`` and :mod:`.compile`: ``--fmad=false``, so that every operation rounds as in
NumPy).

One thread per cell (grid-stride loop) over the array viewed as ``(n0, n1, n2)`` (C order,
``n2`` contiguous; 1D data as ``(1, 1, n)``, 2D as ``(n0, 1, n1)``, axes of length one skipped).
Each thread reads its two neighbours and the weights ``f, g`` of its two faces along every
active axis and writes ``out = a rho_n + b rho_k + c L(rho_k)``, with
``L(q)_i = -sum_a (F_{a,i+1} - F_{a,i}) / h_a`` and ``F_j = f_j q_{j-1} - g_j q_j``
(:mod:`eulerflow.schemes.scharfetter_gummel`), ``F = 0`` through walls.
"""

from __future__ import annotations

import numpy as np

from ..view3d import AXES_IN_3D
from .compile import CudaModule, KernelCache, c_type, check_out

FP_KERNEL_NAME = "fokker_planck_update_3d"
"""Name of the CUDA function template; instantiated as ``fokker_planck_update_3d<float>`` etc."""

FP_KERNEL_NAME_EXPRESSIONS = (f"{FP_KERNEL_NAME}<float>", f"{FP_KERNEL_NAME}<double>")

FP_KERNEL_SOURCE = r"""
// eulerflow: fused Scharfetter-Gummel Fokker-Planck update, see eulerflow/backends/base.py.
//   out = a * rho_n + b * rho_k + c * L(rho_k),
//   L(q)_i = -sum_axes (F_{i+1} - F_i) / h  (an axis of length 1 is skipped),
//   F_j = f_j q_{j-1} - g_j q_j, neighbours wrapped (periodic), F_0 = F_n = 0 on walls.
// Arrays are C-contiguous and viewed as (n0, n1, n2); face weights have n_a + 1 along axis a.
// `out` may be the same array as `rho_n` (each thread reads rho_n[cell] before writing
// out[cell]) but must not overlap `rho_k` or the weights, which other threads read.

// F_{i+1} - F_i along one axis (length n >= 2, element stride `stride`) for the cell at linear
// index `cell` with coordinate i and value q0; f[face], g[face] are the weights of face i of the
// cell, f[face + face_stride], g[face + face_stride] those of face i + 1.
template <typename T>
__device__ __forceinline__ T fp_flux_difference(
    const T* __restrict__ q, const T* __restrict__ f, const T* __restrict__ g,
    const long long cell, const T q0, const long long i, const long long n,
    const long long stride, const long long face, const long long face_stride,
    const int periodic)
{
    long long im1 = i - 1, ip1 = i + 1;
    if (periodic) {
        if (im1 < 0) im1 += n;
        if (ip1 >= n) ip1 -= n;
    }
    T f_lo = T(0);
    T f_hi = T(0);
    if (periodic || i > 0) {
        f_lo = f[face] * q[cell + (im1 - i) * stride] - g[face] * q0;
    }
    if (periodic || i < n - 1) {
        const long long up = face + face_stride;
        f_hi = f[up] * q0 - g[up] * q[cell + (ip1 - i) * stride];
    }
    return f_hi - f_lo;
}

template <typename T>
__global__ void fokker_planck_update_3d(
    const T* rho_n, const T* __restrict__ rho_k,
    const T* __restrict__ f0, const T* __restrict__ g0,
    const T* __restrict__ f1, const T* __restrict__ g1,
    const T* __restrict__ f2, const T* __restrict__ g2, T* out,
    const long long n0, const long long n1, const long long n2,
    const int periodic0, const int periodic1, const int periodic2,
    const T ih0, const T ih1, const T ih2, const T a, const T b, const T c)
{
    const long long total = n0 * n1 * n2;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long cell = (long long)blockIdx.x * blockDim.x + threadIdx.x; cell < total;
         cell += step) {
        const long long t = cell / n2;
        const long long i2 = cell - t * n2;
        const long long i0 = t / n1;
        const long long i1 = t - i0 * n1;
        const T q0 = rho_k[cell];
        T acc = T(0);
        if (n2 > 1) {  // f2, g2 are (n0, n1, n2 + 1)
            acc -= fp_flux_difference(rho_k, f2, g2, cell, q0, i2, n2, 1LL,
                                      cell + i0 * n1 + i1, 1LL, periodic2) * ih2;
        }
        if (n1 > 1) {  // f1, g1 are (n0, n1 + 1, n2)
            acc -= fp_flux_difference(rho_k, f1, g1, cell, q0, i1, n1, n2, cell + i0 * n2,
                                      n2, periodic1) * ih1;
        }
        if (n0 > 1) {  // f0, g0 are (n0 + 1, n1, n2): face i0 of the cell has its linear index
            acc -= fp_flux_difference(rho_k, f0, g0, cell, q0, i0, n0, n1 * n2, cell,
                                      n1 * n2, periodic0) * ih0;
        }
        out[cell] = a * rho_n[cell] + b * q0 + c * acc;
    }
}
"""
"""CUDA C++ source of the Fokker-Planck kernel (self-contained: no includes)."""

FP_MODULE = CudaModule(FP_KERNEL_SOURCE, FP_KERNEL_NAME_EXPRESSIONS)


def fokker_planck_update(
    kernels: KernelCache, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
) -> None:
    """Launch the kernel on validated arguments (the CuPy backend's ``_fokker_planck_update``).

    Inputs that are NumPy arrays or non-contiguous are copied to contiguous device arrays;
    ``out`` may be ``rho_n``.
    """
    cupy = kernels.xp
    dtype = np.dtype(rho_k.dtype)
    c_type(dtype)  # float32 or float64, else TypeError
    check_out(out, rho_k.shape, dtype)
    same = rho_n is rho_k
    rho_k = kernels.contiguous(rho_k)
    rho_n = rho_k if same else kernels.contiguous(rho_n)
    forwards = [kernels.contiguous(w) for w in forwards]
    backwards = [kernels.contiguous(w) for w in backwards]
    for other in (rho_k, *forwards, *backwards):
        if cupy.may_share_memory(out, other):
            raise ValueError("out must not overlap rho_k or the face weights")
    direct = out.flags.c_contiguous and (
        out.data.ptr == rho_n.data.ptr or not cupy.may_share_memory(out, rho_n)
    )
    target = out if direct else cupy.empty(rho_k.shape, dtype)
    shape3, periodic3, inv_h3 = [1, 1, 1], [0, 0, 0], [1.0, 1.0, 1.0]
    weights = [rho_k] * 6  # never read on axes of length one
    for axis, view_axis in enumerate(AXES_IN_3D[rho_k.ndim]):
        shape3[view_axis] = rho_k.shape[axis]
        periodic3[view_axis] = int(periodic[axis])
        inv_h3[view_axis] = 1.0 / spacing[axis]
        weights[2 * view_axis] = forwards[axis]
        weights[2 * view_axis + 1] = backwards[axis]
    n_cells = shape3[0] * shape3[1] * shape3[2]
    scalar = dtype.type
    kernels.launch(
        FP_MODULE,
        FP_KERNEL_NAME,
        dtype,
        n_cells,
        (
            rho_n,
            rho_k,
            *weights,
            target,
            *(np.int64(n) for n in shape3),
            *(np.int32(p) for p in periodic3),
            *(scalar(x) for x in inv_h3),
            scalar(a),
            scalar(b),
            scalar(c),
        ),
    )
    if not direct:
        out[...] = target
