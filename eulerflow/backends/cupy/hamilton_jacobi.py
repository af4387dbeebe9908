"""CUDA source and launches of the Hamilton-Jacobi kernels of the CuPy backend (no CuPy import).

Two function templates over ``float`` and ``double``, compiled together in one
:class:`cupy.RawModule` with the options of :data:`.compile.NVRTC_OPTIONS` (``--fmad=false``):

``hj_derivatives_3d<T>``
    ``(D^- phi, D^+ phi)`` of every data axis, written to ``2 ndim`` arrays.
``hj_update_3d<T>``
    ``out = a phi_n + b phi_k - c (Hhat(D^- phi_k, D^+ phi_k) + U)``, fused.

Both run one thread per cell (grid-stride loop) over the array viewed as ``(n0, n1, n2)`` in C
order, the data axes flagged ``active`` (1D data is ``(1, 1, n)``, 2D ``(n0, 1, n1)``, as in the
Numba backend). For each active axis a thread reads the seven values ``i-3 .. i+3`` of its
stencil, building ghost values on the fly (periodic wrap; walls extrapolate linearly,
``phi_0 + m (phi_1 - phi_0)``; an axis of length one repeats the cell, so its differences are
zero), forms the six differences ``D_{i-5/2} .. D_{i+5/2}`` and reconstructs ``D^-`` and ``D^+``.
The arithmetic is that of :mod:`eulerflow.schemes.hj_derivatives` and
:mod:`eulerflow.schemes.hj_fluxes`, operation by operation and in the same order, constants in
the precision of the data (``T(13.0 / 12.0)`` rounds the double as NumPy casts a Python float),
so that without FMA contraction every result is bitwise that of the NumPy reference except where
a general power ``x^e`` (``|p|^q``, ``q`` not 2) is evaluated by the device's ``pow``.
"""

from __future__ import annotations

import numpy as np

from ...schemes.hj_derivatives import WENO_EPS_SCALE, weno_eps_floor
from ..view3d import AXES_IN_3D
from .compile import CudaModule, KernelCache, c_type, check_out

HJ_UPDATE_KERNEL_NAME = "hj_update_3d"
HJ_DERIVATIVES_KERNEL_NAME = "hj_derivatives_3d"

HJ_KERNEL_NAME_EXPRESSIONS = tuple(
    f"{name}<{ctype}>"
    for name in (HJ_UPDATE_KERNEL_NAME, HJ_DERIVATIVES_KERNEL_NAME)
    for ctype in ("float", "double")
)
"""The template instantiations of the module (name expressions for NVRTC)."""

HJ_POW_GENERAL, HJ_POW_SQUARE, HJ_POW_SQRT, HJ_POW_IDENTITY = range(4)
"""Modes of ``x^e``: NumPy evaluates ``array ** 2.0``, ``** 0.5`` and ``** 1.0`` as square,
square root and copy; other exponents with ``pow``."""


def hj_pow_mode(exponent: float) -> int:
    """The ``mode`` argument of the kernels for ``x ** exponent`` (see above)."""
    if exponent == 2.0:
        return HJ_POW_SQUARE
    if exponent == 0.5:
        return HJ_POW_SQRT
    if exponent == 1.0:
        return HJ_POW_IDENTITY
    return HJ_POW_GENERAL


HJ_KERNEL_SOURCE = r"""
// eulerflow: Hamilton-Jacobi one-sided derivatives and fused update, see
// eulerflow/backends/base.py (hj_derivatives, hj_update) and eulerflow/schemes/hj_*.py.
// Arrays are C-contiguous and viewed as (n0, n1, n2). `out` may be the same array as `phi_n`
// (each thread reads phi_n[cell] before writing out[cell]) but must not overlap `phi_k` or the
// potential, which other threads read.

template <typename T> __device__ __forceinline__ T hj_abs(T x);
template <> __device__ __forceinline__ float hj_abs<float>(float x) { return fabsf(x); }
template <> __device__ __forceinline__ double hj_abs<double>(double x) { return fabs(x); }
template <typename T> __device__ __forceinline__ T hj_sqrt(T x);
template <> __device__ __forceinline__ float hj_sqrt<float>(float x) { return sqrtf(x); }
template <> __device__ __forceinline__ double hj_sqrt<double>(double x) { return sqrt(x); }
template <typename T> __device__ __forceinline__ T hj_pow_raw(T x, T e);
template <> __device__ __forceinline__ float hj_pow_raw<float>(float x, float e)
{
    return powf(x, e);
}
template <> __device__ __forceinline__ double hj_pow_raw<double>(double x, double e)
{
    return pow(x, e);
}

// np.minimum / np.maximum: NaN if either argument is NaN.
template <typename T> __device__ __forceinline__ T hj_min(T x, T y)
{
    return (x <= y || x != x) ? x : y;
}
template <typename T> __device__ __forceinline__ T hj_max(T x, T y)
{
    return (x >= y || x != x) ? x : y;
}
template <typename T> __device__ __forceinline__ T hj_sq(T x) { return x * x; }

// x^e with NumPy's fast paths for e = 2, 0.5, 1 (mode 1, 2, 3); mode 0 calls pow.
template <typename T>
__device__ __forceinline__ T hj_pow(const T x, const T e, const int mode)
{
    if (mode == 1) return x * x;
    if (mode == 2) return hj_sqrt(x);
    if (mode == 3) return x;
    return hj_pow_raw(x, e);
}

// WENO5 of Jiang and Peng from five consecutive differences, term by term as in
// hj_derivatives.reconstruct; eps = eps_scale * max(v^2) + eps_floor.
template <typename T>
__device__ __forceinline__ T hj_weno5(const T v1, const T v2, const T v3, const T v4, const T v5,
                                      const T eps_scale, const T eps_floor)
{
    // products with the rounded constants of WENO_CANDIDATE_COEFFICIENTS (no divisions)
    const T third = T(1.0 / 3.0), sixth = T(1.0 / 6.0), five6 = T(5.0 / 6.0);
    const T p1 = v1 * third - v2 * T(7.0 / 6.0) + v3 * T(11.0 / 6.0);
    const T p2 = -(v2 * sixth) + v3 * five6 + v4 * third;
    const T p3 = v3 * third + v4 * five6 - v5 * sixth;
    const T c = T(13.0 / 12.0);
    const T s1 = c * hj_sq((v1 + v3) - T(2) * v2) + T(0.25) * hj_sq(v1 - T(4) * v2 + T(3) * v3);
    const T s2 = c * hj_sq((v2 + v4) - T(2) * v3) + T(0.25) * hj_sq(v2 - v4);
    const T s3 = c * hj_sq((v3 + v5) - T(2) * v4) + T(0.25) * hj_sq(T(3) * v3 - T(4) * v4 + v5);
    const T vmax = hj_max(hj_max(hj_max(v1 * v1, v2 * v2), hj_max(v3 * v3, v4 * v4)), v5 * v5);
    const T eps = eps_scale * vmax + eps_floor;
    const T a1 = T(0.1) / hj_sq(eps + s1);
    const T a2 = T(0.6) / hj_sq(eps + s2);
    const T a3 = T(0.3) / hj_sq(eps + s3);
    return (a1 * p1 + a2 * p2 + a3 * p3) / (a1 + a2 + a3);
}

// R(v1..v5): scheme 0 first order, 1 ENO2, 2 WENO5.
template <typename T>
__device__ __forceinline__ T hj_reconstruct(const T v1, const T v2, const T v3, const T v4,
                                            const T v5, const int scheme, const T eps_scale,
                                            const T eps_floor)
{
    if (scheme == 0) return v3 + T(0) * v1;
    if (scheme == 1) {
        const T left = v3 - v2;
        const T right = v4 - v3;
        return v3 + T(0.5) * (hj_abs(left) <= hj_abs(right) ? left : right);
    }
    return hj_weno5(v1, v2, v3, v4, v5, eps_scale, eps_floor);
}

// D^- and D^+ along one axis (length n, element stride `stride`) at the cell with linear index
// `cell` and coordinate i. Ghosts: periodic wrap; walls phi_0 + m (phi_1 - phi_0) below and
// phi_{n-1} + m (phi_{n-1} - phi_{n-2}) above (m cells beyond the edge); n = 1 repeats the cell.
template <typename T>
__device__ __forceinline__ void hj_axis(
    const T* __restrict__ phi, const long long cell, const long long i, const long long n,
    const long long stride, const int periodic, const T h, const int scheme, const T eps_scale,
    const T eps_floor, T& minus, T& plus)
{
    T g[7];
#pragma unroll
    for (int o = 0; o < 7; ++o) {
        long long j = i + o - 3;
        if (periodic || n == 1) {
            j %= n;
            if (j < 0) j += n;
            g[o] = phi[cell + (j - i) * stride];
        } else if (j < 0) {
            const T first = phi[cell - i * stride];
            g[o] = first + T(j) * (phi[cell + (1 - i) * stride] - first);
        } else if (j > n - 1) {
            const T last = phi[cell + (n - 1 - i) * stride];
            g[o] = last + T(j - (n - 1)) * (last - phi[cell + (n - 2 - i) * stride]);
        } else {
            g[o] = phi[cell + (j - i) * stride];
        }
    }
    T d[6];  // D_{i-5/2} .. D_{i+5/2}
#pragma unroll
    for (int o = 0; o < 6; ++o) d[o] = (g[o + 1] - g[o]) / h;
    minus = hj_reconstruct(d[0], d[1], d[2], d[3], d[4], scheme, eps_scale, eps_floor);
    plus = hj_reconstruct(d[5], d[4], d[3], d[2], d[1], scheme, eps_scale, eps_floor);
}

// Coordinates of a grid-stride loop: divisions once per thread, then additions with carries.
struct hj_walk {
    long long i0, i1, i2, d0, d1, d2;
    __device__ __forceinline__ hj_walk(const long long cell, const long long step,
                                       const long long n1, const long long n2)
    {
        long long t = cell / n2;
        i2 = cell - t * n2;
        i0 = t / n1;
        i1 = t - i0 * n1;
        t = step / n2;
        d2 = step - t * n2;
        d0 = t / n1;
        d1 = t - d0 * n1;
    }
    __device__ __forceinline__ void next(const long long n1, const long long n2)
    {
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
};

// D^- and D^+ of the active (data) axes of the cell into minus[v], plus[v], v the view axis;
// entries of inactive axes are left unset.
template <typename T>
__device__ __forceinline__ void hj_cell_derivatives(
    const T* __restrict__ phi, const long long cell, const hj_walk& w, const long long n0,
    const long long n1, const long long n2, const int active0, const int active1,
    const int active2, const int periodic0, const int periodic1, const int periodic2, const T h0,
    const T h1, const T h2, const int scheme, const T eps_scale, const T eps_floor, T* minus,
    T* plus)
{
    if (active0) {
        hj_axis(phi, cell, w.i0, n0, n1 * n2, periodic0, h0, scheme, eps_scale, eps_floor,
                minus[0], plus[0]);
    }
    if (active1) {
        hj_axis(phi, cell, w.i1, n1, n2, periodic1, h1, scheme, eps_scale, eps_floor, minus[1],
                plus[1]);
    }
    if (active2) {
        hj_axis(phi, cell, w.i2, n2, 1LL, periodic2, h2, scheme, eps_scale, eps_floor, minus[2],
                plus[2]);
    }
}

template <typename T>
__global__ void hj_derivatives_3d(
    const T* __restrict__ phi, T* minus0, T* plus0, T* minus1, T* plus1, T* minus2, T* plus2,
    const long long n0, const long long n1, const long long n2,
    const int active0, const int active1, const int active2,
    const int periodic0, const int periodic1, const int periodic2,
    const T h0, const T h1, const T h2, const int scheme, const T eps_scale, const T eps_floor)
{
    const long long total = n0 * n1 * n2;
    long long cell = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (cell >= total) return;
    const long long step = (long long)gridDim.x * blockDim.x;
    hj_walk w(cell, step, n1, n2);
    for (; cell < total; cell += step) {
        T minus[3], plus[3];
        hj_cell_derivatives(phi, cell, w, n0, n1, n2, active0, active1, active2, periodic0,
                            periodic1, periodic2, h0, h1, h2, scheme, eps_scale, eps_floor, minus,
                            plus);
        if (active0) {
            minus0[cell] = minus[0];
            plus0[cell] = plus[0];
        }
        if (active1) {
            minus1[cell] = minus[1];
            plus1[cell] = plus[1];
        }
        if (active2) {
            minus2[cell] = minus[2];
            plus2[cell] = plus[2];
        }
        w.next(n1, n2);
    }
}

// out = a phi_n + b phi_k - c (Hhat + U), Hhat of eulerflow/schemes/hj_fluxes.py for
// H = |p|^q / q, sums over the active axes in axis order: flux 0 Godunov (q = 2), 1
// Lax-Friedrichs with half_alpha_v = alpha / 2 of view axis v, 2 local Lax-Friedrichs.
// e_norm = q / 2, e_gt = q - 2, e_lt = q - 1 with their pow modes.
template <typename T>
__global__ void hj_update_3d(
    const T* phi_n, const T* __restrict__ phi_k, const T* __restrict__ potential, T* out,
    const long long n0, const long long n1, const long long n2,
    const int active0, const int active1, const int active2,
    const int periodic0, const int periodic1, const int periodic2,
    const T h0, const T h1, const T h2, const int scheme, const int flux,
    const int has_potential, const T q, const T e_norm, const T e_gt, const T e_lt,
    const int q_is_2, const int q_above_2, const int mode_norm, const int mode_gt,
    const int mode_lt, const T half_alpha0, const T half_alpha1, const T half_alpha2,
    const T a, const T b, const T c, const T eps_scale, const T eps_floor)
{
    const long long total = n0 * n1 * n2;
    long long cell = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (cell >= total) return;
    const long long step = (long long)gridDim.x * blockDim.x;
    hj_walk w(cell, step, n1, n2);
    const int active[3] = {active0, active1, active2};
    const T half_alpha[3] = {half_alpha0, half_alpha1, half_alpha2};
    for (; cell < total; cell += step) {
        T minus[3], plus[3];
        hj_cell_derivatives(phi_k, cell, w, n0, n1, n2, active0, active1, active2, periodic0,
                            periodic1, periodic2, h0, h1, h2, scheme, eps_scale, eps_floor, minus,
                            plus);
        T hhat;
        if (flux == 0) {
            T acc = T(0);
            bool first = true;
#pragma unroll
            for (int v = 0; v < 3; ++v) {
                if (!active[v]) continue;
                const T up = hj_sq(hj_max(minus[v], T(0)));
                const T down = hj_sq(hj_min(plus[v], T(0)));
                acc = first ? hj_max(up, down) : acc + hj_max(up, down);
                first = false;
            }
            hhat = T(0.5) * acc;
        } else {
            T norm2 = T(0);
            bool first = true;
#pragma unroll
            for (int v = 0; v < 3; ++v) {
                if (!active[v]) continue;
                const T mean = T(0.5) * (minus[v] + plus[v]);
                norm2 = first ? mean * mean : norm2 + mean * mean;
                first = false;
            }
            hhat = q_is_2 ? T(0.5) * norm2 : hj_pow(norm2, e_norm, mode_norm) / q;
            if (flux == 1) {
#pragma unroll
                for (int v = 0; v < 3; ++v) {
                    if (active[v]) hhat = hhat - half_alpha[v] * (plus[v] - minus[v]);
                }
            } else {
                T big[3];
                T norm = T(0);
                first = true;
#pragma unroll
                for (int v = 0; v < 3; ++v) {
                    if (!active[v]) continue;
                    big[v] = hj_max(hj_abs(minus[v]), hj_abs(plus[v]));
                    norm = first ? big[v] * big[v] : norm + big[v] * big[v];
                    first = false;
                }
                norm = hj_sqrt(norm);
#pragma unroll
                for (int v = 0; v < 3; ++v) {
                    if (!active[v]) continue;
                    T alpha;
                    if (q_is_2) {
                        alpha = big[v];
                    } else if (q_above_2) {
                        alpha = big[v] * hj_pow(norm, e_gt, mode_gt);
                    } else {
                        alpha = hj_pow(norm, e_lt, mode_lt) + T(0) * big[v];
                    }
                    hhat = hhat - T(0.5) * alpha * (plus[v] - minus[v]);
                }
            }
        }
        if (has_potential) hhat = hhat + potential[cell];
        out[cell] = a * phi_n[cell] + b * phi_k[cell] - c * hhat;
        w.next(n1, n2);
    }
}
"""
"""CUDA C++ source of the Hamilton-Jacobi kernels (self-contained: no includes)."""

HJ_MODULE = CudaModule(HJ_KERNEL_SOURCE, HJ_KERNEL_NAME_EXPRESSIONS)


def _view(phi, spacing, periodic):
    """``(dtype, axes, shape3, active3, periodic3, h3)`` of the ``(n0, n1, n2)`` view."""
    dtype = np.dtype(phi.dtype)
    c_type(dtype)  # float32 or float64, else TypeError
    axes = AXES_IN_3D[phi.ndim]
    shape3, active3, periodic3, h3 = [1, 1, 1], [0, 0, 0], [0, 0, 0], [1.0, 1.0, 1.0]
    for axis, target in enumerate(axes):
        shape3[target] = phi.shape[axis]
        active3[target] = 1
        periodic3[target] = int(periodic[axis])
        h3[target] = spacing[axis]
    return dtype, axes, shape3, active3, periodic3, h3


def _geometry_args(dtype, shape3, active3, periodic3, h3):
    scalar = dtype.type
    return (
        *(np.int64(n) for n in shape3),
        *(np.int32(x) for x in active3),
        *(np.int32(x) for x in periodic3),
        *(scalar(h) for h in h3),
    )


def hj_derivatives(kernels: KernelCache, phi, spacing, periodic, scheme_code):
    """Launch ``hj_derivatives_3d`` on validated arguments (the CuPy backend's
    ``_hj_derivatives``); returns ``(minus, plus)``, one CuPy array per axis each."""
    cupy = kernels.xp
    dtype, axes, shape3, active3, periodic3, h3 = _view(phi, spacing, periodic)
    phi = kernels.contiguous(phi)
    minus = [cupy.empty(phi.shape, dtype) for _ in axes]
    plus = [cupy.empty(phi.shape, dtype) for _ in axes]
    outputs = [minus[0], plus[0]] * 3  # never written on inactive axes
    for axis, target in enumerate(axes):
        outputs[2 * target] = minus[axis]
        outputs[2 * target + 1] = plus[axis]
    scalar = dtype.type
    kernels.launch(
        HJ_MODULE,
        HJ_DERIVATIVES_KERNEL_NAME,
        dtype,
        int(phi.size),
        (
            phi,
            *outputs,
            *_geometry_args(dtype, shape3, active3, periodic3, h3),
            np.int32(scheme_code),
            scalar(WENO_EPS_SCALE),
            scalar(weno_eps_floor(dtype)),
        ),
    )
    return tuple(minus), tuple(plus)


def hj_update(
    kernels: KernelCache,
    phi_n,
    phi_k,
    spacing,
    periodic,
    scheme_code,
    flux_code,
    power,
    potential,
    alphas,
    a,
    b,
    c,
    out,
) -> None:
    """Launch ``hj_update_3d`` on validated arguments (the CuPy backend's ``_hj_update``); ``out``
    may be ``phi_n``."""
    cupy = kernels.xp
    dtype, axes, shape3, active3, periodic3, h3 = _view(phi_k, spacing, periodic)
    check_out(out, phi_k.shape, dtype)
    same = phi_n is phi_k
    phi_k = kernels.contiguous(phi_k)
    phi_n = phi_k if same else kernels.contiguous(phi_n)
    has_potential = potential is not None
    potential = kernels.contiguous(potential) if has_potential else phi_k
    for other in (phi_k, potential):
        if cupy.may_share_memory(out, other):
            raise ValueError("out must not overlap phi_k or the potential")
    # out may be phi_n itself; any other layout or partial overlap goes through a temporary.
    direct = out.flags.c_contiguous and (
        out.data.ptr == phi_n.data.ptr or not cupy.may_share_memory(out, phi_n)
    )
    target = out if direct else cupy.empty(phi_k.shape, dtype)
    scalar = dtype.type
    q = float(power)
    half_alphas = [0.0, 0.0, 0.0]
    for axis, view_axis in enumerate(axes):
        half_alphas[view_axis] = 0.5 * alphas[axis]
    kernels.launch(
        HJ_MODULE,
        HJ_UPDATE_KERNEL_NAME,
        dtype,
        int(phi_k.size),
        (
            phi_n,
            phi_k,
            potential,
            target,
            *_geometry_args(dtype, shape3, active3, periodic3, h3),
            np.int32(scheme_code),
            np.int32(flux_code),
            np.int32(has_potential),
            scalar(q),
            scalar(0.5 * q),
            scalar(q - 2),
            scalar(q - 1),
            np.int32(q == 2.0),
            np.int32(q > 2.0),
            np.int32(hj_pow_mode(0.5 * q)),
            np.int32(hj_pow_mode(q - 2)),
            np.int32(hj_pow_mode(q - 1)),
            *(scalar(x) for x in half_alphas),
            scalar(a),
            scalar(b),
            scalar(c),
            scalar(WENO_EPS_SCALE),
            scalar(weno_eps_floor(dtype)),
        ),
    )
    if not direct:
        out[...] = target
