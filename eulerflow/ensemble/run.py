"""The driver of an ensemble: lay out the store, hand chunks of members to the Dask workers,
commit what comes back, survive dead workers, failing members and Ctrl-C."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..progress import progress_bar
from . import cluster as clusters
from ._optional import require
from .members import as_records, columns, fingerprint_text, plain
from .store import DONE, FAILED, PENDING, EnsembleStore, fingerprint, store_argument
from .task import solve_chunk, solve_member

FLUSH_SECONDS = 1.0
"""The driver commits finished members at least this often."""
MAX_AUTO_CHUNK = 16
"""Largest number of members per chunk chosen by ``chunk=None``."""


@dataclasses.dataclass(frozen=True)
class Summary:
    """How an ensemble run went.

    Parameters
    ----------
    store : str
        Where the ensemble is.
    n_members : int
        Members of the ensemble.
    done, failed : int
        Members complete / recorded as failed in the store at the end (all runs together).
    skipped : int
        Members that were already complete or failed in the store when this run started.
    solved : int
        Members solved by this run (done or failed).
    retried : int
        Members solved again because the worker running them died.
    wall_time : float
        Seconds of the whole call (cluster start included).
    solve_time : float
        Seconds from the first member handed out to the last one committed.
    """

    store: str
    n_members: int
    done: int
    failed: int
    skipped: int
    solved: int
    retried: int
    wall_time: float
    solve_time: float

    @property
    def throughput(self) -> float:
        """Members solved per second by this run (over ``solve_time``)."""
        return self.solved / self.solve_time if self.solve_time > 0 else math.nan

    def __str__(self) -> str:
        return (
            f"ensemble {self.store}: {self.done} done, {self.failed} failed of {self.n_members} "
            f"({self.skipped} already there, {self.solved} solved now, {self.retried} retried); "
            f"{self.throughput:.3g} members/s, {self.wall_time:.1f} s in all"
        )


def run(
    solve: Callable[[dict], Any],
    members: Iterable,
    store: Any,
    *,
    client: Any = None,
    chunk: int | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    threads: int | None = None,
    retry_failed: bool = False,
) -> Summary:
    """Solve every member of an ensemble on Dask and write the results into one Zarr dataset.

    Each member is a record of parameters (a dict or a dataclass, seeds included); ``solve``
    turns one record (as a dict) into an eulerflow result. The store gets one dataset with a
    ``member`` dimension: the parameters, every member's snapshots and diagnostics, its wall
    time, mass drift, whether it converged, and the error of a member whose solve raised; the
    attributes say the grid, scheme, backend and eulerflow version (CF conventions). Read it
    with :func:`eulerflow.ensemble.open`.

    A rerun on the same store skips the members already there, so an interrupted run (Ctrl-C,
    a crash) finishes by running it again. A worker that dies loses only the members it was
    solving, which run again elsewhere; a member whose solve raises is recorded as failed and
    the others go on.

    Parameters
    ----------
    solve : callable ``record -> Result``
        Picklable (a module-level function, or ``functools.partial`` of one): it is sent to
        the workers once.
    members : sequence of dict or dataclass
        The parameter records, all with the same fields; anything with ``len()`` (wrap a
        generator with :func:`eulerflow.ensemble.sized`).
    store : str, path or zarr store
        Where the dataset goes; every worker must be able to open it (a shared file system or
        an object store for a cluster of several machines).
    client : distributed.Client or str, optional
        A Dask client, or the address of a scheduler to connect to. By default a local cluster
        is started for the call (see ``workers`` and ``threads``) and closed at the end.
    chunk : int, optional
        Members per task and per Zarr chunk of the fields (the unit of work, of writing and of
        reading back). Default: enough chunks for eight per thread, at most 16 members each.
        A store keeps the chunk it was created with.
    progress : bool, optional
        Show a progress bar (default: only on a terminal).
    overwrite : bool, default False
        Replace whatever ``store`` holds. Without it, a store holding another problem (another
        solve function or other members) is refused.
    workers, threads : int, optional
        The local cluster: worker processes and threads per worker (default one single-threaded
        worker per core); each worker's Numba uses ``threads`` threads.
    retry_failed : bool, default False
        Solve again the members recorded as failed.

    Returns
    -------
    Summary
        Done, failed, skipped, solved, retried, throughput.

    Raises
    ------
    TypeError
        ``solve`` is not callable or not picklable; ``members`` has no length or holds
        something other than dicts and dataclasses; ``store`` is neither a path nor a store.
    ValueError
        ``store`` holds another problem (and ``overwrite`` is False); members with differing
        fields; a ``chunk`` other than the store's.
    ConnectionError
        ``client`` is an address where no scheduler answers.
    KeyboardInterrupt
        After Ctrl-C, once the members already handed to workers are committed (a second
        Ctrl-C abandons them).

    Examples
    --------
    >>> import eulerflow as ef
    >>> from eulerflow import ensemble
    >>> def solve(p):  # doctest: +SKIP
    ...     grid = ef.Grid((64, 64), ((-4, 4), (-4, 4)))
    ...     rho0 = ensemble.gaussian_random_field(grid, seed=p["seed"])
    ...     return ef.solve_fokker_planck(rho0, grid, lambda x, y: (x**2 + y**2) / 2,
    ...                                   1.0, diffusion=p["diffusion"], progress=False)
    >>> members = [{"seed": s, "diffusion": d} for s in range(8) for d in (0.5, 1.0)]
    >>> summary = ensemble.run(solve, members, "sweep.zarr")  # doctest: +SKIP
    """
    started = time.perf_counter()
    solve_name = _check_solve(solve)
    records = as_records(members)
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1):
        raise ValueError(f"chunk must be a positive integer (members per task), got {chunk!r}")
    target = store_argument(store)
    key = fingerprint(solve_name, fingerprint_text(records))
    existing = None if overwrite else EnsembleStore.open(target)
    driver = None
    if existing is not None:
        existing.check_problem(key, solve_name, len(records))
        if chunk is not None and chunk != existing.chunk:
            raise ValueError(
                f"chunk={chunk} differs from the store's chunk {existing.chunk}; omit chunk to "
                "continue this ensemble (or overwrite=True to start again)"
            )
        existing.load_meta()
        _check_fields(existing)
        driver = _Driver(existing, solve, records, target, progress, retry_failed)
        if not len(driver.todo):  # nothing to do: no cluster needed
            return driver.run(None, started)
    connected = isinstance(client, str)  # a client made here is closed here
    if connected:
        client = clusters.connect(client)
    own = client is None
    if own:
        client = clusters.local_client(workers, threads)
    try:
        if driver is None:
            chunk = chunk or _auto_chunk(len(records), clusters.total_threads(client))
            ensemble = EnsembleStore.create(
                target, fingerprint=key, solve_name=solve_name, columns=columns(records),
                chunk=chunk,
            )  # fmt: skip
            driver = _Driver(ensemble, solve, records, target, progress, retry_failed)
        return driver.run(client, started)
    finally:
        if own:
            clusters.close(client)
        elif connected:
            client.close()


def _check_solve(solve: Any) -> str:
    """The solve function's name, after checking that it can travel to the workers."""
    if not callable(solve):
        raise TypeError(f"solve must be a callable record -> result, got {type(solve).__name__}")
    cloudpickle = require("cloudpickle")
    try:
        cloudpickle.dumps(solve)
    except Exception as err:
        raise TypeError(
            f"solve must be picklable to be sent to the workers, but pickling it failed ({err}); "
            "use a module-level function (or functools.partial of one) that does not hold open "
            "files, locks, clients or generators"
        ) from None
    function = getattr(solve, "func", solve)  # functools.partial: its arguments count too
    name = f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"
    if function is not solve:
        bound = {"args": getattr(solve, "args", ()), "keywords": getattr(solve, "keywords", {})}
        name += json.dumps(plain(bound), sort_keys=True)
    return name


def _auto_chunk(n: int, threads: int) -> int:
    return int(max(1, min(MAX_AUTO_CHUNK, n // (8 * threads))))


def _check_fields(ensemble: EnsembleStore) -> None:
    missing = ensemble.missing_fields()
    if missing:
        raise ValueError(
            f"the ensemble in {ensemble.group.store} lacks chunks of {missing} that its commit "
            "flags say were written (files deleted?); pass overwrite=True to start again"
        )


class _Interrupts:
    """Ctrl-C while the driver runs (in the main thread): the first stops handing out members
    and lets the ones in flight finish and be committed; the second raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self.count = 0
        self._previous = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: object) -> None:
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt
        print(
            "\ninterrupted: committing the members in flight (Ctrl-C again to abandon them); "
            "run again to finish the ensemble",
            file=sys.stderr,
        )


def _first_done(distributed: Any, running: dict) -> set:
    """The finished futures among ``running``, waiting at most a quarter of a second (so that
    Ctrl-C and the periodic commits are seen)."""
    try:
        done, _ = distributed.wait(list(running), timeout=0.25, return_when="FIRST_COMPLETED")
    except (TimeoutError, asyncio.TimeoutError):
        return set()
    return done


class _Driver:
    """One run: the chunks to do, the tasks in flight, the commits."""

    def __init__(self, ensemble, solve, records, target, progress, retry_failed) -> None:
        self.client: Any = None
        self.ensemble, self.records, self.target = ensemble, records, target
        state = ensemble.meta["state"]
        todo = (state == PENDING) | ((state == FAILED) if retry_failed else False)
        self.todo = np.flatnonzero(todo)
        self.skipped = len(records) - len(self.todo)
        self.solved = self.retried = 0
        self.solve = solve
        self.bar = progress_bar(len(self.todo), progress, "ensemble", unit="member")
        self.last_flush = time.perf_counter()
        self.interrupts = _Interrupts()
        self._settled: list[tuple[Any, int]] = []  # finished tasks whose retries are not counted

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, client: Any, started: float) -> Summary:
        """Solve the pending members on ``client``'s cluster (``None`` when there are none)."""
        self.client = client
        first = time.perf_counter()
        try:
            with self.bar, self.interrupts:
                if len(self.todo) and not self.ensemble.has_layout:
                    self._probe()
                if len(self.todo) and not self.interrupts.count:
                    self._solve_chunks()
        finally:
            self.ensemble.flush()
        if self.interrupts.count:
            raise KeyboardInterrupt
        state = self.ensemble.meta["state"]
        return Summary(
            store=str(self.target),
            n_members=len(self.records),
            done=int(np.sum(state == DONE)),
            failed=int(np.sum(state == FAILED)),
            skipped=self.skipped,
            solved=self.solved,
            retried=self.retried,
            wall_time=time.perf_counter() - started,
            solve_time=time.perf_counter() - first,
        )

    def _probe(self) -> None:
        """Solve members one at a time until one succeeds; its result lays out the store."""
        while len(self.todo) and not self.interrupts.count:
            index = int(self.todo[0])
            self.todo = self.todo[1:]
            future = self.client.submit(solve_member, self.solve, self.records[index], pure=False)
            output, values = future.result()
            if output is not None:
                self.ensemble.add_layout(output)
                start = index - index % self.ensemble.chunk
                stop = min(start + self.ensemble.chunk, len(self.records))
                blocks = {}
                for name, (shape, dtype) in self.ensemble.field_shapes.items():
                    block = np.full((stop - start, *shape), self.ensemble.fill_values[name], dtype)
                    block[index - start] = output.fields[name][1]
                    blocks[name] = block
                self.ensemble.write_fields(start, stop, blocks)
            self._commit([(index, values)])
            self.ensemble.flush()
            if output is not None:
                return

    def _solve_chunks(self) -> None:
        distributed = require("dask.distributed")
        solve = self.client.scatter([self.solve], broadcast=True, hash=False)[0]
        chunk, n = self.ensemble.chunk, len(self.records)
        queue = deque()
        for start in range(0, n, chunk):
            inside = self.todo[(self.todo >= start) & (self.todo < start + chunk)]
            if len(inside):
                queue.append((start, min(start + chunk, n), [int(i) for i in inside]))
        running: dict[Any, tuple] = {}
        attempts: dict[int, int] = {}
        window = 2 * clusters.total_threads(self.client)
        try:
            while queue or running:
                if self.interrupts.count:
                    queue.clear()
                while queue and len(running) < window:
                    start, stop, indices = item = queue.popleft()
                    attempts[start] = attempts.get(start, 0) + 1
                    future = self.client.submit(
                        solve_chunk, solve, self.target, self.ensemble.token, start, stop,
                        [(i, self.records[i]) for i in indices],
                        key=f"eulerflow-ensemble-{self.ensemble.token[:8]}-{start}-{attempts[start]}",
                    )  # fmt: skip
                    running[future] = item
                self._collect(_first_done(distributed, running), running, queue)
                if time.perf_counter() - self.last_flush > FLUSH_SECONDS or not running:
                    self._count_retries()
                    self.ensemble.flush()
                    self.last_flush = time.perf_counter()
                    window = 2 * clusters.total_threads(self.client)
        except KeyboardInterrupt:  # the second Ctrl-C: abandon what is in flight
            self.client.cancel(list(running))
            raise

    def _collect(self, done, running: dict, queue: deque) -> None:
        """Commit the finished tasks; hand out again those whose worker died (or whose result
        was lost with it)."""
        distributed = require("dask.distributed")
        finished = [f for f in done if f.status == "finished"]
        try:
            results = dict(zip(finished, self.client.gather(finished), strict=True))
        except Exception:  # a result died with its worker before it was fetched: one by one
            results = {}
            for future in finished:
                try:
                    results[future] = future.result(timeout=60)
                except Exception:
                    pass
        for future in done:
            start, stop, indices = item = running.pop(future)
            if future in results:
                self._commit(results[future])
                self._settled.append((future, len(indices)))
                continue
            error = future.exception() if future.status == "error" else None
            if error is not None and not isinstance(error, distributed.KilledWorker):
                message = f"the task failed: {type(error).__name__}: {error}"
                self._commit([(i, {"state": FAILED, "error": message}) for i in indices])
                continue
            self.retried += len(indices)
            queue.append(item)

    def _count_retries(self) -> None:
        """Ask the scheduler which of the tasks finished since the last time ran on a worker
        that died (one request for all of them), then let those tasks go."""
        if self._settled:
            keys = [future.key for future, _ in self._settled]
            seen = clusters.retries_seen(self.client, keys)
            self.retried += sum(n for future, n in self._settled if seen.get(future.key, 0) > 0)
            self._settled = []

    def _commit(self, results: list[tuple[int, dict]]) -> None:
        for index, values in results:
            self.ensemble.record(index, values)
        self.solved += len(results)
        self.bar.update(len(results))
