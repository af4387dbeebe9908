"""Barenblatt solutions of the porous-medium equation and of its nonlinear Fokker-Planck form.

Porous-medium equation ``d_t rho = Laplace rho^m`` (``m > 1``) in ``R^d``, ``d = 1, 2, 3``: the
Barenblatt (Zel'dovich-Kompaneets-Pattle) self-similar solution

    B(t, x) = t^(-alpha) (C - k |x|^2 t^(-2 beta))_+^(1 / (m - 1)),
    alpha = d / (d (m - 1) + 2),   beta = alpha / d,   k = alpha (m - 1) / (2 m d),

with compact support ``|x| <= r(t) = sqrt(C / k) t^beta`` (the free boundary). Mass convention:
``mass = int_{R^d} rho dx``, conserved in time. With ``p = 1 / (m - 1)`` and the substitution
``x = t^beta sqrt(C / k) z``,

    mass = C^(p + d/2) k^(-d/2) int_{|z| < 1} (1 - |z|^2)^p dz
         = C^(p + d/2) k^(-d/2) pi^(d/2) Gamma(p + 1) / Gamma(p + 1 + d/2),

(the last integral is ``pi^(d/2) B(p + 1, d/2) / Gamma(d/2)`` by polar coordinates), which
gives ``C`` in closed form (:func:`barenblatt_constants`). A time shift ``t0`` gives the
solution ``B(t + t0, x)`` starting from the smooth-ish profile ``B(t0, .)``.

Nonlinear Fokker-Planck equation ``d_t rho = Laplace rho^m + div(rho x)``: with
``lambda = d (m - 1) + 2`` and ``tau(t) = (e^(lambda t) - 1) / lambda``,

    rho(t, x) = e^(d t) B(tau(t) + t0, e^t x)

solves it (substitute ``y = e^t x``: ``d_t rho = e^(dt) (d B + tau' d_s B + y . grad_y B)``,
``div(rho x) = e^(dt) (d B + y . grad_y B)`` and ``Laplace rho^m = e^((m d + 2) t) Laplace_y B^m``,
so the equation reduces to ``tau' = e^(lambda t)``), has the same mass and converges to the
stationary profile ``lambda^alpha (C - k lambda^(2 beta) |x|^2)_+^p``, the minimiser of
``int rho^m / (m - 1) + rho |x|^2 / 2`` at this mass (``beta lambda = 1``).

Everything returns cell averages on a grid (Gauss-Legendre quadrature; the kink of the profile
at the free boundary limits the quadrature to low order in the cells it crosses, hence the
larger default number of points).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..grid import Grid
from ._validation import check_grid, check_time, positive_int
from .quadrature import cell_average

DEFAULT_QUADRATURE = 8
"""Gauss-Legendre points per axis for the cell averages of the profiles."""


def barenblatt_constants(d: int, m: float, mass: float = 1.0) -> dict[str, float]:
    """Exponents and constants of the Barenblatt solution of ``d_t rho = Laplace rho^m``.

    Parameters
    ----------
    d : int
        Dimension, 1, 2 or 3.
    m : float
        Exponent, ``m > 1``.
    mass : float, default 1
        ``int rho dx``, ``> 0``.

    Returns
    -------
    dict
        ``alpha``, ``beta``, ``k``, ``C`` and ``p = 1 / (m - 1)`` (see the module docstring).
    """
    d, m, mass = _check_parameters(d, m, mass)
    alpha = d / (d * (m - 1) + 2)
    beta = alpha / d
    k = alpha * (m - 1) / (2 * m * d)
    p = 1 / (m - 1)
    # mass = C^(p + d/2) k^(-d/2) pi^(d/2) Gamma(p + 1) / Gamma(p + 1 + d/2), solved for C.
    log_ball = 0.5 * d * math.log(math.pi) + math.lgamma(p + 1) - math.lgamma(p + 1 + 0.5 * d)
    log_c = (math.log(mass) + 0.5 * d * math.log(k) - log_ball) / (p + 0.5 * d)
    return {"alpha": alpha, "beta": beta, "k": k, "C": math.exp(log_c), "p": p}


def barenblatt_radius(t: float, d: int, m: float, mass: float = 1.0, t0: float = 0.0) -> float:
    """Radius ``sqrt(C / k) (t + t0)^beta`` of the support of the Barenblatt solution.

    Parameters
    ----------
    t : float
        Time; ``t + t0 > 0``.
    d : int
        Dimension, 1, 2 or 3.
    m : float
        Exponent, ``m > 1``.
    mass : float, default 1
        Total mass ``int rho dx``, ``> 0``.
    t0 : float, default 0
        Time shift: the profile is the Barenblatt solution at time ``t + t0``.

    Returns
    -------
    float
        The radius of the free boundary: the support is the closed ball of this radius about the
        origin.
    """
    s = _shifted_time(t, t0)
    c = barenblatt_constants(d, m, mass)
    return math.sqrt(c["C"] / c["k"]) * s ** c["beta"]


def barenblatt_pdf(
    t: float, d: int, m: float, mass: float = 1.0, t0: float = 0.0
) -> Callable[..., np.ndarray]:
    """Pointwise Barenblatt profile ``B(t + t0, x)`` as a vectorised ``f(*coords)``.

    Parameters
    ----------
    t : float
        Time; ``t + t0 > 0``.
    d : int
        Dimension, 1, 2 or 3.
    m : float
        Exponent, ``m > 1``.
    mass : float, default 1
        Total mass ``int rho dx``, ``> 0``.
    t0 : float, default 0
        Time shift: the profile is the Barenblatt solution at time ``t + t0``.

    Returns
    -------
    callable
        ``f(*coords)``: takes ``d`` broadcastable coordinate arrays and returns the values of
        ``B(t + t0, x)`` (centred at the origin) with their broadcast shape.
    """
    s = _shifted_time(t, t0)
    c = barenblatt_constants(d, m, mass)

    def pdf(*coords: np.ndarray) -> np.ndarray:
        r2 = sum(np.asarray(x, dtype=float) ** 2 for x in coords)
        inside = np.maximum(c["C"] - c["k"] * r2 * s ** (-2 * c["beta"]), 0.0)
        return s ** (-c["alpha"]) * inside ** c["p"]

    return pdf


def barenblatt(
    grid: Grid,
    t: float,
    m: float = 2.0,
    mass: float = 1.0,
    t0: float = 0.0,
    quadrature: int = DEFAULT_QUADRATURE,
) -> np.ndarray:
    """Cell averages of the Barenblatt solution ``B(t + t0, x)`` of ``d_t rho = Laplace rho^m``.

    Parameters
    ----------
    grid : Grid
        The grid (``d = grid.ndim``); the profile is centred at the origin. Its mass on the
        grid is ``mass`` when the support ``barenblatt_radius(t, ...)`` lies inside the box.
    t : float
        Time; ``t + t0 > 0``.
    m : float, default 2
        Exponent, ``> 1``.
    mass : float, default 1
        Total mass ``int rho dx``.
    t0 : float, default 0
        Time shift.
    quadrature : int, default 8
        Gauss-Legendre points per axis.

    Returns
    -------
    numpy.ndarray
        Cell averages, shape ``grid.shape``.

    Examples
    --------
    The profile keeps its mass and is compactly supported, of radius
    :func:`barenblatt_radius`:

    >>> import numpy as np, eulerflow as ef
    >>> grid = ef.Grid(32, (-3, 3))
    >>> rho = ef.exact.barenblatt(grid, 0.5, m=2)
    >>> bool(abs(grid.integrate(rho) - 1) < 1e-4)
    True
    >>> r = ef.exact.barenblatt_radius(0.5, m=2, d=1)
    >>> bool(np.all(rho[np.abs(grid.axis_centers(0)) > r + grid.spacing[0]] == 0))
    True
    """
    check_grid(grid)
    quadrature = positive_int(quadrature, "quadrature")
    return cell_average(barenblatt_pdf(t, grid.ndim, m, mass, t0), grid, quadrature)


def nonlinear_fokker_planck_pdf(
    t: float, d: int, m: float, mass: float = 1.0, t0: float = 1.0
) -> Callable[..., np.ndarray]:
    """Pointwise ``e^(d t) B(tau(t) + t0, e^t x)``, solving ``d_t rho = Lap rho^m + div(rho x)``.

    Parameters
    ----------
    t : float
        Time, ``>= 0``.
    d : int
        Dimension, 1, 2 or 3.
    m : float
        Exponent, ``m > 1``.
    mass : float, default 1
        Total mass ``int rho dx``, ``> 0`` (conserved in time).
    t0 : float, default 1
        Barenblatt time of the initial profile ``rho(0) = B(t0, .)``, ``> 0``.

    Returns
    -------
    callable
        ``f(*coords)``: takes ``d`` broadcastable coordinate arrays and returns the values of
        ``rho(t, x)`` with their broadcast shape.
    """
    t = check_time(t, "t", nonnegative=True)
    t0 = check_time(t0, "t0")
    if t0 <= 0:
        raise ValueError(f"t0 must be > 0 (B(t0) is the initial profile), got {t0!r}")
    d, m, mass = _check_parameters(d, m, mass)
    lam = d * (m - 1) + 2
    tau = math.expm1(lam * t) / lam
    profile = barenblatt_pdf(tau, d, m, mass, t0)
    scale = math.exp(t)
    amplitude = math.exp(d * t)

    def pdf(*coords: np.ndarray) -> np.ndarray:
        return amplitude * profile(*(scale * np.asarray(x, dtype=float) for x in coords))

    return pdf


def nonlinear_fokker_planck(
    grid: Grid,
    t: float,
    m: float = 2.0,
    mass: float = 1.0,
    t0: float = 1.0,
    quadrature: int = DEFAULT_QUADRATURE,
) -> np.ndarray:
    """Cell averages of the solution of ``d_t rho = Laplace rho^m + div(rho x)``.

    The solution is ``rho(t, x) = e^(d t) B(tau(t) + t0, e^t x)``,
    ``tau(t) = (e^((d (m - 1) + 2) t) - 1) / (d (m - 1) + 2)``, from ``rho(0) = B(t0, .)``
    (see the module docstring). It is the gradient flow of
    ``PorousMedium(m) + Potential(|x|^2 / 2)``.

    Parameters
    ----------
    grid : Grid
        The grid, ``d = grid.ndim``.
    t : float
        Time, ``>= 0``.
    m : float, default 2
        Exponent, ``> 1``.
    mass : float, default 1
        Total mass ``int rho dx``, ``> 0``.
    t0 : float, default 1
        Barenblatt time of the initial profile, ``> 0``.
    quadrature : int, default 8
        Gauss-Legendre points per axis.

    Returns
    -------
    numpy.ndarray
        Cell averages of ``rho(t, .)``, shape ``grid.shape``.
    """
    check_grid(grid)
    quadrature = positive_int(quadrature, "quadrature")
    return cell_average(nonlinear_fokker_planck_pdf(t, grid.ndim, m, mass, t0), grid, quadrature)


def nonlinear_fokker_planck_radius(
    t: float, d: int, m: float, mass: float = 1.0, t0: float = 1.0
) -> float:
    """Support radius ``e^(-t) r_B(tau(t) + t0)`` of :func:`nonlinear_fokker_planck`.

    Parameters
    ----------
    t : float
        Time, ``>= 0``.
    d : int
        Dimension, 1, 2 or 3.
    m : float
        Exponent, ``m > 1``.
    mass : float, default 1
        Total mass ``int rho dx``, ``> 0`` (conserved in time).
    t0 : float, default 1
        Barenblatt time of the initial profile ``rho(0) = B(t0, .)``, ``> 0``.

    Returns
    -------
    float
        The radius of the free boundary at time ``t``: the support is the closed ball of this
        radius about the origin.
    """
    t = check_time(t, "t", nonnegative=True)
    lam = d * (m - 1) + 2
    return math.exp(-t) * barenblatt_radius(math.expm1(lam * t) / lam, d, m, mass, t0)


def _check_parameters(d, m, mass) -> tuple[int, float, float]:
    if isinstance(d, bool) or not isinstance(d, int | np.integer) or d not in (1, 2, 3):
        raise ValueError(f"d must be 1, 2 or 3, got {d!r}")
    m = check_time(m, "m")
    if not m > 1:
        raise ValueError(f"the porous-medium exponent must be m > 1, got m={m!r}")
    mass = check_time(mass, "mass")
    if not mass > 0:
        raise ValueError(f"mass must be > 0, got {mass!r}")
    return int(d), m, mass


def _shifted_time(t, t0) -> float:
    s = check_time(t, "t") + check_time(t0, "t0")
    if not s > 0:
        raise ValueError(f"the Barenblatt solution needs t + t0 > 0, got t={t!r}, t0={t0!r}")
    return s
