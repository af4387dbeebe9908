"""A method's outputs as ``{time: array}``: from Python objects and from files.

:func:`as_series` turns what a user passes to :func:`eulerflow.validate` (one array with one
time, a mapping ``{t: array}``, a sequence of arrays with a sequence of times, a stacked array
with a sequence of times) into a dict keyed by the problem's own times. :func:`read_outputs`
reads the same from a file, in one of these layouts:

``.npz`` (NumPy archive)
    ``times`` (T,) and the outputs at those times, as one of

    - ``samples_0``, ``samples_1``, ... (one array (n_k, d) per time, in the order of ``times``);
    - ``particles_t1``, ``particles_t2``, ... (the same, numbered from 1: the layout of the
      shipped neural datasets);
    - ``samples`` (T, n, d), stacked;
    - ``density`` (T, *shape), cell averages on the problem's reference grid;
    - ``values`` (T, *shape), for Hamilton-Jacobi problems.

    Without ``times`` the times must be given (``t=``, ``--t`` on the command line). Other
    arrays in the archive are ignored.
``.npy``
    one array of samples, (n, d) for one time or (T, n, d) for T times; the times must be given.
``.nc`` (netCDF, read with xarray)
    a variable ``samples`` with dims (time, sample, dim), or ``density`` / ``values`` with dims
    (time, ...) and the reference grid's shape; the times are the coordinate ``time`` (or the
    given ``t``).

Samples are never filtered here: NaN, wrong dimension and samples outside the box are judged
by :func:`eulerflow.validate` (the first two are errors, the last are counted).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..checks import cell_values
from ..grid import Grid
from ..metrics.inputs import as_samples
from ..problems import Problem

KINDS = ("samples", "density", "values")
"""What a method returns: samples of the density, the density (cell averages), or the values of
the solution of a Hamilton-Jacobi problem."""

FILE_LAYOUT = (
    "expected 'times' (T,) with 'samples_0', 'samples_1', ... or 'particles_t1', "
    "'particles_t2', ... (one (n, d) array per time), or 'samples' (T, n, d), 'density' "
    "(T, *shape) or 'values' (T, *shape) (.npz); one (n, d) or (T, n, d) array of samples "
    "(.npy, times given with t / --t); a variable 'samples' (time, sample, dim), 'density' or "
    "'values' (time, ...) with a coordinate 'time' (.nc)"
)


class Outputs(NamedTuple):
    """A method's outputs read from a file: the kind and ``{time: array}``.

    Attributes
    ----------
    kind : str
        What the arrays hold: ``"samples"``, ``"density"`` or ``"values"``.
    data : dict of float to numpy.ndarray
        One array per time of the problem, keyed by that time.
    """

    kind: str
    data: dict[float, np.ndarray]


# -- Python objects --------------------------------------------------------------------------------
def as_series(value: Any, t: Any, problem: Problem, name: str) -> dict[float, Any]:
    """``value`` as ``{problem time: item}``, one item (an array, a callable, a pair) per time.

    Accepted: a mapping ``{t: item}`` (all its times, or those of ``t`` when given); one item
    with a scalar ``t`` (or no ``t`` when the problem has one time); a sequence of items, or an
    array stacked along its first axis, with a sequence ``t`` of the same length. Every time
    must be one of the problem's (:meth:`~eulerflow.problems.Problem.time_index`).

    Raises
    ------
    ValueError
        Times missing, repeated, not the problem's, or not as many as the items (naming
        ``name`` and ``t``).
    """
    if isinstance(value, Mapping):
        items = {_problem_time(problem, key, f"a time of {name}"): v for key, v in value.items()}
        if len(items) != len(value):
            raise ValueError(
                f"{name} has two entries for the same time of problem {problem.name!r}"
            )
        if not items:
            raise ValueError(f"{name} is an empty mapping; give {{t: array}} for some times")
        if t is None:
            return dict(sorted(items.items()))
        chosen = _times(t, problem)
        missing = [s for s in chosen if s not in items]
        if missing:
            raise ValueError(f"t={missing} not in {name}, which has the times {sorted(items)}")
        return {s: items[s] for s in chosen}
    if t is None:
        if len(problem.times) != 1:
            raise ValueError(
                f"t is needed with one {name} array: problem {problem.name!r} has the times "
                f"{list(problem.times)} (or pass a mapping {{t: array}})"
            )
        return {problem.times[0]: value}
    if _is_scalar(t):
        return {_problem_time(problem, t, "t"): value}
    times = _times(t, problem)
    if isinstance(value, np.ndarray) or hasattr(value, "__array__") and not callable(value):
        value = np.asarray(value)
        if value.ndim == 0 or value.shape[0] != len(times):
            raise ValueError(
                f"{name} stacked along its first axis must have len(t) = {len(times)} entries, "
                f"got shape {value.shape}"
            )
    elif not isinstance(value, Sequence) or is_pair(value):
        raise ValueError(f"a sequence t={list(times)} needs a sequence of {name}, one per time")
    if len(value) != len(times):
        raise ValueError(f"{name} has {len(value)} entries but t has {len(times)} times")
    return dict(zip(times, value, strict=True))


def _is_scalar(t: Any) -> bool:
    return isinstance(t, numbers.Real) or (isinstance(t, np.ndarray) and t.ndim == 0)


def _times(t: Any, problem: Problem) -> list[float]:
    values = [t] if _is_scalar(t) else list(np.asarray(t, dtype=object).ravel())
    if not values:
        raise ValueError("t is empty; give one or more of the problem's times")
    times = [_problem_time(problem, s, "t") for s in values]
    if len(set(times)) != len(times):
        raise ValueError(f"t has repeated times: {values}")
    return times


def _problem_time(problem: Problem, t: Any, what: str) -> float:
    """The problem's own time equal to ``t`` (``ValueError`` naming ``what`` otherwise)."""
    try:
        return problem.times[problem.time_index(t)]
    except (TypeError, ValueError) as err:
        raise type(err)(f"{what}: {err}") from None


def is_pair(value: Any) -> bool:
    """Whether ``value`` is a pair ``(Grid, array)`` (a density on another grid)."""
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Grid)


def check_samples(items: Mapping[float, Any], grid: Grid) -> dict[float, np.ndarray]:
    """Every item as a finite ``(n, d)`` float array (``ValueError`` naming the time)."""
    return {t: as_samples(x, grid, name=f"samples at t={t:g}") for t, x in items.items()}


def check_density(items: Mapping[float, Any], grid: Grid) -> dict[float, tuple[np.ndarray, Grid]]:
    """Every item as ``(cell averages, their grid)``.

    An item is an array of ``grid.shape``, a pair ``(Grid, array)`` for a density on another
    grid (remapped by the metrics), or a callable ``pdf(*coords)``, evaluated at the cell
    centres of ``grid`` (point values standing for cell averages: an ``O(h^2)`` difference for
    a smooth density).
    """
    out = {}
    for t, item in items.items():
        name = f"density at t={t:g}"
        if is_pair(item):
            source, values = item
            values = _array(values, name)
            if values.shape != source.shape:
                raise ValueError(
                    f"{name} has shape {values.shape} but its grid has shape {source.shape}"
                )
            if source.ndim != grid.ndim:
                raise ValueError(
                    f"{name} is given on a {source.ndim}D grid; the problem is {grid.ndim}D"
                )
            out[t] = (values, source)
        elif callable(item):
            out[t] = (cell_values(item, grid, name), grid)
        else:
            values = _array(item, name)
            if values.shape != grid.shape:
                raise ValueError(
                    f"{name} has shape {values.shape}, but the reference grid has shape "
                    f"{grid.shape}; pass (grid, array) for a density on another grid"
                )
            out[t] = (values, grid)
        if not np.all(np.isfinite(out[t][0])):
            raise ValueError(f"{name} has non-finite values (NaN or inf)")
    return out


def check_values(items: Mapping[float, Any], grid: Grid) -> dict[float, np.ndarray]:
    """Every item as cell-centre values of ``grid.shape`` (an array or a callable)."""
    out = {}
    for t, item in items.items():
        name = f"values at t={t:g}"
        if not callable(item):
            item = _array(item, name)
            if item.shape != grid.shape:
                raise ValueError(
                    f"{name} has shape {item.shape}, but the reference grid has shape {grid.shape}"
                )
        out[t] = cell_values(item, grid, name)
    return out


def _array(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(
            value.get() if hasattr(value, "get") and hasattr(value, "shape") else value
        )
    except Exception:  # noqa: BLE001 - anything that is not array-like
        arr = np.asarray(None)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real numeric array, got {type(value).__name__}")
    return np.asarray(arr, dtype=np.float64)


# -- files -----------------------------------------------------------------------------------------
_NUMBERED = (re.compile(r"samples_(\d+)"), 0), (re.compile(r"particles_t(\d+)"), 1)


def read_outputs(path: str | Path, t: Sequence[float] | float | None = None) -> Outputs:
    """Read a method's outputs from ``.npz``, ``.npy`` or netCDF (layouts in the module docstring).

    Parameters
    ----------
    path : str or Path
        The file.
    t : float or sequence of float, optional
        The times, for files that do not store them (``.npy``, ``.npz`` without ``times``);
        ignored otherwise (:func:`eulerflow.validate` selects times with its own ``t``).

    Returns
    -------
    Outputs
        ``(kind, {time: array})`` with ``kind`` one of ``"samples"``, ``"density"``,
        ``"values"``; the times as stored (matched to a problem's times by ``validate``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        An unknown suffix, a file without the expected arrays (the message lists what it found
        and what is expected), times missing or not as many as the arrays.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = Path(tempfile.mkdtemp()) / "run.npz"
    >>> np.savez(path, times=[0.5, 1.0], samples_0=np.zeros((3, 2)), samples_1=np.ones((4, 2)))
    >>> kind, data = read_outputs(path)
    >>> kind, {s: x.shape for s, x in data.items()}
    ('samples', {0.5: (3, 2), 1.0: (4, 2)})
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {str(path)!r}")
    suffix = path.suffix.lower()
    readers: dict[str, Callable[[Path, Any], Outputs]] = {
        ".npz": _read_npz,
        ".npy": _read_npy,
        ".nc": _read_netcdf,
    }
    if suffix not in readers:
        raise ValueError(
            f"{path.name!r}: unknown file type {suffix!r}; use .npz, .npy or .nc ({FILE_LAYOUT})"
        )
    return readers[suffix](path, t)


def _read_npz(path: Path, t) -> Outputs:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError) as err:
        raise ValueError(f"{str(path)!r} is not a readable .npz file: {err}") from None
    stored = arrays.get("times")
    for pattern, first in _NUMBERED:
        numbered = {}
        for key in arrays:
            match = pattern.fullmatch(key)
            if match:
                numbered[int(match.group(1)) - first] = arrays[key]
        if numbered:
            if sorted(numbered) != list(range(len(numbered))):
                raise ValueError(
                    f"{str(path)!r}: the arrays {sorted(k for k in arrays if pattern.fullmatch(k))}"
                    f" are not numbered consecutively from {first}"
                )
            items = [numbered[k] for k in range(len(numbered))]
            return Outputs("samples", _with_times(path, items, stored, t))
    for kind in KINDS:
        if kind in arrays:
            stack = arrays[kind]
            if kind == "samples" and stack.ndim == 2 and _count(stored, t) == 1:
                stack = stack[None]
            return Outputs(kind, _with_times(path, list(stack), stored, t))
    raise ValueError(
        f"{str(path)!r} has no outputs to validate: it holds {sorted(arrays) or 'nothing'}; "
        f"{FILE_LAYOUT}"
    )


def _read_npy(path: Path, t) -> Outputs:
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{str(path)!r} is not a readable .npy file: {err}") from None
    if t is None:
        raise ValueError(f"{str(path)!r}: a .npy file stores no times; give them with t / --t")
    stack = arr[None] if arr.ndim <= 2 else arr
    return Outputs("samples", _with_times(path, list(stack), None, t))


def _read_netcdf(path: Path, t) -> Outputs:
    import xarray as xr

    try:
        ds = xr.load_dataset(path, engine="h5netcdf")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{str(path)!r} is not a readable netCDF4/HDF5 file: {err}") from None
    for kind in KINDS:
        if kind in ds.data_vars:
            var = ds[kind]
            if var.dims[0] not in ("time", "t"):
                raise ValueError(
                    f"{str(path)!r}: the variable {kind!r} has dims {var.dims}; its first "
                    f"dimension must be 'time' ({FILE_LAYOUT})"
                )
            dim = var.dims[0]
            stored = ds[dim].values if dim in ds.coords else None
            return Outputs(kind, _with_times(path, list(var.values), stored, t))
    raise ValueError(
        f"{str(path)!r} has no outputs to validate: it holds the variables "
        f"{sorted(ds.data_vars) or 'none'}; {FILE_LAYOUT}"
    )


def _count(stored, t) -> int | None:
    times = stored if stored is not None else t
    return None if times is None else np.atleast_1d(np.asarray(times)).size


def _with_times(path: Path, items: list, stored, t) -> dict[float, np.ndarray]:
    times = stored if stored is not None else t
    if times is None:
        raise ValueError(
            f"{str(path)!r} stores no 'times'; give the times of its {len(items)} arrays with "
            "t / --t"
        )
    times = [float(s) for s in np.atleast_1d(np.asarray(times, dtype=float))]
    if len(times) != len(items):
        raise ValueError(
            f"{str(path)!r}: {len(items)} arrays of outputs but {len(times)} times {times}"
        )
    if len(set(times)) != len(times) or not all(math.isfinite(s) for s in times):
        raise ValueError(f"{str(path)!r}: the times {times} are not distinct finite numbers")
    return {s: np.asarray(x) for s, x in zip(times, items, strict=True)}
