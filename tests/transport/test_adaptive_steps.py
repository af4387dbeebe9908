"""Residual balancing of the Benamou-Brenier step (``adaptive=True``): iterations to a relative
error of 1e-4 in W2^2 on fixed pairs of 32^2 x 16, with and without adaptation."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.transport import benamou_brenier
from eulerflow.transport.adaptive import ResidualBalancing

N, N_TIME = 32, 16


def grid_and_coordinates():
    grid = ef.Grid((N, N), ((0, 1), (0, 1)))
    x, y = np.meshgrid(grid.axis_centers(0), grid.axis_centers(1), indexing="ij")
    return grid, x, y


def smooth_pair():
    """Positive everywhere: 1 + 0.6 Gaussian (the family of ``benchmarks/benamou_brenier.py``)."""
    grid, x, y = grid_and_coordinates()

    def bump(cx, cy, s):
        return 1 + 0.6 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))

    return grid, grid.normalize(bump(0.3, 0.35, 0.15)), grid.normalize(bump(0.7, 0.6, 0.12))


def disk_pair():
    """Uniform disks of radii 0.18 and 0.22 (vacuum outside, jumps at the edges)."""
    grid, x, y = grid_and_coordinates()

    def disk(cx, cy, r):
        return (((x - cx) ** 2 + (y - cy) ** 2) <= r * r).astype(float)

    return grid, grid.normalize(disk(0.3, 0.35, 0.18)), grid.normalize(disk(0.65, 0.62, 0.22))


def iterations_to(res, reference: float, target: float = 1e-4) -> int | None:
    """First iteration from which ``|W2^2 / reference - 1| <= target`` holds to the end."""
    w2 = np.asarray(res.history["w2_squared"])
    bad = np.flatnonzero(np.abs(w2 / reference - 1) > target)
    k = int(bad[-1]) + 2 if bad.size else 1
    return k if k <= w2.size else None


def run(pair, max_iter, **kwargs):
    grid, rho0, rho1 = pair
    with pytest.warns(ef.ConvergenceWarning):
        return benamou_brenier(
            rho0,
            rho1,
            grid,
            n_time=N_TIME,
            tol=1e-300,
            max_iter=max_iter,
            backend="numba",
            **kwargs,
        )


@pytest.fixture(scope="module")
def smooth():
    """The smooth pair and its converged W2^2 (1500 iterations; the last 500 within 1e-11)."""
    pair = smooth_pair()
    return pair, run(pair, 1500).w2_squared


def test_balancing_rule():
    rule = ResidualBalancing(mu=10, factor=2, max_changes=2)
    assert rule.factor_for(1.0, 0.5) == 1.0
    assert rule.factor_for(1.0, 0.01) == 0.5  # primal too large: smaller step
    assert rule.factor_for(np.nan, 1.0) == 1.0
    assert rule.factor_for(0.01, 1.0) == 2.0
    assert rule.factor_for(0.01, 1.0) == 1.0  # max_changes reached
    assert rule.changes == 2


def test_smooth_pair_within_100_iterations(smooth):
    """The default method reaches 1e-4 in 27 iterations, with or without adaptation."""
    pair, reference = smooth
    for adaptive in (False, True):
        res = run(pair, 150, adaptive=adaptive)
        assert iterations_to(res, reference) <= 40
        assert res.parameters["adaptive"] is adaptive


@pytest.mark.parametrize(
    ("method", "option", "scale", "fixed_at_least", "adaptive_at_most"),
    [
        ("douglas-rachford", "gamma", 0.1, 150, 70),  # 158 and 59 measured
        ("douglas-rachford", "gamma", 10.0, 290, 100),  # 306 and 89
        ("chambolle-pock", "sigma", 0.1, 280, 100),  # 295 and 90 (sigma / 10: step x 10)
        ("alg2", "r", 0.1, 550, 175),  # 584 and 162
    ],
)
def test_adaptation_rescues_a_bad_step(
    smooth, method, option, scale, fixed_at_least, adaptive_at_most
):
    """A step 10 times too small or too large: residual balancing brings the iterations to 1e-4
    back under 100 (ALG2: 162), where the fixed step needs 150-600."""
    pair, reference = smooth
    grid, rho0, rho1 = pair
    with pytest.warns(ef.ConvergenceWarning):
        default = benamou_brenier(rho0, rho1, grid, n_time=N_TIME, method=method, max_iter=1)
    value = default.parameters[option] * scale
    fixed = run(pair, 700, method=method, **{option: value})
    adaptive = run(pair, 700, method=method, adaptive=True, **{option: value})
    assert iterations_to(fixed, reference) >= fixed_at_least
    assert iterations_to(adaptive, reference) <= adaptive_at_most
    assert adaptive.diagnostics["step_changes"] > 0


@pytest.mark.slow
def test_disks_within_a_few_hundred_iterations():
    """Uniform disks: Douglas-Rachford reaches 1e-4 in 154 iterations with the default step,
    adapted or not (the rule does not fire: the residuals stay within a factor 10)."""
    pair = disk_pair()
    reference = run(pair, 6000).w2_squared
    for adaptive in (False, True):
        res = run(pair, 400, adaptive=adaptive)
        assert iterations_to(res, reference) <= 200
