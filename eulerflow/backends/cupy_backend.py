"""The CuPy GPU backend: CUDA C++ kernels compiled at run time with NVRTC.

Importing this module does not import CuPy; :func:`cupy_unavailable_reason` says whether CuPy and
a CUDA device are usable, and :class:`CupyBackend` imports CuPy when it is created.

The transport kernel (:data:`TRANSPORT_KERNEL_SOURCE`) is a CUDA C++ template over ``float`` and
``double``, compiled once per device through :class:`cupy.RawModule` (and cached on disk by
CuPy). It runs one thread per cell with a grid-stride loop over the cells of the array viewed as
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

The Hamilton-Jacobi kernels (``hj_derivatives``, ``hj_update``) are a second module,
:data:`.cupy_hj_kernels.HJ_KERNEL_SOURCE`, compiled the same way on first use: one thread per
cell reading its 7-point stencil along every axis, ghost values built on the fly.
"""

from __future__ import annotations

import importlib.util
from functools import cache

import numpy as np

from ..arrays import is_cupy_array
from ..schemes.hj_derivatives import WENO_EPS_SCALE, weno_eps_floor
from .base import Backend
from .cupy_hj_kernels import (
    HJ_DERIVATIVES_KERNEL_NAME,
    HJ_KERNEL_NAME_EXPRESSIONS,
    HJ_KERNEL_SOURCE,
    HJ_UPDATE_KERNEL_NAME,
    hj_pow_mode,
)
from .view3d import AXES_IN_3D

GPU_INSTALL_HINT = "pip install 'eulerflow[gpu]', i.e. cupy-cuda12x for CUDA 12"

TRANSPORT_KERNEL_NAME = "transport_update_3d"
"""Name of the CUDA function template; instantiated as ``transport_update_3d<float>`` etc."""

TRANSPORT_KERNEL_NAME_EXPRESSIONS = (
    f"{TRANSPORT_KERNEL_NAME}<float>",
    f"{TRANSPORT_KERNEL_NAME}<double>",
)

NVRTC_OPTIONS = ("--std=c++14", "--fmad=false")
"""NVRTC options of the kernel module (CuPy adds ``-arch`` for the current device)."""

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

_BLOCK = 256
_BLOCKS_PER_SM = 32


@cache
def cupy_unavailable_reason() -> str:
    """Why the CuPy backend cannot run here, or ``""`` when it can.

    The backend needs CuPy to import, a usable CUDA device (a small array is allocated and copied
    back on the current device to check) and NVRTC to compile its kernels. The answer is
    computed once per process.

    Returns
    -------
    str
        ``""`` when usable; otherwise a message saying whether CuPy is missing, fails to import,
        finds no usable GPU or cannot load NVRTC, with the underlying error.
    """
    if importlib.util.find_spec("cupy") is None:
        return f"CuPy is not installed ({GPU_INSTALL_HINT})"
    try:
        import cupy
    except Exception as err:  # broken installs raise more than ImportError
        return f"CuPy is installed but fails to import: {type(err).__name__}: {err}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            raise RuntimeError("no CUDA device found")
        cupy.zeros(1, dtype=np.float64).get()  # memset + copy: needs a context, not NVRTC
    except Exception as err:
        return f"CuPy is installed but no CUDA GPU is usable: {type(err).__name__}: {err}"
    try:
        cupy.cuda.nvrtc.getVersion()
    except Exception as err:
        return (
            "CuPy and a CUDA GPU are usable but NVRTC (the CUDA runtime compiler) cannot be "
            f"loaded (pip install nvidia-cuda-nvrtc-cu12): {type(err).__name__}: {err}"
        )
    return ""


class CupyBackend(Backend):
    """Kernels written in CUDA C++ and compiled with NVRTC through :class:`cupy.RawModule`.

    Arrays live on the current CUDA device; inputs that are NumPy arrays or non-contiguous CuPy
    arrays are copied to contiguous device arrays first. Kernels run on the current stream and
    return without waiting: call :meth:`synchronize` before timing.
    """

    name = "cupy"

    def __init__(self) -> None:
        import cupy

        self.xp = cupy
        self._modules: dict[int, object] = {}
        self._hj_modules: dict[int, object] = {}
        self._sm_counts: dict[int, int] = {}

    # -- arrays ---------------------------------------------------------------------------------
    def asarray(self, x, dtype=None):
        """``x`` as a CuPy array on the current device (copied from the host if needed)."""
        return self.xp.asarray(x, dtype=dtype)

    def to_numpy(self, x) -> np.ndarray:
        """``x`` copied to the host as a NumPy array."""
        if is_cupy_array(x):
            return x.get()
        return np.asarray(x)

    def synchronize(self) -> None:
        """Wait until the work queued on the current stream has finished."""
        self.xp.cuda.get_current_stream().synchronize()

    @property
    def fft(self):
        """``cupyx.scipy.fft``."""
        import cupyx.scipy.fft

        return cupyx.scipy.fft

    @property
    def sparse(self):
        """``cupyx.scipy.sparse``."""
        import cupyx.scipy.sparse

        return cupyx.scipy.sparse

    def sparse_matrix(self, matrix):
        """A SciPy (host) sparse matrix as a ``cupyx.scipy.sparse`` CSR matrix on the device."""
        import cupyx.scipy.sparse

        if cupyx.scipy.sparse.issparse(matrix):
            return matrix.tocsr()
        return cupyx.scipy.sparse.csr_matrix(matrix.tocsr())

    def sparse_factorized(self, matrix):
        """``solve(rhs)`` for a square sparse ``matrix``: LU factors computed once on the host by
        SuperLU (``cupyx.scipy.sparse.linalg.splu``), triangular solves on the device."""
        import cupyx.scipy.sparse.linalg

        lu = cupyx.scipy.sparse.linalg.splu(self.sparse_matrix(matrix), permc_spec="MMD_AT_PLUS_A")
        return lu.solve

    def info(self) -> dict[str, str]:
        cupy = self.xp
        device = cupy.cuda.Device()
        props = cupy.cuda.runtime.getDeviceProperties(device.id)
        name = props["name"]
        if isinstance(name, bytes):
            name = name.decode()
        major, minor = props["major"], props["minor"]
        memory = props["totalGlobalMem"] / 2**30
        return {
            "name": self.name,
            "version": cupy.__version__,
            "device": f"GPU {device.id}: {name} (compute capability {major}.{minor}, "
            f"{memory:.1f} GiB)",
        }

    # -- compiled code --------------------------------------------------------------------------
    def _module(self):
        """The kernel module of the current device, compiled on first use and kept."""
        device = self.xp.cuda.Device().id
        module = self._modules.get(device)
        if module is None:
            module = self.xp.RawModule(
                code=TRANSPORT_KERNEL_SOURCE,
                options=NVRTC_OPTIONS,
                name_expressions=TRANSPORT_KERNEL_NAME_EXPRESSIONS,
            )
            self._modules[device] = module
        return module

    def _hj_module(self):
        """The Hamilton-Jacobi module (:mod:`.cupy_hj_kernels`) of the current device, compiled
        on first use and kept."""
        device = self.xp.cuda.Device().id
        module = self._hj_modules.get(device)
        if module is None:
            module = self.xp.RawModule(
                code=HJ_KERNEL_SOURCE,
                options=NVRTC_OPTIONS,
                name_expressions=HJ_KERNEL_NAME_EXPRESSIONS,
            )
            self._hj_modules[device] = module
        return module

    def _grid_size(self, n_cells: int) -> int:
        device = self.xp.cuda.Device()
        sms = self._sm_counts.get(device.id)
        if sms is None:
            sms = self._sm_counts[device.id] = int(device.attributes["MultiProcessorCount"])
        return max(1, min(-(-n_cells // _BLOCK), _BLOCKS_PER_SM * sms))

    def _contiguous(self, x):
        return self.xp.ascontiguousarray(self.xp.asarray(x))

    # -- kernels --------------------------------------------------------------------------------
    def _transport_update(self, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out):
        cupy = self.xp
        dtype = np.dtype(rho_k.dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"the cupy backend supports float32 and float64 arrays, got {dtype}")
        if not is_cupy_array(out):
            raise TypeError(f"out must be a CuPy array for the cupy backend, got {type(out)}")
        if tuple(out.shape) != tuple(rho_k.shape) or out.dtype != dtype:
            raise ValueError(
                f"out must have shape {tuple(rho_k.shape)} and dtype {dtype}, "
                f"got {tuple(out.shape)} {out.dtype}"
            )
        same = rho_n is rho_k
        rho_k = self._contiguous(rho_k)
        rho_n = rho_k if same else self._contiguous(rho_n)
        velocities = [self._contiguous(u) for u in velocities]
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
        if n_cells:
            kernel = self._module().get_function(f"{TRANSPORT_KERNEL_NAME}<{_CTYPES[dtype]}>")
            scalar = dtype.type
            kernel(
                (self._grid_size(n_cells),),
                (_BLOCK,),
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

    # -- Hamilton-Jacobi ------------------------------------------------------------------------
    @staticmethod
    def _hj_view(phi, spacing, periodic):
        """``(dtype, axes, shape3, active3, periodic3, h3)`` of the ``(n0, n1, n2)`` view."""
        dtype = np.dtype(phi.dtype)
        if dtype not in _CTYPES:
            raise TypeError(f"the cupy backend supports float32 and float64 arrays, got {dtype}")
        axes = AXES_IN_3D[phi.ndim]
        shape3, active3, periodic3, h3 = [1, 1, 1], [0, 0, 0], [0, 0, 0], [1.0, 1.0, 1.0]
        for axis, target in enumerate(axes):
            shape3[target] = phi.shape[axis]
            active3[target] = 1
            periodic3[target] = int(periodic[axis])
            h3[target] = spacing[axis]
        return dtype, axes, shape3, active3, periodic3, h3

    def _hj_geometry_args(self, dtype, shape3, active3, periodic3, h3):
        scalar = dtype.type
        return (
            *(np.int64(n) for n in shape3),
            *(np.int32(x) for x in active3),
            *(np.int32(x) for x in periodic3),
            *(scalar(h) for h in h3),
        )

    def _hj_derivatives(self, phi, spacing, periodic, scheme_code):
        cupy = self.xp
        dtype, axes, shape3, active3, periodic3, h3 = self._hj_view(phi, spacing, periodic)
        phi = self._contiguous(phi)
        minus = [cupy.empty(phi.shape, dtype) for _ in axes]
        plus = [cupy.empty(phi.shape, dtype) for _ in axes]
        outputs = [minus[0], plus[0]] * 3  # never written on inactive axes
        for axis, target in enumerate(axes):
            outputs[2 * target] = minus[axis]
            outputs[2 * target + 1] = plus[axis]
        n_cells = int(phi.size)
        if n_cells:
            name = f"{HJ_DERIVATIVES_KERNEL_NAME}<{_CTYPES[dtype]}>"
            kernel = self._hj_module().get_function(name)
            scalar = dtype.type
            kernel(
                (self._grid_size(n_cells),),
                (_BLOCK,),
                (
                    phi,
                    *outputs,
                    *self._hj_geometry_args(dtype, shape3, active3, periodic3, h3),
                    np.int32(scheme_code),
                    scalar(WENO_EPS_SCALE),
                    scalar(weno_eps_floor(dtype)),
                ),
            )
        return tuple(minus), tuple(plus)

    def _hj_update(
        self,
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
    ):
        cupy = self.xp
        dtype, axes, shape3, active3, periodic3, h3 = self._hj_view(phi_k, spacing, periodic)
        if not is_cupy_array(out):
            raise TypeError(f"out must be a CuPy array for the cupy backend, got {type(out)}")
        if tuple(out.shape) != tuple(phi_k.shape) or out.dtype != dtype:
            raise ValueError(
                f"out must have shape {tuple(phi_k.shape)} and dtype {dtype}, "
                f"got {tuple(out.shape)} {out.dtype}"
            )
        same = phi_n is phi_k
        phi_k = self._contiguous(phi_k)
        phi_n = phi_k if same else self._contiguous(phi_n)
        has_potential = potential is not None
        potential = self._contiguous(potential) if has_potential else phi_k
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
        n_cells = int(phi_k.size)
        if n_cells:
            name = f"{HJ_UPDATE_KERNEL_NAME}<{_CTYPES[dtype]}>"
            kernel = self._hj_module().get_function(name)
            kernel(
                (self._grid_size(n_cells),),
                (_BLOCK,),
                (
                    phi_n,
                    phi_k,
                    potential,
                    target,
                    *self._hj_geometry_args(dtype, shape3, active3, periodic3, h3),
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

    # -- Fokker-Planck ---------------------------------------------------------------------------
    def _fokker_planck_update(
        self, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
    ):
        from .cupy_fp_kernels import fokker_planck_update

        fokker_planck_update(
            self, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
        )

    # -- particles (CUDA source and launches in .cupy_particle_kernels) -------------------------
    def _deposit(self, positions, weights, bounds, shape, periodic, method_code):
        from .cupy_particle_kernels import deposit

        return deposit(self, positions, weights, bounds, shape, periodic, method_code)

    def _interpolate(self, values, positions, bounds, periodic, method_code):
        from .cupy_particle_kernels import interpolate

        return interpolate(self, values, positions, bounds, periodic, method_code)

    # -- Benamou-Brenier (CUDA source and launches in .cupy_bb_kernels) -------------------------
    def _bb_interpolate(self, rho_s, m_s, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.interpolate(self, rho_s, m_s, out)

    def _bb_interpolate_adjoint(self, rho_c, m_c, periodic, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.interpolate_adjoint(self, rho_c, m_c, periodic, out)

    def _bb_divergence(self, rho_s, m_s, spacing, periodic, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.divergence(self, rho_s, m_s, spacing, out)

    def _bb_gradient(self, p, spacing, periodic, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.gradient(self, p, spacing, periodic, out)

    def _bb_gradient_add(self, p, spacing, periodic, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.gradient_add(self, p, spacing, periodic, out)

    def _bb_gradient_reflect(self, p, spacing, periodic, base, out, reflect):
        from . import cupy_bb_kernels

        cupy_bb_kernels.gradient_reflect(self, p, spacing, periodic, base, out, reflect)

    def _bb_poisson(self, f, spacing, periodic, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.poisson(self, f, spacing, periodic, out)

    def _bb_prox(self, rho_c, m_c, gamma, out, reflect):
        from . import cupy_bb_kernels

        cupy_bb_kernels.prox(self, rho_c, m_c, gamma, out)
        if reflect is not None:
            cupy_bb_kernels.reflect_pairs(self, out, (rho_c, m_c), reflect)

    def _bb_graph_solve(self, a_s, b_c, rho0, rho1, periodic, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.graph_solve(self, a_s, b_c, rho0, rho1, periodic, out)

    def _bb_reflect(self, x, z, out):
        from . import cupy_bb_kernels

        cupy_bb_kernels.reflect(self, x, z, out)

    def _bb_relax(self, z, x, y, alpha):
        from . import cupy_bb_kernels

        return cupy_bb_kernels.relax(self, z, x, y, alpha)

    def _bb_kinetic(self, rho_c, m_c):
        from . import cupy_bb_kernels

        return cupy_bb_kernels.kinetic(self, rho_c, m_c)


_CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
