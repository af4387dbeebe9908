"""Exact JKO iterates of the Ornstein-Uhlenbeck flow from a Gaussian.

The free energy

    E(rho) = eps int rho log rho dx + int V rho dx,    V(x) = (x - b)^T A (x - b) / 2,

with ``A`` symmetric, generates the Fokker-Planck (Ornstein-Uhlenbeck) equation
``d_t rho = eps Laplace rho + div(rho A (x - b))`` (Jordan, Kinderlehrer and Otto 1998). Its JKO
step

    rho_{k+1} = argmin_rho  W2^2(rho, rho_k) / (2 tau) + E(rho)

maps a Gaussian ``rho_k = N(m_k, S_k)`` to a Gaussian ``N(m_{k+1}, S_{k+1})`` with, writing
``B = I + tau A`` and ``K = B^{-1/2} S_k B^{-1/2}``,

    m_{k+1} = B^{-1} (m_k + tau A b),
    S_{k+1} = B^{-1/2} [eps tau I + K / 2 + (eps tau K + K^2 / 4)^{1/2}] B^{-1/2}.

Derivation. With ``T`` the optimal map from ``rho_{k+1}`` to ``rho_k`` and
``T(x) = x - grad phi(x)``, the optimality condition of the step is
``phi / tau + eps log rho_{k+1} + V = C`` (Santambrogio 2015, Sec. 8.3). For
``rho_{k+1} = N(m, S)`` the map is affine, ``T(x) = m_k + P (x - m)`` with ``P`` the symmetric
positive definite solution of ``P S P = S_k`` (:func:`~eulerflow.exact.gaussian_optimal_map`),
and the gradient of the condition is affine in ``x``:

- at ``x = m``: ``(m - m_k) / tau + A (m - b) = 0``, the mean update (implicit Euler for
  ``m' = -A (m - b)``);
- the linear part: ``(I - P) / tau - eps S^{-1} + A = 0``, i.e. ``P = B - eps tau S^{-1}``.

Inserting ``P`` into ``P S P = S_k`` and writing ``Y = B^{1/2} S B^{1/2}`` gives
``Y - 2 eps tau I + (eps tau)^2 Y^{-1} = K``: ``Y`` is a function of ``K``, and each eigenvalue
``y`` solves ``y^2 - (2 eps tau + kappa) y + (eps tau)^2 = 0`` for the eigenvalue ``kappa`` of
``K``. ``P = B^{1/2} (I - eps tau Y^{-1}) B^{1/2}`` is positive definite only for the larger
root ``y = eps tau + kappa / 2 + (eps tau kappa + kappa^2 / 4)^{1/2}``, which gives the formula
(a sum of positive terms, free of cancellation). When ``I + tau A`` is positive definite the
JKO functional is strictly convex along generalised geodesics (Ambrosio, Gigli and Savare 2008,
Chapters 4 and 9), so this critical point is its unique minimiser over all probability measures,
not only over Gaussians. For ``A = 0`` the step is the proximal map of the
entropy on the Bures-Wasserstein space (Diao, Balasubramanian, Chewi and Salim 2023); in 1D with
``A = I``, ``b = 0``, ``eps = 1`` the standard deviation solves
``(1 + tau) s_{k+1}^2 - s_k s_{k+1} - tau = 0``. The Gibbs state ``N(b, eps A^{-1})`` (``A``
positive definite, ``eps > 0``) is a fixed point for every ``tau``. As ``tau -> 0`` with
``k tau = t`` fixed, the iterates converge to the moments of the Ornstein-Uhlenbeck law at ``t``
(:func:`~eulerflow.exact.ou_moments`) with error ``O(tau)``.

Densities on a grid: :func:`ou_jko_densities` gives the cell averages (by Gauss-Legendre
quadrature, :func:`~eulerflow.exact.gaussian_density`) of the iterates. They are iterates of the
JKO scheme on ``R^d``; a grid solver works on a bounded box, which differs by the Gaussian tail
outside the box.

References
----------
R. Jordan, D. Kinderlehrer and F. Otto, "The variational formulation of the Fokker-Planck
equation", SIAM J. Math. Anal. 29 (1998) 1-17.

L. Ambrosio, N. Gigli and G. Savare, *Gradient Flows in Metric Spaces and in the Space of
Probability Measures*, 2nd ed., Birkhauser, 2008.

F. Santambrogio, *Optimal Transport for Applied Mathematicians*, Birkhauser, 2015.

M. Z. Diao, K. Balasubramanian, S. Chewi and A. Salim, "Forward-backward Gaussian variational
inference via JKO in the Bures-Wasserstein space", Proc. ICML 2023, PMLR 202, 7960-7991.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..grid import Grid
from ._validation import (
    as_symmetric_matrix,
    as_vector,
    check_grid,
    check_time,
    positive_int,
)
from .optimal_transport import _covariance
from .quadrature import gaussian_density


def gaussian_jko_step(
    mean: ArrayLike,
    cov: ArrayLike,
    tau: float,
    *,
    A: ArrayLike,
    b: ArrayLike,
    diffusion: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One exact JKO step of the Ornstein-Uhlenbeck flow from ``N(mean, cov)``.

    The minimiser of ``W2^2(rho, N(m_k, S_k)) / (2 tau) + E(rho)`` with
    ``E(rho) = eps int rho log rho + int rho (x - b)^T A (x - b) / 2`` is ``N(m_{k+1}, S_{k+1})``:

        m_{k+1} = B^{-1} (m_k + tau A b),
        S_{k+1} = B^{-1/2} [eps tau I + K / 2 + (eps tau K + K^2 / 4)^{1/2}] B^{-1/2},

    with ``B = I + tau A`` and ``K = B^{-1/2} S_k B^{-1/2}`` (derivation in
    ``eulerflow.exact.jko``).

    Parameters
    ----------
    mean : array_like, shape (d,)
        Mean ``m_k`` (a scalar is accepted when ``d = 1``).
    cov : array_like, shape (d, d), or scalar
        Symmetric positive definite covariance ``S_k`` (a scalar ``s`` means ``s I``).
    tau : float
        Time step ``> 0``.
    A : array_like, shape (d, d), or scalar
        Symmetric matrix of the potential (a scalar ``a`` means ``a I``); ``I + tau A`` must be
        positive definite (always true for ``A`` positive semidefinite; ``A = 0`` is the heat
        flow).
    b : array_like, shape (d,)
        Centre of the potential.
    diffusion : float, default 1
        ``eps >= 0`` (``0``: the deterministic linear flow ``x' = -A (x - b)``, whose JKO step
        pushes ``N(m_k, S_k)`` forward by the implicit Euler map).

    Returns
    -------
    mean : numpy.ndarray, shape (d,)
    cov : numpy.ndarray, shape (d, d)
        Symmetric positive definite.

    Raises
    ------
    ValueError
        Shapes that disagree, a ``cov`` that is not symmetric positive definite, a non-symmetric
        ``A``, ``tau <= 0``, ``diffusion < 0``, or ``I + tau A`` not positive definite (each
        message names the argument).

    References
    ----------
    R. Jordan, D. Kinderlehrer and F. Otto, "The variational formulation of the Fokker-Planck
    equation", SIAM J. Math. Anal. 29 (1998) 1-17.

    Examples
    --------
    The Gibbs state ``N(b, eps A^{-1})`` is a fixed point:

    >>> import numpy as np
    >>> A, b = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -1.0])
    >>> m, S = gaussian_jko_step(b, 0.5 * np.linalg.inv(A), 0.3, A=A, b=b, diffusion=0.5)
    >>> bool(np.allclose(m, b)) and bool(np.allclose(S, 0.5 * np.linalg.inv(A)))
    True

    In 1D with ``A = 1``, ``b = 0``, ``eps = 1``: ``(1 + tau) s^2 - s_k s - tau = 0``.

    >>> m, S = gaussian_jko_step(2.0, 1.0, 1.0, A=1.0, b=0.0)
    >>> float(m[0]), round(float(np.sqrt(S[0, 0])), 12)  # roots of 2 s^2 - s - 1
    (1.0, 1.0)
    """
    mean, cov, tau, A, b, eps = _check(mean, cov, tau, A, b, diffusion)
    return _step(mean, cov, *_stepper(tau, A, b, eps))


def gaussian_jko_iterates(
    mean0: ArrayLike,
    cov0: ArrayLike,
    tau: float,
    n_steps: int,
    *,
    A: ArrayLike,
    b: ArrayLike,
    diffusion: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariances of the exact JKO iterates ``k = 0, ..., n_steps``.

    Repeats :func:`gaussian_jko_step` from ``N(mean0, cov0)``; iterate ``k`` approximates the
    Ornstein-Uhlenbeck law at ``t = k tau`` (:func:`~eulerflow.exact.ou_moments`) with error
    ``O(tau)``.

    Parameters
    ----------
    mean0, cov0 : array_like
        Initial mean ``(d,)`` and symmetric positive definite covariance ``(d, d)`` (or scalar).
    tau : float
        Time step ``> 0``.
    n_steps : int
        Number of steps ``>= 1``.
    A, b, diffusion
        As in :func:`gaussian_jko_step`.

    Returns
    -------
    means : numpy.ndarray, shape (n_steps + 1, d)
    covs : numpy.ndarray, shape (n_steps + 1, d, d)
        Index ``k`` is step ``k``; index 0 is the (validated) initial state.

    Examples
    --------
    >>> means, covs = gaussian_jko_iterates([1.0], 1.0, 0.1, 3, A=1.0, b=[0.0])
    >>> means[:, 0].round(6).tolist()  # m_k = (1 + tau)^(-k)
    [1.0, 0.909091, 0.826446, 0.751315]
    >>> covs[:, 0, 0].round(12).tolist()  # N(0, 1) is the Gibbs state
    [1.0, 1.0, 1.0, 1.0]
    """
    mean, cov, tau, A, b, eps = _check(mean0, cov0, tau, A, b, diffusion, "mean0", "cov0")
    n_steps = positive_int(n_steps, "n_steps")
    stepper = _stepper(tau, A, b, eps)
    means = np.empty((n_steps + 1, mean.size))
    covs = np.empty((n_steps + 1, mean.size, mean.size))
    means[0], covs[0] = mean, cov
    for k in range(n_steps):
        means[k + 1], covs[k + 1] = _step(means[k], covs[k], *stepper)
    return means, covs


def ou_jko_densities(
    grid: Grid,
    mean0: ArrayLike,
    cov0: ArrayLike,
    tau: float,
    n_steps: int,
    *,
    A: ArrayLike,
    b: ArrayLike,
    diffusion: float = 1.0,
    quadrature: int = 3,
) -> np.ndarray:
    """Cell averages of the exact JKO iterates ``k = 0, ..., n_steps`` on ``grid``.

    The Gaussians of :func:`gaussian_jko_iterates`, averaged over every cell by Gauss-Legendre
    quadrature (:func:`~eulerflow.exact.gaussian_density`; cell averages, not point values). Not
    renormalised on the box: the mass of each is 1 minus its Gaussian mass outside the box.

    Parameters
    ----------
    grid : Grid
        The grid, ``grid.ndim = d``.
    mean0, cov0, tau, n_steps, A, b, diffusion
        As in :func:`gaussian_jko_iterates`.
    quadrature : int, default 3
        Gauss-Legendre points per axis.

    Returns
    -------
    numpy.ndarray, shape (n_steps + 1, ``*grid.shape``)
        The cell averages of iterate ``k`` at index ``k``.

    Examples
    --------
    >>> import eulerflow as ef
    >>> grid = ef.Grid(200, (-6, 6))
    >>> rho = ou_jko_densities(grid, [1.0], 0.5, 0.1, 2, A=1.0, b=[0.0])
    >>> rho.shape, round(float(grid.integrate(rho[2])), 9)
    ((3, 200), 1.0)
    """
    check_grid(grid)
    means, covs = gaussian_jko_iterates(mean0, cov0, tau, n_steps, A=A, b=b, diffusion=diffusion)
    if means.shape[1] != grid.ndim:
        raise ValueError(f"mean0 is {means.shape[1]}D but the grid is {grid.ndim}D")
    return np.stack(
        [gaussian_density(grid, m, S, quadrature) for m, S in zip(means, covs, strict=True)]
    )


# -- helpers ---------------------------------------------------------------------------------------
def _check(mean, cov, tau, A, b, diffusion, mean_name: str = "mean", cov_name: str = "cov"):
    """Validated ``(mean, cov, tau, A, b, eps)``; ``d`` is taken from ``mean``."""
    m = np.atleast_1d(np.asarray(mean, dtype=float))
    if m.ndim != 1 or m.size == 0:
        raise ValueError(f"{mean_name} must be a vector of shape (d,), got shape {m.shape}")
    d = m.size
    m = as_vector(m, d, mean_name)
    S = _covariance(cov, d, cov_name, definite=True)
    tau = check_time(tau, "tau")
    if tau <= 0:
        raise ValueError(f"tau must be > 0, got {tau!r}")
    A = as_symmetric_matrix(A, d, "A")
    b = as_vector(b, d, "b")
    eps = check_time(diffusion, "diffusion")
    if eps < 0:
        raise ValueError(f"diffusion must be >= 0, got {eps!r}")
    return m, S, tau, A, b, eps


def _stepper(tau: float, A: np.ndarray, b: np.ndarray, eps: float):
    """``(B^{-1/2}, B^{-1}, tau A b, eps tau)`` for :func:`_step` (``B = I + tau A``)."""
    lam, Q = np.linalg.eigh(A)
    beta = 1.0 + tau * lam
    if not np.all(beta > 0):
        raise ValueError(
            f"I + tau A must be positive definite (the JKO functional is then convex), but A has "
            f"the eigenvalue {lam.min():.6g} < -1/tau = {-1.0 / tau:.6g}; reduce tau"
        )
    return (Q / np.sqrt(beta)) @ Q.T, (Q / beta) @ Q.T, tau * (A @ b), eps * tau


def _step(mean, cov, inv_root, inv_B, shift, e) -> tuple[np.ndarray, np.ndarray]:
    """``m_{k+1} = B^{-1} (m_k + tau A b)`` and the covariance formula."""
    K = inv_root @ cov @ inv_root
    kappa, U = np.linalg.eigh(0.5 * (K + K.T))
    kappa = np.maximum(kappa, 0.0)
    y = e + 0.5 * kappa + np.sqrt(e * kappa + 0.25 * kappa * kappa)
    cov_next = inv_root @ ((U * y) @ U.T) @ inv_root
    return inv_B @ (mean + shift), 0.5 * (cov_next + cov_next.T)
