"""Uniform cell-centred Cartesian grids in one, two and three dimensions.

A :class:`Grid` splits the box ``prod_a [lo_a, hi_a]`` into ``shape[a]`` cells of equal width
``h_a = (hi_a - lo_a) / shape[a]`` along every axis ``a``. Densities live on the cells as cell
averages; fluxes and velocities live on the faces between cells. Each axis is either periodic (its
two ends are identified) or closed by walls.

Face layout (used by every solver and backend kernel): along axis ``a`` there are always
``shape[a] + 1`` faces, face ``j`` at ``lo_a + j * h_a``, lying between cells ``j - 1`` and ``j``.
On a periodic axis faces ``0`` and ``shape[a]`` are the same physical face.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

_AXIS_NAMES = ("x", "y", "z")


class Grid:
    """Uniform cell-centred Cartesian grid.

    Parameters
    ----------
    shape : int or sequence of int
        Number of cells along each axis (1 to 3 axes, each at least 1).
    bounds : sequence of (lo, hi) pairs, or one (lo, hi) pair for a 1D grid
        Extent of the box along each axis, ``lo < hi``, both finite.
    periodic : bool or sequence of bool, default False
        Whether each axis is periodic (one value for all axes, or one per axis).

    Examples
    --------
    >>> grid = Grid(shape=(64, 32), bounds=((-1, 1), (0, 1)), periodic=(True, False))
    >>> grid.spacing
    (0.03125, 0.03125)
    """

    def __init__(
        self,
        shape: int | Sequence[int],
        bounds: Sequence[float] | Sequence[Sequence[float]],
        periodic: bool | Sequence[bool] = False,
    ) -> None:
        self._shape = _parse_shape(shape)
        ndim = len(self._shape)
        self._bounds = _parse_bounds(bounds, ndim)
        self._periodic = _parse_periodic(periodic, ndim)

    # -- basic geometry -------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        """Number of space dimensions."""
        return len(self._shape)

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of cells along each axis."""
        return self._shape

    @property
    def size(self) -> int:
        """Total number of cells."""
        return int(np.prod(self._shape))

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """``(lo, hi)`` of the box along each axis."""
        return self._bounds

    @property
    def periodic(self) -> tuple[bool, ...]:
        """Whether each axis is periodic."""
        return self._periodic

    @property
    def lengths(self) -> tuple[float, ...]:
        """Box length ``hi - lo`` along each axis."""
        return tuple(hi - lo for lo, hi in self._bounds)

    @property
    def spacing(self) -> tuple[float, ...]:
        """Cell width ``h_a`` along each axis."""
        return tuple(length / n for length, n in zip(self.lengths, self._shape, strict=True))

    @property
    def cell_volume(self) -> float:
        """Volume of one cell, ``prod_a h_a``."""
        return float(np.prod(self.spacing))

    @property
    def axis_names(self) -> tuple[str, ...]:
        """Coordinate names, ``("x", "y", "z")[:ndim]``."""
        return _AXIS_NAMES[: self.ndim]

    # -- coordinates ----------------------------------------------------------------------------
    def axis_centers(self, axis: int) -> np.ndarray:
        """1D array of the cell-centre coordinates along ``axis``."""
        lo, _ = self._bounds[self._check_axis(axis)]
        h = self.spacing[axis]
        return lo + h * (np.arange(self._shape[axis]) + 0.5)

    def axis_faces(self, axis: int) -> np.ndarray:
        """1D array of the ``shape[axis] + 1`` face coordinates along ``axis``."""
        lo, _ = self._bounds[self._check_axis(axis)]
        h = self.spacing[axis]
        return lo + h * np.arange(self._shape[axis] + 1)

    @cached_property
    def centers(self) -> tuple[np.ndarray, ...]:
        """Cell-centre coordinates as broadcastable arrays (``x`` of shape ``(n0, 1, ...)``...)."""
        return tuple(self._broadcast(self.axis_centers(a), a) for a in range(self.ndim))

    def face_centers(self, axis: int) -> tuple[np.ndarray, ...]:
        """Coordinates of the centres of the faces normal to ``axis``, broadcastable.

        The coordinate along ``axis`` takes the ``shape[axis] + 1`` face positions, the other
        coordinates the cell centres, so ``f(*grid.face_centers(a))`` has shape
        :meth:`face_shape` ``(a)``.
        """
        self._check_axis(axis)
        return tuple(
            self._broadcast(self.axis_faces(a) if a == axis else self.axis_centers(a), a)
            for a in range(self.ndim)
        )

    def face_shape(self, axis: int) -> tuple[int, ...]:
        """Shape of an array of values on the faces normal to ``axis``."""
        self._check_axis(axis)
        return tuple(n + 1 if a == axis else n for a, n in enumerate(self._shape))

    # -- integration ----------------------------------------------------------------------------
    def integrate(self, f):
        """Integral of cell averages ``f`` over the box: ``sum_cells f * cell_volume``.

        The trailing ``ndim`` axes of ``f`` must equal :attr:`shape`; leading axes (for example
        snapshots in time) are kept. Works for NumPy and CuPy arrays alike.
        """
        self.check_field(f, "f", leading=True)
        axes = tuple(range(f.ndim - self.ndim, f.ndim))
        return f.sum(axis=axes) * self.cell_volume

    def normalize(self, rho, mass: float = 1.0):
        """Return ``rho`` scaled to the given total mass (default 1)."""
        total = self.integrate(rho)
        if not np.all(np.asarray(total) > 0):
            raise ValueError("normalize: rho has zero or negative total mass; nothing to scale")
        return rho * (mass / total)

    def check_field(self, f, name: str = "rho", leading: bool = False) -> None:
        """Raise ``ValueError`` unless the trailing axes of ``f`` match the grid shape."""
        shape = tuple(getattr(f, "shape", ()))
        ok = shape[len(shape) - self.ndim :] == self._shape and (leading or len(shape) == self.ndim)
        if not ok:
            want = ("(..., " if leading else "(") + ", ".join(map(str, self._shape)) + ")"
            raise ValueError(f"{name} has shape {shape}, but the grid needs shape {want}")

    # -- helpers --------------------------------------------------------------------------------
    def _broadcast(self, values: np.ndarray, axis: int) -> np.ndarray:
        shape = [1] * self.ndim
        shape[axis] = values.size
        return values.reshape(shape)

    def _check_axis(self, axis: int) -> int:
        if not (isinstance(axis, int | np.integer) and 0 <= axis < self.ndim):
            raise ValueError(f"axis must be an integer in [0, {self.ndim}), got {axis!r}")
        return int(axis)

    def to_dict(self) -> dict:
        """Plain description (for saving): shape, bounds and periodic flags."""
        return {
            "shape": list(self._shape),
            "bounds": [list(b) for b in self._bounds],
            "periodic": list(self._periodic),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Grid:
        """Inverse of :meth:`to_dict`."""
        return cls(d["shape"], d["bounds"], d["periodic"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return (self._shape, self._bounds, self._periodic) == (
            other._shape,
            other._bounds,
            other._periodic,
        )

    def __hash__(self) -> int:
        return hash((self._shape, self._bounds, self._periodic))

    def __repr__(self) -> str:
        bounds = ", ".join(f"({lo:g}, {hi:g})" for lo, hi in self._bounds)
        periodic = self._periodic if len(set(self._periodic)) > 1 else self._periodic[0]
        return f"Grid(shape={self._shape}, bounds=({bounds}), periodic={periodic})"


def _parse_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"shape must have 1, 2 or 3 entries (one per axis), got {shape!r}")
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"shape entries must be integers, got {shape!r}")
        if n < 1:
            raise ValueError(f"every axis needs at least one cell, got shape {shape!r}")
    return tuple(int(n) for n in shape)


def _parse_bounds(bounds, ndim: int) -> tuple[tuple[float, float], ...]:
    try:
        arr = np.asarray(bounds, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must give one (lo, hi) pair of numbers per axis ({ndim} pairs), got {bounds!r}"
        ) from None
    if ndim == 1 and arr.shape == (2,):
        arr = arr[None, :]
    if arr.shape != (ndim, 2):
        raise ValueError(
            f"bounds must give one (lo, hi) pair per axis ({ndim} pairs), got {bounds!r}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"bounds must be finite, got {bounds!r}")
    if np.any(arr[:, 1] <= arr[:, 0]):
        raise ValueError(f"every (lo, hi) in bounds needs lo < hi, got {bounds!r}")
    with np.errstate(over="ignore"):
        lengths = arr[:, 1] - arr[:, 0]
    if not np.all(np.isfinite(lengths)):
        raise ValueError(
            f"bounds {bounds!r} give an infinite box length hi - lo (beyond the float range); "
            "rescale the coordinates"
        )
    return tuple((float(lo), float(hi)) for lo, hi in arr)


def _parse_periodic(periodic, ndim: int) -> tuple[bool, ...]:
    if isinstance(periodic, bool | np.bool_):
        return (bool(periodic),) * ndim
    try:
        periodic = tuple(periodic)
    except TypeError:
        raise TypeError(
            f"periodic must be a bool or a sequence of one bool per axis ({ndim} values), got "
            f"{type(periodic).__name__} {periodic!r}"
        ) from None
    if len(periodic) != ndim or not all(isinstance(p, bool | np.bool_) for p in periodic):
        raise ValueError(
            f"periodic must be a bool or one bool per axis ({ndim} values), got {periodic!r}"
        )
    return tuple(bool(p) for p in periodic)
