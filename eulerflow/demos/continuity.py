"""Demo part: the continuity equation, a Gaussian carried by a rotating, compressing flow."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .figures import describe_grid, show
from .outputs import backend_row, write_files

DEFAULT_N = 128


def continuity_demo(
    out: Path,
    n: int = DEFAULT_N,
    backend: str = "auto",
    *,
    animation: bool = True,
    progress: bool = False,
) -> dict[str, Any]:
    """Continuity equation: a Gaussian carried by a rotating, compressing linear flow.

    Solves ``d_t rho + div(rho v) = 0`` with ``v(x) = A x``, ``A = [[-c, -w], [w, -c]]``
    (``w = 1``, ``c = 0.25``: a counter-clockwise rotation at rate ``w`` with a contraction at rate
    ``c``) on the walled box ``[-4, 4]^2`` with ``n x n`` cells, from the Gaussian
    ``N((1.5, 0), diag(0.5, 0.25))`` up to ``t_final = pi`` (half a turn), and compares the result
    with the exact push-forward :func:`eulerflow.exact.linear_flow_gaussian`,
    ``N(M m, M S M^T)`` with ``M = expm(t A) = exp(-c t) R(w t)``. The density near the walls is
    below ``1e-6`` throughout, so the walls do not disturb the comparison.

    Parameters
    ----------
    out : pathlib.Path
        Existing folder to write into.
    n : int, default 128
        Cells per axis.
    backend : str, default "auto"
        Backend name passed to :func:`eulerflow.solve_continuity`.
    animation : bool, default True
        Write the animated GIF of the snapshots.
    progress : bool, default False
        Show the solver's progress bar.

    Returns
    -------
    dict
        ``title``, ``report``, ``numbers`` (``n_steps``, ``wall_time``, ``mass_error``,
        ``l1_error``, ``l1_exact``, ``min_density``) and ``files`` (``figure``, ``animation``
        unless ``animation=False``, ``solution``); see the module docstring.
    """
    from .. import exact
    from ..equations.continuity import solve_continuity
    from ..grid import Grid

    w, c = 1.0, 0.25
    A = np.array([[-c, -w], [w, -c]])
    b = np.zeros(2)
    mean, cov = np.array([1.5, 0.0]), np.diag([0.5, 0.25])
    t_final, n_snapshots = math.pi, 25

    grid = Grid(shape=(n, n), bounds=((-4.0, 4.0), (-4.0, 4.0)), periodic=False)
    rho0 = exact.gaussian_density(grid, mean, cov)

    def velocity(t: float, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return A[0, 0] * x + A[0, 1] * y, A[1, 0] * x + A[1, 1] * y

    sol = solve_continuity(
        rho0,
        grid,
        velocity,
        t_final=t_final,
        t_eval=np.linspace(0.0, t_final, n_snapshots),
        steady=True,
        backend=backend,
        progress=progress,
    )
    rho_exact = exact.linear_flow_gaussian(grid, mean, cov, A, b, t_final)
    rho_final = np.asarray(sol.rho[-1])
    mass = sol.mass
    mass_error = abs(mass[-1] - mass[0]) / mass[0]
    l1_error = float(grid.integrate(np.abs(rho_final - rho_exact)))
    l1_exact = float(grid.integrate(np.abs(rho_exact)))
    min_density = float(np.min(sol.diagnostics["min"]))

    files = write_files(
        sol,
        out,
        "continuity",
        lambda path: _continuity_figure(sol, rho_exact, path, l1_error),
        animation,
        fps=8,
    )

    method = sol.parameters
    report = [
        ("grid", describe_grid(grid)),
        backend_row(sol),
        (
            "steps",
            f"{sol.n_steps} ({method['limiter']} limiter, {method['stepper']}, "
            f"cfl {method['cfl']:g}), {n_snapshots} snapshots",
        ),
        ("wall time", f"{sol.wall_time:.2f} s (solver, including any Numba compilation)"),
        ("relative mass error", f"{mass_error:.3e}   |M(T) - M(0)| / M(0)"),
        (
            "L1 error",
            f"{l1_error:.4e}   sum |rho - exact| * cell_volume  (L1 norm of exact: {l1_exact:.4e})",
        ),
        ("min density", f"{min_density:.3e}"),
    ]
    return {
        "title": (
            "d_t rho + div(rho v) = 0, v = A x, A = [[-0.25, -1], [1, -0.25]]: a Gaussian "
            "to t = pi vs the exact push-forward"
        ),
        "report": report,
        "numbers": {
            "n_steps": int(sol.n_steps),
            "wall_time": float(sol.wall_time),
            "mass_error": float(mass_error),
            "l1_error": l1_error,
            "l1_exact": l1_exact,
            "min_density": min_density,
        },
        "files": files,
    }


def _continuity_figure(sol, rho_exact: np.ndarray, path: Path, l1_error: float) -> Path:
    """Initial, numerical, exact and difference panels of the continuity demo, saved as PNG."""
    from matplotlib.figure import Figure

    grid = sol.grid
    rho0 = np.asarray(sol.rho[0])
    rho_final = np.asarray(sol.rho[-1])
    t_final = sol.t[-1]
    top = max(float(rho_final.max()), float(rho_exact.max()))
    diff = rho_final - rho_exact
    span = float(np.abs(diff).max()) or 1.0

    fig = Figure(figsize=(10, 8.6), layout="constrained")
    axes = fig.subplots(2, 2)
    show(axes[0, 0], rho0, grid, "initial density, t = 0", "rho", cmap="viridis")
    show(
        axes[0, 1],
        rho_final,
        grid,
        f"numerical ({sol.backend}), t = {t_final:.4g}",
        "rho",
        cmap="viridis",
        vmin=0.0,
        vmax=top,
    )
    show(
        axes[1, 0],
        rho_exact,
        grid,
        f"exact push-forward, t = {t_final:.4g}",
        "rho",
        cmap="viridis",
        vmin=0.0,
        vmax=top,
    )
    show(
        axes[1, 1],
        diff,
        grid,
        f"numerical - exact (L1 error {l1_error:.3g})",
        "difference",
        cmap="RdBu_r",
        vmin=-span,
        vmax=span,
    )
    n0, n1 = grid.shape
    fig.suptitle(
        "continuity equation, v = A x with A = [[-0.25, -1], [1, -0.25]] "
        f"({n0} x {n1} cells, {sol.parameters['limiter']} / {sol.parameters['stepper']})"
    )
    fig.savefig(path, dpi=100)
    return path
