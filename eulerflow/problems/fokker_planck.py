"""Fokker-Planck benchmark problems ``d_t rho = div(eps grad rho + rho grad V - rho b)``.

- :class:`HeatEquation` (``heat``): no drift, from a Gaussian; exact.
- :class:`AnisotropicOU` (``ou-anisotropic``): a linear, non-symmetric drift; exact (Gaussian).
- :class:`OURose` (``ou-rose``): the Ornstein-Uhlenbeck flow of a Gaussian mixture, with the
  particles of JKO-iFlow; exact (a mixture).
- :class:`StyblinskiTang` (``styblinski-tang``): the Styblinski-Tang potential, with the
  particles of the neural parametric Fokker-Planck method; grid reference.
- :class:`DoubleWell` (``double-well``): a double-well potential; grid reference.

Every reference is the Scharfetter-Gummel finite-volume solution of
:func:`eulerflow.solve_fokker_planck` with BDF2 steps (walls with zero flux; the boxes are wide
enough that the mass reaching them is negligible, so the problems stand for the equations on
``R^2``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from importlib import resources
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr

from ..equations.fokker_planck import solve_fokker_planck
from ..exact import gaussian_density, ornstein_uhlenbeck, ou_moments
from ..grid import Grid
from ..particles.sampling import as_generator
from .base import Problem


def _positive(problem: Problem, field: str) -> None:
    value = getattr(problem, field)
    if isinstance(value, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{field} must be a finite number > 0, got {value!r}")


def _vector(problem: Problem, field: str, shape: tuple[int, ...]) -> None:
    value = np.asarray(getattr(problem, field), dtype=float)
    if value.shape != shape or not np.all(np.isfinite(value)):
        raise ValueError(f"{field} must be finite numbers of shape {shape}, got {value!r}")


@functools.cache
def load_data(filename: str) -> dict[str, np.ndarray]:
    """The arrays of a data file shipped in ``eulerflow/problems/data`` (read once)."""
    with resources.files(__package__).joinpath("data", filename).open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            arrays = {key: np.array(data[key]) for key in data.files}
    for value in arrays.values():
        value.setflags(write=False)
    return arrays


def shipped_particles(filename: str) -> dict[float, np.ndarray]:
    """``{t: particles}`` of a shipped neural dataset (``times`` and ``particles_t1``,
    ``particles_t2``, ...)."""
    data = load_data(filename)
    return {float(t): data[f"particles_t{k + 1}"] for k, t in enumerate(data["times"])}


@dataclasses.dataclass(frozen=True, kw_only=True)
class _FokkerPlanckProblem(Problem):
    """What the problems below share: the diffusion coefficient ``eps > 0`` and the reference,
    :func:`eulerflow.solve_fokker_planck` with BDF2 steps of ``time_step`` and the drift of
    :meth:`model` (unnamed, so not registered)."""

    time_step: ClassVar[float] = 1e-3

    diffusion: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "diffusion")

    def model(self) -> dict[str, Any]:
        """The drift arguments of :func:`eulerflow.solve_fokker_planck` (``potential=...``,
        or ``drift=...``); none: pure diffusion."""
        return {}

    def solve(self, grid: Grid, times: Sequence[float], progress: bool | None = None) -> np.ndarray:
        sol = solve_fokker_planck(
            self.initial(grid),
            grid,
            t_final=times[-1],
            diffusion=self.diffusion,
            t_eval=times,
            dt=self.time_step,
            progress=progress,
            **self.model(),
        )
        return sol.rho


@dataclasses.dataclass(frozen=True, kw_only=True)
class HeatEquation(_FokkerPlanckProblem):
    """The heat equation ``d_t rho = eps Laplace rho`` from ``N(0, s0^2 I)`` in 2D.

    Exact solution ``N(0, (s0^2 + 2 eps t) I)``; its mass outside the box ``[-8, 8]^2`` is
    ``1.9e-7`` at ``t = 1`` (the box is wide enough for exact samples to score at the floor of
    ``10^5`` samples; on ``[-6, 6]^2`` it was ``1.3e-4``, which the binned metrics see).
    Reference: BDF2 with Scharfetter-Gummel fluxes, ``dt = 1e-3``. Measured L1 distance to the
    exact cell averages at 160 cells per axis: ``1.47e-3, 1.06e-3, 0.66e-3`` at
    ``t = 0.25, 0.5, 1`` (``2.3e-3, 1.7e-3, 1.0e-3`` at 128); tolerance ``2e-3``.

    Parameters
    ----------
    diffusion : float, default 1.0
        The diffusion coefficient ``eps > 0``.
    std0 : float, default 0.5
        Standard deviation ``s0 > 0`` of the initial Gaussian ``N(0, s0^2 I)``.
    """

    name = "heat"
    description = "heat equation from a Gaussian (exact: a Gaussian)"
    equation = "d_t rho = eps Laplace rho"

    bounds: tuple[tuple[float, float], ...] = ((-8.0, 8.0), (-8.0, 8.0))
    times: tuple[float, ...] = (0.25, 0.5, 1.0)
    resolution: int = 160
    tolerance: float = 2e-3
    bandwidth: float = 0.5
    diffusion: float = 1.0
    std0: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "std0")

    def variance(self, t: float) -> float:
        """``s0^2 + 2 eps t``."""
        return self.std0**2 + 2 * self.diffusion * t

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        return gaussian_density(grid, np.zeros(grid.ndim), self.variance(t) * np.eye(grid.ndim))

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        return np.sqrt(self.variance(t)) * rng.standard_normal((n, self.dim))


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnisotropicOU(_FokkerPlanckProblem):
    """Ornstein-Uhlenbeck flow with a non-symmetric drift matrix, from a Gaussian, in 2D.

    The law of ``dX = -c A (X - b) dt + sqrt(2 eps) dW`` solves

        d_t rho = div(c A (x - b) rho) + eps Laplace rho,

    with ``A = [[1, 0.5], [-0.3, 2]]`` (symmetric part positive definite; no potential exists),
    ``b = (0, 0)``, the drift scale ``c = 1``, ``eps = 1``, ``rho(0) = N((1.5, -1), 0.5^2 I)``.

    Exact solution: ``N(m(t), S(t))`` with ``m(t) = b + e^{-tcA} (m0 - b)`` and
    ``S' = -cA S - S cA^T + 2 eps I`` (:func:`eulerflow.exact.ou_moments`); the mass outside
    ``[-6, 6]^2`` is below ``1e-8`` at all times. ``drift_scale`` and ``diffusion`` give the
    "wrong models" of a validation (e.g. ``get("ou-anisotropic", diffusion=1.05)``).

    Reference: BDF2, Scharfetter-Gummel fluxes of the face drift ``-cA (x - b)``, ``dt = 1e-3``.
    Measured L1 distance to the exact cell averages at 128 cells per axis: ``1.93e-3, 1.87e-3,
    1.50e-3`` at ``t = 0.25, 0.5, 1`` (``7.7e-3, 7.4e-3, 6.0e-3`` at 64, ``4.9e-4, 4.7e-4,
    3.8e-4`` at 256: second order); tolerance ``3e-3``.

    Parameters
    ----------
    diffusion : float, default 1.0
        The diffusion coefficient ``eps > 0``.
    drift_scale : float, default 1.0
        The drift scale ``c > 0`` that multiplies ``A``.
    matrix : tuple of tuple of float, default ((1.0, 0.5), (-0.3, 2.0))
        The drift matrix ``A``, shape ``(d, d)`` with ``d`` the number of axes.
    centre : tuple of float, default (0.0, 0.0)
        The centre ``b`` of the drift, one entry per axis.
    mean0 : tuple of float, default (1.5, -1.0)
        The mean ``m0`` of the initial Gaussian, one entry per axis.
    std0 : float, default 0.5
        Standard deviation ``s0 > 0`` of the initial Gaussian ``N(m0, s0^2 I)``.

    References
    ----------
    .. [1] H. Risken, *The Fokker-Planck Equation*, 2nd ed., Springer, 1989, sec. 3.2 and 6.5.
    """

    name = "ou-anisotropic"
    description = "OU flow with a non-symmetric drift matrix from a Gaussian (exact: a Gaussian)"
    equation = "d_t rho = div(c A (x - b) rho) + eps Laplace rho"

    bounds: tuple[tuple[float, float], ...] = ((-6.0, 6.0), (-6.0, 6.0))
    times: tuple[float, ...] = (0.25, 0.5, 1.0)
    tolerance: float = 3e-3
    bandwidth: float = 0.5
    diffusion: float = 1.0
    drift_scale: float = 1.0
    matrix: tuple[tuple[float, float], ...] = ((1.0, 0.5), (-0.3, 2.0))
    centre: tuple[float, ...] = (0.0, 0.0)
    mean0: tuple[float, ...] = (1.5, -1.0)
    std0: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "drift_scale")
        _positive(self, "std0")
        d = self.dim
        _vector(self, "matrix", (d, d))
        _vector(self, "centre", (d,))
        _vector(self, "mean0", (d,))
        for field in ("matrix", "centre", "mean0"):
            value = np.asarray(getattr(self, field), dtype=float).tolist()
            value = tuple(tuple(row) for row in value) if field == "matrix" else tuple(value)
            object.__setattr__(self, field, value)

    def drift_matrix(self) -> np.ndarray:
        """``c A``."""
        return self.drift_scale * np.asarray(self.matrix)

    def moments(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the exact law at ``t``."""
        cov0 = self.std0**2 * np.eye(self.dim)
        return ou_moments(t, self.drift_matrix(), self.centre, self.diffusion, self.mean0, cov0)

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        cov0 = self.std0**2 * np.eye(self.dim)
        A = self.drift_matrix()
        return ornstein_uhlenbeck(grid, t, A, self.centre, self.diffusion, self.mean0, cov0)

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        mean, cov = self.moments(t)
        return as_generator(rng).multivariate_normal(mean, cov, size=n)

    def model(self) -> dict[str, Any]:
        A = self.drift_matrix()
        centre = self.centre

        def drift(t, *x):
            d = [xi - ci for xi, ci in zip(x, centre, strict=True)]
            return tuple(-sum(A[i, j] * d[j] for j in range(len(d))) for i in range(len(d)))

        return {"drift": drift, "steady": True}


@dataclasses.dataclass(frozen=True, kw_only=True)
class OURose(_FokkerPlanckProblem):
    """The Ornstein-Uhlenbeck flow of JKO-iFlow's "rose" Gaussian mixture, in 2D.

    The law of ``dX = -X dt + sqrt(2 eps) dW`` solves

        d_t rho = div(rho x) + eps Laplace rho      (V = |x|^2 / 2),

    from the mixture ``rho(0) = sum_k w_k N(mu_k, diag(s^2))`` of 11677 narrow components
    (``s = (0.0180, 0.0176)``, one per dark pixel of a picture of a rose), shipped in
    ``data/jko_iflow_ou_rose.npz``. Exact solution: the mixture with means ``mu_k e^{-t}`` and
    per-axis variances ``s^2 e^{-2t} + eps (1 - e^{-2t})``; :meth:`exact` gives its cell
    averages exactly (products of normal CDF differences), :meth:`exact_samples` samples it.

    Reference: BDF2 with Scharfetter-Gummel fluxes of ``V = |x|^2 / 2`` on ``[-7, 7]^2``, from
    the exact cell averages, ``dt = 2.5e-3``, 112 cells per axis. Measured L1 distance to the
    exact cell averages: ``1.62e-3, 1.25e-3`` at ``t = 0.25, 0.6`` (``7.1e-3, 5.2e-3`` at 56,
    ``4.1e-4, 3.2e-4`` at 224); tolerance ``2.5e-3``. The bins of the binned metrics are
    ``1 x 1``. :meth:`neural_samples` are the 20000 particles of
    a short JKO-iFlow run (two JKO blocks of a continuous normalising flow, 60 training
    iterations each) at ``t = 0.25`` and ``0.6``, for ``eps = 1``.

    Parameters
    ----------
    diffusion : float, default 1.0
        The diffusion coefficient ``eps > 0``. The shipped :meth:`neural_samples` are for ``eps =
        1``.

    References
    ----------
    .. [1] C. Xu, X. Cheng, Y. Xie, "Normalizing flow neural networks by JKO scheme", Advances
       in Neural Information Processing Systems 36 (NeurIPS 2023).
    """

    name = "ou-rose"
    description = "OU flow of JKO-iFlow's rose, a Gaussian mixture (exact: a mixture)"
    equation = "d_t rho = div(rho x) + eps Laplace rho"

    bounds: tuple[tuple[float, float], ...] = ((-7.0, 7.0), (-7.0, 7.0))
    times: tuple[float, ...] = (0.25, 0.6)
    resolution: int = 112
    tolerance: float = 2.5e-3
    bins: int = 14
    bandwidth: float = 0.5
    diffusion: float = 1.0

    DATA = "jko_iflow_ou_rose.npz"
    time_step = 2.5e-3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.dim != 2:
            raise ValueError(f"bounds must be 2D for the rose, got {self.bounds!r}")

    def mixture(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Means ``(K, 2)``, per-axis variances ``(2,)`` and weights ``(K,)`` (summing to 1) of
        the exact mixture at ``t``."""
        data = load_data(self.DATA)
        decay = math.exp(-t)
        var = data["mixture_std0"] ** 2 * decay**2 + self.diffusion * (1 - decay**2)
        weights = data["mixture_weights"] / data["mixture_weights"].sum()
        return data["mixture_means"] * decay, var, weights

    def initial(self, grid: Grid) -> np.ndarray:
        return self.exact(0.0, grid)

    def exact(self, t: float, grid: Grid) -> np.ndarray:
        means, var, weights = self.mixture(t)
        factors = []
        for axis in range(2):
            edges = grid.axis_faces(axis)
            cdf = ndtr((edges[None, :] - means[:, axis : axis + 1]) / math.sqrt(var[axis]))
            factors.append(np.diff(cdf, axis=1) / grid.spacing[axis])
        return (factors[0].T * weights) @ factors[1]

    def exact_samples(self, t: float, n: int, rng=None) -> np.ndarray:
        rng = as_generator(rng)
        means, var, weights = self.mixture(t)
        pick = rng.choice(len(weights), size=n, p=weights)
        return means[pick] + rng.standard_normal((n, 2)) * np.sqrt(var)

    def neural_samples(self) -> dict[float, np.ndarray]:
        return shipped_particles(self.DATA)

    def model(self) -> dict[str, Any]:
        return {"potential": lambda x, y: 0.5 * (x * x + y * y)}


def styblinski_tang(x, y, scale: float = 0.06):
    """``V(x, y) = scale (x^4 - 16 x^2 + 5 x + y^4 - 16 y^2 + 5 y)``."""
    return scale * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y)


@dataclasses.dataclass(frozen=True, kw_only=True)
class StyblinskiTang(_FokkerPlanckProblem):
    """Fokker-Planck flow in the Styblinski-Tang potential from ``N(0, I)``, in 2D.

        d_t rho = div(rho grad V) + eps Laplace rho,
        V(x) = 0.06 sum_i (x_i^4 - 16 x_i^2 + 5 x_i),

    ``eps = 1``, at ``t = 0.025, 0.05``. No closed form. Reference: BDF2 with
    Scharfetter-Gummel fluxes on ``[-6, 6]^2``, ``dt = 5e-4``, 160 cells per axis. Measured L1
    distance to the reference at 320 cells (averaged onto 160): ``0.99e-4, 1.65e-4`` at
    ``t = 0.025, 0.05`` (at 40 / 80: ``1.5e-3, 2.5e-3``; 80 / 160: ``3.9e-4, 6.5e-4``: order
    1.95-2.0); halving ``dt`` changes it by ``3e-6``; tolerance ``3e-4``. :meth:`neural_samples`
    are the 2000 particles of a neural parametric Fokker-Planck run (a normalising flow, time
    step 0.005) at both times, for the defaults.

    Parameters
    ----------
    diffusion : float, default 1.0
        The diffusion coefficient ``eps > 0``.
    scale : float, default 0.06
        The factor of the potential, ``V(x) = scale sum_i (x_i^4 - 16 x_i^2 + 5 x_i)``.

    References
    ----------
    .. [1] S. Liu, W. Li, H. Zha, H. Zhou, "Neural parametric Fokker-Planck equations", SIAM
       J. Numer. Anal. (2022), doi:10.1137/20M1344986.
    .. [2] M. A. Styblinski, T.-S. Tang, "Experiments in nonconvex optimization: stochastic
       approximation with function smoothing and simulated annealing", Neural Networks 3
       (1990) 467-483.
    """

    name = "styblinski-tang"
    description = "Fokker-Planck flow in the Styblinski-Tang potential (PFPE; grid reference)"
    equation = "d_t rho = div(rho grad V) + eps Laplace rho, V = 0.06 sum(x^4 - 16 x^2 + 5 x)"

    bounds: tuple[tuple[float, float], ...] = ((-6.0, 6.0), (-6.0, 6.0))
    times: tuple[float, ...] = (0.025, 0.05)
    resolution: int = 160
    tolerance: float = 3e-4
    bins: int = 16
    bandwidth: float = 0.5
    diffusion: float = 1.0
    scale: float = 0.06

    DATA = "pfpe_styblinski_tang.npz"
    time_step = 5e-4

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.dim != 2:
            raise ValueError(f"bounds must be 2D for this problem, got {self.bounds!r}")

    def initial(self, grid: Grid) -> np.ndarray:
        return gaussian_density(grid, np.zeros(2), np.eye(2))

    def neural_samples(self) -> dict[float, np.ndarray]:
        return shipped_particles(self.DATA)

    def model(self) -> dict[str, Any]:
        return {"potential": functools.partial(styblinski_tang, scale=self.scale)}


@dataclasses.dataclass(frozen=True, kw_only=True)
class DoubleWell(_FokkerPlanckProblem):
    """Fokker-Planck flow in a double-well potential from an off-centre Gaussian, in 2D.

        d_t rho = div(rho grad V) + eps Laplace rho,     V(x, y) = (x^2 - 1)^2 + y^2 / 2,

    wells at ``(+-1, 0)`` behind a barrier of height 1 at ``x = 0``; ``eps = 0.5``;
    ``rho(0) = N((0.3, 1), 0.3^2 I)``, just right of the barrier, so most of the mass goes to
    the right well and some crosses to the left. Times ``0.25, 0.5, 1``. No closed form (the
    stationary law is ``exp(-V / eps)`` normalised). Reference: BDF2 with Scharfetter-Gummel
    fluxes on ``[-4, 4]^2`` (the Gibbs mass beyond it is below ``1e-7``), ``dt = 1e-3``, 128
    cells per axis. Measured L1 distance to the reference at 256 cells (averaged onto 128):
    ``1.62e-3, 1.52e-3, 1.65e-3`` at ``t = 0.25, 0.5, 1`` (32 / 64: ``2.5e-2, 2.4e-2, 2.8e-2``;
    64 / 128: ``6.5e-3, 6.0e-3, 6.6e-3``: order 1.97-2.0); halving ``dt`` changes it by
    ``5e-6``; tolerance ``3e-3``.

    Parameters
    ----------
    diffusion : float, default 0.5
        The diffusion coefficient ``eps > 0``.
    mean0 : tuple of float, default (0.3, 1.0)
        The mean of the initial Gaussian (two entries).
    std0 : float, default 0.3
        Standard deviation ``> 0`` of the initial Gaussian ``N(mean0, std0^2 I)``.

    References
    ----------
    .. [1] H. A. Kramers, "Brownian motion in a field of force and the diffusion model of
       chemical reactions", Physica 7 (1940) 284-304.
    """

    name = "double-well"
    description = "Fokker-Planck flow in a double-well potential (grid reference)"
    equation = "d_t rho = div(rho grad V) + eps Laplace rho, V = (x^2 - 1)^2 + y^2 / 2"

    bounds: tuple[tuple[float, float], ...] = ((-4.0, 4.0), (-4.0, 4.0))
    times: tuple[float, ...] = (0.25, 0.5, 1.0)
    resolution: int = 128
    tolerance: float = 3e-3
    bins: int = 16
    bandwidth: float = 0.5
    diffusion: float = 0.5
    mean0: tuple[float, ...] = (0.3, 1.0)
    std0: float = 0.3

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "std0")
        if self.dim != 2:
            raise ValueError(f"bounds must be 2D for this problem, got {self.bounds!r}")
        _vector(self, "mean0", (2,))
        object.__setattr__(self, "mean0", tuple(float(m) for m in self.mean0))

    @staticmethod
    def potential(x, y):
        """``V(x, y) = (x^2 - 1)^2 + y^2 / 2``."""
        return (x * x - 1) ** 2 + 0.5 * y * y

    def initial(self, grid: Grid) -> np.ndarray:
        return gaussian_density(grid, self.mean0, self.std0**2 * np.eye(2))

    def model(self) -> dict[str, Any]:
        return {"potential": self.potential}
