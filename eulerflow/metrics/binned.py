"""Binned distances between samples and a grid density: L1 (total variation) and symmetric KL.

The samples are counted in the cells of the reference grid, or of a coarser grid of blocks of
cells (``coarsen``), by nearest-grid-point deposit (:func:`eulerflow.particles.histogram`).
Samples outside the walled box go into one extra bin, "outside", whose reference mass is 0: they
are counted as error, never dropped. The floor is the same distance for ``n`` exact samples of
the reference: their bin counts are multinomial with the reference bin masses, so it is drawn
exactly and cheaply with :meth:`numpy.random.Generator.multinomial` (a parametric bootstrap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..grid import Grid
from ..particles.mesh import histogram, outside_mask
from ..particles.sampling import as_generator
from .inputs import as_reference, as_samples, block_sums, coarse_grid, positive_count
from .score import Score


def binned_l1(
    samples,
    rho,
    grid: Grid,
    *,
    coarsen: int | tuple[int, ...] = 1,
    n_floor: int = 20,
    rng=None,
) -> Score:
    """L1 distance between the binned empirical measure of ``samples`` and the binned ``rho``.

    With ``N_b`` samples in bin ``b`` (the extra bin "outside" included), ``n`` samples and the
    reference bin masses ``q_b`` (``rho`` normalised to mass 1; ``q_outside = 0``),

        L1 = sum_b |N_b / n - q_b|,

    twice the total variation distance between the two binned probability measures (so
    ``0 <= L1 <= 2``). For ``n`` exact samples ``N_b`` is binomial and, when ``n q_b >> 1``,
    ``E L1 ~ sqrt(2 / (pi n)) sum_b sqrt(q_b (1 - q_b))``: the floor decays like ``n^(-1/2)``
    once ``n`` is much larger than the number of bins, and is about ``2`` (every occupied bin
    off by its whole mass) when ``n`` is much smaller.

    Parameters
    ----------
    samples : array, shape (n, d)
        The method's samples (a 1D array on a 1D grid).
    rho : array of ``grid.shape``
        Reference density (cell averages, any positive mass; normalised here).
    grid : Grid
        The grid of ``rho``, of dimension ``d``.
    coarsen : int or tuple of int, default 1
        Cells per bin along each axis (must divide ``grid.shape``).
    n_floor : int, default 20
        Repetitions of the floor (0: no floor).
    rng : numpy.random.Generator, int or None
        Random source of the floor.

    Returns
    -------
    Score
        ``value = L1``; ``details``: ``bins`` (shape of the bin grid), ``coarsen``,
        ``n_floor``, ``tv = L1 / 2``.

    References
    ----------
    .. [1] L. Devroye and L. Gyorfi, "Nonparametric Density Estimation: The L1 View", Wiley,
       1985 (L1 errors of histograms, their ``n^(-1/2)`` size).
    .. [2] B. Efron and R. J. Tibshirani, "An Introduction to the Bootstrap", Chapman & Hall,
       1993 (the parametric bootstrap behind the floor).

    Examples
    --------
    >>> grid = Grid(4, (0, 1))
    >>> score = binned_l1([0.1, 0.2, 0.6, 1.5], [1, 1, 1, 1], grid, n_floor=0)
    >>> score.value, score.n_outside
    (1.0, 1)
    """
    score = _binned_score(samples, rho, grid, coarsen, n_floor, rng, _l1, {})
    return replace(score, details={**score.details, "tv": score.value / 2})


def binned_kl(
    samples,
    rho,
    grid: Grid,
    *,
    coarsen: int | tuple[int, ...] = 1,
    pseudocount: float = 0.5,
    n_floor: int = 20,
    rng=None,
) -> Score:
    """Symmetric Kullback-Leibler (Jeffreys) divergence between binned samples and binned ``rho``.

    Both bin distributions are smoothed with the same ``pseudocount`` ``a`` per bin (``K``
    bins, the extra bin "outside" included), the samples' ``N_b`` and the reference's expected
    counts ``n q_b`` alike,

        P_b = (N_b + a) / (n + a K),    Q_b = (n q_b + a) / (n + a K),

    so that empty bins give finite terms and a bin empty on both sides gives 0; then

        J = KL(P || Q) + KL(Q || P) = sum_b (P_b - Q_b) log(P_b / Q_b).

    ``a = 1/2`` is the Krichevsky-Trofimov (Jeffreys-prior) estimator of bin probabilities.
    For exact samples and ``n q_b >> 1``, ``n J`` is close to a chi-square with ``K' - 1``
    degrees of freedom (``K'`` the bins of positive reference mass), so the floor is about
    ``(K' - 1) / n``: it decays like ``n^(-1)``, not ``n^(-1/2)``.

    Parameters
    ----------
    samples, rho, grid, coarsen, n_floor, rng
        As in :func:`binned_l1`.
    pseudocount : float, default 0.5
        Added to every bin count (``> 0``).

    Returns
    -------
    Score
        ``value = J``; ``details``: ``bins``, ``coarsen``, ``n_floor``, ``pseudocount``.

    References
    ----------
    .. [1] H. Jeffreys, "An invariant form for the prior probability in estimation problems",
       Proc. R. Soc. Lond. A 186 (1946) 453-461 (the symmetric divergence).
    .. [2] R. Krichevsky and V. Trofimov, "The performance of universal encoding", IEEE Trans.
       Inf. Theory 27 (1981) 199-207 (the add-one-half estimator).

    Examples
    --------
    >>> grid = Grid(2, (0, 1))
    >>> score = binned_kl([0.25, 0.75], [1, 1], grid, n_floor=0)
    >>> score.value
    0.0
    """
    a = float(pseudocount)
    if not (np.isfinite(a) and a > 0):
        raise ValueError(f"pseudocount must be a finite number > 0, got {pseudocount!r}")

    def jeffreys(counts: np.ndarray, expected: np.ndarray, n: int) -> float:
        total = n + a * counts.size
        P, Q = (counts + a) / total, (expected + a) / total
        return float(np.sum((P - Q) * (np.log(P) - np.log(Q))))

    return _binned_score(samples, rho, grid, coarsen, n_floor, rng, jeffreys, {"pseudocount": a})


def _l1(counts: np.ndarray, expected: np.ndarray, n: int) -> float:
    return float(np.sum(np.abs(counts - expected)) / n)


def _binned_score(
    samples,
    rho,
    grid: Grid,
    coarsen,
    n_floor,
    rng,
    metric: Callable[[np.ndarray, np.ndarray, int], float],
    details: dict,
) -> Score:
    """Bin, score with ``metric(counts, expected counts, n)``, and resample the floor."""
    x = as_samples(samples, grid)
    q_cells = as_reference(rho, grid)
    repetitions = positive_count(n_floor, "n_floor", allow_zero=True)
    bins, factors = coarse_grid(grid, coarsen)
    q = np.append(block_sums(q_cells, factors).ravel(), 0.0)  # the last bin is "outside"
    n = x.shape[0]
    counts = bin_counts(x, bins)
    expected = n * q
    value = metric(counts, expected, n)
    floor = floor_std = None
    if repetitions:
        gen = as_generator(rng)
        draws = [metric(gen.multinomial(n, q), expected, n) for _ in range(repetitions)]
        floor, floor_std = (
            float(np.mean(draws)),
            float(np.std(draws, ddof=1 if repetitions > 1 else 0)),
        )
    return Score(
        value=value,
        floor=floor,
        floor_std=floor_std,
        n=n,
        n_outside=int(counts[-1]),
        method="binned",
        details={"bins": bins.shape, "coarsen": factors, "n_floor": repetitions, **details},
    )


def bin_counts(x: np.ndarray, bins: Grid) -> np.ndarray:
    """Counts of the samples ``x`` in the cells of ``bins`` (flattened), then the number outside
    the walled box, as one float array of ``bins.size + 1`` integers."""
    inside = ~outside_mask(x, bins)
    n_in = int(np.count_nonzero(inside))
    counts = np.zeros(bins.size + 1)
    counts[-1] = x.shape[0] - n_in
    if n_in:
        density = histogram(x[inside], bins, mass=float(n_in))
        counts[:-1] = np.rint(np.asarray(density).ravel() * bins.cell_volume)
    return counts
