"""Hamilton-Jacobi benchmark problems ``d_t phi + |grad phi|^2 / 2 = 0`` (scored on values)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..equations.hamilton_jacobi import solve_hamilton_jacobi
from ..exact.hamilton_jacobi import hj_quadratic_solution
from ..grid import Grid
from .base import Problem


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuadraticHamiltonJacobi(Problem):
    """``d_t phi + |grad phi|^2 / 2 = 0`` in 2D from the minimum of two convex quadratics.

    ``phi0(x) = min_i q_i(x)``, ``q_i(x) = (x - c_i)^T Q_i (x - c_i) / 2 + o_i``. The viscosity
    solution is the Hopf-Lax formula ``phi(t, x) = min_y [phi0(y) + |x - y|^2 / (2 t)]`` (Evans,
    *Partial Differential Equations*, Sec. 3.3 and 10.3); minima commute, so

        phi(t, x) = min_i [(x - c_i)^T Q_i (I + t Q_i)^{-1} (x - c_i) / 2 + o_i]

    (:func:`~eulerflow.exact.hj_quadratic_solution` for each ``q_i``). Along the set where the
    two branches meet the characteristics collide: ``grad phi`` jumps (a kink) at every time.
    The characteristics leave the box through its walls, so the solution on the box is that on
    ``R^2``. Reference: :func:`~eulerflow.solve_hamilton_jacobi`,
    WENO5 (Jiang and Peng 2000) with the Godunov Hamiltonian and SSP-RK3 at Courant number 0.5.
    ``tolerance`` is in the sup norm (``output = "values"``). Measured at 128^2 cells of
    ``[-3, 3]^2``: sup errors 1.2e-2, 9.7e-3, 8.4e-3 and L1 errors 1.7e-3, 1.4e-3, 1.1e-3 at
    t = 0.25, 0.5, 1 (the sup error sits at the kink, first order there; L1 converges at
    order ~2.5).

    Parameters
    ----------
    centers : tuple of tuple of float, default ((-1.0, 0.0), (1.0, 0.5))
        The centres ``c_i`` of the quadratics, one point per branch.
    hessians : tuple of matrices, default (((1.0, 0.0), (0.0, 0.5)), ((0.5, 0.2), (0.2, 1.0)))
        The matrices ``Q_i``, symmetric positive semidefinite of shape ``(d, d)``, one per branch.
    offsets : tuple of float, default (0.0, 0.2)
        The offsets ``o_i``, one per branch (``centers``, ``hessians`` and ``offsets`` have the same
        length).

    References
    ----------
    L. C. Evans, *Partial Differential Equations*, 2nd ed., AMS, 2010.

    G.-S. Jiang and D. Peng, "Weighted ENO schemes for Hamilton-Jacobi equations", SIAM J. Sci.
    Comput. 21 (2000) 2126-2143.
    """

    name = "hj-quadratic"
    description = "HJ with H=|p|^2/2 from a min of two quadratics (exact: Hopf-Lax)"
    equation = "d_t phi + |grad phi|^2 / 2 = 0"
    output = "values"

    bounds: tuple[tuple[float, float], ...] = ((-3.0, 3.0), (-3.0, 3.0))
    times: tuple[float, ...] = (0.25, 0.5, 1.0)
    resolution: int = 128
    tolerance: float = 2e-2
    bandwidth: float = 0.5
    centers: tuple[tuple[float, ...], ...] = ((-1.0, 0.0), (1.0, 0.5))
    hessians: tuple[tuple[tuple[float, ...], ...], ...] = (
        ((1.0, 0.0), (0.0, 0.5)),
        ((0.5, 0.2), (0.2, 1.0)),
    )
    offsets: tuple[float, ...] = (0.0, 0.2)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (len(self.centers) == len(self.hessians) == len(self.offsets) >= 1):
            raise ValueError("centers, hessians and offsets must have the same positive length")
        for Q in self.hessians:
            Q = np.asarray(Q, dtype=float)
            if (
                Q.shape != (self.dim, self.dim)
                or not np.allclose(Q, Q.T)
                or np.linalg.eigvalsh(Q).min() < 0
            ):
                raise ValueError(
                    f"hessians must be symmetric positive semidefinite {self.dim}x{self.dim} "
                    f"matrices (the solution is then smooth away from the kinks for all t); got {Q}"
                )

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        branches = [
            hj_quadratic_solution(grid, np.asarray(Q), t, c, o)
            for c, Q, o in zip(self.centers, self.hessians, self.offsets, strict=True)
        ]
        return np.minimum.reduce(branches)

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None) -> np.ndarray:
        sol = solve_hamilton_jacobi(
            self.initial(grid),
            grid,
            None,
            times[-1],
            t_eval=times,
            scheme="weno5",
            progress=progress,
        )
        return sol.phi
