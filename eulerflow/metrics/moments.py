"""Errors of the sample mean and covariance against the moments of a grid density."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..grid import Grid
from .inputs import as_reference, as_samples, count_outside


@dataclass(frozen=True)
class MomentErrors:
    """Sample moments minus reference moments, with their standard errors from the sample.

    Attributes
    ----------
    mean_error : numpy.ndarray, shape (d,)
        ``xbar - m`` (sample mean minus reference mean).
    mean_se : numpy.ndarray, shape (d,)
        ``sqrt(S_aa / n)``, the standard error of the sample mean.
    cov_error : numpy.ndarray, shape (d, d)
        ``S - C`` (unbiased sample covariance minus reference covariance).
    cov_se : numpy.ndarray, shape (d, d)
        ``sqrt((mu22_ab - S_ab^2) / n)``, with ``mu22_ab`` the sample mean of
        ``(x_a - xbar_a)^2 (x_b - xbar_b)^2``: the delta-method standard error of ``S_ab``.
    n : int
        Number of samples.
    n_outside : int
        Samples outside the walled box (they enter the moments like every sample).
    """

    mean_error: np.ndarray
    mean_se: np.ndarray
    cov_error: np.ndarray
    cov_se: np.ndarray
    n: int
    n_outside: int

    @property
    def z(self) -> float:
        """Largest ``|error| / standard error`` over the mean and covariance entries (``inf``
        where an error is nonzero with a zero standard error)."""
        errors = np.concatenate([self.mean_error, self.cov_error.ravel()])
        se = np.concatenate([self.mean_se, self.cov_se.ravel()])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(errors == 0, 0.0, np.abs(errors) / se)
        return float(ratios.max())


def density_moments(rho, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the piecewise-constant density ``rho`` (normalised), exactly.

    Within a cell the density is uniform, so with cell masses ``q_c`` and centres ``x_c``

        m = sum_c q_c x_c,    C = sum_c q_c (x_c - m)(x_c - m)^T + diag(h_a^2 / 12).

    These are the moments of the law that :func:`eulerflow.particles.sample` draws from (and
    that the floors of the other metrics use). When the cell averages come from a smooth
    density, its variances are smaller by ``h_a^2 / 6 + O(h^4)`` (Sheppard's correction [1]_
    is ``h^2 / 12`` for the midpoint sum; the uniform spread within cells adds another).

    Parameters
    ----------
    rho : array_like, shape ``grid.shape``
        Cell averages of a non-negative density with positive mass (normalised here).
    grid : Grid
        The grid of ``rho``; the moments are in the units of its coordinates.

    Returns
    -------
    mean : numpy.ndarray, shape (d,)
        The mean ``m``.
    cov : numpy.ndarray, shape (d, d)
        The covariance ``C``, including the within-cell term ``diag(h_a^2 / 12)``.

    References
    ----------
    .. [1] W. F. Sheppard, "On the calculation of the most probable values of
       frequency-constants, for data arranged according to equidistant division of a scale",
       Proc. Lond. Math. Soc. 29 (1898) 353-380.

    Examples
    --------
    >>> mean, cov = density_moments([1.0, 1.0], Grid(2, (0, 1)))
    >>> float(mean[0]), round(float(cov[0, 0]), 12)  # the uniform law on [0, 1]: 1/2, 1/12
    (0.5, 0.083333333333)
    """
    q = as_reference(rho, grid)
    centres = [np.broadcast_to(c, grid.shape) for c in grid.centers]
    mean = np.array([np.sum(q * c) for c in centres])
    dev = [c - m for c, m in zip(centres, mean, strict=True)]
    cov = np.array([[np.sum(q * da * db) for db in dev] for da in dev])
    return mean, cov + np.diag(np.square(grid.spacing) / 12.0)


def moment_errors(samples, rho, grid: Grid) -> MomentErrors:
    """Mean and covariance errors of ``samples`` against ``rho``, in units the user can judge.

    The reference moments are those of :func:`density_moments`; the standard errors are
    estimated from the sample (see :class:`MomentErrors`), so ``|error| / se`` is roughly
    standard normal for exact samples and ``n`` large. Needs ``n >= 2``.

    Parameters
    ----------
    samples : array, shape (n, d)
        The method's samples.
    rho : array of ``grid.shape``
        Reference density (normalised here).
    grid : Grid
        The grid of ``rho``.

    Returns
    -------
    MomentErrors
        The errors of the mean and covariance, their standard errors, ``n`` and ``n_outside``.

    References
    ----------
    .. [1] A. W. van der Vaart, "Asymptotic Statistics", Cambridge University Press, 1998,
       chapter 3 (the delta method; the variance of sample covariances).

    Examples
    --------
    >>> grid = Grid(2, (0, 1))
    >>> errors = moment_errors([0.25, 0.75], [1.0, 1.0], grid)
    >>> float(errors.mean_error[0])
    0.0
    """
    x = as_samples(samples, grid)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"samples needs at least 2 samples for a covariance, got {n}")
    mean, cov = density_moments(rho, grid)
    xbar = x.mean(axis=0)
    dev = x - xbar
    S = dev.T @ dev / (n - 1)
    mu22 = (dev * dev).T @ (dev * dev) / n
    biased = dev.T @ dev / n
    return MomentErrors(
        mean_error=xbar - mean,
        mean_se=np.sqrt(np.diag(S) / n),
        cov_error=S - cov,
        cov_se=np.sqrt(np.maximum(mu22 - biased**2, 0.0) / n),
        n=n,
        n_outside=count_outside(x, grid),
    )
