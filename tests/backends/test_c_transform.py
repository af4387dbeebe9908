"""Contract tests of the c-transform kernel ``c_transform``.

The NumPy reference (per-axis brute force) against the brute-force ``d``-dimensional minimum
over every grid point (and, on periodic axes, the torus distance), and every compiled backend
against the reference on random data: 1D/2D/3D, odd sizes, periodic, walled and mixed axes,
float32 and float64, small and large ``tau`` (minimisers near and far). The returned minimiser
index must attain the minimum.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eulerflow.backends import get_backend

SHAPES = [(1,), (2,), (9,), (16,), (5, 7), (1, 6), (8, 8), (3, 5, 4), (4, 1, 3)]
TAUS = [0.01, 0.3, 50.0]


def brute_force(values, spacing, periodic, tau):
    """``min_y values(y) + |x - y|^2 / (2 tau)`` over all pairs of cell centres (torus distance
    on periodic axes)."""
    shape = values.shape
    points = np.array(list(itertools.product(*[range(n) for n in shape])), dtype=float)
    diff = points[:, None, :] - points[None, :, :]
    for a, (n, per) in enumerate(zip(shape, periodic, strict=True)):
        if per:
            diff[..., a] -= n * np.round(diff[..., a] / n)
    cost = np.sum((diff * np.array(spacing)) ** 2, axis=-1) / (2 * tau)
    return np.min(values.reshape(-1)[None, :] + cost, axis=1).reshape(shape)


def cost_at(values, index, spacing, periodic, tau):
    """``values(y) + |x - y|^2 / (2 tau)`` at the minimiser ``y`` given by ``index``."""
    shape = values.shape
    here = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    total = np.zeros(shape)
    wrapped = tuple(j % n if per else j for j, n, per in zip(index, shape, periodic, strict=True))
    for a in range(len(shape)):
        total += ((here[a] - index[a]) * spacing[a]) ** 2 / (2 * tau)
    return values[wrapped] + total


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("tau", TAUS)
def test_reference_is_the_brute_force_minimum(rng, shape, tau, boundary_cases):
    be = get_backend("numpy")
    for periodic in boundary_cases(len(shape)):
        values = rng.standard_normal(shape)
        spacing = tuple(0.5 + rng.random(len(shape)))
        out, index = be.c_transform(values, spacing, periodic, tau, minimiser=True)
        expected = brute_force(values, spacing, periodic, tau)
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
        np.testing.assert_allclose(
            cost_at(values, index, spacing, periodic, tau),
            expected,
            rtol=0,
            atol=1e-12 * np.abs(expected).max(),
        )
        for j, n, per in zip(index, shape, periodic, strict=True):
            assert j.dtype == np.int64
            if per:
                assert j.min() >= -(n // 2) and j.max() <= n - 1 + n // 2
            else:
                assert j.min() >= 0 and j.max() <= n - 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES + [(33, 2), (64,)])
@pytest.mark.parametrize("tau", TAUS)
def test_c_transform_matches_reference(
    fast_backend, rng, shape, tau, dtype, boundary_cases, assert_matches_reference, tolerance
):
    reference = get_backend("numpy")
    be = fast_backend
    for periodic in boundary_cases(len(shape)):
        values = rng.standard_normal(shape).astype(dtype)
        spacing = tuple(0.5 + rng.random(len(shape)))
        expected = reference.c_transform(values, spacing, periodic, tau)
        out, index = be.c_transform(be.asarray(values), spacing, periodic, tau, minimiser=True)
        assert out.dtype == dtype
        assert_matches_reference(be.to_numpy(out), expected, dtype)
        attained = cost_at(
            values.astype(float), tuple(be.to_numpy(j) for j in index), spacing, periodic, tau
        )
        scale = np.abs(expected).max()
        np.testing.assert_allclose(attained, expected, rtol=0, atol=tolerance[dtype] * scale)
        plain = be.c_transform(be.asarray(values), spacing, periodic, tau)
        np.testing.assert_array_equal(be.to_numpy(plain), be.to_numpy(out))


def test_smooth_quadratic_is_transformed_to_its_hopf_lax_value(backend):
    """For ``f(y) = a y^2 / 2`` the continuous transform is ``a x^2 / (2 (1 + a tau))``; on the
    grid it is above that by at most ``(a + 1 / tau) h^2 / 8``."""
    n, a, tau = 101, 3.0, 0.2
    h = 2.0 / n
    x = -1 + (np.arange(n) + 0.5) * h
    out = backend.to_numpy(backend.c_transform(backend.asarray(a * x**2 / 2), (h,), (False,), tau))
    exact = a * x**2 / (2 * (1 + a * tau))
    assert np.all(out >= exact - 1e-14)
    assert np.max(out - exact) <= (a + 1 / tau) * h * h / 8 * (1 + 1e-12)  # attained: offset h/2


def test_bad_arguments_raise():
    be = get_backend("numpy")
    with pytest.raises(ValueError, match="1 to 3"):
        be.c_transform(np.zeros((2, 2, 2, 2)), (1,) * 4, (False,) * 4, 1.0)
    with pytest.raises(ValueError, match="per axis"):
        be.c_transform(np.zeros((3, 3)), (1.0,), (False,), 1.0)
    with pytest.raises(ValueError, match="positive"):
        be.c_transform(np.zeros(3), (1.0,), (False,), 0.0)
    with pytest.raises(TypeError, match="float"):
        be.c_transform(np.zeros(3, dtype=int), (1.0,), (False,), 1.0)
