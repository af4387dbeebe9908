"""Figure of docs/guide/jko.md: JKO steps of the 1D Ornstein-Uhlenbeck flow, both methods,
against the exact Gaussian JKO iterates.

Run from the repository root: ``.venv/bin/python docs/guide/figures/jko.py``; writes
``docs/guide/figures/jko.png``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import eulerflow as ef
from eulerflow import exact
from eulerflow.energies import Entropy, Potential

# -- the example of the page ----------------------------------------------------------------------
grid = ef.Grid(128, (-4, 4))  # walls
energy = Entropy() + Potential(lambda x: 0.5 * x**2)  # E = int rho log rho + int rho x^2 / 2
tau, n_steps = 0.1, 5
rho0 = exact.gaussian_density(grid, [0.5], [[0.36]])  # N(0.5, 0.6^2)
iterates = exact.ou_jko_densities(grid, [0.5], [[0.36]], tau, n_steps, A=1.0, b=[0.0])

runs = {}
for method in ("back-and-forth", "dynamic"):
    sol = ef.jko(rho0, grid, energy, tau, n_steps, method=method, progress=False)
    errors = [
        float(grid.integrate(np.abs(sol.rho[k] - iterates[k]))) for k in range(1, n_steps + 1)
    ]
    runs[method] = (sol, errors)
    print(sol)
    print(f"  L1 error against the exact iterates: {', '.join(f'{e:.1e}' for e in errors)}")
    print(f"  inner iterations: {sol.steps['n_iter'].tolist()}")
    for name in ("residual", "transport_residual"):
        print(f"  {name}: {', '.join(f'{v:.1e}' for v in sol.steps[name])}")

# -- the figure -----------------------------------------------------------------------------------
x = grid.axis_centers(0)
styles = {"back-and-forth": ("C0", "o"), "dynamic": ("C3", "s")}
fig, axes = plt.subplots(1, 3, figsize=(15, 3.9), constrained_layout=True)

ax = axes[0]
ax.plot(x, rho0, color="0.6", lw=1.5, label=r"$\rho_0$")
ax.plot(x, iterates[-1], color="k", lw=1.5, label=rf"exact iterate $k = {n_steps}$")
for method, (sol, _) in runs.items():
    color, marker = styles[method]
    ax.plot(x[::3], sol.rho[-1][::3], marker, color=color, ms=3.5, mfc="none", label=method)
ax.set_xlim(-2.5, 3)
ax.set_xlabel("$x$")
ax.set_ylabel(r"density $\rho$")
ax.set_title(rf"$\rho_k$ at $t = k\tau = {n_steps * tau:g}$")
ax.legend(fontsize=8)

steps = np.arange(1, n_steps + 1)
ax = axes[1]
for method, (_, errors) in runs.items():
    color, marker = styles[method]
    ax.semilogy(steps, errors, marker + "-", color=color, label=method)
ax.set_xlabel("JKO step $k$")
ax.set_ylabel(r"$\|\rho_k - \rho_k^{\rm exact}\|_{L^1}$")
ax.set_title("error against the exact Gaussian JKO iterates")
ax.set_xticks(steps)
ax.legend(fontsize=8)

ax = axes[2]
for method, (sol, _) in runs.items():
    color, marker = styles[method]
    ax.semilogy(steps, sol.steps["n_iter"], marker + "-", color=color, label=method)
ax.set_xlabel("JKO step $k$")
ax.set_ylabel("inner iterations (JKOSolution.steps['n_iter'])")
ax.set_title("inner iterations per step (default tol)")
ax.set_xticks(steps)
ax.legend(fontsize=8)

out = Path(__file__).with_suffix(".png")
fig.savefig(out, dpi=110)
print(f"wrote {out}")
