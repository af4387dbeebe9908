"""Contract tests of the Scharfetter-Gummel kernel ``fokker_planck_update``.

Every available backend against the NumPy reference on random inputs (1D/2D/3D, odd sizes,
periodic, walled and mixed axes, float32 and float64): 1e-12 (float64) and 1e-5 (float32)
relative to the largest reference value. Also the reference itself against the assembled sparse
matrix, and the zero-flux property of the Gibbs state.
"""

from __future__ import annotations

import numpy as np
import pytest

from eulerflow.backends import get_backend
from eulerflow.schemes.scharfetter_gummel import (
    assemble_operator,
    bernoulli,
    explicit_rate_bound,
    face_weights,
    fokker_planck_rate,
    operator_pattern,
    potential_face_drift,
)

SHAPES = [(1,), (2,), (9,), (5, 7), (1, 6), (7, 1), (3, 5, 7), (4, 1, 3), (2, 3, 1)]


def random_weights(rng, shape, periodic, dtype):
    forwards, backwards = [], []
    for axis, per in enumerate(periodic):
        face_shape = tuple(n + (a == axis) for a, n in enumerate(shape))
        f = rng.random(face_shape).astype(dtype)
        g = rng.random(face_shape).astype(dtype)
        if per:  # the two ends of a periodic axis are one face
            first = (slice(None),) * axis + (0,)
            last = (slice(None),) * axis + (-1,)
            f[last] = f[first]
            g[last] = g[first]
        forwards.append(f)
        backwards.append(g)
    return forwards, backwards


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_fokker_planck_update_matches_reference(
    fast_backend, rng, shape, dtype, boundary_cases, assert_matches_reference
):
    reference = get_backend("numpy")
    be = fast_backend
    for periodic in boundary_cases(len(shape)):
        rho_n = rng.random(shape).astype(dtype)
        rho_k = (rng.random(shape) * (rng.random(shape) > 0.2)).astype(dtype)
        forwards, backwards = random_weights(rng, shape, periodic, dtype)
        spacing = tuple(0.5 + rng.random(len(shape)))
        a, b, c = 0.75, 0.25, 0.1 + rng.random()
        expected = reference.fokker_planck_update(
            rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c
        )
        out = be.fokker_planck_update(
            be.asarray(rho_n),
            be.asarray(rho_k),
            [be.asarray(w) for w in forwards],
            [be.asarray(w) for w in backwards],
            spacing,
            periodic,
            a,
            b,
            c,
        )
        assert out.dtype == dtype
        assert_matches_reference(be.to_numpy(out), expected, dtype)


def test_out_may_alias_rho_n(backend, rng, assert_matches_reference):
    shape, periodic = (6, 5), (True, False)
    rho_n, rho_k = rng.random(shape), rng.random(shape)
    forwards, backwards = random_weights(rng, shape, periodic, np.float64)
    be = backend
    args = (
        [be.asarray(w) for w in forwards],
        [be.asarray(w) for w in backwards],
        (0.3, 0.2),
        periodic,
        0.5,
        0.5,
        0.01,
    )
    expected = be.to_numpy(be.fokker_planck_update(be.asarray(rho_n), be.asarray(rho_k), *args))
    aliased = be.asarray(rho_n)
    be.fokker_planck_update(aliased, be.asarray(rho_k), *args, out=aliased)
    assert_matches_reference(be.to_numpy(aliased), expected, np.float64)


@pytest.mark.parametrize("shape", [(7,), (5, 6), (3, 4, 5), (2, 5), (1, 4)])
def test_reference_rate_is_the_assembled_matrix(rng, shape, boundary_cases):
    """The sparse matrix of the implicit solvers is the kernel's operator; its columns sum to 0."""
    for periodic in boundary_cases(len(shape)):
        forwards, backwards = random_weights(rng, shape, periodic, np.float64)
        spacing = tuple(0.5 + rng.random(len(shape)))
        q = rng.random(shape)
        rate = fokker_planck_rate(q, forwards, backwards, spacing, periodic)
        matrix = assemble_operator(
            forwards, backwards, spacing, operator_pattern(shape, periodic), q.size
        )
        np.testing.assert_allclose((matrix @ q.ravel()).reshape(shape), rate, atol=1e-13)
        scale = np.abs(matrix).max()
        assert np.abs(np.asarray(matrix.sum(axis=0))).max() <= 1e-14 * scale
        off = matrix - matrix.multiply(np.eye(q.size, dtype=bool))
        assert off.min() >= 0  # non-negative off-diagonal entries (M-matrix structure)
        assert abs(rate.sum()) <= 1e-13 * np.abs(rate).sum()  # mass conserved


def test_explicit_rate_bound_is_the_largest_diagonal(rng, boundary_cases):
    """max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a equals max |diag L| (wall faces excluded)."""
    for shape in [(9,), (5, 7), (3, 4, 5)]:
        for periodic in boundary_cases(len(shape)):
            forwards, backwards = random_weights(rng, shape, periodic, np.float64)
            spacing = tuple(0.5 + rng.random(len(shape)))
            matrix = assemble_operator(
                forwards, backwards, spacing, operator_pattern(shape, periodic), int(np.prod(shape))
            )
            bound = explicit_rate_bound(forwards, backwards, spacing, periodic)
            assert bound == pytest.approx(-matrix.diagonal().min(), rel=1e-13)


def test_bernoulli_is_stable_and_accurate():
    z = np.array([-800.0, -50.0, -1.0, -1e-8, -1e-300, 0.0, 1e-300, 1e-8, 1.0, 50.0, 800.0])
    values = bernoulli(z)
    assert np.all(np.isfinite(values)) and np.all(values >= 0)
    exact = np.array(
        [800.0, 50.0 / (1 - np.exp(-50.0)), 1 / (1 - np.exp(-1.0)), 1 + 5e-9, 1, 1, 1]
        + [1 - 5e-9, 1 / (np.e - 1), 50.0 * np.exp(-50.0) / (1 - np.exp(-50.0)), 0.0]
    )
    np.testing.assert_allclose(values, exact, rtol=1e-14, atol=1e-300)
    # B(-z) = e^z B(z): the identity behind the exact discrete Gibbs state
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(bernoulli(-z), np.exp(z) * bernoulli(z), rtol=1e-13)
    assert bernoulli(np.float32(2.0)).dtype == np.float32


def test_bernoulli_promotes_integers_and_keeps_nan():
    """Integer input is computed in float64 (it was cast back to int: [1, 2] gave [0, 0]); NaN
    gives NaN (it gave 1); the limits at +-inf."""
    np.testing.assert_allclose(
        bernoulli(np.array([1, 2, 0, -3])),
        [1 / np.expm1(1.0), 2 / np.expm1(2.0), 1.0, -3 / np.expm1(-3.0)],
        rtol=1e-15,
    )
    assert bernoulli(np.array([1, 2])).dtype == np.float64
    out = bernoulli(np.array([np.nan, np.inf, -np.inf, 0.0], dtype=np.float32))
    assert out.dtype == np.float32
    assert np.isnan(out[0]) and out[1] == 0 and out[2] == np.inf and out[3] == 1
    with pytest.raises(TypeError, match="real input"):
        bernoulli(np.array([1j]))


@pytest.mark.parametrize(
    ("dtype", "top"), [(np.float32, 110.0), (np.float64, 760.0)], ids=["float32", "float64"]
)
def test_bernoulli_accuracy_in_ulp_up_to_underflow(dtype, top):
    """Against 40-digit mpmath: <= 5 ulp of the dtype where B(z) is normal (the plain
    ``z e^{-z}`` lost up to 46 ulp in float32 at z ~ 91 and 354 in float64 at z ~ 714, where
    ``e^{-z}`` is subnormal), <= 5 smallest subnormals of absolute error where it is subnormal."""
    import mpmath  # in the test extra: a missing mpmath fails, never skips

    z = np.concatenate([np.linspace(-top, top, 301), np.linspace(0.78 * top, top, 301)])
    z = z.astype(dtype)
    got = bernoulli(z)
    assert got.dtype == dtype
    with mpmath.workdps(40):
        exact = np.array(
            [float(v / mpmath.expm1(v)) if v else 1.0 for v in map(mpmath.mpf, z.tolist())]
        )
    info = np.finfo(dtype)
    unit = np.maximum(np.spacing(exact.astype(dtype)).astype(float), info.smallest_subnormal)
    errors = np.abs(got.astype(float) - exact) / unit
    assert errors.max() <= 5, (z[np.argmax(errors)], errors.max())


def test_gibbs_state_has_zero_flux(rng):
    """exp(-V/eps) at the cell centres is annihilated by the SG operator (walls, and periodic V)."""
    shape, eps = (7, 6), 0.3
    spacing = (0.4, 0.7)
    x = np.arange(7)[:, None] * 0.4
    y = np.arange(6)[None, :] * 0.7
    for periodic, potential in [
        ((False, False), rng.standard_normal(shape)),
        ((True, True), np.cos(2 * np.pi * x / 2.8) + np.sin(2 * np.pi * y / 4.2)),
        ((True, False), rng.standard_normal(shape)),
    ]:
        forwards, backwards = [], []
        for axis in range(2):
            drift = potential_face_drift(potential, axis, spacing[axis], periodic[axis])
            f, g = face_weights(drift, spacing[axis], eps)
            forwards.append(f)
            backwards.append(g)
        gibbs = np.exp(-(potential - potential.min()) / eps)
        for name in ("numpy", "numba"):
            be = get_backend(name)
            rate = be.fokker_planck_rate(gibbs, forwards, backwards, spacing, periodic)
            assert np.abs(rate).max() <= 1e-13 * np.abs(forwards[0]).max() * gibbs.max()


def test_face_weights_upwind_limit():
    drift = np.array([-2.0, 0.0, 3.0])
    f, g = face_weights(drift, 0.1, 0.0)
    np.testing.assert_array_equal(f, [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [2.0, 0.0, 0.0])
    f, g = face_weights(drift, 0.1, 1e-9)  # tiny diffusion: the same to round-off
    np.testing.assert_allclose(f, [0.0, 1e-8, 3.0], atol=1e-12)
    np.testing.assert_allclose(g, [2.0, 1e-8, 0.0], atol=1e-12)


def test_bad_kernel_arguments(backend):
    rho = backend.asarray(np.ones((4, 5)))
    good = [backend.asarray(np.zeros((5, 5))), backend.asarray(np.zeros((4, 6)))]
    with pytest.raises(ValueError, match="forward weight along axis 1 must have shape"):
        backend.fokker_planck_update(
            rho, rho, [good[0], good[0]], good, (1, 1), (True, True), 0, 1, 1
        )
    with pytest.raises(ValueError, match="backward weight along axis 0 must have shape"):
        backend.fokker_planck_update(
            rho, rho, good, [good[1], good[1]], (1, 1), (True, True), 0, 1, 1
        )
    with pytest.raises(ValueError, match="one forward weight, spacing and periodic flag") as err:
        backend.fokker_planck_update(rho, rho, good[:1], good[:1], (1,), (True,), 0, 1, 1)
    assert "velocity" not in str(err.value)  # the FP kernel takes face weights
    with pytest.raises(ValueError, match="must not be the same array as rho_k"):
        backend.fokker_planck_update(rho, rho, good, good, (1, 1), (True, True), 0, 1, 1, out=rho)


def test_repeated_weight_tuples_are_reused_but_not_trusted_blindly(backend, rng):
    """An explicit run passes the same tuples of weights at every stage: the backend validates
    them once and keeps its views, yet an in-place change of the weights is seen, and new rho
    shapes or new tuples are validated again."""
    reference = get_backend("numpy")
    shape, periodic = (6, 5), (True, False)
    forwards, backwards = random_weights(rng, shape, periodic, np.float64)
    weights = (
        tuple(backend.asarray(w) for w in forwards),
        tuple(backend.asarray(w) for w in backwards),
    )
    rho = rng.random(shape)

    def both(*args):
        out = backend.to_numpy(
            backend.fokker_planck_update(
                backend.asarray(rho), backend.asarray(rho), *weights, *args
            )
        )
        expected = reference.fokker_planck_update(
            rho, rho, *(tuple(backend.to_numpy(w) for w in ws) for ws in weights), *args
        )
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)

    both((0.3, 0.2), periodic, 0.5, 0.5, 0.01)
    both((0.3, 0.2), periodic, 0.5, 0.5, 0.01)  # the same tuples again
    weights[0][1][...] *= 2.0  # weights updated in place between calls
    both((0.3, 0.2), periodic, 0.5, 0.5, 0.01)
    both((0.1, 0.4), (False, False), 0.0, 1.0, 0.02)  # other spacing and flags
    wrong = backend.asarray(np.ones((4, 5)))
    with pytest.raises(ValueError, match="forward weight along axis 0 must have shape"):
        backend.fokker_planck_update(wrong, wrong, *weights, (0.3, 0.2), periodic, 0, 1, 1)
