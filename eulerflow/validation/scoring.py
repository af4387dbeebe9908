"""The metrics of one output at one time, as report rows; and the binned fields of the figure.

Three kinds of output, three metric sets (the names of :func:`eulerflow.validate`'s
``metrics``):

samples (``n`` points ``x_i``)
    ``binned_l1``, ``binned_kl`` (:func:`eulerflow.metrics.binned_l1`, ``binned_kl``) on the
    problem's ``bins`` (``coarsen = resolution // bins`` cells per bin); ``mean_error``
    ``|xbar - m|`` and ``cov_error`` ``||S - C||_F`` (Frobenius) against the reference moments
    (:func:`eulerflow.metrics.moment_errors`, floor by resampling ``n`` points of the
    reference); ``w2`` (:func:`eulerflow.metrics.w2_samples`: exact discrete OT against the
    bin centres when ``n * bins <= EXACT_W2_ENTRIES``, else binned on the bins); ``mmd2`` (Gaussian
    kernel of the problem's ``bandwidth``) and ``energy_distance`` on a random subsample of at
    most :data:`KERNEL_SAMPLES` points against the bin centres (their cost is ``O(n^2 + n m)``).
density (cell averages on the reference grid, or on another grid, remapped)
    ``density_l1``, ``density_l2``, ``relative_entropy`` ``KL(rho || reference)``.
values (Hamilton-Jacobi)
    ``values_l1`` ``int |u - u_ref| dx``, ``values_l2`` ``(int |u - u_ref|^2 dx)^(1/2)``,
    ``values_sup`` ``max_c |u_c - u_ref,c|`` over the cell centres.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..grid import Grid
from ..metrics import (
    binned_kl,
    binned_l1,
    density_l1,
    density_l2,
    energy_distance,
    mmd_squared,
    moment_errors,
    relative_entropy,
    remap,
    w2_samples,
)
from ..metrics.binned import bin_counts
from ..metrics.inputs import as_reference, block_sums
from ..metrics.score import Score
from ..particles.sampling import sample
from .rows import Row

SAMPLE_METRICS = (
    "binned_l1",
    "binned_kl",
    "mean_error",
    "cov_error",
    "w2",
    "mmd2",
    "energy_distance",
)
DENSITY_METRICS = ("density_l1", "density_l2", "relative_entropy")
VALUES_METRICS = ("values_l1", "values_l2", "values_sup")
METRICS = {"samples": SAMPLE_METRICS, "density": DENSITY_METRICS, "values": VALUES_METRICS}
"""The metrics of each kind of output, in the order of the report."""

CHEAP = ("binned_l1", "binned_kl", "mean_error", "cov_error")
"""The metrics whose floor repetitions are cheap (``O(bins)`` or ``O(n)``)."""

N_FLOOR_CHEAP = 20
N_FLOOR_OTHER = 10
"""Default floor repetitions: the cheap metrics, and the others (every repetition of W2 or of
a kernel metric costs as much as the value)."""

KERNEL_SAMPLES = 1000
"""Largest number of samples the kernel metrics see (a random subsample beyond it)."""

EXACT_W2_ENTRIES = 1 << 20
"""W2 is exact discrete OT against the bin centres when ``n * (bins of positive mass)`` is at
most this, binned otherwise."""


@dataclass(frozen=True)
class Setup:
    """What every metric of one validation shares."""

    grid: Grid
    bins: Grid
    coarsen: tuple[int, ...]
    bandwidth: float
    n_floor: int | None

    def repetitions(self, metric: str) -> int:
        """Floor repetitions of ``metric``."""
        if self.n_floor is not None:
            return self.n_floor
        return N_FLOOR_CHEAP if metric in CHEAP else N_FLOOR_OTHER


def score_samples(
    x: np.ndarray, reference: np.ndarray, setup: Setup, metrics: tuple[str, ...], seed
) -> list[Row]:
    """The rows of ``metrics`` for the samples ``x`` (shape ``(n, d)``) against ``reference``."""
    # one stream per metric of SAMPLE_METRICS, whichever are chosen (reproducible subsets)
    streams = seed.spawn(len(SAMPLE_METRICS))
    gens = {m: np.random.default_rng(s) for m, s in zip(SAMPLE_METRICS, streams, strict=True)}
    q_bins = block_sums(as_reference(reference, setup.grid), setup.coarsen)
    t_rows: list[Row] = []
    done_moments = False
    for metric in metrics:
        reps, gen = setup.repetitions(metric), gens[metric]
        if metric in ("mean_error", "cov_error"):
            if not done_moments:
                t_rows += [
                    row
                    for row in _moment_rows(x, reference, setup.grid, reps, gen)
                    if row.metric in metrics
                ]
                done_moments = True
            continue
        score, extra = _SAMPLE_SCORES[metric](x, reference, q_bins, setup, reps, gen)
        t_rows.append(Row.from_score(math.nan, metric, score, **extra))
    return t_rows


def _binned_l1(x, reference, q_bins, setup: Setup, reps, gen):
    score = binned_l1(x, reference, setup.grid, coarsen=setup.coarsen, n_floor=reps, rng=gen)
    return score, {}


def _binned_kl(x, reference, q_bins, setup: Setup, reps, gen):
    score = binned_kl(x, reference, setup.grid, coarsen=setup.coarsen, n_floor=reps, rng=gen)
    return score, {}


def _w2(x, reference, q_bins, setup: Setup, reps, gen):
    occupied = int(np.count_nonzero(q_bins))
    if x.shape[0] * occupied <= EXACT_W2_ENTRIES:
        score = w2_samples(x, q_bins, setup.bins, method="exact", n_floor=reps, rng=gen)
        return score, {"reference": "bin centres"}
    score = w2_samples(
        x, reference, setup.grid, method="binned", coarsen=setup.coarsen, n_floor=reps, rng=gen
    )
    return score, {}


def _kernel(metric: Callable[..., Score], options: Callable[[Setup], dict]):
    """A kernel metric on a subsample of at most :data:`KERNEL_SAMPLES` points."""

    def run(x, reference, q_bins, setup: Setup, reps, gen):
        n = x.shape[0]
        subsample = x
        if n > KERNEL_SAMPLES:
            subsample = x[np.sort(gen.choice(n, KERNEL_SAMPLES, replace=False))]
        score = metric(subsample, q_bins, setup.bins, n_floor=reps, rng=gen, **options(setup))
        return score, {"subsample": subsample.shape[0], "of": n, "reference": "bin centres"}

    return run


def _moment_rows(x, reference, grid: Grid, reps: int, gen) -> list[Row]:
    """``mean_error = |xbar - m|`` and ``cov_error = ||S - C||_F``, floors by resampling."""

    def norms(points: np.ndarray) -> tuple[float, float, float]:
        e = moment_errors(points, reference, grid)
        return float(np.linalg.norm(e.mean_error)), float(np.linalg.norm(e.cov_error)), e.z

    errors = moment_errors(x, reference, grid)
    values = norms(x)
    draws = np.array([norms(sample(reference, grid, x.shape[0], gen))[:2] for _ in range(reps)])
    rows = []
    for k, metric in enumerate(("mean_error", "cov_error")):
        floor = floor_std = None
        if reps:
            floor = float(draws[:, k].mean())
            floor_std = float(draws[:, k].std(ddof=min(1, reps - 1)))
        score = Score(
            value=values[k],
            floor=floor,
            floor_std=floor_std,
            n=errors.n,
            n_outside=errors.n_outside,
            method="resampled",
            details={"n_floor": reps},
        )
        error = errors.mean_error if k == 0 else errors.cov_error
        se = errors.mean_se if k == 0 else errors.cov_se
        rows.append(Row.from_score(math.nan, metric, score, error=error, se=se, z=values[2]))
    return rows


_SAMPLE_SCORES = {
    "binned_l1": _binned_l1,
    "binned_kl": _binned_kl,
    "w2": _w2,
    "mmd2": _kernel(mmd_squared, lambda setup: {"bandwidth": setup.bandwidth}),
    "energy_distance": _kernel(energy_distance, lambda setup: {}),
}


def score_density(
    rho: np.ndarray, rho_grid: Grid, reference: np.ndarray, setup: Setup, metrics: tuple[str, ...]
) -> list[Row]:
    """The rows of ``metrics`` for the density ``rho`` (cell averages on ``rho_grid``)."""
    functions = {
        "density_l1": density_l1,
        "density_l2": density_l2,
        "relative_entropy": relative_entropy,
    }
    other = None if rho_grid == setup.grid else rho_grid
    return [
        Row.from_score(math.nan, m, functions[m](rho, reference, setup.grid, rho_grid=other))
        for m in metrics
    ]


def score_values(
    u: np.ndarray, reference: np.ndarray, setup: Setup, metrics: tuple[str, ...]
) -> list[Row]:
    """The rows of ``metrics`` for the values ``u`` at the cell centres."""
    diff = np.abs(u - reference)
    grid = setup.grid
    values = {
        "values_l1": float(grid.integrate(diff)),
        "values_l2": math.sqrt(float(grid.integrate(diff**2))),
        "values_sup": float(diff.max()),
    }
    return [Row(t=math.nan, metric=m, value=values[m], method="cell centres") for m in metrics]


# -- the fields of the figure: everything on the bins ---------------------------------------------
def binned_samples(x: np.ndarray, setup: Setup) -> np.ndarray:
    """Density of the samples on the bins: ``N_b / (n |bin|)`` (samples outside not shown)."""
    counts = bin_counts(x, setup.bins)[:-1].reshape(setup.bins.shape)
    return counts / (x.shape[0] * setup.bins.cell_volume)


def binned_field(values: np.ndarray, grid: Grid, setup: Setup) -> np.ndarray:
    """Averages over the bins of cell averages on ``grid`` (remapped first if it is another)."""
    if grid != setup.grid:
        values, _ = remap(values, grid, setup.grid)
    cells = math.prod(setup.coarsen)
    return block_sums(np.asarray(values, dtype=float), setup.coarsen) / cells
