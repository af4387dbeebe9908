"""The transport kernel of the backend contract: the public checking wrapper and the abstract
kernel each backend implements.

``transport_update(rho_n, rho_k, velocities, spacing, periodic, limiter, a, b, c)``
    ``out = a * rho_n + b * rho_k + c * L(rho_k)`` with ``L`` the MUSCL upwind finite-volume rate
    of :func:`eulerflow.schemes.muscl.transport_rate`, ``L(q) = -div(q u)`` discretised as
    ``-sum_a (F_{a,i+1} - F_{a,i}) / h_a``. With ``(a, b, c) = (a_k, b_k, b_k dt)`` this is one
    Shu-Osher stage of an SSP Runge-Kutta method (:mod:`eulerflow.schemes.ssp`), fused so that a
    stage reads ``rho_n``, ``rho_k`` and the face velocities once and writes ``out`` once.

Implementations: :mod:`eulerflow.backends.numpy_backend` (the reference),
:mod:`eulerflow.backends.numba.transport`, :mod:`eulerflow.backends.cupy.transport`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

from ...schemes.limiters import limiter_code
from .checks import check_face_arrays


class TransportKernels(ABC):
    """``transport_update`` and ``transport_rate`` (part of
    :class:`~eulerflow.backends.Backend`)."""

    xp: ModuleType

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
        velocities, spacing, periodic = check_face_arrays(
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
