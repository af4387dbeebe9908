"""The Zarr layout of an ensemble and its integrity rules.

One Zarr (format 3) group holds one dataset with a ``member`` dimension:

- the parameter columns (one variable per field of the member records, dims ``(member,)``);
- the fields of every member's result (``rho`` ``(member, t, x, y)``...), one Zarr chunk per
  ``chunk`` members, written by the worker that solved them, one chunk in one write;
- the small per-member values (per-snapshot diagnostics such as ``mass (member, t)``, scalar
  diagnostics, ``solver_status``, ``message``, ``converged``, ``mass_drift``, ``wall_time``,
  ``error``) and the commit flags ``state`` (0 pending, 1 done, 2 failed), written only by the
  process that runs :func:`eulerflow.ensemble.run`, the flags last.

Every chunk carries a CRC-32C checksum (Zarr's ``crc32c`` codec), so a damaged chunk raises on
read instead of returning wrong numbers; every chunk is one object, written atomically by the
local and the object stores. A member counts as done only when its flag says so, and a flag is
written after everything the member wrote: a run killed at any moment leaves members that are
either complete or pending. On reopen, flag chunks that cannot be read are reset to pending
(their members are solved again).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
import warnings
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ._optional import require
from .output import SHARED_ATTRS, MemberOutput, scheme_of

LAYOUT_VERSION = 1
"""Version of this layout (the group attribute ``eulerflow_ensemble``)."""
META_CHUNK = 4096
"""Members per chunk of the driver's small arrays (flags, diagnostics, errors)."""
PENDING, DONE, FAILED = 0, 1, 2
BASE_META = {"state": np.int8, "error": str, "wall_time": np.float64}
"""The per-member arrays every ensemble has, whatever its results."""
_RESERVED = {"member", *BASE_META}


def store_argument(store: Any) -> Any:
    """The ``store`` argument as something every process can open: an absolute path string, or
    a Zarr store object (which must not live in one process's memory)."""
    if isinstance(store, str | PathLike):
        return str(Path(store).expanduser().resolve())
    zarr = require("zarr")
    if isinstance(store, zarr.storage.MemoryStore):
        raise ValueError(
            "store is a MemoryStore, which lives in one process and cannot be shared with the "
            "workers; give a path or a shared store (LocalStore, FsspecStore)"
        )
    if isinstance(store, zarr.abc.store.Store):
        return store
    raise TypeError(
        f"store must be a path or a Zarr store, got a {type(store).__name__}; for example "
        "store='sweep.zarr'"
    )


def fingerprint(solve_name: str, records_text: str) -> str:
    """The problem's identity: SHA-256 of the solve function's name and every member's
    parameters."""
    digest = hashlib.sha256()
    digest.update(solve_name.encode())
    digest.update(b"\0")
    digest.update(records_text.encode())
    return digest.hexdigest()


def _codecs() -> list:
    return [require("zarr.codecs").Crc32cCodec()]


def _fill(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return np.nan
    if dtype.kind in "iu":
        return -1
    if dtype.kind == "b":
        return False
    return ""


def _zarr_dtype(values: np.ndarray) -> Any:
    return str if values.dtype.kind in "UOT" else values.dtype


class EnsembleStore:
    """An ensemble's Zarr group: create or reopen it, lay out the results, write and read back.

    Parameters
    ----------
    group : zarr.Group
        The opened group.
    """

    def __init__(self, group: Any) -> None:
        self.group = group
        self.meta: dict[str, np.ndarray] = {}
        self._dirty: set[int] = set()
        self._shapes: tuple[dict, dict] | None = None

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def create(
        cls, store: Any, *, fingerprint: str, solve_name: str, columns: dict, chunk: int
    ) -> EnsembleStore:
        """A new, empty ensemble in ``store`` (whatever was there is removed)."""
        zarr = require("zarr")
        clash = _RESERVED & set(columns)
        if clash:
            raise ValueError(
                f"the member field names {sorted(clash)} are reserved by the ensemble store "
                f"({sorted(_RESERVED)}); rename them"
            )
        n = len(next(iter(columns.values())))
        group = zarr.open_group(store, mode="w", zarr_format=3)
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        group.attrs.update(
            {
                "Conventions": "CF-1.10",
                "title": "eulerflow ensemble",
                "source": f"eulerflow {__version__}",
                "history": f"{now} created by eulerflow.ensemble.run",
                "eulerflow_version": __version__,
                "fingerprint": fingerprint,
                "solve": solve_name,
                "n_members": n,
                "chunk": int(chunk),
                "token": uuid.uuid4().hex,
                "parameters": list(columns),
            }
        )
        member = group.create_array(
            "member", shape=(n,), chunks=(min(n, META_CHUNK),), dtype=np.int64,
            dimension_names=("member",), compressors=_codecs(),
        )  # fmt: skip
        member[:] = np.arange(n)
        member.attrs["long_name"] = "ensemble member"
        for name, values in columns.items():
            array = _meta_array(group, name, n, (), np.asarray(values[0]), register=False)
            array[:] = values
            array.attrs["long_name"] = f"member parameter {name}"
        for name, dtype in BASE_META.items():
            _meta_array(group, name, n, (), np.empty((), dtype=dtype))
        _describe_base(group)
        group.attrs["eulerflow_ensemble"] = LAYOUT_VERSION  # last: the store is complete
        self = cls(group)
        self.load_meta()
        return self

    @classmethod
    def open(cls, store: Any, *, mode: str = "r+") -> EnsembleStore | None:
        """The ensemble in ``store``, or ``None`` when there is nothing there.

        Raises
        ------
        ValueError
            ``store`` holds something that is not an eulerflow ensemble.
        """
        zarr = require("zarr")
        if isinstance(store, str) and not Path(store).exists():
            return None
        try:
            group = zarr.open_group(store, mode=mode)
        except zarr.errors.GroupNotFoundError:
            if not isinstance(store, str) or (
                Path(store).is_dir() and not any(Path(store).iterdir())
            ):
                return None  # nothing there
            raise ValueError(
                f"store {store!r} holds something that is not a Zarr group; choose another "
                "store, or pass overwrite=True to replace it"
            ) from None
        except (OSError, zarr.errors.BaseZarrError, zarr.errors.NodeTypeValidationError):
            raise ValueError(
                f"store {store!r} holds something that is not a Zarr group; choose another "
                "store, or pass overwrite=True to replace it"
            ) from None
        if group.attrs.get("eulerflow_ensemble") != LAYOUT_VERSION:
            raise ValueError(
                f"store {store!r} is not an eulerflow ensemble (layout version "
                f"{LAYOUT_VERSION}), or its creation was interrupted; choose another store, or "
                "pass overwrite=True to replace it"
            )
        return cls(group)

    def check_problem(self, fingerprint: str, solve_name: str, n: int) -> None:
        """Refuse to continue an ensemble of another problem."""
        attrs = self.group.attrs
        if attrs.get("fingerprint") == fingerprint:
            return
        differs = []
        if attrs.get("solve") != solve_name:
            differs.append(f"solve function {attrs.get('solve')!r} there, {solve_name!r} now")
        if attrs.get("n_members") != n:
            differs.append(f"{attrs.get('n_members')} members there, {n} now")
        if not differs:
            differs.append("the members' parameters differ")
        raise ValueError(
            f"store {self.group.store} holds a different problem ({'; '.join(differs)}); pass "
            "overwrite=True to replace it, or choose another store"
        )

    # -- layout -----------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of members."""
        return int(self.group.attrs["n_members"])

    @property
    def chunk(self) -> int:
        """Members per chunk of the fields (and per task)."""
        return int(self.group.attrs["chunk"])

    @property
    def has_layout(self) -> bool:
        """Whether the fields of the results are laid out (after the first member)."""
        return "fields" in self.group.attrs

    @property
    def fields(self) -> list[str]:
        """The names of the per-member arrays written by the workers."""
        return list(self.group.attrs.get("fields", []))

    @property
    def token(self) -> str:
        """A random identifier of this store, new each time it is created."""
        return str(self.group.attrs["token"])

    def _layout_shapes(self) -> tuple[dict, dict]:
        if self._shapes is None:
            fields = {}
            for name in self.fields:
                array = self.group[name]
                fields[name] = (array.shape[1:], array.dtype, array.fill_value)
            small = {name: self.group[name].shape[1:] for name in self.group.attrs.get("meta", [])}
            self._shapes = fields, small
        return self._shapes

    @property
    def field_shapes(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        """``{name: (shape of one member, dtype)}`` of the fields."""
        return {
            name: (shape, dtype) for name, (shape, dtype, _) in self._layout_shapes()[0].items()
        }

    @property
    def fill_values(self) -> dict[str, Any]:
        """The fill value of each field (what a failed member's entries hold)."""
        return {name: fill for name, (_, _, fill) in self._layout_shapes()[0].items()}

    def add_layout(self, output: MemberOutput) -> None:
        """Lay out the results' arrays from the first solved member (over the remains of an
        interrupted layout, if any)."""
        group, n = self.group, self.n
        taken = {*_RESERVED, *group.attrs["parameters"]}
        names = [*output.coords, *output.fields, *output.small]
        clash = taken & set(names)
        if clash:
            raise ValueError(
                f"the member field names {sorted(clash)} clash with the variables of the "
                "results; rename those member fields"
            )
        for name, (dims, values, attrs) in output.coords.items():
            array = group.create_array(
                name, shape=values.shape, dtype=_zarr_dtype(values), dimension_names=dims,
                compressors=_codecs(), overwrite=True,
            )  # fmt: skip
            array[...] = values
            array.attrs.update(attrs | _axis_attrs(name))
        for name, (dims, values) in output.fields.items():
            array = group.create_array(
                name, shape=(n, *values.shape), chunks=(self.chunk, *values.shape),
                dtype=values.dtype, fill_value=_fill(values.dtype),
                dimension_names=("member", *dims), compressors=_codecs(), overwrite=True,
            )  # fmt: skip
            array.attrs["long_name"] = f"{name} of each member"
        for name, (dims, values) in output.small.items():
            _meta_array(group, name, n, dims, values)
        attrs = {key: output.attrs[key] for key in SHARED_ATTRS if key in output.attrs}
        group.attrs.update(attrs | {"scheme": scheme_of(output), "fields": list(output.fields)})
        self._shapes = None
        self.load_meta()

    def conforms(self, output: MemberOutput) -> str | None:
        """Why ``output`` does not fit the layout (``None`` when it does)."""
        attrs = self.group.attrs
        for key in SHARED_ATTRS:
            if key in output.attrs and attrs.get(key, output.attrs[key]) != output.attrs[key]:
                return f"its {key} differs from the first member's: {output.attrs[key]}"
        fields, small = self._layout_shapes()
        for name, (shape, _, _) in fields.items():
            if name not in output.fields:
                return f"it has no variable {name!r}"
            if output.fields[name][1].shape != shape:
                return (
                    f"{name} has shape {output.fields[name][1].shape}, the first member's {shape}"
                )
        for name, (_, values) in output.small.items():
            if name in small and values.shape != small[name]:
                return f"{name} has shape {values.shape}, the first member's {small[name]}"
        return None

    # -- the workers' writes ----------------------------------------------------------------------
    def write_fields(self, start: int, stop: int, blocks: dict[str, np.ndarray]) -> None:
        """Write the fields of members ``start:stop`` (one chunk), one array at a time."""
        for name, block in blocks.items():
            self.group[name][start:stop] = block

    def read_fields(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """The fields of members ``start:stop`` as stored."""
        return {name: self.group[name][start:stop] for name in self.fields}

    # -- the driver's per-member values -----------------------------------------------------------
    def load_meta(self) -> int:
        """Read the small per-member arrays into memory; flag chunks that cannot be read (a
        damaged file) make their members pending again. Returns the number of members reset."""
        group, reset = self.group, 0
        self.meta = {}
        for name in group.attrs.get("meta", []):
            self.meta[name] = _read_robust(group[name])
        state, damaged = _read_flags(group["state"])
        if damaged.any():
            reset = int(damaged.sum())
            warnings.warn(
                f"{reset} commit flags of the ensemble in {group.store} could not be read "
                "(damaged chunks); those members will be solved again",
                RuntimeWarning,
                stacklevel=3,
            )
            self._dirty.update(np.flatnonzero(damaged) // META_CHUNK)
        self.meta["state"] = state
        return reset

    def record(self, index: int, values: dict[str, Any]) -> None:
        """Keep one member's small values in memory (written by :meth:`flush`)."""
        for name, value in values.items():
            if name in self.meta:
                self.meta[name][index] = value
        self._dirty.add(index // META_CHUNK)

    def flush(self) -> None:
        """Write the changed chunks of the per-member arrays, the commit flags last."""
        if not self._dirty:
            return
        names = [name for name in self.meta if name != "state"] + ["state"]
        for name in names:
            array = self.group[name]
            for c in sorted(self._dirty):
                lo, hi = c * META_CHUNK, min((c + 1) * META_CHUNK, self.n)
                array[lo:hi] = self.meta[name][lo:hi]
        self._dirty.clear()

    def missing_fields(self) -> list[str]:
        """Fields with fewer stored chunks than the chunks of done members need (deleted files)."""
        state = self.meta["state"]
        needed = len(np.unique(np.flatnonzero(state == DONE) // self.chunk))
        return [name for name in self.fields if self.group[name].nchunks_initialized < needed]


def _meta_array(
    group: Any, name: str, n: int, dims: tuple, values: np.ndarray, register: bool = True
) -> Any:
    """A per-member array of ``values``' shape and type; ``register``: one the driver writes."""
    dtype = _zarr_dtype(values)
    fill = (
        PENDING if name == "state" else _fill(np.dtype(values.dtype if dtype is not str else "U1"))
    )
    array = group.create_array(
        name, shape=(n, *values.shape), chunks=(min(n, META_CHUNK), *values.shape), dtype=dtype,
        fill_value=fill, dimension_names=("member", *dims), compressors=_codecs(),
        overwrite=True,
    )  # fmt: skip
    registered = group.attrs.get("meta", [])
    if register and name not in registered:
        group.attrs["meta"] = [*registered, name]
    return array


def _read_robust(array: Any) -> np.ndarray:
    """The whole array, with chunks that fail their checksum replaced by the fill value."""
    try:
        return array[...]
    except ValueError:
        out = np.full(
            array.shape, array.fill_value, dtype=array.dtype if array.dtype != str else object
        )
        step = array.chunks[0]
        for lo in range(0, array.shape[0], step):
            try:
                out[lo : lo + step] = array[lo : lo + step]
            except ValueError:
                pass
        return out


def _read_flags(array: Any) -> tuple[np.ndarray, np.ndarray]:
    """The commit flags, and where a chunk could not be read (those members are pending)."""
    state = np.zeros(array.shape, dtype=np.int8)
    damaged = np.zeros(array.shape, dtype=bool)
    step = array.chunks[0]
    for lo in range(0, array.shape[0], step):
        try:
            state[lo : lo + step] = array[lo : lo + step]
        except ValueError:
            damaged[lo : lo + step] = True
    return state, damaged


def _axis_attrs(name: str) -> dict:
    if name in ("x", "y", "z"):
        return {"axis": name.upper(), "long_name": f"cell centre coordinate {name}"}
    if name == "t":
        return {"axis": "T", "long_name": "time"}
    return {}


def _describe_base(group: Any) -> None:
    group["state"].attrs.update(
        {
            "long_name": "commit flag of the member",
            "flag_values": [PENDING, DONE, FAILED],
            "flag_meanings": "pending done failed",
        }
    )
    group["error"].attrs["long_name"] = "error raised by the solve (empty if none)"
    group["wall_time"].attrs.update({"long_name": "wall time of the solve call", "units": "s"})
