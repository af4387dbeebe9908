"""eulerflow.ensemble.run: equality with serial solves, fault tolerance, resuming, bad input."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pytest
import zarr

import eulerflow as ef
from eulerflow import ensemble
from eulerflow.ensemble import cluster as clusters


def test_sweep_equals_serial_solves_bitwise(client, helpers, tmp_path):
    """32 Fokker-Planck members on two workers equal, member by member and bit for bit, the
    same solves called here (the same backend)."""
    records = helpers.members(32)
    summary = ensemble.run(helpers.fokker_planck, records, tmp_path / "s.zarr", client=client)
    assert (summary.done, summary.failed, summary.solved, summary.skipped) == (32, 0, 32, 0)
    ds = ensemble.open(tmp_path / "s.zarr")
    assert ds.rho.dims == ("member", "t", "x", "y") and ds.rho.shape == (32, 3, 16, 16)
    for i, record in enumerate(records):
        sol = helpers.fokker_planck(record)
        np.testing.assert_array_equal(ds.rho[i].values, sol.rho)
        np.testing.assert_array_equal(ds.mass[i].values, sol.mass)
        assert ds.seed[i] == record["seed"] and ds.diffusion[i] == record["diffusion"]
        assert json.loads(str(ds.solver_parameters[i].values)) == sol.parameters
    np.testing.assert_array_equal(ds.t, helpers.fokker_planck(records[0]).t)
    assert (ds.state == 1).all() and (ds.error == "").all() and ds.converged.all()
    assert float(ds.mass_drift.max()) < 1e-12 and (ds.wall_time > 0).all()
    attrs = ds.attrs
    assert attrs["Conventions"].startswith("CF-") and attrs["eulerflow_version"] == ef.__version__
    assert (attrs["backend"], attrs["scheme"], attrs["equation"]) == (
        "numba",
        "bdf2",
        "fokker-planck",
    )
    assert ef.Grid.from_dict(json.loads(attrs["grid"])).shape == helpers.grid.shape
    assert ds.x.attrs["axis"] == "X" and ds.state.attrs["flag_meanings"] == "pending done failed"


def test_killed_worker_and_failing_members(client, helpers, tmp_path, log):
    """A worker killed through the cluster API while it solves a slow member, and members that
    raise: the others complete, the failures are recorded with their errors, the killed
    worker's member is solved again elsewhere, and the store validates. (The nanny restarts
    the killed worker afterwards.)"""
    records = helpers.members(16, log=log, sleep=0.02, fail=True)
    records[6]["sleep"] = 1.5  # the member the worker dies under
    cluster = client.cluster

    def kill_the_worker_of_member_6():
        deadline = time.monotonic() + 30
        while not list(log.glob("start-6-*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        pid = int(next(log.glob("start-6-*")).name.split("-")[2])
        for nanny in list(cluster.workers.values()):
            if nanny.process is not None and nanny.process.pid == pid:
                client.sync(nanny.kill, timeout=0.5)  # 0.4 s, then SIGKILL

    killer = threading.Thread(target=kill_the_worker_of_member_6)
    killer.start()
    try:
        summary = ensemble.run(
            helpers.counted, records, tmp_path / "f.zarr", client=client, chunk=1
        )
    finally:
        killer.join()
        client.wait_for_workers(2, timeout=60)
    failing = [s for s in range(16) if s % 5 == 3]
    errors = ensemble.open(tmp_path / "f.zarr").error.values
    assert (summary.done, summary.failed) == (16 - len(failing), len(failing)), errors
    assert summary.retried >= 1
    assert helpers.count(log, "start")[6] == 2 and helpers.count(log, "done")[6] == 1
    ds = ensemble.open(tmp_path / "f.zarr")
    for s in range(16):
        if s in failing:
            assert int(ds.state[s]) == 2 and f"RuntimeError: bad seed {s}" in str(
                ds.error[s].values
            )
            assert np.isnan(ds.rho[s].values).all()
        else:
            assert int(ds.state[s]) == 1 and str(ds.error[s].values) == ""
            assert np.isfinite(ds.rho[s].values).all()
    report = ensemble.validate(tmp_path / "f.zarr")
    assert report.ok and (report.done, report.failed, report.pending) == (13, 3, 0)


def test_interrupted_run_resumes_without_solving_a_member_twice(
    client, helpers, tmp_path, log, monkeypatch
):
    """Ctrl-C (SIGINT) in the middle of a run: the members in flight are committed, the run
    stops; the rerun solves the rest, and every member was solved exactly once."""
    store = tmp_path / "i.zarr"
    records = helpers.members(24, log=log, sleep=0.1)

    def interrupt_after_four():
        deadline = time.monotonic() + 30
        while len(list(log.glob("done-*"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_after_four)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        ensemble.run(helpers.counted, records, store, client=client, chunk=1)
    interrupter.join()
    first = ensemble.validate(store)
    assert first.ok and 4 <= first.done < 24 and first.pending == 24 - first.done
    summary = ensemble.run(helpers.counted, records, store, client=client, chunk=1)
    assert (summary.done, summary.skipped, summary.solved) == (24, first.done, 24 - first.done)
    assert helpers.count(log, "done") == dict.fromkeys(range(24), 1)
    monkeypatch.setattr(clusters, "local_client", None)  # nothing to do: no cluster started
    again = ensemble.run(helpers.counted, records, store)
    assert again.solved == 0 and again.skipped == 24


def test_damaged_flags_are_solved_again(client, helpers, tmp_path):
    """A commit-flag chunk that fails its checksum on reopen: a warning, and its members are
    solved again; a damaged field chunk is reported by validate."""
    store = tmp_path / "d.zarr"
    records = helpers.members(6)
    ensemble.run(helpers.fokker_planck, records, store, client=client, chunk=2)
    flags = store / "state" / "c" / "0"
    flags.write_bytes(b"\0" + flags.read_bytes()[1:])
    with pytest.warns(RuntimeWarning, match="6 commit flags"):
        summary = ensemble.run(helpers.fokker_planck, records, store, client=client)
    assert (summary.solved, summary.done) == (6, 6) and ensemble.validate(store).ok
    chunk = store / "rho" / "c" / "1" / "0" / "0" / "0"
    data = bytearray(chunk.read_bytes())
    data[100] ^= 0xFF
    chunk.write_bytes(bytes(data))
    assert ensemble.validate(store).damaged == ["rho[1]"]


def test_retry_failed_and_results_that_do_not_fit(client, helpers, tmp_path, log):
    """Members that failed for a passing reason are solved again with retry_failed=True; a
    member whose result has another grid than the first member's is recorded as failed."""
    store = tmp_path / "t.zarr"
    records = helpers.members(6, log=log)
    (log / "fail").touch()
    first = ensemble.run(helpers.transient, records, store, client=client, chunk=2)
    ds = ensemble.open(store)
    assert (first.done, first.failed) == (3, 3)
    assert "MemoryError: out of memory at seed 1" in str(ds.error[1].values)
    (log / "fail").unlink()
    assert ensemble.run(helpers.transient, records, store, client=client).solved == 0
    again = ensemble.run(helpers.transient, records, store, client=client, retry_failed=True)
    assert (again.solved, again.done, again.failed) == (3, 5, 1)
    ds = ensemble.open(store)
    np.testing.assert_array_equal(ds.rho[3].values, helpers.fokker_planck(records[3]).rho)
    assert "does not fit the store: its grid differs" in str(ds.error[5].values)
    assert ensemble.validate(store).ok


# -- bad input ----------------------------------------------------------------------------------
def test_unpicklable_solve_is_refused_before_anything_starts(helpers, tmp_path):
    lock = threading.Lock()

    def solve(p):
        with lock:
            return helpers.fokker_planck(p)

    with pytest.raises(TypeError, match="solve must be picklable"):
        ensemble.run(solve, helpers.members(2), tmp_path / "u.zarr")
    assert not (tmp_path / "u.zarr").exists()


def test_members_need_a_length(helpers, tmp_path):
    generator = ({"seed": s, "diffusion": 1.0} for s in range(3))
    with pytest.raises(TypeError, match=r"members must have a length.*sized\(generator, n\)"):
        ensemble.run(helpers.fokker_planck, generator, tmp_path / "g.zarr")
    with pytest.raises(ValueError, match="said it has 5 members"):
        ensemble.run(helpers.fokker_planck, ensemble.sized(iter([{"seed": 1}]), 5), tmp_path)
    with pytest.raises(ValueError, match=r"members\[1\] has the fields"):
        ensemble.run(helpers.fokker_planck, [{"seed": 1}, {"sd": 2}], tmp_path / "g.zarr")
    with pytest.raises(TypeError, match=r"members\[0\] is a int"):
        ensemble.run(helpers.fokker_planck, [1, 2], tmp_path / "g.zarr")


def test_store_of_another_problem_needs_overwrite(client, helpers, tmp_path):
    store = tmp_path / "p.zarr"
    ensemble.run(helpers.fokker_planck, helpers.members(2), store, client=client)
    other = [r | {"diffusion": 2.0} for r in helpers.members(2)]
    with pytest.raises(ValueError, match="holds a different problem.*overwrite=True"):
        ensemble.run(helpers.fokker_planck, other, store, client=client)
    with pytest.raises(ValueError, match="2 members there, 3 now"):
        ensemble.run(helpers.fokker_planck, helpers.members(3), store, client=client)
    with pytest.raises(ValueError, match="chunk=2 differs from the store's chunk 1"):
        ensemble.run(helpers.fokker_planck, helpers.members(2), store, client=client, chunk=2)
    summary = ensemble.run(helpers.fokker_planck, other, store, client=client, overwrite=True)
    assert summary.solved == 2 and float(ensemble.open(store).diffusion[0]) == 2.0
    zarr.open_group(tmp_path / "plain.zarr", mode="w")
    with pytest.raises(ValueError, match="not an eulerflow ensemble"):
        ensemble.run(helpers.fokker_planck, other, tmp_path / "plain.zarr", client=client)


def test_scheduler_that_does_not_answer(helpers, tmp_path):
    start = time.monotonic()
    with pytest.raises(ConnectionError, match="no Dask scheduler answered at 'tcp://127.0.0.1:9'"):
        ensemble.connect("tcp://127.0.0.1:9", timeout=1.0)
    assert time.monotonic() - start < 10
