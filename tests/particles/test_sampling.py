"""Sampling from piecewise-constant densities: the cell counts are multinomial(n, p) with
``p_c = rho_c |cell| / mass`` and the positions are uniform within their cells.

Thresholds. For counts ``N_c ~ Multinomial(n, p)``: the chi-square statistic
``sum_c (N_c - n p_c)^2 / (n p_c)`` is asymptotically chi2 with ``k - 1`` degrees of freedom
(``k`` cells of positive mass), and we require a p-value above 1e-6. The L1 error
``sum_c |N_c / n - p_c|`` has mean ``~ sqrt(2 / pi) sum_c sqrt(p_c (1 - p_c) / n)`` (each count
nearly normal) and standard deviation at most ``sqrt((1 - 2 / pi) sum_c p_c (1 - p_c) / n)``
(the counts are negatively correlated); we require it within 5 of these standard deviations.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import eulerflow as ef
from eulerflow.particles import sample


def multinomial_l1_bounds(p, n, k=5.0):
    """(lower, upper) bounds of ``sum |N/n - p|`` at ``k`` standard deviations."""
    var = p * (1 - p) / n
    mean = np.sqrt(2 / np.pi) * np.sum(np.sqrt(var))
    sd = np.sqrt((1 - 2 / np.pi) * np.sum(var))
    return mean - k * sd, mean + k * sd


def cell_counts(x, grid):
    """Counts per cell computed directly (independently of the deposit kernels)."""
    edges = [grid.axis_faces(a) for a in range(grid.ndim)]
    counts, _ = np.histogramdd(x, bins=edges)
    return counts


def bumpy_density(grid):
    x = grid.centers[0]
    rho = np.exp(-((x - 0.5) ** 2) / 0.3) + 0.5 * np.exp(-((x + 1.5) ** 2) / 0.1)
    for a in range(1, grid.ndim):
        rho = rho * (1.2 + np.sin(2 * grid.centers[a]))
    rho = np.broadcast_to(rho, grid.shape).copy()
    rho[np.broadcast_to((x > -0.8) & (x < -0.5), grid.shape)] = 0  # a gap of empty cells
    return 3.0 * rho  # mass needs not be 1


@pytest.mark.parametrize("shape", [(40,), (17, 9), (7, 5, 6)], ids=str)
def test_cell_counts_are_multinomial(shape):
    bounds = [(-3.0, 3.0)] + [(-1.0, 2.0)] * (len(shape) - 1)
    grid = ef.Grid(shape, bounds, periodic=(True,) + (False,) * (len(shape) - 1))
    rho = bumpy_density(grid)
    n = 200_000
    x = sample(rho, grid, n, rng=np.random.default_rng(7))
    assert x.shape == (n, grid.ndim) and x.dtype == np.float64
    for a, (lo, hi) in enumerate(grid.bounds):
        assert lo <= x[:, a].min() and x[:, a].max() <= hi
    counts = cell_counts(x, grid)
    p = rho * grid.cell_volume / grid.integrate(rho)
    assert counts[p == 0].sum() == 0  # empty cells are never picked
    positive = p > 0
    chi2 = np.sum((counts[positive] - n * p[positive]) ** 2 / (n * p[positive]))
    pvalue = scipy.stats.chi2.sf(chi2, positive.sum() - 1)
    assert pvalue > 1e-6, (chi2, positive.sum())
    low, high = multinomial_l1_bounds(p, n)
    l1 = np.abs(counts / n - p).sum()
    assert low < l1 < high, (low, l1, high)


def test_positions_are_uniform_within_cells():
    grid = ef.Grid((13, 11), ((0.0, 1.3), (-2.0, 0.2)))
    rho = bumpy_density(grid)
    x = sample(rho, grid, 50_000, rng=3)
    for a in range(2):
        lo, _ = grid.bounds[a]
        fraction = np.mod((x[:, a] - lo) / grid.spacing[a], 1.0)
        assert scipy.stats.kstest(fraction, "uniform").pvalue > 1e-6


def test_single_cell_and_reproducibility():
    grid = ef.Grid(5, (0.0, 1.0))
    rho = np.zeros(5)
    rho[3] = 2.0
    x = sample(rho, grid, 1000, rng=1)
    assert np.all((x >= 0.6) & (x < 0.8))
    a = sample(bumpy_density(grid), grid, 100, rng=np.random.default_rng(5))
    b = sample(bumpy_density(grid), grid, 100, rng=5)
    np.testing.assert_array_equal(a, b)
    assert sample(rho, grid, 10, rng=1, dtype=np.float32).dtype == np.float32


def test_sample_errors():
    grid = ef.Grid((4, 3), ((0, 1), (0, 1)))
    rho = np.ones(grid.shape)
    with pytest.raises(ValueError, match="negative"):
        sample(-rho, grid, 10)
    bad = rho.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        sample(bad, grid, 10)
    with pytest.raises(ValueError, match="zero total mass"):
        sample(0 * rho, grid, 10)
    with pytest.raises(ValueError, match="shape"):
        sample(np.ones(12), grid, 10)
    with pytest.raises(ValueError, match="at least 1"):
        sample(rho, grid, 0)
    for n in (2.5, True, "10"):
        with pytest.raises(TypeError, match="positive integer"):
            sample(rho, grid, n)
    with pytest.raises(TypeError, match="RandomState"):
        sample(rho, grid, 10, rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="Grid"):
        sample(rho, (4, 3), 10)
    with pytest.raises(TypeError, match="float32 or float64"):
        sample(rho, grid, 10, dtype=np.int32)
