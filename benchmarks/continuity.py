"""Benchmark of one SSP stage of the continuity solver (``Backend.transport_update``).

For 2D float64 grids of ``N x N`` cells (periodic, van Leer limiter, random positive densities and
random face velocities) one Shu-Osher stage ``out = 0.75 rho_n + 0.25 rho_k + 0.25 dt L(rho_k)``
is timed on each backend, written into a preallocated ``out``. The kernel is memory-bound, so the
time is also expressed as achieved bandwidth and compared with a STREAM-like triad measured in the
same run on the same device. See ``benchmarks/README.md`` for how bytes are counted.

Run from the repository root::

    PYTHONPATH=. python benchmarks/continuity.py --sizes 1024 4096 --repeat 10
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

import eulerflow
from eulerflow.backends import BackendUnavailableError

TARGET_NUMBA_SPEEDUP = 10.0
TARGET_NUMBA_TRIAD = 0.5
TARGET_CUPY_COPY = 0.5


# -- problem ------------------------------------------------------------------------------------
def make_problem(n: int, seed: int = 0):
    """Random positive ``rho_n``, ``rho_k`` and periodic face velocities on an ``n x n`` grid."""
    rng = np.random.default_rng(seed)
    rho_n = rng.random((n, n)) + 0.5
    rho_k = rng.random((n, n)) + 0.5
    u0 = rng.standard_normal((n + 1, n))
    u1 = rng.standard_normal((n, n + 1))
    u0[-1] = u0[0]  # periodic: the first and last face are the same face
    u1[:, -1] = u1[:, 0]
    h = 1.0 / n
    dt = 0.4 * h / max(np.abs(u0).max(), np.abs(u1).max())
    return rho_n, rho_k, [u0, u1], (h, h), dt


def stage_bytes(n: int, itemsize: int = 8) -> int:
    """Minimum bytes of one stage: read rho_n, rho_k, u0, u1 and write out, each once."""
    cells = n * n
    faces = 2 * (n + 1) * n
    return (3 * cells + faces) * itemsize


# -- timing -------------------------------------------------------------------------------------
def _median_time_cpu(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _median_time_gpu(fn, repeat: int) -> list[float]:
    import cupy

    start, end = cupy.cuda.Event(), cupy.cuda.Event()
    times = []
    for _ in range(repeat):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, end) / 1e3)
    return times


def time_stage(backend, problem, repeat: int):
    """Median and minimum seconds of one stage on ``backend``, and its output on the host."""
    rho_n, rho_k, velocities, spacing, dt = problem
    rho_n, rho_k = backend.asarray(rho_n), backend.asarray(rho_k)
    velocities = [backend.asarray(u) for u in velocities]
    out = backend.xp.empty_like(rho_k)

    def stage():
        backend.transport_update(
            rho_n, rho_k, velocities, spacing, (True, True), "vanleer", 0.75, 0.25, 0.25 * dt, out
        )

    stage()  # warm-up: JIT / NVRTC compile, first touch of the pages
    backend.synchronize()
    timer = _median_time_gpu if backend.name == "cupy" else _median_time_cpu
    times = timer(stage, repeat)
    return statistics.median(times), min(times), backend.to_numpy(out)


# -- reference bandwidths -----------------------------------------------------------------------
_TRIAD = None


def cpu_triad(cells: int, repeat: int) -> float:
    """STREAM-like triad ``a = b + s c`` with Numba threads: bytes/s, 3 arrays counted."""
    global _TRIAD
    import numba

    if _TRIAD is None:

        @numba.njit(parallel=True, fastmath=False)
        def triad(a, b, c, s):  # pragma: no cover - compiled
            for i in numba.prange(a.size):
                a[i] = b[i] + s * c[i]

        _TRIAD = triad
    a, b, c = np.empty(cells), np.random.default_rng(1).random(cells), np.ones(cells)
    _TRIAD(a, b, c, 3.0)
    times = _median_time_cpu(lambda: _TRIAD(a, b, c, 3.0), max(repeat, 5))
    return 3 * cells * 8 / statistics.median(times)


def gpu_bandwidths(cells: int, repeat: int) -> tuple[float, float]:
    """CuPy elementwise triad (3 arrays) and device-to-device copy (2 arrays), bytes/s."""
    import cupy

    kernel = cupy.ElementwiseKernel("T b, T c, T s", "T a", "a = b + s * c", "ef_triad")
    a, b, c = cupy.empty(cells), cupy.random.random(cells), cupy.ones(cells)
    s = np.float64(3.0)
    kernel(b, c, s, a)
    cupy.copyto(a, b)
    cupy.cuda.get_current_stream().synchronize()
    t_triad = statistics.median(_median_time_gpu(lambda: kernel(b, c, s, a), max(repeat, 10)))
    t_copy = statistics.median(_median_time_gpu(lambda: cupy.copyto(a, b), max(repeat, 10)))
    return 3 * cells * 8 / t_triad, 2 * cells * 8 / t_copy


# -- report -------------------------------------------------------------------------------------
def machine_info(backends) -> list[str]:
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"eulerflow {eulerflow.__version__}",
        f"CPU: {_cpu_model()}, os.cpu_count() = {os.cpu_count()}",
    ]
    try:
        import numba

        lines.append(f"numba {numba.__version__}, threads {numba.get_num_threads()}")
    except ImportError:
        lines.append("numba not installed")
    for b in backends.values():
        if b.name == "cupy":
            info = b.info()
            lines.append(f"cupy {info['version']}, {info['device']}")
    return lines


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _check(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096], help="grid sizes N")
    parser.add_argument("--repeat", type=int, default=10, help="timed stages per backend")
    parser.add_argument(
        "--numpy-repeat-large",
        type=int,
        default=3,
        help="timed stages of the (slow) NumPy reference for N >= 2048",
    )
    parser.add_argument(
        "--backends", nargs="+", default=["numpy", "numba", "cupy"], help="backends to time"
    )
    args = parser.parse_args(argv)

    backends = {}
    for name in args.backends:
        try:
            backends[name] = eulerflow.get_backend(name)
        except BackendUnavailableError as err:
            print(f"skipping {name}: {err}")
    for line in machine_info(backends):
        print(line)
    print(
        "one stage = transport_update(..., periodic, 'vanleer', a=0.75, b=0.25, c=0.25 dt, out) "
        "on 2D float64"
    )
    print("GB = 1e9 bytes; times are medians (min in brackets)\n")

    header = (
        f"{'N':>5} {'backend':<7} {'ms/stage':>19} {'speedup':>15} {'MB moved':>9} "
        f"{'GB/s':>7} {'ref GB/s':>17} {'% of ref':>8}  target"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        problem = make_problem(n)
        cells = n * n
        nbytes = stage_bytes(n)
        triad = cpu_triad(cells, args.repeat) if _has_numba() else None
        gpu = gpu_bandwidths(cells, args.repeat) if "cupy" in backends else None
        results, outputs = {}, {}
        for name, backend in backends.items():
            repeat = args.repeat
            if name == "numpy" and n >= 2048:
                repeat = min(repeat, args.numpy_repeat_large)
            med, best, out = time_stage(backend, problem, repeat)
            results[name], outputs[name] = (med, best), out
        for name, (med, best) in results.items():
            bw = nbytes / med
            speed = ""
            target = ""
            ref_text, frac_text = "-", "-"
            if name in ("numpy", "numba") and triad is not None:
                ref_text = f"{triad / 1e9:7.1f} (triad)"
                frac_text = f"{100 * bw / triad:7.0f}%"
            if name == "numba":
                if "numpy" in results:
                    s = results["numpy"][0] / med
                    speed = f"{s:6.1f}x numpy"
                    target = f">=10x numpy {_check(s >= TARGET_NUMBA_SPEEDUP)}"
                if triad is not None:
                    target += f", >=50% triad {_check(bw >= TARGET_NUMBA_TRIAD * triad)}"
            if name == "cupy" and gpu is not None:
                g_triad, g_copy = gpu
                ref_text = f"{g_copy / 1e9:7.1f} (copy)"
                frac_text = f"{100 * bw / g_copy:7.0f}%"
                if "numba" in results:
                    speed = f"{results['numba'][0] / med:6.1f}x numba"
                target = f">=50% copy {_check(bw >= TARGET_CUPY_COPY * g_copy)}"
            print(
                f"{n:>5} {name:<7} {1e3 * med:9.2f} [{1e3 * best:7.2f}] {speed:>15} "
                f"{nbytes / 1e6:9.1f} {bw / 1e9:7.1f} {ref_text:>17} {frac_text:>8}  {target}"
            )
        if gpu is not None:
            print(f"{'':>5} GPU triad (cupy ElementwiseKernel, 3 arrays): {gpu[0] / 1e9:.1f} GB/s")
        if "numpy" in outputs:
            for name, out in outputs.items():
                if name != "numpy":
                    ref = outputs["numpy"]
                    err = np.max(np.abs(out - ref)) / np.max(np.abs(ref))
                    print(f"{'':>5} check: {name} vs numpy, max rel difference {err:.1e}")
        print()
    print(
        "bytes: rho_n, rho_k, u0 (N+1)xN, u1 Nx(N+1) read once and out written once, 8 B each; "
        "triad counts 3 arrays and copy 2 (write-allocate traffic not counted)"
    )
    return 0


def _has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
