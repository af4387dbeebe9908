"""What one member contributes to the store: an eulerflow result taken apart into the arrays a
worker writes (fields on the grid), the small per-member values the driver writes (per-snapshot
and scalar diagnostics, how the solve ended) and the attributes every member shares."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from ..results import Result

SHARED_ATTRS = ("eulerflow_result", "eulerflow_version", "grid", "backend", "equation", "field")
"""Attributes of a result that must be the same for every member (they go to the dataset)."""
ITERATION_DIM = "iteration"
"""Per-iteration histories (dims ``(iteration,)``) are stored as their final value only."""
_PER_MEMBER_TEXT = {"message": "message", "parameters": "solver_parameters"}
_RENAMED = {"status": "solver_status", "wall_time": "solver_wall_time"}


@dataclasses.dataclass
class MemberOutput:
    """One solved member, taken apart.

    ``fields`` are the variables with a grid axis (written by the worker), ``small`` the other
    variables and the per-member numbers and texts of the result (written by the driver), a
    per-iteration history as its final value ``<name>_final``; ``coords`` and ``attrs`` are
    shared by all members.
    """

    fields: dict[str, tuple[tuple[str, ...], np.ndarray]]
    small: dict[str, tuple[tuple[str, ...], np.ndarray]]
    coords: dict[str, tuple[tuple[str, ...], np.ndarray, dict]]
    attrs: dict[str, str]


def take_apart(result: Any) -> MemberOutput:
    """Split an eulerflow result into the parts the store keeps (see :class:`MemberOutput`)."""
    if not isinstance(result, Result):
        raise TypeError(
            f"solve returned a {type(result).__name__}; it must return an eulerflow result "
            "(a Solution, OTResult, JKOSolution... from an eulerflow solver)"
        )
    ds = result.to_xarray()
    grid_axes = set(result.grid.axis_names) if result.grid is not None else set()
    fields, small = {}, {}
    for name, var in ds.data_vars.items():
        values = np.asarray(var.values)
        if var.dims == (ITERATION_DIM,):  # its length varies from member to member: keep the end
            small[f"{name}_final"] = ((), values[-1] if values.size else np.asarray(np.nan))
            continue
        target = fields if grid_axes & set(var.dims) else small
        target[str(name)] = (tuple(str(d) for d in var.dims), values)
    coords = {
        str(name): (tuple(str(d) for d in c.dims), np.asarray(c.values), dict(c.attrs))
        for name, c in ds.coords.items()
        if c.dims != (ITERATION_DIM,)
    }
    attrs = {}
    for key, value in ds.attrs.items():
        if key in _PER_MEMBER_TEXT:
            small[_PER_MEMBER_TEXT[key]] = ((), np.asarray(str(value)))
        elif isinstance(value, str):
            attrs[key] = value
        else:
            small[_RENAMED.get(key, key)] = ((), np.asarray(value))
    small["converged"] = ((), np.asarray(bool(getattr(result, "converged", result.status == 0))))
    small["mass_drift"] = ((), np.asarray(mass_drift(small)))
    return MemberOutput(fields, small, coords, attrs)


def mass_drift(small: dict) -> float:
    """``max_t |m(t) - m(0)| / |m(0)|`` of the per-snapshot ``mass`` (NaN without one)."""
    entry = small.get("mass")
    if entry is None or entry[1].ndim != 1 or entry[1].size == 0:
        return math.nan
    mass = entry[1].astype(float)
    scale = abs(mass[0]) if mass[0] != 0 else 1.0
    return float(np.max(np.abs(mass - mass[0])) / scale)


def scheme_of(output: MemberOutput) -> str:
    """The scheme a member ran (stepper, method or scheme in its solver parameters)."""
    entry = output.small.get("solver_parameters")
    parameters = json.loads(str(entry[1])) if entry is not None else {}
    for key in ("scheme", "method", "stepper"):
        if key in parameters:
            return str(parameters[key])
    return ""
