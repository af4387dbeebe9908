"""The Fokker-Planck problems of the zoo: their references against the exact solutions (or by
refinement), their exact samplers against the exact moments, their shipped neural samples.

The numbers are printed (``pytest -s``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.exact import ou_moments

EXACT = ("heat", "ou-anisotropic", "ou-rose")
GRID_ONLY = ("styblinski-tang", "double-well")


def l1(grid, a, b) -> float:
    return float(grid.integrate(np.abs(np.asarray(a) - np.asarray(b))))


def coarsen(rho: np.ndarray, factor: int) -> np.ndarray:
    """Cell averages of a grid ``factor`` times coarser (exact for cell averages)."""
    n0, n1 = rho.shape
    return rho.reshape(n0 // factor, factor, n1 // factor, factor).mean(axis=(1, 3))


def grid_moments(grid, rho):
    """Mean and covariance of a smooth density from its cell averages, to O(h^4): the
    midpoint sums of x and x^2 against cell averages ``rho(x_i) + h^2 rho''(x_i) / 24 + ...``
    are the moments plus ``0`` and ``h^2 / 12`` (Euler-Maclaurin)."""
    x, y = (np.broadcast_to(c, grid.shape) for c in grid.centers)
    h = grid.spacing
    mass = grid.integrate(rho)
    mean = np.array([grid.integrate(rho * x), grid.integrate(rho * y)]) / mass
    dx, dy = x - mean[0], y - mean[1]
    cov = np.array(
        [
            [grid.integrate(rho * (dx * dx - h[0] ** 2 / 12)), grid.integrate(rho * dx * dy)],
            [grid.integrate(rho * dx * dy), grid.integrate(rho * (dy * dy - h[1] ** 2 / 12))],
        ]
    )
    return mean, cov / mass


def exact_moments(problem, t):
    """Mean and covariance of the exact law, from each problem's closed form."""
    if problem.name == "heat":
        return np.zeros(2), problem.variance(t) * np.eye(2)
    if problem.name == "ou-anisotropic":
        return problem.moments(t)
    means, var, weights = problem.mixture(t)
    mean = weights @ means
    centred = means - mean
    return mean, centred.T @ (centred * weights[:, None]) + np.diag(var)


# -- references against the exact solutions --------------------------------------------------------
@pytest.mark.parametrize("name", EXACT)
def test_reference_is_within_the_stated_tolerance_of_the_exact_solution(name):
    problem = ef.problems.get(name)
    grid = problem.grid()
    ref = problem.reference()
    errors = [l1(grid, ref[k], problem.exact(t, grid)) for k, t in enumerate(problem.times)]
    print(f"\n{name} at {problem.resolution}: L1 to exact {errors}, tolerance {problem.tolerance}")
    assert max(errors) <= problem.tolerance
    # honest, not loose: the stated tolerance is at most twice the measured error
    assert problem.tolerance <= 2 * max(errors)
    mass0 = grid.integrate(problem.initial(grid))
    np.testing.assert_allclose([grid.integrate(r) for r in ref], mass0, rtol=1e-12)
    assert abs(mass0 - 1) < 1e-6  # the box holds (almost) all the mass


@pytest.mark.parametrize("name", EXACT)
def test_exact_cell_averages_have_the_exact_moments(name):
    """The cell averages of ``exact`` against the closed-form moments (an independent check of
    the formulas the references are measured with), at the problem's times (the rose's
    components at ``t = 0`` are narrower than a cell); the boxes hold all but ``1e-6`` of the
    mass."""
    problem = ef.problems.get(name)
    grid = problem.grid()
    for t in problem.times:
        exact = problem.exact(t, grid)
        assert grid.integrate(exact) > 1 - 1e-6
        mean, cov = grid_moments(grid, exact)
        exact_mean, exact_cov = exact_moments(problem, t)
        np.testing.assert_allclose(mean, exact_mean, atol=1e-6)
        np.testing.assert_allclose(cov, exact_cov, atol=1e-5)


def test_anisotropic_ou_solves_the_nonsymmetric_equation():
    """The exact law is that of the non-symmetric drift (not of its symmetric part), and the
    5 % wrong models change it measurably."""
    problem = ef.problems.get("ou-anisotropic")
    A = np.asarray(problem.matrix)
    assert not np.allclose(A, A.T) and np.all(np.linalg.eigvalsh(0.5 * (A + A.T)) > 0)
    mean, cov = problem.moments(1.0)
    sym_mean, _ = ou_moments(1.0, 0.5 * (A + A.T), problem.centre, 1.0, problem.mean0, 0.25)
    assert np.abs(mean - sym_mean).max() > 0.05
    for wrong in ({"diffusion": 1.05}, {"drift_scale": 1.05}):
        other_mean, other_cov = ef.problems.get("ou-anisotropic", **wrong).moments(1.0)
        change = max(np.abs(other_mean - mean).max(), np.abs(other_cov - cov).max())
        assert change > 0.01, wrong


# -- references by refinement ----------------------------------------------------------------------
@pytest.mark.parametrize("name", GRID_ONLY)
def test_reference_converges_at_second_order(name):
    problem = ef.problems.get(name)
    refs = {n: problem.reference(resolution=n) for n in (32, 64, 128)}
    diffs = []
    for coarse, fine in ((32, 64), (64, 128)):
        grid = problem.grid(coarse)
        diffs.append(
            [
                l1(grid, refs[coarse][k], coarsen(refs[fine][k], fine // coarse))
                for k in range(len(problem.times))
            ]
        )
    orders = [math.log2(a / b) for a, b in zip(diffs[0], diffs[1], strict=True)]
    print(f"\n{name}: L1 differences 32/64 {diffs[0]}, 64/128 {diffs[1]}, orders {orders}")
    assert min(orders) >= 1.8
    for n, ref in refs.items():
        grid = problem.grid(n)
        mass0 = grid.integrate(problem.initial(grid))
        np.testing.assert_allclose([grid.integrate(r) for r in ref], mass0, rtol=1e-12)
        assert abs(mass0 - 1) < 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("name", GRID_ONLY)
def test_default_reference_is_within_its_tolerance_of_the_refined_one(name):
    """Measured: styblinski-tang 160 / 320: 0.99e-4, 1.65e-4 (tolerance 3e-4); double-well
    128 / 256: 1.62e-3, 1.52e-3, 1.65e-3 (tolerance 3e-3)."""
    problem = ef.problems.get(name)
    n = problem.resolution
    ref, fine = problem.reference(), problem.reference(resolution=2 * n)
    grid = problem.grid()
    errors = [l1(grid, ref[k], coarsen(fine[k], 2)) for k in range(len(problem.times))]
    print(f"\n{name}: L1 {n} vs {2 * n} {errors}, tolerance {problem.tolerance}")
    assert max(errors) <= problem.tolerance <= 2 * max(errors)


# -- exact samples and neural samples --------------------------------------------------------------
@pytest.mark.parametrize("name", EXACT)
def test_exact_samples_have_the_exact_moments(name):
    """Sample mean and covariance within 4.5 standard errors of the exact ones, the standard
    errors estimated from the samples (n = 20000; 5 moments at each time)."""
    problem = ef.problems.get(name)
    n = 20_000
    rng = np.random.default_rng(11)
    for t in problem.times:
        x = problem.exact_samples(t, n, rng)
        assert x.shape == (n, 2) and np.all(np.isfinite(x))
        mean, cov = exact_moments(problem, t)
        z_mean = np.abs(x.mean(axis=0) - mean) / (x.std(axis=0, ddof=1) / math.sqrt(n))
        d = x - mean
        products = d[:, :, None] * d[:, None, :]
        z_cov = np.abs(products.mean(axis=0) - cov) / (products.std(axis=0, ddof=1) / math.sqrt(n))
        print(f"\n{name} t={t}: |mean error| / SE {z_mean.max():.2f}, cov {z_cov.max():.2f}")
        assert z_mean.max() < 4.5 and z_cov.max() < 4.5


def test_exact_samples_are_reproducible():
    problem = ef.problems.get("ou-rose")
    a = problem.exact_samples(0.25, 100, rng=3)
    np.testing.assert_array_equal(a, problem.exact_samples(0.25, 100, rng=3))


@pytest.mark.parametrize(("name", "count"), [("ou-rose", 20_000), ("styblinski-tang", 2_000)])
def test_neural_samples_are_given_at_the_problem_times(name, count):
    problem = ef.problems.get(name)
    samples = problem.neural_samples()
    assert sorted(samples) == list(problem.times)
    for x in samples.values():
        assert x.shape == (count, 2) and x.dtype == np.float64 and np.all(np.isfinite(x))
        assert not x.flags.writeable
        lo, hi = np.array(problem.bounds).T
        assert np.mean(np.all((x > lo) & (x < hi), axis=1)) > 0.999


@pytest.mark.parametrize("name", ("heat", "ou-anisotropic", "double-well"))
def test_problems_without_neural_samples(name):
    assert ef.problems.get(name).neural_samples() == {}


def test_grid_only_problems_have_no_exact_solution():
    for name in GRID_ONLY:
        problem = ef.problems.get(name)
        assert not problem.has_exact
        with pytest.raises(NotImplementedError, match=name):
            problem.exact(problem.times[0], problem.grid(8))
        with pytest.raises(NotImplementedError, match=name):
            problem.exact_samples(problem.times[0], 10)


# -- parameters ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("heat", "diffusion", 0.0),
        ("heat", "std0", -1.0),
        ("ou-anisotropic", "drift_scale", math.nan),
        ("ou-anisotropic", "matrix", ((1.0, 0.0),)),
        ("ou-anisotropic", "mean0", (1.0, 2.0, 3.0)),
        ("ou-rose", "diffusion", -1.0),
        ("styblinski-tang", "diffusion", 0.0),
        ("double-well", "mean0", (0.0,)),
        ("double-well", "std0", 0.0),
    ],
)
def test_bad_parameters_name_the_field(name, field, value):
    with pytest.raises(ValueError, match=field):
        ef.problems.get(name, **{field: value})


def test_parameters_change_the_problem():
    """Another diffusion is another problem (another reference, another cache file)."""
    base = ef.problems.get("double-well")
    other = ef.problems.get("double-well", diffusion=0.4)
    assert base.cache_key(32) != other.cache_key(32)
    ref = base.reference(resolution=32)
    assert l1(base.grid(32), ref[-1], other.reference(resolution=32)[-1]) > 1e-2
    # tuples of lists are stored as plain tuples (hashable, the same key)
    listed = ef.problems.get("ou-anisotropic", matrix=[[1.0, 0.5], [-0.3, 2.0]])
    assert listed == ef.problems.get("ou-anisotropic") and hash(listed)
