"""Contract tests of the particle kernels: every fast backend against the NumPy reference.

``deposit`` (NGP and CIC) and ``interpolate`` on random particles in 1D/2D/3D with odd sizes and
axes of length one, on periodic, walled and mixed axes, in float32 and float64, with particles
outside walled boxes, beyond periodic ends, at NaN, on cell centres and on faces, and with enough
particles per cell that the Numba backend takes its parallel (private grids) path too.
Agreement: 1e-12 (float64) and 1e-5 (float32) relative to the largest reference value.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eulerflow.backends import get_backend
from eulerflow.backends.numba.particles import deposit as numba_deposit

SHAPES = [(1,), (2,), (9,), (5, 7), (1, 6), (7, 1), (37, 23), (3, 5, 7), (4, 1, 3), (6, 5, 4)]
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
METHODS = ["ngp", "cic"]


def boundary_cases(ndim):
    return sorted(set(itertools.product([True, False], repeat=ndim)), reverse=True)


def random_particles(rng, shape, periodic, n, dtype):
    """Positions: mostly inside, some outside walls / beyond periodic ends, some exactly on
    cell centres, faces and box ends, one NaN."""
    d = len(shape)
    bounds = [(-1.0 + 0.3 * a, 1.5 + 0.7 * a) for a in range(d)]
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    width = hi - lo
    x = lo + width * rng.uniform(-0.2, 1.2, (n, d))
    h = width / np.array(shape)
    k = n // 8
    cells = rng.integers(0, np.array(shape), (k, d))
    x[:k] = lo + (cells + 0.5) * h  # cell centres
    x[k : 2 * k] = lo + rng.integers(0, np.array(shape) + 1, (k, d)) * h  # faces and box ends
    x[-1, 0] = np.nan
    return x.astype(dtype), bounds


def assert_close(actual, expected, dtype):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = ~np.isnan(expected)
    scale = max(float(np.max(np.abs(expected[finite]), initial=0.0)), np.finfo(dtype).tiny)
    np.testing.assert_allclose(
        actual[finite], expected[finite], rtol=0, atol=TOLERANCE[dtype] * scale
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_particle_kernels_match_reference(fast_backend, rng, shape, dtype, method):
    reference = get_backend("numpy")
    be = fast_backend
    size = int(np.prod(shape))
    for periodic in boundary_cases(len(shape)):
        for n in (0, 1, 3 * size + 17):
            x, bounds = random_particles(rng, shape, periodic, max(n, 1), dtype)
            x = x[:n]
            w = rng.random(n).astype(dtype)
            want = reference.deposit(x, w, bounds, shape, periodic, method)
            got = be.to_numpy(
                be.deposit(be.asarray(x), be.asarray(w), bounds, shape, periodic, method)
            )
            assert_close(got, want, dtype)
            values = rng.standard_normal(shape).astype(dtype)
            want = reference.interpolate(values, x, bounds, periodic, method)
            got = be.interpolate(be.asarray(values), be.asarray(x), bounds, periodic, method)
            assert_close(be.to_numpy(got), want, dtype)


@pytest.mark.parametrize("n_chunks", [1, 2, 5])
@pytest.mark.parametrize("shape", [(9,), (5, 7), (3, 5, 7)], ids=str)
def test_numba_deposit_chunks_agree(rng, shape, n_chunks):
    """The serial and the private-grid paths of the Numba deposit give the same densities."""
    periodic = (True,) + (False,) * (len(shape) - 1)
    x, bounds = random_particles(rng, shape, periodic, 1000, np.float64)
    w = rng.random(1000)
    reference = get_backend("numpy")
    for code, method in enumerate(METHODS):
        want = reference.deposit(x, w, bounds, shape, periodic, method)
        got = numba_deposit(x, w, bounds, shape, periodic, code, n_chunks=n_chunks)
        assert_close(got, want, np.float64)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(9,), (5, 7), (3, 5, 4)], ids=str)
def test_deposit_conserves_mass_and_is_adjoint_to_interpolation(backend, rng, shape, method):
    """sum(rho) |cell| = sum of the inside weights; sum_p w_p I(f)(x_p) = sum_c rho_c |cell| f_c."""
    for periodic in boundary_cases(len(shape)):
        x, bounds = random_particles(rng, shape, periodic, 500, np.float64)
        w = rng.random(500)
        inside = np.isfinite(x).all(axis=1)
        for a, (lo, hi) in enumerate(bounds):
            if not periodic[a]:
                inside &= (x[:, a] >= lo) & (x[:, a] <= hi)
        volume = np.prod([(hi - lo) / n for (lo, hi), n in zip(bounds, shape, strict=True)])
        rho = backend.to_numpy(
            backend.deposit(backend.asarray(x), backend.asarray(w), bounds, shape, periodic, method)
        )
        assert rho.min() >= 0
        assert abs(rho.sum() * volume - w[inside].sum()) <= 1e-13 * w.sum()
        f = rng.standard_normal(shape)
        fx = backend.to_numpy(
            backend.interpolate(backend.asarray(f), backend.asarray(x), bounds, periodic, method)
        )
        assert np.isnan(fx[~inside]).all() and np.isfinite(fx[inside]).all()
        lhs = np.sum(w[inside] * fx[inside])
        rhs = np.sum(rho * f) * volume
        assert abs(lhs - rhs) <= 1e-12 * np.sum(w * np.abs(f).max())


def test_kernel_argument_errors():
    be = get_backend("numpy")
    x = np.zeros((4, 2))
    with pytest.raises(ValueError, match="positions must have shape"):
        be.deposit(np.zeros(4), np.ones(4), [(0, 1)], (3,), (False,))
    with pytest.raises(TypeError, match="float32 or float64"):
        be.deposit(np.zeros((4, 2), dtype=np.int64), np.ones(4), [(0, 1)] * 2, (3, 3), (False,) * 2)
    with pytest.raises(ValueError, match="need 2 cell counts"):
        be.deposit(x, np.ones(4), [(0, 1)], (3,), (False,))
    with pytest.raises(ValueError, match="weights must have shape"):
        be.deposit(x, np.ones(3), [(0, 1)] * 2, (3, 3), (False,) * 2)
    with pytest.raises(ValueError, match="method must be one of"):
        be.deposit(x, np.ones(4), [(0, 1)] * 2, (3, 3), (False,) * 2, method="tsc")
    with pytest.raises(ValueError, match="lo < hi"):
        be.deposit(x, np.ones(4), [(0, 1), (1, 1)], (3, 3), (False,) * 2)
    with pytest.raises(ValueError, match="need 2 cell counts"):
        be.interpolate(np.zeros(3), x, [(0, 1)], (False,))
