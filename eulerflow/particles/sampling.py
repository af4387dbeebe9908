"""Sampling particles from a density given by cell averages on a grid."""

from __future__ import annotations

import numpy as np

from ..arrays import is_cupy_array, to_numpy
from ..backends import as_input_type
from ..checks import check_grid
from ..grid import Grid


def as_generator(rng) -> np.random.Generator:
    """``rng`` as a :class:`numpy.random.Generator` (``None``, a seed, a ``SeedSequence``,
    a ``BitGenerator`` or a ``Generator``)."""
    if isinstance(rng, np.random.RandomState):
        raise TypeError(
            "rng must be a numpy.random.Generator or a seed, not the legacy RandomState; use "
            "numpy.random.default_rng(seed)"
        )
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"rng must be a numpy.random.Generator, a seed (int) or None, got {rng!r}"
        ) from err


def check_count(n, name: str = "n") -> int:
    """``n`` as a positive int (``TypeError`` for non-integers, ``ValueError`` for ``n < 1``)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{name} must be a positive integer, got {n!r}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")
    return int(n)


def sample(rho, grid: Grid, n: int, rng=None, dtype=np.float64):
    """Draw ``n`` independent samples from the piecewise-constant density ``rho``.

    The density is the function equal to ``rho_c`` on cell ``c`` (its cell average). A sample
    picks cell ``c`` with probability ``p_c = rho_c |cell| / sum_k rho_k |cell|`` (inverse
    transform of the cumulative sums, so cells of zero density are never picked), then a point
    uniformly in that cell: ``x_a = lo_a + (i_a + U_a) h_a`` with ``U_a`` uniform on ``[0, 1)``.
    The total mass of ``rho`` need not be 1.

    Parameters
    ----------
    rho : array of ``grid.shape``
        Non-negative, finite cell averages with positive total mass (NumPy or CuPy).
    grid : Grid
        The grid of ``rho``.
    n : int
        Number of samples, at least 1.
    rng : numpy.random.Generator, int or None
        Random source (a seed makes the draw reproducible).
    dtype : float32 or float64, default float64
        dtype of the positions.

    Returns
    -------
    array, shape (n, grid.ndim)
        The positions, of the array type of ``rho`` (drawn on the host).
    """
    check_grid(grid)
    n = check_count(n)
    rng = as_generator(rng)
    like = rho
    if not hasattr(rho, "shape"):
        rho = np.asarray(rho)
    grid.check_field(rho, "rho")
    values = np.asarray(to_numpy(rho), dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(values)):
        raise ValueError("rho has non-finite values (NaN or inf)")
    if values.size and values.min() < 0:
        raise ValueError(f"rho has negative values (min {values.min():.3g}); a density is >= 0")
    cumulative = np.cumsum(values)
    total = cumulative[-1]
    if not total > 0:
        raise ValueError("rho has zero total mass; there is nothing to sample")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    cells = np.searchsorted(cumulative, rng.random(n) * total, side="right")
    # u * total can round up to total for u just below 1: that draw belongs to the last cell
    # with positive mass
    cells = np.minimum(cells, np.flatnonzero(values)[-1])
    index = np.unravel_index(cells, grid.shape)
    positions = np.empty((n, grid.ndim), dtype=np.float64)
    for a in range(grid.ndim):
        lo = grid.bounds[a][0]
        positions[:, a] = lo + (index[a] + rng.random(n)) * grid.spacing[a]
    positions = positions.astype(dtype, copy=False)
    return as_input_type(positions, like) if is_cupy_array(like) else positions
