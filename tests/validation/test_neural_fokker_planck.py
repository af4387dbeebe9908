"""Validation of the Fokker-Planck solver against published neural particle results.

The two shipped neural datasets are the samples of two problems of the zoo
(:meth:`~eulerflow.problems.Problem.neural_samples`). For each, the grid reference is checked
first (against the exact solution, or by refinement), then :func:`eulerflow.validate` measures
the neural particles with it.

- ``ou-rose`` (JKO-iFlow): the 2D OU flow ``d_t rho = div(rho x) + Laplace rho`` from a
  Gaussian mixture of 11677 narrow components; the exact solution is the transported mixture,
  whose cell averages are exact (:meth:`~eulerflow.problems.OURose.exact`).
- ``styblinski-tang`` (neural parametric Fokker-Planck): no closed form; the grid reference,
  converged under refinement, is the reference of the moments.

The measured numbers are printed (``pytest -s``) and attached to the test report.
"""

from __future__ import annotations

import math

import numpy as np

import eulerflow as ef
from eulerflow.metrics import binned_l1, density_moments


# -- JKO-iFlow, Ornstein-Uhlenbeck from a Gaussian mixture -----------------------------------------
def test_rose_ou_grid_is_exact_and_neural_error_is_measured(record_property):
    problem = ef.problems.get("ou-rose")
    times = problem.times
    fine = problem.resolution  # 112 cells: 8 x 8 cells per 1 x 1 bin of [-7, 7]^2

    # The grid reference against the exact cell averages, and its order under refinement (the
    # problem's tests check the default resolution against its tolerance, not the order).
    reports = {}
    for n in (fine // 2, fine):
        grid = problem.grid(n)
        exact = {t: problem.exact(t, grid) for t in times}
        reports[n] = ef.validate(problem, density=exact, resolution=n, metrics="density_l1")
    errors = [[reports[n].row(t, "density_l1").value for t in times] for n in reports]
    orders = [math.log2(c / f) for c, f in zip(errors[0], errors[1], strict=True)]
    print(f"\nrose OU: grid L1 errors {errors} (n = {list(reports)}), orders {orders}")
    assert max(errors[1]) < 2e-3
    assert min(orders) >= 1.8

    # The neural particles on the problem's 1 x 1 bins, against the reference and its floor.
    grid, exact_report = problem.grid(), reports[fine]
    neural = problem.neural_samples()
    report = ef.validate(
        problem, samples=neural, metrics=["binned_l1", "mean_error", "cov_error"], rng=7
    )
    print(report.table())
    for k, t in enumerate(times):
        # binned L1 of the grid reference against the exact solution, from the binned fields
        diff = exact_report.output[k] - exact_report.reference[k]
        grid_l1 = float(np.abs(diff).sum() * exact_report.bins.cell_volume)
        row = report.row(t, "binned_l1")
        neural_l1, floor_l1 = row.value, row.floor
        # the same bins against the exact solution instead of the reference: they differ by
        # at most the grid's binned error (triangle inequality)
        coarsen = problem.resolution // problem.bins
        exact_l1 = binned_l1(neural[t], problem.exact(t, grid), grid, coarsen=coarsen, n_floor=0)
        assert abs(exact_l1.value - neural_l1) <= grid_l1 + 1e-6
        z = report.row(t, "cov_error").details["z"]
        print(
            f"rose OU t={t}: binned L1 grid {grid_l1:.2e}, neural {neural_l1:.3f} "
            f"({exact_l1.value:.3f} against the exact solution), sampling floor "
            f"{floor_l1:.3f}; neural moment error / SE max {z:.1f}"
        )
        record_property(
            f"rose_t{t}_binned_l1",
            (float(grid_l1), float(neural_l1), float(floor_l1), float(z)),
        )
        assert grid_l1 < 3e-3
        assert grid_l1 < floor_l1 / 10  # the grid is far below any 20000-sample method's noise
        assert neural_l1 > 3 * floor_l1  # the neural error is visible beyond sampling noise
        assert row.above_floor


# -- neural parametric Fokker-Planck, Styblinski-Tang potential ------------------------------------
def test_styblinski_tang_grid_converges_and_bounds_the_neural_moments(record_property):
    problem = ef.problems.get("styblinski-tang")
    times = problem.times
    resolutions = (problem.resolution // 4, problem.resolution // 2, problem.resolution)
    moments = [
        [density_moments(rho, problem.grid(n)) for rho in problem.reference(resolution=n)]
        for n in resolutions
    ]
    report = ef.validate(
        problem, samples=problem.neural_samples(), metrics=["mean_error", "cov_error"], rng=3
    )
    print(report.table())
    for k, t in enumerate(times):
        (m1, c1), (m2, c2), (m3, c3) = (m[k] for m in moments)
        d12 = max(np.abs(m2 - m1).max(), np.abs(c2 - c1).max())
        d23 = max(np.abs(m3 - m2).max(), np.abs(c3 - c2).max())
        print(
            f"\nStyblinski-Tang t={t}: moment changes under refinement {d12:.2e}, {d23:.2e} "
            f"(n = {resolutions})"
        )
        assert d23 < 4e-3 and d23 < d12 / 3.5  # converging at second order
        # validate's moment rows: the neural sample moments against those of the reference at
        # the default resolution, with standard errors estimated from the sample
        mean, cov = report.row(t, "mean_error"), report.row(t, "cov_error")
        se_mean, se_cov = np.asarray(mean.details["se"]), np.asarray(cov.details["se"])
        z_mean = np.abs(np.asarray(mean.details["error"])) / se_mean
        z_var = np.abs(np.diag(np.asarray(cov.details["error"]))) / np.diag(se_cov)
        neural = problem.neural_samples()[t]
        print(
            f"  grid mean {m3}, variances {np.diag(c3)}; neural mean {neural.mean(axis=0)}, "
            f"variances {np.var(neural, axis=0, ddof=1)}; |neural - grid| / SE: mean "
            f"{z_mean.max():.2f}, variance {z_var.max():.2f}, all moments {cov.details['z']:.2f}"
        )
        record_property(f"st_t{t}_z", (float(z_mean.max()), float(z_var.max())))
        # The grid's own error at the default resolution (about d23 / 3, second order) is far
        # below the sampling error of 2000 particles, so the neural moments are judged against
        # sampling noise alone: within 5 standard errors.
        assert d23 / 3 < 0.1 * min(np.diag(se_cov).min(), se_mean.min())
        assert z_mean.max() < 5 and z_var.max() < 5
