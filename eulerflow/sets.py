"""Target and obstacle sets as signed distances on a grid, for reachability.

A set ``S`` is represented by a function ``l`` with ``S = {l <= 0}``; the helpers return the
signed distance (negative inside, the Euclidean distance to the boundary outside) at the cell
centres, which is the usual terminal value of a reachability problem (Mitchell, Bayen and
Tomlin, IEEE Trans. Automat. Control 50, 2005; Osher and Fedkiw, *Level Set Methods and Dynamic
Implicit Surfaces*, 2003). Unions and intersections of sets are the minimum and the maximum of
their functions (no longer exact distances, but with the same zero level set and sign).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .grid import Grid

__all__ = ["ball", "box", "complement", "cylinder", "intersection", "union"]


def _axes(grid: Grid, axes: Sequence[int] | None, n: int, name: str) -> tuple[int, ...]:
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a eulerflow Grid, got {type(grid).__name__}")
    axes = tuple(range(grid.ndim)) if axes is None else tuple(int(a) for a in axes)
    if not axes or len(set(axes)) != len(axes) or not all(0 <= a < grid.ndim for a in axes):
        raise ValueError(f"axes must be distinct axes of the {grid.ndim}D grid, got {axes}")
    if n != len(axes):
        raise ValueError(f"{name} needs one value per axis in axes ({len(axes)}), got {n}")
    return axes


def ball(
    grid: Grid, center: Sequence[float], radius: float, axes: Sequence[int] | None = None
) -> np.ndarray:
    """Signed distance ``|x_A - center| - radius`` to a ball in the coordinates ``x_A`` of ``axes``.

    Parameters
    ----------
    grid : Grid
        The grid.
    center : sequence of float
        The centre, one coordinate per axis of ``axes``.
    radius : float
        The radius, ``> 0``.
    axes : sequence of int, optional
        The axes the ball lives in; default all. With fewer axes the set is a cylinder over
        the others (see :func:`cylinder`).

    Returns
    -------
    numpy.ndarray
        Values at the cell centres, shape ``grid.shape``.

    Raises
    ------
    ValueError
        For a non-positive radius or a centre that does not match ``axes``.
    """
    center = np.atleast_1d(np.asarray(center, dtype=float))
    axes = _axes(grid, axes, center.size, "center")
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a finite number > 0, got {radius!r}")
    coords = grid.centers
    norm2 = sum((coords[a] - c) ** 2 for a, c in zip(axes, center, strict=True))
    return np.ascontiguousarray(np.broadcast_to(np.sqrt(norm2) - radius, grid.shape))


def cylinder(grid: Grid, center: Sequence[float], radius: float, axes: Sequence[int]) -> np.ndarray:
    """Signed distance to ``{x : |x_A - center| <= radius}``, a ball in the axes ``A``
    extruded along the others (e.g. the capture set of air3d, a disk in ``(x, y)`` for every
    heading).

    Parameters
    ----------
    grid : Grid
        The grid.
    center : sequence of float
        The centre in the axes ``axes``.
    radius : float
        The radius, ``> 0``.
    axes : sequence of int
        The axes of the ball.

    Returns
    -------
    numpy.ndarray
        Values at the cell centres, shape ``grid.shape``.
    """
    return ball(grid, center, radius, axes)


def box(
    grid: Grid,
    lower: Sequence[float],
    upper: Sequence[float],
    axes: Sequence[int] | None = None,
) -> np.ndarray:
    """Signed distance to the box ``lower <= x_A <= upper`` (a slab over the other axes).

    With ``d_a = max(lower_a - x_a, x_a - upper_a)``: outside ``|max(d, 0)|`` (Euclidean),
    inside ``max_a d_a`` (minus the distance to the nearest face).

    Parameters
    ----------
    grid : Grid
        The grid.
    lower, upper : sequence of float
        Corners, one value per axis of ``axes``, ``lower < upper``.
    axes : sequence of int, optional
        The axes of the box; default all.

    Returns
    -------
    numpy.ndarray
        Values at the cell centres, shape ``grid.shape``.

    Raises
    ------
    ValueError
        For corners that do not match ``axes`` or with ``lower >= upper``.
    """
    lower = np.atleast_1d(np.asarray(lower, dtype=float))
    upper = np.atleast_1d(np.asarray(upper, dtype=float))
    axes = _axes(grid, axes, lower.size, "lower")
    if upper.size != lower.size or not np.all(lower < upper):
        raise ValueError(f"box needs lower < upper with one value per axis, got {lower}, {upper}")
    coords = grid.centers
    gaps = [
        np.maximum(lo - coords[a], coords[a] - hi)
        for a, lo, hi in zip(axes, lower, upper, strict=True)
    ]
    outside = np.sqrt(sum(np.maximum(g, 0.0) ** 2 for g in gaps))
    inside = gaps[0]
    for g in gaps[1:]:
        inside = np.maximum(inside, g)
    values = np.where(inside > 0, outside, inside)
    return np.ascontiguousarray(np.broadcast_to(values, grid.shape))


def union(*sets: np.ndarray) -> np.ndarray:
    """The union of sets ``{l_k <= 0}``: ``min_k l_k``.

    Parameters
    ----------
    *sets : numpy.ndarray
        Functions of the sets on the same grid (at least one).

    Returns
    -------
    numpy.ndarray
        The pointwise minimum.
    """
    if not sets:
        raise ValueError("union needs at least one set")
    return np.minimum.reduce(np.broadcast_arrays(*sets))


def intersection(*sets: np.ndarray) -> np.ndarray:
    """The intersection of sets ``{l_k <= 0}``: ``max_k l_k``.

    Parameters
    ----------
    *sets : numpy.ndarray
        Functions of the sets on the same grid (at least one).

    Returns
    -------
    numpy.ndarray
        The pointwise maximum.
    """
    if not sets:
        raise ValueError("intersection needs at least one set")
    return np.maximum.reduce(np.broadcast_arrays(*sets))


def complement(values: np.ndarray) -> np.ndarray:
    """The complement of ``{l <= 0}`` (up to its boundary): ``-l``.

    Parameters
    ----------
    values : numpy.ndarray
        The function of the set.

    Returns
    -------
    numpy.ndarray
        ``-values``.
    """
    return -np.asarray(values)
