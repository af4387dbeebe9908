"""The Hamilton-Jacobi kernels of the backend contract: the public checking wrappers and the
abstract kernels each backend implements.

``hj_derivatives(phi, spacing, periodic, scheme)``
    The one-sided derivatives ``(D^- phi, D^+ phi)`` per axis of
    :mod:`eulerflow.schemes.hj_derivatives` (first order, ENO2 or WENO5; periodic axes wrap,
    walls extrapolate ``phi`` linearly).
``hj_update(phi_n, phi_k, spacing, periodic, scheme, flux, power, potential, alphas, a, b, c)``
    ``out = a phi_n + b phi_k - c Hhat(D^- phi_k, D^+ phi_k)`` for ``H = |p|^q / q + U(x)`` with a
    numerical Hamiltonian of :mod:`eulerflow.schemes.hj_fluxes`, fused (the derivatives are not
    stored); optionally also the maxima of ``|D^+- phi_k|`` per axis (the CFL reduction).
``hj_update_point(phi_n, phi_k, spacing, periodic, scheme, flux, hamiltonian, coords, t, alphas,
tube, a, b, c)``
    ``out = a phi_n + b phi_k - c Hhat`` for a pointwise Hamiltonian ``H(t, x, p)`` with its
    dissipation bound (control-affine dynamics, a compiled scalar ``H``), Lax-Friedrichs
    ``Hhat`` of :mod:`eulerflow.schemes.hj_point` (``min(0, Hhat)`` for a tube), fused; also
    returns the largest bound per axis (the CFL rate), so that no separate pass is needed.

Implementations: :mod:`eulerflow.backends.numpy_backend` (the reference),
:mod:`eulerflow.backends.numba.hamilton_jacobi`, :mod:`eulerflow.backends.cupy.hamilton_jacobi`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

import numpy as np

from ...schemes.hj_derivatives import scheme_code
from ...schemes.hj_fluxes import flux_code
from ...schemes.hj_point import point_numerical_hamiltonian

POINT_FLUXES = ("lax-friedrichs", "local-lax-friedrichs")
"""The numerical Hamiltonians of ``hj_update_point``."""


class HamiltonJacobiKernels(ABC):
    """``hj_derivatives``, ``hj_update`` and ``hj_update_point`` (part of
    :class:`~eulerflow.backends.Backend`)."""

    xp: ModuleType

    def hj_derivatives(self, phi, spacing: Sequence[float], periodic: Sequence[bool], scheme: str):
        """One-sided derivatives ``(D^- phi, D^+ phi)``, each a tuple of one array per axis.

        Parameters
        ----------
        phi : array
            Values at the cell centres (1 to 3 dimensions, floating).
        spacing, periodic
            Cell widths and periodic flags per axis (walls extrapolate ``phi`` linearly).
        scheme : {"first", "eno2", "weno5"}
            Reconstruction of ``eulerflow.schemes.hj_derivatives``.
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
        maxima: bool = False,
    ):
        """``out = a phi_n + b phi_k - c Hhat(D^- phi_k, D^+ phi_k)``, ``H = |p|^q / q + U``.

        Parameters
        ----------
        phi_n, phi_k : array
            Same shape and floating dtype.
        spacing, periodic, scheme
            As in :meth:`hj_derivatives`.
        flux : {"godunov", "lax-friedrichs", "local-lax-friedrichs"}
            Numerical Hamiltonian (``eulerflow.schemes.hj_fluxes``); Godunov needs ``q = 2``.
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
        maxima : bool, default False
            Also return ``max(|D^-_a phi_k|, |D^+_a phi_k|)`` over the grid per axis, the CFL
            reduction of the power Hamiltonians, from the same pass (fused on Numba).

        Returns
        -------
        array or tuple
            ``out``, or ``(out, maxima)`` with ``maxima`` a tuple of floats.
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
        found = self._hj_update(
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
            bool(maxima),
        )
        return (out, found) if maxima else out

    def hj_update_point(
        self,
        phi_n,
        phi_k,
        spacing: Sequence[float],
        periodic: Sequence[bool],
        scheme: str,
        flux: str,
        hamiltonian,
        coords: Sequence,
        t: float,
        alphas: Sequence[float],
        tube: bool,
        a: float,
        b: float,
        c: float,
        out=None,
    ) -> tuple:
        """``out = a phi_n + b phi_k - c Hhat``, ``Hhat`` the Lax-Friedrichs Hamiltonian of a point
        Hamiltonian ``H(t, x, p)`` (``eulerflow.schemes.hj_point.point_numerical_hamiltonian``).

        Parameters
        ----------
        phi_n, phi_k : array
            Same shape and floating dtype.
        spacing, periodic, scheme
            As in :meth:`hj_derivatives`.
        flux : {"lax-friedrichs", "local-lax-friedrichs"}
            Global (``alphas``) or local (the bound at each point) dissipation.
        hamiltonian : point Hamiltonian
            ``hamiltonian(coords, p, xp, t=t)`` and ``hamiltonian.dissipation(coords, low, high,
            xp, t=t)`` on arrays, and ``hamiltonian.scalar_kernel()``: a Numba-compiled
            ``point(t, x, p, low, high, table, cell, index) -> (H(t, x, p), alpha)`` on scalars
            (``x``, ``p``, ``low``, ``high`` tuples of one float per axis), ``alpha`` a tuple of
            one float per axis with ``alpha[a] >= |dH/dp_a|`` over the box ``low <= p <= high``;
            ``table`` is ``hamiltonian.table(coords)`` (a tuple of four 2D float64 arrays, or
            ``None``), ``cell`` the flat index of the cell in C order and ``index`` its tuple of
            per-axis indices. ``hamiltonian.ndim`` is the number of axes.
            The CuPy backend runs a fused kernel for a Hamiltonian whose
            ``kernel_parameters()`` returns its constants (a time-invariant control-affine game,
            ``eulerflow.backends.cupy.hj_point``, reading ``hamiltonian.dense_table(coords)``),
            array expressions otherwise.
        coords : sequence of numpy.ndarray
            The cell-centre coordinates along each axis (1D, one per axis).
        t : float
            Time of ``H(t, x, p)``.
        alphas : sequence of float
            Global dissipation per axis (read by ``"lax-friedrichs"`` only).
        tube : bool
            Use ``min(0, Hhat)`` (a reachable tube).
        a, b, c : float
            Coefficients of the combination.
        out : array, optional
            Output (may alias ``phi_n``, not ``phi_k``).

        Returns
        -------
        out : array
            The combination.
        maxima : tuple of float
            ``max_x alpha_a(t, x)`` per axis over the grid (the bound at each point over the box
            of its one-sided derivatives).
        """
        spacing, periodic = _check_axes(phi_k, spacing, periodic)
        if tuple(phi_n.shape) != tuple(phi_k.shape) or phi_n.dtype != phi_k.dtype:
            raise ValueError("phi_n and phi_k must have the same shape and dtype")
        if flux not in POINT_FLUXES:
            raise ValueError(
                f"flux must be one of {POINT_FLUXES} for a point Hamiltonian, got {flux!r}"
            )
        ndim = len(phi_k.shape)
        if getattr(hamiltonian, "ndim", None) != ndim:
            raise ValueError(
                f"hamiltonian is for {getattr(hamiltonian, 'ndim', None)} axes, phi has {ndim}"
            )
        coords = tuple(coords)
        if len(coords) != ndim or any(
            len(x) != n for x, n in zip(coords, phi_k.shape, strict=True)
        ):
            raise ValueError("coords needs one 1D array of cell centres per axis of phi")
        alphas = tuple(float(x) for x in alphas)
        if len(alphas) != ndim:
            raise ValueError(f"alphas needs one value per axis ({ndim})")
        if out is None:
            out = self.xp.empty(tuple(phi_k.shape), dtype=phi_k.dtype)
        elif out is phi_k:
            raise ValueError("out must not be the same array as phi_k")
        maxima = self._hj_update_point(
            phi_n,
            phi_k,
            spacing,
            periodic,
            scheme_code(scheme),
            flux == "local-lax-friedrichs",
            hamiltonian,
            coords,
            float(t),
            alphas,
            bool(tube),
            a,
            b,
            c,
            out,
        )
        return out, maxima

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
        maxima,
    ) -> tuple | None:
        """Kernel of :meth:`hj_update` on validated arguments; writes ``out`` and returns the
        maxima of the one-sided derivatives per axis when ``maxima`` (else ``None``)."""

    @abstractmethod
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
    ) -> tuple:
        """Kernel of :meth:`hj_update_point` on validated arguments; writes ``out``, returns the
        maxima of the bounds per axis."""


def _check_axes(phi, spacing, periodic):
    ndim = len(phi.shape)
    if not 1 <= ndim <= 3:
        raise ValueError(f"phi must have 1 to 3 dimensions, got shape {tuple(phi.shape)}")
    spacing, periodic = tuple(spacing), tuple(periodic)
    if not len(spacing) == len(periodic) == ndim:
        raise ValueError(f"need one spacing and periodic flag per axis ({ndim})")
    return tuple(float(h) for h in spacing), tuple(bool(p) for p in periodic)


def hj_update_point_arrays(
    be,
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
    """``hj_update_point`` by array expressions on backend ``be`` (the NumPy reference and the
    CuPy backend's path): derivatives by ``be.hj_derivatives``, ``Hhat`` by
    :func:`~eulerflow.schemes.hj_point.point_numerical_hamiltonian` with ``be.xp``."""
    xp = be.xp
    minus, plus = be._hj_derivatives(phi_k, spacing, periodic, scheme_code)
    ndim = len(coords)
    grids = []
    for axis, x in enumerate(coords):
        shape = [1] * ndim
        shape[axis] = len(x)
        grids.append(xp.asarray(np.asarray(x, dtype=phi_k.dtype).reshape(shape)))
    hhat, maxima = point_numerical_hamiltonian(
        hamiltonian, t, tuple(grids), minus, plus, local, alphas, tube, xp
    )
    out[...] = a * phi_n + b * phi_k - c * hhat
    return maxima


def derivative_maxima(minus, plus, xp) -> tuple:
    """``max(|D^-_a|, |D^+_a|)`` over the grid per axis (the reference of ``maxima=True``)."""
    return tuple(
        max(float(xp.abs(m).max()), float(xp.abs(p).max()))
        for m, p in zip(minus, plus, strict=True)
    )
