"""Benchmark of the Hamilton-Jacobi solver: WENO5 + TVD-RK3, Godunov flux, ``H = |p|^2 / 2``.

Part 1 times one TVD-RK3 step of :func:`eulerflow.solve_hamilton_jacobi` (the CFL reduction fused
with the first stage's rate, then three stages, called exactly as the solver calls them) on periodic
float64 grids in 2D and 3D, on the NumPy reference and on the Numba backend, and reports the
speedup and the achieved bandwidth of a stage against a STREAM-like triad measured in the same run.

Part 2 solves a smooth 2D problem with eulerflow and with hj_reachability (JAX on the CPU; an
optional import, skipped when not installed) on the same grids, and compares the wall time of the
two at equal accuracy, measured against a closed-form solution. See ``benchmarks/README.md``.

Part 3 computes the air3d reachable tube with both tools on hj_reachability's nodes
(:mod:`hj_air3d`): wall time, value difference and the fraction of nodes whose sign differs.

Run from the repository root::

    PYTHONPATH=. python benchmarks/hamilton_jacobi.py
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
from hj_air3d import run_air3d

import eulerflow
from eulerflow import Grid, solve_hamilton_jacobi
from eulerflow.backends import BackendUnavailableError
from eulerflow.exact import hopf_lax
from eulerflow.schemes.ssp import ssp_stages

TARGET_NUMBA_SPEEDUP = 10.0
SCHEME, FLUX, POWER = "weno5", "godunov", 2.0
TWO_PI = 2.0 * math.pi


# -- part 1: one step on a backend ----------------------------------------------------------------
def kernel_phi0(shape: tuple[int, ...]) -> tuple[Grid, np.ndarray]:
    """Smooth periodic datum on the unit box: ``sum_a sin(2pi x_a) cos(2pi x_(a+1)) / (2pi)^2``."""
    grid = Grid(shape, [(0.0, 1.0)] * len(shape), periodic=True)
    x = grid.centers
    d = grid.ndim
    phi = sum(np.sin(TWO_PI * x[a]) * np.cos(TWO_PI * x[(a + 1) % d]) for a in range(d))
    return grid, np.ascontiguousarray(np.broadcast_to(phi, shape) / TWO_PI**2)


class StepRunner:
    """One TVD-RK3 step of ``solve_hamilton_jacobi`` on one backend, in place on ``self.phi``.

    The CFL reduction is the solver's, fused into the first stage: one
    ``be.hj_update(phi_n, phi_n, ..., a=0, b=0, c=-1, maxima=True)`` writes ``rate = Hhat(phi_n)``
    and returns ``alpha_a = max(max |D^-_a phi|, max |D^+_a phi|)``; ``dt = cfl / sum_a alpha_a /
    h_a``; the first stage is ``phi_n - dt rate`` (the rate scaled in place) and the other two
    are ``be.hj_update`` with the Shu-Osher coefficients of SSP-RK3, into two scratch buffers and
    finally into ``phi_n``.
    """

    def __init__(self, backend, grid: Grid, phi0: np.ndarray, cfl: float) -> None:
        self.be = backend
        self.spacing, self.periodic = grid.spacing, grid.periodic
        self.cfl = cfl
        self.phi = backend.xp.array(backend.asarray(phi0), copy=True)
        self.buffers = (backend.xp.empty_like(self.phi), backend.xp.empty_like(self.phi))
        self.rate = backend.xp.empty_like(self.phi)
        self.stages = ssp_stages("ssprk3")
        self.alphas: tuple[float, ...] = (0.0,) * grid.ndim

    def max_step(self) -> float:
        """The CFL reduction and ``self.rate``: sets ``self.alphas`` and returns ``dt``."""
        _, self.alphas = self.be.hj_update(
            self.phi, self.phi, self.spacing, self.periodic, SCHEME, FLUX, POWER, None,
            self.alphas, 0.0, 0.0, -1.0, out=self.rate, maxima=True,
        )  # fmt: skip
        rate = sum(a / h for a, h in zip(self.alphas, self.spacing, strict=True))
        return self.cfl / rate

    def stage(self, phi_n, phi_k, a: float, b: float, c: float, out) -> None:
        """One fused stage ``out = a phi_n + b phi_k - c Hhat(D^- phi_k, D^+ phi_k)``."""
        self.be.hj_update(
            phi_n, phi_k, self.spacing, self.periodic, SCHEME, FLUX, POWER, None, self.alphas,
            a, b, c, out=out,
        )  # fmt: skip

    def step(self) -> float:
        """CFL reduction (with the first stage's rate) and the three stages; returns ``dt``."""
        dt = self.max_step()
        phi_n = previous = self.phi
        for k, st in enumerate(self.stages):
            out = phi_n if (k == len(self.stages) - 1 and k > 0) else self.buffers[k % 2]
            if k == 0:  # as the solver: the rate buffer scaled in place, no temporaries
                xp = self.be.xp
                self.rate *= st.b * dt
                xp.multiply(phi_n, st.a + st.b, out=out)
                xp.subtract(out, self.rate, out=out)
            else:
                self.stage(phi_n, previous, st.a, st.b, st.b * dt, out)
            previous = out
        return dt

    def middle_stage(self, dt: float = 1e-4) -> None:
        """The second stage on three distinct arrays (``phi_n``, ``phi_k``, ``out``)."""
        st = self.stages[1]
        self.stage(self.phi, self.buffers[0], st.a, st.b, st.b * dt, self.buffers[1])


def _times(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


class CpuMeter:
    """Cores busy while a block ran: this process (all threads) and every other process.

    ``self.own`` is this process's CPU time over the wall time (``time.process_time``);
    ``self.others`` is the rest of the machine's busy time (``/proc/stat``, Linux only, else
    ``nan``) over the wall time. Timings taken while ``others`` is well above 0 are disturbed:
    the benchmark's threads shared the cores with someone else.
    """

    def __enter__(self) -> CpuMeter:
        self._wall, self._cpu, self._busy = time.perf_counter(), time.process_time(), _busy()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self._wall
        own = time.process_time() - self._cpu
        self.own = own / wall
        self.others = max((_busy() - self._busy - own) / wall, 0.0)


def _busy() -> float:
    """Busy CPU seconds of the whole machine since boot (``nan`` without ``/proc/stat``)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return math.nan
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def least_disturbed(fn, retries: int, threshold: float, cores_needed: float = 2.0):
    """``(fn(), meter)`` of the least disturbed of up to ``1 + retries`` runs of ``fn``.

    A run counts as disturbed when other processes kept more than ``threshold`` cores busy
    meanwhile; ``cores_needed`` is how many cores the measured code uses (a single-threaded
    measurement on a machine with ``os.cpu_count()`` cores tolerates that many minus one).
    """
    spare = max((os.cpu_count() or 1) - cores_needed, 0.0)
    best = None
    for _ in range(retries + 1):
        with CpuMeter() as meter:
            result = fn()
        if best is None or meter.others < best[1].others:
            best = (result, meter)
        if not meter.others > threshold + spare:  # also stops on nan (no /proc/stat)
            break
    return best


def time_backend(backend, grid: Grid, phi0: np.ndarray, cfl: float, repeat: int) -> dict:
    """Median/min seconds of a step, of a stage and of the CFL reduction, and one step's result."""
    runner = StepRunner(backend, grid, phi0, cfl)
    runner.step()  # warm-up (JIT compile, first touch) and the sanity-check result
    result = backend.to_numpy(runner.phi).copy()
    runner.buffers[0][...] = runner.phi
    runner.middle_stage()
    step = _times(runner.step, repeat)
    stage = _times(runner.middle_stage, repeat)
    cfl_part = _times(runner.max_step, repeat)
    return {"step": step, "stage": stage, "cfl": cfl_part, "phi1": result}


def solver_check(backend_name: str, grid: Grid, phi0: np.ndarray, cfl: float, steps: int):
    """``solve_hamilton_jacobi`` over about ``steps`` steps: (seconds per step, steps)."""
    be = eulerflow.get_backend(backend_name)
    dt0 = StepRunner(be, grid, phi0, cfl).max_step()
    t_final = (steps - 0.5) * dt0
    solve_hamilton_jacobi(phi0, grid, t_final=dt0, cfl=cfl, backend=backend_name, progress=False)
    sol = solve_hamilton_jacobi(
        phi0, grid, t_final=t_final, cfl=cfl, backend=backend_name, progress=False
    )
    return sol.wall_time / sol.n_steps, sol.n_steps


def stage_bytes(cells: int, itemsize: int = 8) -> int:
    """Minimum bytes of one stage: read ``phi_n`` and ``phi_k``, write ``out``, each once."""
    return 3 * cells * itemsize


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
    first = _times(lambda: _TRIAD(a, b, c, 3.0), 2)[-1]  # compile, then one timed call
    repeat = max(repeat, 10, min(1000, math.ceil(0.2 / max(first, 1e-9))))  # about 0.2 s at least
    times = _times(lambda: _TRIAD(a, b, c, 3.0), repeat)
    return 3 * cells * 8 / statistics.median(times)


def run_kernels(args, backends: dict) -> None:
    """Part 1: the table of step, stage and CFL-reduction times per grid and backend."""
    print("== Part 1: one TVD-RK3 step (WENO5, Godunov, H = |p|^2/2, float64, periodic) ==")
    print(
        "step = CFL reduction fused with the first stage's rate (hj_update maxima=True) + first "
        "stage by arrays + 2 fused hj_update stages, as solve_hamilton_jacobi; medians [min]\n"
    )
    header = (
        f"{'grid':>7} {'backend':<7} {'ms/step':>17} {'ms/stage':>9} {'ms CFL':>8} "
        f"{'speedup':>8} {'MB/stage':>8} {'GB/s':>6} {'triad':>6} {'% triad':>7} {'others':>6}"
        "  target"
    )
    print(header)
    print("-" * len(header))
    grids = [(n, n) for n in args.sizes_2d] + [(n, n, n) for n in args.sizes_3d]
    for shape in grids:
        grid, phi0 = kernel_phi0(shape)
        cells = grid.size
        label = f"{shape[0]}^{len(shape)}"
        triad = None
        if "numba" in backends:
            triad, _ = least_disturbed(
                functools.partial(cpu_triad, cells, args.repeat), 2 * args.retries, args.quiet
            )
        results = {}
        for name, be in backends.items():
            repeat = args.numpy_repeat if name == "numpy" else args.repeat
            results[name], meter = least_disturbed(
                functools.partial(time_backend, be, grid, phi0, args.cfl, repeat),
                0 if name == "numpy" else args.retries,
                args.quiet,
                1.0 if name == "numpy" else 2.0,
            )
            results[name]["others"] = meter.others
        nbytes = stage_bytes(cells)
        for name, res in results.items():
            step, stage, cfl_part = (statistics.median(res[k]) for k in ("step", "stage", "cfl"))
            bw = nbytes / stage
            speed, target, frac, triad_text = "-", "", "-", "-"
            if triad is not None:
                triad_text, frac = f"{triad / 1e9:6.1f}", f"{100 * bw / triad:6.0f}%"
            if name != "numpy" and "numpy" in results:
                s = statistics.median(results["numpy"]["step"]) / step
                speed = f"{s:7.1f}x"
                ok = "ok" if s >= TARGET_NUMBA_SPEEDUP else "MISSED"
                target = f">={TARGET_NUMBA_SPEEDUP:.0f}x numpy (step) {ok}"
            print(
                f"{label:>7} {name:<7} {1e3 * step:8.1f} [{1e3 * min(res['step']):6.1f}] "
                f"{1e3 * stage:9.2f} {1e3 * cfl_part:8.2f} {speed:>8} {nbytes / 1e6:8.1f} "
                f"{bw / 1e9:6.2f} {triad_text:>6} {frac:>7} {res['others']:6.2f}  {target}"
            )
        for name, res in results.items():
            if name != "numpy" and "numpy" in results:
                ref = results["numpy"]["phi1"]
                err = np.max(np.abs(res["phi1"] - ref)) / np.max(np.abs(ref))
                print(f"{'':>7} check: one step, {name} vs numpy, max rel difference {err:.1e}")
            stage_speed = ""
            if name != "numpy" and "numpy" in results:
                s = statistics.median(results["numpy"]["stage"]) / statistics.median(res["stage"])
                c = statistics.median(results["numpy"]["cfl"]) / statistics.median(res["cfl"])
                stage_speed = f"; vs numpy: stage {s:.1f}x, CFL reduction {c:.1f}x"
            share = 3 * statistics.median(res["stage"]) / statistics.median(res["step"])
            print(f"{'':>7} {name}: 3 stages = {100 * share:.0f}% of the step{stage_speed}")
        for name in backends:
            if name != "numpy" and args.solver_steps > 0:
                (per_step, n_steps), meter = least_disturbed(
                    functools.partial(solver_check, name, grid, phi0, args.cfl, args.solver_steps),
                    args.retries,
                    args.quiet,
                )
                print(
                    f"{'':>7} check: solve_hamilton_jacobi({name}), {n_steps} steps: "
                    f"{1e3 * per_step:.1f} ms/step (wall_time / n_steps; others "
                    f"{meter.others:.2f})"
                )
        print()
    print(
        "MB/stage: phi_n and phi_k read once and out written once, 8 B each (3 N bytes x 8); "
        "GB/s = that / median stage time;\ntriad: numba parallel a = b + s c over arrays of the "
        "grid's size, 3 arrays counted (GB = 1e9 bytes);\nothers: cores busy with other "
        "processes while the row was timed (0 = undisturbed; disturbed rows are retried "
        "--retries times and the least disturbed is shown)\n"
    )


# -- part 2: the same problem in eulerflow and hj_reachability ----------------------------------
def ot_phi0(x, y):
    """Smooth periodic datum ``(sin kx sin ky + cos(k(x - 2y)) / 2) / k^2``, ``k = 2 pi``."""
    k = TWO_PI
    return (np.sin(k * x) * np.sin(k * y) + 0.5 * np.cos(k * (x - 2 * y))) / k**2


def _ot_gradient(x, y):
    k = TWO_PI
    s = np.sin(k * (x - 2 * y))
    return (
        (np.cos(k * x) * np.sin(k * y) - 0.5 * s) / k,
        (np.sin(k * x) * np.cos(k * y) + s) / k,
    )


def _ot_hessian(x, y):
    ss = np.sin(TWO_PI * x) * np.sin(TWO_PI * y)
    cc = np.cos(TWO_PI * x) * np.cos(TWO_PI * y)
    q = np.cos(TWO_PI * (x - 2 * y))
    return -ss - 0.5 * q, cc + q, -ss - 2 * q


def hessian_extremes(samples: int = 1024) -> tuple[float, float]:
    """Smallest and largest eigenvalue of the Hessian of ``ot_phi0`` over a fine sample."""
    t = (np.arange(samples) + 0.5) / samples
    a, b, d = _ot_hessian(t[:, None], t[None, :])
    mid, rad = 0.5 * (a + d), np.sqrt(0.25 * (a - d) ** 2 + b * b)
    return float((mid - rad).min()), float((mid + rad).max())


def closed_form(x, y, t: float):
    """``phi(t, x) = min_y phi0(y) + |x - y|^2 / (2t)`` for ``t`` before the first kink.

    The minimiser solves ``y + t grad phi0(y) = x``, with ``I + t Hess phi0`` positive definite
    for ``t < t_kink = -1 / min lambda_min(Hess phi0)``, so the objective is strongly convex and
    Newton's method from ``y = x - t grad phi0(x)`` converges to the unique minimiser (to
    round-off).
    """
    gx, gy = _ot_gradient(x, y)
    y1, y2 = x - t * gx, y - t * gy
    for _ in range(50):
        g1, g2 = _ot_gradient(y1, y2)
        r1, r2 = y1 + t * g1 - x, y2 + t * g2 - y
        a, b, d = _ot_hessian(y1, y2)
        a, b, d = 1 + t * a, t * b, 1 + t * d
        det = a * d - b * b
        d1, d2 = (d * r1 - b * r2) / det, (a * r2 - b * r1) / det
        y1, y2 = y1 - d1, y2 - d2
        if max(np.abs(d1).max(), np.abs(d2).max()) < 1e-15:
            break
    else:
        raise RuntimeError("Newton's method for the closed form did not converge")
    return ot_phi0(y1, y2) + ((x - y1) ** 2 + (y - y2) ** 2) / (2 * t)


def ot_problem(n: int):
    """Grid, datum and centre coordinates of the 2D comparison problem on ``n x n`` cells."""
    grid = Grid((n, n), [(0.0, 1.0)] * 2, periodic=True)
    x, y = np.meshgrid(grid.axis_centers(0), grid.axis_centers(1), indexing="ij")
    return grid, ot_phi0(x, y), x, y


def load_hj_reachability():
    """``(hj_reachability, jax.numpy, versions)``, or ``(None, None, reason)``."""
    try:
        import jax

        jax.config.update("jax_platforms", "cpu")
        jax.config.update("jax_enable_x64", True)
        import hj_reachability as hjr
        import jax.numpy as jnp
        import jaxlib
    except ImportError as err:
        return None, None, f"hj_reachability not installed ({err})"
    versions = (
        f"hj_reachability {hjr.__version__}, jax {jax.__version__}, jaxlib {jaxlib.__version__}, "
        f"device {jax.devices()[0]}"
    )
    return hjr, jnp, versions


def hjr_solver(hjr, jnp, phi0: np.ndarray, t_final: float, cfl: float, native: bool = True):
    """A compiled hj_reachability solve of ``d_t phi + |grad phi|^2 / 2 = 0`` to ``t_final``.

    hj_reachability integrates ``d_t V + H(x, grad V) = 0`` from ``times[0]`` to ``times[-1]``
    in either direction (a reachability problem goes backward, ``times = [0, -T]``). The native
    mapping is ``V(-s) = phi(s)`` with ``H(p) = -|p|^2/2`` and ``times = [0, -T]``: then
    ``d_s phi = -d_t V = H(grad V) = -|grad phi|^2/2``. Its Lax-Friedrichs dissipation flips
    with the direction of time, so the scheme for ``phi`` is the forward one. ``native=False``
    uses the forward reading instead (``H = +|p|^2/2``, ``times = [0, T]``); both must agree.

    The scheme is the package's default: WENO5, TVD-RK3, global Lax-Friedrichs; the dissipation
    bound per axis is ``max |p_a|`` over the box of one-sided derivatives (``|dH/dp_a| = |p_a|``),
    so ``dt = cfl / max sum_a alpha_a / h_a`` is the same rule as eulerflow's.

    Returns
    -------
    callable
        ``run()`` returns ``phi(t_final)`` as a JAX array (computed, not yet copied to NumPy).
    """
    n0, n1 = phi0.shape
    h = np.array([1.0 / n0, 1.0 / n1])
    lo = 0.5 * h  # periodic nodes lo + i h coincide with eulerflow's cell centres
    grid = hjr.Grid.from_lattice_parameters_and_boundary_conditions(
        hjr.sets.Box(lo, lo + 1.0),
        (n0, n1),
        boundary_conditions=(hjr.boundary_conditions.periodic,) * 2,
    )
    sign = -1.0 if native else 1.0

    class QuadraticHamiltonian(hjr.Dynamics):
        """``H(p) = sign |p|^2 / 2`` with the dissipation bound ``max |p_a|`` over the box."""

        def __init__(self) -> None:
            super().__init__("min", "max", None, None)

        def __call__(self, state, control, disturbance, time):
            return jnp.zeros_like(state)

        def optimal_control_and_disturbance(self, state, time, grad_value):
            return None, None

        def hamiltonian(self, state, time, value, grad_value):
            return sign * 0.5 * (grad_value @ grad_value)

        def partial_max_magnitudes(self, state, time, value, grad_value_box):
            return jnp.maximum(jnp.abs(grad_value_box.lo), jnp.abs(grad_value_box.hi))

    settings = hjr.SolverSettings(
        upwind_scheme=hjr.finite_differences.upwind_first.WENO5,
        artificial_dissipation_scheme=hjr.artificial_dissipation.global_lax_friedrichs,
        time_integrator=hjr.time_integration.third_order_total_variation_diminishing_runge_kutta,
        CFL_number=cfl,
    )
    dynamics = QuadraticHamiltonian()
    times = jnp.array([0.0, sign * t_final])
    values = jnp.asarray(phi0)
    compiled = hjr.solve.lower(
        settings, dynamics, grid, times, values, progress_bar=False
    ).compile()

    def run():
        return compiled(settings, grid, times, values)[-1].block_until_ready()

    def count_steps() -> int:
        """Steps of the same time loop as ``hjr.solver.step``, counted (a separate run)."""
        import jax

        def body(carry):
            t, v, k = carry
            t, v = settings.time_integrator(settings, dynamics, grid, t, v, times[-1])
            return t, v, k + 1

        loop = jax.jit(
            lambda v: jax.lax.while_loop(
                lambda c: jnp.abs(times[-1] - c[0]) > 0, body, (times[0], v, 0)
            )
        )
        return int(loop(values)[2])

    run.count_steps = count_steps
    return run


def _median_run(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def time_to_error(points: list[tuple[float, float]], target: float) -> float:
    """Wall time at which a tool reaches L1 error ``target``: log-log interpolation.

    ``points`` are ``(error, seconds)`` on successively finer grids. Between two grids whose
    errors bracket ``target``, ``log(seconds)`` is interpolated linearly in ``log(error)``;
    ``nan`` when no pair brackets it.
    """
    for (e0, t0), (e1, t1) in zip(points, points[1:], strict=False):
        if min(e0, e1) <= target <= max(e0, e1):
            if e0 == e1:
                return min(t0, t1)
            w = math.log(target / e0) / math.log(e1 / e0)
            return math.exp(math.log(t0) + w * math.log(t1 / t0))
    if points and math.isclose(points[-1][0], target):
        return points[-1][1]
    return math.nan


def run_comparison(args) -> None:
    """Part 2: eulerflow (Numba) and hj_reachability on the same grids, errors and wall times."""
    print("== Part 2: the same problem in eulerflow and hj_reachability, at equal accuracy ==")
    lam_min, lam_max = hessian_extremes()
    t_kink = -1.0 / lam_min
    t_final = args.tau * t_kink
    print(
        "d_t phi + |grad phi|^2/2 = 0 on the periodic unit square, float64, "
        "phi0 = (sin 2pi x sin 2pi y + cos(2pi (x - 2y))/2) / (2pi)^2,\n"
        f"T = {args.tau:g} t_kink = {t_final:.6f} (first kink at t_kink = {t_kink:.6f}); "
        f"CFL {args.cfl:g} in both (same dt rule); errors against the closed form "
        "(characteristics + Newton)"
    )
    print(
        "eulerflow: solve_hamilton_jacobi(backend='numba'), WENO5 + TVD-RK3 + Godunov; "
        "hj_reachability: hjr.solve, WENO5 + TVD-RK3 + global Lax-Friedrichs"
    )
    hjr, jnp, info = load_hj_reachability()
    if hjr is None:
        print(f"hj_reachability: skipped: {info}")
    else:
        print(info)
    print(
        "wall: median of --solve-repeat runs (1 run for N >= 1024) after warm-up; cores: CPU "
        "time / wall of the tool, others: cores busy with other processes meanwhile\n"
    )

    # Warm-up: Numba kernels (and XLA's runtime) on a small grid.
    grid, phi0, x, y = ot_problem(32)
    solve_hamilton_jacobi(
        phi0, grid, t_final=t_final, cfl=args.cfl, backend="numba", progress=False
    )
    if hjr is not None:
        hjr_solver(hjr, jnp, phi0, t_final, args.cfl)()

    header = (
        f"{'N':>5} {'tool':<15} {'steps':>5} {'compile s':>9} {'wall s':>8} {'ms/step':>8} "
        f"{'L1 error':>9} {'order':>5} {'Linf error':>10} {'cores':>5} {'others':>6}"
    )
    print(header)
    print("-" * len(header))
    points: dict[str, list[tuple[float, float]]] = {"eulerflow": [], "hj_reachability": []}
    hopf_checks = []
    for i, n in enumerate(args.hjr_sizes):
        grid, phi0, x, y = ot_problem(n)
        exact = closed_form(x, y, t_final)
        repeat = args.solve_repeat if n < 1024 else 1
        rows = {}

        solve = functools.partial(
            solve_hamilton_jacobi, phi0, grid, t_final=t_final, cfl=args.cfl, backend="numba",
            progress=False,
        )  # fmt: skip
        (wall, sol), meter = least_disturbed(
            functools.partial(_median_run, solve, repeat), args.retries, args.quiet
        )
        rows["eulerflow"] = (sol.n_steps, 0.0, wall, np.asarray(sol.phi[-1]), meter)
        if hjr is not None:
            t0 = time.perf_counter()
            run = hjr_solver(hjr, jnp, phi0, t_final, args.cfl)
            compile_s = time.perf_counter() - t0
            (wall, out), meter = least_disturbed(
                functools.partial(_median_run, run, repeat), args.retries, args.quiet
            )
            steps = run.count_steps() if i == 0 else sol.n_steps
            rows["hj_reachability"] = (steps, compile_s, wall, np.asarray(out), meter)
            if i == 0:
                ef_steps0 = sol.n_steps
                forward = np.asarray(hjr_solver(hjr, jnp, phi0, t_final, args.cfl, False)())
                convention_diff = float(np.max(np.abs(forward - rows["hj_reachability"][3])))
                counted = steps
        for tool, (steps, compile_s, wall, phi, meter) in rows.items():
            diff = np.abs(phi - exact)
            l1 = float(diff.mean())  # the unit square: L1 norm = mean over the cells
            order = "-"
            if points[tool]:
                prev_n, prev_l1 = points[tool][-1][2], points[tool][-1][0]
                order = f"{math.log(prev_l1 / l1) / math.log(n / prev_n):5.2f}"
            points[tool].append((l1, wall, n))
            comp = f"{compile_s:9.2f}" if tool != "eulerflow" else f"{'-':>9}"
            mark = "*" if tool != "eulerflow" and i > 0 else " "
            print(
                f"{n:>5} {tool:<15} {steps:>5}{mark}{comp} {wall:8.2f} {1e3 * wall / steps:8.2f} "
                f"{l1:9.2e} {order:>5} {float(diff.max()):10.2e} {meter.own:5.2f} "
                f"{meter.others:6.2f}"
            )
        if args.hopf_lax_check:
            gap = hopf_lax(phi0, grid, t_final) - exact
            bound = (lam_max + 1.0 / t_final) * 2 * (1.0 / n) ** 2 / 8
            hopf_checks.append((n, float(gap.min()), float(gap.max()), bound))
    print()
    if hjr is not None and len(args.hjr_sizes) > 0:
        n0 = args.hjr_sizes[0]
        print(
            f"check: at N = {n0} hj_reachability took {counted} steps (counted in a separate "
            f"run), eulerflow {ef_steps0}; its other step counts (*) are eulerflow's"
        )
        print(
            f"check: hj_reachability forward-time mapping (H = +|p|^2/2, times [0, T]) vs the "
            f"native one (H = -|p|^2/2, times [0, -T]) at N = {n0}: max difference "
            f"{convention_diff:.1e}"
        )
        errs = {tool: [(e, t) for e, t, _ in pts] for tool, pts in points.items()}
        target = max(errs["eulerflow"][-1][0], errs["hj_reachability"][-1][0])
        t_ef = time_to_error(errs["eulerflow"], target)
        t_hj = time_to_error(errs["hj_reachability"], target)
        print(
            f"time to reach L1 error {target:.2e} (the larger of the two errors at N = "
            f"{args.hjr_sizes[-1]}; log-log interpolation between grids): eulerflow {t_ef:.2f} s, "
            f"hj_reachability {t_hj:.2f} s, ratio hj_reachability / eulerflow = {t_hj / t_ef:.2f}"
        )
    for n, low, high, bound in hopf_checks:
        print(
            f"check: closed form vs eulerflow.exact.hopf_lax at N = {n}: hopf_lax - exact in "
            f"[{low:.1e}, {high:.1e}], bound [0, (Lambda + 1/T) sum h^2 / 8] = [0, {bound:.1e}]"
        )
    print()


# -- report ---------------------------------------------------------------------------------------
def machine_info() -> list[str]:
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes-2d", type=int, nargs="*", default=[1024], help="2D grids N^2")
    parser.add_argument("--sizes-3d", type=int, nargs="*", default=[128], help="3D grids N^3")
    parser.add_argument("--repeat", type=int, default=10, help="timed steps/stages per backend")
    parser.add_argument(
        "--numpy-repeat", type=int, default=3, help="timed steps/stages of the NumPy reference"
    )
    parser.add_argument(
        "--backends", nargs="+", default=["numpy", "numba"], help="backends of part 1"
    )
    parser.add_argument("--cfl", type=float, default=0.5, help="Courant number (both tools)")
    parser.add_argument(
        "--solver-steps",
        type=int,
        default=5,
        help="steps of the solve_hamilton_jacobi cross-check of part 1 (0: skip)",
    )
    parser.add_argument(
        "--hjr-sizes",
        type=int,
        nargs="*",
        default=[256, 512, 1024],
        help="2D grids N^2 of part 2 (none: skip part 2)",
    )
    parser.add_argument(
        "--tau", type=float, default=0.5, help="final time of part 2 as a fraction of t_kink"
    )
    parser.add_argument(
        "--solve-repeat", type=int, default=3, help="timed solves per tool for N < 1024"
    )
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.25,
        help="cores that other processes may keep busy before a measurement is retried",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="retries of a disturbed measurement (the least disturbed one is reported)",
    )
    parser.add_argument(
        "--air3d",
        nargs="*",
        default=["51x40x50", "101x79x100"],
        help="grids n0xn1xn2 of part 3, air3d against hj_reachability (none: skip part 3)",
    )
    parser.add_argument(
        "--air3d-cfl", type=float, default=0.75, help="Courant number of part 3 (both tools)"
    )
    parser.add_argument(
        "--no-hopf-lax-check",
        dest="hopf_lax_check",
        action="store_false",
        help="skip the comparison of the closed form with eulerflow.exact.hopf_lax",
    )
    args = parser.parse_args(argv)
    if not 0 < args.tau < 1:
        parser.error("--tau must lie in (0, 1): the closed form holds before the first kink")

    for line in machine_info():
        print(line)
    print()
    backends = {}
    for name in args.backends:
        try:
            backends[name] = eulerflow.get_backend(name)
        except BackendUnavailableError as err:
            print(f"skipping {name}: {err}")
    if args.sizes_2d or args.sizes_3d:
        run_kernels(args, backends)
    if args.hjr_sizes:
        run_comparison(args)
    if args.air3d:
        shapes = [tuple(int(n) for n in text.split("x")) for text in args.air3d]
        run_air3d(shapes, args.air3d_cfl, load_hj_reachability, CpuMeter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
