"""The Benamou-Brenier kernels of the backend contract: the public checking wrappers, the
abstract kernels each backend implements, and their argument checks.

The staggered space-time layout is that of :mod:`eulerflow.schemes.staggered`: with ``N`` time
cells and a spatial grid of shape ``shape`` (1 to 3 axes), ``rho_s`` is ``(N + 1, *shape)``,
``m_s[a]`` is ``(N, *shape)`` with ``n_a + 1`` along spatial axis ``a``, and the centred ``rho_c``,
``m_c[a]`` and potentials ``p`` are ``(N, *shape)``. Every kernel is documented with its formula
on its method of :class:`BenamouBrenierKernels`.

Implementations: :mod:`eulerflow.backends.numpy_backend` (the reference, the operators of
:mod:`eulerflow.schemes.staggered`), :mod:`eulerflow.backends.numba.benamou_brenier` and
:mod:`eulerflow.backends.numba.poisson`, :mod:`eulerflow.backends.cupy.benamou_brenier`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import ModuleType

import numpy as np


class BenamouBrenierKernels(ABC):
    """The ``bb_*`` kernels on the staggered space-time grid (part of
    :class:`~eulerflow.backends.Backend`)."""

    xp: ModuleType

    def bb_interpolate(self, rho_s, m_s: Sequence, out=None):
        """Centred variables ``(rho_c, m_c) = I(rho_s, m_s)`` on the space-time cells.

        ``rho_c[k] = (rho_s[k] + rho_s[k + 1]) / 2`` and ``m_c[a] = (m_s[a][.., i, ..] +
        m_s[a][.., i + 1, ..]) / 2`` along spatial axis ``a``.

        Parameters
        ----------
        rho_s : array, shape (N + 1, ``*shape``)
            Densities on the time faces ``t_k = k / N`` (float32 or float64, 1 to 3 space axes).
        m_s : sequence of arrays
            ``m_s[a]`` of shape ``(N, *shape)`` with ``n_a + 1`` along space axis ``a`` (faces).
        out : (array, tuple of arrays), optional
            C-contiguous ``(rho_c, m_c)`` of shape ``(N, *shape)`` to write (not the inputs).

        Returns
        -------
        (rho_c, m_c)
        """
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
        rho_c : array, shape (N, ``*shape``)
        m_c : sequence of arrays, each (N, ``*shape``)
        periodic : sequence of bool
            Periodic flag per space axis.
        out : (array, tuple of arrays), optional
            C-contiguous staggered ``(rho_s, m_s)`` to write (not the inputs).

        Returns
        -------
        (rho_s, m_s)
        """
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
        p : array, shape (N, ``*shape``)
        spacing, periodic : sequences, one entry per space axis
        out : (array, tuple of arrays), optional
            C-contiguous staggered ``(g_rho, g_m)`` to write.

        Returns
        -------
        (g_rho, g_m)
        """
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
        p : array, shape (N, ``*shape``)
        spacing, periodic : sequences, one entry per space axis
        out : (array, tuple of arrays)
            C-contiguous staggered ``(rho, m)``, updated in place.

        Returns
        -------
        out
        """
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
        p : array, shape (N, ``*shape``)
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
        f : array, shape (N, ``*shape``)
        spacing, periodic : sequences, one entry per space axis
        out : array, optional
            C-contiguous output of the shape of ``f`` (not ``f``).

        Returns
        -------
        array
            ``p``.
        """
        spacing, periodic = check_cells(f, spacing, periodic, "f")
        out = cells_out(self.xp, out, tuple(f.shape), f.dtype)
        no_alias([out], [f])
        self._bb_poisson(f, spacing, periodic, out)
        return out

    def bb_poisson_free_end(self, f, spacing: Sequence[float], periodic: Sequence[bool], out=None):
        """Solve ``-D G' p = f`` for ``p``, the Poisson problem of a free terminal time face.

        ``G'`` is :meth:`bb_gradient` with one more entry, ``g_rho[N] = -N p[N - 1]`` on the
        terminal face (a ghost value ``p[N] = 0``): the projection onto the continuity
        constraint when ``rho_s[N]`` is an unknown (a JKO step,
        ``eulerflow.jko_scheme.dynamic``).
        In time the operator is ``N^2`` times the second difference with a Neumann row at
        ``k = 0`` and a Dirichlet row ``(-1, 2)`` at ``k = N - 1``, eigenvalues
        ``2 - 2 cos(pi (2 k + 1) / (2 N + 1))``; in space as :meth:`bb_poisson`. The operator is
        invertible: any ``f`` is allowed and ``p`` has no zero mode to fix. Reference:
        ``eulerflow.schemes.staggered_free_end.poisson_free_end``.

        Parameters
        ----------
        f : array, shape (N, ``*shape``)
        spacing, periodic : sequences, one entry per space axis
        out : array, optional
            C-contiguous output of the shape of ``f`` (not ``f``).

        Returns
        -------
        array
            ``p``.
        """
        spacing, periodic = check_cells(f, spacing, periodic, "f")
        out = cells_out(self.xp, out, tuple(f.shape), f.dtype)
        no_alias([out], [f])
        self._bb_poisson_free_end(f, spacing, periodic, out)
        return out

    def bb_prox(self, rho_c, m_c: Sequence, gamma: float, out=None, reflect=None):
        """Pointwise proximal map of ``gamma |m|^2 / (2 rho)`` (``+inf`` for ``rho < 0`` and for
        ``rho = 0, m != 0``; 0 at ``(0, 0)``).

        ``rho*`` is the largest real root of ``(r - rho_c)(r + gamma)^2 - gamma |m_c|^2 / 2 = 0``;
        if ``rho* > 0`` then ``m* = rho* m_c / (rho* + gamma)``, else ``(rho*, m*) = (0, 0)``.
        The root is computed as in ``eulerflow.schemes.staggered.largest_cubic_root``.

        Parameters
        ----------
        rho_c : array, shape (N, ``*shape``)
        m_c : sequence of arrays, each (N, ``*shape``)
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
        ``d = y - x; d *= alpha; z += d``); the sums are accumulated in float64.

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
        check_flat([z, x, y], ["z", "x", "y"])
        no_alias([z], [x, y], "z")
        return self._bb_relax(z, x, y, check_alpha(alpha))

    def bb_sum_squares(self, x) -> float:
        """Squared Euclidean norm ``sum x^2`` of a flat buffer, accumulated in float64 whatever
        the dtype of ``x`` (each square formed in float64), so that residual norms of float32
        iterates carry no float32 summation error.

        Parameters
        ----------
        x : array, shape (n,)
            One-dimensional, C-contiguous, float32 or float64.

        Returns
        -------
        float
        """
        check_flat([x], ["x"])
        return float(self._bb_sum_squares(x))

    def bb_kinetic(self, rho_c, m_c: Sequence) -> float:
        """Kinetic action ``sum |m_c|^2 / (2 max(rho_c, tiny))`` over the centred cells.

        A plain sum (no cell volume); ``tiny`` is the smallest normal number of the dtype, so
        cells with ``rho_c = 0`` and ``m_c = 0`` (as the proximal map returns them) add 0. Each
        term is rounded in the dtype of the data; the sum is accumulated in float64.

        Parameters
        ----------
        rho_c : array, shape (N, ``*shape``)
        m_c : sequence of arrays of shape (N, ``*shape``)

        Returns
        -------
        float
        """
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
    def _bb_poisson_free_end(self, f, spacing, periodic, out) -> None:
        """Kernel of :meth:`bb_poisson_free_end` on validated arguments; writes ``out``."""

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
    def _bb_sum_squares(self, x) -> float:
        """Kernel of :meth:`bb_sum_squares` on validated arguments."""

    @abstractmethod
    def _bb_kinetic(self, rho_c, m_c) -> float:
        """Kernel of :meth:`bb_kinetic` on validated arguments."""


# -- argument checks and output allocation -------------------------------------------------------
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def face_shape(n_time: int, shape: Sequence[int], axis: int) -> tuple[int, ...]:
    """Shape of ``m_s[axis]``: ``(N, *shape)`` with ``n_axis + 1`` along spatial ``axis``."""
    return (n_time, *(n + 1 if a == axis else n for a, n in enumerate(shape)))


def _dtype(x, name: str) -> np.dtype:
    dtype = np.dtype(getattr(x, "dtype", None) or np.float64)
    if dtype not in _FLOATS:
        raise TypeError(f"{name} must be float32 or float64, got {dtype}")
    return dtype


def _space(x, name: str, extra_time: int) -> tuple[int, tuple[int, ...]]:
    shape = tuple(getattr(x, "shape", ()))
    if not 2 <= len(shape) <= 4:
        raise ValueError(
            f"{name} must have shape (time, *space) with 1 to 3 space axes, got shape {shape}"
        )
    n_time = shape[0] - extra_time
    if n_time < 1:
        raise ValueError(f"{name} needs at least {1 + extra_time} time entries, got shape {shape}")
    return n_time, shape[1:]


def _axes(spacing, periodic, ndim: int) -> tuple[tuple[float, ...], tuple[bool, ...]]:
    spacing, periodic = tuple(spacing), tuple(periodic)
    if not len(spacing) == len(periodic) == ndim:
        raise ValueError(f"need one spacing and one periodic flag per space axis ({ndim})")
    spacing = tuple(float(h) for h in spacing)
    if not all(math.isfinite(h) and h > 0 for h in spacing):
        raise ValueError(f"spacing must be positive and finite, got {spacing}")
    return spacing, tuple(bool(p) for p in periodic)


def _match(arrays: Sequence, shapes: Sequence[tuple], dtype, name: str) -> None:
    if len(arrays) != len(shapes):
        raise ValueError(
            f"{name} needs {len(shapes)} arrays (one per space axis), got {len(arrays)}"
        )
    for a, (x, want) in enumerate(zip(arrays, shapes, strict=True)):
        if tuple(getattr(x, "shape", ())) != want or x.dtype != dtype:
            raise ValueError(
                f"{name}[{a}] must have shape {want} and dtype {dtype}, got "
                f"{tuple(getattr(x, 'shape', ()))} {getattr(x, 'dtype', None)}"
            )


def check_staggered(rho_s, m_s, spacing=None, periodic=None):
    """Validate staggered ``(rho_s, m_s)``; return ``(n_time, shape, dtype, spacing, periodic)``."""
    dtype = _dtype(rho_s, "rho_s")
    n_time, shape = _space(rho_s, "rho_s", 1)
    m_s = tuple(m_s)
    _match(m_s, [face_shape(n_time, shape, a) for a in range(len(shape))], dtype, "m_s")
    if spacing is not None:
        spacing, periodic = _axes(spacing, periodic, len(shape))
    return n_time, shape, dtype, spacing, periodic


def check_centred(rho_c, m_c):
    """Validate centred ``(rho_c, m_c)``; return ``(n_time, shape, dtype)``."""
    dtype = _dtype(rho_c, "rho_c")
    n_time, shape = _space(rho_c, "rho_c", 0)
    _match(tuple(m_c), [(n_time, *shape)] * len(shape), dtype, "m_c")
    return n_time, shape, dtype


def check_cells(p, spacing, periodic, name: str = "p"):
    """Validate a cell-centred space-time array; return ``(spacing, periodic)``."""
    _dtype(p, name)
    _, shape = _space(p, name, 0)
    return _axes(spacing, periodic, len(shape))


def staggered_out(xp, out, n_time: int, shape, dtype, name: str = "out"):
    """``out`` checked as a staggered pair, or a new one (``rho`` ``(N + 1, *shape)``, faces)."""
    shapes = [face_shape(n_time, shape, a) for a in range(len(shape))]
    if out is None:
        rho = xp.empty((n_time + 1, *shape), dtype=dtype)
        return rho, tuple(xp.empty(s, dtype=dtype) for s in shapes)
    rho, m = out[0], tuple(out[1])
    _match([rho], [(n_time + 1, *shape)], dtype, name + "[0]")
    _match(m, shapes, dtype, name + "[1]")
    _contiguous([rho, *m], name)
    return rho, m


def centred_out(xp, out, n_time: int, shape, dtype, name: str = "out"):
    """``out`` checked as a centred pair, or a new one (``d + 1`` arrays ``(N, *shape)``)."""
    full = (n_time, *shape)
    if out is None:
        return xp.empty(full, dtype=dtype), tuple(
            xp.empty(full, dtype=dtype) for _ in range(len(shape))
        )
    rho, m = out[0], tuple(out[1])
    _match([rho], [full], dtype, name + "[0]")
    _match(m, [full] * len(shape), dtype, name + "[1]")
    _contiguous([rho, *m], name)
    return rho, m


def cells_out(xp, out, shape: tuple, dtype, name: str = "out"):
    """``out`` checked as one array of ``shape``, or a new one."""
    if out is None:
        return xp.empty(shape, dtype=dtype)
    _match([out], [shape], dtype, name)
    _contiguous([out], name)
    return out


def no_alias(out_arrays: Sequence, in_arrays: Sequence, name: str = "out") -> None:
    """Raise ``ValueError`` if an output array is one of the input arrays."""
    ids = {id(x) for x in in_arrays}
    if any(id(x) in ids for x in out_arrays):
        raise ValueError(f"{name} must not share arrays with the inputs")


def _contiguous(arrays: Sequence, name: str) -> None:
    for x in arrays:
        flags = getattr(x, "flags", None)
        if flags is not None and not flags.c_contiguous:
            raise ValueError(f"{name} arrays must be C-contiguous")


def check_gamma(gamma) -> float:
    """``gamma`` as a positive finite float."""
    try:
        value = float(gamma)
    except (TypeError, ValueError):
        raise TypeError(f"gamma must be a positive number, got {gamma!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"gamma must be positive and finite, got {gamma!r}")
    return value


def check_flat(arrays: Sequence, names: Sequence[str]):
    """The arrays checked as one-dimensional, C-contiguous, of one length and float dtype;
    returns ``(size, dtype)``."""
    size, dtype = None, None
    for x, name in zip(arrays, names, strict=True):
        shape = tuple(getattr(x, "shape", ()))
        if len(shape) != 1:
            raise ValueError(f"{name} must be a one-dimensional (flat) array, got shape {shape}")
        kind = _dtype(x, name)
        if size is None:
            size, dtype = shape[0], kind
        elif shape[0] != size or kind != dtype:
            raise ValueError(
                f"{name} must have length {size} and dtype {dtype} (as {names[0]}), got "
                f"{shape[0]} {kind}"
            )
    _contiguous(arrays, ", ".join(names))
    return size, dtype


def check_alpha(alpha) -> float:
    """``alpha`` as a finite float."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"alpha must be a number, got {alpha!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    return value
