"""The Numba CPU backend: compiled, multi-threaded kernels on NumPy arrays."""

from __future__ import annotations

import numba
import numpy as np

from . import numba_kernels
from .base import Backend

# Where the axes of a 1D/2D/3D array go in the (n0, n1, n2) view of the kernels: the outer axis
# n0 is the parallel one and n2 the contiguous one, so a 2D array becomes (n0, 1, n1).
_AXES_IN_3D = {1: (2,), 2: (0, 2), 3: (0, 1, 2)}


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
            code,
            dtype.type(a),
            dtype.type(b),
            dtype.type(c),
            out.reshape(shape3),
            numba_kernels.default_chunks(shape3[0]),
        )
