"""CUDA source and launches of the particle-mesh kernels of the CuPy backend.

Importing this module does not import CuPy. :data:`PARTICLE_KERNEL_SOURCE` is a template over
``float`` and ``double`` compiled with the backend's NVRTC options (``--fmad=false``, so that the
per-particle arithmetic rounds like the NumPy reference of
:mod:`eulerflow.schemes.particle_mesh`). One thread per particle (grid-stride loop):

- ``particle_deposit<T>`` adds ``w_p * ((w_0 * w_1) * w_2)`` to the ``2^d`` (CIC) or one (NGP)
  cells of particle ``p`` with ``atomicAdd`` into a zeroed grid (``atomicAdd`` on ``double``
  needs compute capability 6.0 or newer); the host then divides by the cell volume. The order of
  the atomic additions varies from run to run, so the sums are reproducible to round-off only;
- ``particle_interpolate<T>`` writes ``sum_c W_c(x_p) f_c`` (NaN for outside particles).

Grids of 1 to 3 dimensions are viewed as ``(n0, n1, n2)`` with trailing axes of length one, as in
the Numba kernels.
"""

from __future__ import annotations

import numpy as np

from .compile import CudaModule, KernelCache, c_type

DEPOSIT_KERNEL_NAME = "particle_deposit"
INTERPOLATE_KERNEL_NAME = "particle_interpolate"

PARTICLE_KERNEL_NAME_EXPRESSIONS = (
    f"{DEPOSIT_KERNEL_NAME}<float>",
    f"{DEPOSIT_KERNEL_NAME}<double>",
    f"{INTERPOLATE_KERNEL_NAME}<float>",
    f"{INTERPOLATE_KERNEL_NAME}<double>",
)

PARTICLE_KERNEL_SOURCE = r"""
// eulerflow: particle-mesh deposit and interpolation, see eulerflow/schemes/particle_mesh.py.
// positions: (n, ndim) C-contiguous; grid arrays flat of n0 * n1 * n2 cells (C order).
// Per axis: s = (x - lo) / h; periodic: s -= n floor(s / n), indices wrapped; walls: inside iff
// lo <= x <= hi, indices clamped to [0, n - 1]. ngp: cell floor(s), weight 1; cic: u = s - 1/2,
// i = floor(u), f = u - i, cells i and i + 1 with weights 1 - f and f.

template <typename T> __device__ __forceinline__ T ef_floor(T x);
template <> __device__ __forceinline__ float ef_floor<float>(float x) { return floorf(x); }
template <> __device__ __forceinline__ double ef_floor<double>(double x) { return floor(x); }

template <typename T> __device__ __forceinline__ bool ef_isfinite(T x);
template <> __device__ __forceinline__ bool ef_isfinite<float>(float x) { return isfinite(x); }
template <> __device__ __forceinline__ bool ef_isfinite<double>(double x) { return isfinite(x); }

template <typename T>
struct ef_axis_weights {
    long long i0, i1;
    T w0, w1;
};

// Cells and weights along one axis; false for an outside coordinate.
template <typename T>
__device__ __forceinline__ bool ef_axis(
    const T x, const T lo, const T hi, const T h, const long long n, const T nf,
    const int periodic, const int cic, ef_axis_weights<T>& out)
{
    if (periodic ? !ef_isfinite(x) : !(x >= lo && x <= hi)) return false;
    T s = (x - lo) / h;
    if (periodic) s = s - nf * ef_floor(s / nf);
    if (!cic) {
        long long i = (long long)ef_floor(s);
        if (periodic) {
            if (i < 0) i += n;
            if (i >= n) i -= n;
        } else {
            i = i < 0 ? 0 : (i > n - 1 ? n - 1 : i);
        }
        out.i0 = i; out.i1 = i; out.w0 = T(1); out.w1 = T(0);
        return true;
    }
    const T u = s - T(0.5);
    const T fl = ef_floor(u);
    const T f = u - fl;
    long long i0 = (long long)fl;
    long long i1 = i0 + 1;
    if (periodic) {
        if (i0 < 0) i0 += n;
        if (i0 >= n) i0 -= n;
        if (i1 < 0) i1 += n;
        if (i1 >= n) i1 -= n;
    } else {
        i0 = i0 < 0 ? 0 : (i0 > n - 1 ? n - 1 : i0);
        i1 = i1 < 0 ? 0 : (i1 > n - 1 ? n - 1 : i1);
    }
    out.i0 = i0; out.i1 = i1; out.w0 = T(1) - f; out.w1 = f;
    return true;
}

// The three axes of particle p; inactive axes (a >= ndim) give cell 0 with weight 1.
template <typename T>
__device__ __forceinline__ bool ef_particle(
    const T* __restrict__ pos, const long long p, const int ndim,
    const long long n0, const long long n1, const long long n2,
    const T lo0, const T lo1, const T lo2, const T hi0, const T hi1, const T hi2,
    const T h0, const T h1, const T h2, const int per0, const int per1, const int per2,
    const int cic, ef_axis_weights<T> (&ax)[3])
{
    const long long n[3] = {n0, n1, n2};
    const T lo[3] = {lo0, lo1, lo2};
    const T hi[3] = {hi0, hi1, hi2};
    const T h[3] = {h0, h1, h2};
    const int per[3] = {per0, per1, per2};
    bool inside = true;
    for (int a = 0; a < 3; ++a) {
        if (a < ndim) {
            inside = ef_axis(pos[p * ndim + a], lo[a], hi[a], h[a], n[a], (T)n[a], per[a], cic,
                             ax[a]) && inside;
        } else {
            ax[a].i0 = 0; ax[a].i1 = 0; ax[a].w0 = T(1); ax[a].w1 = T(0);
        }
    }
    return inside;
}

template <typename T>
__global__ void particle_deposit(
    const T* __restrict__ pos, const T* __restrict__ w, T* acc, const long long n_particles,
    const int ndim, const long long n0, const long long n1, const long long n2,
    const T lo0, const T lo1, const T lo2, const T hi0, const T hi1, const T hi2,
    const T h0, const T h1, const T h2, const int per0, const int per1, const int per2,
    const int cic)
{
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < n_particles;
         p += step) {
        ef_axis_weights<T> ax[3];
        if (!ef_particle(pos, p, ndim, n0, n1, n2, lo0, lo1, lo2, hi0, hi1, hi2, h0, h1, h2,
                         per0, per1, per2, cic, ax)) continue;
        const T wp = w[p];
        const int k0 = cic ? 2 : 1;
        const int k1 = (cic && ndim > 1) ? 2 : 1;
        const int k2 = (cic && ndim > 2) ? 2 : 1;
        for (int c0 = 0; c0 < k0; ++c0) {
            const long long i0 = c0 ? ax[0].i1 : ax[0].i0;
            const T f0 = c0 ? ax[0].w1 : ax[0].w0;
            for (int c1 = 0; c1 < k1; ++c1) {
                const long long i1 = c1 ? ax[1].i1 : ax[1].i0;
                const T f01 = ndim > 1 ? f0 * (c1 ? ax[1].w1 : ax[1].w0) : f0;
                for (int c2 = 0; c2 < k2; ++c2) {
                    const long long i2 = c2 ? ax[2].i1 : ax[2].i0;
                    const T f012 = ndim > 2 ? f01 * (c2 ? ax[2].w1 : ax[2].w0) : f01;
                    atomicAdd(acc + (i0 * n1 + i1) * n2 + i2, wp * f012);
                }
            }
        }
    }
}

template <typename T>
__global__ void particle_interpolate(
    const T* __restrict__ values, const T* __restrict__ pos, T* __restrict__ out,
    const long long n_particles, const int ndim,
    const long long n0, const long long n1, const long long n2,
    const T lo0, const T lo1, const T lo2, const T hi0, const T hi1, const T hi2,
    const T h0, const T h1, const T h2, const int per0, const int per1, const int per2,
    const int cic)
{
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < n_particles;
         p += step) {
        ef_axis_weights<T> ax[3];
        if (!ef_particle(pos, p, ndim, n0, n1, n2, lo0, lo1, lo2, hi0, hi1, hi2, h0, h1, h2,
                         per0, per1, per2, cic, ax)) {
            out[p] = T(0) / T(0);  // NaN
            continue;
        }
        const int k0 = cic ? 2 : 1;
        const int k1 = (cic && ndim > 1) ? 2 : 1;
        const int k2 = (cic && ndim > 2) ? 2 : 1;
        T total = T(0);
        for (int c0 = 0; c0 < k0; ++c0) {
            const long long i0 = c0 ? ax[0].i1 : ax[0].i0;
            const T f0 = c0 ? ax[0].w1 : ax[0].w0;
            for (int c1 = 0; c1 < k1; ++c1) {
                const long long i1 = c1 ? ax[1].i1 : ax[1].i0;
                const T f01 = ndim > 1 ? f0 * (c1 ? ax[1].w1 : ax[1].w0) : f0;
                for (int c2 = 0; c2 < k2; ++c2) {
                    const long long i2 = c2 ? ax[2].i1 : ax[2].i0;
                    const T f012 = ndim > 2 ? f01 * (c2 ? ax[2].w1 : ax[2].w0) : f01;
                    total += f012 * values[(i0 * n1 + i1) * n2 + i2];
                }
            }
        }
        out[p] = total;
    }
}
"""
"""CUDA C++ source of the particle kernels (self-contained: no includes)."""


def launch_args(positions, bounds, shape, periodic, code) -> tuple:
    """The geometry arguments shared by both kernels, after the arrays and ``n_particles``:
    ``ndim, n0, n1, n2, lo0..2, hi0..2, h0..2, per0..2, cic`` with the exact C types."""
    scalar = np.dtype(positions.dtype).type
    ndim = len(shape)
    n3, lo3, hi3, h3, per3 = [1, 1, 1], [0.0] * 3, [1.0] * 3, [1.0] * 3, [0, 0, 0]
    for a, (lo, hi) in enumerate(bounds):
        n3[a], lo3[a], hi3[a] = int(shape[a]), lo, hi
        h3[a] = (hi - lo) / shape[a]
        per3[a] = int(periodic[a])
    return (
        np.int32(ndim),
        *(np.int64(n) for n in n3),
        *(scalar(x) for x in lo3),
        *(scalar(x) for x in hi3),
        *(scalar(x) for x in h3),
        *(np.int32(p) for p in per3),
        np.int32(code),
    )


PARTICLE_MODULE = CudaModule(PARTICLE_KERNEL_SOURCE, PARTICLE_KERNEL_NAME_EXPRESSIONS)


def deposit(kernels: KernelCache, positions, weights, bounds, shape, periodic, code):
    """Launch ``particle_deposit`` on validated arguments (the CuPy backend's ``_deposit``).

    NumPy or non-contiguous inputs are copied to contiguous device arrays. Returns the density
    (sums divided by the cell volume) as a CuPy array of ``shape``.
    """
    cupy = kernels.xp
    c_type(positions.dtype)  # float32 or float64, else TypeError
    dtype = np.dtype(positions.dtype)
    pos = kernels.contiguous(positions)
    w = kernels.contiguous(weights)
    size = int(np.prod(shape))
    acc = cupy.zeros(size, dtype=dtype)
    n = int(pos.shape[0])
    if n:
        kernels.launch(
            PARTICLE_MODULE,
            DEPOSIT_KERNEL_NAME,
            dtype,
            n,
            (pos, w, acc, np.int64(n), *launch_args(pos, bounds, shape, periodic, code)),
        )
    volume = float(np.prod([(hi - lo) / m for (lo, hi), m in zip(bounds, shape, strict=True)]))
    return (acc / volume).astype(dtype, copy=False).reshape(tuple(shape))


def interpolate(kernels: KernelCache, values, positions, bounds, periodic, code):
    """Launch ``particle_interpolate`` on validated arguments (the CuPy backend's
    ``_interpolate``); returns a CuPy array of shape ``(n,)``."""
    cupy = kernels.xp
    c_type(positions.dtype)  # float32 or float64, else TypeError
    dtype = np.dtype(positions.dtype)
    pos = kernels.contiguous(positions)
    flat = kernels.contiguous(cupy.asarray(values, dtype=dtype)).reshape(-1)
    n = int(pos.shape[0])
    out = cupy.empty(n, dtype=dtype)
    if n:
        shape = tuple(values.shape)
        kernels.launch(
            PARTICLE_MODULE,
            INTERPOLATE_KERNEL_NAME,
            dtype,
            n,
            (flat, pos, out, np.int64(n), *launch_args(pos, bounds, shape, periodic, code)),
        )
    return out
