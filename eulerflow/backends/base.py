"""The backend contract: the :class:`Backend` class that solvers are written against.

A backend owns an array module ``xp`` (``numpy`` or ``cupy``), conversions, FFT and sparse
modules, and the numerical kernels. The kernels are grouped by capability, each in one module of
:mod:`eulerflow.backends.contract` that documents its formula once, holds the public method that
checks the arguments and the abstract private kernel each backend implements:

- :mod:`.contract.transport`: ``transport_update``, ``transport_rate`` (MUSCL upwind);
- :mod:`.contract.hamilton_jacobi`: ``hj_derivatives``, ``hj_update``;
- :mod:`.contract.fokker_planck`: ``fokker_planck_update``, ``fokker_planck_rate``
  (Scharfetter-Gummel);
- :mod:`.contract.particles`: ``deposit``, ``interpolate``;
- :mod:`.contract.benamou_brenier`: the ``bb_*`` kernels on the staggered space-time grid;
- :mod:`.contract.c_transform`: ``c_transform`` (exact grid c-transform, lower envelopes).

Every backend implements them with the same signature and the same results (to round-off) as
the NumPy reference backend; ``tests/backends/`` checks this on random inputs for every
available backend.
"""

from __future__ import annotations

from abc import abstractmethod
from types import ModuleType

import numpy as np

from .contract.benamou_brenier import BenamouBrenierKernels
from .contract.c_transform import CTransformKernels
from .contract.fokker_planck import FokkerPlanckKernels
from .contract.hamilton_jacobi import HamiltonJacobiKernels
from .contract.particles import ParticleKernels
from .contract.transport import TransportKernels


class Backend(
    TransportKernels,
    HamiltonJacobiKernels,
    FokkerPlanckKernels,
    ParticleKernels,
    BenamouBrenierKernels,
    CTransformKernels,
):
    """Array module, conversions and the numerical kernels of one compute target."""

    name: str = ""
    xp: ModuleType = np

    # -- arrays ---------------------------------------------------------------------------------
    def asarray(self, x, dtype=None):
        """``x`` as an array of this backend (copied to the device if needed)."""
        return self.xp.asarray(x, dtype=dtype)

    def to_numpy(self, x) -> np.ndarray:
        """``x`` as a NumPy array on the host."""
        return np.asarray(x)

    def synchronize(self) -> None:
        """Wait until queued device work has finished (no-op on the CPU)."""
        return None

    @property
    def fft(self) -> ModuleType:
        """FFT/DCT module (``scipy.fft`` or ``cupyx.scipy.fft``)."""
        import scipy.fft

        return scipy.fft

    @property
    def sparse(self) -> ModuleType:
        """Sparse-matrix module (``scipy.sparse`` or ``cupyx.scipy.sparse``)."""
        import scipy.sparse

        return scipy.sparse

    def sparse_matrix(self, matrix):
        """A SciPy sparse matrix (assembled on the host) as this backend's CSR matrix."""
        return matrix.tocsr()

    def sparse_factorized(self, matrix):
        """``solve(rhs) -> x`` with ``matrix @ x = rhs`` for a square sparse ``matrix``.

        The LU factors are computed once (SuperLU, ``scipy.sparse.linalg.splu``, fill-reducing
        ordering ``MMD_AT_PLUS_A``, which suits the structurally symmetric finite-volume
        operators) and every call of ``solve`` is a pair of triangular solves. ``rhs`` is a 1D
        array of this backend.
        """
        import scipy.sparse.linalg

        lu = scipy.sparse.linalg.splu(matrix.tocsc(), permc_spec="MMD_AT_PLUS_A")
        return lu.solve

    @abstractmethod
    def info(self) -> dict[str, str]:
        """``{"name", "version", "device"}`` describing this backend."""

    def __repr__(self) -> str:
        return f"<eulerflow backend {self.name!r}>"
