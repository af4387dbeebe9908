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
``fokker_planck_update(rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c)``
    ``out = a * rho_n + b * rho_k + c * L(rho_k)`` with ``L`` the Scharfetter-Gummel rate of
    :func:`eulerflow.schemes.scharfetter_gummel.fokker_planck_rate`, face fluxes
    ``F_j = f_j rho_{j-1} - g_j rho_j`` from precomputed face weights (a pure stencil).
``deposit(positions, weights, bounds, shape, periodic, method)``
    Cell-average density ``rho_c = sum_p w_p W_c(x_p) / |cell|`` of weighted particles, ``W`` the
    nearest-grid-point or cloud-in-cell weights of :mod:`eulerflow.schemes.particle_mesh`.
``interpolate(values, positions, bounds, periodic, method)``
    ``f(x_p) = sum_c W_c(x_p) f_c``: grid values at the particles (the adjoint of the deposit).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

import numpy as np

from ..schemes.hj_derivatives import scheme_code
from ..schemes.hj_fluxes import flux_code
from ..schemes.limiters import limiter_code
from ..schemes.particle_mesh import deposit_method_code


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

    @abstractmethod
    def _fokker_planck_update(
        self, rho_n, rho_k, forwards, backwards, spacing, periodic, a, b, c, out
    ) -> None:
        """Kernel of :meth:`fokker_planck_update` on validated arguments; writes ``out``."""

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
        ``F_j = f_j q_{j-1} - g_j q_j`` (:mod:`eulerflow.schemes.scharfetter_gummel`): the weights
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
        _, spacing, periodic = _check_transport_args(
            rho_n, rho_k, forwards, spacing, periodic, what="forward weight"
        )
        _check_transport_args(rho_n, rho_k, backwards, spacing, periodic, what="backward weight")
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

    # -- particles ------------------------------------------------------------------------------
    def deposit(
        self,
        positions,
        weights,
        bounds: Sequence[Sequence[float]],
        shape: Sequence[int],
        periodic: Sequence[bool],
        method: str = "cic",
    ):
        """Cell-average density ``rho_c = sum_p w_p W_c(x_p) / |cell|`` of weighted particles.

        ``W_c`` are the tensor-product weights of :mod:`eulerflow.schemes.particle_mesh`:
        ``"ngp"`` gives the whole weight to the cell holding ``x_p``; ``"cic"`` splits it linearly
        between the ``2^d`` cells whose centres surround ``x_p`` (a particle at a cell centre
        stays in that cell). Periodic axes wrap; on walled axes the indices are clamped, so a
        particle in the half cell next to a wall gives all its weight to the boundary cell. Then
        ``sum_c rho_c |cell| = sum_p w_p`` over the inside particles. Particles with a walled
        coordinate outside ``[lo, hi]`` or a non-finite coordinate are skipped. Sums may be
        accumulated in any order (threads, atomics): results agree to round-off only.

        Parameters
        ----------
        positions : array, shape (n, d)
            Particle positions, float32 or float64, ``d`` = 1 to 3.
        weights : array, shape (n,)
            Particle weights (masses), the dtype of ``positions``.
        bounds : sequence of (lo, hi)
            The box, one pair per axis.
        shape : sequence of int
            Cells per axis.
        periodic : sequence of bool
            Periodic axes; the others are walls.
        method : {"ngp", "cic"}
            Assignment scheme.

        Returns
        -------
        array of ``shape``
            The density, in the dtype of ``positions``.
        """
        bounds, shape, periodic = _check_particle_args(positions, bounds, shape, periodic)
        n = positions.shape[0]
        if tuple(weights.shape) != (n,) or weights.dtype != positions.dtype:
            raise ValueError(
                f"weights must have shape ({n},) and dtype {positions.dtype}, got "
                f"{tuple(weights.shape)} {weights.dtype}"
            )
        code = deposit_method_code(method)
        return self._deposit(positions, weights, bounds, shape, periodic, code)

    def interpolate(
        self,
        values,
        positions,
        bounds: Sequence[Sequence[float]],
        periodic: Sequence[bool],
        method: str = "cic",
    ):
        """Grid values at the particles, ``f(x_p) = sum_c W_c(x_p) f_c`` (adjoint of deposit).

        ``"ngp"``: the value of the cell holding ``x_p``; ``"cic"``: the multilinear interpolant
        of the cell-centre values (constant in the half cells next to walls, periodic across
        periodic ends). NaN for particles outside (as in :meth:`deposit`).

        Parameters
        ----------
        values : array
            Cell values, 1 to 3 dimensions (the grid shape); read in the dtype of ``positions``.
        positions : array, shape (n, values.ndim)
            Particle positions, float32 or float64.
        bounds, periodic, method
            As in :meth:`deposit`.

        Returns
        -------
        array, shape (n,)
            In the dtype of ``positions``.
        """
        bounds, shape, periodic = _check_particle_args(
            positions, bounds, tuple(values.shape), periodic
        )
        code = deposit_method_code(method)
        return self._interpolate(values, positions, bounds, periodic, code)

    @abstractmethod
    def _deposit(self, positions, weights, bounds, shape, periodic, method_code):
        """Kernel of :meth:`deposit` on validated arguments; returns the density."""

    @abstractmethod
    def _interpolate(self, values, positions, bounds, periodic, method_code):
        """Kernel of :meth:`interpolate` on validated arguments; returns the values."""

    # -- Benamou-Brenier staggered space-time kernels (layout: eulerflow.schemes.staggered) ------
    def bb_interpolate(self, rho_s, m_s: Sequence, out=None):
        """Centred variables ``(rho_c, m_c) = I(rho_s, m_s)`` on the space-time cells.

        ``rho_c[k] = (rho_s[k] + rho_s[k + 1]) / 2`` and ``m_c[a] = (m_s[a][.., i, ..] +
        m_s[a][.., i + 1, ..]) / 2`` along spatial axis ``a``.

        Parameters
        ----------
        rho_s : array, shape (N + 1, *shape)
            Densities on the time faces ``t_k = k / N`` (float32 or float64, 1 to 3 space axes).
        m_s : sequence of arrays
            ``m_s[a]`` of shape ``(N, *shape)`` with ``n_a + 1`` along space axis ``a`` (faces).
        out : (array, tuple of arrays), optional
            C-contiguous ``(rho_c, m_c)`` of shape ``(N, *shape)`` to write (not the inputs).

        Returns
        -------
        (rho_c, m_c)
        """
        from .bb_checks import centred_out, check_staggered, no_alias

        n_time, shape, dtype, _, _ = check_staggered(rho_s, m_s)
        rho_c, m_c = centred_out(self.xp, out, n_time, shape, dtype)
        no_alias([rho_c, *m_c], [rho_s, *m_s])
        self._bb_interpolate(rho_s, tuple(m_s), (rho_c, m_c))
        return rho_c, m_c

    def bb_interpolate_adjoint(self, rho_c, m_c: Sequence, periodic: Sequence[bool], out=None):
        """Transpose of :meth:`bb_interpolate`: staggered ``(rho_s, m_s) = I^T (rho_c, m_c)``.

        ``rho_s[k] = (rho_c[k - 1] + rho_c[k]) / 2`` (missing neighbours read as 0 at ``k = 0, N``);
        ``m_s[a][j] = (m_c[a][j - 1] + m_c[a][j]) / 2`` with the missing neighbour read as 0 on the
        wall faces of a walled axis and wrapped on a periodic axis, where both copies of the shared
        face carry ``(m_c[a][n_a - 1] + m_c[a][0]) / 2``. The exact adjoint for the plain sum over
        cells and over the distinct faces (faces ``0 .. n_a - 1`` on periodic axes).

        Parameters
        ----------
        rho_c : array, shape (N, *shape)
        m_c : sequence of arrays, each (N, *shape)
        periodic : sequence of bool
            Periodic flag per space axis.
        out : (array, tuple of arrays), optional
            C-contiguous staggered ``(rho_s, m_s)`` to write (not the inputs).

        Returns
        -------
        (rho_s, m_s)
        """
        from .bb_checks import check_centred, no_alias, staggered_out

        n_time, shape, dtype = check_centred(rho_c, m_c)
        periodic = tuple(bool(p) for p in periodic)
        if len(periodic) != len(shape):
            raise ValueError(f"need one periodic flag per space axis ({len(shape)})")
        rho_s, m_s = staggered_out(self.xp, out, n_time, shape, dtype)
        no_alias([rho_s, *m_s], [rho_c, *m_c])
        self._bb_interpolate_adjoint(rho_c, tuple(m_c), periodic, (rho_s, m_s))
        return rho_s, m_s

    def bb_divergence(
        self, rho_s, m_s: Sequence, spacing: Sequence[float], periodic: Sequence[bool], out=None
    ):
        """Space-time divergence ``d_t rho + div m`` of staggered fields on the cells.

        ``div[k] = (rho_s[k + 1] - rho_s[k]) N + sum_a (m_s[a][.., i + 1, ..] - m_s[a][.., i, ..])
        / h_a``, shape ``(N, *shape)``. ``periodic`` is only checked (periodic faces are stored
        twice with the same value, so the formula is the same).
        """
        from .bb_checks import cells_out, check_staggered, no_alias

        n_time, shape, dtype, spacing, periodic = check_staggered(rho_s, m_s, spacing, periodic)
        out = cells_out(self.xp, out, (n_time, *shape), dtype)
        no_alias([out], [rho_s, *m_s])
        self._bb_divergence(rho_s, tuple(m_s), spacing, periodic, out)
        return out

    def bb_gradient(self, p, spacing: Sequence[float], periodic: Sequence[bool], out=None):
        """Space-time gradient of cell values ``p`` on the staggered faces, ``-bb_divergence^T``.

        ``g_rho[k] = (p[k] - p[k - 1]) N`` for ``k = 1 .. N - 1`` and 0 for ``k = 0, N``;
        ``g_m[a][j] = (p[j] - p[j - 1]) / h_a`` on interior faces, 0 on wall faces, the wrapped
        difference ``(p[0] - p[n_a - 1]) / h_a`` on both copies of a periodic face.

        Parameters
        ----------
        p : array, shape (N, *shape)
        spacing, periodic : sequences, one entry per space axis
        out : (array, tuple of arrays), optional
            C-contiguous staggered ``(g_rho, g_m)`` to write.

        Returns
        -------
        (g_rho, g_m)
        """
        from .bb_checks import check_cells, no_alias, staggered_out

        spacing, periodic = check_cells(p, spacing, periodic)
        g_rho, g_m = staggered_out(self.xp, out, p.shape[0], tuple(p.shape[1:]), p.dtype)
        no_alias([g_rho, *g_m], [p])
        self._bb_gradient(p, spacing, periodic, (g_rho, g_m))
        return g_rho, g_m

    def bb_gradient_add(self, p, spacing: Sequence[float], periodic: Sequence[bool], out):
        """``out += bb_gradient(p)`` in place, in one pass (the update ``U + G p`` of the
        projection onto the continuity constraint).

        Each entry rounds as :meth:`bb_gradient` followed by the addition; the entries where the
        gradient is 0 (boundary time faces, wall faces) are left unchanged.

        Parameters
        ----------
        p : array, shape (N, *shape)
        spacing, periodic : sequences, one entry per space axis
        out : (array, tuple of arrays)
            C-contiguous staggered ``(rho, m)``, updated in place.

        Returns
        -------
        out
        """
        from .bb_checks import check_cells, no_alias, staggered_out

        if out is None:
            raise TypeError("out (the staggered fields to update) is required")
        spacing, periodic = check_cells(p, spacing, periodic)
        rho, m = staggered_out(self.xp, out, p.shape[0], tuple(p.shape[1:]), p.dtype)
        no_alias([rho, *m], [p])
        self._bb_gradient_add(p, spacing, periodic, (rho, m))
        return rho, m

    def bb_gradient_reflect(
        self, p, spacing: Sequence[float], periodic: Sequence[bool], base, out, reflect
    ):
        """``out = base + bb_gradient(p)`` and ``reflect = 2 out - base``, in one pass.

        With ``p`` from the Poisson solve of the projection of ``base`` onto the continuity
        constraint, ``out`` is that projection and ``reflect`` its reflection ``2 P(z) - z``:
        the first half of a Douglas-Rachford step without a copy of ``base``. Rounds as a copy
        of ``base``, :meth:`bb_gradient_add` and :meth:`bb_reflect`; where the gradient is 0
        (boundary time faces, wall faces) both outputs equal ``base``.

        Parameters
        ----------
        p : array, shape (N, *shape)
        spacing, periodic : sequences, one entry per space axis
        base : (array, tuple of arrays)
            Staggered ``(rho, m)`` (read only).
        out, reflect : (array, tuple of arrays)
            C-contiguous staggered ``(rho, m)`` to write; distinct from each other, ``base`` and
            ``p``.

        Returns
        -------
        out, reflect
        """
        from .bb_checks import check_cells, check_staggered, no_alias, staggered_out

        if out is None or reflect is None:
            raise TypeError("out and reflect (the staggered fields to write) are required")
        spacing, periodic = check_cells(p, spacing, periodic)
        n_time, shape = p.shape[0], tuple(p.shape[1:])
        base = (base[0], tuple(base[1]))
        try:
            matches = check_staggered(*base)[:3] == (n_time, shape, p.dtype)
        except ValueError as err:
            raise ValueError(f"base: {err}") from None
        if not matches:
            raise ValueError(
                f"base must be staggered fields for cells {(n_time, *shape)} of dtype {p.dtype}"
            )
        out = staggered_out(self.xp, out, n_time, shape, p.dtype)
        reflect = staggered_out(self.xp, reflect, n_time, shape, p.dtype, "reflect")
        inputs = [p, base[0], *base[1]]
        no_alias([out[0], *out[1]], inputs + [reflect[0], *reflect[1]])
        no_alias([reflect[0], *reflect[1]], inputs, "reflect")
        self._bb_gradient_reflect(p, spacing, periodic, base, out, reflect)
        return out, reflect

    def bb_poisson(self, f, spacing: Sequence[float], periodic: Sequence[bool], out=None):
        """Solve ``-bb_divergence(bb_gradient(p)) = f`` for ``p`` (zero-mean solution).

        Neumann in time and on walled axes, periodic on periodic axes; diagonalised by DCT-II /
        FFT (``self.fft``) with eigenvalues ``(2 - 2 cos(pi k / n)) / h^2`` (Neumann) and
        ``(2 - 2 cos(2 pi k / n)) / h^2`` (periodic), ``h = 1 / N`` in time. The zero mode is set
        to 0; ``f`` must sum to 0 for an exact solve (it does for equal masses).

        Parameters
        ----------
        f : array, shape (N, *shape)
        spacing, periodic : sequences, one entry per space axis
        out : array, optional
            C-contiguous output of the shape of ``f`` (not ``f``).

        Returns
        -------
        array
            ``p``.
        """
        from .bb_checks import cells_out, check_cells, no_alias

        spacing, periodic = check_cells(f, spacing, periodic, "f")
        out = cells_out(self.xp, out, tuple(f.shape), f.dtype)
        no_alias([out], [f])
        self._bb_poisson(f, spacing, periodic, out)
        return out

    def bb_prox(self, rho_c, m_c: Sequence, gamma: float, out=None, reflect=None):
        """Pointwise proximal map of ``gamma |m|^2 / (2 rho)`` (``+inf`` for ``rho < 0`` and for
        ``rho = 0, m != 0``; 0 at ``(0, 0)``).

        ``rho*`` is the largest real root of ``(r - rho_c)(r + gamma)^2 - gamma |m_c|^2 / 2 = 0``;
        if ``rho* > 0`` then ``m* = rho* m_c / (rho* + gamma)``, else ``(rho*, m*) = (0, 0)``.
        The root is computed as in :func:`eulerflow.schemes.staggered.largest_cubic_root`.

        Parameters
        ----------
        rho_c : array, shape (N, *shape)
        m_c : sequence of arrays, each (N, *shape)
        gamma : float
            Positive step.
        out : (array, tuple of arrays), optional
            C-contiguous ``(rho, m)`` to write; may be the input arrays (in place) unless
            ``reflect`` is given.
        reflect : (array, tuple of arrays), optional
            C-contiguous ``(rho, m)`` that receives ``2 (rho*, m*) - (rho_c, m_c)`` (the
            reflection of Douglas-Rachford) in the same pass, rounding as :meth:`bb_reflect`;
            distinct from the inputs and from ``out``.

        Returns
        -------
        (rho, m)
        """
        from .bb_checks import centred_out, check_centred, check_gamma, no_alias

        n_time, shape, dtype = check_centred(rho_c, m_c)
        gamma = check_gamma(gamma)
        rho, m = centred_out(self.xp, out, n_time, shape, dtype)
        if reflect is not None:
            reflect = centred_out(self.xp, reflect, n_time, shape, dtype, "reflect")
            inputs = [rho_c, *m_c]
            no_alias([rho, *m], inputs + [reflect[0], *reflect[1]])
            no_alias([reflect[0], *reflect[1]], inputs, "reflect")
        self._bb_prox(rho_c, tuple(m_c), gamma, (rho, m), reflect)
        return rho, m

    def bb_graph_solve(self, a_s, b_c, rho0, rho1, periodic: Sequence[bool], out=None):
        """Projection onto the graph of the interpolation: ``argmin_U |U - a|^2 + |I U - b|^2``.

        ``U`` ranges over the staggered fields with ``rho_s[0] = rho0``, ``rho_s[N] = rho1``, zero
        wall faces and equal periodic copies. The minimiser solves ``(Id + I^T I) U = a + I^T b``
        on the unknowns (interior time faces, interior faces of walled axes, faces ``0 .. n_a - 1``
        of periodic axes), which splits into the constant tridiagonal systems
        ``(1/4, 3/2, 1/4)`` along the time lines of ``rho_s`` and the axis-``a`` lines of
        ``m_s[a]`` (cyclic on periodic axes; the boundary values times ``1/4`` move to the
        right-hand side). The reference diagonalises them by the DST-I / real FFT; compiled
        backends may use a direct (Thomas) solve.

        Parameters
        ----------
        a_s : (array, tuple of arrays)
            Staggered ``(rho, m)`` (values on the boundary faces are ignored).
        b_c : (array, tuple of arrays)
            Centred ``(rho, m)`` of shape ``(N, *shape)``.
        rho0, rho1 : arrays of the spatial shape
            Boundary densities.
        periodic : sequence of bool
        out : (array, tuple of arrays), optional
            C-contiguous staggered ``(rho, m)`` to write; may be ``a_s`` itself.

        Returns
        -------
        (rho, m)
        """
        from .bb_checks import check_centred, check_staggered, no_alias, staggered_out

        rho_a, m_a = a_s[0], tuple(a_s[1])
        rho_b, m_b = b_c[0], tuple(b_c[1])
        n_time, shape, dtype, _, _ = check_staggered(rho_a, m_a)
        if check_centred(rho_b, m_b) != (n_time, shape, dtype):
            raise ValueError(
                f"b_c must be centred fields of shape {(n_time, *shape)} and dtype {dtype}"
            )
        for x, name in ((rho0, "rho0"), (rho1, "rho1")):
            if tuple(getattr(x, "shape", ())) != shape or x.dtype != dtype:
                raise ValueError(f"{name} must have shape {shape} and dtype {dtype}")
        periodic = tuple(bool(p) for p in periodic)
        if len(periodic) != len(shape):
            raise ValueError(f"need one periodic flag per space axis ({len(shape)})")
        rho, m = staggered_out(self.xp, out, n_time, shape, dtype)
        no_alias([rho, *m], [rho_b, *m_b, rho0, rho1])
        self._bb_graph_solve((rho_a, m_a), (rho_b, m_b), rho0, rho1, periodic, (rho, m))
        return rho, m

    def bb_reflect(self, x, z, out=None):
        """Reflection ``out = 2 x - z``, elementwise on flat buffers (a Douglas-Rachford step).

        Parameters
        ----------
        x, z : arrays, shape (n,)
            One-dimensional, C-contiguous, of one float dtype (the ``flat`` buffers of staggered
            or centred fields).
        out : array, shape (n,), optional
            C-contiguous; may be ``x`` (not ``z``).

        Returns
        -------
        out
        """
        from .bb_checks import check_flat, no_alias

        size, dtype = check_flat([x, z], ["x", "z"])
        if out is None:
            out = self.xp.empty(size, dtype=dtype)
        check_flat([x, out], ["x", "out"])
        no_alias([out], [z])
        self._bb_reflect(x, z, out)
        return out

    def bb_relax(self, z, x, y, alpha: float) -> tuple[float, float]:
        """Relaxed update ``z <- z + alpha (y - x)`` in place, with the squared norms of the
        relative change: returns ``(sum z^2, sum (y - x)^2)``, ``z`` taken before the update.

        ``y - x`` and ``alpha (y - x)`` are rounded in the dtype of the data (as the reference
        ``d = y - x; d *= alpha; z += d``); the sums may be accumulated in higher precision.

        Parameters
        ----------
        z : array, shape (n,)
            Updated in place; one-dimensional, C-contiguous, float32 or float64.
        x, y : arrays, shape (n,)
            Same length and dtype; not ``z``.
        alpha : float
            Finite relaxation factor.

        Returns
        -------
        (float, float)
        """
        from .bb_checks import check_alpha, check_flat, no_alias

        check_flat([z, x, y], ["z", "x", "y"])
        no_alias([z], [x, y], "z")
        return self._bb_relax(z, x, y, check_alpha(alpha))

    def bb_kinetic(self, rho_c, m_c: Sequence) -> float:
        """Kinetic action ``sum |m_c|^2 / (2 max(rho_c, tiny))`` over the centred cells.

        A plain sum (no cell volume); ``tiny`` is the smallest normal number of the dtype, so
        cells with ``rho_c = 0`` and ``m_c = 0`` (as the proximal map returns them) add 0. Each
        term is rounded in the dtype of the data; the sum may be accumulated in higher precision.

        Parameters
        ----------
        rho_c : array, shape (N, *shape)
        m_c : sequence of arrays of shape (N, *shape)

        Returns
        -------
        float
        """
        from .bb_checks import check_centred

        check_centred(rho_c, m_c)
        return float(self._bb_kinetic(rho_c, tuple(m_c)))

    @abstractmethod
    def _bb_interpolate(self, rho_s, m_s, out) -> None:
        """Kernel of :meth:`bb_interpolate` on validated arguments; writes ``out``."""

    @abstractmethod
    def _bb_interpolate_adjoint(self, rho_c, m_c, periodic, out) -> None:
        """Kernel of :meth:`bb_interpolate_adjoint` on validated arguments; writes ``out``."""

    @abstractmethod
    def _bb_divergence(self, rho_s, m_s, spacing, periodic, out) -> None:
        """Kernel of :meth:`bb_divergence` on validated arguments; writes ``out``."""

    @abstractmethod
    def _bb_gradient(self, p, spacing, periodic, out) -> None:
        """Kernel of :meth:`bb_gradient` on validated arguments; writes ``out``."""

    @abstractmethod
    def _bb_gradient_add(self, p, spacing, periodic, out) -> None:
        """Kernel of :meth:`bb_gradient_add` on validated arguments; updates ``out``."""

    @abstractmethod
    def _bb_gradient_reflect(self, p, spacing, periodic, base, out, reflect) -> None:
        """Kernel of :meth:`bb_gradient_reflect` on validated arguments; writes ``out`` and
        ``reflect``."""

    @abstractmethod
    def _bb_poisson(self, f, spacing, periodic, out) -> None:
        """Kernel of :meth:`bb_poisson` on validated arguments; writes ``out``."""

    @abstractmethod
    def _bb_prox(self, rho_c, m_c, gamma, out, reflect) -> None:
        """Kernel of :meth:`bb_prox` on validated arguments; writes ``out`` (may be the inputs)
        and, unless ``reflect`` is None, ``reflect``."""

    @abstractmethod
    def _bb_graph_solve(self, a_s, b_c, rho0, rho1, periodic, out) -> None:
        """Kernel of :meth:`bb_graph_solve` on validated arguments; writes ``out`` (may be
        ``a_s``)."""

    @abstractmethod
    def _bb_reflect(self, x, z, out) -> None:
        """Kernel of :meth:`bb_reflect` on validated arguments; writes ``out``."""

    @abstractmethod
    def _bb_relax(self, z, x, y, alpha) -> tuple[float, float]:
        """Kernel of :meth:`bb_relax` on validated arguments; updates ``z``, returns the sums."""

    @abstractmethod
    def _bb_kinetic(self, rho_c, m_c) -> float:
        """Kernel of :meth:`bb_kinetic` on validated arguments."""

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


def _check_transport_args(rho_n, rho_k, velocities, spacing, periodic, what="velocity"):
    shape = tuple(rho_k.shape)
    ndim = len(shape)
    if not 1 <= ndim <= 3:
        raise ValueError(f"rho must have 1 to 3 dimensions, got shape {shape}")
    if tuple(rho_n.shape) != shape or rho_n.dtype != rho_k.dtype:
        raise ValueError("rho_n and rho_k must have the same shape and dtype")
    velocities, spacing, periodic = tuple(velocities), tuple(spacing), tuple(periodic)
    if not len(velocities) == len(spacing) == len(periodic) == ndim:
        raise ValueError(f"need one {what}, spacing and periodic flag per axis ({ndim})")
    for axis, u in enumerate(velocities):
        want = tuple(n + 1 if a == axis else n for a, n in enumerate(shape))
        if tuple(u.shape) != want or u.dtype != rho_k.dtype:
            raise ValueError(
                f"{what} along axis {axis} must have shape {want} and dtype {rho_k.dtype}, "
                f"got {tuple(u.shape)} {u.dtype}"
            )
    return velocities, tuple(float(h) for h in spacing), tuple(bool(p) for p in periodic)


def _check_particle_args(positions, bounds, shape, periodic):
    """Validated ``(bounds, shape, periodic)`` of a particle kernel as plain tuples."""
    pshape = tuple(getattr(positions, "shape", ()))
    if len(pshape) != 2 or not 1 <= pshape[1] <= 3:
        raise ValueError(f"positions must have shape (n, d) with d = 1, 2 or 3, got {pshape}")
    if np.dtype(positions.dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"positions must be float32 or float64, got {positions.dtype}")
    d = pshape[1]
    shape = tuple(int(n) for n in shape)
    bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
    periodic = tuple(bool(p) for p in periodic)
    if not len(shape) == len(bounds) == len(periodic) == d:
        raise ValueError(
            f"positions have {d} coordinates: need {d} cell counts, (lo, hi) pairs and periodic "
            f"flags, got {len(shape)}, {len(bounds)} and {len(periodic)}"
        )
    if any(n < 1 for n in shape):
        raise ValueError(f"every axis needs at least one cell, got shape {shape}")
    if not all(np.isfinite(lo) and np.isfinite(hi) and lo < hi for lo, hi in bounds):
        raise ValueError(f"bounds must be finite with lo < hi, got {bounds}")
    return bounds, shape, periodic
