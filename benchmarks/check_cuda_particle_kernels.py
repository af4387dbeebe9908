"""Check the CUDA source of the particle kernels of the CuPy backend without a GPU.

1. **NVRTC compile** (needs CuPy's NVRTC, no device): :data:`PARTICLE_KERNEL_SOURCE` with the
   backend's options and all four instantiations, to PTX for compute capabilities 6.0 (the
   first with ``atomicAdd`` on ``double``), 7.0, 8.0 and 9.0.
2. **Host emulation** (needs a C++ compiler): the same source compiled for the CPU
   (``__global__`` etc. defined away, ``atomicAdd`` a plain addition: the emulated threads run
   one after another), launched with fewer threads than particles (grid-stride loop) on random
   1D/2D/3D inputs (periodic, walled and mixed axes, odd sizes, axes of length one, particles
   outside, on faces and NaN, float32 and float64, NGP and CIC), and compared with the NumPy
   reference backend: 1e-12 (float64) and 1e-5 (float32) relative to the largest value.

Run from the repository root::

    PYTHONPATH=. python benchmarks/check_cuda_particle_kernels.py

Exits 1 when a check fails; a check whose tool is missing prints ``skipped: <reason>``.
"""

from __future__ import annotations

import ctypes
import itertools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from eulerflow.backends.cupy.compile import NVRTC_OPTIONS
from eulerflow.backends.cupy.particles import (
    PARTICLE_KERNEL_NAME_EXPRESSIONS,
    PARTICLE_KERNEL_SOURCE,
    launch_args,
)
from eulerflow.backends.numpy_backend import NumpyBackend

_HARNESS = r"""
#include <math.h>
#include <cmath>
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
struct ef_dim3 { unsigned int x, y, z; };
static ef_dim3 threadIdx, blockIdx, blockDim, gridDim;
using std::isfinite;
template <typename T> static T atomicAdd(T* address, T value)
{ T old = *address; *address = old + value; return old; }

@SOURCE@

#define EF_ARGS(T) long long n, int ndim, long long n0, long long n1, long long n2, \
    T lo0, T lo1, T lo2, T hi0, T hi1, T hi2, T h0, T h1, T h2, int p0, int p1, int p2, int cic
#define EF_PASS n, ndim, n0, n1, n2, lo0, lo1, lo2, hi0, hi1, hi2, h0, h1, h2, p0, p1, p2, cic

#define EF_ENTRIES(T) \
extern "C" void deposit_##T(int grid, int block, const T* pos, const T* w, T* acc, EF_ARGS(T)) { \
    gridDim.x = grid; blockDim.x = block; \
    for (int b = 0; b < grid; ++b) for (int t = 0; t < block; ++t) { \
        blockIdx.x = b; threadIdx.x = t; particle_deposit<T>(pos, w, acc, EF_PASS); } } \
extern "C" void interpolate_##T(int grid, int block, const T* v, const T* pos, T* out, \
                                EF_ARGS(T)) { \
    gridDim.x = grid; blockDim.x = block; \
    for (int b = 0; b < grid; ++b) for (int t = 0; t < block; ++t) { \
        blockIdx.x = b; threadIdx.x = t; particle_interpolate<T>(v, pos, out, EF_PASS); } }

EF_ENTRIES(float)
EF_ENTRIES(double)
"""


def check_nvrtc() -> str:
    try:
        from cupy.cuda import compiler
    except Exception as err:
        return f"skipped: CuPy's NVRTC wrapper unavailable ({type(err).__name__}: {err})"
    names = list(PARTICLE_KERNEL_NAME_EXPRESSIONS)
    for cc in ("60", "70", "80", "90"):
        program = compiler._NVRTCProgram(
            PARTICLE_KERNEL_SOURCE, "particles.cu", name_expressions=names, method="ptx"
        )
        ptx, mapping = program.compile(
            (*NVRTC_OPTIONS, f"-arch=compute_{cc}", "--device-as-default-execution-space")
        )
        text = ptx if isinstance(ptx, str) else bytes(ptx).decode(errors="replace")
        missing = [n for n in names if mapping[n] not in text]
        if missing:
            raise RuntimeError(f"compute_{cc}: {missing} missing from the PTX")
        print(f"  compute_{cc}: ok, {len(text)} chars of PTX, {text.count('atom.')} atomics")
    return "ok"


def _build(tmp: str):
    cxx = next((c for c in ("c++", "g++", "clang++") if shutil.which(c)), None)
    if cxx is None:
        return None
    src = Path(tmp, "particles.cpp")
    src.write_text(_HARNESS.replace("@SOURCE@", PARTICLE_KERNEL_SOURCE))
    lib = Path(tmp, "particles.so")
    cmd = [cxx, "-std=c++14", "-O2", "-ffp-contract=off", "-shared", "-fPIC", str(src), "-o"]
    res = subprocess.run([*cmd, str(lib)], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"host compile failed:\n{res.stderr}")
    return ctypes.CDLL(str(lib))


def _run(lib, kind, first, second, out, positions, bounds, shape, periodic, code, launch):
    dtype = positions.dtype
    ctype = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    fn = getattr(lib, f"{kind}_{'float' if dtype == np.float32 else 'double'}")
    ptr = ctypes.POINTER(ctype)
    args = launch_args(positions, bounds, shape, periodic, code)
    fn.argtypes = [ctypes.c_int] * 2 + [ptr] * 3 + [ctypes.c_longlong, ctypes.c_int]
    fn.argtypes += [ctypes.c_longlong] * 3 + [ctype] * 9 + [ctypes.c_int] * 4
    fn.restype = None
    fn(
        launch[0],
        launch[1],
        *(np.ascontiguousarray(a).ctypes.data_as(ptr) for a in (first, second, out)),
        positions.shape[0],
        *(a.item() if hasattr(a, "item") else a for a in args),
    )


def check_host_emulation() -> str:
    ref = NumpyBackend()
    rng = np.random.default_rng(5)
    worst = {np.float32: 0.0, np.float64: 0.0}
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        lib = _build(tmp)
        if lib is None:
            return "skipped: no C++ compiler"
        shapes = [(1,), (9,), (5, 7), (1, 6), (7, 1), (3, 5, 7), (4, 1, 3)]
        for shape, dtype, code in itertools.product(shapes, (np.float32, np.float64), (0, 1)):
            d = len(shape)
            for periodic in itertools.product((True, False), repeat=d):
                bounds = [(-1.0 + 0.3 * a, 1.5 + 0.7 * a) for a in range(d)]
                lo = np.array([b[0] for b in bounds])
                width = np.array([b[1] - b[0] for b in bounds])
                n = 3 * int(np.prod(shape)) + 11
                x = lo + width * rng.uniform(-0.2, 1.2, (n, d))
                x[: n // 6] = lo + rng.integers(0, np.array(shape) + 1, (n // 6, d)) * (
                    width / np.array(shape)
                )
                x[-1, 0] = np.nan
                x = x.astype(dtype)
                w = rng.random(n).astype(dtype)
                method = ("ngp", "cic")[code]
                acc = np.zeros(int(np.prod(shape)), dtype=dtype)
                _run(lib, "deposit", x, w, acc, x, bounds, shape, periodic, code, (3, 5))
                volume = np.prod(width / np.array(shape))
                got = (acc / volume).astype(dtype).reshape(shape)
                want = ref.deposit(x, w, bounds, shape, periodic, method)
                err = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300)
                values = rng.standard_normal(shape).astype(dtype)
                out = np.empty(n, dtype=dtype)
                _run(lib, "interpolate", values, x, out, x, bounds, shape, periodic, code, (2, 7))
                want_i = ref.interpolate(values, x, bounds, periodic, method)
                if not np.array_equal(np.isnan(out), np.isnan(want_i)):
                    raise AssertionError(f"NaN pattern differs: {shape} {periodic} {method}")
                ok = ~np.isnan(want_i)
                err_i = np.max(np.abs(out[ok] - want_i[ok]), initial=0.0) / max(
                    np.max(np.abs(want_i[ok]), initial=0.0), 1e-300
                )
                tol = 1e-12 if dtype == np.float64 else 1e-5
                if max(err, err_i) > tol:
                    raise AssertionError(
                        f"{shape} {periodic} {np.dtype(dtype)} {method}: deposit {err:.3g}, "
                        f"interpolate {err_i:.3g}"
                    )
                worst[dtype] = max(worst[dtype], err, err_i)
                count += 1
    print(
        f"  {count} cases: max relative difference float64 {worst[np.float64]:.3g}, "
        f"float32 {worst[np.float32]:.3g}"
    )
    return "ok"


def main() -> int:
    failed = False
    for label, check in (("NVRTC compile", check_nvrtc), ("host emulation", check_host_emulation)):
        try:
            result = check()
        except Exception as err:
            failed = True
            result = f"FAILED: {type(err).__name__}: {err}"
        print(f"{label}: {result}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
