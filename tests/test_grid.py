import numpy as np
import pytest

from eulerflow import Grid


def test_geometry_2d():
    grid = Grid(shape=(4, 8), bounds=((-1, 1), (0, 2)), periodic=(True, False))
    assert grid.ndim == 2 and grid.shape == (4, 8) and grid.size == 32
    assert grid.spacing == (0.5, 0.25)
    assert grid.cell_volume == 0.125
    assert grid.periodic == (True, False)
    assert grid.lengths == (2.0, 2.0)
    x, y = grid.centers
    assert x.shape == (4, 1) and y.shape == (1, 8)
    np.testing.assert_allclose(x.ravel(), [-0.75, -0.25, 0.25, 0.75])
    np.testing.assert_allclose(grid.axis_faces(1), np.linspace(0, 2, 9))
    fx, fy = grid.face_centers(0)
    assert np.broadcast_shapes(fx.shape, fy.shape) == grid.face_shape(0) == (5, 8)
    np.testing.assert_allclose(fx.ravel(), np.linspace(-1, 1, 5))


def test_one_dimensional_bounds_and_scalar_shape():
    grid = Grid(10, (0, 1), periodic=True)
    assert grid.shape == (10,) and grid.bounds == ((0.0, 1.0),)
    assert grid.periodic == (True,)
    assert grid.axis_names == ("x",)


def test_integrate_and_normalize():
    grid = Grid((3, 5, 7), ((0, 1), (0, 2), (0, 3)))
    rho = np.ones(grid.shape)
    assert grid.integrate(rho) == pytest.approx(6.0, rel=1e-14)
    stacked = np.stack([rho, 2 * rho])
    np.testing.assert_allclose(grid.integrate(stacked), [6.0, 12.0], rtol=1e-14)
    rng = np.random.default_rng(1)
    rho = rng.random(grid.shape)
    assert grid.integrate(grid.normalize(rho, mass=2.5)) == pytest.approx(2.5, rel=1e-14)
    with pytest.raises(ValueError, match="zero or negative total mass"):
        grid.normalize(np.zeros(grid.shape))
    with pytest.raises(ValueError, match=r"grid needs shape \(\.\.\., 3, 5, 7\)"):
        grid.integrate(np.ones((3, 5)))


def test_equality_hash_repr_and_roundtrip():
    a = Grid((4, 4), ((0, 1), (0, 1)), periodic=True)
    b = Grid([4, 4], [[0, 1], [0, 1]], periodic=[True, True])
    c = Grid((4, 4), ((0, 1), (0, 1)), periodic=False)
    assert a == b and hash(a) == hash(b) and a != c
    assert Grid.from_dict(a.to_dict()) == a
    assert repr(a) == "Grid(shape=(4, 4), bounds=((0, 1), (0, 1)), periodic=True)"
    mixed = Grid((4, 4), ((0, 1), (0, 1)), periodic=(True, False))
    assert "periodic=(True, False)" in repr(mixed)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shape": (0, 4), "bounds": ((0, 1), (0, 1))}, ValueError, "at least one cell"),
        ({"shape": (2, 2, 2, 2), "bounds": ((0, 1),) * 4}, ValueError, "1, 2 or 3"),
        ({"shape": (2.5,), "bounds": (0, 1)}, TypeError, "integers"),
        ({"shape": (4, 4), "bounds": ((0, 1),)}, ValueError, "one \\(lo, hi\\) pair per axis"),
        ({"shape": (4,), "bounds": (1, 0)}, ValueError, "lo < hi"),
        ({"shape": (4,), "bounds": (0, np.inf)}, ValueError, "finite"),
        ({"shape": (4, 4), "bounds": ((0, 1),) * 2, "periodic": (True,)}, ValueError, "periodic"),
    ],
)
def test_invalid_grids(kwargs, error, match):
    with pytest.raises(error, match=match):
        Grid(**kwargs)


def test_bad_axis():
    with pytest.raises(ValueError, match="axis must be"):
        Grid((4, 4), ((0, 1), (0, 1))).face_shape(2)


def test_bad_arguments_name_the_argument():
    """Defect 5 of issue 10: these gave "'int' object is not iterable", a NumPy
    inhomogeneous-shape error, and a silent spacing of inf."""
    with pytest.raises(TypeError, match="periodic must be a bool or a sequence"):
        Grid((4, 4), ((0, 1), (0, 1)), periodic=2)
    with pytest.raises(ValueError, match=r"bounds must give one \(lo, hi\) pair"):
        Grid((4, 4), ((-1, 0, 1), (0, 1)))
    with pytest.raises(ValueError, match="infinite box length"):
        Grid((4, 4), ((-1e308, 1e308), (0, 1)))
