"""The base of every benchmark problem: its grid, its times, its grid reference and the cache.

A problem is a frozen dataclass (:class:`Problem`) whose fields are its parameters (plain
numbers and tuples) and whose methods say what the problem is:

- :meth:`Problem.initial` the data at ``t = 0`` (a density, or values for Hamilton-Jacobi);
- :meth:`Problem.solve` the solver call, with the settings that give a converged grid reference
  at the problem's times;
- :meth:`Problem.exact` the closed form (cell averages), where one exists;
- :meth:`Problem.exact_samples` independent samples of the exact law, where they are cheap;
- :meth:`Problem.neural_samples` the shipped outputs of a published neural method, if any.

:meth:`Problem.reference` calls :meth:`Problem.solve` once for all of the problem's times and
keeps the result in memory and on disk, in :func:`reference_dir` (``$EULERFLOW_REFERENCE_DIR``,
or ``references/`` under :func:`eulerflow.cache.cache_dir`), in a file named by a SHA-256 digest
of the problem's name, its parameters, the resolution, its ``reference_version`` (bumped by a
problem whose solver settings change) and the eulerflow version. A file that cannot be read is
recomputed; a cache folder that cannot be written gives one warning and the reference is kept in
memory only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .._version import __version__
from ..cache import cache_dir
from ..grid import Grid

OUTPUT_KINDS = ("density", "values")
"""What a problem's solution is: a probability density (scored from samples or densities) or
the values of a function (Hamilton-Jacobi; scored from values)."""

REGISTRY: dict[str, type[Problem]] = {}
"""Registered problems by name (see :mod:`eulerflow.problems.registry`)."""

REFERENCE_DIR_VAR = "EULERFLOW_REFERENCE_DIR"

_TIME_RTOL = 1e-9
_memory: dict[str, tuple[np.ndarray, dict[str, float]]] = {}
_EXTRA = "extra_"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Problem:
    """A named benchmark problem with a converged grid reference.

    Subclasses set the class attributes ``name`` (registered under it when not empty),
    ``description`` (one line), ``equation`` and ``output``, give defaults to the fields below
    and add their own parameters as fields; they implement :meth:`initial` and :meth:`solve`,
    and :meth:`exact` / :meth:`exact_samples` where a closed form exists.

    Parameters
    ----------
    bounds : tuple of (lo, hi) pairs
        The box, one pair per axis (the dimension is its length).
    times : tuple of float
        The times at which the problem is scored (the reference is computed at all of them).
    resolution : int
        Cells per axis of the default reference grid.
    tolerance : float
        Stated accuracy of the reference at the default resolution: the largest L1 distance
        (sup distance for ``output == "values"``) to the exact solution, or, without one, to the
        reference at twice the resolution (tested).
    bins : int
        Bins per axis of the binned metrics (must divide ``resolution``).
    bandwidth : float
        Width of the Gaussian kernel of the MMD, in the units of the coordinates.
    periodic : bool
        Whether the box is periodic (in every axis).

    Examples
    --------
    >>> import eulerflow as ef
    >>> problem = ef.problems.get("heat")
    >>> problem.dim, problem.times
    (2, (0.25, 0.5, 1.0))
    >>> problem.grid().shape
    (160, 160)
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    equation: ClassVar[str] = ""
    output: ClassVar[str] = "density"
    reference_version: ClassVar[int] = 1

    bounds: tuple[tuple[float, float], ...]
    times: tuple[float, ...]
    resolution: int = 128
    tolerance: float = 1e-2
    bins: int = 32
    bandwidth: float = 0.5
    periodic: bool = False

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register and cls.__dict__.get("name"):
            REGISTRY[cls.name] = cls

    def __post_init__(self) -> None:
        try:
            bounds = tuple((float(lo), float(hi)) for lo, hi in self.bounds)
        except (TypeError, ValueError):
            bounds = ()
        if not bounds or any(
            not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) for lo, hi in bounds
        ):
            raise ValueError(
                f"bounds must be finite (lo, hi) pairs with lo < hi, got {self.bounds!r}"
            )
        try:
            times = tuple(float(t) for t in np.atleast_1d(self.times))
        except (TypeError, ValueError):
            times = ()
        if (
            not times
            or any(not (math.isfinite(t) and t >= 0) for t in times)
            or list(times) != sorted(set(times))
        ):
            raise ValueError(f"times must be increasing finite numbers >= 0, got {self.times!r}")
        resolution = _resolution(self.resolution)
        if not _is_integer(self.bins) or self.bins < 1 or resolution % self.bins:
            raise ValueError(
                f"bins must be a positive integer dividing resolution={self.resolution}, "
                f"got {self.bins!r}"
            )
        for field in ("tolerance", "bandwidth"):
            value = getattr(self, field)
            if isinstance(value, bool) or not (
                isinstance(value, numbers.Real) and math.isfinite(value) and value > 0
            ):
                raise ValueError(f"{field} must be a finite number > 0, got {value!r}")
        if self.output not in OUTPUT_KINDS:
            raise ValueError(f"{type(self).__name__}.output must be one of {OUTPUT_KINDS}")
        object.__setattr__(self, "bounds", bounds)
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "resolution", resolution)
        object.__setattr__(self, "bins", int(self.bins))

    # -- what the problem is: subclasses ---------------------------------------------------------
    def initial(self, grid: Grid) -> np.ndarray:
        """The data at ``t = 0`` as cell averages (density) or cell-centre values on ``grid``."""
        raise NotImplementedError

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None) -> np.ndarray:
        """The grid solution at ``times`` on ``grid``, shape ``(len(times), *grid.shape)``,
        computed with the settings that make it a converged reference.

        A problem with scalar by-products of the same solve (the optimal-transport cost, say)
        returns ``(solution, extras)`` with ``extras`` a dict of numbers; they are cached with
        the solution and read by :meth:`reference_extras`."""
        raise NotImplementedError

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        """The exact solution at ``t`` on ``grid`` (cell averages; values for Hamilton-Jacobi).

        Raises ``NotImplementedError`` when the problem has no closed form (see
        :attr:`has_exact`)."""
        raise NotImplementedError(f"problem {self.name!r} has no closed-form solution")

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        """``n`` independent samples of the exact law at ``t``, shape ``(n, dim)``.

        Raises ``NotImplementedError`` when the problem has no closed form to sample."""
        raise NotImplementedError(f"problem {self.name!r} has no exact sampler")

    def neural_samples(self) -> dict[float, np.ndarray]:
        """Shipped outputs of a published neural method, ``{t: samples}`` (empty if none)."""
        return {}

    # -- derived ---------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Dimension of the space."""
        return len(self.bounds)

    @property
    def has_exact(self) -> bool:
        """Whether :meth:`exact` is implemented."""
        return type(self).exact is not Problem.exact

    def grid(self, resolution: int | None = None) -> Grid:
        """The reference grid: ``resolution`` cells per axis (default ``self.resolution``)."""
        n = self.resolution if resolution is None else _resolution(resolution)
        return Grid((n,) * self.dim, self.bounds, periodic=self.periodic)

    def parameters(self) -> dict[str, Any]:
        """The fields as plain JSON values (what the cache key is made of)."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=_plain))

    def time_index(self, t: float) -> int:
        """Index of ``t`` in ``times`` (relative tolerance 1e-9); ``ValueError`` naming the
        problem's times otherwise."""
        try:
            value = float(t)
        except (TypeError, ValueError):
            raise TypeError(f"t must be a number, got {t!r}") from None
        for k, s in enumerate(self.times):
            if abs(value - s) <= _TIME_RTOL * max(1.0, abs(s)):
                return k
        raise ValueError(
            f"t={t!r} is not a time of problem {self.name!r}; its times are {list(self.times)} "
            f"(use eulerflow.problems.get({self.name!r}, times=...) for others)"
        )

    def reference(
        self,
        t: float | None = None,
        resolution: int | None = None,
        *,
        cache: bool = True,
        progress: bool | None = None,
    ) -> np.ndarray:
        """The grid reference at ``t`` (one of ``times``), or at all times when ``t`` is None.

        Computed once by :meth:`solve` at all the problem's times, then read from memory or
        from the disk cache (``cache=False`` recomputes and stores nothing).

        Returns
        -------
        numpy.ndarray
            Shape ``grid.shape`` for one time, ``(len(times), *grid.shape)`` for all.
        """
        index = None if t is None else self.time_index(t)  # before a solve, not after it
        data, _ = self._computed(resolution, cache, progress)
        data = (data if index is None else data[index]).copy()  # the asked time only
        data.setflags(write=False)
        return data

    def reference_extras(
        self, resolution: int | None = None, *, cache: bool = True, progress: bool | None = None
    ) -> dict[str, float]:
        """The scalar by-products of the reference solve (see :meth:`solve`), e.g. the
        transport cost; empty for most problems. Computed and cached with :meth:`reference`."""
        return dict(self._computed(resolution, cache, progress)[1])

    def _computed(
        self, resolution: int | None, cache: bool, progress: bool | None
    ) -> tuple[np.ndarray, dict[str, float]]:
        n = self.resolution if resolution is None else _resolution(resolution)
        grid = self.grid(n)
        key = self.cache_key(n)
        found = _memory.get(key) if cache else None
        if found is None and cache:
            found = _read(self.cache_path(n), key)
        if found is None:
            data, extras = _split(self.solve(grid, self.times, progress=progress))
            if data.shape != (len(self.times), *grid.shape):
                raise RuntimeError(
                    f"{type(self).__name__}.solve returned shape {data.shape}, expected "
                    f"{(len(self.times), *grid.shape)}"
                )
            if not np.all(np.isfinite(data)):
                raise RuntimeError(f"the reference of problem {self.name!r} is not finite")
            found = (data, extras)
            if cache:
                _write(self.cache_path(n), key, *found)
        if cache:
            _memory[key] = found
        return found

    def cache_key(self, resolution: int) -> str:
        """SHA-256 of the name, parameters, resolution, reference version and eulerflow version."""
        text = json.dumps(
            {
                "name": self.name,
                "type": type(self).__qualname__,
                "parameters": self.parameters(),
                "resolution": int(resolution),
                "reference_version": self.reference_version,
                "eulerflow": __version__,
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def cache_path(self, resolution: int) -> Path:
        """The file of the cached reference at ``resolution``."""
        slug = self.name or type(self).__name__
        return reference_dir() / f"{slug}-{self.cache_key(resolution)[:16]}.npz"

    def describe(self) -> str:
        """One line: name, dimension, whether exact, description."""
        exact = "exact" if self.has_exact else "grid reference"
        return f"{self.name}  ({self.dim}D, {exact})  {self.description}"


def _is_integer(value) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and int(value) == value
    )


def reference_dir() -> Path:
    """Where references are cached: ``$EULERFLOW_REFERENCE_DIR`` if set (a folder shared by a
    group, say), else ``references/`` under :func:`eulerflow.cache.cache_dir`. Read on every
    call."""
    explicit = os.environ.get(REFERENCE_DIR_VAR)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return cache_dir() / "references"


def _resolution(value) -> int:
    if not _is_integer(value) or value < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {value!r}")
    return int(value)


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"problem parameters must be plain numbers, tuples or strings, got {value!r}")


def _split(solved) -> tuple[np.ndarray, dict[str, float]]:
    data, extras = solved if isinstance(solved, tuple) else (solved, {})
    extras = {str(k): float(v) for k, v in extras.items()}
    return np.asarray(data, dtype=np.float64), extras


def _read(path: Path, key: str) -> tuple[np.ndarray, dict[str, float]] | None:
    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["key"]) != key:
                return None
            extras = {k[len(_EXTRA) :]: float(f[k]) for k in f.files if k.startswith(_EXTRA)}
            return np.array(f["reference"], dtype=np.float64), extras
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or foreign file: recompute (and overwrite it)
        return None


_warned_unwritable = False


def _write(path: Path, key: str, data: np.ndarray, extras: dict[str, float]) -> None:
    global _warned_unwritable
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        named = {_EXTRA + k: np.array(v) for k, v in extras.items()}
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, key=np.array(key), reference=data, **named)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)  # no half-written file left in the cache
            raise
    except OSError as err:
        if not _warned_unwritable:
            _warned_unwritable = True
            warnings.warn(
                f"eulerflow: cannot write the reference cache {path.parent} ({err}); references "
                f"are kept in memory only (set EULERFLOW_CACHE_DIR to a writable folder)",
                RuntimeWarning,
                stacklevel=3,
            )
