"""The work of one Dask task: solve a chunk of members and write their fields into the store.

A task solves the members of one chunk (``chunk`` consecutive members, one Zarr chunk of every
field), catches what a solve raises (the member is recorded as failed with the message), writes
the chunk of every field in one piece and returns the small per-member values to the driver,
which commits them. The store's opened metadata are kept per worker process.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import numpy as np

from .output import MemberOutput, take_apart
from .store import DONE, FAILED, EnsembleStore

_OPEN: dict[tuple[str, str], EnsembleStore] = {}


def _store(store: Any, token: str) -> EnsembleStore:
    key = (str(store), token)
    if key not in _OPEN:
        opened = EnsembleStore.open(store)
        if opened is None or opened.group.attrs.get("token") != token:
            raise RuntimeError(f"the ensemble store {store!r} was replaced while this run used it")
        _OPEN.clear()
        _OPEN[key] = opened
    return _OPEN[key]


def solve_member(solve: Any, record: dict) -> tuple[MemberOutput | None, dict]:
    """Solve one member: ``(output, small values)``; a raising solve gives ``None`` and the
    error."""
    start = time.perf_counter()
    try:
        output = take_apart(solve(record))
    except Exception as err:  # a member's failure is data, not a reason to stop
        values = {"state": FAILED, "error": _describe(err)}
        values["wall_time"] = time.perf_counter() - start
        return None, values
    values = {name: value for name, (_, value) in output.small.items()}
    values |= {"state": DONE, "error": "", "wall_time": time.perf_counter() - start}
    return output, values


def solve_chunk(
    solve: Any, store: Any, token: str, start: int, stop: int, members: list[tuple[int, dict]]
) -> list[tuple[int, dict]]:
    """Solve ``members`` (``(index, record)`` pairs inside ``start:stop``), write the chunk of
    every field, return ``(index, small values)`` per member. The store must be laid out."""
    ensemble = _store(store, token)
    shapes = ensemble.field_shapes
    if len(members) == stop - start:
        blocks = {
            name: np.full((stop - start, *shape), ensemble.fill_values[name], dtype=dtype)
            for name, (shape, dtype) in shapes.items()
        }
    else:  # some members of this chunk are done already: keep them
        blocks = ensemble.read_fields(start, stop)
    out = []
    for index, record in members:
        output, values = solve_member(solve, record)
        if output is not None:
            problem = ensemble.conforms(output)
            if problem is not None:
                output = None
                values = {
                    "state": FAILED,
                    "error": f"the result does not fit the store: {problem}",
                    "wall_time": values["wall_time"],
                }
        if output is not None:
            for name in shapes:
                blocks[name][index - start] = output.fields[name][1]
        out.append((index, values))
    ensemble.write_fields(start, stop, blocks)
    return out


def _describe(err: BaseException) -> str:
    """``Type: message`` and the place it was raised."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(err).__name__}: {err}{where}"
