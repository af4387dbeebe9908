"""Check the CUDA source of the CuPy Benamou-Brenier kernels without a GPU.

Companion of ``benchmarks/check_cuda_compiles.py`` (whose helpers it imports) for
:data:`eulerflow.backends.cupy.benamou_brenier.BB_KERNEL_SOURCE`. Two checks, each skipped with a
reason when its tool is missing:

1. **NVRTC compile** of the module with the backend's options and all ten template instantiations
   for ``compute_70``, ``compute_80`` and ``compute_90`` (libnvrtc through ctypes, and CuPy's
   NVRTC wrapper to cubin), as ``check_cuda_compiles.check_nvrtc`` does for the other modules.
2. **Host emulation through CupyBackend**: the same source compiled as C++ for the CPU
   (``-ffp-contract=off`` like the backend's ``--fmad=false``; the blocks and threads of a launch
   run one after another, valid since the threads do not communicate; at most two blocks, so that
   the grid-stride loops run), launched by the public ``bb_*`` methods of :class:`CupyBackend`
   with a stand-in for CuPy (views, the exact types and order of the launch arguments, in-place
   prox, non-contiguous inputs), on random 1D/2D/3D inputs, periodic/walled/mixed, odd sizes,
   float32 and float64. Interpolation, its adjoint, gradient and divergence must equal the NumPy
   reference bit for bit; the proximal map (libm's ``cbrt``/``acos``/``cos``/``pow`` against
   NumPy's) within 1e-12 (float64) / 1e-5 (float32) of the largest reference value, on inputs
   covering negative ``rho_c``, ``m = 0``, one and three real roots and ``gamma`` from 1e-8 to
   1e8 (1e4 in float32).
   ``bb_poisson`` is the reference code itself on ``cupyx.scipy.fft`` and is not emulated.

Run from the repository root::

    PYTHONPATH=. python benchmarks/check_cuda_bb.py [--ptxas]

Exits 0 when every check that could run passed, 1 when one failed. CuPy is not run on a GPU here.
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_cuda_compiles as ccc  # noqa: E402

from eulerflow.backends.cupy.benamou_brenier import (  # noqa: E402
    BB_KERNEL_NAME_EXPRESSIONS,
    BB_KERNEL_SOURCE,
)
from eulerflow.backends.cupy.compile import NVRTC_OPTIONS  # noqa: E402

# Parameter lists of the kernels: "p" a device pointer, "i64"/"i32" integers, "T" a scalar.
SIGNATURES = {
    "bb_face_average": ["p", "p", "i64", "i64", "i64", "T"],
    "bb_face_average_adjoint": ["p", "p", "i64", "i64", "i64", "i32", "T"],
    "bb_face_difference": ["p", "p", "i64", "i64", "i64", "i32", "T"],
    "bb_divergence": ["p"] * 5 + ["i64"] * 4 + ["i32"] * 3 + ["T"] * 4,
    "bb_prox": ["p"] * 8 + ["i64", "i32", "T", "T"],
}
_C_TYPES = {"i64": "long long", "i32": "int"}

_HARNESS_HEAD = r"""
#include <math.h>
#include <cmath>
#include <cstring>
#define __global__
#define __device__
#define __forceinline__ inline
struct ef_dim3 { unsigned int x, y, z; };
static ef_dim3 threadIdx, blockIdx, blockDim, gridDim;
static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
static inline double __longlong_as_double(long long i)
{
    double d;
    std::memcpy(&d, &i, 8);
    return d;
}

@SOURCE@

template <typename F>
static void ef_emulate(int grid, int block, F body)
{
    gridDim.x = grid;
    blockDim.x = block;
    for (int bi = 0; bi < grid; ++bi) {
        for (int ti = 0; ti < block; ++ti) {
            blockIdx.x = bi;
            threadIdx.x = ti;
            body();
        }
    }
}
"""


def _harness() -> str:
    """The host harness: one ``extern "C" run_<kernel>_<ctype>`` entry per instantiation."""
    lines = [_HARNESS_HEAD]
    for name, sig in SIGNATURES.items():
        for ctype in ("float", "double"):
            params, args = [], []
            for k, kind in enumerate(sig):
                c = f"{ctype}*" if kind == "p" else _C_TYPES.get(kind, ctype)
                params.append(f"{c} a{k}")
                args.append(f"a{k}")
            lines.append(
                f'extern "C" void run_{name}_{ctype}(int grid, int block, {", ".join(params)})\n'
                f"{{ ef_emulate(grid, block, [&] {{ {name}<{ctype}>({', '.join(args)}); }}); }}"
            )
    return "\n".join(lines)


def _function(lib, name: str, dtype):
    ctype = "float" if np.dtype(dtype) == np.float32 else "double"
    ct = ctypes.c_float if ctype == "float" else ctypes.c_double
    kinds = {"p": ctypes.POINTER(ct), "i64": ctypes.c_longlong, "i32": ctypes.c_int, "T": ct}
    fn = getattr(lib, f"run_{name}_{ctype}")
    fn.argtypes = [ctypes.c_int, ctypes.c_int] + [kinds[k] for k in SIGNATURES[name]]
    fn.restype = None
    return fn, kinds["p"]


def _launcher(lib, launches, max_grid=2):
    """``launch(name, dtype, grid, block, args)`` running the host emulation; the grid is capped
    at ``max_grid`` blocks so that the grid-stride loops run on small inputs too."""

    def launch(name, dtype, grid, block, args):
        fn, ptr = _function(lib, name, dtype)
        grid = min(grid, max_grid)
        launches.append((name, grid, block))
        converted = [
            np.ndarray.view(x, np.ndarray).ctypes.data_as(ptr) if isinstance(x, np.ndarray) else x
            for x in args
        ]
        fn(grid, block, *converted)

    return launch


# -- 2. host emulation against the reference ------------------------------------------------------
def _random_staggered(rng, n_time, space, periodic, dtype):
    rho_s = rng.standard_normal((n_time + 1, *space)).astype(dtype)
    m_s = []
    for a in range(len(space)):
        shape = (n_time, *(n + (b == a) for b, n in enumerate(space)))
        m = rng.standard_normal(shape).astype(dtype)
        if periodic[a]:
            view = np.moveaxis(m, a + 1, 0)
            view[-1] = view[0]
        m_s.append(m)
    return rho_s, tuple(m_s)


def _prox_inputs(rng, shape, dtype, decades):
    size = int(np.prod(shape))
    rho_c = rng.standard_normal(size) * 10.0 ** rng.uniform(-decades, decades, size)
    m = [
        rng.standard_normal(size) * 10.0 ** rng.uniform(-decades, decades, size) for _ in shape[1:]
    ]
    rho_c[: size // 8] = 0.0
    for x in m:
        x[size // 8 : size // 4] = 0.0
    return rho_c.reshape(shape).astype(dtype), tuple(x.reshape(shape).astype(dtype) for x in m)


SPACES = [(1,), (2,), (9,), (5, 7), (1, 6), (7, 1), (3, 5, 7), (4, 1, 3), (2, 3, 1)]


def _compare_all(backend, reference, rng, exact_ops=True):
    """Every kernel of ``backend`` against ``reference``; returns (cases, worst prox error)."""
    n_cases = 0
    worst = 0.0
    for space, dtype in itertools.product(SPACES, (np.float32, np.float64)):
        ndim = len(space)
        for case, periodic in enumerate(itertools.product((True, False), repeat=ndim)):
            n_time = (1, 2, 5)[case % 3]
            spacing = tuple(float(h) for h in 0.2 + rng.random(ndim))
            rho_s, m_s = _random_staggered(rng, n_time, space, periodic, dtype)
            pairs = []
            pairs.append((backend.bb_interpolate(rho_s, m_s), reference.bb_interpolate(rho_s, m_s)))
            rho_c = rng.standard_normal((n_time, *space)).astype(dtype)
            m_c = tuple(rng.standard_normal((n_time, *space)).astype(dtype) for _ in space)
            pairs.append(
                (
                    backend.bb_interpolate_adjoint(rho_c, m_c, periodic),
                    reference.bb_interpolate_adjoint(rho_c, m_c, periodic),
                )
            )
            p = rng.standard_normal((n_time, *space)).astype(dtype)
            pairs.append(
                (
                    backend.bb_gradient(p, spacing, periodic),
                    reference.bb_gradient(p, spacing, periodic),
                )
            )
            got = backend.bb_divergence(rho_s, m_s, spacing, periodic)
            want = reference.bb_divergence(rho_s, m_s, spacing, periodic)
            pairs.append(((got, ()), (want, ())))
            for (g0, g1), (w0, w1) in pairs:
                for x, y in zip((g0, *g1), (w0, *w1), strict=True):
                    x = np.asarray(np.ndarray.view(x, np.ndarray))
                    assert x.dtype == y.dtype and x.shape == y.shape
                    if not np.array_equal(x, y):
                        raise AssertionError(f"not bitwise equal: {space} {periodic} {dtype}")
            n_cases += 1
    tol = {np.float32: 1e-5, np.float64: 1e-12}
    for dtype, gamma in itertools.product(
        (np.float32, np.float64), (1e-8, 1e-3, 0.37, 1.0, 25.0, 1e4, 1e8)
    ):
        if dtype == np.float32 and gamma > 1e4:
            continue  # outside the float32 range of the reference
        for shape in ((3, 40), (2, 6, 7), (2, 3, 4, 5)):
            rho_c, m_c = _prox_inputs(rng, shape, dtype, 6 if dtype == np.float64 else 3)
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                want = reference.bb_prox(rho_c, m_c, gamma)
            got = backend.bb_prox(rho_c, m_c, gamma)
            for x, y in zip((got[0], *got[1]), (want[0], *want[1]), strict=True):
                x = np.asarray(np.ndarray.view(x, np.ndarray))
                assert np.isfinite(x).all()
                err = float(np.abs(x - y).max()) / max(float(np.abs(y).max()), 1e-300)
                worst = max(worst, err if dtype == np.float64 else 0.0)
                if err > tol[dtype]:
                    raise AssertionError(f"prox {dtype.__name__} gamma={gamma}: {err:.3g}")
            n_cases += 1
    return n_cases, worst


# -- 2. host emulation through CupyBackend with a stub CuPy ----------------------------------------
def _stub_backend(launch):
    """A :class:`CupyBackend` whose ``xp`` is a stand-in for CuPy launching the emulation."""
    from types import SimpleNamespace

    from eulerflow.backends.cupy.backend import CupyBackend

    def dev(x, dtype=None):
        return np.asarray(x, dtype=dtype).view(ccc._StubDeviceArray)

    class RawModule:
        def __init__(self, code, options, name_expressions):
            assert code == BB_KERNEL_SOURCE and options == NVRTC_OPTIONS
            assert tuple(name_expressions) == BB_KERNEL_NAME_EXPRESSIONS

        def get_function(self, name):
            assert name in BB_KERNEL_NAME_EXPRESSIONS, name
            base, ctype = name[: name.index("<")], name[name.index("<") + 1 : -1]
            dtype = np.dtype(np.float32 if ctype == "float" else np.float64)
            kinds = {"p": ccc._StubDeviceArray, "i64": np.int64, "i32": np.int32, "T": dtype.type}
            want = [kinds[k] for k in SIGNATURES[base]]

            def kernel(grid, block, args):
                assert len(grid) == len(block) == 1 and grid[0] >= 1
                assert len(args) == len(want), (name, len(args), len(want))
                for k, (arg, typ) in enumerate(zip(args, want, strict=True)):
                    assert type(arg) is typ, (name, k, type(arg), typ)
                    if typ is ccc._StubDeviceArray:
                        assert arg.dtype == dtype and arg.flags.c_contiguous, (name, k)
                launch(base, dtype, int(grid[0]), int(block[0]), args)

            return kernel

    device = SimpleNamespace(id=0, attributes={"MultiProcessorCount": 2})
    xp = SimpleNamespace(
        asarray=dev,
        ascontiguousarray=lambda x: dev(np.ascontiguousarray(x)),
        empty=lambda shape, dtype: dev(np.empty(shape, dtype)),
        may_share_memory=np.may_share_memory,
        RawModule=RawModule,
        cuda=SimpleNamespace(Device=lambda: device),
    )
    return CupyBackend(xp)  # without importing CuPy


def check_backend_with_stub() -> str:
    from eulerflow.backends import get_backend

    reference = get_backend("numpy")
    rng = np.random.default_rng(6)
    with tempfile.TemporaryDirectory() as tmp:
        lib, how = ccc._build_host_library(tmp, _harness(), BB_KERNEL_SOURCE)
        if lib is None:
            return f"skipped: {how}"
        launches = []
        backend = _stub_backend(_launcher(lib, launches))
        n_cases, worst = _compare_all(backend, reference, rng)
        # in-place prox and non-contiguous inputs
        rho_c, m_c = _prox_inputs(rng, (3, 8, 6), np.float64, 3)
        want = reference.bb_prox(rho_c, m_c, 0.5)
        d_rho, d_m = backend.asarray(rho_c.copy()), tuple(backend.asarray(x.copy()) for x in m_c)
        got = backend.bb_prox(d_rho, d_m, 0.5, out=(d_rho, d_m))
        assert got[0] is d_rho
        for x, y in zip((d_rho, *d_m), (want[0], *want[1]), strict=True):
            assert np.abs(np.asarray(x) - y).max() <= 1e-12 * np.abs(y).max()
        wide = [backend.asarray(np.repeat(x, 2, axis=-1))[..., ::2] for x in (rho_c, *m_c)]
        got = backend.bb_prox(wide[0], wide[1:], 0.5)
        for x, y in zip((got[0], *got[1]), (want[0], *want[1]), strict=True):
            assert np.abs(np.asarray(x) - y).max() <= 1e-12 * np.abs(y).max()
        grids = sorted({g for _, g, _ in launches})
        print(f"  CUDA source compiled for the host with {how}")
        print(
            f"  {n_cases} cases + in-place/non-contiguous prox through CupyBackend.bb_*: "
            f"interpolate/adjoint/gradient/divergence bitwise equal to NumPy, prox within "
            f"{worst:.3g} (float64) of the largest reference value; {len(launches)} launches, "
            f"grids {grids}"
        )
    return "ok"


def check_nvrtc(run_ptxas: bool) -> str:
    """``check_cuda_compiles.check_nvrtc`` on the Benamou-Brenier module only."""
    saved = ccc.MODULES
    ccc.MODULES = (("benamou-brenier", BB_KERNEL_SOURCE, BB_KERNEL_NAME_EXPRESSIONS),)
    try:
        return ccc.check_nvrtc(run_ptxas)
    finally:
        ccc.MODULES = saved


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ptxas", action="store_true", help="assemble for sm_90 with ptxas -v")
    args = parser.parse_args(argv)
    failed = False
    for label, check in (
        ("NVRTC compile (Benamou-Brenier)", lambda: check_nvrtc(args.ptxas)),
        (
            "host emulation through CupyBackend, stub CuPy (Benamou-Brenier)",
            check_backend_with_stub,
        ),
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
