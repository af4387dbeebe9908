"""Demo part: Fokker-Planck equations, SDE particles and a nonlinear gradient flow."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .figures import describe_grid, show
from .outputs import backend_row, write_files

DEFAULT_N = 128


def fokker_planck_demo(
    out: Path,
    n: int = DEFAULT_N,
    backend: str = "auto",
    *,
    animation: bool = True,
    progress: bool = False,
) -> dict[str, Any]:
    """Fokker-Planck: an Ornstein-Uhlenbeck flow three ways, and the porous medium equation.

    1. The law of ``dX = -A (X - b) dt + sqrt(2 eps) dW`` with the non-symmetric
       ``A = [[1, -1.5], [1.5, 1]]`` (a contraction with a swirl), ``b = (0.5, 0)``,
       ``eps = 0.25``, from ``N((1.5, 1), 0.1 I)`` up to ``t = 1`` on the walled box ``[-3, 3]^2``
       with ``n x n`` cells: solved by :func:`eulerflow.solve_fokker_planck`
       (``d_t rho + div(b rho) = eps Laplace rho`` with the drift ``-A (x - b)``,
       Scharfetter-Gummel fluxes, BDF2) and by 20 000 Euler-Maruyama particles
       (:func:`eulerflow.particles.euler_maruyama`, cloud-in-cell deposit), both against the exact
       Gaussian :func:`eulerflow.exact.ornstein_uhlenbeck`.
    2. The porous medium equation ``d_t rho = Laplace rho^2`` as the Wasserstein gradient flow
       ``d_t rho = div(rho grad dE/drho)`` of ``E = int rho^2`` (Otto 2001), solved by
       :func:`eulerflow.solve_gradient_flow` on ``[-1.5, 1.5]^2`` with ``n/2 x n/2`` cells from the
       Barenblatt profile at ``t0 = 0.01`` to ``t0 + 0.1``, against the exact Barenblatt
       solution; the discrete energy is recorded and must not increase.

    Parameters
    ----------
    out : pathlib.Path
        Existing folder to write into.
    n : int, default 128
        Cells per axis of the Ornstein-Uhlenbeck problem (half of it for the porous medium).
    backend : str, default "auto"
        Backend name passed to the solvers.
    animation : bool, default True
        Write the animated GIF of the Fokker-Planck snapshots.
    progress : bool, default False
        Show the solvers' progress bars.

    Returns
    -------
    dict
        ``title``, ``report``, ``numbers`` (``l1_fokker_planck``, ``l1_particles``,
        ``l1_sampling``, ``mass_error``, ``l1_barenblatt``, ``energy_increase``, ``wall_time``)
        and ``files`` (``figure``, ``animation`` unless ``animation=False``, ``solution``).
    """
    from .. import exact, particles
    from ..energies import PorousMedium
    from ..equations.fokker_planck import solve_fokker_planck
    from ..equations.gradient_flow import solve_gradient_flow
    from ..grid import Grid

    # -- 1. Ornstein-Uhlenbeck: grid solver, particles, exact law
    A = np.array([[1.0, -1.5], [1.5, 1.0]])
    b = np.array([0.5, 0.0])
    eps, mean0, cov0 = 0.25, np.array([1.5, 1.0]), 0.1 * np.eye(2)
    t_final, n_particles, seed = 1.0, 20_000, 20261122
    grid = Grid(shape=(n, n), bounds=((-3.0, 3.0), (-3.0, 3.0)), periodic=False)
    rho0 = exact.gaussian_density(grid, mean0, cov0)

    def drift(t: float, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, dy = x - b[0], y - b[1]
        return -(A[0, 0] * dx + A[0, 1] * dy), -(A[1, 0] * dx + A[1, 1] * dy)

    sol = solve_fokker_planck(
        rho0,
        grid,
        t_final=t_final,
        drift=drift,
        diffusion=eps,
        steady=True,
        t_eval=np.linspace(0.0, t_final, 21),
        stepper="bdf2",
        dt=t_final / 200,
        backend=backend,
        progress=progress,
    )
    rho_exact = exact.ornstein_uhlenbeck(grid, t_final, A, b, eps, mean0, cov0)
    rho_final = np.asarray(sol.rho[-1])
    l1_fp = float(grid.integrate(np.abs(rho_final - rho_exact)))
    mass = np.asarray(sol.mass)
    mass_error = float(np.max(np.abs(mass - mass[0])) / mass[0])

    rng = np.random.default_rng(seed)
    x0 = rng.multivariate_normal(mean0, cov0, size=n_particles)
    cloud = particles.euler_maruyama(
        x0,
        drift=drift,
        diffusion=eps,
        t_final=t_final,
        dt=t_final / 200,
        rng=rng,
        grid=grid,
        progress=progress,
    )
    coarse = Grid(shape=(32, 32), bounds=grid.bounds, periodic=False)
    histogram = np.asarray(particles.deposit(cloud.positions[-1], coarse, method="ngp"))
    law_coarse = exact.ornstein_uhlenbeck(coarse, t_final, A, b, eps, mean0, cov0)
    l1_particles = float(coarse.integrate(np.abs(histogram - law_coarse)))
    # expected L1 distance of a multinomial histogram: sum_i sqrt(2 p_i (1 - p_i) / (pi n))
    p = np.clip(law_coarse * coarse.cell_volume, 0.0, 1.0)
    l1_sampling = float(np.sum(np.sqrt(2.0 * p * (1.0 - p) / (math.pi * n_particles))))

    # -- 2. porous medium m = 2 as a Wasserstein gradient flow, against Barenblatt
    n_pme, t0, t_pme = max(n // 2, 8), 0.01, 0.1
    pme_grid = Grid(shape=(n_pme, n_pme), bounds=((-1.5, 1.5), (-1.5, 1.5)), periodic=False)
    energy = PorousMedium(m=2)
    pme_rho0 = exact.barenblatt(pme_grid, 0.0, m=2, t0=t0)
    energies = [(0.0, energy.value(pme_rho0, pme_grid))]  # (t, E(rho(t))) after every step
    pme = solve_gradient_flow(
        pme_rho0,
        pme_grid,
        energy,
        t_pme,
        backend=backend,
        progress=progress,
        callback=lambda t, rho: energies.append((t, energy.value(rho, pme_grid))),
    )
    barenblatt = exact.barenblatt(pme_grid, t_pme, m=2, t0=t0)
    l1_pme = float(pme_grid.integrate(np.abs(np.asarray(pme.rho[-1]) - barenblatt)))
    # < 0: the energy fell at every step
    energy_increase = float(np.max(np.diff([e for _, e in energies])))

    files = write_files(
        sol,
        out,
        "fokker_planck",
        lambda path: _figure(
            sol, rho_exact, coarse, histogram, pme, barenblatt, energies, path, l1_fp
        ),
        animation,
        fps=8,
    )

    report = [
        ("grid", describe_grid(grid)),
        backend_row(sol),
        (
            "steps",
            f"{sol.n_steps} BDF2 steps of the Scharfetter-Gummel scheme "
            f"(operator factorised once), {sol.wall_time:.2f} s",
        ),
        ("mass error", f"{mass_error:.2e}   max relative change of the mass"),
        ("L1 error", f"{l1_fp:.4e}   grid solution vs the exact Gaussian law at t = 1"),
        (
            "particles",
            f"L1 {l1_particles:.4f} of {n_particles} Euler-Maruyama particles on 32 x 32 bins "
            f"(expected sampling error {l1_sampling:.4f})",
        ),
        (
            "porous medium",
            f"L1 {l1_pme:.4e} vs Barenblatt on {n_pme} x {n_pme} cells, "
            f"{pme.n_steps} steps; largest energy change in a step {energy_increase:+.2e}",
        ),
    ]
    return {
        "title": (
            "Fokker-Planck: OU law by the grid solver, by SDE particles and exactly; "
            "porous medium equation as a gradient flow vs Barenblatt"
        ),
        "report": report,
        "numbers": {
            "l1_fokker_planck": l1_fp,
            "l1_particles": l1_particles,
            "l1_sampling": l1_sampling,
            "mass_error": mass_error,
            "l1_barenblatt": l1_pme,
            "energy_increase": energy_increase,
            "wall_time": float(sol.wall_time + pme.wall_time),
        },
        "files": files,
    }


def _figure(
    sol, rho_exact, coarse, histogram, pme, barenblatt, energies, path: Path, l1_error: float
) -> Path:
    """Grid solution, exact law, particle histogram; Barenblatt profile and energy (PNG)."""
    from matplotlib.figure import Figure

    grid = sol.grid
    rho_final = np.asarray(sol.rho[-1])
    top = max(float(rho_final.max()), float(rho_exact.max()))
    fig = Figure(figsize=(15, 8.6), layout="constrained")
    axes = fig.subplots(2, 3)
    kw = {"cmap": "viridis", "vmin": 0.0, "vmax": top}
    show(axes[0, 0], rho_final, grid, f"Fokker-Planck, t = 1 (L1 {l1_error:.2g})", "rho", **kw)
    show(axes[0, 1], rho_exact, grid, "exact OU law, t = 1", "rho", **kw)
    show(axes[0, 2], histogram, coarse, "Euler-Maruyama particles, t = 1", "rho", **kw)

    pme_grid = pme.grid
    x = pme_grid.centers[0].ravel()
    middle = pme_grid.shape[1] // 2
    ax = axes[1, 0]
    ax.plot(x, np.asarray(pme.rho[0])[:, middle], color="0.6", label="t = 0")
    ax.plot(x, np.asarray(pme.rho[-1])[:, middle], "o", ms=3, label="gradient flow")
    ax.plot(x, barenblatt[:, middle], "-", label="Barenblatt")
    ax.set_xlabel("x")
    ax.set_ylabel("rho(x, 0)")
    ax.set_title("porous medium m = 2, y = 0")
    ax.legend()
    diff = np.asarray(pme.rho[-1]) - barenblatt
    span = float(np.abs(diff).max()) or 1.0
    show(
        axes[1, 1],
        diff,
        pme_grid,
        "gradient flow - Barenblatt",
        "difference",
        cmap="RdBu_r",
        vmin=-span,
        vmax=span,
    )
    ax = axes[1, 2]
    times, values = zip(*energies, strict=True)
    ax.plot(times, values, ".-", ms=3)
    ax.set_xlabel("t (one dot per time step)")
    ax.set_ylabel("E(rho) = int rho^2")
    ax.set_title("discrete energy")
    fig.suptitle(
        "Fokker-Planck equation (OU, non-symmetric drift) and the porous medium equation "
        "as a Wasserstein gradient flow"
    )
    fig.savefig(path, dpi=100)
    return path
