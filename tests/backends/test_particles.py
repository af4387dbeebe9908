"""Contract tests of the particle kernels: every fast backend against the NumPy reference.

``deposit`` (NGP and CIC) and ``interpolate`` on random particles in 1D/2D/3D with odd sizes and
axes of length one, on periodic, walled and mixed axes, in float32 and float64, with particles
outside walled boxes, beyond periodic ends, at NaN, on cell centres and on faces, and with enough
particles per cell that the Numba backend takes its parallel (private grids) path too.
Agreement: 1e-12 (float64) and 1e-5 (float32) relative to the largest reference value.
"""

from __future__ import annotations

import numpy as np
import pytest

from eulerflow.backends import get_backend

SHAPES = [(1,), (2,), (9,), (5, 7), (1, 6), (7, 1), (37, 23), (3, 5, 7), (4, 1, 3), (6, 5, 4)]
METHODS = ["ngp", "cic"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_particle_kernels_match_reference(
    fast_backend,
    rng,
    shape,
    dtype,
    method,
    boundary_cases,
    assert_matches_reference,
    random_particles,
):
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
            assert_matches_reference(got, want, dtype, nan=True)
            values = rng.standard_normal(shape).astype(dtype)
            want = reference.interpolate(values, x, bounds, periodic, method)
            got = be.interpolate(be.asarray(values), be.asarray(x), bounds, periodic, method)
            assert_matches_reference(be.to_numpy(got), want, dtype, nan=True)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(9,), (5, 7), (3, 5, 4)], ids=str)
def test_deposit_conserves_mass_and_is_adjoint_to_interpolation(
    backend, rng, shape, method, boundary_cases, random_particles
):
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
