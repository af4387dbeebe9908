"""Input checks and conversions shared by the metrics (errors name the argument)."""

from __future__ import annotations

import numbers

import numpy as np

from ..arrays import to_numpy
from ..checks import check_grid
from ..grid import Grid
from ..particles.mesh import outside_mask


def as_samples(samples, grid: Grid, name: str = "samples") -> np.ndarray:
    """``samples`` as a finite float64 NumPy array of shape ``(n, grid.ndim)``, ``n >= 1``.

    Coordinates on periodic axes are wrapped into ``[lo, hi)``. A 1D array is accepted on a
    1D grid.

    Raises
    ------
    ValueError
        Wrong shape (the dimension of the grid is not that of the samples), no samples, or NaN /
        infinite coordinates; the message names ``name``.

    Examples
    --------
    >>> grid = Grid(4, (0, 1), periodic=True)
    >>> as_samples([0.25, 1.5], grid).ravel().tolist()
    [0.25, 0.5]
    """
    check_grid(grid)
    x = np.asarray(to_numpy(samples))
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real numeric array, got dtype {x.dtype}")
    x = np.array(x, dtype=np.float64)
    if x.ndim == 1 and grid.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != grid.ndim:
        raise ValueError(
            f"{name} must have shape (n, {grid.ndim}) for a {grid.ndim}D grid, got {x.shape}"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty; at least one sample is needed")
    if not np.all(np.isfinite(x)):
        bad = int(np.count_nonzero(~np.all(np.isfinite(x), axis=1)))
        raise ValueError(f"{name} has {bad} samples with NaN or infinite coordinates")
    for a, ((lo, hi), periodic) in enumerate(zip(grid.bounds, grid.periodic, strict=True)):
        if periodic:
            x[:, a] = lo + np.mod(x[:, a] - lo, hi - lo)
    return x


def count_outside(x: np.ndarray, grid: Grid) -> int:
    """Number of samples outside the closed box on the walled axes."""
    return int(np.count_nonzero(outside_mask(x, grid)))


def clip_to_box(x: np.ndarray, grid: Grid) -> np.ndarray:
    """``x`` with every coordinate moved to the nearest point of ``[lo, hi]`` (a copy)."""
    lo, hi = (np.array(b) for b in zip(*grid.bounds, strict=True))
    return np.clip(x, lo, hi)


def as_reference(rho, grid: Grid, name: str = "rho") -> np.ndarray:
    """Cell probabilities ``p_c = rho_c / sum_k rho_k`` of a non-negative density on ``grid``.

    Raises
    ------
    ValueError
        Wrong shape, non-finite or negative values, or zero total mass (naming ``name``).

    Examples
    --------
    >>> as_reference([1.0, 3.0], Grid(2, (0, 1))).tolist()
    [0.25, 0.75]
    """
    check_grid(grid)
    values = np.array(to_numpy(rho) if hasattr(rho, "shape") else np.asarray(rho), dtype=float)
    grid.check_field(values, name)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} has non-finite values (NaN or inf)")
    if values.min() < 0:
        raise ValueError(f"{name} has negative values (min {values.min():.3g}); a density is >= 0")
    total = values.sum()
    if not total > 0:
        raise ValueError(f"{name} has zero total mass; it is not a density")
    return values / total


def coarse_grid(grid: Grid, coarsen) -> tuple[Grid, tuple[int, ...]]:
    """The grid of blocks of ``coarsen`` cells per axis (an int for all axes, or one per axis),
    and the factors. Every factor must divide the number of cells of its axis."""
    if isinstance(coarsen, numbers.Integral) and not isinstance(coarsen, bool):
        factors = (int(coarsen),) * grid.ndim
    else:
        factors = tuple(coarsen)
        if len(factors) != grid.ndim or not all(
            isinstance(f, numbers.Integral) and not isinstance(f, bool) for f in factors
        ):
            raise ValueError(
                f"coarsen must be an integer or one integer per axis ({grid.ndim}), got {coarsen!r}"
            )
    for n, f in zip(grid.shape, factors, strict=True):
        if f < 1 or n % f:
            raise ValueError(
                f"coarsen={coarsen!r} must divide the grid shape {grid.shape} (factors >= 1)"
            )
    shape = tuple(n // f for n, f in zip(grid.shape, factors, strict=True))
    return Grid(shape, grid.bounds, grid.periodic), tuple(int(f) for f in factors)


def block_sums(p: np.ndarray, factors: tuple[int, ...]) -> np.ndarray:
    """Sums of ``p`` over blocks of ``factors`` cells (the masses of the coarse cells)."""
    split = []
    for n, f in zip(p.shape, factors, strict=True):
        split += [n // f, f]
    return p.reshape(split).sum(axis=tuple(range(1, 2 * p.ndim, 2)))


def cell_points(p: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Centres ``(m, d)`` and masses ``(m,)`` of the cells of positive mass ``p > 0``."""
    index = np.nonzero(p.reshape(grid.shape))
    centres = np.stack([grid.axis_centers(a)[i] for a, i in enumerate(index)], axis=1)
    return centres, p.reshape(grid.shape)[index]


def positive_count(value, name: str, *, allow_zero: bool = False) -> int:
    """An integer ``>= 1`` (``>= 0`` with ``allow_zero``)."""
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)
