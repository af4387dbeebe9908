"""Cell averages by Gauss-Legendre quadrature, and Gaussian densities on a grid."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ..grid import Grid
from ._validation import (
    as_covariance,
    as_field,
    as_vector,
    check_callable,
    check_grid,
    positive_int,
)

Field = Callable[..., ArrayLike]


def cell_average(f: Field, grid: Grid, quadrature: int = 3) -> np.ndarray:
    """Average of ``f`` over every cell of ``grid``, by Gauss-Legendre quadrature.

    With ``q = quadrature`` Gauss-Legendre nodes ``xi_k`` and weights ``w_k`` on ``[-1, 1]``, the
    average over the cell with centre ``c`` and widths ``h`` is

        (1 / |cell|) int_cell f  ~  sum_{k_1..k_d} prod_a (w_{k_a} / 2)
                                    f(c_1 + h_1 xi_{k_1} / 2, ..., c_d + h_d xi_{k_d} / 2).

    The rule is exact when ``f`` is a polynomial of degree at most ``2 q - 1`` in each coordinate;
    for smooth ``f`` the error is ``O(h^(2 q))``. ``quadrature=1`` gives the value at the centre.

    Parameters
    ----------
    f : callable
        Vectorised function ``f(*coords)`` of the ``ndim`` coordinates. It is called once per
        quadrature node (``q ** ndim`` calls) with broadcastable coordinate arrays shaped like
        :attr:`eulerflow.Grid.centers`; its result must broadcast to ``grid.shape``.
    grid : Grid
        The grid.
    quadrature : int, default 3
        Number of Gauss-Legendre points per axis, at least 1.

    Returns
    -------
    numpy.ndarray
        Cell averages, float64 array of shape ``grid.shape``.
    """
    check_callable(f, "f")
    check_grid(grid)
    q = positive_int(quadrature, "quadrature")
    points, weights = np.polynomial.legendre.leggauss(q)
    axis_nodes = [
        [center + 0.5 * h * xi for xi in points]
        for center, h in zip(grid.centers, grid.spacing, strict=True)
    ]
    total = np.zeros(grid.shape)
    for node in itertools.product(range(q), repeat=grid.ndim):
        coords = [axis_nodes[a][k] for a, k in enumerate(node)]
        weight = math.prod(0.5 * weights[k] for k in node)
        total += weight * as_field(f(*coords), grid.shape, "f")
    return total


# -- Gaussians and linear flows --------------------------------------------------------------------
KINDS = ("average", "point")


def sample_kind(kind: str) -> str:
    """``kind`` checked: ``"average"`` (cell averages) or ``"point"`` (values at the centres)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be 'average' or 'point', got {kind!r}")
    return kind


def gaussian_density(
    grid: Grid, mean: ArrayLike, cov: ArrayLike, quadrature: int = 3, kind: str = "average"
) -> np.ndarray:
    """Cell averages (or centre values) of the normal density ``N(mean, cov)``.

    The density is

        p(x) = (2 pi)^(-d/2) det(cov)^(-1/2) exp(-(x - mean)^T cov^(-1) (x - mean) / 2),

    averaged over each cell by :func:`cell_average`. It is not renormalised on the box, so the
    total mass ``grid.integrate(rho)`` is 1 minus the Gaussian mass outside the box (and the
    quadrature error).

    Parameters
    ----------
    grid : Grid
        The grid; ``d = grid.ndim``.
    mean : array_like, shape (d,)
        Mean (a scalar is accepted on a 1D grid).
    cov : array_like, shape (d, d), or scalar
        Symmetric positive definite covariance; a scalar ``s`` means ``s * I``.
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`cell_average`).
    kind : {"average", "point"}, default "average"
        Cell averages, or the density at the cell centres (``quadrature`` is then unused). The
        two differ by ``h^2 Laplace p / 24`` per axis.

    Returns
    -------
    numpy.ndarray
        Cell averages (or centre values) of shape ``grid.shape``.

    Raises
    ------
    ValueError
        If ``mean`` or ``cov`` has the wrong shape, or ``cov`` is not symmetric positive definite.

    Examples
    --------
    On a box that holds nearly all of its mass, the cell averages integrate to 1 and have the
    prescribed mean:

    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid((16, 16), ((-4, 4), (-4, 4)))
    >>> rho = ef.exact.gaussian_density(grid, mean=[1.0, 0.0], cov=[[0.5, 0.1], [0.1, 0.3]])
    >>> x, y = grid.centers
    >>> rho.shape, bool(abs(grid.integrate(rho) - 1) < 1e-4)
    ((16, 16), True)
    >>> bool(abs(grid.integrate(x * rho) - 1) < 1e-3 and abs(grid.integrate(y * rho)) < 1e-3)
    True
    """
    check_grid(grid)
    mean = as_vector(mean, grid.ndim, "mean")
    _, chol = as_covariance(cov, grid.ndim)
    points = 1 if sample_kind(kind) == "point" else quadrature
    return cell_average(gaussian_pdf(mean, chol), grid, points)


def gaussian_pdf(mean: np.ndarray, chol: np.ndarray) -> Callable[..., np.ndarray]:
    """Normal density with Cholesky factor ``chol`` of the covariance, as ``pdf(*coords)``."""
    d = mean.size
    log_norm = -0.5 * d * math.log(2.0 * math.pi) - float(np.sum(np.log(np.diag(chol))))

    def pdf(*coords: np.ndarray) -> np.ndarray:
        # Whitened coordinates z = chol^{-1} (x - mean), by forward substitution.
        z: list[np.ndarray] = []
        for i in range(d):
            r = coords[i] - mean[i]
            for j in range(i):
                r = r - chol[i, j] * z[j]
            z.append(r / chol[i, i])
        return np.exp(log_norm - 0.5 * sum(zi * zi for zi in z))

    return pdf
