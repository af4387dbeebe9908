"""Part 3 of ``benchmarks/hamilton_jacobi.py``: air3d, eulerflow against hj_reachability.

The backward reachable tube of the air3d game (Mitchell, Bayen and Tomlin 2005) over ``T = 2.8``
on hj_reachability's example domain ``[-6, 20] x [-10, 10] x [0, 2 pi)`` (periodic heading), with
hj_reachability's nodes: its non-periodic axes hold ``n`` nodes from end to end, which are the
cell centres of an eulerflow grid widened by half a cell; its periodic axis holds the nodes
``k 2 pi / n``, the centres of ``[-pi/n, 2 pi - pi/n)``. Both tools: WENO5, TVD-RK3, the same
Courant number; hj_reachability with ``SolverSettings.with_accuracy("very_high",
hamiltonian_postprocessor=backwards_reachable_tube)`` (global Lax-Friedrichs) on JAX CPU in
float64, eulerflow with :class:`eulerflow.systems.Air3d` (the compiled control-affine Hamiltonian,
local Lax-Friedrichs, ``tube=True``) on Numba. Compile time is excluded on both sides (a compiled
hj_reachability solve; a short eulerflow solve first). Reported: wall time of the solve, the
value difference, and the fraction of nodes where the sign of the value (inside or outside the
tube) differs.
"""

from __future__ import annotations

import time

import numpy as np

import eulerflow

T_FINAL = 2.8
LOWER, UPPER = np.array([-6.0, -10.0, 0.0]), np.array([20.0, 10.0, 2 * np.pi])


def eulerflow_grid(shape: tuple[int, int, int]) -> eulerflow.Grid:
    """The eulerflow grid whose cell centres are hj_reachability's nodes."""
    h = [(UPPER[a] - LOWER[a]) / (shape[a] - 1) for a in range(2)] + [2 * np.pi / shape[2]]
    bounds = [(LOWER[a] - h[a] / 2, UPPER[a] + h[a] / 2) for a in range(2)]
    bounds.append((-h[2] / 2, 2 * np.pi - h[2] / 2))
    return eulerflow.Grid(shape, bounds, periodic=(False, False, True))


def run_eulerflow(shape, cfl: float, backend: str = "numba"):
    """``(phi at t = 0, seconds, steps)`` of the air3d tube by eulerflow (compilation excluded)."""
    air = eulerflow.systems.Air3d()
    grid = eulerflow_grid(shape)
    target = air.target(grid)
    options = dict(direction="backward", tube=True, cfl=cfl, backend=backend, progress=False)
    eulerflow.solve_hamilton_jacobi(target, grid, air.hamiltonian, 1e-3, **options)  # compile
    t0 = time.perf_counter()
    sol = eulerflow.solve_hamilton_jacobi(target, grid, air.hamiltonian, T_FINAL, **options)
    return np.asarray(sol.phi[0]), time.perf_counter() - t0, sol.n_steps


def run_hj_reachability(hjr, jnp, shape, cfl: float):
    """``(V at t = -T, seconds, node coordinates)`` of hj_reachability's air3d example."""
    grid = hjr.Grid.from_lattice_parameters_and_boundary_conditions(
        hjr.sets.Box(LOWER, UPPER), shape, periodic_dims=2
    )
    values = jnp.linalg.norm(grid.states[..., :2], axis=-1) - 5.0
    settings = hjr.SolverSettings.with_accuracy(
        "very_high",
        hamiltonian_postprocessor=hjr.solver.backwards_reachable_tube,
        CFL_number=cfl,
    )
    dynamics = hjr.systems.Air3d()
    times = jnp.array([0.0, -T_FINAL])
    compiled = hjr.solve.lower(
        settings, dynamics, grid, times, values, progress_bar=False
    ).compile()
    t0 = time.perf_counter()
    out = compiled(settings, grid, times, values)[-1].block_until_ready()
    return np.asarray(out), time.perf_counter() - t0, np.asarray(grid.states)


def compare(shape, hjr, jnp, cfl: float, meter) -> dict:
    """One grid: both tools, side by side, with the load of the machine while each ran."""
    with meter() as ours_load:
        ours, ours_s, steps = run_eulerflow(shape, cfl)
    with meter() as theirs_load:
        theirs, theirs_s, states = run_hj_reachability(hjr, jnp, shape, cfl)
    grid = eulerflow_grid(shape)
    for a, centre in enumerate(np.broadcast_arrays(*grid.centers)):
        assert np.allclose(centre, states[..., a], atol=1e-9), "the nodes must coincide"
    diff = np.abs(ours - theirs)
    return {
        "shape": "x".join(map(str, shape)),
        "eulerflow_s": ours_s,
        "steps": steps,
        "hjr_s": theirs_s,
        "speedup": theirs_s / ours_s,
        "mean_diff": float(diff.mean()),
        "max_diff": float(diff.max()),
        "sign_differs": float(np.mean((ours <= 0) != (theirs <= 0))),
        "others_busy": (ours_load.others, theirs_load.others),
    }


def run_air3d(shapes, cfl: float, load_hj_reachability, meter) -> None:
    """Print the table of part 3 (``load_hj_reachability`` and ``meter`` from the main script)."""
    hjr, jnp, versions = load_hj_reachability()
    print("\n== part 3: air3d reachable tube, T = 2.8, eulerflow vs hj_reachability ==")
    if hjr is None:
        print(f"skipped: {versions}")
        return
    print(versions)
    print(f"WENO5 + TVD-RK3, CFL {cfl}; eulerflow local LF (Numba), hj_reachability global LF")
    header = (
        f"{'grid':>11} {'eulerflow s':>12} {'steps':>6} {'hj_reach. s':>12} {'speedup':>8} "
        f"{'mean|diff|':>11} {'max|diff|':>10} {'sign differs':>13} {'others busy':>12}"
    )
    print(header)
    for shape in shapes:
        row = compare(shape, hjr, jnp, cfl, meter)
        busy = "/".join(f"{b:.2f}" for b in row["others_busy"])
        print(
            f"{row['shape']:>11} {row['eulerflow_s']:12.2f} {row['steps']:6d} "
            f"{row['hjr_s']:12.2f} {row['speedup']:7.2f}x {row['mean_diff']:11.2e} "
            f"{row['max_diff']:10.2e} {100 * row['sign_differs']:12.3f}% {busy:>12}",
            flush=True,
        )
