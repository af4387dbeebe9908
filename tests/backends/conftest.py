"""Helpers shared by the contract tests of ``tests/backends/``, handed out as fixtures.

The ``backend``, ``fast_backend`` and ``rng`` fixtures come from ``tests/conftest.py``. The
agreement asked of a compiled backend is :data:`TOLERANCE` (relative to the largest reference
value) in the dtype of the data.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
"""Largest difference from the NumPy reference, relative to the largest reference value."""


def _boundary_cases(ndim: int) -> list[tuple[bool, ...]]:
    """Every periodic (True) / walled (False) combination of ``ndim`` axes, all-periodic first."""
    return sorted(set(itertools.product([True, False], repeat=ndim)), reverse=True)


def _assert_matches_reference(actual, expected, dtype, what: str = "", nan: bool = False) -> None:
    """``actual`` has the shape and dtype of ``expected`` and is within ``TOLERANCE[dtype]`` of it,
    relative to the largest reference value. Both must be finite, unless ``nan`` is true: then
    both must have their NaN in the same places (the other entries are compared)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype, what
    if nan:
        np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=what)
        keep = ~np.isnan(expected)
        actual, expected = actual[keep], expected[keep]
    else:
        assert np.isfinite(expected).all() and np.isfinite(actual).all(), what
    scale = max(float(np.max(np.abs(expected), initial=0.0)), float(np.finfo(dtype).tiny))
    np.testing.assert_allclose(
        actual, expected, rtol=0, atol=TOLERANCE[dtype] * scale, err_msg=what
    )


def _reference_call(method, *args, **kwargs):
    """``method(*args, **kwargs)`` with every floating-point warning turned into a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return method(*args, **kwargs)


def _random_particles(rng, shape, periodic, n, dtype):
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


@pytest.fixture
def tolerance():
    """:data:`TOLERANCE`: the agreement asked of a compiled backend, per dtype."""
    return TOLERANCE


@pytest.fixture
def boundary_cases():
    """``boundary_cases(ndim)``: the periodic flags of every periodic/walled/mixed case."""
    return _boundary_cases


@pytest.fixture
def assert_matches_reference():
    """``assert_matches_reference(actual, expected, dtype, what="", nan=False)``: agreement with
    the reference within :data:`TOLERANCE` (see :func:`_assert_matches_reference`)."""
    return _assert_matches_reference


@pytest.fixture
def reference_call():
    """``reference_call(method, *args)``: a reference call in which any floating-point warning
    is a failure."""
    return _reference_call


@pytest.fixture
def random_particles():
    """``random_particles(rng, shape, periodic, n, dtype)``: ``(positions, bounds)`` of ``n``
    particles, some on cell centres and faces, some outside, one NaN."""
    return _random_particles
