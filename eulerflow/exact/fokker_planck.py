"""Closed forms of linear Fokker-Planck equations: Ornstein-Uhlenbeck, heat kernel, Gibbs state.

- :func:`ou_moments` / :func:`ornstein_uhlenbeck`: the law of ``dX = -A (X - b) dt +
  sqrt(2 eps) dW`` started from ``N(mean0, cov0)``, i.e. the solution of
  ``d_t rho = div(A (x - b) rho) + eps Laplace rho``, is Gaussian at all times with

      m(t) = b + e^{-tA} (m0 - b),
      S(t) = e^{-tA} S0 e^{-tA^T} + 2 eps int_0^t e^{-sA} e^{-sA^T} ds,

  the covariance solving the Lyapunov ODE ``S' = -A S - S A^T + 2 eps I``. The integral
  ``N(t) = int_0^t e^{-sA} e^{-sA^T} ds`` is computed without cancellation for every ``A`` by
  scaling and squaring: Van Loan's block matrix exponential (C. Van Loan, IEEE Trans. Automat.
  Control 23, 1978) gives ``N(tau)`` and ``e^{-tau A}`` for ``tau = t / 2^k`` with
  ``tau ||A|| <= 1/2``, and the doubling ``N(2 tau) = N(tau) + e^{-tau A} N(tau) e^{-tau A^T}``
  (a sum of positive semi-definite terms) reaches ``t``. (The Lyapunov form
  ``S_inf - e^{-tA} S_inf e^{-tA^T}`` cancels when an eigenvalue of ``A`` is near 0, and Van
  Loan's exponential for the whole ``t`` contains ``e^{tA}`` and cancels for large ``t``.)
  ``A`` may be non-symmetric (then no potential exists: use ``drift=`` in the solver);
  ``t = inf`` gives the stationary law, which needs every eigenvalue of ``A`` to have a positive
  real part and solves ``A S + S A^T = 2 eps I``.
- :func:`heat_kernel`: ``N(x0, 2 eps t I)``, the fundamental solution of
  ``d_t rho = eps Laplace rho``.
- :func:`gibbs_state`: ``exp(-V / eps)`` at the cell centres, normalised; it is the exact
  discrete steady state of the Scharfetter-Gummel scheme of
  :func:`eulerflow.solve_fokker_planck` (zero flux through every face), not a cell average.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from ..grid import Grid
from ._validation import as_square_matrix, as_vector, check_grid, check_time
from .quadrature import cell_average, gaussian_density, sample_kind


def _check_diffusion(diffusion) -> float:
    diffusion = check_time(diffusion, "diffusion")
    if diffusion < 0:
        raise ValueError(f"diffusion must be >= 0, got {diffusion!r}")
    return diffusion


def ou_moments(
    t: float,
    A: ArrayLike,
    b: ArrayLike,
    diffusion: float,
    mean0: ArrayLike,
    cov0: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance at time ``t`` of ``dX = -A (X - b) dt + sqrt(2 eps) dW``.

    Parameters
    ----------
    t : float
        Time ``>= 0``, or ``math.inf`` for the stationary law.
    A : array_like, shape (d, d)
        Drift matrix (any real matrix for finite ``t``; eigenvalues with positive real parts for
        ``t = inf``). A scalar is accepted for ``d = 1``.
    b : array_like, shape (d,)
        Centre of the drift.
    diffusion : float
        Diffusion coefficient, ``eps >= 0`` in the formulas.
    mean0, cov0 : array_like
        Initial mean ``(d,)`` and covariance ``(d, d)`` (a scalar ``s`` means ``s I``; 0 is a
        point mass).

    Returns
    -------
    mean : ndarray, shape (d,)
    cov : ndarray, shape (d, d)
        Symmetric.
    """
    A = np.atleast_2d(np.asarray(A, dtype=float))
    A = as_square_matrix(A, "A")
    d = A.shape[0]
    b = as_vector(b, d, "b")
    mean0 = as_vector(mean0, d, "mean0")
    cov0 = np.asarray(cov0, dtype=float)
    cov0 = cov0 * np.eye(d) if cov0.ndim == 0 else cov0
    if cov0.shape != (d, d) or not np.all(np.isfinite(cov0)):
        raise ValueError(f"cov0 must be a finite scalar or a ({d}, {d}) matrix")
    diffusion = _check_diffusion(diffusion)
    t = check_time(t, "t") if t != math.inf else math.inf
    if t < 0:
        raise ValueError(f"t must be >= 0, got {t!r}")
    if t == math.inf:
        eig = np.linalg.eigvals(A)
        if not np.all(eig.real > 0):
            raise ValueError(
                "the stationary law (t = inf) needs every eigenvalue of A to have a positive "
                f"real part; got eigenvalues {eig}"
            )
        cov = scipy.linalg.solve_continuous_lyapunov(A, 2 * diffusion * np.eye(d))
        return b.copy(), 0.5 * (cov + cov.T)
    decay = scipy.linalg.expm(-t * A)
    mean = b + decay @ (mean0 - b)
    noise = 2 * diffusion * _noise_integral(t, A)
    cov = decay @ cov0 @ decay.T + noise
    return mean, 0.5 * (cov + cov.T)


def _noise_integral(t: float, A: np.ndarray) -> np.ndarray:
    """``N(t) = int_0^t e^{-sA} e^{-sA^T} ds`` by Van Loan's formula and doubling.

    With ``tau = t / 2^k`` and ``tau ||A||_1 <= 1/2``: ``expm(tau [[-A, c I], [0, A^T]])`` has
    the blocks ``E11 = e^{-tau A}``, ``E12 = c int_0^tau e^{-(tau - s) A} e^{s A^T} ds``, so
    ``N(tau) = E12 E11^T / c`` (``c = 1 / tau`` balances the block; every exponential is of a
    matrix of norm <= 1/2 relative to ``1 / tau``, so nothing cancels). Then ``k`` doublings
    ``N(2 s) = N(s) + e^{-sA} N(s) e^{-sA^T}`` (``s = 2^j tau``, ``e^{-sA}`` from ``expm``) add
    positive semi-definite terms only.
    """
    d = A.shape[0]
    if t == 0:
        return np.zeros((d, d))
    norm = float(np.linalg.norm(A, 1))
    k = max(0, math.ceil(math.log2(2 * t * norm))) if norm > 0 else 0
    tau = math.ldexp(t, -k)
    block = np.zeros((2 * d, 2 * d))
    block[:d, :d] = -tau * A
    block[:d, d:] = np.eye(d)
    block[d:, d:] = tau * A.T
    big = scipy.linalg.expm(block)
    decay = big[:d, :d]
    noise = tau * (big[:d, d:] @ decay.T)
    for j in range(k):
        if j > 0:  # e^{-2^j tau A} directly: repeated squaring would compound its error
            decay = scipy.linalg.expm(math.ldexp(-tau, j) * A)
        noise = noise + decay @ noise @ decay.T
    return 0.5 * (noise + noise.T)


def ornstein_uhlenbeck(
    grid: Grid,
    t: float,
    A: ArrayLike,
    b: ArrayLike,
    diffusion: float,
    mean0: ArrayLike,
    cov0: ArrayLike,
    quadrature: int = 3,
    kind: str = "average",
) -> np.ndarray:
    """Cell averages (or centre values) of the Ornstein-Uhlenbeck law ``N(m(t), S(t))`` of
    :func:`ou_moments`.

    This is the solution of ``d_t rho = div(A (x - b) rho) + eps Laplace rho`` on ``R^d`` from
    the Gaussian ``N(mean0, cov0)`` (not renormalised on the box: the mass outside is lost).

    Parameters
    ----------
    grid : Grid
        The grid; its dimension ``d = grid.ndim`` must match the size of ``A``.
    t : float
        Time ``>= 0``, or ``math.inf`` for the stationary law.
    A : array_like, shape (d, d)
        Drift matrix (any real matrix for finite ``t``; eigenvalues with positive real parts for
        ``t = inf``). A scalar is accepted for ``d = 1``.
    b : array_like, shape (d,)
        Centre of the drift (a scalar is accepted for ``d = 1``).
    diffusion : float
        Diffusion coefficient, ``eps >= 0`` in the formulas.
    mean0 : array_like, shape (d,)
        Mean of the initial Gaussian.
    cov0 : array_like, shape (d, d), or scalar
        Covariance of the initial Gaussian (a scalar ``s`` means ``s I``; 0 is a point mass).
        The covariance ``S(t)`` must be positive definite, e.g. ``t > 0`` and ``eps > 0``.
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`~eulerflow.exact.cell_average`).
    kind : {"average", "point"}, default "average"
        Cell averages, or the density at the cell centres (see
        :func:`~eulerflow.exact.gaussian_density`).

    Returns
    -------
    numpy.ndarray
        Cell averages (or centre values) of ``N(m(t), S(t))``, shape ``grid.shape``.

    Examples
    --------
    The stationary law (``t = inf``) is ``N(b, eps A^{-1})``, whatever the initial Gaussian:

    >>> import math, numpy as np, eulerflow as ef
    >>> grid = ef.Grid(64, (-4, 4))
    >>> rho = ef.exact.ornstein_uhlenbeck(grid, math.inf, A=2.0, b=0.5, diffusion=1.0,
    ...                                   mean0=-1.0, cov0=0.1)
    >>> bool(np.allclose(rho, ef.exact.gaussian_density(grid, mean=0.5, cov=0.5)))
    True
    """
    check_grid(grid)
    mean, cov = ou_moments(t, A, b, diffusion, mean0, cov0)
    if mean.size != grid.ndim:
        raise ValueError(f"A must be ({grid.ndim}, {grid.ndim}) for this grid, got d={mean.size}")
    return gaussian_density(grid, mean, cov, quadrature, kind)


def heat_kernel(
    grid: Grid,
    t: float,
    diffusion: float,
    x0: ArrayLike,
    quadrature: int = 3,
    kind: str = "average",
) -> np.ndarray:
    """Cell averages (or centre values) of ``N(x0, 2 eps t I)``: the heat kernel of
    ``d_t rho = eps Laplace rho`` started from a unit point mass at ``x0`` (``t > 0``,
    ``eps > 0``).

    Parameters
    ----------
    grid : Grid
        The grid; ``d = grid.ndim``.
    t : float
        Time, ``> 0``.
    diffusion : float
        Diffusion coefficient, ``eps > 0`` in the formulas.
    x0 : array_like, shape (d,)
        Position of the initial point mass (a scalar is accepted on a 1D grid).
    quadrature : int, default 3
        Gauss-Legendre points per axis (see :func:`~eulerflow.exact.cell_average`).
    kind : {"average", "point"}, default "average"
        Cell averages, or the density at the cell centres.

    Returns
    -------
    numpy.ndarray
        The heat kernel at time ``t``, shape ``grid.shape`` (not renormalised on the box).
    """
    check_grid(grid)
    t = check_time(t, "t")
    diffusion = _check_diffusion(diffusion)
    if not (t > 0 and diffusion > 0):
        raise ValueError(
            f"the heat kernel needs t > 0 and diffusion > 0, got t={t!r}, diffusion={diffusion!r}"
        )
    x0 = as_vector(x0, grid.ndim, "x0")
    return gaussian_density(grid, x0, 2 * diffusion * t * np.eye(grid.ndim), quadrature, kind)


def gibbs_state(
    grid: Grid,
    V: Callable | ArrayLike,
    diffusion: float,
    mass: float = 1.0,
    kind: str = "point",
    quadrature: int = 3,
) -> np.ndarray:
    """``rho_i = mass exp(-V_i / eps) / (sum_j exp(-V_j / eps) |cell|)`` at the cell centres.

    The Gibbs state of ``d_t rho = div(eps grad rho + rho grad V)``, normalised to ``mass``
    (``grid.integrate(rho) = mass``). By default sampled at the cell centres, not averaged: it
    is then the exact discrete steady state of the Scharfetter-Gummel scheme (zero flux through
    every face, on walled and, for a periodic ``V``, on periodic axes); its cell averages
    (``kind="average"``) differ from it by ``O(h^2)``.

    Parameters
    ----------
    grid : Grid
        The grid; ``V`` is sampled at its cell centres.
    V : callable or array_like
        ``V(*coords)`` or its values at the cell centres (broadcastable to ``grid.shape``).
    diffusion : float
        Diffusion coefficient, ``eps > 0`` in the formulas.
    mass : float, default 1
        Total mass ``> 0``.
    kind : {"point", "average"}, default "point"
        Values at the cell centres, or cell averages of ``exp(-V / eps)`` (``V`` callable)
        normalised the same way.
    quadrature : int, default 3
        Gauss-Legendre points per axis for ``kind="average"``.

    Returns
    -------
    numpy.ndarray
        The normalised Gibbs state at the cell centres, shape ``grid.shape``, with
        ``grid.integrate(rho) = mass``.
    """
    check_grid(grid)
    diffusion = _check_diffusion(diffusion)
    if diffusion == 0:
        raise ValueError("the Gibbs state needs diffusion > 0")
    mass = check_time(mass, "mass")
    if mass <= 0:
        raise ValueError(f"mass must be > 0, got {mass!r}")
    if sample_kind(kind) == "average" and not callable(V):
        raise ValueError("kind='average' needs V as a callable V(*coords), not an array")
    values = V(*grid.centers) if callable(V) else V
    values = np.broadcast_to(np.asarray(values, dtype=float), grid.shape)
    if not np.all(np.isfinite(values)):
        raise ValueError("V must be finite at the cell centres")
    low = float(values.min())
    if kind == "average":
        weights = cell_average(lambda *x: np.exp(-(V(*x) - low) / diffusion), grid, quadrature)
    else:
        weights = np.exp(-(values - low) / diffusion)
    return weights * (mass / (weights.sum() * grid.cell_volume))
