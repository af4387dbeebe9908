"""W2 between samples and a grid density: exact (POT) and binned, known values, Bures."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.metrics import w2_samples

pytest.importorskip("ot")


def test_exact_translation_of_the_cell_centres():
    """Translating a uniform point set is optimal (the map is the gradient of a convex
    function), so W2 = |delta|."""
    grid = ef.Grid((4, 4), ((0, 1), (0, 1)))
    centres = np.stack([c.ravel() for c in np.meshgrid(*(grid.axis_centers(a) for a in (0, 1)))], 1)
    delta = np.array([0.01, -0.02])
    score = w2_samples(centres + delta, np.ones((4, 4)), grid, n_floor=0)
    assert score.method == "exact"
    assert score.value == pytest.approx(np.hypot(*delta), rel=1e-12)


def test_periodic_cost_is_the_torus_distance():
    grid = ef.Grid(4, (0, 1), periodic=True)
    shifted = grid.axis_centers(0) + 0.25  # the same point set on the circle
    assert w2_samples(shifted, np.ones(4), grid, n_floor=0).value == pytest.approx(0, abs=1e-12)
    walled = ef.Grid(4, (0, 1))
    inside = np.mod(shifted, 1.0)
    assert w2_samples(inside, np.ones(4), walled, n_floor=0).value == pytest.approx(0, abs=1e-12)
    assert w2_samples(inside + 0.01, np.ones(4), grid, n_floor=0).value == pytest.approx(0.01)


@pytest.mark.parametrize("ndim", [1, 2])
def test_binned_shift_by_one_cell(ndim):
    """Counts proportional to the reference, moved by one cell along x: W2 = h in both methods
    (1D: quantile formula; 2D: POT on the bins)."""
    grid = ef.Grid((8,) * ndim, ((0, 1),) * ndim)
    profile = np.array([0, 1, 2, 3, 2, 1, 0, 0], dtype=float)
    rho = profile if ndim == 1 else np.multiply.outer(profile, np.array([0, 1, 1, 0, 0, 0, 0, 0.0]))
    index = np.nonzero(rho)
    counts = (rho[index] * 2).astype(int)
    centres = [grid.axis_centers(a)[i] for a, i in enumerate(index)]
    samples = np.repeat(np.stack(centres, 1), counts, axis=0)
    samples[:, 0] += grid.spacing[0]
    for method in ("binned", "exact"):
        score = w2_samples(samples, rho, grid, method=method, n_floor=0)
        assert score.method == method
        assert score.value == pytest.approx(0.125, rel=1e-9)
    limit = len(samples) * np.count_nonzero(rho)  # the exact cost matrix
    for entries, method in ((limit, "exact"), (limit - 1, "binned")):
        score = w2_samples(samples, rho, grid, method="auto", max_entries=entries, n_floor=0)
        assert score.method == method


def test_gaussian_samples_against_bures_within_the_floor():
    """|W2(samples, rho) - W2(N1, N0)| <= W2(samples, N1) + W2(rho, N0) (triangle inequality):
    about the floor plus the grid error (half a cell)."""
    grid = ef.Grid(512, (-6, 6))
    rho = ef.exact.gaussian_density(grid, 0.0, 1.0)
    rng = np.random.default_rng(2)
    samples = rng.normal(0.1, 1.05, size=100_000)
    score = w2_samples(samples, rho, grid, n_floor=5, rng=3)
    assert score.method == "binned"
    bures = ef.exact.gaussian_w2(0.0, 1.0, 0.1, 1.05**2)
    assert abs(score.value - bures) < score.floor + 3 * score.floor_std + grid.spacing[0]
    assert score.excess > 20

    grid2 = ef.Grid((24, 24), ((-5, 5), (-5, 5)))
    rho2 = ef.exact.gaussian_density(grid2, (0, 0), np.eye(2))
    samples2 = rng.standard_normal((1000, 2)) + [0.5, 0.0]
    score2 = w2_samples(samples2, rho2, grid2, n_floor=5, rng=4)
    assert score2.method == "exact"
    half_cell = math.sqrt(sum(h * h for h in grid2.spacing) / 12)
    slack = score2.floor + 3 * score2.floor_std + half_cell
    assert abs(score2.value - 0.5) < slack


def test_floor_is_the_score_of_exact_samples():
    grid = ef.Grid(64, (-5, 5))
    rho = ef.exact.gaussian_density(grid, 0.5, 0.8)
    rng = np.random.default_rng(5)
    n, draws = 2000, 40
    exact = [
        w2_samples(ef.particles.sample(rho, grid, n, rng), rho, grid, n_floor=0).value
        for _ in range(draws)
    ]
    score = w2_samples(np.zeros(n), rho, grid, n_floor=draws, rng=6)
    se = math.sqrt(np.var(exact, ddof=1) / draws + score.floor_std**2 / draws)
    assert abs(np.mean(exact) - score.floor) < 3 * se


def test_outside_samples_are_counted():
    grid = ef.Grid(4, (0, 1))
    samples = np.array([0.125, 0.375, 0.625, 1.875])  # the last one 1 beyond the wall
    exact = w2_samples(samples, np.ones(4), grid, method="exact", n_floor=0)
    binned = w2_samples(samples, np.ones(4), grid, method="binned", n_floor=0)
    assert exact.n_outside == binned.n_outside == 1
    assert exact.value == pytest.approx(0.5)  # 1/4 of the mass moves by 1
    assert binned.value < exact.value  # clipped onto the wall: a lower bound


def test_too_large_binned_problem_asks_to_coarsen():
    grid = ef.Grid((16, 16), ((0, 1), (0, 1)))
    samples = np.random.default_rng(0).random((2000, 2))
    with pytest.raises(ValueError, match="coarsen"):
        w2_samples(samples, np.ones((16, 16)), grid, method="binned", max_entries=1000)
    score = w2_samples(samples, np.ones((16, 16)), grid, method="binned", coarsen=8, n_floor=0)
    assert score.details["bins"] == (2, 2)


def test_missing_pot_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ot", None)
    grid = ef.Grid((2, 2), ((0, 1), (0, 1)))
    with pytest.raises(ImportError, match=r"pip install 'eulerflow\[validate\]'"):
        w2_samples(np.full((3, 2), 0.5), np.ones((2, 2)), grid, n_floor=0)
