"""The Numba CPU backend: compiled, multi-threaded kernels on NumPy arrays.

Every kernel of the contract is a call into the capability module that holds its ``@njit``
kernels and their 3D views: :mod:`.transport`, :mod:`.hamilton_jacobi`, :mod:`.fokker_planck`,
:mod:`.particles`, :mod:`.benamou_brenier`, :mod:`.poisson` and :mod:`.c_transform`.
"""

from __future__ import annotations

import numba
import numpy as np

from ..base import Backend
from . import (
    benamou_brenier,
    c_transform,
    fokker_planck,
    hamilton_jacobi,
    hj_point,
    particles,
    poisson,
    transport,
)


class NumbaBackend(Backend):
    """Kernels compiled with ``@njit(parallel=True, cache=True)`` (settings in :mod:`.jit`)."""

    name = "numba"
    xp = np

    def info(self) -> dict[str, str]:
        threads = numba.get_num_threads()
        return {
            "name": self.name,
            "version": numba.__version__,
            "device": f"CPU ({threads} threads)",
        }

    # -- transport (.transport) -----------------------------------------------------------------
    def _transport_update(self, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out):
        transport.transport_update(rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out)

    # -- Hamilton-Jacobi (.hamilton_jacobi) -----------------------------------------------------
    def _hj_derivatives(self, phi, spacing, periodic, scheme_code):
        return hamilton_jacobi.hj_derivatives(phi, spacing, periodic, scheme_code)

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
        return hamilton_jacobi.hj_update(
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
        )

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
        return hj_point.hj_update_point(
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
            rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
        )

    # -- particles (.particles) -----------------------------------------------------------------
    def _deposit(self, positions, weights, bounds, shape, periodic, method_code):
        return particles.deposit(positions, weights, bounds, shape, periodic, method_code)

    def _interpolate(self, values, positions, bounds, periodic, method_code):
        return particles.interpolate_values(values, positions, bounds, periodic, method_code)

    # -- Benamou-Brenier (.benamou_brenier, .poisson) -------------------------------------------
    def _bb_interpolate(self, rho_s, m_s, out):
        benamou_brenier.interpolate(rho_s, m_s, out)

    def _bb_interpolate_adjoint(self, rho_c, m_c, periodic, out):
        benamou_brenier.interpolate_adjoint(rho_c, m_c, periodic, out)

    def _bb_divergence(self, rho_s, m_s, spacing, periodic, out):
        benamou_brenier.divergence(rho_s, m_s, spacing, out)

    def _bb_gradient(self, p, spacing, periodic, out):
        benamou_brenier.gradient(p, spacing, periodic, out)

    def _bb_gradient_add(self, p, spacing, periodic, out):
        benamou_brenier.gradient(p, spacing, periodic, out, benamou_brenier.ADD)

    def _bb_gradient_reflect(self, p, spacing, periodic, base, out, reflect):
        benamou_brenier.gradient(p, spacing, periodic, out, benamou_brenier.REFLECT, base, reflect)

    def _bb_poisson(self, f, spacing, periodic, out):
        poisson.poisson(f, spacing, periodic, numba.get_num_threads(), out)

    def _bb_poisson_free_end(self, f, spacing, periodic, out):
        poisson.poisson_free_end(f, spacing, periodic, numba.get_num_threads(), out)

    def _bb_prox(self, rho_c, m_c, gamma, out, reflect):
        benamou_brenier.prox(rho_c, m_c, gamma, out, reflect)

    def _bb_graph_solve(self, a_s, b_c, rho0, rho1, periodic, out):
        benamou_brenier.graph_solve(a_s, b_c, rho0, rho1, periodic, out)

    def _bb_reflect(self, x, z, out):
        benamou_brenier.reflect(x, z, out)

    def _bb_relax(self, z, x, y, alpha):
        return benamou_brenier.relax(z, x, y, alpha)

    def _bb_sum_squares(self, x):
        return benamou_brenier.sum_squares(x)

    def _bb_kinetic(self, rho_c, m_c):
        return benamou_brenier.kinetic(rho_c, m_c)

    # -- c-transform (.c_transform) -------------------------------------------------------------
    def _c_transform_lines(self, lines, c, periodic, out, argmin):
        c_transform.c_transform_lines(lines, c, periodic, out, argmin)
