"""The JKO step in ``R^d`` with the Euclidean distance: the proximal point (implicit Euler) step.

For ``F : R^d -> R`` the minimising-movement step

    x_{k+1} = argmin_x  |x - x_k|^2 / (2 tau) + F(x)

is the proximal point step of ``tau F`` (Rockafellar, SIAM J. Control Optim. 14, 1976); its
first-order condition ``(x_{k+1} - x_k) / tau + grad F(x_{k+1}) = 0`` is the implicit Euler step
of the gradient flow ``x' = -grad F(x)``. It is the finite-dimensional model of the JKO step
(Jordan, Kinderlehrer and Otto 1998), where ``W2`` replaces the Euclidean distance: it decreases
``F`` for every ``tau`` (compare the objective at ``x_{k+1}`` and at ``x_k``), which is why the
scheme is unconditionally stable where explicit Euler needs ``tau < 2 / L`` on an ``L``-smooth
``F``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.optimize
from numpy.typing import ArrayLike

from ..checks import check_callable, positive_int, positive_number
from ..exceptions import ConvergenceWarning

# Relative step of the central differences when no gradient is given: eps^(1/3) balances the
# truncation error O(h^2) against the round-off O(eps / h).
_FD_STEP = np.finfo(float).eps ** (1 / 3)


class ProximalStep(NamedTuple):
    """The result of :func:`euclidean_jko_step`.

    Attributes
    ----------
    x : numpy.ndarray
        ``x_{k+1}``, with the shape of the input ``x``.
    residual : float
        ``|(x_{k+1} - x_k) / tau + grad F(x_{k+1})|`` (Euclidean norm; ``grad F`` by central
        differences when no ``grad`` was given).
    n_iter : int
        BFGS iterations, plus the residual evaluations of the final Newton-type polish when
        it ran.
    converged : bool
        Whether ``residual <= tol * max(|grad F(x_k)|, |x_k| / tau)``.
    """

    x: np.ndarray
    residual: float
    n_iter: int
    converged: bool


def euclidean_jko_step(
    x: ArrayLike,
    F: Callable[[np.ndarray], float],
    tau: float,
    *,
    grad: Callable[[np.ndarray], ArrayLike] | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> ProximalStep:
    """One proximal point step ``x_{k+1} = argmin_x |x - x_k|^2 / (2 tau) + F(x)``.

    The objective is scaled by ``tau``, ``G(y) = |y - x_k|^2 / 2 + tau F(y)`` (Hessian
    ``I + tau D^2 F``, well conditioned for small ``tau``), and minimised by BFGS from ``x_k``
    with the gradient ``grad G(y) = y - x_k + tau grad F(y)`` (Nocedal and Wright 2006,
    Sec. 6.1). The line search of BFGS compares values of ``G``, which resolve ``grad G`` only to
    about ``sqrt(eps)`` relative; when that leaves the residual above the tolerance, the point is
    polished by solving ``grad G = 0`` with Powell's hybrid method (MINPACK ``hybrd``, started
    from the BFGS point and kept only if it lowers the residual without raising ``G``). The
    step has converged when the first-order residual::

        r = |(x_{k+1} - x_k) / tau + grad F(x_{k+1})|

    is at most ``tol * max(|grad F(x_k)|, |x_k| / tau)``: relative to the explicit Euler velocity
    or, when ``x_k`` is nearly stationary, to ``|x_k| / tau`` (for convex ``F`` the error of
    ``x_{k+1}`` is at most ``tau r``, so this asks for ``x_{k+1}`` to relative accuracy ``tol``
    where ``F`` hardly moves ``x``, not for more than the round-off of ``x_k``). For convex
    ``F``, or ``tau < 1 / lambda`` when ``D^2 F >= -lambda I``, ``G`` is strictly convex and the
    minimiser unique; otherwise a local minimiser near ``x_k`` is returned.

    Parameters
    ----------
    x : array_like, shape (d,) or scalar
        The current point ``x_k`` (finite).
    F : callable ``F(x) -> float``
        The energy; called with arrays of the shape of ``x``.
    tau : float
        Time step ``> 0``.
    grad : callable ``grad(x) -> array``, optional
        ``grad F``, with the shape of ``x``; central differences of ``F`` when ``None``
        (accurate to about ``1e-10`` relative, so a smaller ``tol`` needs ``grad``).
    tol : float, default 1e-10
        Relative tolerance on the residual (see above), ``> 0``.
    max_iter : int, default 1000
        BFGS iteration budget, ``>= 1``.

    Returns
    -------
    ProximalStep
        ``(x, residual, n_iter, converged)``; ``x`` has the shape of the input.

    Warns
    -----
    ConvergenceWarning
        If the residual did not reach the tolerance (the best point found is returned).

    Raises
    ------
    TypeError
        ``F`` or ``grad`` not callable, ``tau`` not a real number, ``max_iter`` not an integer.
    ValueError
        Non-finite ``x``, ``tau <= 0``, ``tol <= 0``, ``max_iter < 1``, ``F(x_k)`` not a finite
        number, or ``grad(x_k)`` of the wrong shape or not finite.

    References
    ----------
    R. T. Rockafellar, "Monotone operators and the proximal point algorithm", SIAM J. Control
    Optim. 14 (1976) 877-898.

    R. Jordan, D. Kinderlehrer and F. Otto, "The variational formulation of the Fokker-Planck
    equation", SIAM J. Math. Anal. 29 (1998) 1-17.

    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer, 2006.

    Examples
    --------
    For ``F(x) = a |x|^2 / 2`` the step is implicit Euler, ``x_{k+1} = x_k / (1 + tau a)``:

    >>> import numpy as np
    >>> step = euclidean_jko_step([3.0, -1.5], lambda x: 50.0 * x @ x, 0.1, grad=lambda x: 100 * x)
    >>> step.x.round(12).tolist(), step.converged
    ([0.272727272727, -0.136363636364], True)
    """
    x0 = np.array(x, dtype=float)
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"x must be finite, got {x!r:.60}")
    check_callable(F, "F", "F(x) -> float")
    if grad is not None:
        check_callable(grad, "grad", "grad(x) -> array")
    tau = positive_number(tau, "tau")
    tol = positive_number(tol, "tol")
    max_iter = positive_int(max_iter, "max_iter")
    shape = x0.shape
    start = x0.ravel()

    def energy(y: np.ndarray) -> float:
        return float(F(y.reshape(shape)))

    def gradient(y: np.ndarray) -> np.ndarray:
        if grad is not None:
            return np.asarray(grad(y.reshape(shape)), dtype=float).reshape(-1)
        return _central_gradient(energy, y)

    value = energy(start)
    if not math.isfinite(value):
        raise ValueError(f"F(x) must be a finite number at the starting point, got {value!r}")
    if grad is not None:
        g0 = np.asarray(grad(x0.copy()), dtype=float)
        if g0.shape != shape or not np.all(np.isfinite(g0)):
            raise ValueError(
                f"grad(x) must return a finite array of the shape of x, {shape}, got "
                f"{g0.shape} {g0!r:.60}"
            )
    scale = max(float(np.linalg.norm(gradient(start))), float(np.linalg.norm(start)) / tau)

    def objective(y: np.ndarray) -> tuple[float, np.ndarray]:
        dy = y - start
        return 0.5 * float(dy @ dy) + tau * energy(y), dy + tau * gradient(y)

    found = scipy.optimize.minimize(
        objective,
        start,
        jac=True,
        method="BFGS",
        options={"gtol": tau * tol * scale, "norm": 2, "maxiter": max_iter},
    )
    y, n_iter = found.x, int(found.nit)
    residual = float(np.linalg.norm((y - start) / tau + gradient(y)))
    if residual > tol * scale:
        # The line search of BFGS compares values of G, which resolve grad G only down to about
        # sqrt(eps) relative; solve grad G = 0 from there (Powell's hybrid method, MINPACK).
        polished = scipy.optimize.root(
            lambda z: objective(z)[1], y, method="hybr", options={"maxfev": max_iter * (y.size + 1)}
        )
        r = float(np.linalg.norm((polished.x - start) / tau + gradient(polished.x)))
        n_iter += int(polished.nfev)
        lower = objective(polished.x)[0] <= found.fun + 64 * np.finfo(float).eps * abs(found.fun)
        if r < residual and lower:
            y, residual = polished.x, r
    converged = residual <= tol * scale
    if not converged:
        warnings.warn(
            f"euclidean_jko_step: residual {residual:.3g} above tol * scale = {tol * scale:.3g} "
            f"after {n_iter} iterations ({found.message})",
            ConvergenceWarning,
            stacklevel=2,
        )
    return ProximalStep(y.reshape(shape), residual, n_iter, converged)


def _central_gradient(f: Callable[[np.ndarray], float], y: np.ndarray) -> np.ndarray:
    """``grad f(y)`` by central differences with steps ``h_i = eps^(1/3) max(1, |y_i|)``."""
    h = _FD_STEP * np.maximum(1.0, np.abs(y))
    g = np.empty_like(y)
    for i in range(y.size):
        e = np.zeros_like(y)
        e[i] = h[i]
        g[i] = (f(y + e) - f(y - e)) / (2 * h[i])
    return g
