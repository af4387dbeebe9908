"""Random initial data for training sets, reproducible from one seed per member: Gaussian random
fields with a given spectrum made positive and normalised, Gaussian mixtures, random potentials.

Each generator takes the grid and a ``seed`` (an int, a ``SeedSequence`` or a NumPy
``Generator``) and returns NumPy cell values of shape ``grid.shape``; the same seed gives the
same array on every machine (NumPy's ``default_rng``, PCG64).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import check_grid
from ..exact import gaussian_density
from ..grid import Grid

TRANSFORMS = ("exp", "softplus")


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise TypeError("seed is required (an int per member), so that the data can be redrawn")
    return np.random.default_rng(seed)


def _wavenumbers(grid: Grid) -> np.ndarray:
    """``|k|`` on the FFT grid of ``grid`` (angular wavenumbers, spacing-aware)."""
    axes = [
        2 * np.pi * np.fft.fftfreq(n, d=h) for n, h in zip(grid.shape, grid.spacing, strict=True)
    ]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.sqrt(sum(k**2 for k in mesh))


def matern_spectrum(length_scale: float, smoothness: float, ndim: int) -> Callable:
    """The Matérn power spectrum ``(1 + (l k)^2)^-(nu + d/2)`` (up to a constant)."""
    return lambda k: (1.0 + (length_scale * k) ** 2) ** (-(smoothness + ndim / 2))


def gaussian_random_field(
    grid: Grid,
    *,
    seed: Any,
    spectrum: Callable[[np.ndarray], np.ndarray] | None = None,
    length_scale: float = 0.5,
    smoothness: float = 2.0,
    amplitude: float = 1.0,
    transform: str | None = "exp",
    mass: float = 1.0,
) -> np.ndarray:
    """A Gaussian random field with a given power spectrum, made a positive density.

    A stationary field ``g`` is synthesised on the grid's FFT box (periodic, Lord, Powell and
    Shardlow [1]_, section 6.4): white noise is transformed, multiplied by ``sqrt(P(|k|))`` and
    transformed back, then scaled to zero mean and standard deviation ``amplitude``. The density
    is ``exp(g)`` or ``softplus(g) = log(1 + e^g)``, normalised to ``mass``.

    Parameters
    ----------
    grid : Grid
        Where the field lives (1D, 2D or 3D).
    seed : int, SeedSequence or numpy.random.Generator
        The member's seed.
    spectrum : callable ``P(k)``, optional
        Power spectrum as a function of the angular wavenumber ``|k|`` (array in, array out).
        Default: Matérn, ``(1 + (length_scale k)^2)^-(smoothness + d/2)``.
    length_scale : float, default 0.5
        Correlation length of the default spectrum (in the grid's units).
    smoothness : float, default 2
        Matérn smoothness ``nu`` of the default spectrum.
    amplitude : float, default 1
        Standard deviation of ``g`` (how far from uniform the density is).
    transform : {"exp", "softplus"} or None, default "exp"
        How ``g`` becomes positive; ``None`` returns ``g`` itself (a signed field, not
        normalised).
    mass : float, default 1
        Total mass ``grid.integrate(rho)`` of the density.

    Returns
    -------
    numpy.ndarray
        Cell values, shape ``grid.shape``.

    References
    ----------
    .. [1] G. J. Lord, C. E. Powell and T. Shardlow, *An Introduction to Computational
       Stochastic PDEs*, Cambridge University Press (2014), chapter 6.

    Examples
    --------
    >>> import eulerflow as ef
    >>> from eulerflow.ensemble import gaussian_random_field
    >>> grid = ef.Grid((32, 32), ((-1, 1), (-1, 1)))
    >>> rho = gaussian_random_field(grid, seed=7)
    >>> bool(abs(grid.integrate(rho) - 1) < 1e-12 and rho.min() > 0)
    True
    """
    grid = check_grid(grid)
    if transform not in (*TRANSFORMS, None):
        raise ValueError(f"transform must be one of {TRANSFORMS} or None, got {transform!r}")
    if not amplitude >= 0:
        raise ValueError(f"amplitude must be non-negative, got {amplitude!r}")
    power = (spectrum or matern_spectrum(length_scale, smoothness, grid.ndim))(_wavenumbers(grid))
    power = np.asarray(power, dtype=float)
    if power.shape != grid.shape or not np.all(np.isfinite(power)) or np.any(power < 0):
        raise ValueError("spectrum must return finite non-negative values of the shape of k")
    noise = np.fft.fftn(_rng(seed).standard_normal(grid.shape))
    g = np.fft.ifftn(noise * np.sqrt(power)).real
    g -= g.mean()
    std = g.std()
    g = g * (amplitude / std) if std > 0 else g
    if transform is None:
        return g
    rho = np.exp(g) if transform == "exp" else np.logaddexp(0.0, g)
    return grid.normalize(rho, mass)


def gaussian_mixture(
    grid: Grid,
    *,
    seed: Any,
    components: int | tuple[int, int] = (1, 4),
    std: tuple[float, float] = (0.05, 0.2),
    margin: float = 0.2,
    mass: float = 1.0,
) -> np.ndarray:
    """Cell averages of a random Gaussian mixture, normalised on the box.

    The number of components is drawn from ``components``, the weights from a flat Dirichlet
    law, the means uniformly in the box less ``margin`` of each side's length, and each
    covariance as ``R diag(s^2) R^T`` with a random rotation ``R`` and standard deviations
    ``s`` uniform in ``std`` (in units of the box's side lengths).

    Parameters
    ----------
    grid : Grid
        Where the density lives.
    seed : int, SeedSequence or numpy.random.Generator
        The member's seed.
    components : int or (int, int), default (1, 4)
        A number of components, or the inclusive range it is drawn from.
    std : (float, float), default (0.05, 0.2)
        Range of the components' standard deviations, relative to the box's side lengths.
    margin : float, default 0.2
        Fraction of each side kept free of means.
    mass : float, default 1
        Total mass of the density.

    Returns
    -------
    numpy.ndarray
        Cell averages, shape ``grid.shape``.
    """
    grid = check_grid(grid)
    rng = _rng(seed)
    lo_n, hi_n = (components, components) if isinstance(components, int) else components
    if not 1 <= lo_n <= hi_n:
        raise ValueError(f"components must be >= 1 (or a range lo <= hi), got {components!r}")
    if not 0 <= margin < 0.5:
        raise ValueError(f"margin must be in [0, 0.5), got {margin!r}")
    if not 0 < std[0] <= std[1]:
        raise ValueError(f"std must be a range 0 < lo <= hi, got {std!r}")
    k = int(rng.integers(lo_n, hi_n + 1))
    weights = rng.dirichlet(np.ones(k))
    bounds = np.asarray(grid.bounds, dtype=float)
    lengths = bounds[:, 1] - bounds[:, 0]
    rho = np.zeros(grid.shape)
    for w in weights:
        mean = bounds[:, 0] + lengths * rng.uniform(margin, 1 - margin, grid.ndim)
        rotation, _ = np.linalg.qr(rng.standard_normal((grid.ndim, grid.ndim)))
        scales = lengths * rng.uniform(std[0], std[1], grid.ndim)
        cov = rotation @ np.diag(scales**2) @ rotation.T
        rho += w * gaussian_density(grid, mean if grid.ndim > 1 else mean[0], cov)
    return grid.normalize(rho, mass)


def random_potential(
    grid: Grid,
    *,
    seed: Any,
    stiffness: tuple[float, float] = (0.5, 2.0),
    roughness: float = 0.5,
    length_scale: float = 0.5,
) -> np.ndarray:
    """A random confining potential: a random quadratic well plus a smooth random field.

    ``V(x) = (x - c)^T A (x - c) / 2 + roughness * g(x)``, with the centre ``c`` uniform in the
    middle half of the box, ``A = R diag(a) R^T`` with a random rotation and eigenvalues ``a``
    uniform in ``stiffness``, and ``g`` a unit-variance Matérn random field
    (:func:`gaussian_random_field` with ``transform=None``).

    Parameters
    ----------
    grid : Grid
        Where the potential lives.
    seed : int, SeedSequence or numpy.random.Generator
        The member's seed.
    stiffness : (float, float), default (0.5, 2)
        Range of the eigenvalues of ``A``.
    roughness : float, default 0.5
        Standard deviation of the random part.
    length_scale : float, default 0.5
        Correlation length of the random part.

    Returns
    -------
    numpy.ndarray
        Cell-centre values, shape ``grid.shape`` (pass as ``potential=``).
    """
    grid = check_grid(grid)
    rng = _rng(seed)
    if not 0 <= stiffness[0] <= stiffness[1]:
        raise ValueError(f"stiffness must be a range 0 <= lo <= hi, got {stiffness!r}")
    bounds = np.asarray(grid.bounds, dtype=float)
    lengths = bounds[:, 1] - bounds[:, 0]
    centre = bounds[:, 0] + lengths * rng.uniform(0.25, 0.75, grid.ndim)
    rotation, _ = np.linalg.qr(rng.standard_normal((grid.ndim, grid.ndim)))
    matrix = rotation @ np.diag(rng.uniform(stiffness[0], stiffness[1], grid.ndim)) @ rotation.T
    shifted = [c - m for c, m in zip(grid.centers, centre, strict=True)]
    quadratic = sum(
        0.5 * matrix[i, j] * shifted[i] * shifted[j]
        for i in range(grid.ndim)
        for j in range(grid.ndim)
    )
    field = gaussian_random_field(
        grid, seed=rng, length_scale=length_scale, amplitude=roughness, transform=None
    )
    return np.broadcast_to(quadratic, grid.shape) + field
