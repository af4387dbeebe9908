"""The linear algebra of a discrete Benamou-Brenier problem on the staggered space-time grid.

:class:`StaggeredSpace` holds the boundary data and the operators that every solver method needs,
built on the backend kernels ``bb_*`` (layout in :mod:`eulerflow.schemes.staggered`):

- ``I``, the interpolation of staggered variables ``U = (rho_s, m_s)`` to centred ones
  ``V = (rho_c, m_c)``, and its adjoint;
- the orthogonal projection onto the affine set ``C = {U : d_t rho + div m = 0, rho_s[0] = rho0,
  rho_s[N] = rho1, m = 0 on walls}`` by one space-time Poisson solve (``U + G p`` with
  ``-D G p = D U``);
- the solve of ``(Id + I^T I) U = A + I^T B`` with the boundary data fixed, which is the
  projection onto the graph ``{V = I U}`` used by Douglas-Rachford and ALG2. ``I^T I`` acts along
  one axis per block (time for ``rho_s``, axis ``a`` for ``m_s[a]``) as the tridiagonal stencil
  ``(1, 2, 1) / 4``, diagonalised by the DST-I (fixed ends) or the FFT (periodic axes): the
  eigenvalues of ``Id + I^T I`` are ``3/2 + cos(pi j / (M + 1)) / 2`` and
  ``3/2 + cos(2 pi j / n) / 2``.

Staggered and centred vectors are :class:`Fields`: one contiguous buffer ``flat`` with views
``rho`` and ``m``, so that linear combinations and norms are single array operations. The inner
product is the plain sum over the entries (the solvers work in scaled units, see
:mod:`eulerflow.transport.benamou_brenier`); a periodic face stored twice is counted twice in
norms, which only affects the residual measures.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from ..backends.base import Backend
from ..backends.bb_checks import face_shape


@dataclasses.dataclass
class Fields:
    """A staggered or centred vector: contiguous buffer ``flat`` and views ``rho``, ``m``.

    (Not frozen: ``u.flat += x`` works in place and rebinds the same array.)
    """

    flat: object
    rho: object
    m: tuple

    @property
    def pair(self) -> tuple:
        """``(rho, m)`` as the kernels take it."""
        return self.rho, self.m


def _fields(xp, shapes: Sequence[tuple], dtype) -> Fields:
    sizes = [math.prod(s) for s in shapes]
    flat = xp.zeros(sum(sizes), dtype=dtype)
    views, start = [], 0
    for shape, size in zip(shapes, sizes, strict=True):
        views.append(flat[start : start + size].reshape(shape))
        start += size
    return Fields(flat, views[0], tuple(views[1:]))


class StaggeredSpace:
    """Operators and work arrays of one problem (grid, number of time cells, boundary data).

    Parameters
    ----------
    backend : Backend
    rho0, rho1 : arrays of the backend
        Boundary densities (the grid shape), in the working dtype.
    n_time : int
        Number of time cells ``N``.
    spacing : sequence of float
        Cell widths (in the units the solver works in).
    periodic : sequence of bool
    """

    def __init__(
        self,
        backend: Backend,
        rho0,
        rho1,
        n_time: int,
        spacing: Sequence[float],
        periodic: Sequence[bool],
    ) -> None:
        self.backend = backend
        self.xp = backend.xp
        self.rho0, self.rho1 = rho0, rho1
        self.shape = tuple(rho0.shape)
        self.ndim = len(self.shape)
        self.n_time = int(n_time)
        self.spacing = tuple(float(h) for h in spacing)
        self.periodic = tuple(bool(p) for p in periodic)
        self.dtype = rho0.dtype
        self.staggered_shapes = [(self.n_time + 1, *self.shape)] + [
            face_shape(self.n_time, self.shape, a) for a in range(self.ndim)
        ]
        self.centred_shapes = [(self.n_time, *self.shape)] * (self.ndim + 1)
        self._div = self.xp.empty((self.n_time, *self.shape), dtype=self.dtype)
        self._grad = self.staggered()
        self._rhs = self.staggered()
        self._inverse = self._graph_eigenvalues()

    # -- vectors --------------------------------------------------------------------------------
    def staggered(self) -> Fields:
        """A new zero staggered vector ``(rho_s, m_s)``."""
        return _fields(self.xp, self.staggered_shapes, self.dtype)

    def centred(self) -> Fields:
        """A new zero centred vector ``(rho_c, m_c)``."""
        return _fields(self.xp, self.centred_shapes, self.dtype)

    def cells(self):
        """A new zero array on the space-time cells, shape ``(N, *shape)``."""
        return self.xp.zeros((self.n_time, *self.shape), dtype=self.dtype)

    def set_boundary(self, u: Fields) -> None:
        """Write the boundary data into ``u``: ``rho0``, ``rho1`` and zero wall fluxes."""
        u.rho[0] = self.rho0
        u.rho[-1] = self.rho1
        self._walls(u, 0)

    def zero_boundary(self, u: Fields) -> None:
        """Zero the entries of ``u`` that are not unknowns (boundary time faces and walls)."""
        u.rho[0] = 0
        u.rho[-1] = 0
        self._walls(u, 0)

    def _walls(self, u: Fields, value) -> None:
        for a, per in enumerate(self.periodic):
            if not per:
                index = [slice(None)] * (self.ndim + 1)
                index[a + 1] = 0
                u.m[a][tuple(index)] = value
                index[a + 1] = -1
                u.m[a][tuple(index)] = value

    # -- operators ------------------------------------------------------------------------------
    def interpolate(self, u: Fields, out: Fields) -> Fields:
        """``out = I u`` (centred averages)."""
        self.backend.bb_interpolate(u.rho, u.m, out=out.pair)
        return out

    def interpolate_adjoint(self, v: Fields, out: Fields) -> Fields:
        """``out = I^T v``."""
        self.backend.bb_interpolate_adjoint(v.rho, v.m, self.periodic, out=out.pair)
        return out

    def project(self, y: Fields, out: Fields, potential):
        """``out = proj_C(y)`` (``out`` may be ``y``); returns ``(potential, grad)``.

        The projection is ``out = y' + G p`` where ``y'`` is ``y`` with the boundary data written
        in and ``p`` (written to ``potential``) solves ``-D G p = D y'``; ``grad`` holds ``G p``.
        """
        be = self.backend
        if out is not y:
            out.flat[...] = y.flat
        self.set_boundary(out)
        be.bb_divergence(out.rho, out.m, self.spacing, self.periodic, out=self._div)
        be.bb_poisson(self._div, self.spacing, self.periodic, out=potential)
        be.bb_gradient(potential, self.spacing, self.periodic, out=self._grad.pair)
        out.flat += self._grad.flat
        return potential, self._grad

    def divergence(self, u: Fields):
        """``D u`` on the space-time cells (a new array)."""
        return self.backend.bb_divergence(u.rho, u.m, self.spacing, self.periodic)

    def gradient(self, p, out: Fields) -> Fields:
        """``out = G p``."""
        self.backend.bb_gradient(p, self.spacing, self.periodic, out=out.pair)
        return out

    def graph_solve(self, a: Fields, b: Fields, out: Fields) -> Fields:
        """``out = argmin |U - a|^2 + |I U - b|^2`` over ``U`` with the boundary data.

        Solves ``(Id + I^T I) U = a + I^T b`` on the unknowns (interior time faces, interior and
        periodic faces), the boundary entries of ``U`` fixed to the data. ``out`` may be ``a``.
        """
        rhs = self._rhs
        self.interpolate_adjoint(b, rhs)
        rhs.flat += a.flat
        n_time = self.n_time
        quarter = self.dtype.type(0.25)
        if n_time >= 2:
            rhs.rho[1] -= quarter * self.rho0
            rhs.rho[-2] -= quarter * self.rho1
            out.rho[1:-1] = self._solve_along(rhs.rho[1:-1], 0, self._inverse[0], False)
        out.rho[0] = self.rho0
        out.rho[-1] = self.rho1
        for a_, per in enumerate(self.periodic):
            axis = a_ + 1
            index = [slice(None)] * (self.ndim + 1)
            if per:
                index[axis] = slice(0, -1)
                part = out.m[a_][tuple(index)]
                part[...] = self._solve_along(
                    rhs.m[a_][tuple(index)], axis, self._inverse[axis], True
                )
                first, last = list(index), list(index)
                first[axis], last[axis] = slice(0, 1), slice(-1, None)
                out.m[a_][tuple(last)] = out.m[a_][tuple(first)]
            else:
                index[axis] = slice(1, -1)
                if self.shape[a_] >= 2:
                    out.m[a_][tuple(index)] = self._solve_along(
                        rhs.m[a_][tuple(index)], axis, self._inverse[axis], False
                    )
        self._walls(out, 0)
        return out

    # -- the tridiagonal solves -----------------------------------------------------------------
    def _graph_eigenvalues(self) -> list:
        """Inverse eigenvalues of ``Id + I^T I`` per axis (time first), broadcastable."""
        inverse = []
        for axis in range(self.ndim + 1):
            if axis == 0:
                size, per = self.n_time - 1, False
            else:
                n, per = self.shape[axis - 1], self.periodic[axis - 1]
                size = n if per else n - 1
            view = [1] * (self.ndim + 1)
            if size < 1:
                inverse.append(None)
                continue
            if per:
                j = np.arange(size // 2 + 1)
                lam = 1.5 + 0.5 * np.cos(2 * np.pi * j / size)
            else:
                j = np.arange(1, size + 1)
                lam = 1.5 + 0.5 * np.cos(np.pi * j / (size + 1))
            view[axis] = lam.size
            inverse.append(self.xp.asarray((1.0 / lam).reshape(view), dtype=self.dtype))
        return inverse

    def _solve_along(self, rhs, axis: int, inverse, periodic: bool):
        """Solve the constant tridiagonal system ``(1/4, 3/2, 1/4)`` along ``axis``."""
        fft = self.backend.fft
        if periodic:
            n = rhs.shape[axis]
            spectrum = fft.rfft(rhs, axis=axis)
            spectrum *= inverse
            return fft.irfft(spectrum, n=n, axis=axis)
        coefficients = _dst1(rhs, axis, fft, self.xp)
        coefficients *= inverse
        return _dst1(coefficients, axis, fft, self.xp)

    # -- functionals ----------------------------------------------------------------------------
    def kinetic(self, v: Fields) -> float:
        """``sum |m_c|^2 / (2 rho_c)`` over the centred cells with ``rho_c > 0`` (plain sum).

        ``v`` is an output of the proximal map (``m_c = 0`` where ``rho_c = 0``).
        """
        xp = self.xp
        msq = v.m[0] * v.m[0]
        for m in v.m[1:]:
            msq += m * m
        positive = v.rho > 0
        value = xp.where(positive, msq / xp.where(positive, v.rho, 1), 0).sum()
        return 0.5 * float(value)


def _dst1(x, axis: int, fft, xp):
    """Orthonormal DST-I along ``axis`` (its own inverse); through an odd extension and a real
    FFT where the FFT module has no DST-I (CuPy)."""
    try:
        return fft.dst(x, type=1, axis=axis, norm="ortho")
    except NotImplementedError:
        pass
    n = x.shape[axis]
    zero_shape = list(x.shape)
    zero_shape[axis] = 1
    zero = xp.zeros(zero_shape, dtype=x.dtype)
    extended = xp.concatenate([zero, x, zero, -xp.flip(x, axis=axis)], axis=axis)
    spectrum = fft.rfft(extended, axis=axis)
    index = [slice(None)] * x.ndim
    index[axis] = slice(1, n + 1)
    scale = x.dtype.type(-math.sqrt(2.0 / (n + 1)) / 2)
    return xp.ascontiguousarray(spectrum[tuple(index)].imag * scale)
