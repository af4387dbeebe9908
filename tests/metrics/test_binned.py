"""Binned L1 and symmetric KL: known values, the multinomial floor, its rate, a wrong model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import gammaln, rel_entr

import eulerflow as ef
from eulerflow.metrics import binned_kl, binned_l1

# Four cells on [0, 1], uniform reference; counts (4, 2, 1, 1) at the centres and 2 outside.
GRID4 = ef.Grid(4, (0, 1))
SAMPLES4 = np.array([0.125] * 4 + [0.375] * 2 + [0.625, 0.875, -0.5, 1.5])
FREQ4 = np.array([0.4, 0.2, 0.1, 0.1, 0.2])  # the last bin is "outside"
REF4 = np.array([0.25, 0.25, 0.25, 0.25, 0.0])


def test_l1_known_value_counts_outside_samples():
    score = binned_l1(SAMPLES4, np.ones(4), GRID4, n_floor=0)
    assert score.value == pytest.approx(0.7, abs=1e-15)
    assert score.details["tv"] == pytest.approx(0.35, abs=1e-15)
    assert (score.n, score.n_outside, score.method) == (10, 2, "binned")
    assert score.floor is None and score.excess is None


def test_kl_known_value_with_pseudocount():
    a, n, bins = 0.5, 10, 5
    P = (n * FREQ4 + a) / (n + a * bins)
    Q = (n * REF4 + a) / (n + a * bins)
    expected = rel_entr(P, Q).sum() + rel_entr(Q, P).sum()
    score = binned_kl(SAMPLES4, np.ones(4), GRID4, n_floor=0)
    assert score.value == pytest.approx(expected, rel=1e-13)
    assert score.n_outside == 2


def test_coarsened_bins_sum_blocks_of_cells():
    grid = ef.Grid((4, 4), ((0, 4), (0, 2)))
    rho = np.zeros((4, 4))
    rho[:2, :2] = 1.0  # all the mass in the coarse bin (0, 0)
    inside_bin = np.array([[0.2, 0.3], [1.9, 0.9], [1.0, 0.1]])  # three cells of bin (0, 0)
    assert binned_l1(inside_bin, rho, grid, coarsen=2, n_floor=0).value == 0.0
    assert binned_l1(inside_bin, rho, grid, n_floor=0).value > 0  # not equal per cell
    other_bin = inside_bin + [2.0, 1.0]
    assert binned_l1(other_bin, rho, grid, coarsen=(2, 2), n_floor=0).value == 2.0


def binomial_mean_abs_deviation(n: int, p: np.ndarray) -> np.ndarray:
    """E|X - n p| for X ~ Binomial(n, p), by de Moivre's closed form:
    2 v C(n, v) p^v (1 - p)^(n - v + 1) with v = floor(n p) + 1."""
    v = np.floor(n * p) + 1
    log = (
        np.log(2 * v)
        + gammaln(n + 1)
        - gammaln(v + 1)
        - gammaln(n - v + 1)
        + v * np.log(p)
        + (n - v + 1) * np.log1p(-p)
    )
    return np.exp(log)


def test_l1_floor_matches_the_exact_multinomial_expectation():
    grid = ef.Grid(32, (-4, 4))
    rho = ef.exact.gaussian_density(grid, 0.0, 1.0)
    n, repetitions = 500, 400
    score = binned_l1(np.zeros(n), rho, grid, n_floor=repetitions, rng=1)
    q = rho / rho.sum()
    expected = binomial_mean_abs_deviation(n, q[q > 0]).sum() / n
    assert abs(score.floor - expected) < 3 * score.floor_std / math.sqrt(repetitions)


@pytest.mark.parametrize("metric", [binned_l1, binned_kl])
def test_floor_is_the_score_of_exact_samples(metric):
    grid = ef.Grid((16, 16), ((-4, 4), (-4, 4)))
    rho = ef.exact.gaussian_density(grid, (0.0, 0.5), [[1.0, 0.3], [0.3, 0.8]])
    n, draws, repetitions = 2000, 60, 60
    rng = np.random.default_rng(5)
    exact = [
        metric(ef.particles.sample(rho, grid, n, rng), rho, grid, n_floor=0).value
        for _ in range(draws)
    ]
    score = metric(np.zeros((n, 2)), rho, grid, n_floor=repetitions, rng=6)
    se = math.sqrt(np.var(exact, ddof=1) / draws + score.floor_std**2 / repetitions)
    assert abs(np.mean(exact) - score.floor) < 3 * se
    assert np.std(exact, ddof=1) == pytest.approx(score.floor_std, rel=0.35)


@pytest.mark.parametrize(("metric", "rate"), [(binned_l1, -0.5), (binned_kl, -1.0)])
def test_floor_decays_at_its_rate(metric, rate):
    """L1: n^(-1/2); KL: n^(-1) (chi-square / n), once n is well above the number of bins."""
    grid = ef.Grid(64, (0, 1))
    rho = 1 + 0.5 * np.sin(2 * np.pi * grid.axis_centers(0))
    sizes = [2000, 8000, 32000, 128000]
    # the floor depends on the number of samples only, not on where they are
    floors = [metric(np.full(n, 0.5), rho, grid, n_floor=100, rng=n).floor for n in sizes]
    slope = np.polyfit(np.log(sizes), np.log(floors), 1)[0]
    print(f"\n{metric.__name__}: floors {floors} at n = {sizes}, slope {slope:.3f}")
    assert abs(slope - rate) < 0.05 * abs(rate)


@pytest.mark.parametrize("coarsen", [4, 8])
@pytest.mark.parametrize("metric", [binned_l1, binned_kl])
def test_wrong_model_scores_above_the_floor_at_1e4_samples(metric, coarsen):
    """On the 64^2 reference cells themselves (4096 bins) 10^4 samples do not separate these
    models (excess 1-4): the bins must be coarser than the reference grid."""
    grid = ef.Grid((64, 64), ((-5, 5), (-5, 5)))
    rho = ef.exact.gaussian_density(grid, (0.0, 0.0), np.eye(2))
    rng = np.random.default_rng(11)
    n = 10_000
    shifted = rng.standard_normal((n, 2)) + [0.1, 0.0]
    wider = rng.standard_normal((n, 2)) * math.sqrt(1.1)  # variance 10 % off
    exact = rng.standard_normal((n, 2))
    for samples in (shifted, wider):
        assert metric(samples, rho, grid, coarsen=coarsen, rng=1).excess > 3
    assert metric(exact, rho, grid, coarsen=coarsen, rng=1).excess < 3
