"""Benchmark of ``eulerflow.wasserstein2`` (back-and-forth): speed, iterations, accuracy, POT.

Three parts, selected with ``--parts`` (default: all), in one run:

``bfm``
    The back-and-forth method (Numba, default settings) at ``--sizes`` (256^2, 512^2, 1024^2)
    and ``--sizes-3d`` (128^3) on three pairs on the unit box (:func:`make_pair`): ``smooth`` (two
    Gaussian bumps on a constant floor, against two other bumps), ``disks`` (a uniform disk,
    radius 0.15, to a uniform disk of radius 0.3 elsewhere: an affine map, which the
    moment-matched start already contains) and ``split`` (a uniform disk to two disjoint uniform
    disks of different radii: a map with a discontinuity, vacuum in between). A reference run
    (``tol = 1e-10``, up to ``--ref-max-iter`` iterations) gives the converged value; ``it to
    1e-4`` is the first iteration from which the best ``W2^2`` so far stays within 1e-4
    (relative) of it, and ``s to 1e-4 = setup + k * (seconds per iteration)`` of the default run
    (JIT compilation done by a warm-up call before). The default run's own stop (``tol = 1e-5``)
    is reported too. Gaussians at 512^2: ``W2^2`` against the Bures formula.
``pot``
    POT's ``ot.emd2`` (exact network simplex, to optimality) and ``ot.sinkhorn2`` (log domain,
    ``reg = --sinkhorn-eps`` on the unit box) between the cell-centre point clouds of the
    ``smooth`` pair at ``--pot-sizes``; a size is skipped (and extrapolated by the power law of
    the last two measured sizes, marked so) when its predicted time exceeds ``--pot-budget``
    seconds or its cost matrix would not fit in memory. Errors are relative to the
    back-and-forth reference at the same size; eulerflow's time is its default run.
``gpu``
    CuPy backend at ``--gpu-size`` (2048^2): seconds per iteration; prints ``skipped:
    <reason>`` without CuPy or a GPU.

Run from the repository root::

    PYTHONPATH=. python benchmarks/wasserstein2.py [--parts bfm pot gpu] [--sizes 256 512 1024]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings

import numpy as np
from benamou_brenier import _mem_available
from continuity import machine_info

import eulerflow
from eulerflow.backends import BackendUnavailableError

TARGET = 1e-4


# -- problems -------------------------------------------------------------------------------------
def make_pair(name: str, n: int, d: int = 2) -> tuple[np.ndarray, np.ndarray, eulerflow.Grid]:
    """The ``smooth``, ``disks`` or ``split`` pair on ``n^d`` cells of the unit box, unit masses."""
    grid = eulerflow.Grid((n,) * d, [(0.0, 1.0)] * d)
    x = np.broadcast_arrays(*grid.centers)

    def bump(centre, width):
        return np.exp(-sum((xa - c) ** 2 for xa, c in zip(x, centre, strict=True)) / (2 * width**2))

    def ball(centre, radius):
        return (sum((xa - c) ** 2 for xa, c in zip(x, centre, strict=True)) < radius**2).astype(
            float
        )

    if name == "smooth":
        rho0 = 0.2 + bump([0.3] * d, 0.08) + 0.6 * bump([0.65, 0.7] + [0.5] * (d - 2), 0.1)
        rho1 = 0.2 + bump([0.6] * d, 0.12) + 0.8 * bump([0.3, 0.65] + [0.4] * (d - 2), 0.07)
    elif name == "disks":
        rho0 = ball([0.3, 0.35] + [0.5] * (d - 2), 0.15)
        rho1 = ball([0.6, 0.55] + [0.5] * (d - 2), 0.3)
    elif name == "split":
        rho0 = ball([0.5] * d, 0.25)
        rho1 = ball([0.25, 0.3] + [0.5] * (d - 2), 0.15) + ball([0.7, 0.7] + [0.5] * (d - 2), 0.2)
    else:
        raise ValueError(name)
    return grid.normalize(rho0), grid.normalize(rho1), grid


def solve(rho0, rho1, grid, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", eulerflow.ConvergenceWarning)
        return eulerflow.wasserstein2(rho0, rho1, grid, backend="numba", **kwargs)


def iterations_to(best: np.ndarray, reference: float, target: float = TARGET) -> int | None:
    """First iteration from which ``best`` stays within ``target`` of ``reference``."""
    close = np.abs(best / reference - 1) <= target
    if not close[-1]:
        return None
    far = np.flatnonzero(~close)
    return int(far[-1] + 2) if far.size else 1


# -- back-and-forth -------------------------------------------------------------------------------
def bfm_table(args) -> dict:
    print(
        "back-and-forth (numba, defaults: tol 1e-5, samples 1): seconds per iteration, "
        "iterations and seconds to 1e-4 relative W2^2"
    )
    header = (
        f"{'grid':<9} {'pair':<7} {'s/it':>7} {'it to 1e-4':>10} {'s to 1e-4':>9} "
        f"{'default: it':>11} {'s':>7} {'rel err':>9} {'W2^2 (ref)':>12}"
    )
    print(header)
    print("-" * len(header))
    solve(*make_pair("smooth", 16), max_iter=2)  # JIT warm-up
    solve(*make_pair("smooth", 8, 3), max_iter=2)
    rows = {}
    cases = [(n, 2) for n in args.sizes] + [(n, 3) for n in args.sizes_3d]
    for n, d in cases:
        for name in ("smooth", "disks", "split"):
            rho0, rho1, grid = make_pair(name, n, d)
            ref = solve(rho0, rho1, grid, tol=1e-10, max_iter=args.ref_max_iter)
            res = solve(rho0, rho1, grid)
            per = float(res.diagnostics["time_per_iteration"])
            setup = res.wall_time - per * res.n_iter
            k = iterations_to(res.history["best"], ref.w2_squared)
            if k is None:
                k = iterations_to(ref.history["best"], ref.w2_squared)
            t_target = setup + k * per if k is not None else math.nan
            err = res.w2_squared / ref.w2_squared - 1
            label = f"{n}^{d}"
            print(
                f"{label:<9} {name:<7} {per:7.3f} {k if k else '-':>10} {t_target:9.2f} "
                f"{res.n_iter:>11} {res.wall_time:7.2f} {err:+9.1e} {ref.w2_squared:12.8f}"
            )
            rows[(n, d, name)] = {"per": per, "k": k, "t_target": t_target, "res": res, "ref": ref}
    if 1024 in args.sizes:
        per = rows[(1024, 2, "smooth")]["per"]
        print(
            f"target: <= 0.175 s per iteration at 1024^2 (2x the authors' 0.35 s): {per:.3f} s "
            f"-> {'MET' if per <= 0.175 else 'MISSED'}"
        )
    gaussians(args)
    print()
    return rows


def gaussians(args) -> None:
    n = args.gauss_size
    grid = eulerflow.Grid((n, n), ((-1.0, 1.0), (-1.0, 1.0)))
    m0, m1 = np.array([-0.2, 0.1]), np.array([0.25, -0.1])
    cases = {
        "sheared": (
            np.array([[0.02, 0.005], [0.005, 0.012]]),
            np.array([[0.01, -0.004], [-0.004, 0.025]]),
        ),
        "isotropic": (0.01 * np.eye(2), 0.03 * np.eye(2)),
        "swapped": (np.diag([0.03, 0.005]), np.diag([0.005, 0.03])),
    }
    worst = 0.0
    for name, (c0, c1) in cases.items():
        rho0 = grid.normalize(eulerflow.exact.gaussian_density(grid, m0, c0))
        rho1 = grid.normalize(eulerflow.exact.gaussian_density(grid, m1, c1))
        res = solve(rho0, rho1, grid)
        want = eulerflow.exact.gaussian_w2_squared(m0, c0, m1, c1)
        err = res.w2_squared / want - 1
        worst = max(worst, abs(err))
        print(
            f"Gaussians {name:<9} {n}^2 on [-1,1]^2: W2^2 {res.w2_squared:.8f}, Bures {want:.8f}, "
            f"rel err {err:+.1e}, {res.n_iter} it, {res.wall_time:.2f} s"
        )
    print(
        f"target: within 0.5 % of Bures at {n}^2: worst {worst:.1e} -> "
        f"{'MET' if worst <= 5e-3 else 'MISSED'}"
    )


# -- POT ------------------------------------------------------------------------------------------
def _pot_run(solver: str, n: int, eps: float) -> tuple[float, float]:
    import ot

    rho0, rho1, grid = make_pair("smooth", n)
    a, b = (r.ravel() * grid.cell_volume for r in (rho0, rho1))
    b *= a.sum() / b.sum()
    points = np.stack([c.ravel() for c in np.broadcast_arrays(*grid.centers)], axis=1)
    cost = ot.dist(points, points)
    start = time.perf_counter()
    if solver == "emd2":
        value, log = ot.emd2(a, b, cost, numItermax=2**62, log=True)
        if log.get("result_code") != 1:
            raise RuntimeError(f"ot.emd2 did not reach the optimum at {n}^2: {log.get('warning')}")
    else:
        value = ot.sinkhorn2(a, b, cost, eps, method="sinkhorn_log", numItermax=100_000)
    return time.perf_counter() - start, float(value)


def pot_table(args) -> None:
    try:
        import ot
    except ImportError as err:
        print(f"POT: skipped: POT not installed ({err})\n")
        return
    print(
        f"POT {ot.__version__} on the cell centres of the smooth pair (squared Euclidean cost) "
        f"against eulerflow's default run; errors relative to the back-and-forth reference"
    )
    header = (
        f"{'grid':<7} {'solver':<22} {'s':>9} {'rel err W2^2':>12} {'eulerflow s':>11} {'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    mem = _mem_available()
    for solver in ("emd2", "sinkhorn2"):
        label = "emd2" if solver == "emd2" else f"sinkhorn2 log eps={args.sinkhorn_eps:g}"
        measured: list[tuple[int, float]] = []
        for n in args.pot_sizes:
            rho0, rho1, grid = make_pair("smooth", n)
            ref = solve(rho0, rho1, grid, tol=1e-10, max_iter=args.ref_max_iter)
            ours = solve(rho0, rho1, grid)
            predicted = None
            if len(measured) >= 2:
                (n1, t1), (n2, t2) = measured[-2:]
                predicted = t2 * (n / n2) ** (math.log(t2 / t1) / math.log(n2 / n1))
            need = 40 * (n * n) ** 2
            if mem is not None and need > 0.8 * mem:
                reason = f"needs ~{need / 1e9:.0f} GB"
            elif predicted is not None and predicted > args.pot_budget:
                reason = f"predicted {predicted:.0f} s > {args.pot_budget:g} s"
            else:
                reason = None
            if reason is None:
                t, value = _pot_run(solver, n, args.sinkhorn_eps)
                measured.append((n, t))
                err = f"{value / ref.w2_squared - 1:+12.1e}"
                t_str, mark = f"{t:9.2f}", ""
            elif predicted is not None:
                t, err, t_str = predicted, f"{'-':>12}", f"~{predicted:8.0f}"
                mark = f"  (extrapolated: {reason})"
            else:
                print(f"{n}^2     {label:<22} skipped ({reason})")
                continue
            print(
                f"{n}^2{'':<{4 - len(str(n))}} {label:<22} {t_str} {err} {ours.wall_time:11.3f} "
                f"{t / ours.wall_time:7.0f}x{mark}"
            )
    print()


# -- GPU ------------------------------------------------------------------------------------------
def gpu_table(args) -> None:
    try:
        eulerflow.get_backend("cupy")
    except BackendUnavailableError as err:
        print(f"GPU: skipped: {err}\n")
        return
    import cupy

    rho0, rho1, grid = make_pair("smooth", args.gpu_size)
    r0, r1 = cupy.asarray(rho0), cupy.asarray(rho1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", eulerflow.ConvergenceWarning)
        eulerflow.wasserstein2(r0, r1, grid, backend="cupy", max_iter=2)
        res = eulerflow.wasserstein2(r0, r1, grid, backend="cupy")
    per = float(res.diagnostics["time_per_iteration"])
    print(
        f"GPU {args.gpu_size}^2 smooth pair: {per:.4f} s per iteration, {res.n_iter} iterations, "
        f"{res.wall_time:.2f} s, W2^2 {res.w2_squared:.8f}\n"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", default=["bfm", "pot", "gpu"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--sizes-3d", type=int, nargs="*", default=[128])
    parser.add_argument("--gauss-size", type=int, default=512)
    parser.add_argument("--ref-max-iter", type=int, default=150)
    parser.add_argument("--pot-sizes", type=int, nargs="+", default=[16, 24, 32, 48, 64, 96, 128])
    parser.add_argument("--pot-budget", type=float, default=300.0)
    parser.add_argument("--sinkhorn-eps", type=float, default=1e-3)
    parser.add_argument("--gpu-size", type=int, default=2048)
    args = parser.parse_args(argv)
    for line in machine_info({}):
        print(line)
    print()
    if "bfm" in args.parts:
        bfm_table(args)
    if "pot" in args.parts:
        pot_table(args)
    if "gpu" in args.parts:
        gpu_table(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
