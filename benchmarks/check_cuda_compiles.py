"""Check the CUDA source of the CuPy backend without a GPU.

Three checks, each skipped with a reason when its tool is missing:

1. **NVRTC compile**: every CUDA module of the backend (:data:`MODULES`: the transport kernel
   :data:`eulerflow.backends.cupy.transport.TRANSPORT_KERNEL_SOURCE`, the Hamilton-Jacobi kernels
   :data:`eulerflow.backends.cupy.hamilton_jacobi.HJ_KERNEL_SOURCE`, the fused ``hj_update_point``
   kernel :data:`eulerflow.backends.cupy.hj_point.HJ_POINT_KERNEL_SOURCE` and the Fokker-Planck
   kernel :data:`eulerflow.backends.cupy.fokker_planck.FP_KERNEL_SOURCE`) is compiled with the
   options the backend uses and all its template instantiations (float and double) as name
   expressions, for several architectures: to PTX through ``libnvrtc`` with ctypes (for example
   from the ``nvidia-cuda-nvrtc-cu12`` wheel), and to cubin through CuPy's NVRTC wrapper with the
   options :class:`cupy.RawModule` adds, when CuPy imports. NVRTC needs no device. With
   ``--ptxas`` and a ``ptxas`` executable, the ``compute_90`` PTX is also assembled for ``sm_90``
   and its register use and spills printed.
2. **Host emulation**: the same source text is compiled as C++ for the CPU with a C++ compiler
   (``c++``/``g++``/``clang++``; ``__global__`` etc. defined away, ``blockIdx``/``threadIdx``
   emulated by running the blocks and threads of a launch one after another, which is valid
   for this kernel because its threads do not communicate) and run on random 1D/2D/3D inputs
   (periodic and walled axes, odd sizes, every limiter, float32 and float64, launches with fewer
   threads than cells so that the grid-stride loop and its carries run). The results are compared
   with the NumPy reference backend, bit for bit (``-ffp-contract=off`` matches the backend's
   ``--fmad=false``). The Hamilton-Jacobi kernels get the same treatment (every scheme, every
   numerical Hamiltonian with ``q = 2, 1.5, 3``, with and without a potential, axes of length
   one and two): derivatives bit for bit, updates bit for bit except where a general power
   ``x^q`` is evaluated (libm ``pow`` against NumPy's: within 4 eps of the largest value).
   The fused ``hj_update_point`` kernel of time-invariant control-affine games (box and ball
   sets, with and without a disturbance, reach and avoid, reflected, local and global
   Lax-Friedrichs, tube on and off) against ``NumpyBackend.hj_update_point`` within
   :data:`POINT_TOLERANCES`.
3. **CupyBackend with a stub CuPy**: the Python side of the backend (3D view, the exact types and
   order of the launch arguments, contiguity conversions, ``out`` aliasing rules) runs end to end
   with a stand-in for CuPy whose kernels launch the host emulation, for ``transport_update``,
   ``hj_update`` (also with ``maxima=True``) and ``hj_derivatives``; ``hj_update_point``
   (control-affine Hamiltonians as array expressions after the emulated derivative kernel, with
   NumPy functions standing in for CuPy's) against the NumPy reference within ``1e-12``; and
   the fused ``hj_update_point`` kernel of time-invariant control-affine games launched by the
   backend (argument types and sizes checked) against the NumPy reference.

Run from the repository root::

    PYTHONPATH=. python benchmarks/check_cuda_compiles.py [--ptxas]

Exits 0 when every check that could run passed (printing ``skipped: <reason>`` for the others),
1 when a check failed.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import glob
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from eulerflow.backends.cupy.compile import NVRTC_OPTIONS, c_type
from eulerflow.backends.cupy.fokker_planck import FP_KERNEL_NAME_EXPRESSIONS, FP_KERNEL_SOURCE
from eulerflow.backends.cupy.hamilton_jacobi import HJ_KERNEL_NAME_EXPRESSIONS, HJ_KERNEL_SOURCE
from eulerflow.backends.cupy.hj_point import (
    HJ_POINT_KERNEL_NAME_EXPRESSIONS,
    HJ_POINT_KERNEL_SOURCE,
    POINT_BLOCKS_PER_SM,
)
from eulerflow.backends.cupy.transport import (
    TRANSPORT_KERNEL_NAME_EXPRESSIONS,
    TRANSPORT_KERNEL_SOURCE,
)
from eulerflow.backends.view3d import AXES_IN_3D

ARCHS = ("compute_70", "compute_80", "compute_90")

MODULES = (
    ("transport", TRANSPORT_KERNEL_SOURCE, TRANSPORT_KERNEL_NAME_EXPRESSIONS),
    ("hamilton-jacobi", HJ_KERNEL_SOURCE, HJ_KERNEL_NAME_EXPRESSIONS),
    ("hj-point", HJ_POINT_KERNEL_SOURCE, HJ_POINT_KERNEL_NAME_EXPRESSIONS),
    ("fokker-planck", FP_KERNEL_SOURCE, FP_KERNEL_NAME_EXPRESSIONS),
)
"""The CUDA modules of the backend: (label, source, name expressions)."""


# -- 1. NVRTC -----------------------------------------------------------------------------------
def _find_libnvrtc() -> str | None:
    candidates = []
    try:
        import nvidia.cuda_nvrtc

        for base in nvidia.cuda_nvrtc.__path__:
            candidates += sorted(glob.glob(os.path.join(base, "lib", "libnvrtc.so*")))
    except ImportError:
        pass
    for root in (os.environ.get("CUDA_PATH"), os.environ.get("CUDA_HOME"), "/usr/local/cuda"):
        if root:
            candidates += sorted(glob.glob(os.path.join(root, "lib64", "libnvrtc.so*")))
    found = ctypes.util.find_library("nvrtc")
    if found:
        candidates.append(found)
    libs = [c for c in candidates if "builtins" not in os.path.basename(c)]
    return libs[0] if libs else None


def _compile_ctypes(lib_path: str, source: str, options, names):
    """Compile with libnvrtc through ctypes; return (ptx, lowered names)."""
    lib = ctypes.CDLL(lib_path)
    lib.nvrtcGetErrorString.restype = ctypes.c_char_p

    def check(status):
        if status != 0:
            raise RuntimeError(lib.nvrtcGetErrorString(status).decode())

    prog = ctypes.c_void_p()
    check(lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b"kern.cu", 0, None, None))
    try:
        for name in names:
            check(lib.nvrtcAddNameExpression(prog, name.encode()))
        opts = (ctypes.c_char_p * len(options))(*(o.encode() for o in options))
        status = lib.nvrtcCompileProgram(prog, len(options), opts)
        size = ctypes.c_size_t()
        check(lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size)))
        log = ctypes.create_string_buffer(size.value)
        check(lib.nvrtcGetProgramLog(prog, log))
        if status != 0:
            raise RuntimeError(f"{lib.nvrtcGetErrorString(status).decode()}\n{log.value.decode()}")
        check(lib.nvrtcGetPTXSize(prog, ctypes.byref(size)))
        ptx = ctypes.create_string_buffer(size.value)
        check(lib.nvrtcGetPTX(prog, ptx))
        lowered = {}
        for name in names:
            out = ctypes.c_char_p()
            check(lib.nvrtcGetLoweredName(prog, name.encode(), ctypes.byref(out)))
            lowered[name] = out.value.decode()
        return ptx.value.decode(), lowered
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


def check_nvrtc(run_ptxas: bool) -> str:
    """Compile every module of :data:`MODULES` for every arch of :data:`ARCHS`.

    Returns "ok" or "skipped: ..."; raises on compile errors. Two routes, each run when
    available: libnvrtc through ctypes (PTX for ``compute_XX``, the lowered names checked against
    the PTX entries), and CuPy's ``compile_using_nvrtc`` with the architecture given explicitly
    (what :class:`cupy.RawModule` does on a device of that compute capability: CuPy adds
    ``--device-as-default-execution-space`` and ``-arch=sm_XX``, producing a cubin when its NVRTC
    supports the architecture).
    """
    ran = []
    reasons = []
    lib_path = _find_libnvrtc()
    if lib_path is None:
        reasons.append("no libnvrtc found (pip install nvidia-cuda-nvrtc-cu12)")
    else:
        print(f"NVRTC through ctypes ({lib_path}), options {NVRTC_OPTIONS}")
        for label, source, names in MODULES:
            print(f" module {label!r}")
            ptx90 = None
            for arch in ARCHS:
                options = (f"-arch={arch}", *NVRTC_OPTIONS)
                ptx, lowered = _compile_ctypes(lib_path, source, options, list(names))
                entries = [
                    line.split()[-1].rstrip("(") for line in ptx.splitlines() if ".entry" in line
                ]
                for name in names:
                    if lowered[name] not in entries:
                        raise RuntimeError(
                            f"{name} ({lowered[name]}) missing from the PTX of {arch}"
                        )
                print(f"  {arch}: ok, {len(ptx)} chars of PTX, {len(entries)} entries")
                ptx90 = ptx if arch == "compute_90" else ptx90
            for name in names:
                print(f"    {name} -> {lowered[name]}")
            if run_ptxas:
                _ptxas(ptx90)
        ran.append("ctypes")
    try:
        from cupy.cuda import compiler, nvrtc

        version = nvrtc.getVersion()
    except Exception as err:  # no CuPy, or CuPy without NVRTC
        reasons.append(f"CuPy route unavailable: {type(err).__name__}: {err}")
    else:
        print(f"NVRTC through CuPy (NVRTC {version[0]}.{version[1]})")
        for label, source, names in MODULES:
            print(f" module {label!r}")
            names = list(names)
            for arch in ARCHS:
                cc = arch.split("_")[1]
                try:
                    binary, mapping = compiler.compile_using_nvrtc(
                        source, options=NVRTC_OPTIONS, arch=cc, name_expressions=names
                    )
                except Exception as err:  # CuPy asks the driver for the newest arch it can run
                    if arch == ARCHS[0]:
                        print(
                            f"  compile_using_nvrtc needs a CUDA driver here "
                            f"({type(err).__name__}); using CuPy's NVRTC program object with "
                            "the options CuPy adds itself"
                        )
                    program = compiler._NVRTCProgram(
                        source, "kern.cu", name_expressions=names, method="cubin"
                    )
                    binary, mapping = program.compile(
                        (*NVRTC_OPTIONS, f"-arch=sm_{cc}", "--device-as-default-execution-space")
                    )
                data = binary.encode() if isinstance(binary, str) else bytes(binary)
                kind = "PTX" if data.lstrip().startswith(b"//") else "cubin"
                for name in names:
                    if mapping[name].encode() not in data:
                        raise RuntimeError(f"{name} ({mapping[name]}) missing from the {kind}")
                print(
                    f"  arch {cc}: ok, {len(data)} bytes of {kind}, "
                    f"all {len(names)} instantiations present"
                )
        ran.append("cupy")
    if not ran:
        return "skipped: NVRTC is unavailable: " + "; ".join(reasons)
    return "ok (" + " and ".join(ran) + ")" + ("" if not reasons else f"; {'; '.join(reasons)}")


def _ptxas(ptx: str) -> None:
    exe = shutil.which("ptxas")
    if exe is None:
        try:
            import nvidia.cuda_nvcc

            for base in nvidia.cuda_nvcc.__path__:
                hits = glob.glob(os.path.join(base, "bin", "ptxas"))
                exe = hits[0] if hits else exe
        except ImportError:
            pass
    if exe is None:
        print("  ptxas: skipped: no ptxas (pip install nvidia-cuda-nvcc-cu12)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "k.ptx")
        src.write_text(ptx)
        res = subprocess.run(
            [exe, "-arch=sm_90", "-v", str(src), "-o", str(Path(tmp, "k.cubin"))],
            capture_output=True,
            text=True,
        )
    if res.returncode != 0:
        raise RuntimeError(f"ptxas failed:\n{res.stderr}")
    print("  ptxas -arch=sm_90 -v:")
    for line in res.stderr.splitlines():
        print("    " + line.strip())


# -- 2. host emulation --------------------------------------------------------------------------
_HARNESS = r"""
#include <math.h>
#include <cmath>
#define __global__
#define __device__
#define __forceinline__ inline
struct ef_dim3 { unsigned int x, y, z; };
static ef_dim3 threadIdx, blockIdx, blockDim, gridDim;
using std::fabs;

@SOURCE@

template <typename T>
static void launch(int grid, int block, const T* rho_n, const T* rho_k, const T* u0,
                   const T* u1, const T* u2, T* out, long long n0, long long n1, long long n2,
                   int p0, int p1, int p2, T h0, T h1, T h2, int code, T a, T b, T c)
{
    gridDim.x = grid;
    blockDim.x = block;
    for (int bi = 0; bi < grid; ++bi) {
        for (int ti = 0; ti < block; ++ti) {
            blockIdx.x = bi;
            threadIdx.x = ti;
            transport_update_3d<T>(rho_n, rho_k, u0, u1, u2, out, n0, n1, n2, p0, p1, p2,
                                   h0, h1, h2, code, a, b, c);
        }
    }
}

#define EF_ENTRY(NAME, T) \
extern "C" void NAME(int grid, int block, const T* rho_n, const T* rho_k, const T* u0, \
                     const T* u1, const T* u2, T* out, long long n0, long long n1, long long n2, \
                     int p0, int p1, int p2, T h0, T h1, T h2, int code, T a, T b, T c) \
{ launch<T>(grid, block, rho_n, rho_k, u0, u1, u2, out, n0, n1, n2, p0, p1, p2, h0, h1, h2, \
            code, a, b, c); }

EF_ENTRY(run_float, float)
EF_ENTRY(run_double, double)
"""


def _build_host_library(tmp: str, harness: str = _HARNESS, source: str = TRANSPORT_KERNEL_SOURCE):
    """Compile ``harness`` with ``source`` in place of ``@SOURCE@`` into a shared library."""
    cxx = next((c for c in ("c++", "g++", "clang++") if shutil.which(c)), None)
    if cxx is None:
        return None, "no C++ compiler (c++, g++, clang++)"
    stem = f"harness{len(list(Path(tmp).glob('*.so')))}"
    src = Path(tmp, f"{stem}.cpp")
    src.write_text(harness.replace("@SOURCE@", source))
    lib = Path(tmp, f"{stem}.so")
    cmd = [cxx, "-std=c++14", "-O2", "-ffp-contract=off", "-Wall", "-Wno-unknown-pragmas"]
    cmd += ["-shared", "-fPIC"]
    res = subprocess.run([*cmd, str(src), "-o", str(lib)], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"host compile of the CUDA source failed:\n{res.stderr}")
    if res.stderr.strip():
        print(res.stderr)
    return ctypes.CDLL(str(lib)), f"{cxx} {' '.join(cmd[1:])}"


def _emulate(lib, grid, block, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c):
    dtype = rho_k.dtype
    ct = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    fn = lib.run_float if dtype == np.float32 else lib.run_double
    ptr = ctypes.POINTER(ct)
    fn.argtypes = [ctypes.c_int] * 2 + [ptr] * 6 + [ctypes.c_longlong] * 3
    fn.argtypes += [ctypes.c_int] * 3 + [ct] * 3 + [ctypes.c_int] + [ct] * 3
    fn.restype = None
    axes = AXES_IN_3D[rho_k.ndim]
    shape3, per3, h3, u3 = [1, 1, 1], [0, 0, 0], [1.0] * 3, [rho_k] * 3
    for axis, t in enumerate(axes):
        shape3[t], per3[t], h3[t] = rho_k.shape[axis], int(periodic[axis]), spacing[axis]
        u3[t] = np.ascontiguousarray(velocities[axis])
    out = np.full_like(rho_k, np.nan)
    keep = [np.ascontiguousarray(x) for x in (rho_n, rho_k, *u3)]
    fn(
        grid,
        block,
        *(x.ctypes.data_as(ptr) for x in keep),
        out.ctypes.data_as(ptr),
        *shape3,
        *per3,
        *(dtype.type(h) for h in h3),
        code,
        dtype.type(a),
        dtype.type(b),
        dtype.type(c),
    )
    return out


def check_host_emulation() -> str:
    from eulerflow.backends.numpy_backend import NumpyBackend
    from eulerflow.schemes.limiters import LIMITERS

    ref = NumpyBackend()
    rng = np.random.default_rng(0)
    shapes = [(2,), (7,), (1,), (5, 3), (1, 6), (4, 1), (2, 2), (3, 4, 5), (5, 1, 3), (2, 3, 2)]
    with tempfile.TemporaryDirectory() as tmp:
        lib, how = _build_host_library(tmp)
        if lib is None:
            return f"skipped: {how}"
        print(f"host emulation: CUDA source compiled with {how}")
        n_cases = n_bitwise = 0
        worst = 0.0
        for shape, dtype, limiter in itertools.product(
            shapes, (np.float32, np.float64), list(LIMITERS)
        ):
            ndim = len(shape)
            for periodic in itertools.product((False, True), repeat=ndim):
                rho_k = rng.random(shape).astype(dtype) + dtype(0.1)
                rho_n = rng.random(shape).astype(dtype)
                velocities = []
                for axis in range(ndim):
                    fshape = tuple(n + (a == axis) for a, n in enumerate(shape))
                    u = rng.standard_normal(fshape).astype(dtype)
                    if periodic[axis]:  # first and last face are the same face
                        first = np.take(u, [0], axis=axis)
                        idx = [slice(None)] * ndim
                        idx[axis] = slice(-1, None)
                        u[tuple(idx)] = first
                    velocities.append(u)
                spacing = tuple(float(h) for h in rng.uniform(0.1, 1.0, ndim))
                a, b, c = 0.75, 0.25, 0.0371
                want = ref.transport_update(
                    rho_n, rho_k, velocities, spacing, periodic, limiter, a, b, c
                )
                cells = int(np.prod(shape))
                code = LIMITERS[limiter]
                # enough threads; fewer threads than cells (grid-stride + carries); one thread
                for grid, block in ((-(-cells // 4), 4), (2, 3), (1, 1), (3, 32)):
                    got = _emulate(
                        lib, grid, block, rho_n, rho_k, velocities, spacing, periodic,
                        code, a, b, c,
                    )  # fmt: skip
                    n_cases += 1
                    n_bitwise += bool(np.array_equal(got, want))
                    err = float(np.max(np.abs(got - want) / (np.abs(want) + 1.0)))
                    worst = max(worst, err)
                    tol = 4 * np.finfo(dtype).eps
                    if not np.isfinite(got).all() or err > tol:
                        raise AssertionError(
                            f"mismatch: shape {shape} {np.dtype(dtype)} {limiter} periodic "
                            f"{periodic} launch ({grid}, {block}): rel err {err:.3g}"
                        )
        print(
            f"  {n_cases} launches vs NumPy reference: all within 4 eps, "
            f"{n_bitwise} bitwise equal, max rel err {worst:.3g}"
        )
        # aliasing: out may be rho_n
        x = rng.random((6, 5))
        y = rng.random((6, 5))
        us = [rng.standard_normal((7, 5)), rng.standard_normal((6, 6))]
        want = ref.transport_update(x, y, us, (0.5, 0.25), (False, True), "mc", 0.5, 0.5, 0.1)
        ct = ctypes.POINTER(ctypes.c_double)
        lib.run_double.argtypes = [ctypes.c_int] * 2 + [ct] * 6 + [ctypes.c_longlong] * 3
        lib.run_double.argtypes += [ctypes.c_int] * 3 + [ctypes.c_double] * 3 + [ctypes.c_int]
        lib.run_double.argtypes += [ctypes.c_double] * 3
        u0 = us[0].reshape(7, 1, 5)
        u2 = us[1].reshape(6, 1, 6)
        lib.run_double(
            2, 7, *(v.ctypes.data_as(ct) for v in (x, y, u0, y, u2, x)),
            6, 1, 5, 0, 0, 1, 0.5, 1.0, 0.25, 4, 0.5, 0.5, 0.1,
        )  # fmt: skip
        if not np.array_equal(x, want):
            raise AssertionError("out aliasing rho_n gives a different result")
        print("  out aliasing rho_n: ok (bitwise)")
    return "ok"


# -- 2b. host emulation of the Hamilton-Jacobi kernels -------------------------------------------
_HJ_HARNESS = r"""
#include <math.h>
#include <cmath>
#define __global__
#define __device__
#define __forceinline__ inline
struct ef_dim3 { unsigned int x, y, z; };
static ef_dim3 threadIdx, blockIdx, blockDim, gridDim;

@SOURCE@

#define EF_RUN(KERNEL, ...) \
    gridDim.x = grid; \
    blockDim.x = block; \
    for (int bi = 0; bi < grid; ++bi) { \
        for (int ti = 0; ti < block; ++ti) { \
            blockIdx.x = bi; \
            threadIdx.x = ti; \
            KERNEL(__VA_ARGS__); \
        } \
    }

#define EF_HJ_ENTRIES(SUFFIX, T) \
extern "C" void hj_update_##SUFFIX( \
    int grid, int block, const T* phi_n, const T* phi_k, const T* potential, T* out, \
    long long n0, long long n1, long long n2, int ac0, int ac1, int ac2, int p0, int p1, int p2, \
    T h0, T h1, T h2, int scheme, int flux, int has_potential, T q, T e_norm, T e_gt, T e_lt, \
    int q_is_2, int q_above_2, int mode_norm, int mode_gt, int mode_lt, T ha0, T ha1, T ha2, \
    T a, T b, T c, T eps_scale, T eps_floor) \
{ \
    EF_RUN(hj_update_3d<T>, phi_n, phi_k, potential, out, n0, n1, n2, ac0, ac1, ac2, p0, p1, \
           p2, h0, h1, h2, scheme, flux, has_potential, q, e_norm, e_gt, e_lt, q_is_2, \
           q_above_2, mode_norm, mode_gt, mode_lt, ha0, ha1, ha2, a, b, c, eps_scale, eps_floor) \
} \
extern "C" void hj_derivatives_##SUFFIX( \
    int grid, int block, const T* phi, T* m0, T* pl0, T* m1, T* pl1, T* m2, T* pl2, \
    long long n0, long long n1, long long n2, int ac0, int ac1, int ac2, int p0, int p1, int p2, \
    T h0, T h1, T h2, int scheme, T eps_scale, T eps_floor) \
{ \
    EF_RUN(hj_derivatives_3d<T>, phi, m0, pl0, m1, pl1, m2, pl2, n0, n1, n2, ac0, ac1, ac2, p0, \
           p1, p2, h0, h1, h2, scheme, eps_scale, eps_floor) \
}

EF_HJ_ENTRIES(float, float)
EF_HJ_ENTRIES(double, double)
"""

# Parameter kinds of the two kernels in order: p pointer, i64/i32 integers, T the data type.
HJ_SIGNATURES = {
    "hj_update_3d": ("p",) * 4
    + ("i64",) * 3
    + ("i32",) * 6
    + ("T",) * 3
    + ("i32",) * 3
    + ("T",) * 4
    + ("i32",) * 5
    + ("T",) * 8,
    "hj_derivatives_3d": ("p",) * 7
    + ("i64",) * 3
    + ("i32",) * 6
    + ("T",) * 3
    + ("i32",)
    + ("T",) * 2,
}

HJ_FLUXES = (
    ("godunov", 2.0),
    ("lax-friedrichs", 2.0),
    ("lax-friedrichs", 1.5),
    ("lax-friedrichs", 3.0),
    ("local-lax-friedrichs", 2.0),
    ("local-lax-friedrichs", 1.5),
    ("local-lax-friedrichs", 3.0),
)
"""(flux, q) cases: the Godunov flux needs q = 2; q = 1.5 and 3 call a general pow."""


def _hj_function(lib, kernel: str, dtype):
    """The host entry of ``kernel`` for ``dtype`` with its ctypes argument types set."""
    ct = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    kinds = {
        "p": ctypes.POINTER(ct),
        "i64": ctypes.c_longlong,
        "i32": ctypes.c_int,
        "T": ct,
    }
    fn = getattr(
        lib, f"{kernel.removesuffix('_3d')}_{'float' if dtype == np.float32 else 'double'}"
    )
    fn.argtypes = [ctypes.c_int, ctypes.c_int] + [kinds[k] for k in HJ_SIGNATURES[kernel]]
    fn.restype = None
    return fn


def _hj_geometry(shape, spacing, periodic, dtype):
    """The (n0, n1, n2) view: sizes, active and periodic flags, spacings, data axes' targets."""
    axes = AXES_IN_3D[len(shape)]
    shape3, active3, per3, h3 = [1, 1, 1], [0, 0, 0], [0, 0, 0], [1.0, 1.0, 1.0]
    for axis, t in enumerate(axes):
        shape3[t], active3[t], per3[t], h3[t] = shape[axis], 1, int(periodic[axis]), spacing[axis]
    return axes, [*shape3, *active3, *per3, *(dtype.type(h) for h in h3)]


def _pow_mode(exponent):
    from eulerflow.backends.cupy.hamilton_jacobi import hj_pow_mode

    return hj_pow_mode(exponent)


def _emulate_hj_update(lib, launch, phi_n, phi_k, spacing, periodic, scheme, flux, q, potential,
                       alphas, a, b, c, out=None):  # fmt: skip
    from eulerflow.schemes.hj_derivatives import HJ_SCHEMES, WENO_EPS_SCALE, weno_eps_floor
    from eulerflow.schemes.hj_fluxes import NUMERICAL_HAMILTONIANS

    dtype = phi_k.dtype
    T = dtype.type
    fn = _hj_function(lib, "hj_update_3d", dtype)
    ptr = fn.argtypes[2]
    axes, geometry = _hj_geometry(phi_k.shape, spacing, periodic, dtype)
    half_alphas = [0.0, 0.0, 0.0]
    for axis, t in enumerate(axes):
        half_alphas[t] = 0.5 * alphas[axis]
    out = np.full_like(phi_k, np.nan) if out is None else out
    pot = phi_k if potential is None else potential
    fn(
        *launch,
        *(x.ctypes.data_as(ptr) for x in (phi_n, phi_k, pot, out)),
        *geometry,
        HJ_SCHEMES[scheme],
        NUMERICAL_HAMILTONIANS[flux],
        int(potential is not None),
        T(q),
        T(0.5 * q),
        T(q - 2),
        T(q - 1),
        int(q == 2.0),
        int(q > 2.0),
        _pow_mode(0.5 * q),
        _pow_mode(q - 2),
        _pow_mode(q - 1),
        *(T(x) for x in half_alphas),
        T(a),
        T(b),
        T(c),
        T(WENO_EPS_SCALE),
        T(weno_eps_floor(dtype)),
    )
    return out


def _emulate_hj_derivatives(lib, launch, phi, spacing, periodic, scheme):
    from eulerflow.schemes.hj_derivatives import HJ_SCHEMES, WENO_EPS_SCALE, weno_eps_floor

    dtype = phi.dtype
    fn = _hj_function(lib, "hj_derivatives_3d", dtype)
    ptr = fn.argtypes[2]
    axes, geometry = _hj_geometry(phi.shape, spacing, periodic, dtype)
    minus = [np.full_like(phi, np.nan) for _ in axes]
    plus = [np.full_like(phi, np.nan) for _ in axes]
    outs = [minus[0], plus[0]] * 3
    for axis, t in enumerate(axes):
        outs[2 * t], outs[2 * t + 1] = minus[axis], plus[axis]
    fn(
        *launch,
        *(x.ctypes.data_as(ptr) for x in (phi, *outs)),
        *geometry,
        HJ_SCHEMES[scheme],
        dtype.type(WENO_EPS_SCALE),
        dtype.type(weno_eps_floor(dtype)),
    )
    return minus, plus


def _relative_error(got, want):
    """``max |got - want| / max |want|`` over the finite entries; inf if the NaNs differ."""
    got, want = np.asarray(got), np.asarray(want)
    if not np.array_equal(np.isnan(got), np.isnan(want)):
        return np.inf
    finite = np.isfinite(want)
    if not finite.any():
        return 0.0
    scale = max(float(np.max(np.abs(want[finite]))), float(np.finfo(want.dtype).tiny))
    return float(np.max(np.abs(got[finite] - want[finite]))) / scale


def check_hj_host_emulation() -> str:
    """The Hamilton-Jacobi kernels on the host against the NumPy reference backend.

    Derivatives must be bitwise equal; updates bitwise equal when no general power is evaluated
    (q = 2, or the pow fast paths), else within 4 eps of the largest reference value (libm
    ``pow`` against NumPy's). NaNs (the float32 WENO5 reference on flat data) must coincide.
    """
    import warnings

    from eulerflow.backends.numpy_backend import NumpyBackend

    ref = NumpyBackend()
    rng = np.random.default_rng(2)
    shapes = [(1,), (2,), (7,), (5, 3), (1, 6), (4, 1), (2, 2), (3, 4, 5), (5, 1, 3), (2, 3, 2)]
    shapes += [(1, 1, 4)]
    with tempfile.TemporaryDirectory() as tmp:
        lib, how = _build_host_library(tmp, _HJ_HARNESS, HJ_KERNEL_SOURCE)
        if lib is None:
            return f"skipped: {how}"
        print(f"host emulation (Hamilton-Jacobi): CUDA source compiled with {how}")
        n_deriv = n_update = n_bitwise = n_nan = 0
        worst = 0.0
        for shape, dtype, scheme in itertools.product(
            shapes, (np.float32, np.float64), ("first", "eno2", "weno5")
        ):
            ndim = len(shape)
            cells = int(np.prod(shape))
            launches = ((-(-cells // 4), 4), (2, 3), (1, 1), (3, 32))
            for periodic in itertools.product((False, True), repeat=ndim):
                spacing = tuple(float(h) for h in rng.uniform(0.1, 1.0, ndim))
                phi = rng.standard_normal(shape).astype(dtype)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # float32 WENO5 NaNs
                    want_m, want_p = ref.hj_derivatives(phi, spacing, periodic, scheme)
                for launch in launches[:2]:
                    got_m, got_p = _emulate_hj_derivatives(
                        lib, launch, phi, spacing, periodic, scheme
                    )
                    for got, want in zip(got_m + got_p, want_m + want_p, strict=True):
                        n_deriv += 1
                        if not np.array_equal(got, want, equal_nan=True):
                            raise AssertionError(
                                f"derivatives differ: shape {shape} {np.dtype(dtype)} {scheme} "
                                f"periodic {periodic} launch {launch}: rel err "
                                f"{_relative_error(got, want):.3g}"
                            )
                for case, ((flux, q), with_potential) in enumerate(
                    itertools.product(HJ_FLUXES, (False, True))
                ):
                    phi_n = rng.standard_normal(shape).astype(dtype)
                    potential = rng.random(shape).astype(dtype) if with_potential else None
                    alphas = tuple(float(x) for x in 1 + rng.random(ndim))
                    args = (spacing, periodic, scheme, flux, q, potential, alphas)
                    coefs = (0.75, 0.25, float(0.1 + rng.random()))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        want = ref.hj_update(phi_n, phi, *args, *coefs)
                    launch = launches[case % len(launches)]
                    got = _emulate_hj_update(lib, launch, phi_n, phi, *args, *coefs)
                    n_update += 1
                    n_nan += bool(np.isnan(want).any())
                    general_pow = q != 2.0 and any(
                        _pow_mode(e) == 0 for e in (0.5 * q, q - 2, q - 1)
                    )
                    bitwise = np.array_equal(got, want, equal_nan=True)
                    n_bitwise += bitwise
                    err = _relative_error(got, want)
                    worst = max(worst, err)
                    if not (bitwise or (general_pow and err <= 4 * np.finfo(dtype).eps)):
                        raise AssertionError(
                            f"update differs: shape {shape} {np.dtype(dtype)} {scheme} {flux} "
                            f"q={q} potential {with_potential} periodic {periodic} launch "
                            f"{launch}: rel err {err:.3g}"
                        )
        print(
            f"  {n_deriv} derivative arrays bitwise equal to NumPy; {n_update} updates: "
            f"{n_bitwise} bitwise equal (the others evaluate a general pow), max error "
            f"{worst:.3g} of the largest value; {n_nan} reference results with NaNs matched"
        )
        # out may be phi_n
        phi_n, phi_k = rng.random((6, 5)), rng.random((6, 5))
        args = ((0.5, 0.25), (False, True), "weno5", "godunov", 2.0, None, (1.0, 1.0))
        want = ref.hj_update(phi_n, phi_k, *args, 0.5, 0.5, 0.1)
        _emulate_hj_update(lib, (2, 7), phi_n, phi_k, *args, 0.5, 0.5, 0.1, out=phi_n)
        if not np.array_equal(phi_n, want):
            raise AssertionError("out aliasing phi_n gives a different result")
        print("  out aliasing phi_n: ok (bitwise)")
    return "ok"


# -- 2c. host emulation of the fused hj_update_point kernel ---------------------------------------
_HJ_POINT_HARNESS = r"""
#include <math.h>
#include <cmath>
#define __launch_bounds__(...)
#define __global__
#define __device__
#define __forceinline__ inline
struct ef_dim3 { unsigned int x, y, z; };
static ef_dim3 threadIdx, blockIdx, blockDim, gridDim;

@SOURCE@

#define EF_POINT_ENTRY(SUFFIX, T) \
extern "C" void hj_point_update_##SUFFIX( \
    int grid, int block, const T* phi_n, const T* phi_k, const T* m0, const T* p0, \
    const T* m1, const T* p1, const T* m2, const T* p2, const T* table, const T* par, T* out, \
    T* bounds, long long n, int ndim, int dim_u, int kind_u, int dim_d, int kind_d, \
    int maximize, int local, int tube, T sign, T ha0, T ha1, T ha2, T a, T b, T c) \
{ \
    gridDim.x = grid; \
    blockDim.x = block; \
    for (int bi = 0; bi < grid; ++bi) { \
        for (int ti = 0; ti < block; ++ti) { \
            blockIdx.x = bi; \
            threadIdx.x = ti; \
            hj_point_update<T>(phi_n, phi_k, m0, p0, m1, p1, m2, p2, table, par, out, bounds, \
                               n, ndim, dim_u, kind_u, dim_d, kind_d, maximize, local, tube, \
                               sign, ha0, ha1, ha2, a, b, c); \
        } \
    } \
}

EF_POINT_ENTRY(float, float)
EF_POINT_ENTRY(double, double)
"""

HJ_POINT_SIGNATURE = ("p",) * 12 + ("i64",) + ("i32",) * 8 + ("T",) * 7
"""Parameter kinds of ``hj_point_update`` in order (as in :data:`HJ_SIGNATURES`)."""

POINT_TOLERANCES = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}
"""Largest error of the fused kernel against the array reference, relative to the largest value
(outputs) or to each value (maxima): the table is evaluated once in float64 and cast, where the
reference evaluates the dynamics in the precision of the data; ``sqrt`` and ``cos`` may round
differently."""


def _point_function(lib, dtype):
    """The host entry of ``hj_point_update`` for ``dtype`` with its ctypes argument types set."""
    ct = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    kinds = {"p": ctypes.POINTER(ct), "i64": ctypes.c_longlong, "i32": ctypes.c_int, "T": ct}
    fn = getattr(lib, f"hj_point_update_{'float' if dtype == np.float32 else 'double'}")
    fn.argtypes = [ctypes.c_int, ctypes.c_int] + [kinds[k] for k in HJ_POINT_SIGNATURE]
    fn.restype = None
    return fn


def _point_hamiltonians():
    """``(label, ControlAffine)`` cases of the fused kernel: air3d (3D) and two smaller games,
    each with a box or ball control set, no disturbance or a box or ball disturbance set, mode
    reach or avoid, and the reflected game (``direction="backward"``); all time-invariant."""
    from eulerflow.hamiltonians import ControlAffine, ControlBall, ControlBox

    games = {  # ndim: (drift, G, D, control dim, disturbance dim)
        1: (
            lambda t, x: (np.sin(x[0]) - 0.3,),
            lambda t, x: ((1.0 + 0.5 * x[0], -0.4),),
            lambda t, x: ((0.3 * np.cos(x[0]),),),
            2,
            1,
        ),
        2: (
            lambda t, x: (np.cos(x[1]) - 1.0, np.sin(x[1]) * x[0]),
            lambda t, x: ((x[1], 0.5), (-x[0], 1.0)),
            lambda t, x: ((0.3, 0.1 * x[1]), (0.2 * x[0], -0.5)),
            2,
            2,
        ),
        3: (  # air3d: relative Dubins cars, v = 5, turn rates 1
            lambda t, x: (-5.0 + 5.0 * np.cos(x[2]), 5.0 * np.sin(x[2]), 0.0 * x[0]),
            lambda t, x: ((x[1],), (-x[0],), (-1.0,)),
            lambda t, x: ((0.0,), (0.0,), (1.0,)),
            1,
            1,
        ),
    }
    for ndim, (drift, gmat, dmat, m, k) in games.items():
        controls = {
            "box": ControlBox([-1.0, 0.0][:m], [0.5, 2.0][:m]),
            "ball": ControlBall([0.1, -0.2][:m], 0.8),
        }
        disturbances = {
            "none": None,
            "box": ControlBox([-0.5, -1.0][:k], [1.0, 0.25][:k]),
            "ball": ControlBall([0.05, 0.3][:k], 0.6),
        }
        for (u_name, u_set), (d_name, d_set), mode in itertools.product(
            controls.items(), disturbances.items(), ("reach", "avoid")
        ):
            h = ControlAffine(
                drift,
                gmat,
                None if d_set is None else dmat,
                u_set,
                d_set,
                mode=mode,
                ndim=ndim,
                time_invariant=True,
            )
            label = f"{ndim}D U={u_name} V={d_name} {mode}"
            yield label, h
            yield label + " reflected", h.reflected()


def _emulate_hj_point(lib, launch, phi_n, phi_k, minus, plus, hamiltonian, coords, local, alphas,
                      tube, a, b, c, out=None):  # fmt: skip
    """One emulated launch of ``hj_point_update``; returns ``(out, maxima)``."""
    dtype = phi_k.dtype
    T = dtype.type
    fn = _point_function(lib, dtype)
    ptr = fn.argtypes[2]
    params = hamiltonian.kernel_parameters()
    disturbance = params.disturbance or (0, (), 0)
    table = np.ascontiguousarray(hamiltonian.dense_table(coords), dtype=dtype)
    values = np.asarray(params.control[1] + disturbance[1], dtype=dtype)
    ndim, n = phi_k.ndim, phi_k.size
    pointers = [minus[0], plus[0]] * 3
    half_alphas = [0.0, 0.0, 0.0]
    for axis in range(ndim):
        pointers[2 * axis], pointers[2 * axis + 1] = minus[axis], plus[axis]
        half_alphas[axis] = 0.5 * alphas[axis]
    out = np.full_like(phi_k, np.nan) if out is None else out
    maxima = np.full((ndim, launch[0] * launch[1]), np.nan, dtype)
    keep = [np.ascontiguousarray(x) for x in (phi_n, phi_k, *pointers)]
    fn(
        *launch,
        *(x.ctypes.data_as(ptr) for x in (*keep, table, values, out, maxima)),
        n,
        ndim,
        params.control[2],
        params.control[0],
        disturbance[2],
        disturbance[0],
        int(params.maximize),
        int(local),
        int(tube),
        T(params.sign),
        *(T(x) for x in half_alphas),
        T(a),
        T(b),
        T(c),
    )
    return out, tuple(float(x) for x in maxima.max(axis=1))


def _point_problem(rng, shape, dtype):
    """Random ``(spacing, periodic, coords, phi_n, phi_k, alphas)`` of an air3d-like problem."""
    ndim = len(shape)
    spacing = tuple(float(x) for x in rng.uniform(0.2, 1.0, ndim))
    periodic = tuple(bool(p) for p in rng.integers(0, 2, ndim))
    coords = tuple(np.sort(rng.uniform(-2.0, 2.0, m)) for m in shape)
    phi_n, phi_k = rng.standard_normal((2, *shape)).astype(dtype)
    alphas = tuple(float(x) for x in 1 + 5 * rng.random(ndim))
    return spacing, periodic, coords, phi_n, phi_k, alphas


def check_hj_point_host_emulation() -> str:
    """The fused ``hj_update_point`` kernel on the host against the NumPy reference backend.

    Every case of :func:`_point_hamiltonians` with local and global Lax-Friedrichs, with and
    without a tube, in float32 and float64, on 1D/2D/3D grids (axes of length one included),
    launches with fewer threads than cells; the derivatives come from the NumPy reference (the
    derivative kernel is checked bit for bit by :func:`check_hj_host_emulation`). Outputs and
    maxima within :data:`POINT_TOLERANCES`; ``out`` may alias ``phi_n``.
    """
    from eulerflow.backends.numpy_backend import NumpyBackend

    ref = NumpyBackend()
    rng = np.random.default_rng(7)
    shapes = {1: ((9,), (1,)), 2: ((6, 5), (1, 7)), 3: ((3, 4, 5), (4, 1, 3))}
    with tempfile.TemporaryDirectory() as tmp:
        lib, how = _build_host_library(tmp, _HJ_POINT_HARNESS, HJ_POINT_KERNEL_SOURCE)
        if lib is None:
            return f"skipped: {how}"
        print(f"host emulation (fused hj_update_point): CUDA source compiled with {how}")
        n_cases = n_bitwise = 0
        worst = {np.dtype(np.float32): 0.0, np.dtype(np.float64): 0.0}
        for case, (label, h) in enumerate(_point_hamiltonians()):
            shape = shapes[h.ndim][case % 2]
            cells = int(np.prod(shape))
            for dtype, local, tube in itertools.product(
                (np.float32, np.float64), (True, False), (False, True)
            ):
                dtype = np.dtype(dtype)
                spacing, periodic, coords, phi_n, phi_k, alphas = _point_problem(rng, shape, dtype)
                scheme = ("weno5", "eno2")[case % 2]
                flux = "local-lax-friedrichs" if local else "lax-friedrichs"
                coefs = (0.75, 0.25, float(0.1 + rng.random()))
                want, want_max = ref.hj_update_point(
                    phi_n, phi_k, spacing, periodic, scheme, flux, h, coords, 0.0, alphas, tube,
                    *coefs,
                )  # fmt: skip
                minus, plus = ref.hj_derivatives(phi_k, spacing, periodic, scheme)
                launch = ((-(-cells // 4), 4), (2, 3), (1, 1), (3, 32))[n_cases % 4]
                got, got_max = _emulate_hj_point(
                    lib, launch, phi_n, phi_k, minus, plus, h, coords, local, alphas, tube,
                    *coefs,
                )  # fmt: skip
                n_cases += 1
                n_bitwise += bool(np.array_equal(got, want) and got_max == want_max)
                err = _relative_error(got, want)
                err_max = max(
                    (
                        abs(g - w) / abs(w) if w else abs(g)
                        for g, w in zip(got_max, want_max, strict=True)
                    ),
                    default=0.0,
                )
                worst[dtype] = max(worst[dtype], err, err_max)
                if not (np.isfinite(got).all() and max(err, err_max) <= POINT_TOLERANCES[dtype]):
                    raise AssertionError(
                        f"fused hj_update_point differs: {label}, shape {shape} {dtype} "
                        f"{flux} tube {tube} launch {launch}: rel err {err:.3g}, maxima "
                        f"{got_max} vs {want_max}"
                    )
        print(
            f"  {n_cases} launches vs NumPy reference: {n_bitwise} bitwise equal (outputs and "
            f"maxima), max error float64 {worst[np.dtype(np.float64)]:.3g}, float32 "
            f"{worst[np.dtype(np.float32)]:.3g}"
        )
        # out may be phi_n
        label, h = next(_point_hamiltonians())
        spacing, periodic, coords, phi_n, phi_k, alphas = _point_problem(rng, (9,), np.float64)
        args = (spacing, periodic, "weno5", "local-lax-friedrichs", h, coords, 0.0, alphas, True)
        want, _ = ref.hj_update_point(phi_n, phi_k, *args, 0.5, 0.5, 0.1)
        minus, plus = ref.hj_derivatives(phi_k, spacing, periodic, "weno5")
        _emulate_hj_point(
            lib, (2, 3), phi_n, phi_k, minus, plus, h, coords, True, alphas, True, 0.5, 0.5,
            0.1, out=phi_n,
        )  # fmt: skip
        if _relative_error(phi_n, want) > POINT_TOLERANCES[phi_n.dtype]:
            raise AssertionError("out aliasing phi_n gives a different result")
        print("  out aliasing phi_n: ok")
    return "ok"


class _StubDeviceArray(np.ndarray):
    """A NumPy array that :func:`eulerflow.arrays.is_cupy_array` takes for a CuPy array."""

    __module__ = "cupy._stub"

    @property
    def data(self):
        return type("MemoryPointer", (), {"ptr": self.__array_interface__["data"][0]})()


def _stub_hj_kernel(lib, name, launches):
    """A stub launch of the Hamilton-Jacobi kernel ``name`` (e.g. ``hj_update_3d<float>``)."""
    base = name[: name.index("<")]
    dtype = np.dtype({"float": np.float32, "double": np.float64}[name[name.index("<") + 1 : -1]])
    kinds = {"p": _StubDeviceArray, "i64": np.int64, "i32": np.int32, "T": dtype.type}
    want = [kinds[k] for k in HJ_SIGNATURES[base]]
    n_arrays = HJ_SIGNATURES[base].count("p")
    fn = _hj_function(lib, base, dtype)
    ptr = fn.argtypes[2]

    def kernel(grid, block, args):
        # the exact types of the kernel signature, in order
        assert len(args) == len(want), (name, len(args), len(want))
        for k, (arg, typ) in enumerate(zip(args, want, strict=True)):
            assert type(arg) is typ, (name, k, type(arg), typ)
        n0, n1, n2 = (int(n) for n in args[n_arrays : n_arrays + 3])
        for arr in args[:n_arrays]:
            assert arr.dtype == dtype and arr.flags.c_contiguous and arr.size == n0 * n1 * n2
        launches.append((grid, block))
        fn(
            int(grid[0]),
            int(block[0]),
            *(np.ndarray.view(x, np.ndarray).ctypes.data_as(ptr) for x in args[:n_arrays]),
            *args[n_arrays:],
        )

    return kernel


def _stub_point_kernel(lib, name, launches):
    """A stub launch of ``hj_point_update<T>``: checks the exact argument types and sizes, then
    runs the host emulation."""
    dtype = np.dtype({"float": np.float32, "double": np.float64}[name[name.index("<") + 1 : -1]])
    kinds = {"p": _StubDeviceArray, "i64": np.int64, "i32": np.int32, "T": dtype.type}
    want = [kinds[k] for k in HJ_POINT_SIGNATURE]
    fn = _point_function(lib, dtype)
    ptr = fn.argtypes[2]

    def kernel(grid, block, args):
        assert len(args) == len(want), (name, len(args), len(want))
        for k, (arg, typ) in enumerate(zip(args, want, strict=True)):
            assert type(arg) is typ, (name, k, type(arg), typ)
        n, ndim, dim_u, kind_u, dim_d, kind_d = (int(x) for x in args[12:18])
        for arr in args[:12]:
            assert arr.dtype == dtype and arr.flags.c_contiguous
        for arr in (*args[:8], args[10]):
            assert arr.size == n
        rows = ndim * (1 + dim_u + dim_d)
        assert args[8].shape == (rows, n) and args[11].shape == (ndim, grid[0] * block[0])
        assert args[9].size == (2 * dim_u if kind_u == 0 else dim_u + 1) + (
            0 if dim_d == 0 else 2 * dim_d if kind_d == 0 else dim_d + 1
        )
        launches.append((name, grid, block))
        fn(
            int(grid[0]),
            int(block[0]),
            *(np.ndarray.view(x, np.ndarray).ctypes.data_as(ptr) for x in args[:12]),
            *args[12:],
        )

    return kernel


def _stub_cupy(lib, launches, hj_lib=None, point_lib=None):
    """A namespace with the parts of CuPy the backend uses, launching on the host emulation
    (``lib``: the transport harness, ``hj_lib``: the Hamilton-Jacobi harness, ``point_lib``: the
    harness of the fused ``hj_update_point`` kernel)."""
    from types import SimpleNamespace

    def dev(x, dtype=None):
        return np.asarray(x, dtype=dtype).view(_StubDeviceArray)

    class RawModule:
        def __init__(self, code, options, name_expressions):
            assert code in (TRANSPORT_KERNEL_SOURCE, HJ_KERNEL_SOURCE, HJ_POINT_KERNEL_SOURCE)
            assert options == NVRTC_OPTIONS
            self.hj = code == HJ_KERNEL_SOURCE
            self.point = code == HJ_POINT_KERNEL_SOURCE
            self.names = tuple(name_expressions)
            assert self.names == (
                HJ_KERNEL_NAME_EXPRESSIONS
                if self.hj
                else HJ_POINT_KERNEL_NAME_EXPRESSIONS
                if self.point
                else TRANSPORT_KERNEL_NAME_EXPRESSIONS
            )

        def get_function(self, name):
            assert name in self.names, name
            if self.hj:
                return _stub_hj_kernel(hj_lib, name, launches)
            if self.point:
                return _stub_point_kernel(point_lib, name, launches)
            ctype = name[name.index("<") + 1 : -1]
            dtype = {"float": np.float32, "double": np.float64}[ctype]

            def kernel(grid, block, args):
                # the exact types of the kernel signature, in order
                want = [_StubDeviceArray] * 6 + [np.int64] * 3 + [np.int32] * 3
                want += [dtype] * 3 + [np.int32] + [dtype] * 3
                assert len(args) == len(want), len(args)
                for k, (arg, typ) in enumerate(zip(args, want, strict=True)):
                    assert type(arg) is typ, (k, type(arg), typ)
                for arr in args[:6]:
                    assert arr.dtype == dtype and arr.flags.c_contiguous
                n0, n1, n2 = (int(n) for n in args[6:9])
                assert args[0].size == args[1].size == args[5].size == n0 * n1 * n2
                for k, n in enumerate((n0, n1, n2)):  # velocity sizes on active axes
                    if n > 1:
                        assert args[2 + k].size == n0 * n1 * n2 // n * (n + 1)
                launches.append((grid, block))
                ptr = ctypes.POINTER(ctypes.c_float if dtype == np.float32 else ctypes.c_double)
                fn = getattr(lib, f"run_{ctype}")
                fn(
                    int(grid[0]),
                    int(block[0]),
                    *(np.ndarray.view(x, np.ndarray).ctypes.data_as(ptr) for x in args[:6]),
                    *args[6:],
                )

            return kernel

    device = SimpleNamespace(id=0, attributes={"MultiProcessorCount": 2})
    return SimpleNamespace(
        asarray=dev,
        ascontiguousarray=lambda x: dev(np.ascontiguousarray(x)),
        empty=lambda shape, dtype: dev(np.empty(shape, dtype)),
        may_share_memory=np.may_share_memory,
        RawModule=RawModule,
        cuda=SimpleNamespace(Device=lambda: device),
    )


def check_backend_with_stub() -> str:
    """Run :class:`CupyBackend` end to end with a stub CuPy that launches the host emulation."""
    from eulerflow.backends.cupy.backend import CupyBackend
    from eulerflow.backends.numpy_backend import NumpyBackend

    ref = NumpyBackend()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        lib, how = _build_host_library(tmp)
        if lib is None:
            return f"skipped: {how}"
        for name, ct in (("run_float", ctypes.c_float), ("run_double", ctypes.c_double)):
            ptr = ctypes.POINTER(ct)
            fn = getattr(lib, name)
            fn.argtypes = [ctypes.c_int] * 2 + [ptr] * 6 + [ctypes.c_longlong] * 3
            fn.argtypes += [ctypes.c_int] * 3 + [ct] * 3 + [ctypes.c_int] + [ct] * 3
        launches = []
        backend = CupyBackend(_stub_cupy(lib, launches))  # without importing CuPy
        n = 0
        for shape in ((9,), (6, 5), (1, 7), (3, 4, 5), (4, 1, 3)):
            for dtype, limiter in itertools.product((np.float32, np.float64), ("vanleer", "mc")):
                ndim = len(shape)
                periodic = tuple(bool(p) for p in rng.integers(0, 2, ndim))
                rho_n = rng.random(shape).astype(dtype)
                rho_k = rng.random(shape).astype(dtype)
                us = []
                for axis in range(ndim):
                    fshape = tuple(m + (a == axis) for a, m in enumerate(shape))
                    u = rng.standard_normal(fshape).astype(dtype)
                    if periodic[axis]:
                        np.moveaxis(u, axis, 0)[-1] = np.moveaxis(u, axis, 0)[0]
                    us.append(u)
                h = tuple(float(x) for x in rng.uniform(0.2, 1.0, ndim))
                args = (us, h, periodic, limiter, 0.75, 0.25, 0.03)
                want = ref.transport_update(rho_n, rho_k, *args)
                dk = backend.asarray(rho_k)
                # host inputs, allocated out
                got = backend.transport_update(rho_n, rho_k, *args)
                assert type(got) is _StubDeviceArray and np.array_equal(got, want)
                # out is rho_n (allowed), non-contiguous rho_n and velocities
                wide = backend.asarray(np.repeat(rho_n, 2, axis=-1))
                rn = wide[..., ::2]
                us_nc = [np.repeat(u, 2, axis=-1)[..., ::2] for u in us]
                got = backend.transport_update(rn, dk, us_nc, *args[1:])
                assert np.array_equal(got, want)
                dn = backend.asarray(rho_n.copy())
                got = backend.transport_update(dn, dk, us, *args[1:], out=dn)
                assert got is dn and np.array_equal(dn, want)
                # non-contiguous out goes through a temporary
                out_wide = backend.asarray(np.zeros(wide.shape, dtype))
                got = backend.transport_update(rho_n, dk, *args, out=out_wide[..., 1::2])
                assert np.array_equal(out_wide[..., 1::2], want)
                assert not out_wide[..., ::2].any()
                # out overlapping rho_k is refused
                try:
                    backend.transport_update(dk, dk, *args, out=dk[...])
                except ValueError:
                    pass
                else:
                    raise AssertionError("out overlapping rho_k was accepted")
                n += 1
        grids = sorted({g for g, _ in launches})
        print(f"  {n} cases x 4 calls through CupyBackend: bitwise equal to NumPy; grids {grids}")
    return "ok"


def check_hj_backend_with_stub() -> str:
    """The Hamilton-Jacobi methods of :class:`CupyBackend` end to end with a stub CuPy."""
    import warnings

    from eulerflow.backends.cupy.backend import CupyBackend
    from eulerflow.backends.numpy_backend import NumpyBackend

    ref = NumpyBackend()
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        hj_lib, how = _build_host_library(tmp, _HJ_HARNESS, HJ_KERNEL_SOURCE)
        if hj_lib is None:
            return f"skipped: {how}"
        launches = []
        backend = CupyBackend(_stub_cupy(None, launches, hj_lib))  # without importing CuPy
        n = 0
        worst = 0.0
        for shape in ((9,), (6, 5), (1, 7), (3, 4, 5), (4, 1, 3), (2, 3, 1)):
            for dtype, scheme in itertools.product((np.float32, np.float64), ("eno2", "weno5")):
                ndim = len(shape)
                tol = 4 * np.finfo(dtype).eps
                periodic = tuple(bool(p) for p in rng.integers(0, 2, ndim))
                h = tuple(float(x) for x in rng.uniform(0.2, 1.0, ndim))
                phi_n = rng.standard_normal(shape).astype(dtype)
                phi_k = rng.standard_normal(shape).astype(dtype)
                potential = rng.random(shape).astype(dtype)
                alphas = tuple(float(x) for x in 1 + rng.random(ndim))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # float32 WENO5 NaNs
                    want_m, want_p = ref.hj_derivatives(phi_k, h, periodic, scheme)
                    got_m, got_p = backend.hj_derivatives(phi_k, h, periodic, scheme)
                    assert all(type(x) is _StubDeviceArray for x in got_m + got_p)
                    for got, want in zip(got_m + got_p, want_m + want_p, strict=True):
                        assert np.array_equal(got, want, equal_nan=True)
                    for (flux, q), pot in itertools.product(HJ_FLUXES, (None, potential)):
                        args = (h, periodic, scheme, flux, q, pot, alphas, 0.75, 0.25, 0.03)
                        want = ref.hj_update(phi_n, phi_k, *args)
                        dk = backend.asarray(phi_k)
                        # host inputs, allocated out
                        got = backend.hj_update(phi_n, phi_k, *args)
                        assert type(got) is _StubDeviceArray
                        err = _relative_error(got, want)
                        assert np.array_equal(got, want, equal_nan=True) or (
                            q != 2 and err <= tol
                        ), (shape, dtype, scheme, flux, q, err)
                        worst = max(worst, err)
                        # out is phi_n (allowed), non-contiguous phi_n
                        wide = backend.asarray(np.repeat(phi_n, 2, axis=-1))
                        got2 = backend.hj_update(wide[..., ::2], dk, *args)
                        assert np.array_equal(got2, got, equal_nan=True)
                        dn = backend.asarray(phi_n.copy())
                        got2 = backend.hj_update(dn, dk, *args, out=dn)
                        assert got2 is dn and np.array_equal(dn, got, equal_nan=True)
                        # non-contiguous out goes through a temporary
                        out_wide = backend.asarray(np.zeros(wide.shape, dtype))
                        backend.hj_update(phi_n, dk, *args, out=out_wide[..., 1::2])
                        assert np.array_equal(out_wide[..., 1::2], got, equal_nan=True)
                        assert not out_wide[..., ::2].any()
                        # out overlapping phi_k is refused
                        try:
                            backend.hj_update(dk, dk, *args, out=dk[...])
                        except ValueError:
                            pass
                        else:
                            raise AssertionError("out overlapping phi_k was accepted")
                        n += 1
        grids = sorted({g for g, _ in launches})
        print(
            f"  {n} hj_update cases x 4 calls and hj_derivatives through CupyBackend: bitwise "
            f"equal to NumPy where q = 2, max error {worst:.3g} of the largest value; "
            f"grids {grids}"
        )
    return "ok"


def check_hj_point_with_stub() -> str:
    """``hj_update_point`` and ``hj_update(maxima=True)`` of :class:`CupyBackend` with a stub
    CuPy: the derivatives run on the host emulation of the CUDA kernel, the point Hamiltonian
    as array expressions on the stub's arrays (NumPy functions stand in for CuPy's)."""
    from types import SimpleNamespace

    from eulerflow.backends.cupy.backend import CupyBackend
    from eulerflow.backends.numpy_backend import NumpyBackend
    from eulerflow.hamiltonians import ControlAffine, ControlBall, ControlBox

    hamiltonians = {
        2: ControlAffine(
            lambda t, x: (np.cos(x[1]) - 1.0 + t, np.sin(x[1]) * x[0]),
            lambda t, x: ((x[1], 0.5), (-x[0], 1.0)),
            lambda t, x: ((0.3,), (0.2 * x[0],)),
            ControlBox([-1.0, 0.0], [0.5, 2.0]),
            ControlBall([0.1], 0.8),
            mode="avoid",
        ),
        3: ControlAffine(
            lambda t, x: (-5.0 + 5.0 * np.cos(x[2]), 5.0 * np.sin(x[2]), 0.0 * x[0]),
            lambda t, x: ((x[1],), (-x[0],), (-1.0,)),
            lambda t, x: ((0.0,), (0.0,), (1.0,)),
            ControlBox([-1.0], [1.0]),
            ControlBox([-1.0], [1.0]),
            mode="avoid",
        ),
    }
    ref = NumpyBackend()
    rng = np.random.default_rng(5)
    worst, n = 0.0, 0
    with tempfile.TemporaryDirectory() as tmp:
        hj_lib, how = _build_host_library(tmp, _HJ_HARNESS, HJ_KERNEL_SOURCE)
        if hj_lib is None:
            return f"skipped: {how}"
        stub = _stub_cupy(None, [], hj_lib)
        functions = ("minimum", "maximum", "abs", "sqrt", "broadcast_to", "cos", "sin")
        xp = SimpleNamespace(**vars(stub), **{name: getattr(np, name) for name in functions})
        backend = CupyBackend(xp)
        for shape in ((6, 5), (1, 7), (3, 4, 5), (4, 1, 3)):
            ndim = len(shape)
            for h, flux, tube in itertools.product(
                (hamiltonians[ndim], hamiltonians[ndim].reflected()),
                ("local-lax-friedrichs", "lax-friedrichs"),
                (False, True),
            ):
                periodic = tuple(bool(p) for p in rng.integers(0, 2, ndim))
                spacing = tuple(float(x) for x in rng.uniform(0.2, 1.0, ndim))
                coords = tuple(np.sort(rng.uniform(-2, 2, m)) for m in shape)
                phi_n, phi_k = rng.standard_normal((2, *shape))
                args = (spacing, periodic, "weno5", flux, h, coords, 0.4, (1.0,) * ndim, tube)
                args += (0.75, 0.25, 0.03)
                want, want_max = ref.hj_update_point(phi_n, phi_k, *args)
                got, got_max = backend.hj_update_point(phi_n, phi_k, *args)
                worst = max(worst, _relative_error(got, want))
                assert np.allclose(got_max, want_max, rtol=1e-12, atol=0), (got_max, want_max)
                n += 1
            args = (spacing, periodic, "weno5", "godunov", 2.0, None, (1.0,) * ndim, 0.5, 0.5)
            want, want_max = ref.hj_update(phi_n, phi_k, *args, 0.1, maxima=True)
            got, got_max = backend.hj_update(phi_n, phi_k, *args, 0.1, maxima=True)
            assert np.array_equal(got, want) and got_max == want_max, (got_max, want_max)
    assert worst <= 1e-12, worst
    print(
        f"  {n} hj_update_point cases through CupyBackend: max error {worst:.3g} of the largest "
        "value; hj_update(maxima=True): bitwise equal, same maxima"
    )
    return "ok"


def check_hj_point_fused_with_stub() -> str:
    """``hj_update_point`` of :class:`CupyBackend` for time-invariant control-affine
    Hamiltonians with a stub CuPy: the emulated derivative kernel, then the emulated fused
    kernel (launch argument types and sizes checked), against the NumPy reference within
    :data:`POINT_TOLERANCES`, for the games of :func:`_point_hamiltonians` and for ``Air3d``,
    ``DubinsCar`` and ``DoubleIntegrator`` of :mod:`eulerflow.systems`; ``out`` aliasing
    ``phi_n``, a non-contiguous ``out``, and a time-dependent game still taking the array
    path."""
    from types import SimpleNamespace

    from eulerflow.backends.cupy.backend import CupyBackend
    from eulerflow.backends.numpy_backend import NumpyBackend
    from eulerflow.hamiltonians import ControlAffine, ControlBox
    from eulerflow.systems import Air3d, DoubleIntegrator, DubinsCar

    ref = NumpyBackend()
    rng = np.random.default_rng(11)
    shapes = {1: (9,), 2: (6, 5), 3: (3, 4, 5)}
    with tempfile.TemporaryDirectory() as tmp:
        hj_lib, how = _build_host_library(tmp, _HJ_HARNESS, HJ_KERNEL_SOURCE)
        if hj_lib is None:
            return f"skipped: {how}"
        point_lib, _ = _build_host_library(tmp, _HJ_POINT_HARNESS, HJ_POINT_KERNEL_SOURCE)
        launches = []
        stub = _stub_cupy(None, launches, hj_lib, point_lib)
        functions = ("minimum", "maximum", "abs", "sqrt", "broadcast_to", "cos", "sin")
        xp = SimpleNamespace(**vars(stub), **{name: getattr(np, name) for name in functions})
        backend = CupyBackend(xp)
        n, worst = 0, 0.0
        for case, (label, h) in enumerate(_point_hamiltonians()):
            if case % 3:  # a third of the games: every dimension, set and mode still occurs
                continue
            dtype = np.dtype((np.float64, np.float32)[case % 2])
            shape = shapes[h.ndim]
            spacing, periodic, coords, phi_n, phi_k, alphas = _point_problem(rng, shape, dtype)
            for flux, tube in itertools.product(
                ("local-lax-friedrichs", "lax-friedrichs"), (False, True)
            ):
                args = (spacing, periodic, "weno5", flux, h, coords, 0.0, alphas, tube)
                args += (0.75, 0.25, 0.03)
                want, want_max = ref.hj_update_point(phi_n, phi_k, *args)
                before = len(launches)
                got, got_max = backend.hj_update_point(phi_n, phi_k, *args)
                assert type(got) is _StubDeviceArray
                # the derivative kernel (recorded as (grid, block)), then the fused kernel
                new = launches[before:]
                assert len(new) == 2 and new[1][0] == f"hj_point_update<{c_type(dtype)}>", new
                err = _relative_error(got, want)
                worst = max(worst, err)
                tol = POINT_TOLERANCES[dtype]
                assert err <= tol, (label, dtype, flux, tube, err)
                assert np.allclose(got_max, want_max, rtol=tol, atol=0), (got_max, want_max)
                # out is phi_n (allowed); a non-contiguous out goes through a temporary
                dn = backend.asarray(phi_n.copy())
                got2, _ = backend.hj_update_point(dn, phi_k, *args, out=dn)
                assert got2 is dn and np.array_equal(dn, got)
                out_wide = backend.asarray(np.zeros((*shape[:-1], 2 * shape[-1]), dtype))
                backend.hj_update_point(phi_n, phi_k, *args, out=out_wide[..., 1::2])
                assert np.array_equal(out_wide[..., 1::2], got)
                assert not out_wide[..., ::2].any()
                n += 1
        # the named systems, forward and reflected (direction="backward"), on their domains
        for system, dtype in itertools.product(
            (Air3d(), DubinsCar(), DoubleIntegrator()), (np.float64, np.float32)
        ):
            # more cells than the threads of the stub's launches (2 multiprocessors x
            # POINT_BLOCKS_PER_SM blocks): each thread covers several cells and keeps their maxima
            shape = {2: (70, 66), 3: (17, 16, 17)}[len(system.bounds)]
            edges = [
                np.linspace(lo, hi, m + 1) for (lo, hi), m in zip(system.bounds, shape, strict=True)
            ]
            coords = tuple(0.5 * (e[1:] + e[:-1]) for e in edges)
            spacing = tuple(float(e[1] - e[0]) for e in edges)
            grids = np.meshgrid(*coords, indexing="ij")
            phi_k = (np.hypot(grids[0], grids[1]) - 0.5 + 0.1 * rng.standard_normal(shape)).astype(
                dtype
            )
            phi_n = phi_k + dtype(0.01) * rng.standard_normal(shape).astype(dtype)
            for h, flux in itertools.product(
                (system.hamiltonian, system.hamiltonian.reflected()),
                ("local-lax-friedrichs", "lax-friedrichs"),
            ):
                args = (
                    spacing,
                    system.periodic,
                    "weno5",
                    flux,
                    h,
                    coords,
                    0.0,
                    (5.0,) * len(shape),
                )
                args += (True, 0.75, 0.25, 0.03)
                want, want_max = ref.hj_update_point(phi_n, phi_k, *args)
                before = len(launches)
                got, got_max = backend.hj_update_point(phi_n, phi_k, *args)
                grid = (2 * POINT_BLOCKS_PER_SM,)
                assert launches[-1] == (f"hj_point_update<{c_type(dtype)}>", grid, (256,))
                assert np.prod(shape) > grid[0] * 256
                assert len(launches) == before + 2
                tol = POINT_TOLERANCES[np.dtype(dtype)]
                err = _relative_error(got, want)
                worst = max(worst, err)
                assert err <= tol, (type(system).__name__, dtype, flux, err)
                assert np.allclose(got_max, want_max, rtol=tol, atol=0), (got_max, want_max)
                n += 1
        # a game whose dynamics may depend on time: array expressions, no fused launch
        h = ControlAffine(
            lambda t, x: (np.cos(x[0]) + t,),
            lambda t, x: ((1.0,),),
            control_set=ControlBox([-1.0], [1.0]),
        )
        spacing, periodic, coords, phi_n, phi_k, alphas = _point_problem(rng, (9,), np.float64)
        args = (spacing, periodic, "weno5", "lax-friedrichs", h, coords, 0.3, alphas, False)
        before = len(launches)
        backend.hj_update_point(phi_n, phi_k, *args, 0.75, 0.25, 0.03)
        assert len(launches) == before + 1 and len(launches[-1]) == 2, launches[before:]
    print(
        f"  {n} fused hj_update_point cases through CupyBackend: max error "
        f"{worst:.3g} of the largest value; a time-dependent game took the array path"
    )
    return "ok"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ptxas", action="store_true", help="assemble for sm_90 with ptxas -v")
    args = parser.parse_args(argv)
    failed = False
    for label, check in (
        ("NVRTC compile", lambda: check_nvrtc(args.ptxas)),
        ("host emulation", check_host_emulation),
        ("host emulation (Hamilton-Jacobi)", check_hj_host_emulation),
        ("host emulation (fused hj_update_point)", check_hj_point_host_emulation),
        ("CupyBackend with a stub CuPy", check_backend_with_stub),
        ("CupyBackend with a stub CuPy (Hamilton-Jacobi)", check_hj_backend_with_stub),
        ("CupyBackend with a stub CuPy (point Hamiltonians)", check_hj_point_with_stub),
        ("CupyBackend with a stub CuPy (fused hj_update_point)", check_hj_point_fused_with_stub),
    ):
        try:
            result = check()
        except Exception as err:
            failed = True
            result = f"FAILED: {type(err).__name__}: {err}"
        print(f"{label}: {result}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
