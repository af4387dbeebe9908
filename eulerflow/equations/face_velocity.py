"""Velocity fields on the faces of a grid, from callables or arrays.

A transport solver needs, on the faces normal to every axis ``a``, the component ``v_a`` of the
velocity (see the face layout in :mod:`eulerflow.grid`). :class:`FaceVelocity` accepts

- a callable ``v(t, *coords) -> tuple of ndim arrays``, evaluated at the face centres of each axis
  (re-evaluated at every Runge-Kutta stage unless ``steady=True``);
- a tuple of ``ndim`` arrays given on the faces (shape ``grid.face_shape(a)``) or on the cell
  centres (shape ``grid.shape``, broadcastable allowed), which are averaged to the faces:
  ``v_{a, j} = (v_{a, j-1} + v_{a, j}) / 2`` (the wall faces take the edge cell's value; their
  flux is zero anyway).

On a periodic axis the first and last face are one face: if the two values differ (a velocity
that is not periodic) they are replaced by their mean and a :class:`NonPeriodicVelocityWarning`
is issued once.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..exceptions import NonPeriodicVelocityWarning
from ..grid import Grid


class FaceVelocity:
    """Face-centred velocity of a transport problem, as NumPy arrays of a given dtype.

    Parameters
    ----------
    velocity : callable or sequence of arrays
        See the module docstring.
    grid : Grid
        The grid.
    dtype : numpy dtype
        Floating dtype of the returned arrays.
    steady : bool, default False
        For a callable: it does not depend on ``t``, evaluate it once.
    name : str, default "velocity"
        The argument's name in error messages and warnings (``"drift"`` for Fokker-Planck).
    """

    def __init__(
        self, velocity, grid: Grid, dtype, steady: bool = False, name: str = "velocity"
    ) -> None:
        self.grid = grid
        self.name = name
        self.dtype = np.dtype(dtype)
        self._warned = False
        self._last: tuple[float, tuple[np.ndarray, ...]] | None = None
        if callable(velocity):
            self._func: Callable | None = velocity
            self.steady = bool(steady)
            self._fixed = self._evaluate(0.0) if self.steady else None
        elif isinstance(velocity, Sequence | np.ndarray):
            self._func = None
            self.steady = True
            self._fixed = self._from_arrays(velocity)
        else:
            raise TypeError(
                f"{name} must be a callable {name}(t, *coords) -> tuple of arrays, or a tuple of "
                f"{grid.ndim} arrays on the faces or cell centres; got {type(velocity).__name__}"
            )

    def __call__(self, t: float) -> tuple[np.ndarray, ...]:
        """Face velocities at time ``t``, one array per axis."""
        if self._fixed is not None:
            return self._fixed
        if self._last is None or self._last[0] != t:
            self._last = (t, self._evaluate(t))
        return self._last[1]

    # -- construction ---------------------------------------------------------------------------
    def _evaluate(self, t: float) -> tuple[np.ndarray, ...]:
        grid = self.grid
        faces = []
        for axis in range(grid.ndim):
            what = f"{self.name}(t, *coords)"
            components = _as_components(self._func(t, *grid.face_centers(axis)), grid.ndim, what)
            try:
                u = np.asarray(components[axis], dtype=self.dtype)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{what} component {axis} must be real numbers, got {components[axis]!r:.60}"
                ) from None
            try:
                u = np.broadcast_to(u, grid.face_shape(axis))
            except ValueError:
                raise ValueError(
                    f"{what} returned component {axis} of shape {u.shape}; evaluated at the "
                    f"centres of the faces normal to axis {axis} it must broadcast to "
                    f"{grid.face_shape(axis)} (use the coordinate arrays it is given, e.g. "
                    f"0 * x + 1 for a constant)"
                ) from None
            faces.append(np.array(u))
        return self._finish(faces)

    def _from_arrays(self, arrays) -> tuple[np.ndarray, ...]:
        grid = self.grid
        arrays = _as_components(arrays, grid.ndim, self.name)
        faces = []
        for axis, comp in enumerate(arrays):
            comp = np.asarray(comp, dtype=self.dtype)
            face_shape = grid.face_shape(axis)
            if comp.shape == face_shape:
                faces.append(comp.copy())
                continue
            try:
                cells = np.broadcast_to(comp, grid.shape)
            except ValueError:
                raise ValueError(
                    f"{self.name} component {axis} has shape {comp.shape}; give it on the faces "
                    f"(shape {face_shape}) or on the cell centres (shape {grid.shape})"
                ) from None
            faces.append(_centres_to_faces(cells, axis, grid.periodic[axis]))
        return self._finish(faces)

    def _finish(self, faces: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        for axis, u in enumerate(faces):
            if not np.all(np.isfinite(u)):
                raise ValueError(f"{self.name} component {axis} has non-finite values")
            if self.grid.periodic[axis]:
                self._identify_periodic_ends(u, axis)
        return tuple(faces)

    def _identify_periodic_ends(self, u: np.ndarray, axis: int) -> None:
        first = [slice(None)] * u.ndim
        last = [slice(None)] * u.ndim
        first[axis], last[axis] = 0, -1
        first, last = tuple(first), tuple(last)
        mismatch = np.max(np.abs(u[first] - u[last]), initial=0.0)
        scale = np.max(np.abs(u), initial=0.0)
        if mismatch > 1e-12 * max(scale, 1e-300) and not self._warned:
            self._warned = True
            warnings.warn(
                f"the {self.name} along periodic axis {axis} differs between the two ends of the "
                f"box (by up to {mismatch:.3g}); the shared end face takes the mean",
                NonPeriodicVelocityWarning,
                stacklevel=5,
            )
        mean = 0.5 * (u[first] + u[last])
        u[first] = mean
        u[last] = mean


def _as_components(components, ndim: int, what: str) -> tuple:
    if isinstance(components, np.ndarray) and components.ndim >= 1 and ndim == 1:
        if components.shape[0] != 1:
            components = (components,)
    try:
        components = tuple(components)
    except TypeError:
        raise TypeError(f"{what} must give a tuple of {ndim} arrays") from None
    if len(components) != ndim:
        raise ValueError(
            f"{what} must give {ndim} components (one per axis), got {len(components)}"
        )
    return components


def _centres_to_faces(cells: np.ndarray, axis: int, periodic: bool) -> np.ndarray:
    """Face values ``(v_{j-1} + v_j) / 2`` (wrapped or edge-copied at the ends)."""
    n = cells.shape[axis]
    faces = np.arange(n + 1)
    left = (faces - 1) % n if periodic else np.clip(faces - 1, 0, n - 1)
    right = faces % n if periodic else np.clip(faces, 0, n - 1)
    return 0.5 * (np.take(cells, left, axis=axis) + np.take(cells, right, axis=axis))


def max_courant_rate(faces: Sequence[np.ndarray], spacing: Sequence[float]) -> float:
    """``sum_a max|u_a| / h_a``: the Courant number per unit time step."""
    return float(sum(np.max(np.abs(u)) / h for u, h in zip(faces, spacing, strict=True)))
