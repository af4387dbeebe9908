"""A two-worker local Dask cluster shared by the ensemble tests, and the solve functions they
send to it (pickled by value: the workers cannot import the test modules), handed out as the
``helpers`` fixture."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import eulerflow as ef

pytest.importorskip("dask.distributed")
pytest.importorskip("zarr")

cloudpickle = pytest.importorskip("cloudpickle")
cloudpickle.register_pickle_by_value(sys.modules[__name__])

GRID = ef.Grid((16, 16), ((-3.0, 3.0), (-3.0, 3.0)))
TIMES = [0.0, 0.05, 0.1]


def fokker_planck(p: dict):
    """A small Fokker-Planck solve of one member: GRF initial data, quadratic potential."""
    rho0 = ef.ensemble.gaussian_random_field(GRID, seed=p["seed"], amplitude=0.5)
    return ef.solve_fokker_planck(
        rho0,
        GRID,
        lambda x, y: 0.5 * (x**2 + y**2),
        TIMES[-1],
        diffusion=p["diffusion"],
        t_eval=TIMES,
        dt=0.01,
        backend="numba",
        progress=False,
    )


def counted(p: dict):
    """``fokker_planck`` that leaves a file per start and per finished solve in ``p["log"]``,
    sleeps ``p["sleep"]`` seconds, and raises for seeds ``3 mod 5`` when ``p["raise"]``."""
    log = Path(p["log"])
    (log / f"start-{p['seed']}-{os.getpid()}-{uuid.uuid4().hex}").touch()
    time.sleep(p["sleep"])
    if p["raise"] and p["seed"] % 5 == 3:
        raise RuntimeError(f"bad seed {p['seed']}")
    result = fokker_planck(p)
    (log / f"done-{p['seed']}-{uuid.uuid4().hex}").touch()
    return result


def transient(p: dict):
    """``fokker_planck`` that raises while the file ``p["log"]/fail`` exists, and solves on a
    32^2 grid for seed 5 (a result that does not fit the store)."""
    if (Path(p["log"]) / "fail").exists() and p["seed"] % 2:
        raise MemoryError(f"out of memory at seed {p['seed']}")
    if p["seed"] == 5:
        grid = ef.Grid((32, 32), ((-3.0, 3.0), (-3.0, 3.0)))
        return ef.solve_fokker_planck(np.ones(grid.shape) / 36, grid, None, 0.01, progress=False)
    return fokker_planck(p)


def count(log: Path, what: str) -> dict[int, int]:
    """``{seed: number of files}`` of kind ``what`` ("start" or "done") in ``log``."""
    out: dict[int, int] = {}
    for path in log.glob(f"{what}-*"):
        seed = int(path.name.split("-")[1])
        out[seed] = out.get(seed, 0) + 1
    return out


def members(n: int, log: Path | None = None, sleep: float = 0.0, fail: bool = False) -> list:
    records = [{"seed": s, "diffusion": 0.5 + 0.25 * (s % 3)} for s in range(n)]
    if log is not None:
        records = [r | {"log": str(log), "sleep": sleep, "raise": fail} for r in records]
    return records


@pytest.fixture(scope="session")
def client():
    """Two single-threaded workers (each with one Numba thread)."""
    from eulerflow.ensemble.cluster import close, local_client

    client = local_client(workers=2, threads=1)
    yield client
    close(client)


@pytest.fixture
def helpers() -> SimpleNamespace:
    """The solve functions and member lists above."""
    return SimpleNamespace(
        fokker_planck=fokker_planck,
        counted=counted,
        transient=transient,
        count=count,
        members=members,
        grid=GRID,
    )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    folder = tmp_path / "log"
    folder.mkdir()
    return folder
