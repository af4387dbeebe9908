"""Benchmark of the Benamou-Brenier kernels (``Backend.bb_*``), NumPy reference against Numba.

Kernel part: on a 2D walled grid of ``n x n`` cells with ``N`` time cells (default 128^2 x 32,
float64, random inputs), every kernel of one Douglas-Rachford / PDHG iteration is timed per call,
written into preallocated ``out`` arrays: ``bb_interpolate``, ``bb_interpolate_adjoint``,
``bb_divergence``, ``bb_gradient``, ``bb_poisson`` and ``bb_prox``. The table gives the Numba/NumPy
ratio and the achieved bandwidth against a STREAM-like triad measured in the same run (the
triad of ``benchmarks/continuity.py``). Bytes are the minimum traffic of a kernel: every input
read once and every output written once, 8 bytes per value (``bb_poisson`` makes several passes
through its FFTs, so its figure is an effective bandwidth). The outputs of the two backends are
compared (max difference relative to the largest reference value).

Run from the repository root::

    PYTHONPATH=. python benchmarks/benamou_brenier.py [--n 128] [--n-time 32] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np
from continuity import _median_time_cpu, _median_time_gpu, cpu_triad, machine_info

import eulerflow
from eulerflow.backends import BackendUnavailableError

KERNELS = ("interpolate", "interpolate_adjoint", "divergence", "gradient", "poisson", "prox")


# -- kernel problem -------------------------------------------------------------------------------
def make_kernel_problem(n: int, n_time: int, seed: int = 0) -> dict:
    """Random staggered and centred float64 inputs on an ``n x n`` walled grid, ``N`` time cells."""
    rng = np.random.default_rng(seed)
    space = (n, n)
    rho_s = rng.random((n_time + 1, *space)) + 0.5
    m_s = (rng.standard_normal((n_time, n + 1, n)), rng.standard_normal((n_time, n, n + 1)))
    for a, m in enumerate(m_s):  # walls: zero flux through the boundary faces
        view = np.moveaxis(m, a + 1, 0)
        view[0] = view[-1] = 0.0
    rho_c = rng.random((n_time, *space)) - 0.1  # a few negative values, as in the iterations
    m_c = tuple(rng.standard_normal((n_time, *space)) for _ in space)
    f = rng.standard_normal((n_time, *space))
    f -= f.mean()
    h = 1.0 / n
    return {
        "rho_s": rho_s,
        "m_s": m_s,
        "rho_c": rho_c,
        "m_c": m_c,
        "f": f,
        "spacing": (h, h),
        "periodic": (False, False),
        "gamma": 3.0,
    }


def kernel_bytes(name: str, n: int, n_time: int) -> int:
    """Minimum bytes of one call: inputs read once, outputs written once (float64)."""
    cells = n_time * n * n
    staggered = (n_time + 1) * n * n + 2 * n_time * (n + 1) * n
    centred = 3 * cells
    values = {
        "interpolate": staggered + centred,
        "interpolate_adjoint": centred + staggered,
        "divergence": staggered + cells,
        "gradient": cells + staggered,
        "poisson": 2 * cells,
        "prox": 2 * centred,
    }[name]
    return 8 * values


def kernel_calls(backend, problem: dict) -> dict:
    """One zero-argument callable per kernel, writing into preallocated device outputs."""
    xp = backend.xp
    a = backend.asarray
    rho_s, m_s = a(problem["rho_s"]), tuple(a(m) for m in problem["m_s"])
    rho_c, m_c = a(problem["rho_c"]), tuple(a(m) for m in problem["m_c"])
    f = a(problem["f"])
    spacing, periodic, gamma = problem["spacing"], problem["periodic"], problem["gamma"]
    centred = (xp.empty_like(rho_c), tuple(xp.empty_like(m) for m in m_c))
    staggered = (xp.empty_like(rho_s), tuple(xp.empty_like(m) for m in m_s))
    cells = xp.empty_like(f)
    prox_out = (xp.empty_like(rho_c), tuple(xp.empty_like(m) for m in m_c))
    return {
        "interpolate": (lambda: backend.bb_interpolate(rho_s, m_s, out=centred), centred),
        "interpolate_adjoint": (
            lambda: backend.bb_interpolate_adjoint(rho_c, m_c, periodic, out=staggered),
            staggered,
        ),
        "divergence": (
            lambda: backend.bb_divergence(rho_s, m_s, spacing, periodic, out=cells),
            cells,
        ),
        "gradient": (lambda: backend.bb_gradient(f, spacing, periodic, out=staggered), staggered),
        "poisson": (lambda: backend.bb_poisson(f, spacing, periodic, out=cells), cells),
        "prox": (lambda: backend.bb_prox(rho_c, m_c, gamma, out=prox_out), prox_out),
    }


def _flatten(backend, out) -> list[np.ndarray]:
    if isinstance(out, tuple):
        return [backend.to_numpy(out[0]).copy(), *(backend.to_numpy(m).copy() for m in out[1])]
    return [backend.to_numpy(out).copy()]


def time_kernels(backend, problem: dict, repeat: int) -> dict:
    """``{kernel: (median s, min s, outputs)}`` on ``backend`` (one warm-up call each)."""
    timer = _median_time_gpu if backend.name == "cupy" else _median_time_cpu
    results = {}
    for name, (call, out) in kernel_calls(backend, problem).items():
        call()  # warm-up: JIT compile, first touch
        backend.synchronize()
        times = timer(call, repeat)
        results[name] = (statistics.median(times), min(times), _flatten(backend, out))
    return results


def kernel_table(backends: dict, n: int, n_time: int, repeat: int) -> None:
    problem = make_kernel_problem(n, n_time)
    cells = n_time * n * n
    triad = cpu_triad(cells, repeat)
    print(
        f"kernels on {n}^2 x {n_time} (2D, walled, float64), per call into preallocated out; "
        f"CPU triad {triad / 1e9:.1f} GB/s (3 arrays of {cells} values)"
    )
    header = (
        f"{'kernel':<20} {'backend':<7} {'ms/call':>17} {'ratio':>13} {'MB':>7} {'GB/s':>7} "
        f"{'% triad':>8} {'max rel diff':>12}"
    )
    print(header)
    print("-" * len(header))
    results = {name: time_kernels(b, problem, repeat) for name, b in backends.items()}
    for kernel in KERNELS:
        nbytes = kernel_bytes(kernel, n, n_time)
        for name in backends:
            med, best, outs = results[name][kernel]
            bw = nbytes / med
            ratio, diff = "", ""
            if name != "numpy" and "numpy" in results:
                ref_med, _, ref_outs = results["numpy"][kernel]
                ratio = f"{ref_med / med:6.1f}x numpy"
                scale = max(float(np.abs(r).max()) for r in ref_outs)
                err = max(float(np.abs(o - r).max()) for o, r in zip(outs, ref_outs, strict=True))
                diff = f"{err / scale:.1e}"
            frac = f"{100 * bw / triad:7.0f}%" if name != "cupy" else "-"
            print(
                f"{kernel:<20} {name:<7} {1e3 * med:8.3f} [{1e3 * best:6.3f}] {ratio:>13} "
                f"{nbytes / 1e6:7.1f} {bw / 1e9:7.1f} {frac:>8} {diff:>12}"
            )
    totals = {name: sum(results[name][k][0] for k in KERNELS) for name in backends}
    print(
        "sum of the six kernels (about one iteration's kernel work): "
        + ", ".join(f"{name} {1e3 * t:.2f} ms" for name, t in totals.items())
    )
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=128, help="cells per spatial axis (2D)")
    parser.add_argument("--n-time", type=int, default=32, help="time cells")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per kernel")
    parser.add_argument("--backends", nargs="+", default=["numpy", "numba"])
    parser.add_argument(
        "--threads", type=int, default=None, help="Numba threads (default: all); scipy.fft too"
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        import numba

        numba.set_num_threads(args.threads)
    backends = {}
    for name in args.backends:
        try:
            backends[name] = eulerflow.get_backend(name)
        except BackendUnavailableError as err:
            print(f"skipping {name}: {err}")
    for line in machine_info(backends):
        print(line)
    print(f"load average at start: {_load()}")
    print("times: median [min] over the repeats; GB = 1e9 bytes\n")
    kernel_table(backends, args.n, args.n_time, args.repeat)
    print(f"load average at end: {_load()}")
    return 0


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
