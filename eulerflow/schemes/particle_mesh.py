"""Particle-mesh weights: nearest grid point (NGP) and cloud in cell (CIC), xp reference.

A particle at ``x`` spreads its weight ``w`` over the cells of a uniform grid (cell widths
``h_a``, box ``prod_a [lo_a, hi_a]``, ``n_a`` cells along axis ``a``) by a tensor product of
one-dimensional weights. With ``s_a = (x_a - lo_a) / h_a`` the position in cell units:

``ngp``  the cell ``i_a = floor(s_a)`` gets weight 1;
``cic``  with ``u_a = s_a - 1/2``, ``i_a = floor(u_a)`` and ``f_a = u_a - i_a`` in ``[0, 1)``,
         the cells ``i_a`` and ``i_a + 1`` get ``1 - f_a`` and ``f_a``: the linear ("tent")
         weights of the two nearest cell centres, so that a particle at a cell centre puts all
         its weight in that cell. In ``d`` dimensions the ``2^d`` neighbouring cells get the
         products ``prod_a w_a``.

Periodic axes: ``s_a`` is first wrapped to ``s_a - n_a floor(s_a / n_a)`` and cell indices are
taken modulo ``n_a``; any finite coordinate is valid. Walled axes: the box is closed,
``lo_a <= x_a <= hi_a``, and cell indices are clamped to ``[0, n_a - 1]``. For ``cic`` a particle
in the half cell next to a wall therefore gives its whole weight along that axis to the boundary
cell (both of its two cells are the boundary cell), so the deposit conserves mass, and linear
interpolation is constant over that half cell. A particle with a walled coordinate outside
``[lo_a, hi_a]`` or a non-finite coordinate is *outside*: the deposit skips it and the
interpolation returns NaN for it (the public functions of :mod:`eulerflow.particles` decide what
to do with such particles before calling the kernels).

The two kernels are adjoint: with ``D`` the deposit of unit weights (mass per cell, before the
division by the cell volume) and ``I`` the interpolation, ``sum_p w_p I(f)(x_p) =
sum_c D(w)_c f_c`` for inside particles.

This module is the reference arithmetic of the ``deposit`` and ``interpolate`` backend kernels
(:mod:`eulerflow.backends.base`); the compiled backends do the same operations in the same order
per particle (``s = (x - lo) / h``, the wrap, ``floor``, ``f = u - i``, the products
``w * ((w_0 * w_1) * w_2)``, interpolation sums over the corners with axis 0 slowest), in the
dtype of the positions (the NumPy deposit sums in float64).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .choices import lookup

DEPOSIT_METHODS: dict[str, int] = {"ngp": 0, "cic": 1}
"""Assignment schemes and the integer codes the compiled kernels use."""


def deposit_method_code(method: str) -> int:
    """Integer code of a deposit/interpolation method; ``ValueError`` listing the choices."""
    return lookup(DEPOSIT_METHODS, method, "method")


def axis_weights(x, lo: float, hi: float, h: float, n: int, periodic: bool, code: int, xp):
    """Cells and weights of the coordinates ``x`` (1D array) along one axis.

    Returns
    -------
    inside : bool array
        False for outside coordinates (see the module docstring).
    cells : list of int arrays
        One cell index array for ``ngp``, two (``i`` and ``i + 1``, wrapped or clamped) for
        ``cic``; arbitrary (but valid) where ``inside`` is False.
    weights : list of arrays
        The matching weights in the dtype of ``x``.
    """
    dtype = x.dtype
    lo_t, hi_t, h_t, n_t = (dtype.type(v) for v in (lo, hi, h, n))
    if periodic:
        inside = xp.isfinite(x)
    else:
        inside = (x >= lo_t) & (x <= hi_t)
    xs = xp.where(inside, x, lo_t)
    s = (xs - lo_t) / h_t
    if periodic:
        s = s - n_t * xp.floor(s / n_t)
    if code == 0:
        i = xp.floor(s).astype(np.int64)
        i = _wrap(i, n, xp) if periodic else xp.clip(i, 0, n - 1)
        return inside, [i], [xp.ones_like(x)]
    u = s - dtype.type(0.5)
    fl = xp.floor(u)
    f = u - fl
    i0 = fl.astype(np.int64)
    i1 = i0 + 1
    if periodic:
        i0, i1 = _wrap(i0, n, xp), _wrap(i1, n, xp)
    else:
        i0, i1 = xp.clip(i0, 0, n - 1), xp.clip(i1, 0, n - 1)
    return inside, [i0, i1], [dtype.type(1) - f, f]


def _wrap(i, n: int, xp):
    """Indices within one period of ``[0, n)`` brought into it."""
    i = xp.where(i < 0, i + n, i)
    return xp.where(i >= n, i - n, i)


def _corners(positions, bounds, shape, periodic, code, xp):
    """Inside mask and, per corner of the ``2^d`` (cic) or 1 (ngp) cells, flat index and weight
    product ``w_0 * w_1 * ...`` (without the particle weight)."""
    d = len(shape)
    per_axis = [
        axis_weights(
            positions[:, a],
            bounds[a][0],
            bounds[a][1],
            (bounds[a][1] - bounds[a][0]) / shape[a],
            shape[a],
            periodic[a],
            code,
            xp,
        )
        for a in range(d)
    ]
    inside = per_axis[0][0]
    for a in range(1, d):
        inside = inside & per_axis[a][0]
    corners = []
    for choice in itertools.product(*(range(len(p[1])) for p in per_axis)):
        flat = per_axis[0][1][choice[0]]
        weight = per_axis[0][2][choice[0]]
        for a in range(1, d):
            flat = flat * shape[a] + per_axis[a][1][choice[a]]
            weight = weight * per_axis[a][2][choice[a]]
        corners.append((flat, weight))
    return inside, corners


def deposit_reference(
    positions,
    weights,
    bounds: Sequence[tuple[float, float]],
    shape: Sequence[int],
    periodic: Sequence[bool],
    code: int,
    xp=np,
):
    """Cell-average density ``rho_c = sum_p w_p W_c(x_p) / |cell|`` of weighted particles.

    ``positions`` has shape ``(n, d)``, ``weights`` shape ``(n,)``; ``W_c`` the NGP or CIC
    weights of the module docstring; outside particles are skipped. The sums are accumulated in
    float64 (``bincount``) and the result is returned in the dtype of ``positions``.
    """
    shape = tuple(int(n) for n in shape)
    size = int(np.prod(shape))
    dtype = positions.dtype
    volume = float(np.prod([(hi - lo) / n for (lo, hi), n in zip(bounds, shape, strict=True)]))
    inside, corners = _corners(positions, bounds, shape, periodic, code, xp)
    w = xp.where(inside, weights, dtype.type(0))
    index = xp.concatenate([flat for flat, _ in corners])
    mass = xp.concatenate([w * weight for _, weight in corners])
    total = xp.bincount(index, weights=mass.astype(np.float64), minlength=size)
    return (total / volume).astype(dtype).reshape(shape)


def interpolate_reference(
    values,
    positions,
    bounds: Sequence[tuple[float, float]],
    periodic: Sequence[bool],
    code: int,
    xp=np,
):
    """Values of the grid function ``values`` at the particles: ``f(x_p) = sum_c W_c(x_p) f_c``.

    NGP gives the value of the cell holding ``x_p``, CIC the multilinear interpolant of the cell
    centre values (constant in the half cells next to walls); NaN for outside particles. Result
    of shape ``(n,)`` in the dtype of ``positions``.
    """
    shape = tuple(values.shape)
    dtype = positions.dtype
    inside, corners = _corners(positions, bounds, shape, periodic, code, xp)
    flat_values = values.reshape(-1).astype(dtype)
    out = xp.zeros(positions.shape[0], dtype=dtype)
    for flat, weight in corners:
        out = out + weight * flat_values[flat]
    return xp.where(inside, out, dtype.type(np.nan))
