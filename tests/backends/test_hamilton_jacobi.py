"""Contract tests of the Hamilton-Jacobi kernels: every fast backend against the NumPy reference.

``hj_derivatives`` and ``hj_update`` on random inputs for every scheme, every numerical
Hamiltonian (Godunov with ``q = 2``; Lax-Friedrichs and local Lax-Friedrichs with ``q = 2``,
``1.5`` and ``3``), with and without a potential, in 1D/2D/3D with odd sizes and axes of length
one and two, on periodic, walled and mixed axes, in float32 and float64. Agreement: 1e-12
(float64) and 1e-5 (float32) relative to the largest reference value.

Every output must be finite, also where all five differences of a WENO5 stencil vanish (an axis
of length one, flat data): the ``eps`` floor depends on the dtype so that it cannot underflow.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eulerflow.backends import get_backend

SHAPES = [
    (1,),
    (2,),
    (9,),
    (5, 7),
    (1, 6),
    (7, 1),
    (2, 5),
    (37, 23),
    (3, 5, 7),
    (4, 1, 3),
    (2, 3, 1),
    (1, 2, 5),
    (11, 6, 13),
]
SCHEMES = ["first", "eno2", "weno5"]
FLUXES = [
    ("godunov", 2.0),
    ("lax-friedrichs", 2.0),
    ("lax-friedrichs", 1.5),
    ("lax-friedrichs", 3.0),
    ("local-lax-friedrichs", 2.0),
    ("local-lax-friedrichs", 1.5),
    ("local-lax-friedrichs", 3.0),
]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_hj_kernels_match_reference(
    fast_backend,
    rng,
    shape,
    dtype,
    scheme,
    boundary_cases,
    assert_matches_reference,
    reference_call,
):
    reference = get_backend("numpy")
    be = fast_backend
    ndim = len(shape)
    for periodic in boundary_cases(ndim):
        spacing = tuple(float(h) for h in 0.5 + rng.random(ndim))
        phi_k = rng.standard_normal(shape).astype(dtype)
        device_phi_k = be.asarray(phi_k)

        minus, plus = reference_call(reference.hj_derivatives, phi_k, spacing, periodic, scheme)
        got_minus, got_plus = be.hj_derivatives(device_phi_k, spacing, periodic, scheme)
        assert len(got_minus) == len(got_plus) == ndim
        for got, want in zip(got_minus + got_plus, minus + plus, strict=True):
            assert got.dtype == dtype
            assert_matches_reference(be.to_numpy(got), want, dtype)

        for (flux, power), with_potential in itertools.product(FLUXES, (False, True)):
            phi_n = rng.standard_normal(shape).astype(dtype)
            potential = rng.random(shape).astype(dtype) if with_potential else None
            alphas = tuple(float(x) for x in 1 + rng.random(ndim))
            a, b, c = 0.75, 0.25, 0.1 + float(rng.random())
            args = (spacing, periodic, scheme, flux, power)
            expected = reference_call(
                reference.hj_update, phi_n, phi_k, *args, potential, alphas, a, b, c
            )
            out = be.hj_update(
                be.asarray(phi_n),
                device_phi_k,
                *args,
                None if potential is None else be.asarray(potential),
                alphas,
                a,
                b,
                c,
            )
            assert out.dtype == dtype
            assert_matches_reference(be.to_numpy(out), expected, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hj_kernels_accept_strided_inputs(fast_backend, rng, dtype, assert_matches_reference):
    """Non-contiguous ``phi``, ``phi_n``, potential and ``out`` give the contiguous results."""
    be = fast_backend
    reference = get_backend("numpy")
    wide = rng.standard_normal((3, 2 * 9, 2 * 7)).astype(dtype)
    phi_k, phi_n, potential = wide[0, ::2, ::2], wide[1, ::2, 1::2], np.abs(wide[2, 1::2, ::2])
    args = ((0.3, 0.7), (True, False), "weno5", "local-lax-friedrichs", 3.0)
    expected = reference.hj_update(phi_n, phi_k, *args, potential, (1.0, 2.0), 0.5, 0.5, 0.2)
    out_wide = be.asarray(np.zeros((9, 14), dtype))
    out = out_wide[:, 1::2]
    be.hj_update(
        be.asarray(phi_n),
        be.asarray(phi_k),
        *args,
        be.asarray(potential),
        (1.0, 2.0),
        0.5,
        0.5,
        0.2,
        out=out,
    )
    assert_matches_reference(be.to_numpy(out), expected, dtype)
    assert not be.to_numpy(out_wide[:, ::2]).any()
    minus, plus = reference.hj_derivatives(phi_k.T, (0.7, 0.3), (False, True), "eno2")
    got_minus, got_plus = be.hj_derivatives(be.asarray(phi_k).T, (0.7, 0.3), (False, True), "eno2")
    for got, want in zip(got_minus + got_plus, minus + plus, strict=True):
        assert_matches_reference(be.to_numpy(got), want, dtype)


def test_hj_out_may_alias_phi_n(backend, rng, assert_matches_reference):
    phi_n = rng.standard_normal((6, 5))
    phi_k = rng.standard_normal((6, 5))
    args = ((0.5, 0.25), (True, False), "weno5", "godunov", 2.0, None, (1.0, 1.0), 0.5, 0.5, 0.3)
    be = backend
    expected = be.to_numpy(be.hj_update(be.asarray(phi_n), be.asarray(phi_k), *args))
    aliased = be.asarray(phi_n)
    result = be.hj_update(aliased, be.asarray(phi_k), *args, out=aliased)
    assert result is aliased
    assert_matches_reference(be.to_numpy(aliased), expected, np.float64)


def test_hj_update_of_a_linear_function(backend):
    """``phi = p . x`` on walled axes: every scheme gives ``D^- = D^+ = p`` exactly
    (linear ghosts), so the Godunov stage is ``phi - c |p|^2 / 2``."""
    shape = (6, 5, 4)
    spacing = (0.5, 0.25, 1.0)
    slopes = (1.0, -2.0, 0.5)
    axes = [h * np.arange(n) for h, n in zip(spacing, shape, strict=True)]
    grids = np.meshgrid(*axes, indexing="ij")
    phi = sum(p * x for p, x in zip(slopes, grids, strict=True))
    be = backend
    for scheme in SCHEMES:
        minus, plus = be.hj_derivatives(be.asarray(phi), spacing, (False,) * 3, scheme)
        for slope, m, p in zip(slopes, minus, plus, strict=True):
            np.testing.assert_allclose(be.to_numpy(m), slope, rtol=1e-12)
            np.testing.assert_allclose(be.to_numpy(p), slope, rtol=1e-12)
        out = be.hj_update(
            be.asarray(phi), be.asarray(phi), spacing, (False,) * 3, scheme, "godunov", 2.0,
            None, (1.0,) * 3, 0.0, 1.0, 0.1,
        )  # fmt: skip
        want = phi - 0.1 * 0.5 * sum(p * p for p in slopes)
        np.testing.assert_allclose(be.to_numpy(out), want, rtol=1e-12, atol=1e-12)


def test_bad_hj_arguments(backend):
    be = backend
    phi = be.asarray(np.ones((4, 5)))
    good = ((1.0, 1.0), (True, False), "weno5")
    with pytest.raises(ValueError, match="Godunov flux is implemented for H = \\|p\\|\\^2/2"):
        be.hj_update(phi, phi, *good, "godunov", 3.0, None, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="Godunov flux is implemented for H = \\|p\\|\\^2/2"):
        be.hj_update(phi, phi, *good, "godunov", 1.5, None, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="potential must have the shape and dtype of phi"):
        bad = be.asarray(np.ones((5, 4)))
        be.hj_update(phi, phi, *good, "lax-friedrichs", 2.0, bad, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="potential must have the shape and dtype of phi"):
        bad = be.asarray(np.ones((4, 5), dtype=np.float32))
        be.hj_update(phi, phi, *good, "godunov", 2.0, bad, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="alphas needs one value per axis"):
        be.hj_update(phi, phi, *good, "lax-friedrichs", 2.0, None, (1,), 0, 1, 1)
    with pytest.raises(ValueError, match="alphas needs one value per axis"):
        be.hj_update(phi, phi, *good, "lax-friedrichs", 2.0, None, (1, 1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="power must be > 1"):
        be.hj_update(phi, phi, *good, "lax-friedrichs", 1.0, None, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="must not be the same array as phi_k"):
        be.hj_update(phi, phi, *good, "godunov", 2.0, None, (1, 1), 0, 1, 1, out=phi)
    with pytest.raises(ValueError, match="phi_n and phi_k must have the same shape and dtype"):
        be.hj_update(be.asarray(np.ones((4, 4))), phi, *good, "godunov", 2.0, None, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="flux must be one of"):
        be.hj_update(phi, phi, *good, "roe", 2.0, None, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="scheme must be one of"):
        be.hj_update(phi, phi, (1, 1), (True, True), "weno3", "godunov", 2.0, None, (1, 1), 0, 1, 1)
    with pytest.raises(ValueError, match="scheme must be one of"):
        be.hj_derivatives(phi, (1, 1), (True, True), "weno7")
    with pytest.raises(ValueError, match="need one spacing and periodic flag per axis"):
        be.hj_derivatives(phi, (1,), (True,), "first")
    with pytest.raises(ValueError, match="1 to 3 dimensions"):
        be.hj_derivatives(be.asarray(np.ones((2, 2, 2, 2))), (1,) * 4, (True,) * 4, "first")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(9,), (1, 6), (37, 23), (4, 1, 3), (11, 6, 13)], ids=str)
def test_hj_update_maxima_are_the_cfl_reduction(
    fast_backend, rng, shape, dtype, assert_matches_reference
):
    """``maxima=True``: the same ``out``, and ``max(|D^-_a|, |D^+_a|)`` per axis as the
    reference computes it from ``hj_derivatives``."""
    reference = get_backend("numpy")
    be = fast_backend
    ndim = len(shape)
    periodic = tuple(bool(a % 2) for a in range(ndim))
    spacing = tuple(float(h) for h in 0.5 + rng.random(ndim))
    phi_n, phi_k = rng.standard_normal((2, *shape)).astype(dtype)
    args = (spacing, periodic, "weno5", "godunov", 2.0, None, (1.0,) * ndim, 0.75, 0.25, 0.3)
    want_out, want = reference.hj_update(phi_n, phi_k, *args, maxima=True)
    minus, plus = reference.hj_derivatives(phi_k, spacing, periodic, "weno5")
    assert want == tuple(
        max(float(np.abs(m).max()), float(np.abs(p).max()))
        for m, p in zip(minus, plus, strict=True)
    )
    out, got = be.hj_update(be.asarray(phi_n), be.asarray(phi_k), *args, maxima=True)
    assert_matches_reference(be.to_numpy(out), want_out, dtype)
    assert_matches_reference(np.array(got, dtype), np.array(want, dtype), dtype)
    plain = be.hj_update(be.asarray(phi_n), be.asarray(phi_k), *args)
    np.testing.assert_array_equal(be.to_numpy(plain), be.to_numpy(out))
