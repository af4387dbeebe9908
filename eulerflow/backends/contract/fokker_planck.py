"""The Fokker-Planck kernel of the backend contract: the public checking wrapper and the abstract
kernel each backend implements.

``fokker_planck_update(rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c)``
    ``out = a * rho_n + b * rho_k + c * L(rho_k)`` with ``L`` the Scharfetter-Gummel rate of
    :func:`eulerflow.schemes.scharfetter_gummel.fokker_planck_rate`, face fluxes
    ``F_j = f_j rho_{j-1} - g_j rho_j`` from precomputed face weights (a pure stencil).

Implementations: :mod:`eulerflow.backends.numpy_backend` (the reference),
:mod:`eulerflow.backends.numba.fokker_planck`, :mod:`eulerflow.backends.cupy.fokker_planck`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

from .checks import LastWeights, check_face_arrays

_CHECKED = LastWeights()
"""The last validated weights with the shapes, dtypes, spacing and flags of the call."""


class FokkerPlanckKernels(ABC):
    """``fokker_planck_update`` and ``fokker_planck_rate`` (part of
    :class:`~eulerflow.backends.Backend`)."""

    xp: ModuleType

    def fokker_planck_update(
        self,
        rho_n,
        rho_k,
        forwards: Sequence,
        backwards: Sequence,
        spacing: Sequence[float],
        periodic: Sequence[bool],
        a: float,
        b: float,
        c: float,
        out=None,
    ):
        """``out = a rho_n + b rho_k + c L(rho_k)``, ``L`` the Scharfetter-Gummel rate.

        ``L(q)_i = -sum_a (F_{a,i+1} - F_{a,i}) / h_a`` with the face fluxes
        ``F_j = f_j q_{j-1} - g_j q_j`` (``eulerflow.schemes.scharfetter_gummel``): the weights
        ``f, g >= 0`` of every face are precomputed from the drift and the diffusion, so the
        kernel is a pure stencil. Walls carry no flux (the weights of wall faces are not read).

        Parameters
        ----------
        rho_n, rho_k : array
            Cell averages of the same shape and floating dtype (1 to 3 dimensions).
        forwards, backwards : sequence of arrays
            Per axis the weights ``f`` (multiplying the cell below the face) and ``g`` (the cell
            above), each with ``rho_k.shape`` except ``n_a + 1`` along axis ``a``, the dtype of
            ``rho_k``. On periodic axes the first and last face are one face and must carry the
            same weights.
        spacing, periodic
            Cell widths and periodic flags per axis.
        a, b, c : float
            Coefficients; ``(a_k, b_k, b_k dt)`` gives one Shu-Osher SSP-RK stage.
        out : array, optional
            Output (may alias ``rho_n``, not ``rho_k``); allocated when omitted.
        """
        signature = (
            tuple(rho_k.shape),
            rho_k.dtype,
            tuple(rho_n.shape),
            rho_n.dtype,
            tuple(spacing),
            tuple(periodic),
        )
        checked = _CHECKED.get(forwards, backwards, signature)
        if checked is None:  # not the weights of the last call: validate them
            _, spacing, periodic = check_face_arrays(
                rho_n, rho_k, forwards, spacing, periodic, what="forward weight"
            )
            check_face_arrays(rho_n, rho_k, backwards, spacing, periodic, what="backward weight")
            _CHECKED.keep(forwards, backwards, signature, (spacing, periodic))
        else:
            spacing, periodic = checked
        if out is None:
            out = self.xp.empty(tuple(rho_k.shape), dtype=rho_k.dtype)
        elif out is rho_k:
            raise ValueError("out must not be the same array as rho_k")
        self._fokker_planck_update(
            rho_n, rho_k, tuple(forwards), tuple(backwards), spacing, periodic, a, b, c, out
        )
        return out

    def fokker_planck_rate(self, rho, forwards, backwards, spacing, periodic):
        """``L(rho)``: the Scharfetter-Gummel rate (see :meth:`fokker_planck_update`)."""
        return self.fokker_planck_update(rho, rho, forwards, backwards, spacing, periodic, 0, 0, 1)

    @abstractmethod
    def _fokker_planck_update(
        self, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
    ) -> None:
        """Kernel of :meth:`fokker_planck_update` on validated arguments; writes ``out``."""
