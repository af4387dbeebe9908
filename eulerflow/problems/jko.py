"""JKO benchmark problems: the steps of the minimising-movement scheme themselves.

:class:`OUJKO` (``ou-jko``) is the two-dimensional Ornstein-Uhlenbeck experiment of Mokrov et
al. (2021): JKO steps of ``E(rho) = int rho log rho + int V rho`` towards the Gaussian target of
their run 0, scored against the exact Gaussian JKO iterates
(:func:`~eulerflow.exact.gaussian_jko_iterates`), with a back-and-forth grid reference.

References
----------
R. Jordan, D. Kinderlehrer and F. Otto, "The variational formulation of the Fokker-Planck
equation", SIAM J. Math. Anal. 29 (1998) 1-17.

P. Mokrov, A. Korotin, L. Li, A. Genevay, J. Solomon and E. Burnaev, "Large-scale Wasserstein
gradient flows", Advances in Neural Information Processing Systems 34 (NeurIPS 2021).

M. Jacobs, W. Lee and F. Leger, "The back-and-forth method for Wasserstein gradient flows",
ESAIM: COCV 27 (2021) 28.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Sequence

import numpy as np

from ..energies.local import Entropy, Potential
from ..exact.jko import gaussian_jko_iterates
from ..exact.quadrature import gaussian_density
from ..grid import Grid
from ..jko_scheme import jko
from ..particles.sampling import as_generator
from .base import Problem

_STEP_RTOL = 1e-9


def mokrov_target() -> tuple[tuple[float, float], tuple[tuple[float, float], ...]]:
    """Mean and covariance of the target of run 0 of Mokrov et al.'s 2D OU experiment.

    Their seed (``crc32("abacaba@2@0numpy")``), then scikit-learn's ``make_spd_matrix(2)``
    (``U (I + diag(u)) V^T`` from the SVD of ``A^T A`` with ``A`` and ``u`` uniform) and a
    standard normal mean, drawn with the same generator calls (no scikit-learn needed).
    """
    rs = np.random.RandomState(zlib.crc32(b"abacaba@2@0numpy"))
    a = rs.uniform(size=(2, 2))
    u, _, vt = np.linalg.svd(a.T @ a)
    cov = u @ (1 + np.diag(rs.uniform(size=2))) @ vt
    cov = 0.5 * (cov + cov.T)
    mean = rs.randn(2)
    return tuple(float(v) for v in mean), tuple(tuple(float(v) for v in row) for row in cov)


_MEAN, _COV = mokrov_target()


@dataclasses.dataclass(frozen=True, kw_only=True)
class OUJKO(Problem):
    """JKO steps of the Ornstein-Uhlenbeck flow in 2D (Mokrov et al. 2021, run 0).

    The free energy ``E(rho) = int rho log rho dx + int V rho dx`` with
    ``V(x) = (x - b)^T A (x - b) / 2``, ``A = S^{-1}``, ``N(b, S)`` the target (the Gibbs state)
    of Mokrov et al.'s run 0, generates ``d_t rho = Laplace rho + div(rho A (x - b))``. The
    problem is the JKO scheme itself (Jordan, Kinderlehrer and Otto 1998),

        rho_{k+1} = argmin_rho W2^2(rho, rho_k) / (2 tau) + E(rho),   rho_0 = N(0, I),

    at the times ``k tau`` (every time must be a multiple of ``tau``). Exact solution: the
    iterates are the Gaussians of :func:`~eulerflow.exact.gaussian_jko_iterates` (cell averages
    by quadrature; they live on ``R^2``, and the box ``[-7, 7]^2`` holds all but ~1e-11 of their
    mass). Reference: :func:`eulerflow.jko` (back-and-forth, Jacobs, Lee and Leger 2021) on the
    default grid with inner tolerance ``1e-6``; measured L1 errors at 128^2: 3.4e-3, 7.5e-3,
    4.6e-3 at t = 0.25, 0.5, 0.9 (with the solver's default tolerance: 6.1e-3, 9.1e-3, 7.7e-3;
    at 64^2: 1.0e-2, 1.1e-2, 2.0e-2).

    Parameters
    ----------
    tau : float, default 0.05
        The JKO time step ``tau > 0``.
    target_mean : tuple of float, optional
        The mean ``b`` of the target ``N(b, S)``, one entry per axis (default: that of Mokrov et
        al.'s run 0, ``eulerflow.problems.jko.mokrov_target``).
    target_cov : tuple of tuple of float, optional
        The covariance ``S`` of the target, shape ``(d, d)`` (default: that of Mokrov et al.'s run
        0, ``eulerflow.problems.jko.mokrov_target``).
    inner_tol : float, default 1e-6
        Tolerance ``tol`` of the back-and-forth solver (:func:`eulerflow.jko`) in each step of the
        reference.

    References
    ----------
    R. Jordan, D. Kinderlehrer and F. Otto, "The variational formulation of the Fokker-Planck
    equation", SIAM J. Math. Anal. 29 (1998) 1-17.

    P. Mokrov, A. Korotin, L. Li, A. Genevay, J. Solomon and E. Burnaev, "Large-scale
    Wasserstein gradient flows", NeurIPS 2021.
    """

    name = "ou-jko"
    description = "JKO steps (tau=0.05) of the OU flow of Mokrov et al. 2021 (exact: Gaussians)"
    equation = "rho_{k+1} = argmin W2^2(rho, rho_k)/(2 tau) + int rho log rho + V rho"

    bounds: tuple[tuple[float, float], ...] = ((-7.0, 7.0), (-7.0, 7.0))
    times: tuple[float, ...] = (0.25, 0.5, 0.9)
    resolution: int = 128
    tolerance: float = 1e-2
    bandwidth: float = 0.5
    tau: float = 0.05
    target_mean: tuple[float, ...] = _MEAN
    target_cov: tuple[tuple[float, ...], ...] = _COV
    inner_tol: float = 1e-6

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.tau) and self.tau > 0):
            raise ValueError(f"tau must be a positive number, got {self.tau!r}")
        for t in self.times:
            k = round(t / self.tau)
            if abs(k * self.tau - t) > _STEP_RTOL * max(1.0, t):
                raise ValueError(
                    f"times must be multiples of tau={self.tau}; t={t} is not (JKO steps exist "
                    f"only at k * tau)"
                )
        object.__setattr__(self, "target_mean", tuple(float(v) for v in self.target_mean))
        object.__setattr__(
            self, "target_cov", tuple(tuple(float(v) for v in row) for row in self.target_cov)
        )
        cov = np.asarray(self.target_cov)
        if cov.shape != (self.dim, self.dim) or len(self.target_mean) != self.dim:
            raise ValueError(
                f"target_mean must have {self.dim} entries and target_cov shape "
                f"({self.dim}, {self.dim})"
            )

    def steps(self, t: float) -> int:
        """The number of JKO steps ``k = t / tau``."""
        return round(float(t) / self.tau)

    def precision(self) -> np.ndarray:
        """``A = S^{-1}``, the matrix of the potential."""
        return np.linalg.inv(np.asarray(self.target_cov))

    def moments(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the exact JKO iterate at ``t = k tau``."""
        k = self.steps(t)
        if k == 0:
            return np.zeros(self.dim), np.eye(self.dim)
        means, covs = gaussian_jko_iterates(
            np.zeros(self.dim),
            np.eye(self.dim),
            self.tau,
            k,
            A=self.precision(),
            b=np.asarray(self.target_mean),
        )
        return means[-1], covs[-1]

    def potential(self):
        """``V(x) = (x - b)^T A (x - b) / 2`` as a vectorised ``V(*coords)``."""
        A, b = self.precision(), np.asarray(self.target_mean)

        def V(*x: np.ndarray) -> np.ndarray:
            dx = [xi - bi for xi, bi in zip(x, b, strict=True)]
            return 0.5 * sum(
                A[i, j] * dx[i] * dx[j] for i in range(len(dx)) for j in range(len(dx))
            )

        return V

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        mean, cov = self.moments(t)
        return gaussian_density(grid, mean, cov)

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        mean, cov = self.moments(t)
        return mean + rng.standard_normal((n, self.dim)) @ np.linalg.cholesky(cov).T

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None) -> np.ndarray:
        n_steps = max(self.steps(times[-1]), 1)
        sol = jko(
            self.initial(grid),
            grid,
            Entropy() + Potential(self.potential()),
            self.tau,
            n_steps,
            tol=self.inner_tol,
            progress=progress,
        )
        return np.stack([np.asarray(sol.rho[self.steps(t)]) for t in times])
