"""The CuPy GPU backend: CUDA C++ kernels compiled at run time with NVRTC.

Importing this module does not import CuPy (:func:`.availability.cupy_unavailable_reason` says
whether CuPy and a CUDA device are usable); :class:`CupyBackend` imports CuPy when it is created.
Every kernel of the contract is a launch in the capability module that holds its CUDA source:
:mod:`.transport`, :mod:`.hamilton_jacobi`, :mod:`.hj_point` (the fused update of time-invariant
control-affine Hamiltonians), :mod:`.fokker_planck`, :mod:`.particles`, :mod:`.benamou_brenier`
and :mod:`.c_transform`, all compiled and launched through one
:class:`.compile.KernelCache`.
"""

from __future__ import annotations

import numpy as np

from ...arrays import is_cupy_array
from ..base import Backend
from ..contract.hamilton_jacobi import derivative_maxima, hj_update_point_arrays
from . import (
    benamou_brenier,
    c_transform,
    fokker_planck,
    hamilton_jacobi,
    hj_point,
    particles,
    transport,
)
from .compile import KernelCache


class CupyBackend(Backend):
    """Kernels written in CUDA C++ and compiled with NVRTC through :class:`cupy.RawModule`.

    Arrays live on the current CUDA device; inputs that are NumPy arrays or non-contiguous CuPy
    arrays are copied to contiguous device arrays first. Kernels run on the current stream and
    return without waiting: call :meth:`synchronize` before timing.

    Parameters
    ----------
    xp : module, optional
        The CuPy module (imported when omitted). The host emulation checks of
        ``benchmarks/check_cuda_*.py`` pass a stand-in that runs the kernels on the CPU.
    """

    name = "cupy"

    def __init__(self, xp=None) -> None:
        if xp is None:
            import cupy

            xp = cupy
        self.xp = xp
        self.kernels = KernelCache(xp)
        """The compiled modules of this backend, per device (:mod:`.compile`)."""
        self.point_tables = hj_point.DeviceTables()
        """The device copies of the tabulated dynamics of ``hj_update_point`` (:mod:`.hj_point`)."""

    # -- arrays ---------------------------------------------------------------------------------
    def asarray(self, x, dtype=None):
        """``x`` as a CuPy array on the current device (copied from the host if needed)."""
        return self.xp.asarray(x, dtype=dtype)

    def to_numpy(self, x) -> np.ndarray:
        """``x`` copied to the host as a NumPy array."""
        if is_cupy_array(x):
            return x.get()
        return np.asarray(x)

    def synchronize(self) -> None:
        """Wait until the work queued on the current stream has finished."""
        self.xp.cuda.get_current_stream().synchronize()

    @property
    def fft(self):
        """``cupyx.scipy.fft``."""
        import cupyx.scipy.fft

        return cupyx.scipy.fft

    @property
    def sparse(self):
        """``cupyx.scipy.sparse``."""
        import cupyx.scipy.sparse

        return cupyx.scipy.sparse

    def sparse_matrix(self, matrix):
        """A SciPy (host) sparse matrix as a ``cupyx.scipy.sparse`` CSR matrix on the device."""
        import cupyx.scipy.sparse

        if cupyx.scipy.sparse.issparse(matrix):
            return matrix.tocsr()
        return cupyx.scipy.sparse.csr_matrix(matrix.tocsr())

    def sparse_factorized(self, matrix):
        """``solve(rhs)`` for a square sparse ``matrix``: LU factors computed once on the host by
        SuperLU (``cupyx.scipy.sparse.linalg.splu``), triangular solves on the device."""
        import cupyx.scipy.sparse.linalg

        lu = cupyx.scipy.sparse.linalg.splu(self.sparse_matrix(matrix), permc_spec="MMD_AT_PLUS_A")
        return lu.solve

    def info(self) -> dict[str, str]:
        cupy = self.xp
        device = cupy.cuda.Device()
        props = cupy.cuda.runtime.getDeviceProperties(device.id)
        name = props["name"]
        if isinstance(name, bytes):
            name = name.decode()
        major, minor = props["major"], props["minor"]
        memory = props["totalGlobalMem"] / 2**30
        return {
            "name": self.name,
            "version": cupy.__version__,
            "device": f"GPU {device.id}: {name} (compute capability {major}.{minor}, "
            f"{memory:.1f} GiB)",
        }

    # -- transport (.transport) -----------------------------------------------------------------
    def _transport_update(self, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out):
        transport.transport_update(
            self.kernels, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out
        )

    # -- Hamilton-Jacobi (.hamilton_jacobi) -----------------------------------------------------
    def _hj_derivatives(self, phi, spacing, periodic, scheme_code):
        return hamilton_jacobi.hj_derivatives(self.kernels, phi, spacing, periodic, scheme_code)

    def _hj_update(
        self,
        phi_n,
        phi_k,
        spacing,
        periodic,
        scheme_code,
        flux_code,
        power,
        potential,
        alphas,
        a,
        b,
        c,
        out,
        maxima,
    ):
        hamilton_jacobi.hj_update(
            self.kernels,
            phi_n,
            phi_k,
            spacing,
            periodic,
            scheme_code,
            flux_code,
            power,
            potential,
            alphas,
            a,
            b,
            c,
            out,
        )
        if not maxima:
            return None
        # not fused on the GPU: the derivatives once more (device reductions)
        minus, plus = self._hj_derivatives(phi_k, spacing, periodic, scheme_code)
        return derivative_maxima(minus, plus, self.xp)

    def _hj_update_point(
        self,
        phi_n,
        phi_k,
        spacing,
        periodic,
        scheme_code,
        local,
        hamiltonian,
        coords,
        t,
        alphas,
        tube,
        a,
        b,
        c,
        out,
    ):
        params = hj_point.fused_parameters(hamiltonian)
        if params is not None:  # time-invariant control-affine: one fused kernel
            return hj_point.hj_update_point(
                self.kernels,
                self.point_tables,
                params,
                phi_n,
                phi_k,
                spacing,
                periodic,
                scheme_code,
                local,
                hamiltonian,
                coords,
                alphas,
                tube,
                a,
                b,
                c,
                out,
            )
        # array expressions on the device: the user's dynamics run as CuPy ufuncs (not fused)
        return hj_update_point_arrays(
            self,
            phi_n,
            phi_k,
            spacing,
            periodic,
            scheme_code,
            local,
            hamiltonian,
            coords,
            t,
            alphas,
            tube,
            a,
            b,
            c,
            out,
        )

    # -- Fokker-Planck (.fokker_planck) ---------------------------------------------------------
    def _fokker_planck_update(
        self, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
    ):
        fokker_planck.fokker_planck_update(
            self.kernels, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
        )

    # -- particles (.particles) -----------------------------------------------------------------
    def _deposit(self, positions, weights, bounds, shape, periodic, method_code):
        return particles.deposit(
            self.kernels, positions, weights, bounds, shape, periodic, method_code
        )

    def _interpolate(self, values, positions, bounds, periodic, method_code):
        return particles.interpolate(self.kernels, values, positions, bounds, periodic, method_code)

    # -- Benamou-Brenier (.benamou_brenier) -----------------------------------------------------
    def _bb_interpolate(self, rho_s, m_s, out):
        benamou_brenier.interpolate(self.kernels, rho_s, m_s, out)

    def _bb_interpolate_adjoint(self, rho_c, m_c, periodic, out):
        benamou_brenier.interpolate_adjoint(self.kernels, rho_c, m_c, periodic, out)

    def _bb_divergence(self, rho_s, m_s, spacing, periodic, out):
        benamou_brenier.divergence(self.kernels, rho_s, m_s, spacing, out)

    def _bb_gradient(self, p, spacing, periodic, out):
        benamou_brenier.gradient(self.kernels, p, spacing, periodic, out)

    def _bb_gradient_add(self, p, spacing, periodic, out):
        benamou_brenier.gradient_add(self.kernels, p, spacing, periodic, out)

    def _bb_gradient_reflect(self, p, spacing, periodic, base, out, reflect):
        benamou_brenier.gradient_reflect(self.kernels, p, spacing, periodic, base, out, reflect)

    def _bb_poisson(self, f, spacing, periodic, out):
        benamou_brenier.poisson(self.kernels, self.fft, f, spacing, periodic, out)

    def _bb_poisson_free_end(self, f, spacing, periodic, out):
        benamou_brenier.poisson_free_end(self.kernels, self.fft, f, spacing, periodic, out)

    def _bb_prox(self, rho_c, m_c, gamma, out, reflect):
        benamou_brenier.prox(self.kernels, rho_c, m_c, gamma, out)
        if reflect is not None:
            benamou_brenier.reflect_pairs(self.kernels, out, (rho_c, m_c), reflect)

    def _bb_graph_solve(self, a_s, b_c, rho0, rho1, periodic, out):
        benamou_brenier.graph_solve(self.kernels, self.fft, a_s, b_c, rho0, rho1, periodic, out)

    def _bb_reflect(self, x, z, out):
        benamou_brenier.reflect(self.kernels, x, z, out)

    def _bb_relax(self, z, x, y, alpha):
        return benamou_brenier.relax(self.kernels, z, x, y, alpha)

    def _bb_sum_squares(self, x):
        return benamou_brenier.sum_squares(self.kernels, x)

    def _bb_kinetic(self, rho_c, m_c):
        return benamou_brenier.kinetic(self.kernels, rho_c, m_c)

    # -- c-transform (.c_transform) -------------------------------------------------------------
    def _c_transform_lines(self, lines, c, periodic, out, argmin):
        c_transform.c_transform_lines(self.kernels, lines, c, periodic, out, argmin)
