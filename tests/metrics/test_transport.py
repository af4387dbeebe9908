"""Errors of OT outputs: the cost, the map and the potential."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.metrics import map_error, potential_error, w2_squared_error

GRID = ef.Grid((96, 96), ((-6, 6), (-6, 6)))
M0, S0 = np.array([0.0, 0.2]), np.array([[1.0, 0.3], [0.3, 0.6]])
M1, S1 = np.array([0.5, -0.3]), np.array([[0.7, -0.1], [-0.1, 1.1]])


def brenier_map(A, c):
    def T(*x):
        return tuple(sum(A[a, b] * x[b] for b in range(2)) + c[a] for a in range(2))

    return T


def test_w2_squared_relative_error():
    score = w2_squared_error(1.5, 1.2)
    assert score.value == pytest.approx(0.25)
    assert score.details["abs_error"] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="exact"):
        w2_squared_error(1.0, 0.0)


def test_map_error_of_the_gaussian_brenier_map():
    rho0 = ef.exact.gaussian_density(GRID, M0, S0)
    A, c = ef.exact.gaussian_optimal_map(M0, S0, M1, S1)
    exact = map_error(brenier_map(A, c), brenier_map(A, c), rho0, GRID)
    assert exact.value == 0
    offset = np.array([0.03, -0.04])
    score = map_error(brenier_map(A, c + offset), brenier_map(A, c), rho0, GRID)
    assert score.value == pytest.approx(0.05, rel=1e-12)
    bures = ef.exact.gaussian_w2(M0, S0, M1, S1)
    # relative to int |T* - x|^2 rho0 = W2^2 (midpoint rule on the cells: O(h^2))
    assert score.details["relative"] == pytest.approx(0.05 / bures, rel=1e-3)
    as_arrays = np.stack(np.broadcast_arrays(*brenier_map(A, c + offset)(*GRID.centers)))
    assert map_error(as_arrays, brenier_map(A, c), rho0, GRID).value == pytest.approx(0.05)


def test_potential_error_is_modulo_constants():
    rho0 = ef.exact.gaussian_density(GRID, M0, S0)

    def phi(x, y):
        return 0.5 * (x * x + 2 * y * y) - x

    assert potential_error(lambda x, y: phi(x, y) + 7.0, phi, rho0, GRID).value < 1e-12
    eps = 0.01
    score = potential_error(lambda x, y: phi(x, y) + eps * x, phi, rho0, GRID)
    # the rho0-standard deviation of eps x: eps sqrt(S0[0, 0]) (+ O(h^2) from the cells)
    assert score.value == pytest.approx(eps * np.sqrt(S0[0, 0]), rel=1e-3)
