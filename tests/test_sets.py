"""Target sets as signed distances: values at known points, zero level sets, set algebra."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow import sets


@pytest.fixture
def grid():
    return ef.Grid((40, 30, 8), [(-2, 2), (-1.5, 1.5), (0, 1)])


def test_ball_is_the_signed_distance(grid):
    values = sets.ball(grid, (0.5, 0.0, 0.5), 1.0)
    x, y, z = grid.centers
    want = np.sqrt((x - 0.5) ** 2 + y**2 + (z - 0.5) ** 2) - 1.0
    np.testing.assert_allclose(values, np.broadcast_to(want, grid.shape), rtol=0, atol=1e-15)
    assert values.shape == grid.shape


def test_cylinder_does_not_depend_on_the_other_axes(grid):
    values = sets.cylinder(grid, (0.0, 0.0), 1.0, axes=(0, 1))
    assert np.all(values == values[..., :1])
    x, y, _ = grid.centers
    np.testing.assert_allclose(values[..., 0], (np.sqrt(x**2 + y**2) - 1.0)[..., 0])


def test_box_distance_inside_and_outside():
    grid = ef.Grid((5, 5), [(-2.5, 2.5), (-2.5, 2.5)])  # centres at -2, -1, 0, 1, 2
    values = sets.box(grid, (-1.0, -1.0), (1.0, 1.0))
    assert values[2, 2] == -1.0  # the centre: one unit from every face
    assert values[3, 2] == 0.0  # on a face
    assert values[4, 2] == 1.0  # one unit outside a face
    assert values[4, 4] == pytest.approx(np.sqrt(2.0))  # outside a corner: Euclidean


def test_union_and_intersection_are_min_and_max(grid):
    a = sets.ball(grid, (-0.5, 0.0, 0.5), 0.8)
    b = sets.box(grid, (0.0, -0.5), (1.5, 0.5), axes=(0, 1))
    np.testing.assert_array_equal(sets.union(a, b), np.minimum(a, b))
    np.testing.assert_array_equal(sets.intersection(a, b), np.maximum(a, b))
    inside = (sets.union(a, b) <= 0) == ((a <= 0) | (b <= 0))
    assert inside.all()
    np.testing.assert_array_equal(sets.complement(a), -a)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda g: sets.ball(g, (0.0, 0.0), 1.0), ValueError, "one value per axis"),
        (lambda g: sets.ball(g, (0.0, 0.0, 0.0), -1.0), ValueError, "radius must be"),
        (lambda g: sets.cylinder(g, (0.0, 0.0), 1.0, axes=(0, 3)), ValueError, "distinct axes"),
        (lambda g: sets.box(g, (1.0,), (0.0,), axes=(2,)), ValueError, "lower < upper"),
        (lambda g: sets.ball("grid", (0.0,), 1.0), TypeError, "grid must be a eulerflow Grid"),
        (lambda g: sets.union(), ValueError, "at least one set"),
        (lambda g: sets.intersection(), ValueError, "at least one set"),
    ],
)
def test_bad_sets_are_named(grid, make, error, match):
    with pytest.raises(error, match=match):
        make(grid)
