"""Benchmark of eulerflow.ensemble: throughput of Fokker-Planck ensembles against serial calls,
and the overhead per member.

The members are 64 solves of ``d_t rho = div(eps grad rho + rho grad V)`` on a 128^2 grid of
``[-4, 4]^2``, ``V = |x|^2 / 2``, from Gaussian-random-field initial data (one seed per member),
``eps`` swept over ``[0.5, 1.5]``, BDF2 with 200 fixed steps (``dt = 0.0025``) to ``t = 0.5``,
three snapshots.

Rows (every one after a warm-up, so that Numba's compilation is not timed):

- ``serial``: the 64 solves called one after the other in this process (Numba with this
  machine's threads); throughput = 64 / wall time; measured before and after the ensemble
  rows (the machine's load changes), the better of the two is the reference;
- ``ensemble W x T, chunk C``: :func:`eulerflow.ensemble.run` on a local cluster of ``W``
  worker processes with ``T`` threads each (Numba threads too), ``C`` members per task,
  writing to a fresh Zarr store; throughput = members / ``summary.solve_time`` (from the first
  member handed out to the last committed; the cluster start is not counted), and its ratio to
  the serial throughput (target >= 0.9);
- ``processes W x 1``: the same solves on a plain ``ProcessPoolExecutor`` of ``W`` processes
  with one Numba thread each (no Dask, nothing written): the parallel throughput this machine
  gives at the moment, the ceiling of an ensemble of ``W`` single-threaded workers;
- ``overhead``: the same machinery on members whose "solve" returns a ready-made 128^2 solution
  (no computation), on one single-threaded worker: the time per member is what the ensemble
  adds to a solve (task, transfer, taking the result apart, writing, committing). Below it the
  parts measured in this process: ``take_apart`` (result to arrays) and the Zarr write of one
  member's fields.

Run from the repository root::

    PYTHONPATH=. python benchmarks/ensemble.py                 # about 2 minutes on 2 cores
    PYTHONPATH=. python benchmarks/ensemble.py --members 32 --layouts 2x1
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import platform
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import eulerflow as ef
from eulerflow import ensemble
from eulerflow.ensemble.cluster import close, local_client
from eulerflow.ensemble.output import take_apart
from eulerflow.ensemble.store import EnsembleStore

TARGET = 0.9
TIMES = [0.0, 0.25, 0.5]


def grid(n: int) -> ef.Grid:
    return ef.Grid((n, n), ((-4.0, 4.0), (-4.0, 4.0)))


def solve(record: dict, n: int) -> ef.Solution:
    """One member: GRF initial data of the member's seed, its diffusion."""
    g = grid(n)
    rho0 = ensemble.gaussian_random_field(g, seed=record["seed"], amplitude=0.5)
    return ef.solve_fokker_planck(
        rho0, g, lambda x, y: 0.5 * (x**2 + y**2), TIMES[-1], diffusion=record["diffusion"],
        t_eval=TIMES, dt=TIMES[-1] / 200, backend="numba", progress=False,
    )  # fmt: skip


def ready_made(record: dict, n: int) -> ef.Solution:
    """A solution of the members' shape without any computation (for the overhead)."""
    g = grid(n)
    values = np.full((len(TIMES), n, n), 1.0 / 64.0)
    return ef.Solution(
        t=TIMES, values=values, grid=g, field="rho", equation="fokker-planck",
        parameters={"stepper": "none"}, backend="numba",
        diagnostics={"mass": np.ones(len(TIMES))},
    )  # fmt: skip


def members(count: int) -> list[dict]:
    return [{"seed": s, "diffusion": 0.5 + s / max(count - 1, 1)} for s in range(count)]


def serial(records: list[dict], n: int) -> float:
    solve(records[0], n)  # warm-up
    start = time.perf_counter()
    for record in records:
        solve(record, n)
    return time.perf_counter() - start


def one_thread() -> None:
    import numba

    numba.set_num_threads(1)


def processes(records: list[dict], n: int, workers: int) -> float:
    """Seconds of the solves on a plain process pool (after a warm-up of every process)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=one_thread) as pool:
        list(pool.map(functools.partial(solve, n=n), records[: 2 * workers]))
        start = time.perf_counter()
        list(pool.map(functools.partial(solve, n=n), records))
        return time.perf_counter() - start


def ensemble_run(function, records, workers, threads, chunk, folder: Path):
    client = local_client(workers=workers, threads=threads)
    try:
        warm = folder / "warm.zarr"
        first = records[: 2 * workers * threads]
        ensemble.run(function, first, warm, client=client, overwrite=True, progress=False)
        store = folder / f"run-{workers}x{threads}-{chunk}.zarr"
        return ensemble.run(function, records, store, client=client, chunk=chunk, progress=False)
    finally:
        close(client)


def parts(n: int, folder: Path) -> tuple[float, float]:
    """Milliseconds of take_apart and of writing one member's fields (median of 20)."""
    result = ready_made({}, n)
    output = take_apart(result)
    store = EnsembleStore.create(
        str(folder / "parts.zarr"), fingerprint="x", solve_name="x",
        columns={"seed": np.arange(20)}, chunk=1,
    )  # fmt: skip
    store.add_layout(output)
    apart, write = [], []
    for i in range(20):
        start = time.perf_counter()
        output = take_apart(result)
        apart.append(time.perf_counter() - start)
        start = time.perf_counter()
        store.write_fields(i, i + 1, {"rho": output.fields["rho"][1][None]})
        write.append(time.perf_counter() - start)
    return 1e3 * float(np.median(apart)), 1e3 * float(np.median(write))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--n", type=int, default=128, help="cells per axis (default 128)")
    parser.add_argument("--layouts", nargs="*", default=["1x2", "2x1"], help="WxT local clusters")
    parser.add_argument("--chunks", type=int, nargs="+", default=[1, 4], help="members per task")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()
    machine = platform.processor() or platform.machine()
    print(f"eulerflow {ef.__version__}, {machine}, {cores} cores, load average before "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    print(
        f"{args.members} Fokker-Planck members at {args.n}^2, BDF2, 200 fixed steps, 3 snapshots\n"
    )
    records = members(args.members)
    folder = Path(tempfile.mkdtemp(prefix="eulerflow-bench-"))
    try:
        seconds = serial(records, args.n)
        best = args.members / seconds
        print(f"{'run':<32} {'members/s':>10} {'vs serial':>10} {'wall s':>8}")
        print(f"{'serial':<32} {best:>10.2f} {1.0:>10.2f} {seconds:>8.2f}")
        for workers in sorted({int(layout.split("x")[0]) for layout in args.layouts} - {1}):
            seconds = processes(records, args.n, workers)
            name = f"processes {workers} x 1 (no Dask)"
            rate = args.members / seconds
            print(f"{name:<32} {rate:>10.2f} {rate / best:>10.2f} {seconds:>8.2f}")
        function = functools.partial(solve, n=args.n)
        for layout in args.layouts:
            workers, threads = (int(v) for v in layout.split("x"))
            for chunk in args.chunks:
                s = ensemble_run(function, records, workers, threads, chunk, folder)
                ratio = s.throughput / best
                flag = "met" if ratio >= TARGET else "missed"
                name = f"ensemble {workers} x {threads}, chunk {chunk}"
                print(f"{name:<32} {s.throughput:>10.2f} {ratio:>10.2f} {s.solve_time:>8.2f}"
                      f"   target {TARGET} {flag}")  # fmt: skip
        seconds = serial(records, args.n)
        print(f"{'serial, again':<32} {args.members / seconds:>10.2f} {'':>10} {seconds:>8.2f}")
        if args.members / seconds > best:
            print(f"  best serial {args.members / seconds:.2f} members/s: ratios above are "
                  f"{best * seconds / args.members:.2f} x too high")  # fmt: skip
        null = functools.partial(ready_made, n=args.n)
        for chunk in args.chunks:
            s = ensemble_run(null, records, 1, 1, chunk, folder)
            print(f"overhead, 1 x 1, chunk {chunk}: {1e3 * s.solve_time / s.solved:.1f} ms/member")
        apart, write = parts(args.n, folder)
        print(
            f"  in this process: take_apart {apart:.2f} ms, Zarr write of one member {write:.2f} ms"
        )
        load = os.getloadavg()
        print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
