import numpy as np
import pytest

import eulerflow as ef
from eulerflow.equations.face_velocity import FaceVelocity, max_courant_rate


def field(t, x, y):
    return (np.sin(2 * np.pi * x) * np.cos(y) + t, np.cos(np.pi * y) + x)


def test_callable_is_sampled_at_face_centres():
    grid = ef.Grid((6, 5), ((0, 1), (0, 2)), periodic=(True, False))
    faces = FaceVelocity(field, grid, np.float64)(0.5)
    for axis in range(2):
        expected = field(0.5, *grid.face_centers(axis))[axis]
        expected = np.broadcast_to(expected, faces[axis].shape)
        # periodic ends are averaged (sin(0) vs sin(2 pi) differ by round-off)
        np.testing.assert_allclose(faces[axis], expected, rtol=0, atol=1e-15)
        assert faces[axis].shape == grid.face_shape(axis)


def test_centre_values_are_averaged_to_second_order():
    errors = []
    for n in [16, 32, 64]:
        grid = ef.Grid((n, n), ((0, 1), (0, 2)), periodic=(True, False))
        faces = FaceVelocity(field(0.0, *grid.centers), grid, np.float64)(0.0)
        exact = field(0.0, *grid.face_centers(0))[0]
        interior = faces[0]  # periodic axis: every face is interior
        errors.append(np.max(np.abs(interior - exact)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.9), errors


def test_steady_callable_is_evaluated_once():
    calls = []

    def counted(t, x):
        calls.append(t)
        return (np.ones_like(x),)

    grid = ef.Grid(4, (0, 1))
    velocity = FaceVelocity(counted, grid, np.float64, steady=True)
    velocity(0.0), velocity(1.0), velocity(2.0)
    assert calls == [0.0]
    unsteady = FaceVelocity(counted, grid, np.float64)
    unsteady(1.0), unsteady(1.0), unsteady(2.0)
    assert calls == [0.0, 1.0, 2.0]


def test_periodic_ends_are_identified():
    grid = ef.Grid(4, (0, 1), periodic=True)
    with pytest.warns(ef.NonPeriodicVelocityWarning):
        (u,) = FaceVelocity(lambda t, x: (x,), grid, np.float64)(0.0)
    assert u[0] == u[-1] == 0.5


def test_courant_rate():
    faces = (np.array([1.0, -3.0]), np.array([[0.5]]))
    assert max_courant_rate(faces, (0.5, 0.25)) == pytest.approx(3 / 0.5 + 0.5 / 0.25)


def test_dtype_follows_request():
    grid = ef.Grid(4, (0, 1))
    (u,) = FaceVelocity((np.ones(5),), grid, np.float32)(0.0)
    assert u.dtype == np.float32
