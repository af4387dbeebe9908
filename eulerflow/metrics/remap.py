"""Conservative remapping of cell averages from one grid onto another."""

from __future__ import annotations

import numpy as np

from ..checks import check_grid
from ..grid import Grid


def overlap_matrix(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``W[i, j] = |T_i intersect S_j| / |T_i|`` for the 1D cells with faces ``target``, ``source``.

    Examples
    --------
    >>> overlap_matrix(np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0])).tolist()
    [[0.5, 0.5]]
    """
    lo = np.maximum.outer(target[:-1], source[:-1])
    hi = np.minimum.outer(target[1:], source[1:])
    return np.clip(hi - lo, 0.0, None) / np.diff(target)[:, None]


def remap(values, source: Grid, target: Grid) -> tuple[np.ndarray, float]:
    """Cell averages on ``target`` of the piecewise-constant function given on ``source``.

    The source function ``f`` is constant on each source cell and 0 outside the source box;
    the target value is its exact average over the target cell,

        g_i = (1 / |T_i|) sum_j |T_i intersect S_j| f_j,

    computed axis by axis (the overlap of two boxes is the product of the 1D overlaps). The
    remap is first-order accurate for smooth ``f``, keeps ``f >= 0``, and conserves the integral
    over the part of the source box that the target box covers; the rest (the integral of ``f``
    outside the target box) is returned with it. Periodic flags are not used: both grids are
    boxes in the same coordinates.

    Parameters
    ----------
    values : array of ``source.shape``
        Cell averages on ``source``.
    source, target : Grid
        Grids of the same dimension.

    Returns
    -------
    (numpy.ndarray of ``target.shape``, float)
        The target cell averages and the integral of ``f`` outside the target box.

    References
    ----------
    .. [1] J. K. Dukowicz and J. W. Kodis, "Accurate conservative remapping (rezoning) for
       arbitrary Lagrangian-Eulerian computations", SIAM J. Sci. Stat. Comput. 8 (1987)
       305-321.

    Examples
    --------
    >>> fine, coarse = Grid(4, (0, 2)), Grid(2, (0, 4))
    >>> g, outside = remap(np.array([1.0, 2.0, 3.0, 4.0]), fine, coarse)
    >>> g.tolist(), outside
    ([2.5, 0.0], 0.0)
    """
    check_grid(source, "source")
    check_grid(target, "target")
    if source.ndim != target.ndim:
        raise ValueError(
            f"the grids have different dimensions ({source.ndim} and {target.ndim}); "
            "a density can only be remapped between grids of the same dimension"
        )
    f = np.asarray(values, dtype=float)
    source.check_field(f, "values")
    g = f
    for axis in range(source.ndim):
        W = overlap_matrix(source.axis_faces(axis), target.axis_faces(axis))
        g = np.moveaxis(np.tensordot(W, g, axes=([1], [axis])), 0, axis)
    outside = source.integrate(f) - target.integrate(g)
    return g, float(outside)
