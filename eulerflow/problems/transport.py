"""Optimal-transport benchmark problems: the displacement interpolation and the W2 cost.

The "times" of these problems are the interpolation times ``s`` in ``[0, 1]`` of McCann's
displacement interpolation ``rho_s = ((1 - s) id + s T)_# rho_0`` between ``rho_0`` and
``rho_1``, the time slices of the Benamou-Brenier geodesic; :meth:`TransportProblem.w2_squared`
gives the cost ``W2^2(rho_0, rho_1)``.

- :class:`GaussianTransport` (``ot-gaussians``): two Gaussians, exact (McCann interpolant of
  Gaussians and the Bures formula);
- :class:`MixtureTransport` (``ot-mixtures``): two Gaussian mixtures, grid reference.

References
----------
J.-D. Benamou and Y. Brenier, "A computational fluid mechanics solution to the
Monge-Kantorovich mass transfer problem", Numer. Math. 84 (2000) 375-393.

N. Papadakis, G. Peyre and E. Oudet, "Optimal transport with proximal splitting", SIAM J.
Imaging Sci. 7 (2014) 212-238.

R. J. McCann, "A convexity principle for interacting gases", Adv. Math. 128 (1997) 153-179.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..exact.optimal_transport import (
    gaussian_geodesic,
    gaussian_geodesic_density,
    gaussian_w2_squared,
)
from ..exact.quadrature import gaussian_density
from ..grid import Grid
from ..particles.sampling import as_generator
from ..transport.benamou_brenier import benamou_brenier
from .base import Problem

_SLICE_RTOL = 1e-9


@dataclasses.dataclass(frozen=True, kw_only=True)
class TransportProblem(Problem, register=False):
    """Optimal transport from :meth:`~eulerflow.problems.TransportProblem.initial` to
    :meth:`~eulerflow.problems.TransportProblem.final`, scored along the geodesic.

    Reference: :func:`~eulerflow.benamou_brenier` (Douglas-Rachford
    on the staggered space-time grid of Papadakis, Peyre and Oudet 2014) with
    ``n_time = resolution / time_ratio`` time cells (space and time refined together) and
    relative tolerance ``bb_tol``, both densities renormalised to unit mass on the grid; every
    time ``s`` must be a slice ``k / n_time`` at the resolutions used. The Douglas-Rachford
    iterate satisfies the discrete continuity equation to round-off but is non-negative only to
    within the iteration tolerance (measured at 64^2: values down to ``-1.3e-4`` against peaks
    of 0.47 and 0.87, a negative mass below ``6e-5`` per slice, for both problems); the slices
    are clipped at 0, so that the reference is a density that the metrics accept.

    Parameters
    ----------
    time_ratio : int, default 4
        Space cells per time cell: the reference has ``n_time = resolution / time_ratio`` time cells
        (``resolution`` must be a multiple of it).
    bb_tol : float, default 3e-5
        Relative tolerance of the Benamou-Brenier (Douglas-Rachford) iteration.
    bb_max_iter : int, default 20000
        Most Douglas-Rachford iterations of the reference solve.
    """

    reference_version = 2

    times: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    time_ratio: int = 4
    bb_tol: float = 3e-5
    bb_max_iter: int = 20000

    def __post_init__(self) -> None:
        super().__post_init__()
        if int(self.time_ratio) != self.time_ratio or self.time_ratio < 1:
            raise ValueError(f"time_ratio must be a positive integer, got {self.time_ratio!r}")
        self.n_time(self.resolution)

    def n_time(self, resolution: int) -> int:
        """Time cells of the reference at ``resolution``: ``resolution / time_ratio``; checks
        that every time is one of its slices ``k / n_time``."""
        n_time = resolution // self.time_ratio
        if n_time < 1 or n_time * self.time_ratio != resolution:
            raise ValueError(
                f"resolution={resolution} must be a multiple of time_ratio={self.time_ratio}"
            )
        for s in self.times:
            if s > 1 or abs(round(s * n_time) - s * n_time) > _SLICE_RTOL * n_time:
                raise ValueError(
                    f"times must be interpolation times k / n_time in [0, 1] "
                    f"(n_time={n_time} at resolution {resolution}); got {s}"
                )
        return n_time

    def final(self, grid: Grid) -> np.ndarray:
        """The target density ``rho_1`` (cell averages)."""
        raise NotImplementedError

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None):
        rho0, rho1 = self.initial(grid), self.final(grid)
        n_time = self.n_time(grid.shape[0])
        result = benamou_brenier(
            rho0 / grid.integrate(rho0),
            rho1 / grid.integrate(rho1),
            grid,
            n_time=n_time,
            tol=self.bb_tol,
            max_iter=self.bb_max_iter,
            progress=progress,
        )
        slices = np.stack([np.asarray(result.rho[round(s * n_time)]) for s in times])
        slices = np.maximum(slices, 0.0)  # negative only to within the iteration tolerance
        return slices, {"w2_squared": float(result.w2_squared)}

    def w2_squared(self, resolution: int | None = None) -> float:
        """``W2^2(rho_0, rho_1)``: the reference's transport cost at ``resolution`` (computed
        and cached with :meth:`reference`); exact where the problem has a closed form."""
        return self.reference_extras(resolution)["w2_squared"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class GaussianTransport(TransportProblem):
    """Optimal transport between two Gaussians in 2D.

    ``rho_0 = N(m_0, S_0)``, ``rho_1 = N(m_1, S_1)``. Exact: the displacement interpolation is
    the Gaussian ``N(m_s, S_s)`` with ``m_s = (1 - s) m_0 + s m_1``,
    ``S_s = ((1 - s) I + s T) S_0 ((1 - s) I + s T)``, ``T = S_0^{-1/2} (S_0^{1/2} S_1
    S_0^{1/2})^{1/2} S_0^{-1/2}`` (McCann 1997; :func:`~eulerflow.exact.gaussian_geodesic`),
    and ``W2^2 = |m_0 - m_1|^2 + tr(S_0 + S_1 - 2 (S_0^{1/2} S_1 S_0^{1/2})^{1/2})`` (the Bures
    formula, :func:`~eulerflow.exact.gaussian_w2_squared`), returned by :meth:`w2_squared`.
    Reference: Benamou-Brenier on 64^2 cells of ``[-4, 4]^2`` with 16 time cells and tolerance
    3e-5 (see :class:`TransportProblem`); measured L1 errors 1.1e-3, 1.4e-3, 1.3e-3, 4e-7 at
    s = 0.25, 0.5, 0.75, 1 and W2^2 = 5.1163 against 5.1189 (relative 5e-4).

    Parameters
    ----------
    mean0 : tuple of float, default (-1.0, -0.5)
        The mean ``m_0`` of ``rho_0``, one entry per axis.
    cov0 : tuple of tuple of float, default ((0.4, 0.1), (0.1, 0.3))
        The covariance ``S_0`` of ``rho_0`` (symmetric positive definite).
    mean1 : tuple of float, default (1.0, 0.5)
        The mean ``m_1`` of ``rho_1``, one entry per axis.
    cov1 : tuple of tuple of float, default ((0.3, -0.15), (-0.15, 0.5))
        The covariance ``S_1`` of ``rho_1`` (symmetric positive definite).

    References
    ----------
    R. J. McCann, "A convexity principle for interacting gases", Adv. Math. 128 (1997) 153-179.

    J.-D. Benamou and Y. Brenier, Numer. Math. 84 (2000) 375-393; N. Papadakis, G. Peyre and
    E. Oudet, SIAM J. Imaging Sci. 7 (2014) 212-238.
    """

    name = "ot-gaussians"
    description = "W2 geodesic between two Gaussians (exact: McCann interpolant, Bures W2)"
    equation = "d_s rho + div(rho v) = 0, d_s v + v . grad v = 0 (W2 geodesic, s in [0, 1])"

    bounds: tuple[tuple[float, float], ...] = ((-4.0, 4.0), (-4.0, 4.0))
    resolution: int = 64
    tolerance: float = 2.5e-3
    bins: int = 16
    bandwidth: float = 0.5
    mean0: tuple[float, ...] = (-1.0, -0.5)
    cov0: tuple[tuple[float, ...], ...] = ((0.4, 0.1), (0.1, 0.3))
    mean1: tuple[float, ...] = (1.0, 0.5)
    cov1: tuple[tuple[float, ...], ...] = ((0.3, -0.15), (-0.15, 0.5))

    def _moments(self) -> tuple[np.ndarray, ...]:
        return tuple(
            np.asarray(v, dtype=float) for v in (self.mean0, self.cov0, self.mean1, self.cov1)
        )

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def final(self, grid: Grid) -> np.ndarray:
        return self.exact(1.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        return gaussian_geodesic_density(grid, *self._moments(), t)

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        mean, cov = gaussian_geodesic(*self._moments(), t)
        return mean + rng.standard_normal((n, self.dim)) @ np.linalg.cholesky(cov).T

    def w2_squared(self, resolution: int | None = None) -> float:
        """The exact ``W2^2`` (Bures formula) when ``resolution`` is None, else the reference's
        transport cost at ``resolution``."""
        if resolution is None:
            return float(gaussian_w2_squared(*self._moments()))
        return super().w2_squared(resolution)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MixtureTransport(TransportProblem):
    """Optimal transport between two Gaussian mixtures in 2D (no closed form).

    ``rho_0`` is the even mixture of ``N((-1.5, -/+1), 0.4^2 I)``, ``rho_1`` the mixture
    ``0.3 N((1.5, 0), 0.5^2 I) + 0.7 N((0.5, -1.5), 0.35^2 I)`` (cell averages renormalised on
    ``[-4, 4]^2``). The optimal map splits and merges the components, so the geodesic is not a
    mixture of Gaussians. Reference: Benamou-Brenier as in :class:`TransportProblem` on 64^2
    cells with 16 time cells; ``tolerance`` bounds the L1 distance of the slices to the
    reference at twice the resolution (space and time), and :meth:`w2_squared` is the
    reference's cost. Measured L1 distances at s = 0.25, 0.5, 0.75: 5.2e-2, 7.3e-2, 6.5e-2
    (32 vs 64), 1.6e-2, 1.7e-2, 2.5e-2 (64 vs 128; observed order 1.4 to 2.1); W2^2 = 6.7576,
    6.7497, 6.7500 at 32, 64, 128 (about 5 s, 19 s and 73 s).

    References
    ----------
    J.-D. Benamou and Y. Brenier, Numer. Math. 84 (2000) 375-393; N. Papadakis, G. Peyre and
    E. Oudet, SIAM J. Imaging Sci. 7 (2014) 212-238.
    """

    name = "ot-mixtures"
    description = "W2 geodesic between two Gaussian mixtures (grid reference)"
    equation = "d_s rho + div(rho v) = 0, d_s v + v . grad v = 0 (W2 geodesic, s in [0, 1])"

    bounds: tuple[tuple[float, float], ...] = ((-4.0, 4.0), (-4.0, 4.0))
    resolution: int = 64
    tolerance: float = 4e-2
    bins: int = 16
    bandwidth: float = 0.5

    def initial(self, grid: Grid) -> np.ndarray:
        return _mixture(grid, ((0.5, (-1.5, -1.0), 0.4), (0.5, (-1.5, 1.0), 0.4)))

    def final(self, grid: Grid) -> np.ndarray:
        return _mixture(grid, ((0.3, (1.5, 0.0), 0.5), (0.7, (0.5, -1.5), 0.35)))


def _mixture(grid: Grid, components) -> np.ndarray:
    rho = sum(
        w * gaussian_density(grid, mean, std**2 * np.eye(grid.ndim)) for w, mean, std in components
    )
    return rho / grid.integrate(rho)
