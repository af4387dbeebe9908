"""Figure of docs/guide/hamilton_jacobi.md: kinks from smooth data, against the Hopf-Lax formula.

Run from the repository root: ``.venv/bin/python docs/guide/figures/hamilton_jacobi.py``; writes
``docs/guide/figures/hamilton_jacobi.png``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import eulerflow as ef
from eulerflow import exact

# -- the example of the page ----------------------------------------------------------------------


def phi0(x):
    return 0.1 * np.sin(2 * np.pi * x)  # characteristics cross at t* = 1 / (0.1 (2 pi)^2) ~ 0.25


grid = ef.Grid(64, (0, 1), periodic=True)
(x,) = grid.centers
times = [0.0, 0.1, 0.25, 0.5]
sol = ef.solve_hamilton_jacobi(
    phi0(x),
    grid,
    t_final=0.5,
    t_eval=times,
    scheme="weno5",
    flux="godunov",
    stepper="tvdrk3",
    progress=False,
)

# Hopf-Lax reference on a grid 81 times finer: every 81st fine centre is a centre of `grid`
fine = ef.Grid(81 * 64, (0, 1), periodic=True)


def hopf_lax(t):
    return exact.hopf_lax(phi0(fine.centers[0]), fine, t)[40::81]


for t, phi in zip(sol.t[1:], sol.phi[1:], strict=True):
    print(f"t = {t:.2f}: max |phi - Hopf-Lax| = {np.max(np.abs(phi - hopf_lax(t))):.1e}")

# -- the figure -----------------------------------------------------------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True)
colours = plt.cm.viridis(np.linspace(0, 0.85, len(times)))
xf = fine.centers[0]
for t, phi, colour in zip(sol.t, sol.phi, colours, strict=True):
    exact_fine = phi0(xf) if t == 0 else exact.hopf_lax(phi0(xf), fine, t)
    left.plot(xf, exact_fine, "-", color=colour, lw=1.2)
    left.plot(x, phi, "o", color=colour, ms=3.5, label=f"$t = {t:g}$")
left.plot([], [], "k-", lw=1.2, label="Hopf-Lax (lines)")
left.set_xlabel("$x$")
left.set_ylabel(r"$\varphi(t, x)$")
left.set_title("WENO5 + Godunov + TVD-RK3 (dots) and Hopf-Lax (lines)")
left.legend(fontsize=8, loc="lower left")

t_end = 0.5
reference = hopf_lax(t_end)
for scheme, marker in [("first", "s"), ("eno2", "^"), ("weno5", "o")]:
    run = ef.solve_hamilton_jacobi(phi0(x), grid, t_final=t_end, scheme=scheme, progress=False)
    err = np.abs(run.phi[-1] - reference)
    right.semilogy(
        x,
        err,
        marker + "-",
        ms=3,
        lw=0.8,
        label=f"{scheme}: mean {err.mean():.1e}, max {err.max():.1e}",
    )
right.set_xlabel("$x$")
right.set_ylabel(r"$|\varphi_h - \varphi_{\mathrm{Hopf-Lax}}|$ at $t = 0.5$")
right.set_title("error after the kinks have formed ($t^* \\approx 0.25$)")
right.set_ylim(1e-12, 1e-2)
right.legend(fontsize=8, loc="lower center")
fig.suptitle(
    r"$\partial_t\varphi + |\partial_x\varphi|^2/2 = 0$, "
    r"$\varphi_0 = 0.1\,\sin(2\pi x)$, periodic $[0, 1]$, 64 cells, cfl 0.5"
)
fig.savefig(Path(__file__).with_suffix(".png"), dpi=110)
