"""Figure of docs/guide/optimal_transport.md: the Benamou-Brenier geodesic between two Gaussians.

Run from the repository root: ``.venv/bin/python docs/guide/figures/optimal_transport.py``;
writes ``docs/guide/figures/optimal_transport.png``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import eulerflow as ef
from eulerflow import exact

# -- the example of the page ----------------------------------------------------------------------
grid = ef.Grid((32, 32), ((-1, 1), (-1, 1)))  # walls on both axes
m0, S0 = np.array([-0.2, 0.1]), np.array([[0.02, 0.005], [0.005, 0.012]])
m1, S1 = np.array([0.25, -0.1]), np.array([[0.01, -0.004], [-0.004, 0.025]])
rho0 = exact.gaussian_density(grid, m0, S0)  # cell averages of N(m0, S0)
rho1 = exact.gaussian_density(grid, m1, S1)

res = ef.benamou_brenier(rho0, rho1, grid, n_time=8, normalize=True, progress=False)
bures = exact.gaussian_w2_squared(m0, S0, m1, S1)

print(res)
print(
    f"W2^2 = {res.w2_squared:.6f}, Bures {bures:.6f}, "
    f"relative error {res.w2_squared / bures - 1:.1e}"
)
print(f"continuity residual {res.continuity_residual():.1e}")

# -- the figure -----------------------------------------------------------------------------------
(lo_x, hi_x), (lo_y, hi_y) = grid.bounds
extent = (lo_x, hi_x, lo_y, hi_y)
x, y = (np.ravel(c) for c in grid.centers)
indices = (0, res.n_time // 2, res.n_time)
vmax = max(float(res.rho[k].max()) for k in indices)
levels = vmax * np.array([0.1, 0.3, 0.5, 0.7])  # the same contour levels in every panel
fig, axes = plt.subplots(1, 4, figsize=(16, 3.9), constrained_layout=True)
for ax, k in zip(axes[:3], indices, strict=True):
    t = res.t[k]
    image = ax.imshow(
        res.rho[k].T, origin="lower", extent=extent, vmin=0, vmax=vmax, cmap="viridis"
    )
    mccann = grid.normalize(exact.gaussian_geodesic_density(grid, m0, S0, m1, S1, t))
    ax.contour(x, y, mccann.T, levels=levels, colors="white", linewidths=0.8)
    ax.set_title(rf"$\rho$ at $t = {t:g}$; white: exact McCann")
    ax.set_xlim(-0.75, 0.75)
    ax.set_ylim(-0.75, 0.75)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
fig.colorbar(image, ax=axes[:3], label=r"density $\rho$ (shared scale)", shrink=0.9)

ax = axes[3]
iterations = np.arange(1, res.n_iter + 1)
history = res.history
ax.semilogy(
    iterations, np.abs(history["w2_squared"] / bures - 1), label=r"$|W_2^2 / W_{\rm Bures}^2 - 1|$"
)
for name in ("primal", "dual"):
    series = history[name]
    keep = np.isfinite(series)
    ax.semilogy(iterations[keep], series[keep], ".", markersize=3, label=f"{name} residual")
ax.semilogy(iterations, history["change"], lw=0.8, label="change")
ax.axhline(res.parameters["tol"], color="k", ls=":", lw=0.8, label="tol")
ax.set_xlabel("iteration")
ax.set_ylabel("relative error / residual")
ax.set_title(f"Douglas-Rachford: {res.n_iter} iterations")
ax.legend(fontsize=7)

out = Path(__file__).with_suffix(".png")
fig.savefig(out, dpi=110)
print(f"wrote {out}")
