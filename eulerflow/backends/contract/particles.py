"""The particle kernels of the backend contract: the public checking wrappers and the abstract
kernels each backend implements.

``deposit(positions, weights, bounds, shape, periodic, method)``
    Cell-average density ``rho_c = sum_p w_p W_c(x_p) / |cell|`` of weighted particles, ``W`` the
    nearest-grid-point or cloud-in-cell weights of :mod:`eulerflow.schemes.particle_mesh`.
``interpolate(values, positions, bounds, periodic, method)``
    ``f(x_p) = sum_c W_c(x_p) f_c``: grid values at the particles (the adjoint of the deposit).

Implementations: :mod:`eulerflow.backends.numpy_backend` (the reference),
:mod:`eulerflow.backends.numba.particles`, :mod:`eulerflow.backends.cupy.particles`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from ...schemes.particle_mesh import deposit_method_code


class ParticleKernels(ABC):
    """``deposit`` and ``interpolate`` (part of :class:`~eulerflow.backends.Backend`)."""

    def deposit(
        self,
        positions,
        weights,
        bounds: Sequence[Sequence[float]],
        shape: Sequence[int],
        periodic: Sequence[bool],
        method: str = "cic",
    ):
        """Cell-average density ``rho_c = sum_p w_p W_c(x_p) / |cell|`` of weighted particles.

        ``W_c`` are the tensor-product weights of ``eulerflow.schemes.particle_mesh``:
        ``"ngp"`` gives the whole weight to the cell holding ``x_p``; ``"cic"`` splits it linearly
        between the ``2^d`` cells whose centres surround ``x_p`` (a particle at a cell centre
        stays in that cell). Periodic axes wrap; on walled axes the indices are clamped, so a
        particle in the half cell next to a wall gives all its weight to the boundary cell. Then
        ``sum_c rho_c |cell| = sum_p w_p`` over the inside particles. Particles with a walled
        coordinate outside ``[lo, hi]`` or a non-finite coordinate are skipped. Sums may be
        accumulated in any order (threads, atomics): results agree to round-off only.

        Parameters
        ----------
        positions : array, shape (n, d)
            Particle positions, float32 or float64, ``d`` = 1 to 3.
        weights : array, shape (n,)
            Particle weights (masses), the dtype of ``positions``.
        bounds : sequence of (lo, hi)
            The box, one pair per axis.
        shape : sequence of int
            Cells per axis.
        periodic : sequence of bool
            Periodic axes; the others are walls.
        method : {"ngp", "cic"}
            Assignment scheme.

        Returns
        -------
        array of ``shape``
            The density, in the dtype of ``positions``.
        """
        bounds, shape, periodic = _check_particle_args(positions, bounds, shape, periodic)
        n = positions.shape[0]
        if tuple(weights.shape) != (n,) or weights.dtype != positions.dtype:
            raise ValueError(
                f"weights must have shape ({n},) and dtype {positions.dtype}, got "
                f"{tuple(weights.shape)} {weights.dtype}"
            )
        code = deposit_method_code(method)
        return self._deposit(positions, weights, bounds, shape, periodic, code)

    def interpolate(
        self,
        values,
        positions,
        bounds: Sequence[Sequence[float]],
        periodic: Sequence[bool],
        method: str = "cic",
    ):
        """Grid values at the particles, ``f(x_p) = sum_c W_c(x_p) f_c`` (adjoint of deposit).

        ``"ngp"``: the value of the cell holding ``x_p``; ``"cic"``: the multilinear interpolant
        of the cell-centre values (constant in the half cells next to walls, periodic across
        periodic ends). NaN for particles outside (as in :meth:`deposit`).

        Parameters
        ----------
        values : array
            Cell values, 1 to 3 dimensions (the grid shape); read in the dtype of ``positions``.
        positions : array, shape (n, values.ndim)
            Particle positions, float32 or float64.
        bounds, periodic, method
            As in :meth:`deposit`.

        Returns
        -------
        array, shape (n,)
            In the dtype of ``positions``.
        """
        bounds, shape, periodic = _check_particle_args(
            positions, bounds, tuple(values.shape), periodic
        )
        code = deposit_method_code(method)
        return self._interpolate(values, positions, bounds, periodic, code)

    @abstractmethod
    def _deposit(self, positions, weights, bounds, shape, periodic, method_code):
        """Kernel of :meth:`deposit` on validated arguments; returns the density."""

    @abstractmethod
    def _interpolate(self, values, positions, bounds, periodic, method_code):
        """Kernel of :meth:`interpolate` on validated arguments; returns the values."""


def _check_particle_args(positions, bounds, shape, periodic):
    """Validated ``(bounds, shape, periodic)`` of a particle kernel as plain tuples."""
    pshape = tuple(getattr(positions, "shape", ()))
    if len(pshape) != 2 or not 1 <= pshape[1] <= 3:
        raise ValueError(f"positions must have shape (n, d) with d = 1, 2 or 3, got {pshape}")
    if np.dtype(positions.dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"positions must be float32 or float64, got {positions.dtype}")
    d = pshape[1]
    shape = tuple(int(n) for n in shape)
    bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
    periodic = tuple(bool(p) for p in periodic)
    if not len(shape) == len(bounds) == len(periodic) == d:
        raise ValueError(
            f"positions have {d} coordinates: need {d} cell counts, (lo, hi) pairs and periodic "
            f"flags, got {len(shape)}, {len(bounds)} and {len(periodic)}"
        )
    if any(n < 1 for n in shape):
        raise ValueError(f"every axis needs at least one cell, got shape {shape}")
    if not all(np.isfinite(lo) and np.isfinite(hi) and lo < hi for lo, hi in bounds):
        raise ValueError(f"bounds must be finite with lo < hi, got {bounds}")
    return bounds, shape, periodic
