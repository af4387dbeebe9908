"""Kernel distances between samples and a grid density: MMD (Gaussian kernel), energy distance.

For a kernel ``k`` and probability measures ``mu``, ``nu``, the squared maximum mean
discrepancy is

    MMD_k^2(mu, nu) = E k(X, X') - 2 E k(X, Y) + E k(Y, Y'),    X, X' ~ mu,  Y, Y' ~ nu,

independent copies. The grid density is represented by its cell centres ``y_c`` with the cell
masses ``q_c`` as weights (an ``O(h^2 / bandwidth^2)`` approximation of the piecewise-constant
density), the samples by their empirical measure (weights ``1 / n``), and every expectation is
a weighted double sum: the V-statistic, which is the exact squared distance between these two
discrete measures, hence ``>= 0``, with a positive floor of order ``1 / n`` for exact samples.
The sums run over blocks of rows (``n^2 / 2 + n m + m^2 / 2`` kernel evaluations for ``m`` cells of
positive mass, ``O(block * max(n, m))`` memory), so ``10^4-10^5`` samples fit in memory; the
time grows like ``n^2``. Coordinates on periodic axes are wrapped into the box and the kernels
use the Euclidean distance there (not the distance on the torus).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ..grid import Grid
from ..particles.sampling import as_generator, sample
from .inputs import as_reference, as_samples, cell_points, count_outside, positive_count
from .score import Score

# Kernel values per block of rows: 2^22 float64 numbers (32 MiB) and one temporary like it.
_BLOCK_ENTRIES = 1 << 22

Kernel = Callable[[np.ndarray], np.ndarray]


def gaussian_kernel(bandwidth: float) -> Kernel:
    """``k(x, y) = exp(-|x - y|^2 / (2 bandwidth^2))`` as a function of ``|x - y|^2``
    (computed in place)."""
    scale = -0.5 / bandwidth**2

    def k(squared: np.ndarray) -> np.ndarray:
        squared *= scale
        return np.exp(squared, out=squared)

    return k


def energy_kernel(squared: np.ndarray) -> np.ndarray:
    """``k(x, y) = -|x - y|``, the kernel whose MMD^2 is the energy distance (in place)."""
    np.sqrt(squared, out=squared)
    return np.negative(squared, out=squared)


def kernel_mmd_squared(
    x: np.ndarray, x_weights: np.ndarray, y: np.ndarray, y_weights: np.ndarray, kernel: Kernel
) -> float:
    """``MMD_k^2`` between two weighted point sets (weights summing to 1), by blocked sums.

    Parameters
    ----------
    x, y : numpy.ndarray, shapes (n, d) and (m, d)
        Points.
    x_weights, y_weights : numpy.ndarray, shapes (n,) and (m,)
        Non-negative weights, each summing to 1.
    kernel : callable
        ``k`` as a function of the squared distances (may overwrite its argument), e.g.
        :func:`gaussian_kernel` or :func:`energy_kernel`.

    Returns
    -------
    float
        ``sum_ij a_i a_j k(x_i, x_j) - 2 sum_ij a_i b_j k(x_i, y_j) + sum_ij b_i b_j k(y_i, y_j)``.

    Examples
    --------
    >>> one = np.ones(1)
    >>> kernel_mmd_squared(np.zeros((1, 1)), one, np.full((1, 1), 3.0), one, energy_kernel)
    6.0
    """
    xx = _self_sum(x, x_weights, kernel)
    xy = _weighted_sum(x, x_weights, y, y_weights, kernel)
    yy = _self_sum(y, y_weights, kernel)
    return float(xx - 2.0 * xy + yy)


def _weighted_sum(x, a, y, b, kernel: Kernel) -> float:
    """``sum_ij a_i b_j k(x_i, y_j)`` over blocks of rows of ``x``."""
    rows = max(1, _BLOCK_ENTRIES // max(y.shape[0], 1))
    total = 0.0
    for start in range(0, x.shape[0], rows):
        block = kernel(_squared_distances(x[start : start + rows], y))
        total += float(a[start : start + rows] @ (block @ b))
    return total


def _self_sum(x, a, kernel: Kernel) -> float:
    """``sum_ij a_i a_j k(x_i, x_j)``, each pair of blocks once (the sum is symmetric)."""
    rows = max(1, _BLOCK_ENTRIES // max(x.shape[0], 1))
    total = 0.0
    for start in range(0, x.shape[0], rows):
        stop = start + rows
        block = kernel(_squared_distances(x[start:stop], x[start:]))
        weights = a[start:stop]
        width = weights.size
        total += float(weights @ (block[:, :width] @ weights))
        total += 2.0 * float(weights @ (block[:, width:] @ a[stop:]))
    return total


def _squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``|x_i - y_j|^2`` from coordinate differences (no cancellation for close points)."""
    squared = np.subtract.outer(x[:, 0], y[:, 0])
    squared *= squared
    for axis in range(1, x.shape[1]):
        diff = np.subtract.outer(x[:, axis], y[:, axis])
        diff *= diff
        squared += diff
    return squared


def mmd_squared(
    samples,
    rho,
    grid: Grid,
    *,
    bandwidth: float,
    n_floor: int = 10,
    rng=None,
) -> Score:
    """Squared MMD with the Gaussian kernel between ``samples`` and the grid density ``rho``.

    ``k(x, y) = exp(-|x - y|^2 / (2 s^2))``, ``s = bandwidth``; see the module docstring for
    the estimator (V-statistic against the weighted cell centres). For ``n`` exact samples its
    mean exceeds the population value by ``(1 - E k(X, X')) / n``: the floor, estimated by
    scoring ``n`` samples of ``rho`` (:func:`eulerflow.particles.sample`) ``n_floor`` times.

    Parameters
    ----------
    samples : array, shape (n, d)
        The method's samples. Samples outside the walled box are kept (the kernel is defined
        everywhere) and counted in ``n_outside``.
    rho : array of ``grid.shape``
        Reference density (normalised here).
    grid : Grid
        The grid of ``rho``.
    bandwidth : float
        Kernel width ``s > 0``, in the units of the coordinates.
    n_floor : int, default 10
        Repetitions of the floor (0: none); each costs as much as the value.
    rng : numpy.random.Generator, int or None
        Random source of the floor.

    Returns
    -------
    Score
        ``value = MMD^2``; ``details``: ``kernel``, ``bandwidth``, ``cells`` (``m``),
        ``n_floor``.

    References
    ----------
    .. [1] A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Scholkopf and A. Smola, "A kernel
       two-sample test", J. Mach. Learn. Res. 13 (2012) 723-773.

    Examples
    --------
    >>> grid = Grid(2, (0, 1))
    >>> round(mmd_squared([0.25, 0.75], [1, 1], grid, bandwidth=0.5, n_floor=0).value, 12)
    0.0
    """
    s = float(bandwidth)
    if not (np.isfinite(s) and s > 0):
        raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth!r}")
    details = {"kernel": "gaussian", "bandwidth": s}
    return _kernel_score(samples, rho, grid, gaussian_kernel(s), n_floor, rng, details)


def energy_distance(samples, rho, grid: Grid, *, n_floor: int = 10, rng=None) -> Score:
    """Energy distance between ``samples`` and the grid density ``rho``.

    ``E = 2 E|X - Y| - E|X - X'| - E|Y - Y'|``, the MMD^2 of the kernel ``-|x - y|`` (same
    estimator and floor as :func:`mmd_squared`; no bandwidth). In 1D it equals
    ``2 int (F_X - F_Y)^2``, twice the squared L2 distance of the distribution functions.

    Parameters
    ----------
    samples, rho, grid, n_floor, rng
        As in :func:`mmd_squared`.

    Returns
    -------
    Score
        ``value = E`` (the squared-distance scale, like MMD^2); ``details``: ``kernel``,
        ``cells``, ``n_floor``.

    References
    ----------
    .. [1] G. J. Szekely and M. L. Rizzo, "Energy statistics: a class of statistics based on
       distances", J. Stat. Plan. Inference 143 (2013) 1249-1272.
    .. [2] D. Sejdinovic, B. Sriperumbudur, A. Gretton and K. Fukumizu, "Equivalence of
       distance-based and RKHS-based statistics in hypothesis testing", Ann. Statist. 41
       (2013) 2263-2291.

    Examples
    --------
    >>> grid = Grid(2, (0, 1))
    >>> round(energy_distance([0.25, 0.25], [1, 1], grid, n_floor=0).value, 12)
    0.25
    """
    return _kernel_score(samples, rho, grid, energy_kernel, n_floor, rng, {"kernel": "energy"})


def _kernel_score(samples, rho, grid, kernel, n_floor, rng, details) -> Score:
    x = as_samples(samples, grid)
    p = as_reference(rho, grid)
    repetitions = positive_count(n_floor, "n_floor", allow_zero=True)
    centres, masses = cell_points(p, grid)
    n = x.shape[0]
    uniform = np.full(n, 1.0 / n)
    # E k(Y, Y') is the same for the value and every floor draw: computed once.
    yy = _self_sum(centres, masses, kernel)

    def score(points: np.ndarray) -> float:
        xx = _self_sum(points, uniform, kernel)
        xy = _weighted_sum(points, uniform, centres, masses, kernel)
        return xx - 2.0 * xy + yy

    floor = floor_std = None
    if repetitions:
        gen = as_generator(rng)
        draws = [score(sample(p, grid, n, gen)) for _ in range(repetitions)]
        floor, floor_std = float(np.mean(draws)), float(np.std(draws, ddof=min(1, repetitions - 1)))
    return Score(
        value=score(x),
        floor=floor,
        floor_std=floor_std,
        n=n,
        n_outside=count_outside(x, grid),
        method="cell centres",
        details={**details, "cells": int(masses.size), "n_floor": repetitions},
    )


def gaussian_mmd_squared(
    mean0: ArrayLike, cov0: ArrayLike, mean1: ArrayLike, cov1: ArrayLike, bandwidth: float
) -> float:
    """Closed-form MMD^2 of the Gaussian kernel between ``N(m0, S0)`` and ``N(m1, S1)``.

    For independent ``X ~ N(m_X, S_X)``, ``Y ~ N(m_Y, S_Y)`` the difference is
    ``N(delta, S)`` with ``delta = m_X - m_Y``, ``S = S_X + S_Y``, and a Gaussian integral gives

        E exp(-|X - Y|^2 / (2 s^2)) = det(I + S / s^2)^(-1/2)
                                      exp(-delta^T (S + s^2 I)^(-1) delta / 2),

    so ``MMD^2 = g(0, 2 S0) + g(0, 2 S1) - 2 g(m0 - m1, S0 + S1)`` with ``g(delta, S)`` the
    right-hand side.

    Parameters
    ----------
    mean0, mean1 : array_like, shape (d,), or scalar when d = 1
        Means ``m0`` and ``m1`` of the two Gaussians (``d`` is the size of ``mean0``).
    cov0, cov1 : array_like, shape (d, d), or scalar (``s * I``)
        Symmetric positive semidefinite covariances.
    bandwidth : float
        Kernel width ``s > 0``, in the units of the coordinates.

    Returns
    -------
    float
        ``MMD^2`` between the two Gaussians (the squared-distance scale, ``>= 0``).

    Examples
    --------
    >>> round(gaussian_mmd_squared(0.0, 1.0, 0.0, 1.0, 1.0), 12)
    0.0
    >>> round(gaussian_mmd_squared(0.0, 0.0, 3.0, 0.0, 1.0), 6)  # two points: 2 - 2 exp(-9/2)
    1.977782
    """
    m0 = np.atleast_1d(np.asarray(mean0, dtype=float))
    d = m0.size
    m1 = _vector(mean1, d, "mean1")
    s0, s1 = _matrix(cov0, d, "cov0"), _matrix(cov1, d, "cov1")
    s2 = float(bandwidth) ** 2
    if not (math.isfinite(s2) and s2 > 0):
        raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth!r}")
    eye = np.eye(m0.size)

    def g(delta: np.ndarray, cov: np.ndarray) -> float:
        quad = float(delta @ np.linalg.solve(cov + s2 * eye, delta))
        return math.exp(-0.5 * quad) / math.sqrt(np.linalg.det(eye + cov / s2))

    zero = np.zeros(m0.size)
    return g(zero, 2 * s0) + g(zero, 2 * s1) - 2.0 * g(m0 - m1, s0 + s1)


def _vector(value, d: int, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},) like mean0, got {arr.shape}")
    return arr


def _matrix(value, d: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    arr = arr * np.eye(d) if arr.ndim == 0 else arr
    if arr.shape != (d, d):
        raise ValueError(f"{name} must be a scalar or a ({d}, {d}) matrix, got {arr.shape}")
    return arr
