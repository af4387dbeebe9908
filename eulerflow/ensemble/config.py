"""Ensembles described by a TOML file (the ``eulerflow ensemble CONFIG.toml`` command).

A configuration names the problem, the members and the store::

    problem = "fokker-planck"        # or "package.module:function", a solve(record) of yours
    members = 64
    store = "sweep.zarr"
    seed = 0                          # member i has seed = seed + i
    chunk = 4                         # optional: members per task and per Zarr chunk

    [grid]                            # fokker-planck only
    shape = [64, 64]
    bounds = [[-4, 4], [-4, 4]]

    [initial]                         # the random initial density of each member
    kind = "gaussian_random_field"    # or "gaussian_mixture"
    length_scale = 0.5

    [potential]
    kind = "quadratic"                # 0.5 stiffness |x|^2; or "random" (random_potential)
    stiffness = 1.0

    [solver]                          # keywords of eulerflow.solve_fokker_planck
    t_final = 1.0
    t_eval = [0.0, 0.5, 1.0]

    [parameters]                      # swept per member
    diffusion = {uniform = [0.1, 1.0]}    # or {loguniform = [lo, hi]}, or a list of values

Swept parameters named like a solver keyword go to the solver; ``initial_<name>`` and
``potential_<name>`` go to the generator and the potential. Values drawn at random use the
member's seed; lists are taken in turn (member ``i`` gets ``values[i % len(values)]``).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..equations.fokker_planck import solve_fokker_planck
from ..grid import Grid
from .generators import gaussian_mixture, gaussian_random_field, random_potential

__all__ = ["fokker_planck_member", "load_config", "members_of", "solve_of"]

_GENERATORS = {"gaussian_random_field": gaussian_random_field, "gaussian_mixture": gaussian_mixture}
_KEYS = {"problem", "members", "store", "seed", "chunk", "grid", "initial", "potential", "solver",
         "parameters"}  # fmt: skip


def load_config(path: str | Path) -> dict:
    """Read and check an ensemble configuration (TOML).

    Parameters
    ----------
    path : str or path-like
        The TOML file.

    Returns
    -------
    dict
        The configuration, with ``store`` relative to the file's folder made absolute.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the ensemble extra installs tomli there
        import tomli as tomllib
    path = Path(path)
    with path.open("rb") as f:
        try:
            config = tomllib.load(f)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path}: not valid TOML ({err})") from None
    unknown = set(config) - _KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; the keys are {sorted(_KEYS)}")
    for key in ("problem", "members", "store"):
        if key not in config:
            raise ValueError(f"{path}: the key {key!r} is required (see eulerflow ensemble --help)")
    n = config["members"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{path}: members must be a positive integer, got {n!r}")
    config["store"] = str((path.parent / config["store"]).resolve())
    return config


def members_of(config: dict) -> list[dict]:
    """The member records of a configuration: ``seed`` and the swept parameters.

    Parameters
    ----------
    config : dict
        A configuration read by :func:`load_config`.

    Returns
    -------
    list of dict
        One record per member, reproducible from the configuration's ``seed``.
    """
    seed0 = int(config.get("seed", 0))
    records = []
    for i in range(config["members"]):
        rng = np.random.default_rng([seed0 + i, 1])  # a stream apart from the member's data
        record: dict[str, Any] = {"seed": seed0 + i}
        for name, spec in config.get("parameters", {}).items():
            record[name] = _draw(name, spec, i, rng)
        records.append(record)
    return records


def _draw(name: str, spec: Any, i: int, rng: np.random.Generator) -> Any:
    if isinstance(spec, list) and spec:
        return spec[i % len(spec)]
    if isinstance(spec, dict) and len(spec) == 1:
        ((kind, bounds),) = spec.items()
        if kind in ("uniform", "loguniform") and len(bounds) == 2 and 0 < bounds[0] <= bounds[1]:
            lo, hi = (np.log(bounds[0]), np.log(bounds[1])) if kind == "loguniform" else bounds
            value = rng.uniform(lo, hi)
            return float(np.exp(value) if kind == "loguniform" else value)
    raise ValueError(
        f"parameters.{name} must be a list of values, {{uniform = [lo, hi]}} or "
        f"{{loguniform = [lo, hi]}} with 0 < lo <= hi, got {spec!r}"
    )


def solve_of(config: dict) -> Callable[[dict], Any]:
    """The picklable solve function of a configuration.

    Parameters
    ----------
    config : dict
        A configuration read by :func:`load_config`.

    Returns
    -------
    callable
        ``record -> result``: a ``functools.partial`` of :func:`fokker_planck_member`, or the
        user's function named by ``problem``.
    """
    problem = config["problem"]
    if problem == "fokker-planck":
        spec = {key: config.get(key, {}) for key in ("grid", "initial", "potential", "solver")}
        if "shape" not in spec["grid"] or "bounds" not in spec["grid"]:
            raise ValueError("problem 'fokker-planck' needs [grid] with shape and bounds")
        kind = spec["initial"].get("kind", "gaussian_random_field")
        if kind not in _GENERATORS:
            raise ValueError(f"initial.kind must be one of {sorted(_GENERATORS)}, got {kind!r}")
        kind = spec["potential"].get("kind", "quadratic")
        if kind not in ("quadratic", "random"):
            raise ValueError(f"potential.kind must be 'quadratic' or 'random', got {kind!r}")
        return functools.partial(fokker_planck_member, spec=spec)
    if ":" in problem:
        module, _, name = problem.partition(":")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as err:
            raise ValueError(f"problem {problem!r}: cannot import it ({err})") from None
    raise ValueError(
        f"problem must be 'fokker-planck' or 'package.module:function', got {problem!r}"
    )


def fokker_planck_member(record: dict, *, spec: dict) -> Any:
    """Solve the Fokker-Planck member ``record`` of a configuration ``spec``.

    Parameters
    ----------
    record : dict
        ``seed`` and the swept parameters.
    spec : dict
        The ``grid``, ``initial``, ``potential`` and ``solver`` tables of the configuration.

    Returns
    -------
    Solution
        The solution of :func:`eulerflow.solve_fokker_planck`.
    """
    swept = {k: v for k, v in record.items() if k != "seed"}
    initial = dict(spec["initial"]) | _prefixed(swept, "initial_")
    potential = dict(spec["potential"]) | _prefixed(swept, "potential_")
    solver = dict(spec["solver"]) | {
        k: v for k, v in swept.items() if not k.startswith(("initial_", "potential_"))
    }
    grid = Grid(tuple(spec["grid"]["shape"]), tuple(map(tuple, spec["grid"]["bounds"])),
                periodic=spec["grid"].get("periodic", False))  # fmt: skip
    generator = _GENERATORS[initial.pop("kind", "gaussian_random_field")]
    rho0 = generator(grid, seed=record["seed"], **initial)
    kind = potential.pop("kind", "quadratic")
    if kind == "quadratic":
        stiffness = potential.get("stiffness", 1.0)
        values = 0.5 * stiffness * sum(c**2 for c in grid.centers)
    else:
        values = random_potential(grid, seed=[record["seed"], 2], **potential)
    solver.setdefault("progress", False)
    return solve_fokker_planck(rho0, grid, values, **solver)


def _prefixed(values: dict, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
