"""The hj-quadratic problem: WENO5 reference against the Hopf-Lax solution."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef


def test_reference_is_within_its_sup_tolerance_of_the_hopf_lax_solution():
    """Measured at 128^2: sup 1.2e-2, 9.7e-3, 8.4e-3; L1 1.7e-3, 1.4e-3, 1.1e-3."""
    problem = ef.problems.get("hj-quadratic")
    assert problem.output == "values"
    grid = problem.grid()
    reference = problem.reference()
    for k, t in enumerate(problem.times):
        error = reference[k] - problem.exact(t, grid)
        assert np.abs(error).max() <= problem.tolerance
        assert np.abs(error).sum() * grid.cell_volume <= 3e-3


def test_closed_form_agrees_with_the_discrete_hopf_lax_minimum():
    """An independent method: the minimum over the grid of ``phi0(y) + |x - y|^2 / (2 t)``
    (measured sup difference 8.2e-4 at 128^2 for t = 1, 2.0e-4 at 256^2: second order)."""
    problem = ef.problems.get("hj-quadratic")
    for n, bound in ((128, 1.2e-3), (256, 3e-4)):
        grid = problem.grid(n)
        discrete = ef.exact.hopf_lax(problem.initial(grid), grid, 1.0)
        assert np.abs(discrete - problem.exact(1.0, grid)).max() <= bound


def test_the_solution_has_a_kink_at_every_time():
    problem = ef.problems.get("hj-quadratic")
    grid = problem.grid(64)
    for t in problem.times:
        phi = problem.exact(t, grid)
        branches = [
            ef.exact.hj_quadratic_solution(grid, np.asarray(Q), t, c, o)
            for c, Q, o in zip(problem.centers, problem.hessians, problem.offsets, strict=True)
        ]
        active = np.argmin(branches, axis=0)
        assert 0 < active.mean() < 1  # both branches are active somewhere
        np.testing.assert_array_equal(phi, np.minimum(*branches))


def test_hessians_must_be_positive_semidefinite():
    with pytest.raises(ValueError, match="positive semidefinite"):
        ef.problems.get(
            "hj-quadratic", hessians=(((1.0, 0.0), (0.0, -1.0)), ((1.0, 0.0), (0.0, 1.0)))
        )
    with pytest.raises(ValueError, match="same positive length"):
        ef.problems.get("hj-quadratic", offsets=(0.0,))
