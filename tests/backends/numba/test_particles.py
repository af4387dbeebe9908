"""The Numba particle deposit (backends/numba/particles.py): its serial and parallel paths."""

from __future__ import annotations

import numpy as np
import pytest

from eulerflow.backends import get_backend
from eulerflow.backends.numba.particles import deposit as numba_deposit

METHODS = ["ngp", "cic"]


@pytest.mark.parametrize("n_chunks", [1, 2, 5])
@pytest.mark.parametrize("shape", [(9,), (5, 7), (3, 5, 7)], ids=str)
def test_numba_deposit_chunks_agree(
    rng, shape, n_chunks, assert_matches_reference, random_particles
):
    """The serial and the private-grid paths of the Numba deposit give the same densities."""
    periodic = (True,) + (False,) * (len(shape) - 1)
    x, bounds = random_particles(rng, shape, periodic, 1000, np.float64)
    w = rng.random(1000)
    reference = get_backend("numpy")
    for code, method in enumerate(METHODS):
        want = reference.deposit(x, w, bounds, shape, periodic, method)
        got = numba_deposit(x, w, bounds, shape, periodic, code, n_chunks=n_chunks)
        assert_matches_reference(got, want, np.float64, nan=True)
