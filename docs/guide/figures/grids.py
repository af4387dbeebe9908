"""Figure of the grids page: cells, centres and faces of a small 2D grid, periodic along x.

Run from the repository root: ``python docs/guide/figures/grids.py`` (writes ``grids.png``).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import eulerflow as ef  # noqa: E402

grid = ef.Grid(shape=(4, 3), bounds=((0, 2), (0, 1.5)), periodic=(True, False))
x_faces, y_faces = grid.axis_faces(0), grid.axis_faces(1)
x_centres, y_centres = grid.axis_centers(0), grid.axis_centers(1)

fig, ax = plt.subplots(figsize=(7.5, 4.6))
for xf in x_faces:  # faces normal to x, j = 0 .. n_x
    ax.plot([xf, xf], [y_faces[0], y_faces[-1]], color="0.6", lw=1)
for yf in y_faces:
    ax.plot([x_faces[0], x_faces[-1]], [yf, yf], color="0.6", lw=1)
# the walls along y and the identified ends along x
ax.plot([x_faces[0], x_faces[-1]], [y_faces[0]] * 2, color="k", lw=3, label="wall (no flux)")
ax.plot([x_faces[0], x_faces[-1]], [y_faces[-1]] * 2, color="k", lw=3)
ax.plot([x_faces[0]] * 2, [y_faces[0], y_faces[-1]], "--", color="C3", lw=2.5)
ax.plot([x_faces[-1]] * 2, [y_faces[0], y_faces[-1]], "--", color="C3", lw=2.5,
        label="periodic ends: x-faces 0 and 4 are one face")  # fmt: skip
X, Y = np.meshgrid(x_centres, y_centres, indexing="ij")
ax.plot(X.ravel(), Y.ravel(), "o", color="C0", label="cell centres: rho[i, j]")
for i, xc in enumerate(x_centres):
    for j, yc in enumerate(y_centres):
        ax.annotate(f"({i},{j})", (xc, yc), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8, color="C0")  # fmt: skip
# x-face velocities (shape (5, 3)) and y-face velocities (shape (4, 4))
XF, YC = np.meshgrid(x_faces, y_centres, indexing="ij")
ax.plot(XF.ravel(), YC.ravel(), ">", color="C2", ms=7, label="x-faces: shape (n_x + 1, n_y)")
XC, YF = np.meshgrid(x_centres, y_faces, indexing="ij")
ax.plot(XC.ravel(), YF.ravel(), "^", color="C1", ms=7, label="y-faces: shape (n_x, n_y + 1)")
ax.set_xlabel("x (axis 0, periodic)")
ax.set_ylabel("y (axis 1, walled)")
ax.set_title("Grid(shape=(4, 3), bounds=((0, 2), (0, 1.5)),\nperiodic=(True, False))", fontsize=10)
ax.set_aspect("equal")
ax.set_xlim(-0.15, 2.15)
ax.set_ylim(-0.15, 1.65)
ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
fig.savefig(Path(__file__).with_suffix(".png"), dpi=130, bbox_inches="tight")
