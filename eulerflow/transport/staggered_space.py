"""The linear algebra of a discrete Benamou-Brenier problem on the staggered space-time grid.

:class:`StaggeredSpace` holds the boundary data and the operators that every solver method needs,
built on the backend kernels ``bb_*`` (layout in :mod:`eulerflow.schemes.staggered`):

- ``I``, the interpolation of staggered variables ``U = (rho_s, m_s)`` to centred ones
  ``V = (rho_c, m_c)``, and its adjoint;
- the orthogonal projection onto the affine set ``C = {U : d_t rho + div m = 0, rho_s[0] = rho0,
  rho_s[N] = rho1, m = 0 on walls}`` by one space-time Poisson solve (``U + G p`` with
  ``-D G p = D U``);
- with ``rho1=None`` the same with a *free terminal face*: ``rho_s[N]`` is an unknown (the
  terminal density of a JKO step, :mod:`eulerflow.jko_scheme.dynamic`), ``G`` gains the entry
  ``G p[N] = -N p[N - 1]`` and the Poisson solve is ``Backend.bb_poisson_free_end`` (Dirichlet in
  time at ``t = 1``, invertible);
- the solve of ``(Id + I^T I) U = A + I^T B`` with the boundary data fixed, which is the
  projection onto the graph ``{V = I U}`` used by Douglas-Rachford and ALG2. ``I^T I`` acts along
  one axis per block (time for ``rho_s``, axis ``a`` for ``m_s[a]``) as the tridiagonal stencil
  ``(1, 2, 1) / 4``, so every line is a constant tridiagonal system ``(1/4, 3/2, 1/4)``
  (:meth:`Backend.bb_graph_solve`: DST-I / FFT in the reference, a Thomas solve with
  precomputed factors in the Numba backend).

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
from ..backends.contract.benamou_brenier import face_shape


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
        Boundary densities (the grid shape), in the working dtype; ``rho1=None`` leaves the
        terminal face free (module docstring; the graph solve is then not available).
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
        self.free_end = rho1 is None
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
        self.dual_scale = min(self.spacing) * math.sqrt(self.n_time * math.prod(self.shape))
        """The norm ``|I^T xi|`` of the subgradient ``xi = (-|v|^2 / 2, v)`` of a velocity of
        one (smallest) cell per unit time along an axis, ``|v| = min(spacing)``, on every
        space-time cell (up to the boundary faces and ``|v|^2 / 2``): the floor of the scale of
        the dual residual (:meth:`eulerflow.transport.iteration.Method.dual_residual`)."""

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

    def straight_start(self) -> Fields:
        """The starting point of the solver: ``rho_s`` interpolated linearly in time between
        ``rho0`` and ``rho1`` (``rho0`` on every face for a free end), zero momentum, projected
        onto ``C``."""
        start = self.staggered()
        if self.free_end:
            start.rho[...] = self.rho0
            self.project(start, start, self.cells())
            return start
        times = self.xp.asarray(np.arange(self.n_time + 1) / self.n_time, dtype=self.dtype)
        times = times.reshape((self.n_time + 1,) + (1,) * self.ndim)
        start.rho[...] = (1 - times) * self.rho0 + times * self.rho1
        self.project(start, start, self.cells())
        return start

    def set_boundary(self, u: Fields) -> None:
        """Write the boundary data into ``u``: ``rho0``, ``rho1`` (unless free) and zero wall
        fluxes."""
        u.rho[0] = self.rho0
        if not self.free_end:
            u.rho[-1] = self.rho1
        self._walls(u, 0)

    def zero_boundary(self, u: Fields) -> None:
        """Zero the entries of ``u`` that are not unknowns (boundary time faces but a free one,
        and walls)."""
        u.rho[0] = 0
        if not self.free_end:
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

    def project(self, y: Fields, out: Fields, potential, reflect: Fields | None = None):
        """``out = proj_C(y)``; returns ``potential``.

        The projection is ``out = y' + G p`` where ``y'`` is ``y`` with the boundary data written
        in and ``p`` (written to ``potential``) solves ``-D G p = D y'``. Without ``reflect``,
        ``out`` may be ``y`` and ``G p`` is added in place (:meth:`Backend.bb_gradient_add`).
        With ``reflect``, the boundary data are written into ``y`` itself (its boundary entries
        are not unknowns) and ``reflect = 2 out - y`` is written in the same pass
        (:meth:`Backend.bb_gradient_reflect`): the projection and reflection of
        Douglas-Rachford without a copy of ``y``. With a free terminal face the solve is
        ``bb_poisson_free_end`` and the terminal entry ``-N p[N - 1]`` of ``G p`` is added after
        the kernels (which leave boundary time faces unchanged).
        """
        be = self.backend
        if reflect is None and out is not y:
            out.flat[...] = y.flat
        source = out if reflect is None else y
        self.set_boundary(source)
        be.bb_divergence(source.rho, source.m, self.spacing, self.periodic, out=self._div)
        solve = be.bb_poisson_free_end if self.free_end else be.bb_poisson
        solve(self._div, self.spacing, self.periodic, out=potential)
        if reflect is None:
            be.bb_gradient_add(potential, self.spacing, self.periodic, out=out.pair)
        else:
            be.bb_gradient_reflect(
                potential, self.spacing, self.periodic, y.pair, out.pair, reflect.pair
            )
        if self.free_end:
            terminal = potential[-1] * (-self.n_time)
            out.rho[-1] += terminal
            if reflect is not None:
                reflect.rho[-1] += 2 * terminal
        return potential

    def divergence(self, u: Fields):
        """``D u`` on the space-time cells (a new array)."""
        return self.backend.bb_divergence(u.rho, u.m, self.spacing, self.periodic)

    def gradient(self, p, out: Fields) -> Fields:
        """``out = G p`` (with the terminal entry ``-N p[N - 1]`` for a free end)."""
        self.backend.bb_gradient(p, self.spacing, self.periodic, out=out.pair)
        if self.free_end:
            out.rho[-1] = p[-1] * (-self.n_time)
        return out

    def graph_solve(self, a: Fields, b: Fields, out: Fields) -> Fields:
        """``out = argmin |U - a|^2 + |I U - b|^2`` over ``U`` with the boundary data
        (:meth:`Backend.bb_graph_solve`). ``out`` may be ``a``. Fixed terminal face only."""
        if self.free_end:
            raise ValueError("the graph solve needs a fixed terminal face (rho1)")
        self.backend.bb_graph_solve(
            a.pair, b.pair, self.rho0, self.rho1, self.periodic, out=out.pair
        )
        return out

    # -- functionals ----------------------------------------------------------------------------
    def kinetic(self, v: Fields) -> float:
        """``sum |m_c|^2 / (2 rho_c)`` over the centred cells with ``rho_c > 0`` (plain sum).

        ``v`` is an output of the proximal map: ``rho_c >= 0`` and ``m_c = 0`` where
        ``rho_c = 0``, so dividing by ``max(rho_c, tiny)`` gives 0 there.
        """
        return self.backend.bb_kinetic(v.rho, v.m)
