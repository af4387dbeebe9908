"""Figure of docs/guide/wasserstein2.md: the back-and-forth method on a disk split into two disks
(displacement interpolation, shared colour scale) and its convergence on three pairs.

Run from the repository root: ``.venv/bin/python docs/guide/figures/wasserstein2.py``; writes
``docs/guide/figures/wasserstein2.png``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import eulerflow as ef
from eulerflow import exact

# -- the example of the page: one disk to two disks (default settings) ---------------------------
grid = ef.Grid((256, 256), ((0, 1), (0, 1)))
x, y = grid.centers


def disk(cx, cy, r):
    return (((x - cx) ** 2 + (y - cy) ** 2) < r**2) * 1.0


rho0 = grid.normalize(disk(0.5, 0.5, 0.25))
rho1 = grid.normalize(disk(0.25, 0.3, 0.15) + disk(0.7, 0.7, 0.2))
res = ef.wasserstein2(rho0, rho1, grid, progress=False)
print(res, f"{res.wall_time:.2f} s")
times = (0.0, 1 / 3, 2 / 3, 1.0)
snapshots = [res.interpolate(t) for t in times]
print("masses:", [f"{float(grid.integrate(s)):.15f}" for s in snapshots])

# -- convergence on three pairs (default settings, 256^2) -----------------------------------------
m0, m1 = np.array([-0.2, 0.1]), np.array([0.25, -0.1])
c0, c1 = np.array([[0.02, 0.005], [0.005, 0.012]]), np.array([[0.01, -0.004], [-0.004, 0.025]])
gauss_grid = ef.Grid((256, 256), ((-1, 1), (-1, 1)))
pairs = {
    "disk to two disks": (rho0, rho1, grid, None),
    "Gaussians (Bures)": (
        gauss_grid.normalize(exact.gaussian_density(gauss_grid, m0, c0)),
        gauss_grid.normalize(exact.gaussian_density(gauss_grid, m1, c1)),
        gauss_grid,
        exact.gaussian_w2_squared(m0, c0, m1, c1),
    ),
}
dilation = exact.disk_dilation_pair(gauss_grid, 0.3, 0.7)
pairs["disk dilation"] = (dilation.rho0, dilation.rho1, gauss_grid, dilation.w2_squared)
histories = {}
for name, (a, b, g, want) in pairs.items():
    run = ef.wasserstein2(a, b, g, progress=False)
    reference = ef.wasserstein2(a, b, g, tol=1e-10, max_iter=150, progress=False)
    histories[name] = np.abs(run.history["best"] / reference.w2_squared - 1)
    exact_note = "" if want is None else f", closed form {want:.6f}"
    print(
        f"{name}: W2^2 {run.w2_squared:.6f} in {run.n_iter} iterations "
        f"(reference {reference.w2_squared:.6f}{exact_note})"
    )

# -- the figure -----------------------------------------------------------------------------------
fig = plt.figure(figsize=(15, 3.8), constrained_layout=True)
panels = fig.subplots(1, len(times) + 1, gridspec_kw={"width_ratios": [1] * len(times) + [1.3]})
top = max(float(s.max()) for s in snapshots)
extent = [0, 1, 0, 1]
for ax, t, rho_t in zip(panels[: len(times)], times, snapshots, strict=True):
    image = ax.imshow(rho_t.T, origin="lower", extent=extent, vmin=0, vmax=top, cmap="viridis")
    ax.set_title(rf"$\rho(t)$, $t = {t:.2g}$")
    ax.set_xlabel("$x$")
ax = panels[0]
ax.set_ylabel("$y$")
fig.colorbar(image, ax=panels[: len(times)], shrink=0.85, label="density (shared scale)")

ax = panels[-1]
for name, errors in histories.items():
    ax.semilogy(
        np.arange(1, errors.size + 1), np.maximum(errors, 1e-12), marker="o", ms=3, label=name
    )
ax.axhline(1e-4, color="0.5", lw=0.8, ls="--")
ax.set_xlabel("iteration")
ax.set_ylabel(r"$|W_2^2 / W_{2,\mathrm{ref}}^2 - 1|$ (best so far)")
ax.set_title("convergence, defaults, $256^2$")
ax.legend(fontsize=8)
out = Path(__file__).with_suffix(".png")
fig.savefig(out, dpi=110)
print("wrote", out)
