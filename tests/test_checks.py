"""Tests for eulerflow.checks: the input checks every solver shares."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.checks import cell_values, check_grid, positive_int, positive_number, working_dtype

GRID = ef.Grid((8, 8), ((-1, 1), (-1, 1)))
RHO = np.ones(GRID.shape)
ENERGY = ef.energies.Entropy()
SOLVERS = {
    "continuity": lambda g: ef.solve_continuity(RHO, g, lambda t, x, y: (y, -x), 0.1),
    "fokker_planck": lambda g: ef.solve_fokker_planck(RHO, g, None, 0.1),
    "gradient_flow": lambda g: ef.solve_gradient_flow(RHO, g, ENERGY, 0.1),
    "hamilton_jacobi": lambda g: ef.solve_hamilton_jacobi(RHO, g, None, 0.1),
    "benamou_brenier": lambda g: ef.benamou_brenier(RHO, RHO, g),
}


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_a_tuple_for_a_grid_is_a_type_error_naming_grid(solver):
    """Defect 5 of issue 10: grid=(8, 8) gave "'tuple' object has no attribute 'size'"."""
    with pytest.raises(TypeError, match=r"grid must be an eulerflow.Grid, e.g. Grid\(shape="):
        SOLVERS[solver]((8, 8))


def test_scalar_checks():
    assert check_grid(GRID) is GRID
    assert positive_number(2, "x") == 2.0 and positive_number(0, "x", allow_zero=True) == 0.0
    for bad, error in (
        (True, TypeError),
        ("1", TypeError),
        (-1.0, ValueError),
        (np.nan, ValueError),
    ):
        with pytest.raises(error, match="x must"):
            positive_number(bad, "x")
    assert positive_int(np.int64(3), "n") == 3
    for bad, error in ((2.0, TypeError), (0, ValueError), (False, TypeError)):
        with pytest.raises(error, match="n must be an integer >= 1"):
            positive_int(bad, "n")


def test_working_dtype_names_the_argument():
    assert working_dtype(np.ones(2, np.float32), "a") == np.float32
    assert working_dtype(np.ones(2, np.int64), "a") == np.float64
    with pytest.raises(TypeError, match="phi0 must be real"):
        working_dtype(np.ones(2, complex), "phi0")
    with pytest.raises(TypeError, match="phi0 must be a real numeric array"):
        working_dtype(np.array(["a"]), "phi0")


def test_cell_values_of_callables_arrays_and_strings():
    x, y = GRID.centers
    np.testing.assert_array_equal(cell_values(lambda x, y: x + y, GRID, "V"), x + y)
    np.testing.assert_array_equal(cell_values(np.zeros((8, 1)), GRID, "V"), np.zeros((8, 8)))
    with pytest.raises(TypeError, match=r"V must be a callable V\(\*coords\) or an array"):
        cell_values("x**2", GRID, "V")
    with pytest.raises(ValueError, match=r"V\(\*coords\) has shape \(3,\)"):
        cell_values(lambda x, y: np.ones(3), GRID, "V")
    with pytest.raises(ValueError, match="non-finite"):
        cell_values(lambda x, y: np.where(x > 0, np.inf, 0.0) + 0 * y, GRID, "V")
