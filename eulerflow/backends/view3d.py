"""The fixed-rank view shared by the compiled kernels.

The Numba and CUDA kernels work on a three-axis view ``(n0, n1, n2)`` of 1D, 2D and 3D arrays:
the outer axis ``n0`` is the parallel one and ``n2`` the contiguous one. 2D data are viewed as
``(n0, 1, n1)`` (rows swept in parallel, contiguous inside) and 1D data as one row ``(1, 1, n)``.
"""

from __future__ import annotations

AXES_IN_3D: dict[int, tuple[int, ...]] = {1: (2,), 2: (0, 2), 3: (0, 1, 2)}
"""For an array of ``ndim`` axes, where each of its axes goes in the ``(n0, n1, n2)`` view."""
