"""Shared fixtures: the compute backends, each skipped with its reason when unavailable."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

from eulerflow.backends import BackendUnavailableError, get_backend
from eulerflow.cache import use_for_numba_kernels

# Some test modules import a Numba kernel module directly, before any get_backend("numba"): their
# kernels too cache in eulerflow's cache folder, not in the package (see eulerflow.cache).
use_for_numba_kernels()

# Property tests draw the same examples on every run, so that a failure in CI can be reproduced.
settings.register_profile("eulerflow", derandomize=True, deadline=None)
settings.load_profile("eulerflow")


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
