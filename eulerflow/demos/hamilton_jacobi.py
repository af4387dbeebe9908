"""Demo part: the Hamilton-Jacobi equation, kinks from smooth data against Hopf-Lax."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .figures import describe_grid, show
from .outputs import backend_row, write_files

DEFAULT_N = 128


def hamilton_jacobi_demo(
    out: Path,
    n: int = DEFAULT_N,
    backend: str = "auto",
    *,
    animation: bool = True,
    progress: bool = False,
) -> dict[str, Any]:
    """Hamilton-Jacobi equation: kinks forming from smooth data, against the Hopf-Lax formula.

    Solves ``d_t phi + |grad phi|^2 / 2 = 0`` (the equation of the optimal-transport potential;
    Benamou and Brenier 2000) on the periodic box ``[-pi, pi]^2`` with ``n x n`` cells from

        phi0(x, y) = cos(x) cos(y) + 0.3 sin(2 x + y)

    up to ``t_final = 1.5`` with WENO5 derivatives, the Godunov numerical Hamiltonian and TVD-RK3.
    The characteristics ``y + t grad phi0(y)`` first cross at
    ``t* = 1 / max(-lambda_min(D^2 phi0)) ~ 0.41``; after that ``phi`` has kinks and the solution
    is the viscosity solution, given by the Hopf-Lax formula
    ``phi(t, x) = min_y phi0(y) + |x - y|^2 / (2 t)``. The reference is
    :func:`eulerflow.exact.hopf_lax` on a grid three times finer per axis, read at the solver's
    cell centres (every third fine centre is one of them): the grid formula minimises over cell
    centres only, an ``O(h^2)`` error that the refinement divides by 9.

    Parameters
    ----------
    out : pathlib.Path
        Existing folder to write into.
    n : int, default 128
        Cells per axis.
    backend : str, default "auto"
        Backend name passed to :func:`eulerflow.solve_hamilton_jacobi`.
    animation : bool, default True
        Write the animated GIF of the snapshots.
    progress : bool, default False
        Show the solver's progress bar.

    Returns
    -------
    dict
        ``title``, ``report``, ``numbers`` (``n_steps``, ``wall_time``, ``t_star``, ``l1_error``,
        ``linf_error``, ``l1_change``, ``linf_change``: the L1 and max norms of
        ``phi(T) - phi0``) and ``files`` (``figure``, ``animation`` unless ``animation=False``,
        ``solution``); see the module docstring.
    """
    from .. import exact
    from ..equations.hamilton_jacobi import solve_hamilton_jacobi
    from ..grid import Grid

    t_final, n_snapshots, refine = 1.5, 31, 3
    bounds = ((-math.pi, math.pi), (-math.pi, math.pi))

    def phi0(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.cos(x) * np.cos(y) + 0.3 * np.sin(2 * x + y)

    def hessian_min_eigenvalue(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        s, c = np.sin(2 * x + y), np.cos(x) * np.cos(y)
        hxx, hxy, hyy = -c - 1.2 * s, np.sin(x) * np.sin(y) - 0.6 * s, -c - 0.3 * s
        return 0.5 * (hxx + hyy) - np.sqrt(0.25 * (hxx - hyy) ** 2 + hxy**2)

    sample = Grid(shape=(512, 512), bounds=bounds, periodic=True)
    t_star = 1.0 / float(np.max(-hessian_min_eigenvalue(*sample.centers)))

    grid = Grid(shape=(n, n), bounds=bounds, periodic=True)
    sol = solve_hamilton_jacobi(
        phi0(*grid.centers),
        grid,
        t_final=t_final,
        scheme="weno5",
        t_eval=np.linspace(0.0, t_final, n_snapshots),
        backend=backend,
        progress=progress,
    )
    fine = Grid(shape=(refine * n, refine * n), bounds=bounds, periodic=True)
    inner = slice(refine // 2, None, refine)
    reference = exact.hopf_lax(phi0(*fine.centers), fine, t_final)[inner, inner]
    phi_initial = np.asarray(sol.phi[0])
    phi_final = np.asarray(sol.phi[-1])
    error = np.abs(phi_final - reference)
    l1_error = float(grid.integrate(error))
    linf_error = float(error.max())
    l1_change = float(grid.integrate(np.abs(phi_final - phi_initial)))
    linf_change = float(np.abs(phi_final - phi_initial).max())

    files = write_files(
        sol,
        out,
        "hamilton_jacobi",
        lambda path: _hamilton_jacobi_figure(sol, reference, path, l1_error, linf_error),
        animation,
        fps=8,
    )

    method = sol.parameters
    report = [
        ("grid", describe_grid(grid)),
        backend_row(sol),
        (
            "steps",
            f"{sol.n_steps} ({method['scheme']} derivatives, {method['flux']} flux, "
            f"{method['stepper']}, cfl {method['cfl']:g}), {n_snapshots} snapshots",
        ),
        ("wall time", f"{sol.wall_time:.2f} s (solver, including any Numba compilation)"),
        ("kinks", f"characteristics cross from t* = {t_star:.3f} on; T = {t_final:g}"),
        (
            "reference",
            f"Hopf-Lax formula, exact.hopf_lax on {refine * n} x {refine * n} cells "
            "read at these centres",
        ),
        (
            "L1 error",
            f"{l1_error:.4e}   sum |phi - Hopf-Lax| * cell_volume  "
            f"(L1 norm of phi(T) - phi0: {l1_change:.4e})",
        ),
        (
            "L_inf error",
            f"{linf_error:.4e}   max |phi - Hopf-Lax|  (max |phi(T) - phi0|: {linf_change:.4e})",
        ),
    ]
    return {
        "title": (
            "d_t phi + |grad phi|^2/2 = 0, phi0 = cos x cos y + 0.3 sin(2x + y): kinks form, "
            "WENO5 to t = 1.5 vs the Hopf-Lax formula"
        ),
        "report": report,
        "numbers": {
            "n_steps": int(sol.n_steps),
            "wall_time": float(sol.wall_time),
            "t_star": t_star,
            "l1_error": l1_error,
            "linf_error": linf_error,
            "l1_change": l1_change,
            "linf_change": linf_change,
        },
        "files": files,
    }


def _hamilton_jacobi_figure(
    sol, reference: np.ndarray, path: Path, l1_error: float, linf_error: float
) -> Path:
    """Initial, numerical, Hopf-Lax and difference panels of the Hamilton-Jacobi demo (PNG)."""
    from matplotlib.figure import Figure

    grid = sol.grid
    phi_initial = np.asarray(sol.phi[0])
    phi_final = np.asarray(sol.phi[-1])
    t_final = sol.t[-1]
    low = min(float(phi_final.min()), float(reference.min()))
    high = max(float(phi_final.max()), float(reference.max()))
    diff = phi_final - reference
    span = float(np.abs(diff).max()) or 1.0

    fig = Figure(figsize=(10, 8.6), layout="constrained")
    axes = fig.subplots(2, 2)
    show(axes[0, 0], phi_initial, grid, "initial potential, t = 0", "phi", cmap="viridis")
    show(
        axes[0, 1],
        phi_final,
        grid,
        f"numerical ({sol.backend}), t = {t_final:.4g}",
        "phi",
        cmap="viridis",
        vmin=low,
        vmax=high,
    )
    show(
        axes[1, 0],
        reference,
        grid,
        f"Hopf-Lax formula, t = {t_final:.4g}",
        "phi",
        cmap="viridis",
        vmin=low,
        vmax=high,
    )
    show(
        axes[1, 1],
        diff,
        grid,
        f"numerical - Hopf-Lax\n(L1 {l1_error:.2g}, max {linf_error:.2g})",
        "difference",
        cmap="RdBu_r",
        vmin=-span,
        vmax=span,
    )
    n0, n1 = grid.shape
    fig.suptitle(
        "Hamilton-Jacobi equation d_t phi + |grad phi|^2/2 = 0, kinks from smooth data "
        f"({n0} x {n1} cells, {sol.parameters['scheme']} / {sol.parameters['stepper']})"
    )
    fig.savefig(path, dpi=100)
    return path
