"""The default ``stepper="auto"`` against error-controlled BDF2 on the Ornstein-Uhlenbeck problem
of ``tests/equations/test_fokker_planck_implicit.py`` (``[-5, 5]^2``, ``V = |x|^2 / 2``,
``eps = 1``, from ``N((1, -0.5), [[0.3, 0.05], [0.05, 0.2]])`` to ``t = 1``): the method the cost
model chose, its two estimates, steps, factorisations, L1 error against the exact cell averages
and the best wall time of three runs (a short untimed run first compiles the kernels).

Run from the repository root (``--threads`` is set before Numba starts)::

    PYTHONPATH=. python benchmarks/fokker_planck_auto.py --threads 1
    PYTHONPATH=. python benchmarks/fokker_planck_auto.py --threads 2
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=[192, 256])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)

    import eulerflow as ef
    from eulerflow.exact import ornstein_uhlenbeck

    print(f"{args.threads} Numba thread(s), load average at the start {os.getloadavg()}")
    print(f"{'n':>5s} {'run':24s} {'steps':>6s} {'LU':>3s} {'L1 error':>9s} {'wall s':>7s}  model")
    for n in args.sizes:
        grid = ef.Grid((n, n), [(-5, 5), (-5, 5)])
        mean0, cov0 = np.array([1.0, -0.5]), np.array([[0.3, 0.05], [0.05, 0.2]])
        rho0 = ef.exact.gaussian_density(grid, mean0, cov0)
        exact = ornstein_uhlenbeck(grid, 1.0, np.eye(2), np.zeros(2), 1.0, mean0, cov0)

        def potential(x, y):
            return 0.5 * (x**2 + y**2)

        for stepper in ("auto", "bdf2"):
            ef.solve_fokker_planck(rho0, grid, potential, 0.01, stepper=stepper, progress=False)
            best = np.inf
            for _ in range(args.repeats):
                start = time.perf_counter()
                sol = ef.solve_fokker_planck(
                    rho0, grid, potential, 1.0, stepper=stepper, progress=False
                )
                best = min(best, time.perf_counter() - start)
            p = sol.parameters
            model = (
                f"explicit {p['cost_explicit']:.0f} vs implicit {p['cost_implicit']:.0f} units"
                if p["auto"]
                else ""
            )
            error = grid.integrate(np.abs(sol.rho[-1] - exact))
            print(
                f"{n:5d} {stepper + ' -> ' + p['stepper']:24s} {sol.n_steps:6d} "
                f"{sol.diagnostics['n_factorizations']:3d} {error:9.2e} {best:7.3f}  {model}",
                flush=True,
            )
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
