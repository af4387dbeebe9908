"""Figure of docs/guide/fokker_planck.md: Ornstein-Uhlenbeck against its exact law, and the
relaxation in a double well towards the discrete Gibbs state.

Run from the repository root: ``.venv/bin/python docs/guide/figures/fokker_planck.py``
(writes ``docs/guide/figures/fokker_planck.png``; a few seconds).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import eulerflow as ef
from eulerflow.exact import gibbs_state, ornstein_uhlenbeck

# (a) Ornstein-Uhlenbeck: d_t rho = div(rho grad V) + eps Laplace rho, V = A (x - c)^2 / 2
A, c, eps = 1.3, 0.4, 0.5
grid = ef.Grid(128, (-5, 5))
rho0 = ornstein_uhlenbeck(grid, 0.0, A, c, eps, mean0=-1.0, cov0=0.15)
times = [0.0, 0.2, 0.8]
sol = ef.solve_fokker_planck(
    rho0, grid, lambda x: 0.5 * A * (x - c) ** 2, 0.8,
    diffusion=eps, t_eval=times, stepper="bdf2", dt=1e-3, progress=False,
)  # fmt: skip
exact = [ornstein_uhlenbeck(grid, t, A, c, eps, mean0=-1.0, cov0=0.15) for t in times]
errors = [float(grid.integrate(np.abs(r - e))) for r, e in zip(sol.rho, exact, strict=True)]
print("OU: L1 error per snapshot", errors, "mass", sol.mass)

# (b) double well V = (x^2 - 1)^2, eps = 0.5, from N(0.3, 0.05): towards exp(-V / eps)
grid2 = ef.Grid(128, (-2.5, 2.5))
eps2 = 0.5


def V(x):
    return (x**2 - 1) ** 2


times2 = [0.0, 0.25, 1.0, 4.0, 16.0]
rho0_2 = ef.exact.gaussian_density(grid2, mean=0.3, cov=0.05)
sol2 = ef.solve_fokker_planck(
    rho0_2, grid2, V, 16.0, diffusion=eps2, t_eval=times2, dt=0.01, progress=False
)
gibbs = gibbs_state(grid2, V, eps2)
distance = [float(grid2.integrate(np.abs(r - gibbs))) for r in sol2.rho]
print("double well: L1 distance to the Gibbs state", distance)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
x = grid.centers[0]
colours = plt.cm.viridis(np.linspace(0, 0.85, len(times)))
for k, t in enumerate(times):
    ax1.plot(x, exact[k], color=colours[k], lw=1.5, label=f"exact, t = {t:g}")
    note = "" if t == 0 else f" (L1 error {errors[k]:.1e})"
    ax1.plot(x[::3], sol.rho[k][::3], "o", ms=3, color=colours[k],
             label=f"BDF2, t = {t:g}{note}")  # fmt: skip
ax1.set_xlim(-3.5, 3)
ax1.set_xlabel("x")
ax1.set_ylabel(r"$\rho(t, x)$")
ax1.set_title("(a) Ornstein-Uhlenbeck against its exact law\n128 cells, BDF2, dt = 1e-3")
ax1.legend(fontsize=7)

x2 = grid2.centers[0]
colours2 = plt.cm.plasma(np.linspace(0, 0.85, len(times2)))
for k, t in enumerate(times2):
    ax2.plot(x2, sol2.rho[k], color=colours2[k], lw=1.3,
             label=f"t = {t:g} (L1 to Gibbs {distance[k]:.1e})")  # fmt: skip
ax2.plot(x2, gibbs, "k--", lw=1.2, label=r"Gibbs $e^{-V/\varepsilon}/Z$")
ax2.set_xlabel("x")
ax2.set_ylabel(r"$\rho(t, x)$")
ax2.set_title("(b) double well $V = (x^2-1)^2$, $\\varepsilon = 0.5$\n128 cells, BDF2, dt = 0.01")
ax2.legend(fontsize=7)

fig.savefig(Path(__file__).with_suffix(".png"), dpi=130)
