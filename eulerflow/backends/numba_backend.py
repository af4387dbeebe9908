"""The Numba CPU backend: compiled, multi-threaded kernels on NumPy arrays."""

from __future__ import annotations

import numba
import numpy as np

from ..schemes.hj_derivatives import WENO_EPS_SCALE, weno_eps_floor
from . import numba_hj_kernels, numba_kernels
from .base import Backend
from .numba_fp_kernels import fokker_planck_update as _numba_fokker_planck_update
from .view3d import AXES_IN_3D

_FLOAT_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


class NumbaBackend(Backend):
    """Kernels compiled with ``@njit(parallel=True, cache=True)`` (see :mod:`.numba_kernels` and
    :mod:`.numba_hj_kernels`)."""

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
        axes = AXES_IN_3D[rho_k.ndim]  # 3D only: 1D and 2D use the two-axis kernel
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

    # -- Hamilton-Jacobi ------------------------------------------------------------------------
    @staticmethod
    def _hj_view(phi, spacing, periodic):
        """``(shape3, slot, periodic3, h3, k, gc)`` of the kernel for ``phi`` (see
        :mod:`.numba_hj_kernels`)."""
        dtype = np.dtype(phi.dtype)
        if dtype not in _FLOAT_TYPES:
            raise TypeError(f"the numba backend supports float32 and float64 arrays, got {dtype}")
        shape3 = [1, 1, 1]
        slot = np.full(3, -1, dtype=np.int64)
        periodic3 = np.zeros(3, dtype=np.bool_)
        h3 = np.ones(3, dtype=dtype)
        for axis, target in enumerate(AXES_IN_3D[phi.ndim]):
            shape3[target] = phi.shape[axis]
            slot[target] = axis
            periodic3[target] = periodic[axis]
            h3[target] = spacing[axis]
        k = numba_hj_kernels.constants(dtype, WENO_EPS_SCALE, weno_eps_floor(dtype))
        gc = np.array(numba_hj_kernels.GHOST_COEFFICIENTS, dtype=dtype)
        return tuple(shape3), slot, periodic3, h3, k, gc

    def _hj_derivatives(self, phi, spacing, periodic, scheme_code):
        shape3, slot, periodic3, h3, k, gc = self._hj_view(phi, spacing, periodic)
        ndim = phi.ndim
        dtype = np.dtype(phi.dtype)
        phi3 = np.ascontiguousarray(phi).reshape(shape3)
        derivs = np.empty((2 * ndim, *shape3), dtype=dtype)
        if phi3.size:
            zero = dtype.type(0)
            numba_hj_kernels.hj_sweep(
                phi3,
                phi3,
                phi3,
                False,
                slot,
                ndim,
                periodic3,
                h3,
                scheme_code,
                0,
                (zero,) * 4,
                (1, 0, 0, 0, 0),
                (zero,) * 3,
                zero,
                zero,
                zero,
                k,
                gc,
                phi3,
                derivs,
                True,
                numba_kernels.default_chunks(shape3[0]),
            )
        shape = tuple(phi.shape)
        minus = tuple(derivs[2 * s].reshape(shape) for s in range(ndim))
        plus = tuple(derivs[2 * s + 1].reshape(shape) for s in range(ndim))
        return minus, plus

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
    ):
        shape3, slot, periodic3, h3, k, gc = self._hj_view(phi_k, spacing, periodic)
        dtype = np.dtype(phi_k.dtype)
        if not isinstance(out, np.ndarray) or out.shape != phi_k.shape or out.dtype != dtype:
            raise ValueError(f"out must be a NumPy array of shape {phi_k.shape} and dtype {dtype}")
        if np.may_share_memory(out, phi_k) or (
            potential is not None and np.may_share_memory(out, potential)
        ):
            raise ValueError("out must not overlap phi_k or the potential")
        scalar = dtype.type
        pk = np.ascontiguousarray(phi_k).reshape(shape3)
        pn = np.ascontiguousarray(phi_n).reshape(shape3)
        has_pot = potential is not None
        pot = np.ascontiguousarray(potential).reshape(shape3) if has_pot else pk
        direct = out.flags.c_contiguous
        target = out.reshape(shape3) if direct else np.empty(shape3, dtype=dtype)
        q = float(power)
        pow_mode = numba_hj_kernels.pow_mode
        qs = (scalar(q), scalar(0.5 * q), scalar(q - 2), scalar(q - 1))
        qm = (int(q == 2.0), int(q > 2.0), pow_mode(0.5 * q), pow_mode(q - 2), pow_mode(q - 1))
        half_alphas = tuple(scalar(0.5 * x) for x in alphas) + (scalar(0),) * (3 - len(alphas))
        if pk.size:
            numba_hj_kernels.hj_sweep(
                pn,
                pk,
                pot,
                has_pot,
                slot,
                phi_k.ndim,
                periodic3,
                h3,
                scheme_code,
                flux_code,
                qs,
                qm,
                half_alphas,
                scalar(a),
                scalar(b),
                scalar(c),
                k,
                gc,
                target,
                np.empty((1, 1, 1, 1), dtype=dtype),
                False,
                numba_kernels.default_chunks(shape3[0]),
            )
        if not direct:
            out[...] = target.reshape(out.shape)

    def _fokker_planck_update(
        self, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
    ):
        _numba_fokker_planck_update(
            rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
        )

    # -- particles (kernels in .numba_particle_kernels) -----------------------------------------
    def _deposit(self, positions, weights, bounds, shape, periodic, method_code):
        from .numba_particle_kernels import deposit

        return deposit(positions, weights, bounds, shape, periodic, method_code)

    def _interpolate(self, values, positions, bounds, periodic, method_code):
        from .numba_particle_kernels import interpolate_values

        return interpolate_values(values, positions, bounds, periodic, method_code)

    # -- Benamou-Brenier (kernels in .numba_bb_kernels) ----------------------------------------
    def _bb_interpolate(self, rho_s, m_s, out):
        from . import numba_bb_kernels

        numba_bb_kernels.interpolate(rho_s, m_s, out)

    def _bb_interpolate_adjoint(self, rho_c, m_c, periodic, out):
        from . import numba_bb_kernels

        numba_bb_kernels.interpolate_adjoint(rho_c, m_c, periodic, out)

    def _bb_divergence(self, rho_s, m_s, spacing, periodic, out):
        from . import numba_bb_kernels

        numba_bb_kernels.divergence(rho_s, m_s, spacing, out)

    def _bb_gradient(self, p, spacing, periodic, out):
        from . import numba_bb_kernels

        numba_bb_kernels.gradient(p, spacing, periodic, out)

    def _bb_gradient_add(self, p, spacing, periodic, out):
        from . import numba_bb_kernels

        numba_bb_kernels.gradient(p, spacing, periodic, out, numba_bb_kernels.ADD)

    def _bb_gradient_reflect(self, p, spacing, periodic, base, out, reflect):
        from . import numba_bb_kernels

        numba_bb_kernels.gradient(
            p, spacing, periodic, out, numba_bb_kernels.REFLECT, base, reflect
        )

    def _bb_poisson(self, f, spacing, periodic, out):
        from . import numba_bb_poisson

        numba_bb_poisson.poisson(f, spacing, periodic, numba.get_num_threads(), out)

    def _bb_prox(self, rho_c, m_c, gamma, out, reflect):
        from . import numba_bb_kernels

        numba_bb_kernels.prox(rho_c, m_c, gamma, out, reflect)

    def _bb_graph_solve(self, a_s, b_c, rho0, rho1, periodic, out):
        from . import numba_bb_kernels

        numba_bb_kernels.graph_solve(a_s, b_c, rho0, rho1, periodic, out)

    def _bb_reflect(self, x, z, out):
        from . import numba_bb_kernels

        numba_bb_kernels.reflect(x, z, out)

    def _bb_relax(self, z, x, y, alpha):
        from . import numba_bb_kernels

        return numba_bb_kernels.relax(z, x, y, alpha)

    def _bb_kinetic(self, rho_c, m_c):
        from . import numba_bb_kernels

        return numba_bb_kernels.kinetic(rho_c, m_c)
