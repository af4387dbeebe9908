"""The NumPy reference backend: readable vectorised kernels, the oracle of the contract tests."""

from __future__ import annotations

import numpy as np

from ..schemes import staggered, staggered_free_end
from ..schemes.hj_derivatives import HJ_SCHEMES, one_sided_derivatives
from ..schemes.hj_fluxes import NUMERICAL_HAMILTONIANS, power_numerical_hamiltonian
from ..schemes.limiters import LIMITERS
from ..schemes.muscl import transport_rate
from ..schemes.particle_mesh import deposit_reference, interpolate_reference
from ..schemes.scharfetter_gummel import fokker_planck_rate
from .base import Backend
from .contract.c_transform import min_plus_lines_reference
from .contract.hamilton_jacobi import derivative_maxima, hj_update_point_arrays

_LIMITER_NAMES = {code: name for name, code in LIMITERS.items()}
_SCHEME_NAMES = {code: name for name, code in HJ_SCHEMES.items()}
_FLUX_NAMES = {code: name for name, code in NUMERICAL_HAMILTONIANS.items()}


class NumpyBackend(Backend):
    """Reference implementation of every kernel with NumPy array expressions."""

    name = "numpy"
    xp = np

    def info(self) -> dict[str, str]:
        return {"name": self.name, "version": np.__version__, "device": "CPU (1 thread)"}

    def _transport_update(self, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out):
        rate = transport_rate(rho_k, velocities, spacing, periodic, _LIMITER_NAMES[code], np)
        out[...] = a * rho_n + b * rho_k + c * rate

    def _hj_derivatives(self, phi, spacing, periodic, scheme_code):
        pairs = [
            one_sided_derivatives(phi, axis, h, per, _SCHEME_NAMES[scheme_code], np)
            for axis, (h, per) in enumerate(zip(spacing, periodic, strict=True))
        ]
        return tuple(m for m, _ in pairs), tuple(p for _, p in pairs)

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
        minus, plus = self._hj_derivatives(phi_k, spacing, periodic, scheme_code)
        hhat = power_numerical_hamiltonian(
            minus, plus, _FLUX_NAMES[flux_code], power, potential, alphas, np
        )
        out[...] = a * phi_n + b * phi_k - c * hhat
        return derivative_maxima(minus, plus, np) if maxima else None

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

    def _fokker_planck_update(
        self, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
    ):
        rate = fokker_planck_rate(rho_k, forwards, backwards, spacing, periodic, np)
        out[...] = a * rho_n + b * rho_k + c * rate

    # -- particles ------------------------------------------------------------------------------
    def _deposit(self, positions, weights, bounds, shape, periodic, method_code):
        return deposit_reference(positions, weights, bounds, shape, periodic, method_code, np)

    def _interpolate(self, values, positions, bounds, periodic, method_code):
        return interpolate_reference(values, positions, bounds, periodic, method_code, np)

    # -- Benamou-Brenier (eulerflow.schemes.staggered) -----------------------------------------
    def _bb_interpolate(self, rho_s, m_s, out):
        staggered.interpolate(rho_s, m_s, out)

    def _bb_interpolate_adjoint(self, rho_c, m_c, periodic, out):
        staggered.interpolate_adjoint(rho_c, m_c, periodic, out)

    def _bb_divergence(self, rho_s, m_s, spacing, periodic, out):
        staggered.divergence(rho_s, m_s, spacing, out)

    def _bb_gradient(self, p, spacing, periodic, out):
        staggered.gradient(p, spacing, periodic, out)

    def _bb_gradient_add(self, p, spacing, periodic, out):
        staggered.gradient_add(p, spacing, periodic, out)

    def _bb_gradient_reflect(self, p, spacing, periodic, base, out, reflect):
        staggered.gradient_reflect(p, spacing, periodic, base, out, reflect, np)

    def _bb_poisson(self, f, spacing, periodic, out):
        staggered.poisson(f, spacing, periodic, self.fft, np, out)

    def _bb_poisson_free_end(self, f, spacing, periodic, out):
        staggered_free_end.poisson_free_end(f, spacing, periodic, self.fft, np, out)

    def _bb_prox(self, rho_c, m_c, gamma, out, reflect):
        staggered.prox_kinetic(rho_c, m_c, gamma, np, out)
        if reflect is not None:
            staggered.reflect_pairs(out, (rho_c, m_c), np, reflect)

    def _bb_graph_solve(self, a_s, b_c, rho0, rho1, periodic, out):
        staggered.graph_solve(a_s, b_c, rho0, rho1, periodic, self.fft, np, out)

    def _bb_reflect(self, x, z, out):
        staggered.reflect(x, z, np, out)

    def _bb_relax(self, z, x, y, alpha):
        return staggered.relax(z, x, y, alpha, np)

    def _bb_sum_squares(self, x):
        return staggered.sum_squares(x, np)

    def _bb_kinetic(self, rho_c, m_c):
        return staggered.kinetic(rho_c, m_c, np)

    # -- c-transform (eulerflow.backends.contract.c_transform) ----------------------------------
    def _c_transform_lines(self, lines, c, periodic, out, argmin):
        min_plus_lines_reference(lines, c, periodic, out, argmin, np)
