"""CUDA source and launch of the fused ``hj_update_point`` kernel of the CuPy backend for
time-invariant control-affine Hamiltonians (no CuPy import).

For :class:`eulerflow.hamiltonians.ControlAffine` with ``time_invariant=True`` and box or ball
sets, the dynamics are tabulated once on the grid (:meth:`ControlAffine.dense_table`: row ``r``,
column ``cell`` of an ``(n_rows, n_cells)`` array holds ``f`` (rows ``0 .. n-1``), then ``G`` row
by row (``n + a m + j``), then ``D`` row by row (``n + n m + a k + j``)), and the sets are a few
constants (:meth:`ControlAffine.kernel_parameters`). After the derivative kernel of
:mod:`.hamilton_jacobi` (unchanged), one launch of ``hj_point_update<T>`` computes, one thread per
cell (grid-stride loop over the flat C-order index),

- ``H(mean p)`` in closed form: ``sum_a q_a f_a + ext_u (G^T q) . u + ext_d (D^T q) . d`` with
  ``q = sign (p^- + p^+) / 2``, ``ext`` the minimum or maximum over the box or ball by mode;
- the bound ``alpha_a = max(|lo|, |hi|)`` of ``f_a + range(G_a u) + range(D_a d)`` per axis,
  whose largest value over the cells of each thread is written to ``maxima[a, thread]`` (reduced
  by CuPy afterwards: the CFL rate; the launch has :data:`POINT_BLOCKS_PER_SM` blocks per
  multiprocessor at most, so that each thread covers several cells of a large grid; the kernel
  is compiled for :data:`POINT_RESIDENT_BLOCKS` resident blocks);
- ``Hhat = H - sum_a alpha_a (p^+_a - p^-_a) / 2`` (``alpha_a`` the local bound or the global
  value), ``min(0, Hhat)`` for a tube, and ``out = a phi_n + b phi_k - c Hhat``.

The arithmetic is that of the array reference (:func:`eulerflow.schemes.hj_point
.point_numerical_hamiltonian` with ``ControlAffine.__call__`` and ``dissipation``), operation by
operation and in the same order, in the precision of the data (the table and the set constants
are cast to it), so that with ``--fmad=false`` a float64 result equals the reference to round-off
(bitwise where ``sqrt`` and the table agree). No array temporary per cell or stage besides the
derivatives and the per-thread maxima.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .compile import BLOCK, CudaModule, KernelCache, check_out
from .hamilton_jacobi import hj_derivatives

if TYPE_CHECKING:
    from ...hamiltonians.control_affine import KernelParameters

HJ_POINT_KERNEL_NAME = "hj_point_update"

HJ_POINT_KERNEL_NAME_EXPRESSIONS = tuple(
    f"{HJ_POINT_KERNEL_NAME}<{ctype}>" for ctype in ("float", "double")
)
"""The template instantiations of the module (name expressions for NVRTC)."""

POINT_RESIDENT_BLOCKS = 3
"""Blocks of :data:`.compile.BLOCK` threads that ``__launch_bounds__`` asks to fit on one
multiprocessor at once (80 registers per thread on sm_90 without spills, by ``ptxas -v``; at
4 the compiler spills)."""

POINT_BLOCKS_PER_SM = 2 * POINT_RESIDENT_BLOCKS
"""Blocks per multiprocessor of a launch at most (two waves of resident blocks): grid-stride
loops cover the rest, and the per-thread maxima stay few."""

HJ_POINT_KERNEL_SOURCE = r"""
// eulerflow: fused Lax-Friedrichs update of a time-invariant control-affine Hamiltonian, see
// eulerflow/backends/cupy/hj_point.py and eulerflow/schemes/hj_point.py. Arrays are
// C-contiguous; `out` may be the same array as `phi_n` or `phi_k` (each thread reads its own
// cell before writing it) but must not overlap them otherwise.

template <typename T> __device__ __forceinline__ T hp_abs(T x);
template <> __device__ __forceinline__ float hp_abs<float>(float x) { return fabsf(x); }
template <> __device__ __forceinline__ double hp_abs<double>(double x) { return fabs(x); }
template <typename T> __device__ __forceinline__ T hp_sqrt(T x);
template <> __device__ __forceinline__ float hp_sqrt<float>(float x) { return sqrtf(x); }
template <> __device__ __forceinline__ double hp_sqrt<double>(double x) { return sqrt(x); }
// np.minimum / np.maximum: NaN if either argument is NaN.
template <typename T> __device__ __forceinline__ T hp_min(T x, T y)
{
    return (x <= y || x != x) ? x : y;
}
template <typename T> __device__ __forceinline__ T hp_max(T x, T y)
{
    return (x >= y || x != x) ? x : y;
}

// Set codes: 0 box (par = lower[dim], upper[dim]), 1 ball (par = center[dim], radius).
// The extreme over the set of c . u with c_j = sum_a q_a M[a][j], M[a][j] in table row
// row0 + a dim + j (ControlSet.extreme after ControlAffine's columns).
template <typename T>
__device__ __forceinline__ T hp_extreme(const T* table, const long long n, const long long cell,
                                        const int row0, const int ndim, const int dim,
                                        const T* q, const int kind, const T* par,
                                        const int maximize)
{
    T total = T(0), linear = T(0), norm2 = T(0);
    for (int j = 0; j < dim; ++j) {
        T cj = T(0);
#pragma unroll
        for (int a = 0; a < 3; ++a) {
            if (a < ndim) cj = cj + q[a] * table[(long long)(row0 + a * dim + j) * n + cell];
        }
        if (kind == 0) {
            const T u = cj * par[j], v = cj * par[dim + j];
            total = total + (maximize ? hp_max(u, v) : hp_min(u, v));
        } else {
            linear = linear + cj * par[j];
            norm2 = norm2 + cj * cj;
        }
    }
    if (kind == 0) return total;
    const T spread = par[dim] * hp_sqrt(norm2);
    return maximize ? linear + spread : linear - spread;
}

// (min, max) over the set of row . u, row_j in table row row0 + j (ControlSet.row_range).
template <typename T>
__device__ __forceinline__ void hp_row_range(const T* table, const long long n,
                                             const long long cell, const int row0,
                                             const int dim, const int kind, const T* par,
                                             T& low, T& high)
{
    if (kind == 0) {
        low = T(0);
        high = T(0);
        for (int j = 0; j < dim; ++j) {
            const T mj = table[(long long)(row0 + j) * n + cell];
            const T u = mj * par[j], v = mj * par[dim + j];
            low = low + hp_min(u, v);
            high = high + hp_max(u, v);
        }
        return;
    }
    T linear = T(0), norm2 = T(0);
    for (int j = 0; j < dim; ++j) {
        const T mj = table[(long long)(row0 + j) * n + cell];
        linear = linear + mj * par[j];
        norm2 = norm2 + mj * mj;
    }
    const T spread = par[dim] * hp_sqrt(norm2);
    low = linear - spread;
    high = linear + spread;
}

// The loops over axes run to 3 with a guard, so that once unrolled every small array is indexed
// by constants and lives in registers (a loop to `ndim` would put them in local memory).
// out = a phi_n + b phi_k - c Hhat over n cells; minus_a, plus_a the one-sided derivatives of
// data axis a < ndim (unused pointers repeat axis 0); maxima[a threads + thread] = the largest
// alpha_a of the cells of the thread (0 for a thread without cells; NaN propagates), `threads`
// the number of threads of the launch. The disturbance is absent when dim_d = 0; its parameters
// follow the control's in `par`.
template <typename T>
__global__ void __launch_bounds__(@BLOCK@, @MIN_BLOCKS@) hj_point_update(
    const T* phi_n, const T* phi_k, const T* minus0, const T* plus0, const T* minus1,
    const T* plus1, const T* minus2, const T* plus2, const T* table, const T* par, T* out,
    T* maxima, const long long n, const int ndim, const int dim_u, const int kind_u,
    const int dim_d, const int kind_d, const int maximize, const int local, const int tube,
    const T sign, const T half_alpha0, const T half_alpha1, const T half_alpha2, const T a,
    const T b, const T c)
{
    const T* minus[3] = {minus0, minus1, minus2};
    const T* plus[3] = {plus0, plus1, plus2};
    const T half_alpha[3] = {half_alpha0, half_alpha1, half_alpha2};
    const T* par_d = par + (kind_u == 0 ? 2 * dim_u : dim_u + 1);
    const int row_g = ndim;
    const int row_d = ndim + ndim * dim_u;
    const long long stride = (long long)blockDim.x * gridDim.x;
    const long long thread = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    T top[3] = {T(0), T(0), T(0)};
    for (long long cell = thread; cell < n; cell += stride) {
        T pm[3] = {T(0), T(0), T(0)}, pp[3] = {T(0), T(0), T(0)}, q[3] = {T(0), T(0), T(0)};
#pragma unroll
        for (int ax = 0; ax < 3; ++ax) {
            if (ax < ndim) {
                pm[ax] = minus[ax][cell];
                pp[ax] = plus[ax][cell];
                q[ax] = sign * (T(0.5) * (pm[ax] + pp[ax]));
            }
        }
        T value = T(0);
#pragma unroll
        for (int ax = 0; ax < 3; ++ax) {
            if (ax < ndim) value = value + q[ax] * table[ax * n + cell];
        }
        value = value + hp_extreme(table, n, cell, row_g, ndim, dim_u, q, kind_u, par, maximize);
        if (dim_d > 0) {
            value = value +
                    hp_extreme(table, n, cell, row_d, ndim, dim_d, q, kind_d, par_d, !maximize);
        }
        T hhat = value;
#pragma unroll
        for (int ax = 0; ax < 3; ++ax) {
            if (ax >= ndim) break;
            T low, high;
            hp_row_range(table, n, cell, row_g + ax * dim_u, dim_u, kind_u, par, low, high);
            const T f = table[ax * n + cell];
            low = f + low;
            high = f + high;
            if (dim_d > 0) {
                T d_low, d_high;
                hp_row_range(table, n, cell, row_d + ax * dim_d, dim_d, kind_d, par_d, d_low,
                             d_high);
                low = low + d_low;
                high = high + d_high;
            }
            const T bound = hp_max(hp_abs(low), hp_abs(high));
            top[ax] = hp_max(top[ax], bound);
            hhat = hhat - (local ? T(0.5) * bound : half_alpha[ax]) * (pp[ax] - pm[ax]);
        }
        if (tube) hhat = hp_min(hhat, T(0));
        out[cell] = a * phi_n[cell] + b * phi_k[cell] - c * hhat;
    }
#pragma unroll
    for (int ax = 0; ax < 3; ++ax) {
        if (ax < ndim) maxima[ax * stride + thread] = top[ax];
    }
}
""".replace("@BLOCK@", str(BLOCK)).replace("@MIN_BLOCKS@", str(POINT_RESIDENT_BLOCKS))

HJ_POINT_MODULE = CudaModule(HJ_POINT_KERNEL_SOURCE, HJ_POINT_KERNEL_NAME_EXPRESSIONS)


def fused_parameters(hamiltonian) -> KernelParameters | None:
    """The constants of ``hamiltonian`` for :func:`hj_update_point`, or ``None`` when the
    kernel does not apply: the backend then uses array expressions.

    The kernel applies to a Hamiltonian whose ``kernel_parameters()`` returns them (a
    time-invariant :class:`~eulerflow.hamiltonians.ControlAffine` with box or ball sets, whose
    ``dense_table(coords)`` holds the dynamics); the backends sit below the Hamiltonians, so the
    method is asked for rather than the type.
    """
    method = getattr(hamiltonian, "kernel_parameters", None)
    return None if method is None else method()


def _set_values(params: KernelParameters) -> tuple[float, ...]:
    values = params.control[1]
    if params.disturbance is not None:
        values = values + params.disturbance[1]
    return values


class DeviceTables:
    """The table and set constants of the last time-invariant Hamiltonian per dtype and device,
    copied to the device once (the host table is kept, so that its identity is a valid key)."""

    def __init__(self) -> None:
        self._entries: dict = {}

    def get(self, kernels: KernelCache, table: np.ndarray, values: tuple, dtype):
        """``(table, values)`` as device arrays of ``dtype`` (copied on first use)."""
        key = (np.dtype(dtype).str, kernels.xp.cuda.Device().id)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not table or entry[1] != values:
            entry = self._entries[key] = (
                table,
                values,
                kernels.contiguous(kernels.xp.asarray(table, dtype=dtype)),
                kernels.xp.asarray(np.asarray(values, dtype=dtype)),
            )
        return entry[2], entry[3]


def hj_update_point(
    kernels: KernelCache,
    tables: DeviceTables,
    params: KernelParameters,
    phi_n,
    phi_k,
    spacing,
    periodic,
    scheme_code,
    local,
    hamiltonian,
    coords,
    alphas,
    tube,
    a,
    b,
    c,
    out,
) -> tuple:
    """The derivative kernel, then ``hj_point_update<T>`` on validated arguments (the CuPy
    backend's ``_hj_update_point`` for :func:`fused_parameters` ``params``); writes ``out``
    (which may be ``phi_n``) and returns the largest bound per axis."""
    cupy = kernels.xp
    dtype = np.dtype(phi_k.dtype)
    check_out(out, phi_k.shape, dtype)
    ndim, n = len(phi_k.shape), int(phi_k.size)
    if n == 0:
        return (0.0,) * ndim
    phi_k = kernels.contiguous(phi_k)
    phi_n = kernels.contiguous(phi_n)
    minus, plus = hj_derivatives(kernels, phi_k, spacing, periodic, scheme_code)
    table, values = tables.get(kernels, hamiltonian.dense_table(coords), _set_values(params), dtype)
    # out may be phi_n or phi_k itself; another layout or a partial overlap goes via a temporary
    direct = out.flags.c_contiguous and all(
        out.data.ptr == x.data.ptr or not cupy.may_share_memory(out, x) for x in (phi_n, phi_k)
    )
    target = out if direct else cupy.empty(phi_k.shape, dtype)
    grid = kernels.grid_size(n, POINT_BLOCKS_PER_SM)
    maxima = cupy.empty((ndim, grid * BLOCK), dtype)
    pointers = [minus[0], plus[0]] * 3
    half_alphas = [0.0, 0.0, 0.0]
    for axis in range(ndim):
        pointers[2 * axis], pointers[2 * axis + 1] = minus[axis], plus[axis]
        half_alphas[axis] = 0.5 * alphas[axis]
    disturbance = params.disturbance or (0, (), 0)
    scalar = dtype.type
    kernel = kernels.function(HJ_POINT_MODULE, HJ_POINT_KERNEL_NAME, dtype)
    kernel(
        (grid,),
        (BLOCK,),
        (
            phi_n,
            phi_k,
            *pointers,
            table,
            values,
            target,
            maxima,
            np.int64(n),
            np.int32(ndim),
            np.int32(params.control[2]),
            np.int32(params.control[0]),
            np.int32(disturbance[2]),
            np.int32(disturbance[0]),
            np.int32(params.maximize),
            np.int32(local),
            np.int32(tube),
            scalar(params.sign),
            *(scalar(x) for x in half_alphas),
            scalar(a),
            scalar(b),
            scalar(c),
        ),
    )
    if not direct:
        out[...] = target
    return tuple(float(x) for x in maxima.max(axis=1).tolist())
