"""Reading an ensemble back: lazily with xarray, in minibatches; `import eulerflow` stays light."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from eulerflow import ensemble


def test_open_is_lazy_and_minibatches_cover_the_done_members(client, helpers, tmp_path):
    dask_array = pytest.importorskip("dask.array")
    store = tmp_path / "r.zarr"
    records = helpers.members(10)
    ensemble.run(helpers.fokker_planck, records, store, client=client, chunk=4)
    ds = ensemble.open(store)
    assert isinstance(ds.rho.data, dask_array.Array) and ds.rho.data.chunksize[0] == 4
    batches = list(ensemble.minibatches(store, ["rho", "seed"], 3))
    assert [len(b["member"]) for b in batches] == [3, 3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([b["member"] for b in batches]), np.arange(10))
    for b in batches:
        np.testing.assert_array_equal(b["rho"], ds.rho.values[b["member"]])
        np.testing.assert_array_equal(b["seed"], b["member"])
    shuffled = list(ensemble.minibatches(store, ["rho"], 4, shuffle=True, seed=1, drop_last=True))
    again = list(ensemble.minibatches(store, ["rho"], 4, shuffle=True, seed=1, drop_last=True))
    assert len(shuffled) == 2 and all(
        np.array_equal(a["member"], b["member"]) for a, b in zip(shuffled, again, strict=True)
    )
    members = np.concatenate([b["member"] for b in shuffled])
    assert len(set(members)) == 8 and not np.array_equal(members, np.arange(8))
    with pytest.raises(KeyError, match="not in the ensemble"):
        next(ensemble.minibatches(store, ["phi"], 2))
    with pytest.raises(FileNotFoundError, match="no ensemble"):
        ensemble.open(tmp_path / "nothing.zarr")


def test_import_eulerflow_does_not_import_dask():
    code = "import sys, eulerflow; print('dask' in sys.modules, 'zarr' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
