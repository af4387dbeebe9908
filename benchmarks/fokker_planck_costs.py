"""The prices of the cost model behind ``solve_fokker_planck(stepper="auto")``.

For Fokker-Planck operators (``V = |x|^2 / 2``, ``eps = 0.5`` on ``[-5, 5]^d``) in 1D, 2D and 3D,
times one fused explicit stage (the backend's ``fokker_planck_update``), one sparse LU
factorisation of ``I - gamma L`` (SuperLU through ``Backend.sparse_factorized``) and one solve
with it (best of several repeats; the factorisation once), and prints the solve and the
factorisation in *stage units* beside the prices of
:mod:`eulerflow.equations.fokker_planck_cost` (``SOLVE_UNITS``, ``FACTORIZATION_UNITS``). Those
constants were fitted (``c (N / N_0)^b`` through the smallest and largest grid of each
dimension) to a run of this script with ``--threads 1`` on the 2-core VM.

Run from the repository root::

    PYTHONPATH=. python benchmarks/fokker_planck_costs.py --threads 1    # about 2 minutes
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

SHAPES = [
    (4096,),
    (16384,),
    (65536,),
    (128, 128),
    (256, 256),
    (384, 384),
    (512, 512),
    (24, 24, 24),
    (32, 32, 32),
    (48, 48, 48),
]


def best_of(repeats: int, function, *args) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="Numba threads (set before use)")
    parser.add_argument("--backend", default="numba")
    args = parser.parse_args()
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)

    import scipy.sparse

    import eulerflow as ef
    from eulerflow.equations import fokker_planck_cost as cost
    from eulerflow.equations.fokker_planck import _DeviceWeights, _Operator
    from eulerflow.equations.fokker_planck_implicit import apply_operator

    be = ef.get_backend(args.backend)
    print(f"backend {be.name}, {args.threads} thread(s), load average {os.getloadavg()}")
    print(
        f"{'shape':16s} {'N':>7s} {'stage ms':>9s} {'LU ms':>9s} {'solve ms':>9s} "
        f"{'solve units':>12s} {'model':>7s} {'LU units':>9s} {'model':>8s}"
    )
    for shape in SHAPES:
        grid = ef.Grid(shape, [(-5, 5)] * len(shape))
        operator = _Operator(
            grid, lambda *x: 0.5 * sum(xi**2 for xi in x), None, 0.5, np.float64, False
        )
        device = _DeviceWeights(operator, be)
        rho = be.xp.ones(shape)
        apply_operator(operator, device, be, rho, 0.0, 0.01)  # compile
        stage = best_of(20, apply_operator, operator, device, be, rho, 0.0, 0.01)
        identity = scipy.sparse.identity(grid.size, format="csr")
        matrix = (identity - 0.01 * operator.matrix(0.0)).tocsc()
        start = time.perf_counter()
        solve = be.sparse_factorized(matrix)
        factorization = time.perf_counter() - start
        rhs = rho.ravel().copy()
        solve_time = best_of(5, solve, rhs)
        ndim = len(shape)
        print(
            f"{str(shape):16s} {grid.size:7d} {stage * 1e3:9.3f} {factorization * 1e3:9.1f} "
            f"{solve_time * 1e3:9.2f} {solve_time / stage:12.1f} "
            f"{cost.solve_units(ndim, grid.size):7.1f} "
            f"{factorization / stage:9.0f} "
            f"{cost.factorization_units(ndim, grid.size):8.0f}",
            flush=True,
        )
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
