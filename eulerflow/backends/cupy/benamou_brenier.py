"""CUDA source and launches and launch helpers of the Benamou-Brenier kernels of the CuPy backend.

Importing this module does not import CuPy. :data:`BB_KERNEL_SOURCE` holds five function
templates over ``float`` and ``double``, compiled together in one :class:`cupy.RawModule` with the
backend's NVRTC options (``--fmad=false``) on first use. Each runs one thread per output element
(grid-stride loop over the flat C-order index) and does the arithmetic of the NumPy reference
:mod:`eulerflow.schemes.staggered` operation by operation and in the same order, with constants in
the precision of the data, so that without FMA contraction the results round like NumPy's:

``bb_face_average<T>``
    ``out[a, i, b] = (x[a, i, b] + x[a, i + 1, b]) * half`` on the ``(A, n + 1, B)`` view of an
    array along one axis (time or space): the interpolation to the cell centres.
``bb_face_average_adjoint<T>``
    Its transpose ``(A, n, B) -> (A, n + 1, B)``: ``(x[i - 1] + x[i]) * half`` inside, the one
    neighbour times ``half`` on the end faces, ``(x[0] + x[n - 1]) * half`` on both copies of a
    periodic face.
``bb_face_difference<T>``
    ``(p[i] - p[i - 1]) * scale`` on the inner faces, 0 (walls, boundary time faces) or the
    wrapped difference (periodic) on the end faces: the gradient, ``scale = N`` in time and
    ``1 / h`` in space.
``bb_divergence<T>``
    ``(rho[k + 1] - rho[k]) * N + sum_a (m_a[i + 1] - m_a[i]) * (1 / h_a)`` on the
    ``(N, n0, n1, n2)`` view with right-aligned spatial axes (inactive axes skipped), fused.
``bb_prox<T>``
    The pointwise proximal map of ``gamma |m|^2 / (2 rho)`` (:func:`.staggered.prox_kinetic` and
    :func:`.staggered.largest_cubic_root`): Cardano or the trigonometric form, the bracket, two
    Newton steps, ``rho*`` and ``m* = (rho* / s*) m_c``. Only the transcendental functions
    (``cbrt``, ``sqrt`` is exact, ``acos``, ``cos``, ``pow``) are the device's, within a few ulp
    of libm; ``out`` may be the input arrays.

The Poisson solve needs no kernel of its own: the reference :func:`.staggered.poisson` runs on
CuPy arrays through ``cupyx.scipy.fft`` (``dctn``/``rfftn`` and their inverses) and one
elementwise multiplication by the cached inverse eigenvalues; so does the solve with a free
terminal face, :func:`.staggered_free_end.poisson_free_end`.
"""

from __future__ import annotations

import numpy as np

from ...schemes import staggered, staggered_free_end
from .compile import NVRTC_OPTIONS, CudaModule, KernelCache

BB_KERNEL_NAMES = (
    "bb_face_average",
    "bb_face_average_adjoint",
    "bb_face_difference",
    "bb_divergence",
    "bb_prox",
)

BB_KERNEL_NAME_EXPRESSIONS = tuple(
    f"{name}<{ctype}>" for name in BB_KERNEL_NAMES for ctype in ("float", "double")
)
"""The template instantiations of the module (name expressions for NVRTC)."""

BB_KERNEL_SOURCE = r"""
// eulerflow: Benamou-Brenier staggered space-time kernels, see eulerflow/schemes/staggered.py.
// All arrays are C-contiguous; every kernel is a grid-stride loop over its output elements.

template <typename T> __device__ __forceinline__ T bb_sqrt(T x);
template <> __device__ __forceinline__ float bb_sqrt<float>(float x) { return sqrtf(x); }
template <> __device__ __forceinline__ double bb_sqrt<double>(double x) { return sqrt(x); }
template <typename T> __device__ __forceinline__ T bb_cbrt(T x);
template <> __device__ __forceinline__ float bb_cbrt<float>(float x) { return cbrtf(x); }
template <> __device__ __forceinline__ double bb_cbrt<double>(double x) { return cbrt(x); }
template <typename T> __device__ __forceinline__ T bb_cos(T x);
template <> __device__ __forceinline__ float bb_cos<float>(float x) { return cosf(x); }
template <> __device__ __forceinline__ double bb_cos<double>(double x) { return cos(x); }
template <typename T> __device__ __forceinline__ T bb_acos(T x);
template <> __device__ __forceinline__ float bb_acos<float>(float x) { return acosf(x); }
template <> __device__ __forceinline__ double bb_acos<double>(double x) { return acos(x); }
template <typename T> __device__ __forceinline__ T bb_pow(T x, T e);
template <> __device__ __forceinline__ float bb_pow<float>(float x, float e) { return powf(x, e); }
template <> __device__ __forceinline__ double bb_pow<double>(double x, double e)
{
    return pow(x, e);
}
template <typename T> __device__ __forceinline__ T bb_abs(T x) { return x < T(0) ? -x : x; }
template <typename T> __device__ __forceinline__ T bb_inf();
template <> __device__ __forceinline__ float bb_inf<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double bb_inf<double>()
{
    return __longlong_as_double(0x7ff0000000000000LL);
}
// np.minimum / np.maximum: NaN if either argument is NaN.
template <typename T> __device__ __forceinline__ T bb_min(T x, T y)
{
    return (x <= y || x != x) ? x : y;
}
template <typename T> __device__ __forceinline__ T bb_max(T x, T y)
{
    return (x >= y || x != x) ? x : y;
}

// out (A, n, B) = (x[:, i] + x[:, i + 1]) * half, x (A, n + 1, B).
template <typename T>
__global__ void bb_face_average(const T* __restrict__ x, T* __restrict__ out, const long long A,
                                const long long n, const long long B, const T half)
{
    const long long total = A * n * B;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += step) {
        const long long b = idx % B;
        const long long row = idx / B;  // a * n + i
        const long long i = row % n;
        const long long a = row / n;
        const long long src = (a * (n + 1) + i) * B + b;
        out[idx] = (x[src] + x[src + B]) * half;
    }
}

// out (A, n + 1, B) = transpose of bb_face_average applied to x (A, n, B).
template <typename T>
__global__ void bb_face_average_adjoint(const T* __restrict__ x, T* __restrict__ out,
                                        const long long A, const long long n,
                                        const long long B, const int periodic, const T half)
{
    const long long total = A * (n + 1) * B;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += step) {
        const long long b = idx % B;
        const long long row = idx / B;  // a * (n + 1) + i
        const long long i = row % (n + 1);
        const long long a = row / (n + 1);
        const long long base = a * n * B + b;  // x[a, 0, b]
        T value;
        if (i == 0 || i == n) {
            const T first = x[base];
            const T last = x[base + (n - 1) * B];
            if (periodic) {
                value = (first + last) * half;
            } else {
                value = (i == 0 ? first : last) * half;
            }
        } else {
            value = (x[base + (i - 1) * B] + x[base + i * B]) * half;
        }
        out[idx] = value;
    }
}

// out (A, n + 1, B): (p[:, i] - p[:, i - 1]) * scale on the inner faces; the end faces get
// (p[:, 0] - p[:, n - 1]) * scale when periodic, else 0. p (A, n, B).
template <typename T>
__global__ void bb_face_difference(const T* __restrict__ p, T* __restrict__ out,
                                   const long long A, const long long n, const long long B,
                                   const int periodic, const T scale)
{
    const long long total = A * (n + 1) * B;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += step) {
        const long long b = idx % B;
        const long long row = idx / B;
        const long long i = row % (n + 1);
        const long long a = row / (n + 1);
        const long long base = a * n * B + b;
        T value;
        if (i == 0 || i == n) {
            value = periodic ? (p[base] - p[base + (n - 1) * B]) * scale : T(0);
        } else {
            value = (p[base + i * B] - p[base + (i - 1) * B]) * scale;
        }
        out[idx] = value;
    }
}

// out (N, n0, n1, n2) = (rho[k + 1] - rho[k]) * n_time + sum over active view axes v of
// (m_v[.., i_v + 1, ..] - m_v[.., i_v, ..]) * inv_h_v; m_v has one more entry along axis v.
template <typename T>
__global__ void bb_divergence(const T* __restrict__ rho, const T* __restrict__ m0,
                              const T* __restrict__ m1, const T* __restrict__ m2,
                              T* __restrict__ out, const long long N, const long long n0,
                              const long long n1, const long long n2, const int act0,
                              const int act1, const int act2, const T n_time, const T inv_h0,
                              const T inv_h1, const T inv_h2)
{
    const long long plane = n0 * n1 * n2;
    const long long total = N * plane;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += step) {
        const long long i2 = idx % n2;
        long long t = idx / n2;
        const long long i1 = t % n1;
        t /= n1;
        const long long i0 = t % n0;
        const long long k = t / n0;
        T value = (rho[idx + plane] - rho[idx]) * n_time;
        if (act0) {  // m0 is (N, n0 + 1, n1, n2)
            const long long f = ((k * (n0 + 1) + i0) * n1 + i1) * n2 + i2;
            value += (m0[f + n1 * n2] - m0[f]) * inv_h0;
        }
        if (act1) {  // m1 is (N, n0, n1 + 1, n2)
            const long long f = ((k * n0 + i0) * (n1 + 1) + i1) * n2 + i2;
            value += (m1[f + n2] - m1[f]) * inv_h1;
        }
        if (act2) {  // m2 is (N, n0, n1, n2 + 1)
            const long long f = ((k * n0 + i0) * n1 + i1) * (n2 + 1) + i2;
            value += (m2[f + 1] - m2[f]) * inv_h2;
        }
        out[idx] = value;
    }
}

// Largest root s of s^2 (s - a) - c, c > 0: staggered.largest_cubic_root.
template <typename T>
__device__ __forceinline__ T bb_cubic_root(const T a, const T c)
{
    const T one = T(1), zero = T(0), two = T(2), three = T(3);
    const T big_a = a * a * a / T(27);
    const T quarter = big_a + c / T(4);
    const T abs_a = bb_abs(a);
    const T abs_a_safe = abs_a > zero ? abs_a : one;
    T s;
    if (quarter > zero) {  // one real root: Cardano without cancellation
        const T u = bb_cbrt(big_a + c / two + bb_sqrt(c * quarter));
        const T u_safe = u > zero ? u : one;
        s = a / three + u + a * a / (T(9) * u_safe);
    } else {  // three real roots (a < 0): trigonometric form
        T cos_theta = -one + T(13.5) * c / bb_pow(abs_a_safe, three);
        cos_theta = bb_min(bb_max(cos_theta, -one), one);
        s = abs_a / three * (two * bb_cos(bb_acos(cos_theta) / three) - one);
        if (!(s >= T(0.01) * abs_a)) {  // cancellation: one fixed-point step from sqrt(c / |a|)
            s = bb_sqrt(c / (abs_a_safe + bb_sqrt(c / abs_a_safe)));
        }
    }
    const T cbrt_c = bb_cbrt(c);
    T lo, hi;
    if (a > zero) {
        lo = bb_max(a, cbrt_c);
        hi = a + bb_min(cbrt_c, c / (a * a));
    } else {
        const T root_neg = abs_a > zero ? bb_sqrt(c / abs_a_safe) : bb_inf<T>();
        lo = bb_min(bb_cbrt(c / two), root_neg / T(1.4142135623730951));
        hi = bb_min(cbrt_c, root_neg);
    }
    s = bb_min(bb_max(s, lo), hi);
    for (int it = 0; it < 2; ++it) {
        s = s - (s * s * (s - a) - c) / (s * (three * s - two * a));
    }
    return s;
}

// Pointwise prox of gamma |m|^2 / (2 rho): staggered.prox_kinetic. half_g = T(0.5) * gamma.
// The outputs may be the inputs (each thread reads its point before writing it).
template <typename T>
__global__ void bb_prox(const T* rho_c, const T* m0, const T* m1, const T* m2, T* rho_out, T* o0,
                        T* o1, T* o2, const long long n, const int ndim, const T g,
                        const T half_g)
{
    const T zero = T(0), one = T(1), two = T(2);
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
        const T rc = rho_c[i];
        const T x0 = m0[i];
        const T x1 = ndim > 1 ? m1[i] : zero;
        const T x2 = ndim > 2 ? m2[i] : zero;
        T msq = x0 * x0;
        if (ndim > 1) msq += x1 * x1;
        if (ndim > 2) msq += x2 * x2;
        const T a = rc + g;
        const T c = msq * half_g;
        T s;
        if (c > zero) {
            s = bb_cubic_root(a, c);
        } else {
            s = bb_max(a, zero);
        }
        const T s_safe = s > zero ? s : one;
        T rho = rc >= zero ? rc + c / (s_safe * s_safe) : s - g;
        if (rc < zero && rho > zero) {  // one Newton step in r itself
            const T below = rc - rho;
            const T shifted = rho + g;
            T derivative = shifted * (shifted - two * below);
            derivative = derivative > zero ? derivative : one;
            rho = rho - (-below * shifted * shifted - c) / derivative;
        }
        rho = rho > zero ? rho : zero;
        const T scale = rho / s_safe;
        rho_out[i] = rho;
        o0[i] = scale * x0;
        if (ndim > 1) o1[i] = scale * x1;
        if (ndim > 2) o2[i] = scale * x2;
    }
}
"""
"""CUDA C++ source of the Benamou-Brenier kernels (self-contained: no includes)."""

BB_MODULE = CudaModule(BB_KERNEL_SOURCE, BB_KERNEL_NAME_EXPRESSIONS)


def _split(shape, axis):
    before = int(np.prod(shape[:axis], dtype=np.int64))
    after = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    return before, after


def _along(kernels: KernelCache, name, x, axis, out, *scalars) -> None:
    """Launch a one-axis kernel on the ``(A, n, B)`` view of ``x`` along ``axis``."""
    x = kernels.contiguous(x)
    before, after = _split(tuple(x.shape), axis)
    n = int(min(x.shape[axis], out.shape[axis]))  # the cell count along the axis
    args = (x, out, np.int64(before), np.int64(n), np.int64(after), *scalars)
    kernels.launch(BB_MODULE, name, x.dtype, int(out.size), args)


def interpolate(kernels: KernelCache, rho_s, m_s, out) -> None:
    """``_bb_interpolate`` of :class:`.CupyBackend`."""
    rho_c, m_c = out
    half = np.dtype(rho_s.dtype).type(0.5)
    _along(kernels, "bb_face_average", rho_s, 0, rho_c, half)
    for a, (m, mc) in enumerate(zip(m_s, m_c, strict=True)):
        _along(kernels, "bb_face_average", m, a + 1, mc, half)


def interpolate_adjoint(kernels: KernelCache, rho_c, m_c, periodic, out) -> None:
    """``_bb_interpolate_adjoint`` of :class:`.CupyBackend`."""
    rho_s, m_s = out
    half = np.dtype(rho_c.dtype).type(0.5)
    _along(kernels, "bb_face_average_adjoint", rho_c, 0, rho_s, np.int32(0), half)
    for a, (mc, m) in enumerate(zip(m_c, m_s, strict=True)):
        per = np.int32(bool(periodic[a]))
        _along(kernels, "bb_face_average_adjoint", mc, a + 1, m, per, half)


def gradient(kernels: KernelCache, p, spacing, periodic, out) -> None:
    """``_bb_gradient`` of :class:`.CupyBackend`."""
    g_rho, g_m = out
    scalar = np.dtype(p.dtype).type
    n_time = int(p.shape[0])
    _along(kernels, "bb_face_difference", p, 0, g_rho, np.int32(0), scalar(n_time))
    for a, g in enumerate(g_m):
        per = np.int32(bool(periodic[a]))
        _along(kernels, "bb_face_difference", p, a + 1, g, per, scalar(1.0 / spacing[a]))


def gradient_add(kernels: KernelCache, p, spacing, periodic, out) -> None:
    """``_bb_gradient_add`` of :class:`.CupyBackend`: the reference on device arrays (sliced
    differences added in place)."""
    staggered.gradient_add(kernels.contiguous(p), spacing, periodic, out)


def gradient_reflect(kernels: KernelCache, p, spacing, periodic, base, out, reflect) -> None:
    """``_bb_gradient_reflect`` of :class:`.CupyBackend`: the copy of ``base`` and
    :func:`gradient_add`, then :func:`reflect_pairs`."""
    for dst, src in zip((out[0], *out[1]), (base[0], *base[1]), strict=True):
        dst[...] = src
    gradient_add(kernels, p, spacing, periodic, out)
    reflect_pairs(kernels, out, base, reflect)


def reflect_pairs(kernels: KernelCache, x, z, out) -> None:
    """``out = 2 x - z`` for ``(rho, m)`` pairs, one elementwise reflection kernel per array."""
    kernel = _update_kernels(kernels)["reflect"]
    for xa, za, oa in zip((x[0], *x[1]), (z[0], *z[1]), (out[0], *out[1]), strict=True):
        kernel(xa, kernels.contiguous(za), oa)


def divergence(kernels: KernelCache, rho_s, m_s, spacing, out) -> None:
    """``_bb_divergence`` of :class:`.CupyBackend` (the fused kernel on the 4D view)."""
    rho_s = kernels.contiguous(rho_s)
    scalar = np.dtype(rho_s.dtype).type
    n_time = int(rho_s.shape[0]) - 1
    space = tuple(int(n) for n in rho_s.shape[1:])
    ndim = len(space)
    shape3 = [1, 1, 1]
    active = [0, 0, 0]
    inv_h = [scalar(1), scalar(1), scalar(1)]
    m3 = [rho_s, rho_s, rho_s]  # never read on inactive axes
    for a in range(ndim):
        v = 3 - ndim + a  # spatial axes right-aligned
        shape3[v] = space[a]
        active[v] = 1
        inv_h[v] = scalar(1.0 / spacing[a])
        m3[v] = kernels.contiguous(m_s[a])
    args = (
        rho_s,
        *m3,
        out,
        np.int64(n_time),
        *(np.int64(n) for n in shape3),
        *(np.int32(x) for x in active),
        scalar(n_time),
        *inv_h,
    )
    kernels.launch(BB_MODULE, "bb_divergence", rho_s.dtype, int(out.size), args)


def prox(kernels: KernelCache, rho_c, m_c, gamma, out) -> None:
    """``_bb_prox`` of :class:`.CupyBackend` (``out`` may be the inputs)."""
    rho_out, m_out = out
    scalar = np.dtype(rho_c.dtype).type
    ndim = len(m_c)
    same = [x is y for x, y in zip((rho_c, *m_c), (rho_out, *m_out), strict=True)]
    rho_c = rho_c if same[0] else kernels.contiguous(rho_c)
    m_c = [m if s else kernels.contiguous(m) for m, s in zip(m_c, same[1:], strict=True)]
    pad_in = list(m_c) + [m_c[0]] * (3 - ndim)
    pad_out = list(m_out) + [m_out[0]] * (3 - ndim)
    g = scalar(gamma)
    args = (
        rho_c,
        *pad_in,
        rho_out,
        *pad_out,
        np.int64(rho_out.size),
        np.int32(ndim),
        g,
        scalar(0.5) * g,
    )
    kernels.launch(BB_MODULE, "bb_prox", rho_out.dtype, int(rho_out.size), args)


def poisson(kernels: KernelCache, fft, f, spacing, periodic, out) -> None:
    """``_bb_poisson`` of :class:`.CupyBackend`: the reference on device arrays through ``fft``
    (``cupyx.scipy.fft``; the inverse eigenvalues cached on the device per problem)."""
    staggered.poisson(kernels.contiguous(f), spacing, periodic, fft, kernels.xp, out)


def poisson_free_end(kernels: KernelCache, fft, f, spacing, periodic, out) -> None:
    """``_bb_poisson_free_end`` of :class:`.CupyBackend`: the reference
    :func:`.staggered_free_end.poisson_free_end` on device arrays through ``fft``
    (``cupyx.scipy.fft``; the inverse eigenvalues cached on the device per problem)."""
    staggered_free_end.poisson_free_end(
        kernels.contiguous(f), spacing, periodic, fft, kernels.xp, out
    )


def graph_solve(kernels: KernelCache, fft, a_s, b_c, rho0, rho1, periodic, out) -> None:
    """``_bb_graph_solve`` of :class:`.CupyBackend`: the reference on device arrays (DST-I / real
    FFT per axis through ``fft``, ``cupyx.scipy.fft``; ``out`` may be ``a_s``)."""
    staggered.graph_solve(a_s, b_c, rho0, rho1, periodic, fft, kernels.xp, out)


# -- pointwise updates of the splitting methods (flat buffers) ----------------------------------
def _build_update_kernels(cupy) -> dict:
    return {
        "reflect": cupy.ElementwiseKernel(
            "T x, T z",
            "T out",
            "out = x + x - z",
            "eulerflow_bb_reflect",
            options=NVRTC_OPTIONS,
        ),
        "square_sum": cupy.ReductionKernel(
            "T z",
            "float64 s",
            "(double)z * (double)z",
            "a + b",
            "s = a",
            "0",
            "eulerflow_bb_square_sum",
            options=NVRTC_OPTIONS,
        ),
        "difference_square_sum": cupy.ReductionKernel(
            "T x, T y",
            "float64 s",
            "(double)(y - x) * (double)(y - x)",
            "a + b",
            "s = a",
            "0",
            "eulerflow_bb_difference_square_sum",
            options=NVRTC_OPTIONS,
        ),
        "relax": cupy.ElementwiseKernel(
            "T x, T y, T alpha",
            "T z",
            "T d = y - x; z = z + alpha * d",
            "eulerflow_bb_relax",
            options=NVRTC_OPTIONS,
        ),
    }


def _update_kernels(kernels: KernelCache) -> dict:
    """The elementwise and reduction kernels of :func:`reflect` and :func:`relax` (generic over
    the dtype ``T``, built on first use and kept in ``kernels``; ``--fmad=false`` so that
    ``z + alpha * d`` rounds twice, as in the reference)."""
    return kernels.built("bb_updates", lambda: _build_update_kernels(kernels.xp))


def reflect(kernels: KernelCache, x, z, out) -> None:
    """``_bb_reflect`` of :class:`.CupyBackend`: ``out = 2 x - z`` in one elementwise pass."""
    _update_kernels(kernels)["reflect"](x, z, out)


def relax(kernels: KernelCache, z, x, y, alpha) -> tuple[float, float]:
    """``_bb_relax`` of :class:`.CupyBackend`: the two squared norms by reductions (float64
    accumulation), then ``z += alpha (y - x)`` elementwise; no temporary arrays."""
    update = _update_kernels(kernels)
    z_sq = update["square_sum"](z)
    d_sq = update["difference_square_sum"](x, y)
    update["relax"](x, y, np.dtype(z.dtype).type(alpha), z)
    return float(z_sq), float(d_sq)


def sum_squares(kernels: KernelCache, x) -> float:
    """``_bb_sum_squares`` of :class:`.CupyBackend`: one reduction with float64 accumulation."""
    return float(_update_kernels(kernels)["square_sum"](x))


def kinetic(kernels: KernelCache, rho_c, m_c) -> float:
    """``_bb_kinetic`` of :class:`.CupyBackend`: the reference on device arrays (float64
    accumulation)."""
    return staggered.kinetic(rho_c, m_c, kernels.xp)
