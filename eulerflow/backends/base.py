"""The backend contract: every kernel as a method, its semantics documented once here.

Solvers are written once against a :class:`Backend`. A backend owns an array module ``xp``
(``numpy`` or ``cupy``) and implements the kernels below with the same signature and the same
results (to round-off) as the NumPy reference backend; ``tests/backends/`` checks this on random
inputs for every available backend.

Kernels
-------
``transport_update(rho_n, rho_k, velocities, spacing, periodic, limiter, a, b, c)``
    ``out = a * rho_n + b * rho_k + c * L(rho_k)`` with ``L`` the MUSCL upwind finite-volume rate
    of :func:`eulerflow.schemes.muscl.transport_rate`, ``L(q) = -div(q u)`` discretised as
    ``-sum_a (F_{a,i+1} - F_{a,i}) / h_a``. With ``(a, b, c) = (a_k, b_k, b_k dt)`` this is one
    Shu-Osher stage of an SSP Runge-Kutta method (:mod:`eulerflow.schemes.ssp`), fused so that a
    stage reads ``rho_n``, ``rho_k`` and the face velocities once and writes ``out`` once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

import numpy as np

from ..schemes.hj_derivatives import scheme_code
from ..schemes.hj_fluxes import flux_code
from ..schemes.limiters import limiter_code


class Backend(ABC):
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

    @abstractmethod
    def info(self) -> dict[str, str]:
        """``{"name", "version", "device"}`` describing this backend."""

    # -- kernels --------------------------------------------------------------------------------
    def transport_update(
        self,
        rho_n,
        rho_k,
        velocities: Sequence,
        spacing: Sequence[float],
        periodic: Sequence[bool],
        limiter: str,
        a: float,
        b: float,
        c: float,
        out=None,
    ):
        """``out = a rho_n + b rho_k + c L(rho_k)``, ``L`` the MUSCL upwind rate ``-div(rho u)``.

        Parameters
        ----------
        rho_n, rho_k : array
            Cell averages of the same shape and floating dtype (1 to 3 dimensions).
        velocities : sequence of arrays
            One array per axis ``a``, the velocity normal to the faces of that axis, with
            ``rho_k.shape`` except ``n_a + 1`` along ``a`` (face ``j`` between cells ``j-1`` and
            ``j``). On periodic axes the first and last face are the same face and must carry the
            same velocity.
        spacing : sequence of float
            Cell widths ``h_a``.
        periodic : sequence of bool
            Periodic axes; the others are walls with zero flux.
        limiter : str
            ``"none"``, ``"minmod"``, ``"vanleer"``, ``"superbee"`` or ``"mc"``.
        a, b, c : float
            Coefficients of the combination.
        out : array, optional
            Output array (may not alias ``rho_k``); allocated when omitted.

        Returns
        -------
        array
            ``out``.
        """
        velocities, spacing, periodic = _check_transport_args(
            rho_n, rho_k, velocities, spacing, periodic
        )
        if out is None:
            out = self.xp.empty(tuple(rho_k.shape), dtype=rho_k.dtype)
        elif out is rho_k:
            raise ValueError("out must not be the same array as rho_k")
        self._transport_update(
            rho_n, rho_k, velocities, spacing, periodic, limiter_code(limiter), a, b, c, out
        )
        return out

    def transport_rate(self, rho, velocities, spacing, periodic, limiter: str):
        """``L(rho)``: the MUSCL upwind finite-volume rate ``-div(rho u)`` (see above)."""
        return self.transport_update(rho, rho, velocities, spacing, periodic, limiter, 0, 0, 1)

    @abstractmethod
    def _transport_update(
        self, rho_n, rho_k, velocities, spacing, periodic, limiter_code, a, b, c, out
    ) -> None:
        """Kernel of :meth:`transport_update` on validated arguments; writes ``out``."""

    def hj_derivatives(self, phi, spacing: Sequence[float], periodic: Sequence[bool], scheme: str):
        """One-sided derivatives ``(D^- phi, D^+ phi)``, each a tuple of one array per axis.

        Parameters
        ----------
        phi : array
            Values at the cell centres (1 to 3 dimensions, floating).
        spacing, periodic
            Cell widths and periodic flags per axis (walls extrapolate ``phi`` linearly).
        scheme : {"first", "eno2", "weno5"}
            Reconstruction of :mod:`eulerflow.schemes.hj_derivatives`.
        """
        spacing, periodic = _check_axes(phi, spacing, periodic)
        return self._hj_derivatives(phi, spacing, periodic, scheme_code(scheme))

    def hj_update(
        self,
        phi_n,
        phi_k,
        spacing: Sequence[float],
        periodic: Sequence[bool],
        scheme: str,
        flux: str,
        power: float,
        potential,
        alphas: Sequence[float],
        a: float,
        b: float,
        c: float,
        out=None,
    ):
        """``out = a phi_n + b phi_k - c Hhat(D^- phi_k, D^+ phi_k)``, ``H = |p|^q / q + U``.

        Parameters
        ----------
        phi_n, phi_k : array
            Same shape and floating dtype.
        spacing, periodic, scheme
            As in :meth:`hj_derivatives`.
        flux : {"godunov", "lax-friedrichs", "local-lax-friedrichs"}
            Numerical Hamiltonian (:mod:`eulerflow.schemes.hj_fluxes`); Godunov needs ``q = 2``.
        power : float
            ``q > 1``.
        potential : array or None
            ``U`` at the cell centres (same shape and dtype as ``phi``), or ``None`` for 0.
        alphas : sequence of float
            Global Lax-Friedrichs dissipation per axis (read by ``"lax-friedrichs"`` only).
        a, b, c : float
            Coefficients of the combination.
        out : array, optional
            Output (may alias ``phi_n``, not ``phi_k``).
        """
        spacing, periodic = _check_axes(phi_k, spacing, periodic)
        if tuple(phi_n.shape) != tuple(phi_k.shape) or phi_n.dtype != phi_k.dtype:
            raise ValueError("phi_n and phi_k must have the same shape and dtype")
        code = flux_code(flux)
        if not power > 1:
            raise ValueError(f"power must be > 1, got {power!r}")
        if code == 0 and power != 2:
            raise ValueError("the Godunov flux is implemented for H = |p|^2/2 (+ U) only")
        if potential is not None and (
            tuple(potential.shape) != tuple(phi_k.shape) or potential.dtype != phi_k.dtype
        ):
            raise ValueError("potential must have the shape and dtype of phi")
        alphas = tuple(float(x) for x in alphas)
        if len(alphas) != phi_k.ndim:
            raise ValueError(f"alphas needs one value per axis ({phi_k.ndim})")
        if out is None:
            out = self.xp.empty(tuple(phi_k.shape), dtype=phi_k.dtype)
        elif out is phi_k:
            raise ValueError("out must not be the same array as phi_k")
        self._hj_update(
            phi_n,
            phi_k,
            spacing,
            periodic,
            scheme_code(scheme),
            code,
            float(power),
            potential,
            alphas,
            a,
            b,
            c,
            out,
        )
        return out

    @abstractmethod
    def _hj_derivatives(self, phi, spacing, periodic, scheme_code) -> tuple:
        """Kernel of :meth:`hj_derivatives` on validated arguments."""

    @abstractmethod
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
    ) -> None:
        """Kernel of :meth:`hj_update` on validated arguments; writes ``out``."""

    def __repr__(self) -> str:
        return f"<eulerflow backend {self.name!r}>"


def _check_axes(phi, spacing, periodic):
    ndim = len(phi.shape)
    if not 1 <= ndim <= 3:
        raise ValueError(f"phi must have 1 to 3 dimensions, got shape {tuple(phi.shape)}")
    spacing, periodic = tuple(spacing), tuple(periodic)
    if not len(spacing) == len(periodic) == ndim:
        raise ValueError(f"need one spacing and periodic flag per axis ({ndim})")
    return tuple(float(h) for h in spacing), tuple(bool(p) for p in periodic)


def _check_transport_args(rho_n, rho_k, velocities, spacing, periodic):
    shape = tuple(rho_k.shape)
    ndim = len(shape)
    if not 1 <= ndim <= 3:
        raise ValueError(f"rho must have 1 to 3 dimensions, got shape {shape}")
    if tuple(rho_n.shape) != shape or rho_n.dtype != rho_k.dtype:
        raise ValueError("rho_n and rho_k must have the same shape and dtype")
    velocities, spacing, periodic = tuple(velocities), tuple(spacing), tuple(periodic)
    if not len(velocities) == len(spacing) == len(periodic) == ndim:
        raise ValueError(f"need one velocity, spacing and periodic flag per axis ({ndim})")
    for axis, u in enumerate(velocities):
        want = tuple(n + 1 if a == axis else n for a, n in enumerate(shape))
        if tuple(u.shape) != want or u.dtype != rho_k.dtype:
            raise ValueError(
                f"velocity along axis {axis} must have shape {want} and dtype {rho_k.dtype}, "
                f"got {tuple(u.shape)} {u.dtype}"
            )
    return velocities, tuple(float(h) for h in spacing), tuple(bool(p) for p in periodic)
