"""Figure helpers shared by the demo parts (bare matplotlib Figures, never pyplot)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..grid import Grid


def show(ax: Axes, data: np.ndarray, grid: Grid, title: str, label: str, **kwargs: Any) -> None:
    """Image of a 2D cell field, x horizontal and y vertical, with a colorbar and a title."""
    (x_lo, x_hi), (y_lo, y_hi) = grid.bounds
    image = ax.imshow(data.T, origin="lower", extent=(x_lo, x_hi, y_lo, y_hi), **kwargs)
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel(grid.axis_names[0])
    ax.set_ylabel(grid.axis_names[1])
    ax.set_title(title)


def describe_grid(grid: Grid) -> str:
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
