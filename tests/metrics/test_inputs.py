"""Bad inputs raise errors that name the argument; the score object is read-only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import eulerflow as ef
from eulerflow import metrics

GRID = ef.Grid((8, 8), ((0, 1), (0, 1)))
RHO = np.ones((8, 8))
GOOD = np.full((5, 2), 0.5)

SAMPLE_METRICS = [
    lambda x, rho, **kw: metrics.binned_l1(x, rho, GRID, n_floor=0, **kw),
    lambda x, rho, **kw: metrics.binned_kl(x, rho, GRID, n_floor=0, **kw),
    lambda x, rho, **kw: metrics.mmd_squared(x, rho, GRID, bandwidth=0.1, n_floor=0, **kw),
    lambda x, rho, **kw: metrics.energy_distance(x, rho, GRID, n_floor=0, **kw),
    lambda x, rho, **kw: metrics.w2_samples(x, rho, GRID, n_floor=0, **kw),
    lambda x, rho, **kw: metrics.moment_errors(x, rho, GRID, **kw),
]


@pytest.mark.parametrize("metric", SAMPLE_METRICS)
@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.array([[0.5, np.nan], [0.1, 0.2]]), "samples has 1 samples with NaN"),
        (np.array([[0.5, np.inf]]), "NaN or infinite"),
        (np.full((4, 3), 0.5), r"samples must have shape \(n, 2\)"),
        (np.full(4, 0.5), r"samples must have shape \(n, 2\)"),
        (np.zeros((0, 2)), "samples is empty"),
    ],
)
def test_bad_samples_name_the_argument(metric, samples, message):
    with pytest.raises(ValueError, match=message):
        metric(samples, RHO)


@pytest.mark.parametrize("metric", SAMPLE_METRICS)
@pytest.mark.parametrize(
    ("rho", "message"),
    [
        (-RHO, "rho has negative values"),
        (np.zeros((8, 8)), "rho has zero total mass"),
        (np.full((8, 8), np.nan), "rho has non-finite"),
        (np.ones((4, 4)), "rho has shape"),
    ],
)
def test_bad_reference_names_the_argument(metric, rho, message):
    with pytest.raises(ValueError, match=message):
        metric(GOOD, rho)


def test_bad_options():
    with pytest.raises(ValueError, match="coarsen"):
        metrics.binned_l1(GOOD, RHO, GRID, coarsen=3)
    with pytest.raises(ValueError, match="coarsen"):
        metrics.binned_l1(GOOD, RHO, GRID, coarsen=(2, 2, 2))
    with pytest.raises(ValueError, match="n_floor"):
        metrics.binned_l1(GOOD, RHO, GRID, n_floor=-1)
    with pytest.raises(ValueError, match="pseudocount"):
        metrics.binned_kl(GOOD, RHO, GRID, pseudocount=0.0)
    with pytest.raises(ValueError, match="bandwidth"):
        metrics.mmd_squared(GOOD, RHO, GRID, bandwidth=-1.0)
    with pytest.raises(ValueError, match="method"):
        metrics.w2_samples(GOOD, RHO, GRID, method="sinkhorn")
    with pytest.raises(TypeError, match="grid must be an eulerflow.Grid"):
        metrics.binned_l1(GOOD, RHO, (8, 8))
    with pytest.raises(ValueError, match="samples needs at least 2"):
        metrics.moment_errors(GOOD[:1], RHO, GRID)


def test_density_inputs_name_the_argument():
    with pytest.raises(ValueError, match="reference has negative"):
        metrics.density_l1(RHO, -RHO, GRID)
    with pytest.raises(ValueError, match="rho has non-finite"):
        metrics.density_l2(RHO * np.nan, RHO, GRID)
    with pytest.raises(ValueError, match="rho has shape"):
        metrics.relative_entropy(RHO, RHO, GRID, rho_grid=ef.Grid(4, (0, 1)))
    with pytest.raises(ValueError, match="different dimensions"):
        metrics.remap(np.ones(4), ef.Grid(4, (0, 1)), GRID)
    with pytest.raises(ValueError, match="T must have 2 components"):
        metrics.map_error([RHO], [RHO, RHO], RHO, GRID)
    with pytest.raises(ValueError, match="rho0 has negative"):
        metrics.potential_error(RHO, RHO, -RHO, GRID)


def test_score_is_frozen():
    score = metrics.binned_l1(GOOD, RHO, GRID, n_floor=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        score.value = 0.0
    with pytest.raises(TypeError):
        score.details["bins"] = (1, 1)
