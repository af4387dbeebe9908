"""The Numba CPU backend: compiled, multi-threaded kernels on NumPy arrays."""

from __future__ import annotations

import numba
import numpy as np

from . import numba_kernels
from .base import Backend

# Where the axes of an array go in the (n0, n1, n2) view of the 3D kernel: the outer axis n0 is
# the parallel one and n2 the contiguous one. 1D and 2D data use the two-axis kernel instead.
_AXES_IN_3D = {3: (0, 1, 2)}


class NumbaBackend(Backend):
    """Kernels compiled with ``@njit(parallel=True, cache=True)`` (see :mod:`.numba_kernels`)."""

    name = "numba"
    xp = np

    def info(self) -> dict[str, str]:
        threads = numba.get_num_threads()
        return {
            "name": self.name,
            "version": numba.__version__,
            "device": f"CPU ({threads} threads)",
        }

    def _transport_update(self, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out):
        if not out.flags.c_contiguous:
            raise ValueError("out must be C-contiguous for the numba backend")
        dtype = rho_k.dtype
        scalars = (code, dtype.type(a), dtype.type(b), dtype.type(c))
        if rho_k.ndim <= 2:
            self._update_rows(rho_n, rho_k, velocities, spacing, periodic, scalars, out)
            return
        axes = _AXES_IN_3D[rho_k.ndim]
        shape3 = [1, 1, 1]
        periodic3 = np.zeros(3, dtype=np.bool_)
        inv_h3 = np.zeros(3, dtype=dtype)
        for axis, target in enumerate(axes):
            shape3[target] = rho_k.shape[axis]
            periodic3[target] = periodic[axis]
            inv_h3[target] = 1.0 / spacing[axis]
        u3 = [np.zeros((1, 1, 1), dtype=dtype)] * 3
        for axis, target in enumerate(axes):
            face_shape = tuple(n + (a == target) for a, n in enumerate(shape3))
            u3[target] = np.ascontiguousarray(velocities[axis]).reshape(face_shape)
        numba_kernels.transport_update_3d(
            np.ascontiguousarray(rho_n).reshape(shape3),
            np.ascontiguousarray(rho_k).reshape(shape3),
            *u3,
            periodic3,
            inv_h3,
            *scalars,
            out.reshape(shape3),
            numba_kernels.default_chunks(shape3[0]),
        )

    @staticmethod
    def _update_rows(rho_n, rho_k, velocities, spacing, periodic, scalars, out):
        """1D and 2D data through the two-axis kernel; 1D is viewed as one row ``(1, n)``."""
        dtype = rho_k.dtype
        if rho_k.ndim == 1:
            shape = (1, rho_k.shape[0])
            u0 = np.zeros((2, shape[1]), dtype=dtype)
            u1 = np.ascontiguousarray(velocities[0]).reshape(1, -1)
            periodic2 = np.array((False, periodic[0]))
            inv_h2 = np.array((0.0, 1.0 / spacing[0]), dtype=dtype)
        else:
            shape = rho_k.shape
            u0, u1 = (np.ascontiguousarray(u) for u in velocities)
            periodic2 = np.array(periodic)
            inv_h2 = np.array([1.0 / h for h in spacing], dtype=dtype)
        numba_kernels.transport_update_2d(
            np.ascontiguousarray(rho_n).reshape(shape),
            np.ascontiguousarray(rho_k).reshape(shape),
            u0,
            u1,
            periodic2,
            inv_h2,
            *scalars,
            out.reshape(shape),
            numba_kernels.default_chunks(shape[0]),
        )
