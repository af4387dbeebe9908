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


def _slope(dl, dr, limiter):
    """The limiters of :mod:`eulerflow.schemes.limiters`, written out for two numbers."""
    if limiter == "none" or not dl * dr > 0:
        return 0.0
    sign = 1.0 if dl > 0 else -1.0
    adl, adr = abs(dl), abs(dr)
    if limiter == "minmod":
        return sign * min(adl, adr)
    if limiter == "vanleer":
        return 2 * dl * dr / (dl + dr)
    if limiter == "superbee":
        return sign * max(min(2 * adl, adr), min(adl, 2 * adr))
    return sign * min(2 * adl, 2 * adr, 0.5 * abs(dl + dr))  # mc


def _face_fluxes(q, u, axis, periodic, limiter):
    """The upwind MUSCL fluxes ``F_j`` through the faces ``j = 0..n`` of ``axis``, one line at a
    time with explicit loops: slopes from the neighbours (wrapped, or the edge cell copied at a
    wall), face states ``q_{j-1} + s_{j-1}/2`` and ``q_j - s_j/2``, the state upwind of ``u_j``,
    and no flux through a wall."""
    q_lines = np.moveaxis(q, axis, -1)
    u_lines = np.moveaxis(u, axis, -1)
    n = q.shape[axis]
    flux = np.zeros(u_lines.shape)
    for line in np.ndindex(*q_lines.shape[:-1]):
        cells, faces = q_lines[line], u_lines[line]

        def value(i, cells=cells):
            return cells[i % n] if periodic else cells[min(max(i, 0), n - 1)]

        slopes = [
            _slope(value(i) - value(i - 1), value(i + 1) - value(i), limiter) for i in range(n)
        ]
        for j in range(n + 1):
            if not periodic and j in (0, n):
                continue
            left, right = (j - 1) % n, j % n
            q_minus = cells[left] + 0.5 * slopes[left]
            q_plus = cells[right] - 0.5 * slopes[right]
            flux[line + (j,)] = max(faces[j], 0.0) * q_minus + min(faces[j], 0.0) * q_plus
    return np.moveaxis(flux, -1, axis)


@pytest.mark.parametrize("limiter", list(LIMITERS))
@pytest.mark.parametrize("shape", [(1,), (2,), (9,), (5, 7), (1, 6), (6, 1), (3, 4, 5)], ids=str)
def test_rate_is_minus_divergence_of_fluxes(backend, rng, shape, limiter, boundary_cases):
    """transport_rate is ``-sum_a (F_{a,j+1} - F_{a,j}) / h_a`` with the face fluxes ``F``
    computed here independently, on random data, periodic, walled and mixed axes."""
    largest = 0.0
    for periodic in boundary_cases(len(shape)):
        _, rho, velocities, spacing = random_transport_inputs(rng, shape, periodic, np.float64)
        expected = np.zeros(shape)
        for axis, (u, h, per) in enumerate(zip(velocities, spacing, periodic, strict=True)):
            flux = _face_fluxes(rho, u, axis, per, limiter)
            expected -= np.diff(flux, axis=axis) / h
        rate = backend.transport_rate(
            backend.asarray(rho),
            [backend.asarray(u) for u in velocities],
            spacing,
            periodic,
            limiter,
        )
        scale = np.abs(expected).max()
        largest = max(largest, scale)
        np.testing.assert_allclose(
            backend.to_numpy(rate), expected, rtol=0, atol=1e-12 * scale, err_msg=str(periodic)
        )
    if max(shape) > 1:
        assert largest > 0.1  # the random data move mass between cells


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
