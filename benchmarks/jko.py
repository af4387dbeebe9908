"""Benchmark of the JKO steps: porous medium ``m = 2`` from a Barenblatt profile.

The setting of the porous-medium example of Jacobs, Lee and Leger (ESAIM: COCV 27, 2021):
``E = int rho^2`` (``PorousMedium(2)``, ``d_t rho = Laplace rho^2``) on ``[-1, 1]^2``, 256^2
cells, ``tau = 5e-4``, from the Barenblatt profile ``B(t0, .)`` with ``t0 = 0.01`` (support
radius 0.56) for ``--steps`` steps. Printed for each method of ``--methods``: seconds per JKO
step (the first step, which compiles, excluded) and the relative L1 error against the exact
Barenblatt profile at the final time. That error includes the ``O(tau)`` time error of the JKO
scheme itself (an exact JKO step has it too) besides the spatial and inner-solver errors.

Then the finite-volume gradient flow (``solve_gradient_flow``) on 64^2 .. 256^2 cells to the same
final time, for the time it needs to reach the JKO error; and the seconds per back-and-forth
step from 64^2 to 512^2 cells.

Anchor: the published C++ back-and-forth code takes 6.3-6.9 s per JKO step at 256^2 on a 2-core
machine with L1 errors of 0.6-1.6 %; the target here is at most 1 s per step for the
back-and-forth method at 256^2 and at most 5 s per step for the dynamic method at 128^2.

Run from the repository root::

    PYTHONPATH=. python benchmarks/jko.py                      # about a minute on 2 cores
    PYTHONPATH=. python benchmarks/jko.py --methods back-and-forth dynamic   # + 5 minutes
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numba
import numpy as np

from eulerflow.backends import get_backend
from eulerflow.energies import PorousMedium
from eulerflow.equations.gradient_flow import solve_gradient_flow
from eulerflow.exact.porous_medium import barenblatt
from eulerflow.grid import Grid
from eulerflow.jko_scheme.solver import METHODS

M, T0, TAU, BOX = 2.0, 0.01, 5e-4, 1.0


def problem(n: int):
    grid = Grid((n, n), bounds=[(-BOX, BOX), (-BOX, BOX)])
    return grid, barenblatt(grid, 0.0, M, t0=T0)


def relative_l1(rho, grid, t: float) -> float:
    exact = barenblatt(grid, t, M, t0=T0)
    return float(np.sum(np.abs(rho - exact)) / np.sum(exact))


def jko_run(method: str, n: int, steps: int):
    """``(seconds per step after the first, relative L1 error at the end, inner iterations)``."""
    grid, rho = problem(n)
    step = METHODS[method](rho, grid, PorousMedium(M), TAU, backend=get_backend("numba"))
    previous, times, iterations = None, [], []
    for _ in range(steps):
        tic = time.perf_counter()
        previous = step(rho, previous)
        times.append(time.perf_counter() - tic)
        iterations.append(previous.n_iter)
        rho = previous.rho
    per_step = float(np.mean(times[1:])) if steps > 1 else times[0]
    return per_step, relative_l1(rho, grid, steps * TAU), iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="+", default=["back-and-forth"], choices=list(METHODS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 128, 256, 512])
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"numba threads {numba.get_num_threads()}"
    )
    print(
        f"porous medium m={M:g} on [-{BOX:g}, {BOX:g}]^2, Barenblatt t0={T0}, tau={TAU}, "
        f"{args.steps} steps (T = {args.steps * TAU:g})"
    )

    print("\n1. JKO at 128^2 and 256^2 (dynamic: 128^2 only, the size of its target)")
    for method in args.methods:
        for n in (128,) if method == "dynamic" else (128, 256):
            per_step, error, iterations = jko_run(method, n, args.steps)
            print(
                f"  {method:15s} {n:4d}^2 {per_step:7.3f} s/step  relative L1 vs Barenblatt "
                f"{error:.3e}  inner iterations {min(iterations)}-{max(iterations)}"
            )

    print("\n2. finite-volume gradient flow (solve_gradient_flow, numba) to the same time")
    for n in (64, 128, 256):
        grid, rho = problem(n)
        tic = time.perf_counter()
        solution = solve_gradient_flow(
            rho, grid, PorousMedium(M), args.steps * TAU, backend="numba"
        )
        wall = time.perf_counter() - tic
        error = relative_l1(solution.values[-1], grid, args.steps * TAU)
        print(f"  {n:4d}^2 {wall:7.3f} s  relative L1 {error:.3e}")

    print("\n3. back-and-forth seconds per step by grid size (3 steps, first excluded)")
    for n in args.sizes:
        per_step, error, iterations = jko_run("back-and-forth", n, 3)
        print(f"  {n:4d}^2 {per_step:7.3f} s/step  inner iterations {iterations}")


if __name__ == "__main__":
    main()
