"""The store: layout, reopening after an interrupted layout, names, store objects."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from eulerflow import ensemble
from eulerflow.ensemble.output import take_apart
from eulerflow.ensemble.store import EnsembleStore


def test_layout_survives_an_interrupted_layout(helpers, tmp_path):
    """A layout interrupted before its last attribute is laid out again over its remains; a
    store whose creation was interrupted is refused with the way out."""
    store = EnsembleStore.create(
        str(tmp_path / "s.zarr"), fingerprint="f", solve_name="s",
        columns={"seed": np.arange(3)}, chunk=2,
    )  # fmt: skip
    output = take_apart(helpers.fokker_planck({"seed": 0, "diffusion": 1.0}))
    store.add_layout(output)
    del store.group.attrs["fields"]  # as if interrupted just before the end
    reopened = EnsembleStore.open(str(tmp_path / "s.zarr"))
    assert not reopened.has_layout
    reopened.add_layout(output)
    assert reopened.fields == ["rho"] and reopened.group.attrs["meta"].count("mass") == 1
    del reopened.group.attrs["eulerflow_ensemble"]
    with pytest.raises(ValueError, match="creation was interrupted.*overwrite=True"):
        EnsembleStore.open(str(tmp_path / "s.zarr"))


def test_names_and_store_objects(client, helpers, tmp_path):
    records = [r | {"mass": 1.0} for r in helpers.members(2)]
    with pytest.raises(ValueError, match=r"member field names \['mass'\] clash"):
        ensemble.run(helpers.fokker_planck, records, tmp_path / "m.zarr", client=client)
    with pytest.raises(ValueError, match=r"\['state'\] are reserved"):
        ensemble.run(helpers.fokker_planck, [{"state": 1}], tmp_path / "r.zarr", client=client)
    with pytest.raises(ValueError, match="MemoryStore"):
        ensemble.run(helpers.fokker_planck, records, zarr.storage.MemoryStore())
    local = zarr.storage.LocalStore(tmp_path / "l.zarr")
    address = client.scheduler.address  # a scheduler address: connected, and closed after
    summary = ensemble.run(helpers.fokker_planck, helpers.members(3), local, client=address)
    assert summary.done == 3 and ensemble.open(local).rho.shape[0] == 3
    with pytest.raises(TypeError, match="store must be a path or a Zarr store"):
        ensemble.run(helpers.fokker_planck, records, 42)
