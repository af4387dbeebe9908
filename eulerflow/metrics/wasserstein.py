"""Quadratic Wasserstein distance between samples and a grid density.

Two ways, named in the result's ``method``:

``"exact"``
    discrete optimal transport (network simplex, POT's ``ot.emd2``) between the empirical
    measure of the samples (weights ``1 / n``) and the cell centres of the grid with the cell
    masses: exact for these two discrete measures, ``O(n m)`` memory for ``m`` cells of positive
    mass. Replacing the piecewise-constant density by its cell centres moves every point by at
    most half a cell, so it changes W2 by at most ``sqrt(sum_a h_a^2 / 12)``.
``"binned"``
    the samples are binned on the grid (nearest grid point, ``coarsen`` cells per bin) and W2 is
    computed between the two binned measures: on a 1D grid with walls between the two
    piecewise-constant densities by the exact quantile formula
    (:func:`eulerflow.exact.w2_squared_1d`), else by ``ot.emd2`` between the centres of the
    occupied bins. Binning moves every sample by at most half a bin.

On periodic axes the cost is the squared distance on the torus (the nearest image). The floor
is the same distance, by the same method, for ``n`` exact samples of ``rho``
(:func:`eulerflow.particles.sample`).
"""

from __future__ import annotations

import numpy as np

from ..exact.optimal_transport import w2_squared_1d
from ..grid import Grid
from ..particles.sampling import as_generator, sample
from .binned import bin_counts
from .inputs import (
    as_reference,
    as_samples,
    block_sums,
    cell_points,
    clip_to_box,
    coarse_grid,
    count_outside,
    positive_count,
)
from .optional import require_pot
from .score import Score

METHODS = ("auto", "exact", "binned")


def w2_samples(
    samples,
    rho,
    grid: Grid,
    *,
    method: str = "auto",
    coarsen: int | tuple[int, ...] = 1,
    max_entries: int = 10_000_000,
    n_floor: int = 5,
    rng=None,
) -> Score:
    """``W2`` between the empirical measure of ``samples`` and the density ``rho`` on ``grid``.

    ``W2^2(mu, nu) = min_pi sum_ij pi_ij |x_i - y_j|^2`` over couplings ``pi`` of the two
    (discrete) measures; see the module docstring for the two methods. For exact samples
    ``E W2`` decays like ``n^(-1/2)`` in 1D, ``n^(-1/2)`` up to a log factor in 2D and
    ``n^(-1/d)`` for ``d >= 3`` (the floor measures it for the given ``n``).

    Parameters
    ----------
    samples : array, shape (n, d)
        The method's samples. ``"exact"`` uses samples outside the walled box as they are;
        ``"binned"`` moves them onto the nearest wall first, which can only lower W2 (the
        projection onto the box is 1-Lipschitz and ``rho`` lives in the box). Either way they
        are counted in ``n_outside``.
    rho : array of ``grid.shape``
        Reference density (normalised here).
    grid : Grid
        The grid of ``rho``.
    method : {"auto", "exact", "binned"}
        ``"auto"``: ``"exact"`` when the cost matrix has at most ``max_entries`` entries, else
        ``"binned"``.
    coarsen : int or tuple of int, default 1
        Cells per bin of ``"binned"`` (must divide ``grid.shape``).
    max_entries : int, default 10**7
        Largest cost matrix (rows times columns, 8 bytes each) that ``ot.emd2`` is given;
        beyond it ``"binned"`` in 2D/3D raises with the advice to coarsen.
    n_floor : int, default 5
        Repetitions of the floor (0: none).
    rng : numpy.random.Generator, int or None
        Random source of the floor.

    Returns
    -------
    Score
        ``value = W2``; ``method`` is ``"exact"`` or ``"binned"``; ``details``:
        ``w2_squared``, ``bins`` (binned), ``cells`` (exact), ``n_floor``.

    Raises
    ------
    ImportError
        POT is needed and not installed (``pip install 'eulerflow[validate]'``).

    References
    ----------
    .. [1] G. Peyre and M. Cuturi, "Computational optimal transport", Found. Trends Mach.
       Learn. 11 (2019) 355-607 (discrete OT, the network simplex, the 1D quantile formula).
    .. [2] N. Fournier and A. Guillin, "On the rate of convergence in Wasserstein distance of
       the empirical measure", Probab. Theory Relat. Fields 162 (2015) 707-738 (the floor's
       rates).
    .. [3] R. Flamary et al., "POT: Python Optimal Transport", J. Mach. Learn. Res. 22 (2021)
       1-8.

    Examples
    --------
    >>> grid = Grid(4, (0, 1))
    >>> score = w2_samples([0.125, 0.375, 0.625, 0.875], [1, 1, 1, 1], grid, n_floor=0)
    >>> score.method, round(score.value, 12)
    ('exact', 0.0)
    """
    x = as_samples(samples, grid)
    p = as_reference(rho, grid)
    repetitions = positive_count(n_floor, "n_floor", allow_zero=True)
    limit = positive_count(max_entries, "max_entries")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    n = x.shape[0]
    centres, masses = cell_points(p, grid)
    if method == "auto":
        method = "exact" if n * masses.size <= limit else "binned"
    if method == "exact":
        ot = require_pot("w2_samples")
        if n * masses.size > limit:
            raise ValueError(
                f"method='exact' needs a {n} x {masses.size} cost matrix, more than "
                f"max_entries={limit}; use method='binned' or fewer samples"
            )

        def w2_squared(points: np.ndarray) -> float:
            cost = _squared_cost(points, centres, grid)
            return float(ot.emd2(np.full(n, 1.0 / n), masses, cost, numItermax=_ITERATIONS))

        details = {"cells": int(masses.size)}
    else:
        bins, factors = coarse_grid(grid, coarsen)
        q = block_sums(p, factors)

        def w2_squared(points: np.ndarray) -> float:
            counts = bin_counts(clip_to_box(points, grid), bins)[:-1].reshape(bins.shape)
            return _binned_w2_squared(counts / n, q, bins, limit)

        details = {"bins": bins.shape, "coarsen": factors}
    value = w2_squared(x)
    floor = floor_std = None
    if repetitions:
        gen = as_generator(rng)
        draws = [np.sqrt(w2_squared(sample(p, grid, n, gen))) for _ in range(repetitions)]
        floor, floor_std = float(np.mean(draws)), float(np.std(draws, ddof=min(1, repetitions - 1)))
    return Score(
        value=float(np.sqrt(value)),
        floor=floor,
        floor_std=floor_std,
        n=n,
        n_outside=count_outside(x, grid),
        method=method,
        details={**details, "w2_squared": value, "n_floor": repetitions},
    )


# Network simplex iterations allowed to ot.emd2 (its default, 10^5, stops large problems early).
_ITERATIONS = 100_000_000


def _squared_cost(x: np.ndarray, y: np.ndarray, grid: Grid) -> np.ndarray:
    """``|x_i - y_j|^2``, the nearest image along periodic axes."""
    cost = np.zeros((x.shape[0], y.shape[0]))
    for a, (length, periodic) in enumerate(zip(grid.lengths, grid.periodic, strict=True)):
        diff = np.abs(np.subtract.outer(x[:, a], y[:, a]))
        if periodic:
            np.minimum(diff, length - diff, out=diff)
        cost += diff * diff
    return cost


def _binned_w2_squared(p: np.ndarray, q: np.ndarray, bins: Grid, limit: int) -> float:
    """``W2^2`` between two measures given by their bin masses on ``bins``."""
    if bins.ndim == 1 and not bins.periodic[0]:
        volume = bins.cell_volume
        return w2_squared_1d(p / volume, q / volume, bins, normalize=True)
    ot = require_pot("w2_samples")
    xp, wp = cell_points(p, bins)
    xq, wq = cell_points(q, bins)
    if wp.size * wq.size > limit:
        raise ValueError(
            f"binned W2 needs a {wp.size} x {wq.size} cost matrix, more than max_entries={limit};"
            " pass a larger coarsen (fewer bins) or a larger max_entries"
        )
    return float(
        ot.emd2(wp / wp.sum(), wq / wq.sum(), _squared_cost(xp, xq, bins), numItermax=_ITERATIONS)
    )
