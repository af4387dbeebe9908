"""The base of every result object, with the file I/O they share.

Every solver returns a subclass of :class:`Result`: a frozen dataclass holding the data, the
grid, what was run (``parameters``, ``backend``), how it ended (``status``, ``message``),
``wall_time`` and ``diagnostics``. A result converts to an :class:`xarray.Dataset`
(:meth:`Result.to_xarray`) and saves to a self-describing netCDF4/HDF5 file
(:meth:`Result.save`) that :func:`load` reads back as the same type.

Saved files carry a SHA-256 checksum of every variable and of the attributes; :func:`load`
verifies them, so a corrupted or edited file raises :class:`ResultFileError` (a ``ValueError``)
naming the file and the damaged variable instead of returning wrong numbers.

Status codes (the convention of every solver):

- ``0``: finished (reached ``t_final``, or converged);
- ``1``: stopped early (an iteration or step budget ran out; a warning was issued);
- ``-1``: failed (an unstable setting produced non-finite or negative values; the solver raised
  :class:`~eulerflow.UnstableSolutionError`, which carries the partial result).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._version import __version__
from ..arrays import to_numpy
from ..checks import check_grid
from ..grid import Grid

if TYPE_CHECKING:
    import xarray as xr

FILE_SUFFIXES = (".nc", ".h5", ".hdf5")
"""Suffixes of result files (netCDF4 on HDF5, written with h5netcdf)."""

_KIND_ATTR = "eulerflow_result"  # file attribute naming the result type
_CHECKSUMS_ATTR = "eulerflow_checksums"  # JSON {variable: sha256, ...} written by save()
_ATTRS_KEY = "__attributes__"  # the entry of the checksums that covers the other attributes
_COMMON_ATTRS = ("grid", "parameters", "backend", "status", "message", "wall_time")


class ResultFileError(ValueError):
    """A file that :func:`eulerflow.load` cannot read as an intact eulerflow result."""


# eq=False: == on array fields is element-wise, so a generated __eq__ would be ambiguous.
@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class Result:
    """What every solver returns: data, grid, what was run, how it ended, diagnostics.

    Parameters
    ----------
    grid : Grid or None
        The grid of the data (``None`` only for particles in free space).
    parameters : dict
        What was run: the scheme, stepper, tolerances... (plain JSON-serialisable values).
    backend : str
        Name of the backend that computed it.
    status : int, default 0
        ``0`` finished, ``1`` stopped early (budget exhausted), ``-1`` failed (see the module
        docstring).
    message : str
        How the run ended, in words.
    wall_time : float
        Seconds the solver took.
    diagnostics : dict of str to array
        Series recorded during the run (per snapshot or per iteration, as the subclass says)
        and scalars about the whole run; stored as NumPy.
    """

    grid: Grid | None
    parameters: dict = dataclasses.field(default_factory=dict)
    backend: str = ""
    status: int = 0
    message: str = ""
    wall_time: float = 0.0
    diagnostics: dict = dataclasses.field(default_factory=dict)

    _types: ClassVar[dict[str, type[Result]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Result._types[cls.__name__] = cls

    def __post_init__(self) -> None:
        if self.grid is not None:
            check_grid(self.grid)
        diagnostics = {str(k): to_numpy(v) for k, v in self.diagnostics.items()}
        object.__setattr__(self, "diagnostics", diagnostics)
        object.__setattr__(self, "parameters", dict(self.parameters))
        _to_json(self.parameters, "parameters")  # fail now, not at save time

    @property
    def succeeded(self) -> bool:
        """``status == 0``: the run finished (reached its final time, or converged)."""
        return self.status == 0

    # -- xarray and files: subclasses provide _content and _from_content -------------------------
    def _content(self) -> tuple[dict, dict, dict]:
        """``(data_vars, coords, attrs)`` of the subclass's own data for :meth:`to_xarray`."""
        raise NotImplementedError

    @classmethod
    def _from_content(cls, ds: xr.Dataset, common: dict) -> Result:
        """Inverse of :meth:`_content`; ``common`` holds the base fields read from the file."""
        raise NotImplementedError

    def to_xarray(self) -> xr.Dataset:
        """The result as an :class:`xarray.Dataset` (arrays copied to the host).

        The run description (``grid``, ``parameters`` as JSON, ``backend``, ``status``,
        ``message``, ``wall_time``, the result type and the eulerflow version) goes into the
        attributes; the subclass documents its variables.
        """
        import xarray as xr

        data_vars, coords, attrs = self._content()
        attrs = {
            _KIND_ATTR: type(self).__name__,
            "eulerflow_version": __version__,
            "grid": json.dumps(self.grid.to_dict()) if self.grid is not None else "",
            "parameters": _to_json(self.parameters, "parameters"),
            "backend": self.backend,
            "status": int(self.status),
            "message": self.message,
            "wall_time": float(self.wall_time),
            **attrs,
        }
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    @classmethod
    def from_xarray(cls, ds: xr.Dataset) -> Result:
        """Inverse of :meth:`to_xarray` (arrays come back as NumPy arrays)."""
        attrs = ds.attrs
        grid_text = str(attrs.get("grid", ""))
        common = {
            "grid": Grid.from_dict(json.loads(grid_text)) if grid_text else None,
            "parameters": json.loads(attrs["parameters"]),
            "backend": str(attrs["backend"]),
            "status": int(attrs["status"]),
            "message": str(attrs["message"]),
            "wall_time": float(attrs["wall_time"]),
        }
        return cls._from_content(ds, common)

    def save(self, path: str | PathLike) -> Path:
        """Write the result to a netCDF4/HDF5 file that :func:`eulerflow.load` reads back.

        The file holds a SHA-256 checksum of every variable and of the attributes, which
        :func:`~eulerflow.load` verifies.

        Parameters
        ----------
        path : str or path-like
            Target file, with suffix ``.nc``, ``.h5`` or ``.hdf5``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        path = Path(path)
        if path.suffix.lower() not in FILE_SUFFIXES:
            raise ValueError(
                f"path must end in one of {', '.join(FILE_SUFFIXES)} (netCDF4/HDF5), "
                f"got {path.name!r}"
            )
        ds = self.to_xarray()
        ds.attrs[_CHECKSUMS_ATTR] = json.dumps(_checksums(ds), sort_keys=True)
        ds.to_netcdf(path, engine="h5netcdf")
        return path


def load(path: str | PathLike) -> Result:
    """Read a result written by ``save`` (arrays come back as NumPy arrays).

    Parameters
    ----------
    path : str or path-like
        A netCDF4/HDF5 file written by the ``save`` method of an eulerflow result.

    Returns
    -------
    Result
        The result object, of the type that was saved (:class:`~eulerflow.Solution`,
        :class:`~eulerflow.OTResult`, :class:`~eulerflow.particles.ParticleSolution`...).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ResultFileError
        (a ``ValueError``) The file is not a readable netCDF4/HDF5 file (truncated, another
        format), not an eulerflow result, or fails its checksums (corrupted or edited); the
        message names the file and, for a checksum, the variable.

    Examples
    --------
    >>> import os, tempfile, numpy as np, eulerflow as ef
    >>> grid = ef.Grid(16, (0, 1))
    >>> sol = ef.Solution(t=[0.0, 1.0], values=np.ones((2, 16)), grid=grid, field="rho",
    ...                   equation="demo")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = ef.load(sol.save(os.path.join(tmp, "solution.nc")))
    >>> type(back).__name__, bool(np.array_equal(back.rho, sol.rho)), back.grid == grid
    ('Solution', True, True)
    """
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no result file at {str(path)!r}")
    try:
        ds = xr.load_dataset(path, engine="h5netcdf")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ResultFileError(
            f"{str(path)!r} is not a readable netCDF4/HDF5 file (truncated, corrupted or another "
            f"format): {err}"
        ) from None
    kind = ds.attrs.get(_KIND_ATTR)
    if kind not in Result._types:
        raise ResultFileError(
            f"{str(path)!r} is not an eulerflow result file (its {_KIND_ATTR!r} attribute is "
            f"{kind!r}; expected one of {sorted(Result._types)})"
        )
    stored = ds.attrs.pop(_CHECKSUMS_ATTR, None)
    if stored is None:
        raise ResultFileError(
            f"{str(path)!r} has no checksums: it was not written by eulerflow's save() or was "
            "rewritten by another tool, so its contents cannot be verified"
        )
    expected = json.loads(stored)
    actual = _checksums(ds)
    for name in sorted(expected.keys() | actual.keys()):
        if expected.get(name) != actual.get(name):
            what = "its attributes" if name == _ATTRS_KEY else f"variable {name!r}"
            raise ResultFileError(
                f"{str(path)!r} is corrupted: {what} does not match the checksum written with it"
            )
    return Result._types[kind].from_xarray(ds)


def _checksums(ds: xr.Dataset) -> dict[str, str]:
    """SHA-256 of every variable (dtype, shape and bytes) and of the attributes (as JSON)."""
    sums = {}
    for name, variable in ds.variables.items():
        values = np.asarray(variable.values)
        if values.dtype.kind in "OUS":  # strings: their text, whatever the storage type
            payload = json.dumps([str(v) for v in values.ravel()]).encode()
        else:
            payload = np.ascontiguousarray(values).tobytes()
        digest = hashlib.sha256(f"{values.dtype.str}{values.shape}".encode())
        digest.update(payload)
        sums[str(name)] = digest.hexdigest()
    attrs = {k: _plain(v) for k, v in ds.attrs.items() if k != _CHECKSUMS_ATTR}
    sums[_ATTRS_KEY] = hashlib.sha256(json.dumps(attrs, sort_keys=True).encode()).hexdigest()
    return sums


def _plain(value: Any) -> Any:
    """Attribute values as plain JSON types (netCDF returns NumPy scalars for numbers)."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return value


def _to_json(value: Any, name: str) -> str:
    """JSON text of ``value``, with NumPy scalars and arrays turned into plain Python values."""

    def plain(obj: Any) -> Any:
        if isinstance(obj, np.generic | np.ndarray):
            return obj.tolist()
        raise TypeError(
            f"{name} must be JSON-serialisable, but holds {obj!r} ({type(obj).__name__})"
        )

    return json.dumps(value, default=plain)


def series_variables(series: dict, dim: str, prefix: str = "") -> dict:
    """Data variables of a dict of diagnostics: 1D series along ``dim``, scalars 0-d."""
    out = {}
    for name, values in series.items():
        values = np.asarray(values)
        out[prefix + name] = ((dim,) if values.ndim == 1 else (), values)
    return out


def read_series(ds: xr.Dataset, names, prefix: str = "") -> dict:
    """Inverse of :func:`series_variables` for the variables ``prefix + name``."""
    return {str(name)[len(prefix) :]: ds[name].to_numpy() for name in names}
