"""Contract tests of the transport kernel: every available backend against the NumPy reference.

Random inputs in 1D/2D/3D, odd sizes, periodic, walled and mixed axes, float32 and float64.
Agreement: 1e-12 (float64) and 1e-5 (float32) relative to the largest reference value.
"""

from __future__ import annotations

import numpy as np
import pytest

from eulerflow.backends import get_backend
from eulerflow.schemes.limiters import LIMITERS

SHAPES = [(1,), (2,), (9,), (5, 7), (1, 6), (7, 1), (3, 5, 7), (4, 1, 3), (2, 3, 1)]


def random_transport_inputs(rng, shape, periodic, dtype):
    rho_n = rng.random(shape).astype(dtype)
    rho_k = (rng.random(shape) * (rng.random(shape) > 0.2)).astype(dtype)  # some vacuum
    velocities = []
    for axis, per in enumerate(periodic):
        face_shape = tuple(n + (a == axis) for a, n in enumerate(shape))
        u = rng.standard_normal(face_shape).astype(dtype)
        if per:  # the two ends of a periodic axis are one face
            first = (slice(None),) * axis + (0,)
            last = (slice(None),) * axis + (-1,)
            u[last] = u[first]
        velocities.append(u)
    spacing = tuple(0.5 + rng.random(len(shape)))
    return rho_n, rho_k, velocities, spacing


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_transport_update_matches_reference(
    fast_backend, rng, shape, dtype, boundary_cases, assert_matches_reference
):
    reference = get_backend("numpy")
    for periodic in boundary_cases(len(shape)):
        for limiter in LIMITERS:
            rho_n, rho_k, velocities, spacing = random_transport_inputs(rng, shape, periodic, dtype)
            a, b, c = 0.75, 0.25, 0.1 + rng.random()
            expected = reference.transport_update(
                rho_n, rho_k, velocities, spacing, periodic, limiter, a, b, c
            )
            be = fast_backend
            out = be.transport_update(
                be.asarray(rho_n),
                be.asarray(rho_k),
                [be.asarray(u) for u in velocities],
                spacing,
                periodic,
                limiter,
                a,
                b,
                c,
            )
            assert out.dtype == dtype
            assert_matches_reference(be.to_numpy(out), expected, dtype)


def test_out_may_alias_rho_n(backend, rng, assert_matches_reference):
    rho_n, rho_k, velocities, spacing = random_transport_inputs(
        rng, (6, 5), (True, False), np.float64
    )
    args = (velocities, spacing, (True, False), "mc", 0.5, 0.5, 0.3)
    be = backend
    expected = be.to_numpy(be.transport_update(be.asarray(rho_n), be.asarray(rho_k), *args))
    aliased = be.asarray(rho_n)
    be.transport_update(aliased, be.asarray(rho_k), *args, out=aliased)
    assert_matches_reference(be.to_numpy(aliased), expected, np.float64)


def test_rate_is_minus_divergence_of_fluxes(backend, rng):
    """transport_rate is -div F; for a constant density and constant velocity it vanishes."""
    shape = (5, 4, 3)
    velocities = [
        np.full(tuple(n + (a == ax) for a, n in enumerate(shape)), 0.7 - ax) for ax in range(3)
    ]
    rate = backend.transport_rate(
        backend.asarray(np.full(shape, 2.0)),
        [backend.asarray(u) for u in velocities],
        (0.1, 0.2, 0.3),
        (True, True, True),
        "vanleer",
    )
    np.testing.assert_allclose(backend.to_numpy(rate), 0.0, atol=1e-13)


def test_bad_kernel_arguments(backend):
    rho = backend.asarray(np.ones((4, 5)))
    good = [backend.asarray(np.zeros((5, 5))), backend.asarray(np.zeros((4, 6)))]
    with pytest.raises(ValueError, match="velocity along axis 1 must have shape"):
        backend.transport_update(
            rho, rho, [good[0], good[0]], (1, 1), (True, True), "none", 0, 1, 1
        )
    with pytest.raises(ValueError, match="one velocity, spacing and periodic flag per axis"):
        backend.transport_update(rho, rho, good[:1], (1,), (True,), "none", 0, 1, 1)
    with pytest.raises(ValueError, match="must not be the same array as rho_k"):
        backend.transport_update(rho, rho, good, (1, 1), (True, True), "none", 0, 1, 1, out=rho)
    with pytest.raises(ValueError, match="limiter must be one of"):
        backend.transport_update(rho, rho, good, (1, 1), (True, True), "vl", 0, 1, 1)
