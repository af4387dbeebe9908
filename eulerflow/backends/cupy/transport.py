"""CUDA source and launch of the MUSCL-upwind transport update of the CuPy backend.

The transport kernel (:data:`TRANSPORT_KERNEL_SOURCE`) is a CUDA C++ template over ``float`` and
``double``, compiled once per device through :class:`cupy.RawModule` (:mod:`.compile`). It runs
one thread per cell with a grid-stride loop over the cells of the array viewed as
three-dimensional ``(n0, n1, n2)`` (C order, ``n2`` contiguous; 1D and 2D arrays get axes of
length one, which carry no net flux and are skipped), exactly like the Numba backend. Each thread
reads the five cells ``i-2..i+2`` of its stencil along every active axis, computes the three limited
slopes it needs and the fluxes through its two faces, and writes
``out = a rho_n + b rho_k + c L(rho_k)`` for its cell: a stage reads ``rho_n``, ``rho_k`` and the
face velocities and writes ``out`` once (neighbour reads of ``rho_k`` are served by the caches).

The arithmetic is that of :mod:`eulerflow.schemes.muscl` and :mod:`eulerflow.schemes.limiters`,
operation by operation and in the same order, in the precision of the data (``float`` constants
for float32). The module is compiled with ``--fmad=false``: without contraction of multiplications
and additions into FMAs every operation is rounded as in NumPy, so the results agree with the
reference to the last bit (``benchmarks/check_cuda_compiles.py`` checks this by running the same
source on the host), and the flux through a face is bitwise the same for the two cells that share
it (it is computed twice, once by each cell, where the reference computes it once).

Importing this module does not import CuPy.
"""

from __future__ import annotations

import numpy as np

from ..view3d import AXES_IN_3D
from .compile import CudaModule, KernelCache, c_type, check_out

TRANSPORT_KERNEL_NAME = "transport_update_3d"
"""Name of the CUDA function template; instantiated as ``transport_update_3d<float>`` etc."""

TRANSPORT_KERNEL_NAME_EXPRESSIONS = (
    f"{TRANSPORT_KERNEL_NAME}<float>",
    f"{TRANSPORT_KERNEL_NAME}<double>",
)

TRANSPORT_KERNEL_SOURCE = r"""
// eulerflow: fused MUSCL-upwind transport update, see eulerflow/backends/base.py.
//   out = a * rho_n + b * rho_k + c * L(rho_k),
//   L(q)_i = -sum_axes (F_{i+1} - F_i) / h  (an axis of length 1 is skipped),
//   F_j = max(u_j, 0) (q_{j-1} + s_{j-1} / 2) + min(u_j, 0) (q_j - s_j / 2),
//   s_i = limiter(q_i - q_{i-1}, q_{i+1} - q_i), neighbours wrapped (periodic) or clamped (walls),
//   F_0 = F_n = 0 on walls.
// Arrays are C-contiguous and viewed as (n0, n1, n2); face velocities have n_a + 1 along axis a.
// `out` may be the same array as `rho_n` (each thread reads rho_n[cell] before writing out[cell])
// but must not overlap `rho_k` or the velocities, which other threads read.

template <typename T> __device__ __forceinline__ T ef_abs(T x);
template <> __device__ __forceinline__ float ef_abs<float>(float x) { return fabsf(x); }
template <> __device__ __forceinline__ double ef_abs<double>(double x) { return fabs(x); }

template <typename T> __device__ __forceinline__ T ef_min(T x, T y) { return y < x ? y : x; }
template <typename T> __device__ __forceinline__ T ef_max(T x, T y) { return x < y ? y : x; }

// Limited slope of eulerflow/schemes/limiters.py; code 0 none, 1 minmod, 2 vanleer,
// 3 superbee, 4 mc. Zero unless dl and dr have the same strict sign.
template <typename T>
__device__ __forceinline__ T ef_slope(const T dl, const T dr, const int code)
{
    if (code == 0 || !(dl * dr > T(0))) return T(0);
    if (code == 2) return T(2) * dl * dr / (dl + dr);
    const T adl = ef_abs(dl);
    const T adr = ef_abs(dr);
    T mag;
    if (code == 1) {
        mag = ef_min(adl, adr);
    } else if (code == 3) {
        mag = ef_max(ef_min(T(2) * adl, adr), ef_min(adl, T(2) * adr));
    } else {
        mag = ef_min(ef_min(T(2) * adl, T(2) * adr), T(0.5) * ef_abs(dl + dr));
    }
    return dl > T(0) ? mag : -mag;
}

// Upwind flux max(u, 0) (ql + sl / 2) + min(u, 0) (qr - sr / 2).
template <typename T>
__device__ __forceinline__ T ef_flux(const T u, const T ql, const T sl, const T qr, const T sr)
{
    return ef_max(u, T(0)) * (ql + T(0.5) * sl) + ef_min(u, T(0)) * (qr - T(0.5) * sr);
}

// F_{i+1} - F_i along one axis (length n >= 2, element stride `stride`) for the cell at linear
// index `cell` with coordinate i and value q0; u[face] is the velocity through face i of the
// cell, u[face + face_stride] the one through face i + 1.
template <typename T>
__device__ __forceinline__ T ef_flux_difference(
    const T* __restrict__ q, const T* __restrict__ u, const long long cell, const T q0,
    const long long i, const long long n, const long long stride, const long long face,
    const long long face_stride, const int periodic, const int code)
{
    long long im2 = i - 2, im1 = i - 1, ip1 = i + 1, ip2 = i + 2;
    if (periodic) {  // n >= 2, so one wrap is enough
        if (im2 < 0) im2 += n;
        if (im1 < 0) im1 += n;
        if (ip1 >= n) ip1 -= n;
        if (ip2 >= n) ip2 -= n;
    } else {
        if (im2 < 0) im2 = 0;
        if (im1 < 0) im1 = 0;
        if (ip1 > n - 1) ip1 = n - 1;
        if (ip2 > n - 1) ip2 = n - 1;
    }
    const T qm2 = q[cell + (im2 - i) * stride];
    const T qm1 = q[cell + (im1 - i) * stride];
    const T qp1 = q[cell + (ip1 - i) * stride];
    const T qp2 = q[cell + (ip2 - i) * stride];
    const T sm1 = ef_slope(qm1 - qm2, q0 - qm1, code);
    const T s0 = ef_slope(q0 - qm1, qp1 - q0, code);
    const T sp1 = ef_slope(qp1 - q0, qp2 - qp1, code);
    T f_lo = ef_flux(u[face], qm1, sm1, q0, s0);
    T f_hi = ef_flux(u[face + face_stride], q0, s0, qp1, sp1);
    if (!periodic) {
        if (i == 0) f_lo = T(0);
        if (i == n - 1) f_hi = T(0);
    }
    return f_hi - f_lo;
}

template <typename T>
__global__ void transport_update_3d(
    const T* rho_n, const T* __restrict__ rho_k, const T* __restrict__ u0,
    const T* __restrict__ u1, const T* __restrict__ u2, T* out,
    const long long n0, const long long n1, const long long n2,
    const int periodic0, const int periodic1, const int periodic2,
    const T h0, const T h1, const T h2, const int code, const T a, const T b, const T c)
{
    const long long total = n0 * n1 * n2;
    long long cell = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (cell >= total) return;
    const long long step = (long long)gridDim.x * blockDim.x;
    // Coordinates (i0, i1, i2) of the cell and (d0, d1, d2) of the grid stride: divisions once
    // per thread, then additions with carries in the loop.
    long long t = cell / n2;
    long long i2 = cell - t * n2;
    long long i0 = t / n1;
    long long i1 = t - i0 * n1;
    t = step / n2;
    const long long d2 = step - t * n2;
    const long long d0 = t / n1;
    const long long d1 = t - d0 * n1;
    for (; cell < total; cell += step) {
        const T q0 = rho_k[cell];
        T rate = T(0);
        if (n0 > 1) {  // u0 is (n0 + 1, n1, n2): face i0 of the cell has its linear index
            rate -= ef_flux_difference(rho_k, u0, cell, q0, i0, n0, n1 * n2, cell, n1 * n2,
                                       periodic0, code) / h0;
        }
        if (n1 > 1) {  // u1 is (n0, n1 + 1, n2)
            rate -= ef_flux_difference(rho_k, u1, cell, q0, i1, n1, n2, cell + i0 * n2, n2,
                                       periodic1, code) / h1;
        }
        if (n2 > 1) {  // u2 is (n0, n1, n2 + 1)
            rate -= ef_flux_difference(rho_k, u2, cell, q0, i2, n2, 1LL, cell + i0 * n1 + i1,
                                       1LL, periodic2, code) / h2;
        }
        out[cell] = a * rho_n[cell] + b * q0 + c * rate;
        i2 += d2;
        if (i2 >= n2) {
            i2 -= n2;
            ++i1;
        }
        i1 += d1;
        if (i1 >= n1) {
            i1 -= n1;
            ++i0;
        }
        i0 += d0;
    }
}
"""
"""CUDA C++ source of the transport kernel (self-contained: no includes)."""

TRANSPORT_MODULE = CudaModule(TRANSPORT_KERNEL_SOURCE, TRANSPORT_KERNEL_NAME_EXPRESSIONS)


def transport_update(
    kernels: KernelCache, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out
) -> None:
    """Launch the kernel on validated arguments (the CuPy backend's ``_transport_update``).

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
    velocities = [kernels.contiguous(u) for u in velocities]
    for other in (rho_k, *velocities):
        if cupy.may_share_memory(out, other):
            raise ValueError("out must not overlap rho_k or the velocities")
    # out may be rho_n itself; any other layout or partial overlap goes through a temporary.
    direct = out.flags.c_contiguous and (
        out.data.ptr == rho_n.data.ptr or not cupy.may_share_memory(out, rho_n)
    )
    target = out if direct else cupy.empty(rho_k.shape, dtype)

    axes = AXES_IN_3D[rho_k.ndim]
    shape3 = [1, 1, 1]
    periodic3 = [0, 0, 0]
    h3 = [1.0, 1.0, 1.0]
    u3 = [rho_k, rho_k, rho_k]  # never read on axes of length 1
    for axis, target_axis in enumerate(axes):
        shape3[target_axis] = rho_k.shape[axis]
        periodic3[target_axis] = int(periodic[axis])
        h3[target_axis] = spacing[axis]
        u3[target_axis] = velocities[axis]
    n_cells = shape3[0] * shape3[1] * shape3[2]
    scalar = dtype.type
    kernels.launch(
        TRANSPORT_MODULE,
        TRANSPORT_KERNEL_NAME,
        dtype,
        n_cells,
        (
            rho_n,
            rho_k,
            *u3,
            target,
            *(np.int64(n) for n in shape3),
            *(np.int32(p) for p in periodic3),
            *(scalar(h) for h in h3),
            np.int32(code),
            scalar(a),
            scalar(b),
            scalar(c),
        ),
    )
    if not direct:
        out[...] = target
