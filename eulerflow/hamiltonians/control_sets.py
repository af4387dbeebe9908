"""Sets of controls and disturbances: boxes and balls, with the closed-form extremes of a linear
function over them.

For a control-affine system ``x' = f(t, x) + G(t, x) u + D(t, x) d`` the Hamiltonian needs
``max_u c . u`` (or the minimum) for ``c = G^T p``, and the dissipation bound needs the range of
``(G u)_a = M_a . u`` over the set for each row ``M_a`` of ``G``. Both are closed forms:

- box ``lower <= u <= upper``: ``max_u c . u = sum_j max(c_j lower_j, c_j upper_j)``, the minimum
  with ``min``; the range of ``M_a . u`` the same with ``c = M_a``;
- ball ``|u - center| <= radius``: ``max_u c . u = c . center + radius |c|``, the minimum with
  ``- radius |c|``.

Each set writes these once for arrays (``extreme``, ``row_range``, any array module) and once as
Numba-compiled scalar functions (``scalar_functions``) that use the same operations in the same
order, so both paths agree to round-off.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

BOX_CODE, BALL_CODE = 0, 1
"""The codes of :class:`ControlBox` and :class:`ControlBall` in the CUDA kernel of
``hj_update_point`` (:meth:`ControlSet.kernel_parameters`)."""


@functools.cache
def _column():
    """Compiled ``c_j = sum_a (sign p_a) matrix[a][j]``, inlined into the scalar functions
    (Numba imported on first use)."""
    from numba import njit

    @njit(inline="always", nogil=True, error_model="numpy")
    def column(p, sign, matrix, j):
        c = 0.0
        for a in range(len(p)):
            c = c + (sign * p[a]) * matrix[a][j]
        return c

    return column


class ControlSet:
    """Base class of the sets of :class:`~eulerflow.hamiltonians.ControlAffine`.

    ``dim`` is the dimension of the controls (or disturbances) in the set.
    """

    dim: int = 0

    def extreme(self, c: Sequence, maximize: bool, xp=np):
        """``max_u c . u`` (``maximize``) or ``min_u c . u`` over the set; ``c`` one array per
        component of ``u``."""
        raise NotImplementedError

    def row_range(self, row: Sequence, xp=np) -> tuple:
        """``(min_u row . u, max_u row . u)`` over the set; ``row`` one array per component."""
        raise NotImplementedError

    def kernel_parameters(self) -> tuple[int, tuple[float, ...]] | None:
        """``(code, values)`` for the CUDA kernel of ``hj_update_point`` on CuPy
        (``eulerflow.backends.cupy.hj_point``): ``BOX_CODE`` with the lower then the upper
        bounds, or ``BALL_CODE`` with the centre then the radius; ``None`` for a set that
        the kernel does not know."""
        return None

    def scalar_functions(self) -> tuple:
        """Numba-compiled ``extreme(p, sign, matrix, maximize)`` (the extreme of ``c . u`` with
        ``c_j = sum_a (sign p_a) matrix[a][j]``) and ``row_range(row)`` on tuples of floats."""
        raise NotImplementedError


class ControlBox(ControlSet):
    """The box ``lower_j <= u_j <= upper_j``.

    Parameters
    ----------
    lower, upper : sequence of float
        The bounds per component (one entry per control), finite, ``lower <= upper``.

    Raises
    ------
    ValueError
        For bounds of different lengths, empty, non-finite or with ``lower > upper``.
    """

    def __init__(self, lower: Sequence[float], upper: Sequence[float]) -> None:
        lower = tuple(float(v) for v in np.atleast_1d(lower))
        upper = tuple(float(v) for v in np.atleast_1d(upper))
        if not lower or len(lower) != len(upper):
            raise ValueError(
                f"lower and upper need one bound per control, got {len(lower)} and {len(upper)}"
            )
        if not all(math.isfinite(v) for v in lower + upper):
            raise ValueError("the bounds of a ControlBox must be finite")
        if any(lo > hi for lo, hi in zip(lower, upper, strict=True)):
            raise ValueError(f"ControlBox needs lower <= upper, got {lower} and {upper}")
        self.lower, self.upper = lower, upper
        self.dim = len(lower)

    def extreme(self, c, maximize, xp=np):
        pick = xp.maximum if maximize else xp.minimum
        total = 0.0
        for cj, lo, hi in zip(c, self.lower, self.upper, strict=True):
            total = total + pick(cj * lo, cj * hi)
        return total

    def row_range(self, row, xp=np):
        low, high = 0.0, 0.0
        for mj, lo, hi in zip(row, self.lower, self.upper, strict=True):
            low = low + xp.minimum(mj * lo, mj * hi)
            high = high + xp.maximum(mj * lo, mj * hi)
        return low, high

    def kernel_parameters(self):
        return BOX_CODE, self.lower + self.upper

    def scalar_functions(self):
        from numba import njit

        lower, upper, dim, column = self.lower, self.upper, self.dim, _column()

        @njit(inline="always", nogil=True, error_model="numpy")
        def extreme(p, sign, matrix, maximize):
            total = 0.0
            for j in range(dim):
                c = column(p, sign, matrix, j)
                u, v = c * lower[j], c * upper[j]
                total = total + (max(u, v) if maximize else min(u, v))
            return total

        @njit(inline="always", nogil=True, error_model="numpy")
        def row_range(row):
            low, high = 0.0, 0.0
            for j in range(dim):
                u, v = row[j] * lower[j], row[j] * upper[j]
                low = low + min(u, v)
                high = high + max(u, v)
            return low, high

        return extreme, row_range

    def __repr__(self) -> str:
        return f"ControlBox({list(self.lower)}, {list(self.upper)})"


class ControlBall(ControlSet):
    """The Euclidean ball ``|u - center| <= radius``.

    Parameters
    ----------
    center : sequence of float
        The centre (one entry per control), finite.
    radius : float
        The radius, finite and ``>= 0``.

    Raises
    ------
    ValueError
        For an empty or non-finite centre or a negative or non-finite radius.
    """

    def __init__(self, center: Sequence[float], radius: float) -> None:
        center = tuple(float(v) for v in np.atleast_1d(center))
        if not center or not all(math.isfinite(v) for v in center):
            raise ValueError(f"center must be finite numbers, one per control, got {center}")
        if not (math.isfinite(radius) and radius >= 0):
            raise ValueError(f"radius must be a finite number >= 0, got {radius!r}")
        self.center, self.radius = center, float(radius)
        self.dim = len(center)

    def extreme(self, c, maximize, xp=np):
        linear, norm2 = 0.0, 0.0
        for cj, mj in zip(c, self.center, strict=True):
            linear = linear + cj * mj
            norm2 = norm2 + cj * cj
        spread = self.radius * xp.sqrt(norm2)
        return linear + spread if maximize else linear - spread

    def row_range(self, row, xp=np):
        linear, norm2 = 0.0, 0.0
        for mj, cj in zip(row, self.center, strict=True):
            linear = linear + mj * cj
            norm2 = norm2 + mj * mj
        spread = self.radius * xp.sqrt(norm2)
        return linear - spread, linear + spread

    def kernel_parameters(self):
        return BALL_CODE, (*self.center, self.radius)

    def scalar_functions(self):
        from numba import njit

        center, radius, dim, column = self.center, self.radius, self.dim, _column()

        @njit(inline="always", nogil=True, error_model="numpy")
        def extreme(p, sign, matrix, maximize):
            linear, norm2 = 0.0, 0.0
            for j in range(dim):
                c = column(p, sign, matrix, j)
                linear = linear + c * center[j]
                norm2 = norm2 + c * c
            spread = radius * np.sqrt(norm2)
            return linear + spread if maximize else linear - spread

        @njit(inline="always", nogil=True, error_model="numpy")
        def row_range(row):
            linear, norm2 = 0.0, 0.0
            for j in range(dim):
                linear = linear + row[j] * center[j]
                norm2 = norm2 + row[j] * row[j]
            spread = radius * np.sqrt(norm2)
            return linear - spread, linear + spread

        return extreme, row_range

    def __repr__(self) -> str:
        return f"ControlBall({list(self.center)}, {self.radius:g})"
