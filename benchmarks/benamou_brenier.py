"""Benchmark of the Benamou-Brenier solver: kernels, whole iterations, POT and the GPU.

Six parts, selected with ``--parts`` (default: all), in one run:

``kernels``
    On a 2D walled grid of ``n x n`` cells with ``N`` time cells (default 128^2 x 32, float64,
    random inputs), every kernel of one Douglas-Rachford / PDHG iteration is timed per call,
    written into preallocated ``out`` arrays: ``bb_interpolate``, ``bb_interpolate_adjoint``,
    ``bb_divergence``, ``bb_gradient``, ``bb_poisson`` and ``bb_prox``. The table gives the
    Numba/NumPy ratio and the achieved bandwidth against a STREAM-like triad measured in the
    same run (the triad of ``benchmarks/continuity.py``). Bytes are the minimum traffic of a
    kernel: every input read once and every output written once, 8 bytes per value
    (``bb_poisson`` makes several passes through its FFTs, so its figure is an effective
    bandwidth). The outputs of the two backends are compared (max difference relative to the
    largest reference value).
``solver``
    ``eulerflow.benamou_brenier`` on two smooth positive densities (two Gaussian bumps plus a
    constant on the walled unit square, :func:`make_densities`) at ``--sizes`` (64^2 and 128^2)
    x ``--n-time`` (32), every method. Numba: one reference run per method to ``--ref-tol`` or
    ``--ref-max-iter`` iterations; its last ``W2^2`` is the reference, the drift of ``W2^2``
    over the second half of the run bounds its error. ``it to 1e-4`` is the first iteration
    from which the relative error of ``W2^2`` (from ``history["w2_squared"]``) stays below
    ``--target``; ``time to 1e-4 = setup + k * per-iteration time`` of that same run (its first
    ``k`` iterations are the run to 1e-4; JIT compilation is done by a warm-up call before).
    NumPy reference: ``--numpy-iters`` iterations for the per-iteration time; its time to 1e-4
    uses the Numba iteration count (the two backends iterate the same arithmetic: the largest
    relative difference of their ``W2^2`` histories is printed).
``breakdown``
    One Douglas-Rachford iteration of the ``solver`` problem (Numba, ``--sizes`` x
    ``--n-time``, default step parameters, after 30 iterations) split into its kernel calls:
    each call timed inside the running sequence of iterations, and the same call repeated alone
    (hot caches), with the ratio. The sequence is checked to reproduce ``DouglasRachford.step``
    bit for bit. The residual monitoring of the driver (dual residual every 10 iterations,
    primal residual, kinetic energy) is timed per call and per iteration.
``pot``
    ``ot.emd2`` (exact network simplex, run to optimality: ``numItermax`` unlimited and the
    result code checked) between the same densities as point masses on the cell centres,
    squared Euclidean cost, at ``--pot-sizes``; sizes whose predicted time (power law through
    the last two measured sizes) exceeds ``--pot-budget`` seconds or whose memory (about 33
    bytes per cost-matrix entry: cost, its copy, flow, plan, state) exceeds the available memory
    are not run but extrapolated, and marked so. ``W2^2`` is compared with eulerflow's on the
    same grid, and eulerflow's time to 1e-4 with ``emd2``'s time.
``adaptive``
    Iterations to a relative ``W2^2`` error of ``--target`` (against a run of
    ``--adaptive-ref-iters`` iterations of the default method, whose drift over its last third is
    printed) on a fixed family of pairs on the walled unit square, ``--adaptive-n``^2 x
    ``--adaptive-n-time`` (32^2 x 16), Numba, every method with its default steps, without and
    with ``adaptive=True`` (residual balancing), at most ``--adaptive-max-iter`` iterations
    (:func:`adaptive_family`: smooth positive, Gaussian bumps, uniform disks, near-vacuum
    Gaussians on a floor of 1e-3). Then milliseconds per Douglas-Rachford iteration at ``--n``^2
    x ``--n-time`` (128^2 x 32) in float64 and float32 (``dtype=``), in the same run.
``gpu``
    CuPy backend, 256^2 x 64 by default, every method: iterations per second over
    ``--gpu-iters`` iterations after a warm-up run; prints ``skipped: <reason>`` without CuPy
    or a GPU.

Run from the repository root::

    PYTHONPATH=. python benchmarks/benamou_brenier.py [--parts kernels solver breakdown pot
        adaptive gpu]
        [--threads 1] [--sizes 64 128] [--n-time 32] [--pot-sizes 32 48 64]
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import statistics
import sys
import time
import warnings

import numpy as np
from continuity import _median_time_cpu, _median_time_gpu, cpu_triad, machine_info

import eulerflow
from eulerflow.backends import BackendUnavailableError
from eulerflow.transport.benamou_brenier import float32_min_tol

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


# -- solver problem -------------------------------------------------------------------------------
METHODS = ("douglas-rachford", "chambolle-pock", "alg2")
SHORT = {"douglas-rachford": "DR", "chambolle-pock": "CP", "alg2": "ALG2"}


def make_densities(n: int) -> tuple[np.ndarray, np.ndarray, eulerflow.Grid]:
    """Two smooth positive densities of unit mass on the walled unit square, ``n x n`` cells.

    ``rho0 = 0.2 + g(0.3, 0.3; 0.1) + 0.6 g(0.7, 0.65; 0.08)`` and
    ``rho1 = 0.2 + 0.8 g(0.65, 0.35; 0.09) + g(0.35, 0.7; 0.1)`` with
    ``g(c; s) = exp(-|x - c|^2 / (2 s^2))``, evaluated at the cell centres and normalised.
    """
    grid = eulerflow.Grid((n, n), ((0.0, 1.0), (0.0, 1.0)))
    x, y = np.meshgrid(grid.axis_centers(0), grid.axis_centers(1), indexing="ij")

    def bump(cx: float, cy: float, s: float) -> np.ndarray:
        return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))

    rho0 = 0.2 + bump(0.3, 0.3, 0.1) + 0.6 * bump(0.7, 0.65, 0.08)
    rho1 = 0.2 + 0.8 * bump(0.65, 0.35, 0.09) + bump(0.35, 0.7, 0.1)
    return rho0 / grid.integrate(rho0), rho1 / grid.integrate(rho1), grid


def _douglas_rachford(n: int, n_time: int):
    """The Douglas-Rachford iteration of the ``solver`` problem as ``benamou_brenier`` builds it
    (scaled units: unit mass on the unit square, so the densities are already scaled)."""
    from eulerflow.transport.benamou_brenier import default_options, mass_weighted_density
    from eulerflow.transport.douglas_rachford import DouglasRachford
    from eulerflow.transport.staggered_space import StaggeredSpace

    rho0, rho1, grid = make_densities(n)
    backend = eulerflow.get_backend("numba")
    space = StaggeredSpace(backend, rho0, rho1, n_time, grid.spacing, grid.periodic)
    options = default_options("douglas-rachford", mass_weighted_density(rho0, rho1))
    return DouglasRachford(space, space.straight_start(), **options)


def _step_calls(dr) -> list:
    """The kernel calls of ``DouglasRachford.step`` (without the dual residual), in order."""
    sp, be = dr.space, dr.space.backend
    y_u, y_v = dr.y_u, dr.y_v
    return [
        ("boundary", lambda: sp.set_boundary(dr.z_u)),
        (
            "divergence",
            lambda: be.bb_divergence(dr.z_u.rho, dr.z_u.m, sp.spacing, sp.periodic, out=sp._div),
        ),
        ("poisson", lambda: be.bb_poisson(sp._div, sp.spacing, sp.periodic, out=dr.p)),
        (
            "gradient_reflect",
            lambda: be.bb_gradient_reflect(
                dr.p, sp.spacing, sp.periodic, dr.z_u.pair, dr.u.pair, y_u.pair
            ),
        ),
        (
            "prox_reflect",
            lambda: be.bb_prox(dr.z_v.rho, dr.z_v.m, dr.gamma, out=dr.v.pair, reflect=y_v.pair),
        ),
        ("graph_solve", lambda: sp.graph_solve(y_u, y_v, out=y_u)),
        ("interpolate", lambda: sp.interpolate(y_u, y_v)),
        ("relax_u", lambda: be.bb_relax(dr.z_u.flat, dr.u.flat, y_u.flat, dr.alpha)),
        ("relax_v", lambda: be.bb_relax(dr.z_v.flat, dr.v.flat, y_v.flat, dr.alpha)),
    ]


def breakdown_table(args) -> None:
    """Kernel calls of one Douglas-Rachford iteration: in the sequence and alone."""
    repeat = max(args.repeat, 10)
    for n in args.sizes:
        dr = _douglas_rachford(n, args.n_time)
        for _ in range(30):
            dr.step()
        calls = _step_calls(dr)
        # the sequence reproduces the method's step bit for bit
        saved = [x.flat.copy() for x in (dr.z_u, dr.z_v)]
        for _ in range(2):
            dr.step()
        expected = [x.flat.copy() for x in (dr.z_u, dr.z_v)]
        dr.z_u.flat[...], dr.z_v.flat[...] = saved
        for _ in range(2):
            for _, call in calls:
                call()
        same = all(
            np.array_equal(x.flat, e) for x, e in zip((dr.z_u, dr.z_v), expected, strict=True)
        )
        in_sequence = {name: 0.0 for name, _ in calls}
        t_start = time.perf_counter()
        for _ in range(repeat):
            for name, call in calls:
                t0 = time.perf_counter()
                call()
                in_sequence[name] += time.perf_counter() - t0
        per_step = (time.perf_counter() - t_start) / repeat
        print(
            f"breakdown: one Douglas-Rachford iteration, {n}^2 x {args.n_time} (numba, "
            f"{repeat} iterations; sequence reproduces DouglasRachford.step: "
            f"{'yes' if same else 'NO'})"
        )
        print(f"{'call':18s} {'in sequence ms':>15s} {'alone ms':>9s} {'ratio':>6s}")
        print("-" * 52)
        alone_total = 0.0
        for name, call in calls:
            seq = in_sequence[name] / repeat * 1e3
            alone = statistics.median(_median_time_cpu(call, repeat)) * 1e3
            alone_total += alone
            print(f"{name:18s} {seq:15.3f} {alone:9.3f} {seq / max(alone, 1e-9):6.2f}")
        seq_total = sum(in_sequence.values()) / repeat * 1e3
        print(f"{'sum':18s} {seq_total:15.3f} {alone_total:9.3f} {seq_total / alone_total:6.2f}")
        print(f"whole iteration (sequence, timers included): {per_step * 1e3:.3f} ms")
        monitor = [
            ("dual residual", 10, functools.partial(dr.step, with_dual=True)),
            ("primal residual", 10, dr.primal_residual),
            ("kinetic", 1, functools.partial(dr.space.kinetic, dr.v)),
        ]
        step_alone = statistics.median(_median_time_cpu(dr.step, repeat))
        for name, every, call in monitor:
            t = statistics.median(_median_time_cpu(call, repeat))
            if name == "dual residual":
                t -= step_alone
            print(
                f"{name:18s} {t * 1e3:8.3f} ms per call, every {every:2d} iterations: "
                f"{t * 1e3 / every:6.3f} ms per iteration"
            )
        print()


def _solve(n: int, n_time: int, method: str, backend: str, tol: float, max_iter: int):
    rho0, rho1, grid = make_densities(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", eulerflow.ConvergenceWarning)
        t0 = time.perf_counter()
        res = eulerflow.benamou_brenier(
            rho0,
            rho1,
            grid,
            n_time=n_time,
            method=method,
            tol=tol,
            max_iter=max_iter,
            backend=backend,
            progress=False,
        )
        wall = time.perf_counter() - t0
    return res, wall


def iterations_to(w2: np.ndarray, ref: float, target: float) -> int | None:
    """First iteration (1-based) from which ``|w2 / ref - 1| <= target`` holds to the end."""
    bad = np.flatnonzero(np.abs(w2 / ref - 1) > target)
    if bad.size == 0:
        return 1
    k = int(bad[-1]) + 2
    return k if k <= w2.size else None


def warm_up(backends: list[str], n_time: int = 4) -> None:
    """Compile the Numba kernels (2D, float64) on a tiny problem so no run pays the JIT."""
    for backend in backends:
        for method in METHODS:
            _solve(8, n_time, method, backend, 1e-12, 3)


def solver_table(args) -> dict:
    """The ``solver`` part; returns ``{(n, method): row}`` for the POT part."""
    rows: dict = {}
    backends = [b for b in ("numba", "numpy") if b in args.backends]
    warm_up(backends)
    print(
        f"solver: benamou_brenier on make_densities(n) (walled unit square, float64), "
        f"n_time = {args.n_time}; reference = numba run to tol {args.ref_tol:g} or "
        f"{args.ref_max_iter} iterations; target relative W2^2 error {args.target:g}"
    )
    header = (
        f"{'grid':<12} {'method':<6} {'backend':<7} {'ms/it':>8} {'setup s':>8} {'it to tgt':>9} "
        f"{'s to tgt':>9} {'ratio':>7} {'W2^2 ref':>12} {'ref drift':>9} {'np-nb diff':>10}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        for method in args.methods:
            label = f"{n}^2 x {args.n_time}"
            row: dict = {}
            if "numba" in backends:
                res, _ = _solve(n, args.n_time, method, "numba", args.ref_tol, args.ref_max_iter)
                w2 = res.history["w2_squared"]
                ref = float(w2[-1])
                half = w2[w2.size // 2 :]
                drift = float(np.abs(half / ref - 1).max())
                k = iterations_to(w2, ref, args.target)
                per_it = res.diagnostics["time_per_iteration"]
                t_target = res.diagnostics["setup_time"] + k * per_it if k else math.nan
                row = {
                    "ref": ref,
                    "k": k,
                    "per_it": per_it,
                    "t_target": t_target,
                    "history": w2,
                    "n_iter": res.n_iter,
                    "converged": res.converged,
                }
                print(
                    f"{label:<12} {SHORT[method]:<6} {'numba':<7} {1e3 * per_it:8.2f} "
                    f"{res.diagnostics['setup_time']:8.3f} {k if k else '-':>9} "
                    f"{t_target:9.3f} {'':>7} "
                    f"{ref:12.8f} {drift:9.1e} {'':>10}   ({res.n_iter} it"
                    f"{', converged' if res.converged else ''})"
                )
            if "numpy" in backends:
                res_np, _ = _solve(n, args.n_time, method, "numpy", 1e-300, args.numpy_iters)
                per_np = res_np.diagnostics["time_per_iteration"]
                k = row.get("k")
                t_np = res_np.diagnostics["setup_time"] + k * per_np if k else math.nan
                ratio, diff = "", ""
                if row:
                    ratio = f"{t_np / row['t_target']:6.1f}x" if k else "-"
                    w_np, w_nb = res_np.history["w2_squared"], row["history"][: res_np.n_iter]
                    diff = f"{float(np.abs(w_np / w_nb - 1).max()):.1e}"
                print(
                    f"{label:<12} {SHORT[method]:<6} {'numpy':<7} {1e3 * per_np:8.2f} "
                    f"{res_np.diagnostics['setup_time']:8.3f} {k if k else '-':>9} {t_np:9.3f} "
                    f"{ratio:>7} {'':>12} {'':>9} {diff:>10}   ({res_np.n_iter} it timed)"
                )
                row["per_it_numpy"] = per_np
            rows[(n, method)] = row
    if "numba" in backends:
        big = max(args.sizes)
        best = min(
            (rows[(big, m)]["per_it"], m) for m in args.methods if rows[(big, m)].get("per_it")
        )
        print(
            f"target: <= 15 ms per iteration at {big}^2 x {args.n_time}: fastest "
            f"{SHORT[best[1]]} {1e3 * best[0]:.2f} ms -> {_check(best[0] <= 0.015)}"
        )
    print()
    return rows


# -- POT ------------------------------------------------------------------------------------------
def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def emd2_time(n: int) -> tuple[float, float]:
    """Seconds and value of ``ot.emd2`` on the cell centres of ``make_densities(n)``."""
    import ot

    rho0, rho1, grid = make_densities(n)
    cell = float(np.prod(grid.spacing))
    a, b = (r.ravel() * cell for r in (rho0, rho1))
    b *= a.sum() / b.sum()
    x, y = np.meshgrid(grid.axis_centers(0), grid.axis_centers(1), indexing="ij")
    points = np.stack([x.ravel(), y.ravel()], axis=1)
    cost = ot.dist(points, points)  # squared Euclidean, float64
    t0 = time.perf_counter()
    value, log = ot.emd2(a, b, cost, numItermax=2**62, log=True)
    elapsed = time.perf_counter() - t0
    if log.get("warning") is not None or log.get("result_code") != 1:
        raise RuntimeError(f"ot.emd2 did not reach the optimum at {n}^2: {log.get('warning')}")
    return elapsed, float(value)


def pot_table(args, rows: dict) -> None:
    try:
        import ot
    except ImportError as err:
        print(f"POT: skipped: POT not installed ({err})\n")
        return
    print(
        f"POT {ot.__version__}: ot.emd2 (network simplex, single thread, to optimality) on the "
        f"cell centres, squared Euclidean cost; eulerflow = numba, n_time = {args.n_time}"
    )
    header = (
        f"{'grid':<8} {'emd2 s':>10} {'emd2 W2^2':>11} {'eulerflow W2^2':>14} {'rel diff':>9} "
        f"{'eulerflow s (1e-4)':>18} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    measured: list[tuple[int, float, float]] = []
    mem = _mem_available()
    sizes = sorted(set(args.pot_sizes) | {max(args.sizes)})
    for n in sizes:
        entries = (n * n) ** 2
        need = 33 * entries
        predicted = None
        if len(measured) >= 2:
            (n1, t1, _), (n2, t2, _) = measured[-2:]
            expo = math.log(t2 / t1) / math.log(n2 / n1)
            predicted = t2 * (n / n2) ** expo
        reason = None
        if n not in args.pot_sizes:
            reason = "not in --pot-sizes"
        elif mem is not None and need > 0.8 * mem:
            reason = f"needs ~{need / 1e9:.0f} GB, {mem / 1e9:.0f} GB available"
        elif predicted is not None and predicted > args.pot_budget:
            reason = f"predicted {predicted:.0f} s > --pot-budget {args.pot_budget:g} s"
        if reason is None:
            t, value = emd2_time(n)
            measured.append((n, t, value))
            t_str, v_str = f"{t:10.2f}", f"{value:11.8f}"
        elif predicted is not None:
            t, value = predicted, math.nan
            t_str, v_str = f"~{predicted:9.0f}", f"{'-':>11}"
        else:
            print(f"{n}^2: skipped ({reason}), too few measured sizes to extrapolate")
            continue
        ef = _eulerflow_reference(args, rows, n)
        diff = f"{value / ef['ref'] - 1:+9.2%}" if math.isfinite(value) else f"{'-':>9}"
        t_ef = ef.get("t_target", math.nan)
        speed = (
            f"{t / t_ef:8.{0 if t >= 10 * t_ef else 1}f}x" if math.isfinite(t_ef) else f"{'-':>9}"
        )
        mark = "" if reason is None else f"   (extrapolated: {reason})"
        print(
            f"{n}^2{'':<{5 - len(str(n))}} {t_str} {v_str} {ef['ref']:14.8f} {diff} "
            f"{t_ef:18.3f} {speed}{mark}"
        )
    if len(measured) >= 2:
        (n1, _, v1), (n2, _, v2) = measured[-2:]
        limit = (n2**2 * v2 - n1**2 * v1) / (n2**2 - n1**2)
        print(
            f"emd2 on cell centres is biased by O(h^2) (about d h^2 / 6, the quantisation of both "
            f"densities); Richardson limit from {n1}^2 and {n2}^2: {limit:.8f}"
        )
        for n in args.sizes:
            ef = rows.get((n, "douglas-rachford")) or _eulerflow_reference(args, rows, n)
            print(
                f"  eulerflow {n}^2 x {args.n_time} against that limit: "
                f"{ef['ref'] / limit - 1:+.2%}"
            )
    big = max(args.sizes)
    done = {m[0]: m for m in measured}
    ef = _eulerflow_reference(args, rows, big)
    if big in done:
        t_pot, how = done[big][1], "measured"
    elif len(measured) >= 2:
        (n1, t1, _), (n2, t2, _) = measured[-2:]
        t_pot = t2 * (big / n2) ** (math.log(t2 / t1) / math.log(n2 / n1))
        how = f"EXTRAPOLATED from {n1}^2 and {n2}^2 by a power law"
    else:
        t_pot, how = math.nan, "not available"
    print(
        f"target: eulerflow >= 20x faster than ot.emd2 at {big}^2 ({how}): "
        f"{t_pot / ef['t_target']:.0f}x -> {_check(t_pot / ef['t_target'] >= 20)}"
    )
    print()


def _eulerflow_reference(args, rows: dict, n: int) -> dict:
    """The fastest method's row at ``n`` from the solver part, or a Douglas-Rachford run."""
    found = [
        rows[(n, m)]
        for m in METHODS
        if (n, m) in rows and math.isfinite(rows[(n, m)].get("t_target", math.nan))
    ]
    if found:
        return min(found, key=lambda r: r["t_target"])
    res, _ = _solve(n, args.n_time, "douglas-rachford", "numba", args.ref_tol, args.ref_max_iter)
    w2 = res.history["w2_squared"]
    k = iterations_to(w2, float(w2[-1]), args.target)
    row = {
        "ref": float(w2[-1]),
        "k": k,
        "per_it": res.diagnostics["time_per_iteration"],
        "t_target": (
            res.diagnostics["setup_time"] + k * res.diagnostics["time_per_iteration"]
            if k
            else math.nan
        ),
    }
    rows[(n, "douglas-rachford")] = row
    return row


# -- GPU ------------------------------------------------------------------------------------------
def gpu_table(args) -> None:
    label = f"{args.gpu_n}^2 x {args.gpu_n_time}"
    try:
        backend = eulerflow.get_backend("cupy")
    except BackendUnavailableError as err:
        print(f"GPU ({label}): skipped: {err}\n")
        return
    except Exception as err:  # noqa: BLE001 - any failure to start CuPy is a reason to skip
        print(f"GPU ({label}): skipped: {type(err).__name__}: {err}\n")
        return
    info = backend.info()
    print(f"GPU: cupy {info.get('version')}, {info.get('device')}; {label}, float64")
    header = f"{'method':<6} {'it/s':>8} {'ms/it':>8} {'setup s':>8} {'W2^2 after':>12}"
    print(header)
    print("-" * len(header))
    for method in args.methods:
        _solve(args.gpu_n, args.gpu_n_time, method, "cupy", 1e-300, 3)  # warm-up: NVRTC, plans
        res, _ = _solve(args.gpu_n, args.gpu_n_time, method, "cupy", 1e-300, args.gpu_iters)
        per_it = res.diagnostics["time_per_iteration"]
        print(
            f"{SHORT[method]:<6} {1 / per_it:8.1f} {1e3 * per_it:8.3f} "
            f"{res.diagnostics['setup_time']:8.3f} {res.w2_squared:12.8f}   ({res.n_iter} it)"
        )
    print()


def adaptive_family(n: int) -> tuple[eulerflow.Grid, dict]:
    """The fixed pairs of the ``adaptive`` part on the walled unit square with ``n^2`` cells,
    normalised to unit mass."""
    grid = eulerflow.Grid((n, n), ((0, 1), (0, 1)))
    x, y = np.meshgrid(grid.axis_centers(0), grid.axis_centers(1), indexing="ij")

    def gauss(cx: float, cy: float, s: float) -> np.ndarray:
        return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))

    def disk(cx: float, cy: float, r: float) -> np.ndarray:
        return (((x - cx) ** 2 + (y - cy) ** 2) <= r * r).astype(float)

    pairs = {
        "smooth": (1 + 0.6 * gauss(0.3, 0.35, 0.15), 1 + 0.6 * gauss(0.7, 0.6, 0.12)),
        "gaussians": (gauss(0.3, 0.35, 0.08), gauss(0.68, 0.62, 0.06)),
        "disks": (disk(0.3, 0.35, 0.18), disk(0.65, 0.62, 0.22)),
        "near-vacuum": (gauss(0.3, 0.35, 0.08) + 1e-3, gauss(0.68, 0.62, 0.06) + 1e-3),
    }
    return grid, {k: (grid.normalize(a), grid.normalize(b)) for k, (a, b) in pairs.items()}


def _run_bb(rho0, rho1, grid, n_time: int, max_iter: int, tol: float = 1e-300, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", eulerflow.ConvergenceWarning)
        return eulerflow.benamou_brenier(
            rho0, rho1, grid, n_time=n_time, tol=tol, max_iter=max_iter, progress=False, **kwargs
        )


def adaptive_table(args) -> None:
    """The ``adaptive`` part."""
    n, n_time = args.adaptive_n, args.adaptive_n_time
    grid, pairs = adaptive_family(n)
    print(
        f"adaptive: iterations to {args.target:g} relative W2^2 at {n}^2 x {n_time} (numba, "
        f"float64, default steps; '-': not within {args.adaptive_max_iter}); reference: "
        f"{args.adaptive_ref_iters} iterations of the default method"
    )
    refs = {}
    for name, (a, b) in pairs.items():
        w2 = _run_bb(a, b, grid, n_time, args.adaptive_ref_iters, backend="numba").history[
            "w2_squared"
        ]
        refs[name] = float(w2[-1])
        drift = float(np.abs(w2[-(w2.size // 3) :] / w2[-1] - 1).max())
        print(f"  reference {name:<12} W2^2 {refs[name]:.8f}  drift {drift:.1e}")
    header = f"{'method':<18} {'adaptive':<8} " + " ".join(f"{k:>12}" for k in pairs)
    print(header)
    print("-" * len(header))
    for method in args.methods:
        for adaptive in (False, True):
            cells = []
            for name, (a, b) in pairs.items():
                res = _run_bb(
                    a,
                    b,
                    grid,
                    n_time,
                    args.adaptive_max_iter,
                    backend="numba",
                    method=method,
                    adaptive=adaptive,
                )
                k = iterations_to(res.history["w2_squared"], refs[name], args.target)
                cells.append(f"{k if k else '-':>12}")
            print(f"{method:<18} {str(adaptive):<8} " + " ".join(cells))
    _dtype_timing(args)
    print()


def _dtype_timing(args) -> None:
    """ms per Douglas-Rachford iteration in float64 and float32 (the ``adaptive`` part); the
    runs stop at ``--dtype-iters`` iterations (float32 at its smallest accepted ``tol``, which
    ``make_densities`` does not reach in so few iterations)."""
    rho0, rho1, big = make_densities(args.n)
    tol = float32_min_tol(big.shape, args.n_time)
    per_it = {}
    for dtype in (np.float64, np.float32):
        _run_bb(rho0, rho1, big, 4, 3, tol=1.0, backend="numba", dtype=dtype)  # JIT, this dtype
        res = _run_bb(
            rho0, rho1, big, args.n_time, args.dtype_iters, tol=tol, backend="numba", dtype=dtype
        )
        assert res.n_iter == args.dtype_iters
        per_it[dtype] = res.diagnostics["time_per_iteration"]
    f64, f32 = per_it[np.float64], per_it[np.float32]
    print(
        f"douglas-rachford {args.n}^2 x {args.n_time}, numba, {args.dtype_iters} iterations: "
        f"float64 {1e3 * f64:.2f} ms/it, float32 {1e3 * f32:.2f} ms/it ({f32 / f64:.2f}x); "
        f"target <= 15 ms in float32 -> {_check(f32 <= 0.015)}"
    )


def _check(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["kernels", "solver", "breakdown", "pot", "adaptive", "gpu"],
        choices=["kernels", "solver", "breakdown", "pot", "adaptive", "gpu"],
    )
    parser.add_argument("--n", type=int, default=128, help="kernels: cells per spatial axis (2D)")
    parser.add_argument("--n-time", type=int, default=32, help="time cells (kernels, solver)")
    parser.add_argument("--repeat", type=int, default=20, help="kernels: timed calls per kernel")
    parser.add_argument("--backends", nargs="+", default=["numpy", "numba"])
    parser.add_argument(
        "--threads", type=int, default=None, help="Numba threads (default: all); scipy.fft too"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128], help="solver grids n^2")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--target", type=float, default=1e-4, help="relative W2^2 error")
    parser.add_argument("--ref-tol", type=float, default=1e-8, help="reference run tolerance")
    parser.add_argument("--ref-max-iter", type=int, default=500, help="reference run iterations")
    parser.add_argument("--numpy-iters", type=int, default=10, help="timed NumPy iterations")
    parser.add_argument("--pot-sizes", type=int, nargs="+", default=[32, 48, 64])
    parser.add_argument(
        "--pot-budget", type=float, default=600, help="max predicted seconds of one emd2 call"
    )
    parser.add_argument("--adaptive-n", type=int, default=32, help="adaptive: cells per axis")
    parser.add_argument("--adaptive-n-time", type=int, default=16, help="adaptive: time cells")
    parser.add_argument("--adaptive-max-iter", type=int, default=1500)
    parser.add_argument("--adaptive-ref-iters", type=int, default=6000)
    parser.add_argument("--dtype-iters", type=int, default=60, help="adaptive: timed iterations")
    parser.add_argument("--gpu-n", type=int, default=256)
    parser.add_argument("--gpu-n-time", type=int, default=64)
    parser.add_argument("--gpu-iters", type=int, default=100)
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
    args.backends = list(backends)
    for line in machine_info(backends):
        print(line)
    print(f"load average at start: {_load()}")
    print("times: median [min] over the repeats; GB = 1e9 bytes\n")
    start = time.perf_counter()
    rows: dict = {}
    if "kernels" in args.parts:
        kernel_table(backends, args.n, args.n_time, args.repeat)
        print(f"load average: {_load()}\n")
    if "solver" in args.parts:
        rows = solver_table(args)
        print(f"load average: {_load()}\n")
    if "breakdown" in args.parts:
        breakdown_table(args)
        print(f"load average: {_load()}\n")
    if "pot" in args.parts:
        pot_table(args, rows)
        print(f"load average: {_load()}\n")
    if "adaptive" in args.parts:
        adaptive_table(args)
        print(f"load average: {_load()}\n")
    if "gpu" in args.parts:
        gpu_table(args)
    print(f"load average at end: {_load()}; whole run {time.perf_counter() - start:.0f} s")
    return 0


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
