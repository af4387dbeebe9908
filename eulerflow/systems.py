"""Classic reachability problems in one line: air3d, the Dubins car, the double integrator.

Each system holds its control-affine Hamiltonian (:class:`~eulerflow.hamiltonians.ControlAffine`),
a default domain and target, and ``solve`` computes the backward reachable tube of the target,
``d_t phi + min(0, H(x, grad phi)) = 0`` backward from ``phi(T) = l`` (Mitchell, Bayen and
Tomlin, IEEE Trans. Automat. Control 50, 2005); ``{phi(t) <= 0}`` is the set of states from which
the target is reached (``mode="reach"``) or cannot be avoided (``mode="avoid"``) within
``T - t``.

Examples
--------
>>> import eulerflow as ef
>>> sol = ef.systems.DoubleIntegrator().solve((41, 41), t_final=0.5, backend="numpy")
>>> sol.phi.shape
(2, 41, 41)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .equations.hamilton_jacobi import solve_hamilton_jacobi
from .grid import Grid
from .hamiltonians import ControlAffine, ControlBox
from .results import Solution
from .sets import ball, cylinder

__all__ = ["Air3d", "DoubleIntegrator", "DubinsCar", "ReachabilitySystem"]


class ReachabilitySystem:
    """Base class: a Hamiltonian, a domain and a target.

    Attributes
    ----------
    hamiltonian : ControlAffine
        The Hamiltonian of the dynamics.
    bounds : tuple of (float, float)
        The default domain per axis.
    periodic : tuple of bool
        Periodic axes (angles).
    shape : tuple of int
        The default grid shape.
    """

    hamiltonian: ControlAffine
    bounds: tuple
    periodic: tuple
    shape: tuple

    def grid(self, shape: Sequence[int] | None = None) -> Grid:
        """The default domain on a grid of ``shape`` cells (default ``self.shape``).

        Parameters
        ----------
        shape : sequence of int, optional
            Cells per axis.

        Returns
        -------
        Grid
            The grid.
        """
        return Grid(tuple(shape or self.shape), self.bounds, periodic=self.periodic)

    def target(self, grid: Grid) -> np.ndarray:
        """Signed distance to the target set at the cell centres of ``grid``.

        Parameters
        ----------
        grid : Grid
            The grid.

        Returns
        -------
        numpy.ndarray
            ``l(x)``, negative inside the target.
        """
        raise NotImplementedError

    def solve(
        self,
        shape: Sequence[int] | None = None,
        t_final: float = 1.0,
        *,
        tube: bool = True,
        **options,
    ) -> Solution:
        """The backward reachable tube (``tube=True``) or set of the target over ``t_final``.

        Parameters
        ----------
        shape : sequence of int, optional
            Grid cells per axis (default ``self.shape``).
        t_final : float, default 1
            The horizon ``T``.
        tube : bool, default True
            Tube (``min(0, H)``) or reachable set at exactly ``T - t``.
        **options
            Passed to :func:`~eulerflow.solve_hamilton_jacobi` (``t_eval``, ``scheme``,
            ``backend``, ``cfl``, ...).

        Returns
        -------
        Solution
            ``sol.phi[k]`` at ``sol.t[k]``; ``sol.phi[0]`` is the value at ``t = 0``.
        """
        grid = self.grid(shape)
        return solve_hamilton_jacobi(
            self.target(grid),
            grid,
            self.hamiltonian,
            t_final,
            direction="backward",
            tube=tube,
            **options,
        )


class Air3d(ReachabilitySystem):
    """Collision avoidance of two planes in relative coordinates (Mitchell et al. 2005).

    The evader (control ``u``, turn rate ``|u| <= evader_max_turn_rate``) sits at the origin
    heading along ``x``; the pursuer (disturbance ``d``, ``|d| <= pursuer_max_turn_rate``) is at
    ``(x, y)`` with relative heading ``psi``:
    ``x' = -v_e + v_p cos psi + u y``, ``y' = v_p sin psi - u x``, ``psi' = d - u``.
    The target is the capture disk ``x^2 + y^2 <= r^2`` for every ``psi``; the evader avoids it
    (``mode="avoid"``: ``H = max_u min_d p . x'``).

    Parameters
    ----------
    evader_speed, pursuer_speed : float, default 5
        Speeds ``v_e`` and ``v_p``.
    evader_max_turn_rate, pursuer_max_turn_rate : float, default 1
        Bounds of ``|u|`` and ``|d|``.
    capture_radius : float, default 5
        ``r``.

    References
    ----------
    .. [1] I. M. Mitchell, A. M. Bayen and C. J. Tomlin, "A time-dependent Hamilton-Jacobi
       formulation of reachable sets for continuous dynamic games", IEEE Trans. Automat.
       Control 50 (2005) 947-957.
    """

    bounds = ((-6.0, 20.0), (-10.0, 10.0), (-np.pi, np.pi))
    periodic = (False, False, True)
    shape = (51, 40, 50)

    def __init__(
        self,
        evader_speed: float = 5.0,
        pursuer_speed: float = 5.0,
        evader_max_turn_rate: float = 1.0,
        pursuer_max_turn_rate: float = 1.0,
        capture_radius: float = 5.0,
    ) -> None:
        ve, vp = float(evader_speed), float(pursuer_speed)
        self.capture_radius = float(capture_radius)

        def drift(t, x):
            return (-ve + vp * np.cos(x[2]), vp * np.sin(x[2]), 0.0)

        def control_matrix(t, x):
            return ((x[1],), (-x[0],), (-1.0,))

        def disturbance_matrix(t, x):
            return ((0.0,), (0.0,), (1.0,))

        self.hamiltonian = ControlAffine(
            drift,
            control_matrix,
            disturbance_matrix,
            ControlBox([-evader_max_turn_rate], [evader_max_turn_rate]),
            ControlBox([-pursuer_max_turn_rate], [pursuer_max_turn_rate]),
            mode="avoid",
            ndim=3,
            time_invariant=True,
        )

    def target(self, grid: Grid) -> np.ndarray:
        return cylinder(grid, (0.0, 0.0), self.capture_radius, axes=(0, 1))


class DubinsCar(ReachabilitySystem):
    """The Dubins car ``x' = v cos theta``, ``y' = v sin theta``, ``theta' = u``,
    ``|u| <= max_turn_rate``, reaching a disk around the origin (``mode="reach"``).

    Parameters
    ----------
    speed : float, default 1
        ``v``.
    max_turn_rate : float, default 1
        Bound of ``|u|``.
    target_radius : float, default 0.5
        Radius of the target disk in ``(x, y)``.

    References
    ----------
    .. [1] L. E. Dubins, "On curves of minimal length with a constraint on average curvature,
       and with prescribed initial and terminal positions and tangents", Amer. J. Math. 79
       (1957) 497-516.
    """

    bounds = ((-3.0, 3.0), (-3.0, 3.0), (-np.pi, np.pi))
    periodic = (False, False, True)
    shape = (51, 51, 40)

    def __init__(
        self, speed: float = 1.0, max_turn_rate: float = 1.0, target_radius: float = 0.5
    ) -> None:
        v = float(speed)
        self.target_radius = float(target_radius)

        def drift(t, x):
            return (v * np.cos(x[2]), v * np.sin(x[2]), 0.0)

        def control_matrix(t, x):
            return ((0.0,), (0.0,), (1.0,))

        self.hamiltonian = ControlAffine(
            drift,
            control_matrix,
            control_set=ControlBox([-max_turn_rate], [max_turn_rate]),
            mode="reach",
            ndim=3,
            time_invariant=True,
        )

    def target(self, grid: Grid) -> np.ndarray:
        return cylinder(grid, (0.0, 0.0), self.target_radius, axes=(0, 1))


class DoubleIntegrator(ReachabilitySystem):
    """``x' = v``, ``v' = u``, ``|u| <= max_acceleration``, reaching a neighbourhood of rest at
    the origin (``mode="reach"``).

    The minimum time to the origin is known in closed form (bang-bang control switching on the
    curve ``x = -v |v| / (2 a)``, :meth:`time_to_reach`), which gives exact solutions: the tube of
    the target ``l = T - tau`` over ``t_final`` is ``max(T - t_final, 0) - tau``.

    Parameters
    ----------
    max_acceleration : float, default 1
        ``a``, the bound of ``|u|``.
    target_radius : float, default 0.1
        Radius of the default target disk around the origin.

    References
    ----------
    .. [1] L. S. Pontryagin, V. G. Boltyanskii, R. V. Gamkrelidze and E. F. Mishchenko, *The
       Mathematical Theory of Optimal Processes*, Interscience, 1962 (ch. 1, the time-optimal
       double integrator).
    """

    bounds = ((-1.0, 1.0), (-1.0, 1.0))
    periodic = (False, False)
    shape = (101, 101)

    def __init__(self, max_acceleration: float = 1.0, target_radius: float = 0.1) -> None:
        if not max_acceleration > 0:
            raise ValueError(f"max_acceleration must be > 0, got {max_acceleration!r}")
        self.max_acceleration = float(max_acceleration)
        self.target_radius = float(target_radius)

        def drift(t, x):
            return (x[1], 0.0 * x[0])

        def control_matrix(t, x):
            return ((0.0,), (1.0,))

        self.hamiltonian = ControlAffine(
            drift,
            control_matrix,
            control_set=ControlBox([-max_acceleration], [max_acceleration]),
            mode="reach",
            ndim=2,
            time_invariant=True,
        )

    def target(self, grid: Grid) -> np.ndarray:
        return ball(grid, (0.0, 0.0), self.target_radius)

    def time_to_reach(self, x, v):
        """Minimum time from ``(x, v)`` to rest at the origin.

        ``T = (v + 2 sqrt(a x + v^2/2)) / a`` above the switching curve ``x + v|v|/(2a) > 0``
        (full braking ``u = -a`` first), ``T = (-v + 2 sqrt(-a x + v^2/2)) / a`` below.

        Parameters
        ----------
        x, v : array_like
            Position and velocity.

        Returns
        -------
        numpy.ndarray
            ``T(x, v)``.
        """
        a = self.max_acceleration
        x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
        above = x + v * np.abs(v) / (2 * a) > 0
        up = (v + 2 * np.sqrt(np.maximum(a * x + 0.5 * v * v, 0.0))) / a
        down = (-v + 2 * np.sqrt(np.maximum(-a * x + 0.5 * v * v, 0.0))) / a
        return np.where(above, up, down)
