"""Timing and sensitivity of the sample metrics (``eulerflow.metrics``).

Part 1: ``binned_l1`` with its floor (20 multinomial repetitions) for 10^5 samples on a 128^2
reference in 2D, timed after a warm-up call (the first call in a process also loads the Numba
deposit kernel).

Part 2: at which sample size each metric tells a wrong model from the reference
``N(0, I)`` on ``[-5, 5]^2`` (64^2 cells; 32^2 for the kernel metrics, whose cost grows like
``n^2``). The floor of each metric is estimated once per sample size (it does not depend on the
samples; 20 repetitions, 5 for the kernel metrics); a model counts as told apart from ``n`` on
when, at ``n`` and every larger size, the median over three seeds of
``(value - floor) / floor_std`` exceeds 3 (for the moments: of the largest ``|error| / SE``).

Run from the repository root::

    PYTHONPATH=. python benchmarks/metrics.py        # about 2 minutes on 2 cores
"""

from __future__ import annotations

import math
import time

import numpy as np

import eulerflow as ef
from eulerflow import metrics

SIZES = (1000, 3000, 10_000, 30_000, 100_000)
KERNEL_SIZES = (1000, 3000, 10_000)
MODELS = {
    "variance +5%": (np.zeros(2), math.sqrt(1.05)),
    "variance +10%": (np.zeros(2), math.sqrt(1.10)),
    "mean +0.05": (np.array([0.05, 0.0]), 1.0),
    "mean +0.1": (np.array([0.1, 0.0]), 1.0),
}
SEEDS = (1, 2, 3)


def timing() -> None:
    grid = ef.Grid((128, 128), ((-5, 5), (-5, 5)))
    rho = ef.exact.gaussian_density(grid, (0, 0), np.eye(2))
    x = np.random.default_rng(0).standard_normal((100_000, 2))
    start = time.perf_counter()
    metrics.binned_l1(x, rho, grid, rng=1)
    first = time.perf_counter() - start
    times = []
    for seed in range(5):
        start = time.perf_counter()
        score = metrics.binned_l1(x, rho, grid, rng=seed)
        times.append(time.perf_counter() - start)
    print(
        f"binned_l1 + floor (20 repetitions), 10^5 samples, 128^2 reference: "
        f"median {1e3 * np.median(times):.0f} ms (first call {first:.2f} s); "
        f"L1 {score.value:.4f}, floor {score.floor:.4f} +- {score.floor_std:.4f}"
    )


def separation() -> None:
    fine = ef.Grid((64, 64), ((-5, 5), (-5, 5)))
    coarse = ef.Grid((32, 32), ((-5, 5), (-5, 5)))
    rho_fine = ef.exact.gaussian_density(fine, (0, 0), np.eye(2))
    rho_coarse = ef.exact.gaussian_density(coarse, (0, 0), np.eye(2))
    scorers = {
        "binned L1 (16^2 bins)": (
            lambda x, **kw: metrics.binned_l1(x, rho_fine, fine, coarsen=4, **kw),
            SIZES,
        ),
        "binned L1 (64^2 bins)": (
            lambda x, **kw: metrics.binned_l1(x, rho_fine, fine, **kw),
            SIZES,
        ),
        "binned KL (16^2 bins)": (
            lambda x, **kw: metrics.binned_kl(x, rho_fine, fine, coarsen=4, **kw),
            SIZES,
        ),
        "W2 binned (32^2 bins)": (
            lambda x, **kw: metrics.w2_samples(x, rho_fine, fine, method="binned", coarsen=2, **kw),
            SIZES,
        ),
        "MMD^2 (s = 1)": (
            lambda x, **kw: metrics.mmd_squared(x, rho_coarse, coarse, bandwidth=1.0, **kw),
            KERNEL_SIZES,
        ),
        "energy distance": (
            lambda x, **kw: metrics.energy_distance(x, rho_coarse, coarse, **kw),
            KERNEL_SIZES,
        ),
    }
    header = "metric".ljust(24) + "".join(name.rjust(16) for name in MODELS)
    print("\nsmallest n with median excess > 3 (median excess at 10^4 in brackets)\n" + header)
    for name, (score, sizes) in scorers.items():
        repetitions = 5 if sizes is KERNEL_SIZES else 20
        medians = {model: {} for model in MODELS}
        for n in sizes:
            floor = score(np.zeros((n, 2)), n_floor=repetitions, rng=n)
            for model, (mean, std) in MODELS.items():
                excess = [
                    (score(_draw(mean, std, n, seed), n_floor=0).value - floor.floor)
                    / floor.floor_std
                    for seed in SEEDS
                ]
                medians[model][n] = float(np.median(excess))
        print(name.ljust(24) + "".join(_cell(medians[m]) for m in MODELS), flush=True)
    medians = {
        model: {
            n: float(
                np.median(
                    [metrics.moment_errors(_draw(mean, std, n, s), rho_fine, fine).z for s in SEEDS]
                )
            )
            for n in SIZES
        }
        for model, (mean, std) in MODELS.items()
    }
    print("moments (max |z|)".ljust(24) + "".join(_cell(medians[m]) for m in MODELS))


def _draw(mean: np.ndarray, std: float, n: int, seed: int) -> np.ndarray:
    return mean + std * np.random.default_rng(seed).standard_normal((n, 2))


def _cell(medians: dict[int, float]) -> str:
    """The smallest size from which on every median exceeds 3, and the median at 10^4."""
    sizes = sorted(medians)
    told = [n for i, n in enumerate(sizes) if all(medians[m] > 3 for m in sizes[i:])]
    text = f"{told[0]:>6}" if told else "  >max"
    return f"{text} ({medians[10_000]:5.1f})".rjust(16)


if __name__ == "__main__":
    timing()
    separation()
