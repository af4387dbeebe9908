"""Contract tests of ``bb_poisson_free_end``, the space-time Poisson solve with a free terminal
time face (the projection of a JKO step, :mod:`eulerflow.schemes.staggered_free_end`).

Every compiled backend against the NumPy reference (1D/2D/3D space, odd sizes and axes of length
one and two, periodic, walled and mixed axes, 1 to 5 time cells, float32 and float64; agreement
1e-12 / 1e-5 relative to the largest reference value), and on every backend the defining
property: ``-D G' p = f`` with ``G'`` the gradient plus the terminal-face entry
``g_rho[N] = -N p[N - 1]``, for any ``f`` (the operator is invertible).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eulerflow.backends import get_backend

SPACES = [(1,), (2,), (9,), (5, 7), (1, 6), (7, 1), (3, 5, 7), (4, 1, 3), (2, 3, 1)]
N_TIMES = [1, 2, 3, 5]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("space", SPACES, ids=str)
def test_bb_poisson_free_end_matches_reference(
    fast_backend, rng, space, dtype, boundary_cases, assert_matches_reference, reference_call
):
    reference = get_backend("numpy")
    ndim = len(space)
    for case, periodic in enumerate(boundary_cases(ndim)):
        n_time = N_TIMES[case % len(N_TIMES)]
        spacing = tuple(float(h) for h in 0.2 + rng.random(ndim))
        f = rng.standard_normal((n_time, *space)).astype(dtype)
        want = reference_call(reference.bb_poisson_free_end, f, spacing, periodic)
        got = fast_backend.to_numpy(
            fast_backend.bb_poisson_free_end(fast_backend.asarray(f), spacing, periodic)
        )
        label = f"{space} N={n_time} periodic={periodic} {np.dtype(dtype).name}"
        assert_matches_reference(got, want, dtype, "poisson_free_end " + label)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("space", [(9,), (1,), (6, 5), (1, 4), (3, 4, 5), (2, 1, 3)], ids=str)
def test_bb_poisson_free_end_inverts_its_operator(backend, rng, space, dtype, boundary_cases):
    """``-bb_divergence(G' p) == f`` for a right-hand side with non-zero mean."""
    ndim = len(space)
    tol = {np.float64: 1e-12, np.float32: 2e-5}[dtype]
    for n_time, periodic in zip(itertools.cycle([1, 2, 4, 7]), boundary_cases(ndim)):
        spacing = tuple(float(h) for h in 0.2 + rng.random(ndim))
        f = (rng.standard_normal((n_time, *space)) + 1.0).astype(dtype)
        p = backend.bb_poisson_free_end(backend.asarray(f), spacing, periodic)
        g_rho, g_m = backend.bb_gradient(p, spacing, periodic)
        g_rho[-1] = -n_time * p[-1]
        back = -backend.to_numpy(backend.bb_divergence(g_rho, g_m, spacing, periodic))
        assert np.abs(back - f).max() <= tol * np.abs(f).max(), (n_time, periodic)


def test_bb_poisson_free_end_checks_arguments(backend):
    f = backend.asarray(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="spacing"):
        backend.bb_poisson_free_end(f, (1.0, 1.0), (False,))
    with pytest.raises(ValueError, match="share"):
        backend.bb_poisson_free_end(f, (1.0,), (False,), out=f)
