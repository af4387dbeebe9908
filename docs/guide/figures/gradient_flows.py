"""Figure of docs/guide/gradient_flows.md: the porous-medium equation (m = 2) in 1D from a
Barenblatt profile, against the exact Barenblatt solution, and the discrete energy per step.

Run from the repository root: ``.venv/bin/python docs/guide/figures/gradient_flows.py``
(writes ``docs/guide/figures/gradient_flows.png``; a few seconds).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import eulerflow as ef
from eulerflow import energies, exact

grid = ef.Grid(80, (-2.0, 2.0))
rho0 = exact.barenblatt(grid, 0.0, m=2.0, t0=0.1)  # B(0.1, x), unit mass
E = energies.PorousMedium(2)  # E = int rho^2: d_t rho = Laplace rho^2
times = [0.0, 0.1, 0.3]
history = [(0.0, E.value(rho0, grid))]
sol = ef.solve_gradient_flow(
    rho0, grid, E, 0.3, t_eval=times, progress=False,
    callback=lambda t, rho: history.append((t, E.value(rho, grid))),
)  # fmt: skip
reference = [exact.barenblatt(grid, t, m=2.0, t0=0.1) for t in times]
errors = [float(grid.integrate(np.abs(r - e))) for r, e in zip(sol.rho, reference, strict=True)]
steps_t, steps_e = np.array(history).T
print("L1 error per snapshot", errors, "steps", sol.n_steps)
print("largest energy change in one step", np.diff(steps_e).max())
print("energy at the snapshots", sol.diagnostics["energy"], "mass", sol.mass)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
x = grid.centers[0]
fine = np.linspace(-2, 2, 801)
colours = plt.cm.viridis(np.linspace(0, 0.85, len(times)))
for k, t in enumerate(times):
    pdf = exact.barenblatt_pdf(t, 1, 2.0, t0=0.1)
    note = "" if t == 0 else f" (L1 error {errors[k]:.1e})"
    ax1.plot(fine, pdf(fine), color=colours[k], lw=1.4, label=f"Barenblatt, t = {t:g}")
    ax1.plot(x, sol.rho[k], "o", ms=3, color=colours[k], label=f"scheme, t = {t:g}{note}")
ax1.set_xlabel("x")
ax1.set_ylabel(r"$\rho(t, x)$")
ax1.set_title("(a) $\\partial_t\\rho = \\Delta\\rho^2$ from $B(0.1, \\cdot)$\n"
              "80 cells on [-2, 2], minmod, SSP-RK3, cfl = 0.4")  # fmt: skip
ax1.set_ylim(-0.02, 1.12)
ax1.legend(fontsize=7, loc="upper right", ncol=2)

ax2.plot(
    steps_t, steps_e, "-", color="C0", lw=1.4, label=f"$E_h(\\rho^n)$, every step ({sol.n_steps})"
)
exact_energy = [E.value(r, grid) for r in reference]
ax2.plot(times, exact_energy, "s", color="C3", ms=6, mfc="none",
         label="$E_h$ of the exact cell averages")  # fmt: skip
ax2.set_xlabel("t")
ax2.set_ylabel(r"energy $E_h = h\sum_i \rho_i^2$")
largest = np.diff(steps_e).max()
ax2.set_title(
    "(b) discrete energy along the run\n"
    f"largest one-step change $E_h(\\rho^{{n+1}}) - E_h(\\rho^n)$: {largest:.1e}"
)
ax2.legend(fontsize=8)

fig.savefig(Path(__file__).with_suffix(".png"), dpi=130)
