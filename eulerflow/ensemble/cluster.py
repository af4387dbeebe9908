"""Where the members run: a local Dask cluster sized to this machine, or an existing cluster
reached by its scheduler address."""

from __future__ import annotations

import logging
import os
from typing import Any

from ._optional import require

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a scheduler to answer before giving up."""


def cores() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def sizing(workers: int | None = None, threads: int | None = None) -> tuple[int, int]:
    """``(workers, threads per worker)`` with ``workers * threads`` equal to the cores (as near as
    the division allows); by default one single-threaded worker per core.

    Parameters
    ----------
    workers : int, optional
        Worker processes; default ``cores // threads``.
    threads : int, optional
        Threads per worker (Dask task threads and Numba threads); default
        ``max(1, cores // workers)``.

    Returns
    -------
    tuple of int
        ``(workers, threads)``.
    """
    n = cores()
    for name, value in (("workers", workers), ("threads", threads)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if workers is None:
        threads = threads or 1
        workers = max(1, n // threads)
    elif threads is None:
        threads = max(1, n // workers)
    return workers, threads


def local_client(workers: int | None = None, threads: int | None = None) -> Any:
    """A Dask client of a new local cluster of ``workers`` processes with ``threads`` threads each;
    every worker's Numba (and OpenMP) thread count is ``threads``, so that the cluster uses the
    cores once. Closing the client closes the cluster.

    Parameters
    ----------
    workers, threads : int, optional
        Worker processes and threads per worker; by default one single-threaded worker per
        core (``workers * threads`` equal to the cores when only one is given).

    Returns
    -------
    distributed.Client
        The client (``client.cluster`` is the ``LocalCluster``).
    """
    distributed = require("dask.distributed")
    workers, threads = sizing(workers, threads)
    env = {"NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    # No dashboard, so nobody reads the workers' statistical profiler (a stack sample of every
    # thread each 10 ms): off. The nannies pass this configuration on to the workers.
    with require("dask").config.set({"distributed.worker.profile.enabled": False}):
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            env=env,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},  # any free port for /health
            silence_logs=logging.ERROR,
        )
    client = distributed.Client(cluster)
    client._eulerflow_owns_cluster = True  # close the cluster with the client
    return client


def close(client: Any) -> None:
    """Close a client made by :func:`local_client` together with its cluster."""
    cluster = client.cluster if getattr(client, "_eulerflow_owns_cluster", False) else None
    client.close()
    if cluster is not None:
        cluster.close()


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A Dask client of the scheduler at ``address``, or a clear error after ``timeout`` seconds.

    Parameters
    ----------
    address : str
        Scheduler address, for example ``"tcp://10.0.0.5:8786"``.
    timeout : float, default 10
        Seconds to wait for the scheduler to answer.

    Returns
    -------
    distributed.Client
        The connected client.

    Raises
    ------
    ConnectionError
        The scheduler did not answer within ``timeout`` seconds.
    """
    distributed = require("dask.distributed")
    if not isinstance(address, str) or not address:
        raise TypeError(
            f"the scheduler address must be a string like 'tcp://host:8786', got {address!r}"
        )
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError) as err:
        raise ConnectionError(
            f"no Dask scheduler answered at {address!r} within {timeout:g} s ({err}); check the "
            "address (dask scheduler prints it as 'Scheduler at: tcp://...') and that its port "
            "is reachable from here"
        ) from None


def total_threads(client: Any) -> int:
    """The threads of all the workers of ``client``'s cluster right now."""
    return max(1, sum(client.nthreads().values()))


def retries_seen(client: Any, keys: list[str]) -> dict[str, int]:
    """How many times a worker died while running each of ``keys`` (the scheduler's
    ``suspicious`` count; it reschedules such tasks)."""

    def suspicious(dask_scheduler, keys):  # runs on the scheduler: no eulerflow imports
        tasks = dask_scheduler.tasks
        return {key: tasks[key].suspicious for key in keys if key in tasks}

    return client.run_on_scheduler(suspicious, keys=keys)
