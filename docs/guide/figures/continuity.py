"""Figure of docs/guide/continuity.md: a Gaussian carried by v = A x, against the push-forward.

Run from the repository root: ``.venv/bin/python docs/guide/figures/continuity.py``; writes
``docs/guide/figures/continuity.png``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import eulerflow as ef
from eulerflow import exact

# -- the example of the page ----------------------------------------------------------------------
A = np.array([[-0.4, -1.0], [0.8, -0.2]])  # v = A x: rotation with compression, tr A < 0
mean, cov = np.array([1.0, -0.5]), np.array([[0.3, 0.1], [0.1, 0.2]])

grid = ef.Grid((64, 64), ((-4, 4), (-4, 4)))  # walls on both axes
rho0 = exact.gaussian_density(grid, mean, cov)  # cell averages of N(mean, cov)


def velocity(t, x, y):
    return (A[0, 0] * x + A[0, 1] * y, A[1, 0] * x + A[1, 1] * y)


sol = ef.solve_continuity(
    rho0,
    grid,
    velocity,
    t_final=1.0,
    steady=True,
    limiter="vanleer",
    stepper="ssprk3",
    progress=False,
)
reference = exact.linear_flow_gaussian(grid, mean, cov, A, np.zeros(2), 1.0)

l1 = np.sum(np.abs(sol.rho[-1] - reference)) * grid.cell_volume
print(f"steps {sol.n_steps}, cfl {sol.parameters['cfl']}")
print(f"L1 error {l1:.2e}, mass drift {abs(sol.mass[-1] - sol.mass[0]):.1e}")

# -- the figure -----------------------------------------------------------------------------------
(lo_x, hi_x), (lo_y, hi_y) = grid.bounds
extent = (lo_x, hi_x, lo_y, hi_y)
vmax = max(rho0.max(), sol.rho[-1].max(), reference.max())
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), constrained_layout=True)
panels = [
    (rho0, r"initial $\rho_0 = N(m, \Sigma)$"),
    (sol.rho[-1], r"solve_continuity, $t = 1$"),
    (reference, r"exact push-forward, $t = 1$"),
]
for ax, (field, title) in zip(axes[:3], panels, strict=True):
    im = ax.imshow(field.T, origin="lower", extent=extent, cmap="viridis", vmin=0, vmax=vmax)
    ax.set_title(title)
fig.colorbar(im, ax=axes[:3], label=r"density $\rho$ (cell averages)", shrink=0.9)
err = sol.rho[-1] - reference
bound = np.abs(err).max()
im = axes[3].imshow(err.T, origin="lower", extent=extent, cmap="RdBu_r", vmin=-bound, vmax=bound)
axes[3].set_title(f"error, L1 = {l1:.1e}")
fig.colorbar(im, ax=axes[3], label=r"$\rho_h - \rho_{\mathrm{exact}}$", shrink=0.9)
# the path of the mean, from the exact flow map
path = np.array(
    [exact.gaussian_push_forward(mean, cov, A, np.zeros(2), s)[0] for s in np.linspace(0, 1, 41)]
)
for ax in axes:
    ax.plot(path[:, 0], path[:, 1], "w--", lw=1)
    ax.set_xlim(-2, 3)
    ax.set_ylim(-2.5, 2.5)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
fig.suptitle(
    r"$\partial_t\rho + \nabla\cdot(\rho A x) = 0$ on a walled $64^2$ grid of "
    r"$[-4, 4]^2$: MUSCL (van Leer) + SSP-RK3, cfl 0.4"
)
fig.savefig(Path(__file__).with_suffix(".png"), dpi=110)
