"""Contract tests of ``hj_update_point``: every fast backend against the NumPy reference.

Point Hamiltonians in 1D, 2D and 3D (control-affine games with box and ball sets, time-dependent
dynamics, a compiled scalar Hamiltonian, reflected ones) on random data, every scheme, global and
local Lax-Friedrichs, with and without the tube, on periodic, walled and mixed axes, float64 and
float32 (the reflected ones in float64 only): the combination and the maxima of the dissipation
bounds agree within the contract tolerance of the dtype (the states reach the compiled dynamics
in float64). One Hamiltonian per number of axes (each new one compiles a kernel, seconds).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eulerflow.backends import get_backend
from eulerflow.hamiltonians import ControlAffine, ControlBall, ControlBox, ScalarHamiltonian
from eulerflow.systems import Air3d


def _one_axis():
    return ControlAffine(
        lambda t, x: (np.sin(x[0]) + t,),
        lambda t, x: ((1.0 + 0.5 * np.cos(x[0]),),),
        control_set=ControlBox([-1.0], [0.5]),
        mode="reach",
    )


def _two_axes():
    return ScalarHamiltonian(
        lambda t, x, p: np.sqrt(1.0 + p[0] ** 2 + p[1] ** 2) + x[0] * p[1] * (1.0 + t),
        lambda t, x, lo, hi: (1.0, 1.0 + np.abs(x[0]) * (1.0 + t)),
        ndim=2,
    )


def _three_axes():
    return ControlAffine(
        lambda t, x: (np.cos(x[2]) - 1.0, np.sin(x[2]) * (1.0 + t), 0.0 * x[0]),
        lambda t, x: ((x[1], 0.0), (-x[0], 1.0), (-1.0, 0.5)),
        lambda t, x: ((0.0,), (0.2 * x[0],), (1.0,)),
        ControlBall([0.1, 0.0], 1.0),
        ControlBox([-0.5], [1.0]),
        mode="avoid",
    )


HAMILTONIANS = {1: _one_axis(), 2: _two_axes(), 3: _three_axes()}
SHAPES = [(1,), (9,), (5, 7), (1, 6), (2, 5), (3, 5, 7), (4, 1, 3), (6, 5, 8)]


def _coords(rng, shape):
    return tuple(np.sort(rng.uniform(-2, 2, n)) for n in shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_hj_update_point_matches_reference(
    fast_backend, rng, shape, dtype, boundary_cases, assert_matches_reference, reference_call
):
    reference = get_backend("numpy")
    be = fast_backend
    ndim = len(shape)
    base = HAMILTONIANS[ndim]
    cases = itertools.product(
        boundary_cases(ndim),
        ["first", "weno5", "eno2"],
        ["local-lax-friedrichs", "lax-friedrichs"],
        [False, True],
        [base, base.reflected()] if dtype == np.float64 else [base],
    )
    for periodic, scheme, flux, tube, hamiltonian in cases:
        spacing = tuple(float(h) for h in 0.5 + rng.random(ndim))
        phi_k = rng.standard_normal(shape).astype(dtype)
        phi_n = rng.standard_normal(shape).astype(dtype)
        coords = _coords(rng, shape)
        alphas = tuple(float(x) for x in 1 + rng.random(ndim))
        t, a, b, c = float(rng.random()), 0.75, 0.25, 0.1 + float(rng.random())
        args = (spacing, periodic, scheme, flux, hamiltonian, coords, t, alphas, tube, a, b, c)
        expected, want = reference_call(reference.hj_update_point, phi_n, phi_k, *args)
        out, got = be.hj_update_point(be.asarray(phi_n), be.asarray(phi_k), *args)
        what = f"{periodic} {scheme} {flux} tube={tube} {hamiltonian!r}"
        assert out.dtype == dtype
        assert_matches_reference(be.to_numpy(out), expected, dtype, what)
        assert_matches_reference(np.array(got, dtype), np.array(want, dtype), dtype, what)


def test_hj_update_point_out_may_alias_phi_n(backend, rng, assert_matches_reference):
    be = backend
    phi_n, phi_k = rng.standard_normal((2, 6, 5))
    coords = _coords(rng, (6, 5))
    args = ((0.5, 0.25), (True, False), "weno5", "local-lax-friedrichs", HAMILTONIANS[2])
    args += (coords, 0.3, (1.0, 1.0), True, 0.5, 0.5, 0.3)
    expected, _ = be.hj_update_point(be.asarray(phi_n), be.asarray(phi_k), *args)
    aliased = be.asarray(phi_n)
    result, _ = be.hj_update_point(aliased, be.asarray(phi_k), *args, out=aliased)
    assert result is aliased
    assert_matches_reference(be.to_numpy(aliased), be.to_numpy(expected), np.float64)


def test_tube_never_raises_the_value(backend, rng):
    """With ``tube=True`` the stage ``phi - c min(0, Hhat)`` is never below ``phi``."""
    be = backend
    phi = rng.standard_normal((7, 6))
    coords = _coords(rng, (7, 6))
    out, _ = be.hj_update_point(
        be.asarray(phi), be.asarray(phi), (0.3, 0.4), (False, True), "weno5",
        "local-lax-friedrichs", HAMILTONIANS[2], coords, 0.0, (1.0, 1.0), True, 1.0, 0.0, 0.2,
    )  # fmt: skip
    assert np.all(be.to_numpy(out) >= phi)


def test_bad_hj_update_point_arguments(backend):
    be = backend
    phi = be.asarray(np.ones((4, 5)))
    coords = (np.linspace(0, 1, 4), np.linspace(0, 1, 5))
    good = ((1.0, 1.0), (True, False), "weno5")
    tail = (coords, 0.0, (1.0, 1.0), False, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="flux must be one of"):
        be.hj_update_point(phi, phi, *good, "godunov", HAMILTONIANS[2], *tail)
    with pytest.raises(ValueError, match="hamiltonian is for 3 axes, phi has 2"):
        be.hj_update_point(phi, phi, *good, "lax-friedrichs", HAMILTONIANS[3], *tail)
    with pytest.raises(ValueError, match="coords needs one 1D array of cell centres per axis"):
        bad = ((coords[0],), *tail[1:])
        be.hj_update_point(phi, phi, *good, "lax-friedrichs", HAMILTONIANS[2], *bad)
    with pytest.raises(ValueError, match="alphas needs one value per axis"):
        bad = (coords, 0.0, (1.0,), *tail[3:])
        be.hj_update_point(phi, phi, *good, "lax-friedrichs", HAMILTONIANS[2], *bad)
    with pytest.raises(ValueError, match="must not be the same array as phi_k"):
        be.hj_update_point(phi, phi, *good, "lax-friedrichs", HAMILTONIANS[2], *tail, out=phi)


def test_tabulated_dynamics_match_reference(
    fast_backend, rng, boundary_cases, assert_matches_reference, reference_call
):
    """``time_invariant=True``: the kernel reads ``f, G, D`` from the table of the grid."""
    hamiltonian = ControlAffine(
        lambda t, x: (np.cos(x[1]) - 1.0, np.sin(x[1]) * x[0]),
        lambda t, x: ((x[1], 0.5), (-x[0], 1.0)),
        lambda t, x: ((0.3,), (0.2 * x[0],)),
        ControlBox([-1.0, 0.0], [0.5, 2.0]),
        ControlBall([0.1], 0.8),
        mode="avoid",
        time_invariant=True,
    )
    reference = get_backend("numpy")
    be = fast_backend
    for shape, h in itertools.product(
        [(5, 7), (1, 6), (12, 9)], [hamiltonian, hamiltonian.reflected()]
    ):
        for periodic in boundary_cases(2):
            phi_n, phi_k = rng.standard_normal((2, *shape))
            coords = _coords(rng, shape)
            args = ((0.4, 0.7), periodic, "weno5", "local-lax-friedrichs", h, coords, 0.3)
            args += ((1.0, 1.0), True, 0.5, 0.5, 0.2)
            expected, want = reference_call(reference.hj_update_point, phi_n, phi_k, *args)
            out, got = be.hj_update_point(be.asarray(phi_n), be.asarray(phi_k), *args)
            assert_matches_reference(be.to_numpy(out), expected, np.float64)
            assert_matches_reference(np.array(got), np.array(want), np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tabulated_air3d_matches_reference(
    fast_backend, rng, dtype, assert_matches_reference, reference_call
):
    """Air3d backward (reflected, tabulated): global and local Lax-Friedrichs, tube on and off
    (on CuPy the fused kernel of ``backends/cupy/hj_point.py``)."""
    system = Air3d()
    hamiltonian = system.hamiltonian.reflected()
    shape = (7, 6, 8)
    coords = tuple(
        np.linspace(lo, hi, n + 1)[:-1] + 0.5 * (hi - lo) / n
        for (lo, hi), n in zip(system.bounds, shape, strict=True)
    )
    spacing = tuple(float(x[1] - x[0]) for x in coords)
    reference = get_backend("numpy")
    be = fast_backend
    for flux, tube in itertools.product(["local-lax-friedrichs", "lax-friedrichs"], [False, True]):
        phi_n, phi_k = rng.standard_normal((2, *shape)).astype(dtype)
        args = (spacing, system.periodic, "weno5", flux, hamiltonian, coords, 0.0)
        args += ((11.0, 6.0, 2.0), tube, 0.75, 0.25, 0.05)
        expected, want = reference_call(reference.hj_update_point, phi_n, phi_k, *args)
        out, got = be.hj_update_point(be.asarray(phi_n), be.asarray(phi_k), *args)
        assert_matches_reference(be.to_numpy(out), expected, dtype, f"{flux} tube={tube}")
        # the maxima in the precision of the data (Numba evaluates the table in float64)
        assert_matches_reference(np.array(got), np.array(want), dtype, f"{flux} maxima")
