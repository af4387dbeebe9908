"""A result taken apart: fields, small per-member values, per-iteration histories."""

from __future__ import annotations

import numpy as np
import pytest

import eulerflow as ef
from eulerflow.ensemble.output import take_apart
from eulerflow.ensemble.store import EnsembleStore


def test_iteration_histories_are_kept_as_their_final_value(tmp_path):
    """Two W2 solves with different iteration counts fit the same layout: the per-iteration
    histories become their last value."""
    grid = ef.Grid((32, 32), ((-3.0, 3.0), (-3.0, 3.0)))
    a = grid.normalize(ef.exact.gaussian_density(grid, mean=(-1, 0), cov=0.3 * np.eye(2)))
    b = grid.normalize(ef.exact.gaussian_density(grid, mean=(1, 0.5), cov=0.3 * np.eye(2)))
    c = grid.normalize(b + 0.3 * ef.exact.gaussian_density(grid, mean=(-1.5, 1.5), cov=0.1))
    quick, slow = (
        ef.wasserstein2(a, b, grid, progress=False),
        ef.wasserstein2(a, c, grid, progress=False),
    )
    assert quick.n_iter != slow.n_iter
    first, second = take_apart(quick), take_apart(slow)
    assert "iteration" not in first.coords and "diagnostic_w2_squared" not in first.small
    history = quick.to_xarray()["diagnostic_w2_squared"].values
    assert first.small["diagnostic_w2_squared_final"][1] == history[-1]
    store = EnsembleStore.create(
        str(tmp_path / "w.zarr"), fingerprint="f", solve_name="s",
        columns={"target": np.array([0, 1])}, chunk=1,
    )  # fmt: skip
    store.add_layout(first)
    assert store.conforms(second) is None
    assert set(first.fields) >= {"phi", "psi", "map"} and first.small["n_iter"][1] == quick.n_iter


def test_only_eulerflow_results():
    with pytest.raises(TypeError, match="solve returned a dict"):
        take_apart({"rho": 1})
