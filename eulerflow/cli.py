"""The ``eulerflow`` command: ``eulerflow backends`` and ``eulerflow demo``.

``eulerflow backends`` lists the compute backends, whether they can run here, their versions and
devices. ``eulerflow demo`` runs one small problem per capability of the package, compares it with
an exact solution where one is known, prints the numbers and writes figures, an animation and the
solution files into a folder.

The demo is a list of parts (:data:`DEMO_PARTS`), one function each. A part is called as
``part(out, n, backend, animation=..., progress=...)`` and returns a dict with

``"title"``
    One line saying what was solved.
``"report"``
    ``(label, text)`` pairs, printed one per line.
``"numbers"``
    The measured values as plain numbers (for scripts and tests).
``"files"``
    ``{kind: path}`` of the files written.

Adding a part is writing such a function and adding one line to :data:`DEMO_PARTS`. Parts draw on
bare :class:`matplotlib.figure.Figure` objects (never through pyplot), so they leave no figure open
and need no display.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .grid import Grid

DEFAULT_DEMO_DIR = Path("eulerflow-demo")
DEFAULT_DEMO_N = 128
MIN_DEMO_N = 8
BACKEND_CHOICES = ("auto", "numpy", "numba", "cupy")


# -- demo parts ------------------------------------------------------------------------------------
def continuity_demo(
    out: Path,
    n: int = DEFAULT_DEMO_N,
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
    from . import exact
    from .backends import get_backend
    from .equations.continuity import solve_continuity
    from .grid import Grid

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

    files = {"figure": out / "continuity.png"}
    _continuity_figure(sol, rho_exact, files["figure"], l1_error)
    if animation:
        files["animation"] = sol.animate(out / "continuity.gif", fps=8, cmap="viridis")
    files["solution"] = sol.save(out / "continuity.nc")

    info = get_backend(sol.backend).info()
    method = sol.method
    report = [
        ("grid", _describe_grid(grid)),
        ("backend", f"{sol.backend} {info['version']}, {info['device']}"),
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


def hamilton_jacobi_demo(
    out: Path,
    n: int = DEFAULT_DEMO_N,
    backend: str = "auto",
    *,
    animation: bool = True,
    progress: bool = False,
) -> dict[str, Any]:
    """Hamilton-Jacobi equation: kinks forming from smooth data, against the Hopf-Lax formula.

    Solves ``d_t phi + |grad phi|^2 / 2 = 0`` (the equation of the optimal-transport potential,
    seed notes section 3) on the periodic box ``[-pi, pi]^2`` with ``n x n`` cells from

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
    from . import exact
    from .backends import get_backend
    from .equations.hamilton_jacobi import solve_hamilton_jacobi
    from .grid import Grid

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
        t_final,
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

    files = {"figure": out / "hamilton_jacobi.png"}
    _hamilton_jacobi_figure(sol, reference, files["figure"], l1_error, linf_error)
    if animation:
        files["animation"] = sol.animate(out / "hamilton_jacobi.gif", fps=8, cmap="viridis")
    files["solution"] = sol.save(out / "hamilton_jacobi.nc")

    info = get_backend(sol.backend).info()
    method = sol.method
    report = [
        ("grid", _describe_grid(grid)),
        ("backend", f"{sol.backend} {info['version']}, {info['device']}"),
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


DemoPart = Callable[..., dict[str, Any]]

DEMO_PARTS: dict[str, DemoPart] = {
    "continuity": continuity_demo,
    "hamilton-jacobi": hamilton_jacobi_demo,
}
"""The demo parts, run in this order by ``eulerflow demo`` (see the module docstring)."""


# -- figure helpers --------------------------------------------------------------------------------
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
    _show(axes[0, 0], rho0, grid, "initial density, t = 0", "rho", cmap="viridis")
    _show(
        axes[0, 1],
        rho_final,
        grid,
        f"numerical ({sol.backend}), t = {t_final:.4g}",
        "rho",
        cmap="viridis",
        vmin=0.0,
        vmax=top,
    )
    _show(
        axes[1, 0],
        rho_exact,
        grid,
        f"exact push-forward, t = {t_final:.4g}",
        "rho",
        cmap="viridis",
        vmin=0.0,
        vmax=top,
    )
    _show(
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
        f"({n0} x {n1} cells, {sol.method['limiter']} / {sol.method['stepper']})"
    )
    fig.savefig(path, dpi=100)
    return path


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
    _show(axes[0, 0], phi_initial, grid, "initial potential, t = 0", "phi", cmap="viridis")
    _show(
        axes[0, 1],
        phi_final,
        grid,
        f"numerical ({sol.backend}), t = {t_final:.4g}",
        "phi",
        cmap="viridis",
        vmin=low,
        vmax=high,
    )
    _show(
        axes[1, 0],
        reference,
        grid,
        f"Hopf-Lax formula, t = {t_final:.4g}",
        "phi",
        cmap="viridis",
        vmin=low,
        vmax=high,
    )
    _show(
        axes[1, 1],
        diff,
        grid,
        f"numerical - Hopf-Lax (L1 {l1_error:.2g}, max {linf_error:.2g})",
        "difference",
        cmap="RdBu_r",
        vmin=-span,
        vmax=span,
    )
    n0, n1 = grid.shape
    fig.suptitle(
        "Hamilton-Jacobi equation d_t phi + |grad phi|^2/2 = 0, kinks from smooth data "
        f"({n0} x {n1} cells, {sol.method['scheme']} / {sol.method['stepper']})"
    )
    fig.savefig(path, dpi=100)
    return path


def _show(ax: Axes, data: np.ndarray, grid: Grid, title: str, label: str, **kwargs: Any) -> None:
    """Image of a 2D cell field, x horizontal and y vertical, with a colorbar and a title."""
    (x_lo, x_hi), (y_lo, y_hi) = grid.bounds
    image = ax.imshow(data.T, origin="lower", extent=(x_lo, x_hi, y_lo, y_hi), **kwargs)
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel(grid.axis_names[0])
    ax.set_ylabel(grid.axis_names[1])
    ax.set_title(title)


def _describe_grid(grid: Grid) -> str:
    cells = " x ".join(str(n) for n in grid.shape)
    box = " x ".join(f"[{lo:g}, {hi:g}]" for lo, hi in grid.bounds)
    if len(set(grid.periodic)) == 1:
        walls = "periodic" if grid.periodic[0] else "walls"
    else:
        walls = ", ".join(
            f"{a} {'periodic' if p else 'walls'}"
            for a, p in zip(grid.axis_names, grid.periodic, strict=True)
        )
    return f"{cells} cells on {box} ({walls})"


# -- commands --------------------------------------------------------------------------------------
def _cmd_backends(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .backends import backend_table

    header = ("backend", "available", "version", "device")
    rows = [header]
    rows += [(r["name"], r["available"], r["version"], r["device"]) for r in backend_table()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def _cmd_demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import matplotlib

    from .backends import available_backends

    matplotlib.use("Agg")  # headless; the parts draw on bare Figures, this guards anything else
    if args.backend != "auto" and args.backend not in available_backends():
        parser.error(
            f"argument --backend: backend {args.backend!r} is not available here "
            f"(available: {', '.join(available_backends())}; see 'eulerflow backends')"
        )
    out: Path = args.out
    if out.exists() and not out.is_dir():
        parser.error(f"argument --out: {str(out)!r} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)

    progress = sys.stdout.isatty()
    start = time.perf_counter()
    print(f"eulerflow {__version__} demo: n = {args.n}, backend = {args.backend}, out = {out}")
    for name, part in DEMO_PARTS.items():
        part_start = time.perf_counter()
        result = part(
            out, args.n, args.backend, animation=not args.animation_off, progress=progress
        )
        print()
        print(f"[{name}] {result['title']}")
        lines = [*result["report"]]
        lines += [("wrote", str(path)) for path in result["files"].values()]
        lines.append(("part time", f"{time.perf_counter() - part_start:.2f} s"))
        width = max(len(label) for label, _ in lines)
        for label, text in lines:
            print(f"  {label.ljust(width)}  {text}")
    print()
    print(f"demo done in {time.perf_counter() - start:.2f} s")
    return 0


# -- argument parsing ------------------------------------------------------------------------------
def _grid_size(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if n < MIN_DEMO_N:
        raise argparse.ArgumentTypeError(f"needs at least {MIN_DEMO_N} cells per axis, got {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``eulerflow`` command."""
    parser = argparse.ArgumentParser(
        prog="eulerflow",
        description="Grid-based (Eulerian) solvers for optimal transport and Wasserstein "
        "gradient flows.",
    )
    parser.add_argument("--version", action="version", version=f"eulerflow {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True)

    backends = commands.add_parser(
        "backends",
        help="list the compute backends and whether they can run here",
        description="List the compute backends: available, version, device.",
    )
    backends.set_defaults(handler=_cmd_backends, parser=backends)

    demo = commands.add_parser(
        "demo",
        help="run small problems, compare with exact solutions, write figures and files",
        description="Run one small problem per capability ("
        + ", ".join(DEMO_PARTS)
        + "), compare with exact solutions where known, print the errors and write figures, "
        "animations and netCDF solution files into a folder.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_DEMO_DIR,
        metavar="DIR",
        help=f"folder to write into, created if needed (default: ./{DEFAULT_DEMO_DIR}/)",
    )
    demo.add_argument(
        "--n",
        type=_grid_size,
        default=DEFAULT_DEMO_N,
        metavar="N",
        help=f"cells per axis, at least {MIN_DEMO_N} (default: {DEFAULT_DEMO_N})",
    )
    demo.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="compute backend (default: auto)",
    )
    demo.add_argument(
        "--no-animation",
        dest="animation_off",
        action="store_true",
        help="skip the animated GIFs (the slowest files to write)",
    )
    demo.set_defaults(handler=_cmd_demo, parser=demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``eulerflow`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 when a run fails. Bad arguments exit through argparse
        (``SystemExit(2)`` with a usage message).
    """
    from .backends import BackendUnavailableError
    from .exceptions import UnstableSolutionError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, args.parser)
    except (BackendUnavailableError, UnstableSolutionError, OSError) as err:
        print(f"eulerflow {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"eulerflow {args.command}: interrupted", file=sys.stderr)
        return 130
