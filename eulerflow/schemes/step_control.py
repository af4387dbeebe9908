"""Local error control of time steps: tolerances, the scaled error norm and the step controller.

A step from ``y_n`` to ``y_{n+1}`` comes with an estimate ``e`` of its local error (the
difference of an embedded pair, or of a corrector and its predictor). With the tolerances of
SciPy's ``solve_ivp`` (Hairer, Norsett and Wanner, *Solving Ordinary Differential Equations I*,
2nd ed., Springer 1993, section II.4), its size is measured in an L1 aggregate rather than their
root mean square,

    err = sum_i |e_i| / (N atol + rtol sum_i max(|y_n,i|, |y_{n+1},i|)),

because the states here are densities: the RMS of the scaled error lets a far tail whose
values are near zero dictate the step, while the L1 norm measures the mass the error moves,
which is what the solvers' errors are reported in,
and the step is accepted when ``err <= 1``. The next step is

    dt_new = dt min(max_factor, max(min_factor, safety err^(-1 / (q + 1))))

for an estimate of order ``q + 1`` in ``dt`` (``q`` the order of the lower method of the pair).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SAFETY = 0.9
MIN_FACTOR = 0.2
MAX_FACTOR = 5.0


def check_tolerances(rtol, atol) -> tuple[float, float | None]:
    """``(rtol, atol)`` validated: ``rtol`` in ``(0, 1)``, ``atol >= 0`` or ``None``.

    Raises
    ------
    ValueError
        A tolerance that is not a finite number in its range (the message names it).
    """
    if isinstance(rtol, bool) or not (
        isinstance(rtol, int | float | np.floating) and math.isfinite(rtol) and 0 < rtol < 1
    ):
        raise ValueError(f"rtol must be a number in (0, 1), got {rtol!r}")
    if atol is not None and (
        isinstance(atol, bool)
        or not (isinstance(atol, int | float | np.floating) and math.isfinite(atol) and atol >= 0)
    ):
        raise ValueError(f"atol must be a non-negative number or None, got {atol!r}")
    return float(rtol), None if atol is None else float(atol)


@dataclass
class ErrorControl:
    """Scaled error norm and step-size proposals for one run.

    Parameters
    ----------
    rtol, atol : float
        Relative and absolute tolerances (``atol`` in the units of the state).
    order : int
        ``q + 1``: the power of ``dt`` in the local error estimate.
    max_factor : float
        Largest growth of the step from one step to the next.
    """

    rtol: float
    atol: float
    order: int
    max_factor: float = MAX_FACTOR

    def norm(self, error, old, new, xp) -> float:
        """The scaled size of ``error`` (see the module docstring)."""
        allowed = self.atol * error.size + self.rtol * float(
            xp.maximum(xp.abs(old), xp.abs(new)).sum()
        )
        size = float(xp.abs(error).sum())
        if allowed > 0:
            return size / allowed
        return 0.0 if size == 0 else math.inf

    def factor(self, err: float, order: int | None = None) -> float:
        """The ratio ``dt_new / dt`` after a step whose scaled error was ``err``."""
        order = self.order if order is None else order
        if err == 0:
            return self.max_factor
        if not math.isfinite(err):
            return MIN_FACTOR
        return min(self.max_factor, max(MIN_FACTOR, SAFETY * err ** (-1.0 / order)))
