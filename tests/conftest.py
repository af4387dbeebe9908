"""Shared fixtures: the compute backends, each skipped with its reason when unavailable."""

from __future__ import annotations

import numpy as np
import pytest

from eulerflow.backends import BackendUnavailableError, get_backend


def _backend_or_skip(name: str):
    try:
        return get_backend(name)
    except BackendUnavailableError as err:
        pytest.skip(str(err))


@pytest.fixture(params=["numpy", "numba", "cupy"])
def backend(request):
    """Every backend; unavailable ones are skipped with the reason."""
    return _backend_or_skip(request.param)


@pytest.fixture(params=["numba", "cupy"])
def fast_backend(request):
    """The compiled backends, to compare against the NumPy reference."""
    return _backend_or_skip(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
