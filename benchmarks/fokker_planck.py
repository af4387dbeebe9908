"""Benchmark of the Fokker-Planck solver: 2D Ornstein-Uhlenbeck to t = 1, against py-pde.

The equation is ``d_t rho = div(A (x - b) rho) + eps Laplace rho`` on ``[-5, 5]^2`` with an
anisotropic, non-diagonal symmetric ``A`` (so ``V = (x - b)^T A (x - b) / 2``), from a correlated
Gaussian; the exact solution is Gaussian (``eulerflow.exact.ou_moments``). Every run is compared
with it in the L1 norm.

Part 1: every eulerflow method (BDF2, Crank-Nicolson, implicit Euler with a sweep of ``dt``; SSP
RK1/RK3 at the positivity bound) on 256^2 and 512^2: L1 error and wall time of the whole
``solve_fokker_planck`` call (operator assembly and LU factorisations included).

Part 2: py-pde on the same equation (non-conservative form with its central differences,
``eps laplace(c) + u . grad c + tr(A) c``, ``u = A (x - b)``, Neumann walls), with its fastest
suitable stepper: explicit Euler (a Numba-compiled loop) at 90 % of its stability bound
``dt <= h^2 / (4 eps)`` (py-pde's implicit and Crank-Nicolson solvers use fixed-point iterations,
which converge only under the same kind of step bound; its Runge-Kutta stepper costs six
right-hand sides per step for a larger step, a net loss when the step is bound by stability).
Its error is spatial (second order), so it is swept over grid sizes. Timed: py-pde's own solver
time (``diagnostics['controller']['profiler']['solver']``, Numba compilation excluded, which
favours py-pde); the compilation time is printed beside it.

Part 3: the time each tool needs to reach the same L1 error: for each py-pde run (error E,
time T) the eulerflow time is interpolated (log time linear in log error) on the lower envelope
of all eulerflow runs (those of part 1 and a few on coarser grids), and the ratio
T / T_eulerflow printed (target >= 5).

Part 4 (``--parts defaults``): ``solve_fokker_planck`` with no stepper, ``dt``, ``cfl`` or
tolerance argument (``stepper="auto"``: explicit Euler at 0.8 of the positivity bound or
error-controlled BDF2 at the grid's default ``rtol``, whichever its cost model prefers) on
``--default-sizes``; py-pde's time over eulerflow's at equal error is interpolated on the lower
envelope of these default runs only (the user picks the grid, nothing else): target >= 10 at
192^2 and above. Printed beside part 3's best-settings ratio when both parts run.

Run from the repository root::

    PYTHONPATH=. python benchmarks/fokker_planck.py                    # about 5 minutes
    PYTHONPATH=. python benchmarks/fokker_planck.py --sizes 256 --pde-sizes 128 256
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np

import eulerflow as ef
from eulerflow.exact import ornstein_uhlenbeck, ou_moments

A = np.array([[1.0, 0.5], [0.5, 1.5]])
CENTRE = np.array([0.5, -0.25])
EPS = 0.5
M0 = np.array([-1.0, 1.0])
S0 = np.array([[0.25, 0.1], [0.1, 0.3]])
T_FINAL = 1.0
BOX = 5.0
TARGET = 5.0
DEFAULTS_TARGET = 10.0


def potential(x, y):
    dx, dy = x - CENTRE[0], y - CENTRE[1]
    return 0.5 * (A[0, 0] * dx * dx + 2 * A[0, 1] * dx * dy + A[1, 1] * dy * dy)


def ef_grid(n: int) -> ef.Grid:
    return ef.Grid((n, n), ((-BOX, BOX), (-BOX, BOX)))


# -- eulerflow ------------------------------------------------------------------------------------
def run_eulerflow(n: int, stepper: str, dt: float | None, backend: str, defaults=False) -> dict:
    """One run; ``defaults=True``: no ``stepper``/``dt``/``cfl`` passed at all."""
    grid = ef_grid(n)
    rho0 = ornstein_uhlenbeck(grid, 0.0, A, CENTRE, EPS, M0, S0)
    exact = ornstein_uhlenbeck(grid, T_FINAL, A, CENTRE, EPS, M0, S0)
    if defaults:
        kwargs = {}
    else:
        kwargs = {"stepper": stepper, **({"dt": dt} if dt is not None else {"cfl": 1.0})}
    start = time.perf_counter()
    sol = ef.solve_fokker_planck(
        rho0,
        grid,
        t_final=T_FINAL,
        potential=potential,
        diffusion=EPS,
        backend=backend,
        progress=False,
        **kwargs,
    )
    wall = time.perf_counter() - start
    error = float(grid.integrate(np.abs(sol.rho[-1] - exact)))
    return {
        "tool": "eulerflow",
        "n": n,
        "method": f"auto: {sol.parameters['stepper']}" if defaults else stepper,
        "dt": sol.diagnostics["dt_max"],
        "steps": sol.n_steps,
        "error": error,
        "time": wall,
        "extra": f"{sol.diagnostics['n_factorizations']} LU"
        + (f", rtol {sol.parameters['rtol']:.2g}" if sol.parameters["rtol"] else ""),
    }


# -- py-pde ---------------------------------------------------------------------------------------
def run_pypde(n: int, safety: float = 0.9) -> dict:
    import pde

    grid = pde.CartesianGrid([[-BOX, BOX], [-BOX, BOX]], [n, n], periodic=False)
    x, y = grid.cell_coords[..., 0], grid.cell_coords[..., 1]
    mean, cov = ou_moments(0.0, A, CENTRE, EPS, M0, S0)
    field = pde.ScalarField(grid, gaussian_points(x, y, mean, cov))
    a, c = A, CENTRE
    ux = f"({a[0, 0]}*(x-{c[0]})+{a[0, 1]}*(y-({c[1]})))"
    uy = f"({a[1, 0]}*(x-{c[0]})+{a[1, 1]}*(y-({c[1]})))"
    expr = f"{EPS}*laplace(c) + {ux}*d_dx(c) + {uy}*d_dy(c) + {np.trace(a)}*c"
    eq = pde.PDE({"c": expr}, bc={"derivative": 0})
    h = 2 * BOX / n
    steps = math.ceil(T_FINAL / (safety * h * h / (4 * EPS)))
    dt = T_FINAL / steps  # py-pde does not shorten its last step: land on t = 1 exactly
    start = time.perf_counter()
    result = eq.solve(field, t_range=T_FINAL, dt=dt, solver="euler", backend="numba", tracker=None)
    wall = time.perf_counter() - start
    profile = eq.diagnostics["controller"]["profiler"]
    t_end = eq.diagnostics["controller"]["t_final"]
    mean_t, cov_t = ou_moments(t_end, A, CENTRE, EPS, M0, S0)
    exact = gaussian_points(x, y, mean_t, cov_t)
    error = float(np.sum(np.abs(result.data - exact)) * h * h)
    return {
        "tool": "py-pde",
        "n": n,
        "method": "euler (numba)",
        "dt": dt,
        "steps": eq.diagnostics["solver"]["steps"],
        "error": error,
        "time": float(profile["solver"]),
        "extra": f"compile {profile['compilation']:.1f} s, total {wall:.1f} s, t_end {t_end:.6f}",
    }


def gaussian_points(x, y, mean, cov):
    inv = np.linalg.inv(cov)
    dx, dy = x - mean[0], y - mean[1]
    q = inv[0, 0] * dx * dx + 2 * inv[0, 1] * dx * dy + inv[1, 1] * dy * dy
    return np.exp(-0.5 * q) / (2 * np.pi * math.sqrt(np.linalg.det(cov)))


# -- equal accuracy -------------------------------------------------------------------------------
def lower_envelope(rows):
    """The runs that no other run beats in both error and time, sorted by error (descending)."""
    rows = sorted(rows, key=lambda r: r["time"])
    front, best = [], math.inf
    for r in rows:
        if r["error"] < best:
            front.append(r)
            best = r["error"]
    return front


def time_to_reach(front, error: float) -> float | None:
    """Interpolated time (log-log) at which the envelope reaches ``error`` (None: never)."""
    if not front or error < front[-1]["error"]:
        return None
    if error >= front[0]["error"]:
        return front[0]["time"]
    for fast, slow in zip(front, front[1:], strict=False):
        if slow["error"] <= error <= fast["error"]:
            s = math.log(error / fast["error"]) / math.log(slow["error"] / fast["error"])
            return math.exp(math.log(fast["time"]) + s * math.log(slow["time"] / fast["time"]))
    return None


def print_rows(rows):
    print(
        f"{'tool':10s} {'n':>5s} {'method':16s} {'dt':>10s} {'steps':>6s} {'L1 error':>10s} "
        f"{'wall s':>8s}  notes"
    )
    for r in rows:
        print(
            f"{r['tool']:10s} {r['n']:5d} {r['method']:16s} {r['dt']:10.3e} {r['steps']:6d} "
            f"{r['error']:10.3e} {r['time']:8.3f}  {r['extra']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--pde-sizes", type=int, nargs="+", default=[128, 192, 256, 384, 512])
    parser.add_argument("--dts", type=float, nargs="+", default=[0.1, 0.05, 0.025, 0.0125])
    parser.add_argument("--explicit", nargs="+", default=["ssprk1", "ssprk3"])
    parser.add_argument(
        "--envelope-sizes",
        type=int,
        nargs="+",
        default=[96, 128, 192],
        help="coarser eulerflow grids (ssprk1, and BDF2 / Crank-Nicolson with dt = 0.025) that "
        "complete the error-time envelope, so that large errors are not compared with fine grids",
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["methods", "defaults"],
        help="methods: every method and step (parts 1 and 3); defaults: eulerflow's default "
        "arguments on --default-sizes (part 4); py-pde (part 2) runs with either",
    )
    parser.add_argument(
        "--default-sizes", type=int, nargs="+", default=[96, 128, 192, 256, 384, 512]
    )
    parser.add_argument("--backend", default="numba")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="Numba threads for both tools (default: Numba's default); on a shared 2-core VM "
        "use 1, since a parallel region waits for a descheduled thread",
    )
    args = parser.parse_args()
    if args.threads:
        import numba

        numba.set_num_threads(args.threads)

    print(
        f"platform: {platform.platform()}, {os.cpu_count()} CPUs, python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )
    print(f"eulerflow backend {ef.get_backend(args.backend).info()}")
    print(f"load average at start: {os.getloadavg()}")
    mean, cov = ou_moments(T_FINAL, A, CENTRE, EPS, M0, S0)
    print(
        f"2D OU on [-{BOX}, {BOX}]^2, A = {A.tolist()}, b = {CENTRE.tolist()}, eps = {EPS}, "
        f"t = {T_FINAL}; exact mean {mean.round(4).tolist()}, cov {cov.round(4).tolist()}"
    )
    run_eulerflow(32, "bdf2", 0.1, args.backend)  # warm-up: Numba JIT of the kernels
    run_eulerflow(32, "ssprk3", None, args.backend)
    run_eulerflow(32, "", None, args.backend, defaults=True)  # the error-controlled path

    # Numba compilation (or loading the cached kernels) is left out, as for py-pde: one
    # untimed run of every code path first
    for method, dt in (("ssprk1", None), ("ssprk3", None), ("bdf2", 0.1), ("crank-nicolson", 0.1)):
        run_eulerflow(32, method, dt, args.backend)
    run_eulerflow(32, "", None, args.backend, defaults=True)

    rows = []
    methods = "methods" in args.parts
    if methods:
        print("\n== eulerflow: every method on the benchmark grids ==")
    for n in args.sizes if methods else []:
        for method in ("bdf2", "crank-nicolson", "implicit-euler"):
            for dt in args.dts:
                rows.append(run_eulerflow(n, method, dt, args.backend))
                print_rows(rows[-1:])
        for method in args.explicit:
            rows.append(run_eulerflow(n, method, None, args.backend))
            print_rows(rows[-1:])

    if methods:
        print("\n== eulerflow: coarser grids (for the equal-error envelope) ==")
    for n in args.envelope_sizes if methods else []:
        for method, dt in (("ssprk1", None), ("crank-nicolson", 0.025), ("bdf2", 0.025)):
            rows.append(run_eulerflow(n, method, dt, args.backend))
            print_rows(rows[-1:])

    print("\n== py-pde: explicit Euler (numba) at 90 % of its stability bound ==")
    pde_rows = []
    try:
        import pde

        print(f"py-pde {pde.__version__}")
        for n in args.pde_sizes:
            pde_rows.append(run_pypde(n))
            print_rows(pde_rows[-1:])
    except ImportError as err:
        print(f"py-pde: skipped: {err}")

    default_rows = []
    if "defaults" in args.parts:
        print("\n== eulerflow with its default arguments (stepper='auto') ==")
        for n in args.default_sizes:
            default_rows.append(run_eulerflow(n, "", None, args.backend, defaults=True))
            print_rows(default_rows[-1:])

    print(f"\nload average at the end: {os.getloadavg()}")
    print("\n== all runs ==")
    print_rows(rows + pde_rows + default_rows)
    if methods:
        print("\n== time to reach the same L1 error (eulerflow: its best method at each error) ==")
        compare(lower_envelope(rows), pde_rows, TARGET)
    if default_rows:
        print("\n== time to reach the same L1 error (eulerflow: default arguments, grid chosen) ==")
        compare(lower_envelope(default_rows), pde_rows, DEFAULTS_TARGET)


def compare(front, pde_rows, target: float) -> None:
    """Print py-pde's time over eulerflow's at each py-pde run's error."""
    print(
        "eulerflow envelope: "
        + ", ".join(
            f"{r['method']}@{r['n']} dt={r['dt']:.3g} ({r['error']:.2e}, {r['time']:.2f} s)"
            for r in front
        )
    )
    print(
        f"{'L1 error':>10s} {'py-pde s':>9s} {'eulerflow s':>12s} {'ratio':>7s}  (target >= "
        f"{target:g})"
    )
    for r in pde_rows:
        t_ef = time_to_reach(front, r["error"])
        if t_ef is None:
            print(f"{r['error']:10.3e} {r['time']:9.3f} {'not reached':>12s}")
        elif r["error"] >= front[0]["error"]:  # even the cheapest eulerflow run is as accurate
            print(
                f"{r['error']:10.3e} {r['time']:9.3f} {t_ef:12.3f} {r['time'] / t_ef:7.1f}"
                "  (eulerflow's cheapest run; a lower bound of the ratio)"
            )
        else:
            print(f"{r['error']:10.3e} {r['time']:9.3f} {t_ef:12.3f} {r['time'] / t_ef:7.1f}")


if __name__ == "__main__":
    main()
