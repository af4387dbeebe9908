"""The harness tells a wrong model from the right one: Ornstein-Uhlenbeck with the diffusion or
the drift 5 % off (exact samples of the wrong law) against the ``ou-anisotropic`` reference.

At which sample size: ``benchmarks/validate_separation.py`` counts the flagged rows over seeds
and times. Measured there (4 seeds x 3 times per cell): at ``n = 3 * 10^4`` per time the
diffusion error is flagged by ``cov_error`` and ``w2`` in 12/12 cases, the drift error by
``mean_error`` and ``w2`` in 12/12, exact samples by none of the moment, binned or W2 rows; at
``n = 10^4`` the rates are 6/12 and 5/12 (diffusion), 9/12 and 8/12 (drift). The single-time
tests use ``3 * 10^4`` samples at ``t = 1``. At ``n = 10^4`` the excesses combined over the three
times (:meth:`ValidationReport.combined`) tell both wrong models apart (the last tests).
"""

from __future__ import annotations

import pytest

import eulerflow as ef

N = 30_000
T = 1.0
FIRM = ("binned_l1", "binned_kl", "mean_error", "cov_error", "w2")
"""Rows whose verdict is firm for exact samples (the kernel metrics' floors, from 10
repetitions of a skewed statistic, flag exact samples now and then: see ``validate``)."""


@pytest.fixture(scope="module")
def problem():
    return ef.problems.get("ou-anisotropic")


def flagged(problem, model, seed: int) -> set[str]:
    samples = model.exact_samples(T, N, rng=seed)
    report = ef.validate(problem, samples=samples, t=T, metrics=FIRM, rng=seed)
    return {row.metric for row in report.rows if row.above_floor}


@pytest.mark.parametrize("seed", (1, 2))
def test_exact_samples_are_not_flagged(problem, seed):
    assert flagged(problem, problem, seed) == set()


@pytest.mark.parametrize("seed", (1, 2))
def test_diffusion_five_percent_off_is_flagged(problem, seed):
    model = ef.problems.get("ou-anisotropic", diffusion=1.05 * problem.diffusion)
    assert {"cov_error", "w2"} <= flagged(problem, model, seed)


@pytest.mark.parametrize("seed", (1, 2))
def test_drift_five_percent_off_is_flagged(problem, seed):
    model = ef.problems.get("ou-anisotropic", drift_scale=1.05 * problem.drift_scale)
    assert {"mean_error", "w2"} <= flagged(problem, model, seed)


def combined(problem, model, seed: int) -> dict[str, float]:
    samples = {
        t: model.exact_samples(t, 10_000, rng=10 * seed + k) for k, t in enumerate(problem.times)
    }
    report = ef.validate(problem, samples=samples, metrics=FIRM, rng=seed)
    z = report.combined()
    for metric in FIRM:  # Stouffer's sum, from the rows
        rows = [report.row(t, metric) for t in problem.times]
        expected = sum((r.value - r.floor) / r.floor_std for r in rows) / len(rows) ** 0.5
        assert z[metric] == pytest.approx(expected, rel=1e-12)
    return z


@pytest.mark.parametrize("seed", (1, 2))
def test_ten_thousand_samples_combined_over_times(problem, seed):
    exact = combined(problem, problem, seed)
    assert max(exact.values()) < 3
    diffusion = ef.problems.get("ou-anisotropic", diffusion=1.05 * problem.diffusion)
    assert max(combined(problem, diffusion, seed)[m] for m in ("cov_error", "w2")) > 3
    drift = ef.problems.get("ou-anisotropic", drift_scale=1.05 * problem.drift_scale)
    z = combined(problem, drift, seed)
    assert z["mean_error"] > 3 and z["w2"] > 3
