"""The estimated cost of explicit and implicit Fokker-Planck runs, which picks the default stepper.

``solve_fokker_planck(..., stepper="auto")`` (the default) runs whichever of two methods is
estimated to be cheaper on the given grid and time interval:

- explicit Euler (``"ssprk1"``) at ``DEFAULT_CFL`` of the positivity bound, ``n_exp = t_final
  * rate / cfl`` steps of one fused stage each (``rate`` is the bound
  ``max_i sum_a (f_{a,i+1} + g_{a,i}) / h_a``). Its step is proportional to ``h^2`` for
  diffusion (``h`` for pure drift), so its first-order time error has the order of the
  second-order spatial error on every grid; the two have opposite signs for diffusion (Euler
  over-damps, the three-point flux under-damps), and the total error measured on
  Ornstein-Uhlenbeck problems was 0.56-0.87 of the spatial error floor in 1D-3D
  (``tests/equations/test_fokker_planck_cost.py``);
- error-controlled BDF2 (:class:`~eulerflow.equations.fokker_planck_implicit.
  ErrorControlledSteps`) with the grid's default ``rtol``: ``IMPLICIT_STEPS_AT_RTOL /
  sqrt(rtol)`` steps (its step count on the Ornstein-Uhlenbeck benchmark, 37-141 steps on
  96^2-384^2, grows like ``rtol^(-1/2)``), each one sparse solve plus ``STAGES_PER_SOLVE``
  operator applications, and ``FACTORIZATIONS`` sparse LU factorisations (one per step when
  the operator depends on time).

Costs are counted in *stage units*, the time of one fused explicit stage on the same grid. A
sparse solve and an LU factorisation cost ``c (N / N_0)^b`` stage units for ``N`` cells, with
``c`` and ``b`` per dimension fitted to timings of SuperLU (``MMD_AT_PLUS_A``) against the Numba
stage on one thread (``benchmarks/fokker_planck_costs.py`` reproduces them): in 2D a solve is
12 stages at 128^2 and 50 at 512^2, a factorisation 480 and 2600; in 3D, 110 and 540 stages
at 24^3 and 48^3 for a solve and 15,000 and 108,000 for a factorisation. The model counts
array work only (no Python overhead per step) and was calibrated on the CPU; on a GPU the
explicit stage is relatively cheaper still, so the choice errs towards the implicit method
there.

References
----------
.. [1] L. R. Petzold, "Automatic selection of methods for solving stiff and nonstiff systems of
   ordinary differential equations", SIAM J. Sci. Stat. Comput. 4 (1983) 136-148 (choosing
   between explicit and implicit methods by the cost per unit step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_CFL = 0.8
"""The fraction of the positivity bound taken by explicit steps unless ``cfl`` is given."""
IMPLICIT_STEPS_AT_RTOL = 1.34
"""``n_steps * sqrt(rtol)`` of error-controlled BDF2 on the Ornstein-Uhlenbeck benchmark
(95 steps at ``rtol = 2e-4`` on 256^2)."""
STAGES_PER_SOLVE = 3.0
"""Operator applications of an implicit step besides its solve (error estimate, residuals)."""
FACTORIZATIONS = 3
"""LU factorisations of an error-controlled run with a time-independent operator (2-4
measured)."""
SOLVE_UNITS = {1: (4096, 5.0, 0.0), 2: (16384, 11.6, 0.53), 3: (13824, 110.0, 0.77)}
"""``(N_0, c, b)``: a sparse triangular solve pair costs ``c (N / N_0)^b`` stage units."""
FACTORIZATION_UNITS = {1: (4096, 170.0, 0.0), 2: (16384, 478.0, 0.61), 3: (13824, 14700.0, 0.96)}
"""``(N_0, c, b)``: a sparse LU factorisation costs ``c (N / N_0)^b`` stage units."""


@dataclass(frozen=True)
class StepperChoice:
    """The method ``stepper="auto"`` runs and the estimates that chose it.

    Attributes
    ----------
    stepper : str
        ``"ssprk1"`` or ``"bdf2"``.
    explicit_cost, implicit_cost : float
        Estimated work of the two runs in stage units.
    """

    stepper: str
    explicit_cost: float
    implicit_cost: float


def _units(table: dict, ndim: int, n_cells: int) -> float:
    n0, c, b = table[min(ndim, 3)]
    return c * (n_cells / n0) ** b


def solve_units(ndim: int, n_cells: int) -> float:
    """The price of one sparse solve in stage units (``SOLVE_UNITS``)."""
    return _units(SOLVE_UNITS, ndim, n_cells)


def factorization_units(ndim: int, n_cells: int) -> float:
    """The price of one sparse LU factorisation in stage units (``FACTORIZATION_UNITS``)."""
    return _units(FACTORIZATION_UNITS, ndim, n_cells)


def explicit_cost(t_final: float, rate: float, cfl: float = DEFAULT_CFL) -> float:
    """Stage units of an explicit Euler run: ``ceil(t_final rate / cfl)`` steps of one stage."""
    return float(math.ceil(t_final * rate / cfl)) if rate > 0 else 1.0


def implicit_work(ndim: int, n_cells: int, n_solves: float, n_factorizations: float) -> float:
    """Stage units of an implicit run with ``n_solves`` solves (each with ``STAGES_PER_SOLVE``
    operator applications) and ``n_factorizations`` LU factorisations."""
    solve = solve_units(ndim, n_cells) + STAGES_PER_SOLVE
    return n_solves * solve + n_factorizations * factorization_units(ndim, n_cells)


def implicit_cost(ndim: int, n_cells: int, rtol: float, time_dependent: bool) -> float:
    """Stage units of an error-controlled BDF2 run with tolerance ``rtol`` on ``n_cells`` cells
    in ``ndim`` dimensions (a factorisation per step when the operator depends on time)."""
    steps = IMPLICIT_STEPS_AT_RTOL / math.sqrt(rtol)
    factorizations = steps if time_dependent else FACTORIZATIONS
    return implicit_work(ndim, n_cells, steps, factorizations)


def choose_stepper(
    ndim: int, n_cells: int, t_final: float, rate: float, rtol: float, time_dependent: bool
) -> StepperChoice:
    """The cheaper of explicit Euler at ``DEFAULT_CFL`` of the positivity bound ``1 / rate`` and
    error-controlled BDF2 at ``rtol`` (ties go to the explicit method).

    Parameters
    ----------
    ndim, n_cells : int
        Dimension and number of cells of the grid.
    t_final : float
        Length of the run.
    rate : float
        The explicit positivity bound's rate at ``t = 0`` (``dt <= 1 / rate``).
    rtol : float
        The tolerance of the implicit run.
    time_dependent : bool
        Whether the operator changes in time (every implicit step refactorises).

    Returns
    -------
    StepperChoice

    Examples
    --------
    >>> choose_stepper(2, 256 * 256, 1.0, 2100.0, 2e-4, False).stepper
    'ssprk1'
    >>> choose_stepper(2, 256 * 256, 100.0, 2100.0, 2e-4, False).stepper
    'bdf2'
    """
    explicit = explicit_cost(t_final, rate)
    implicit = implicit_cost(ndim, n_cells, rtol, time_dependent)
    return StepperChoice("ssprk1" if explicit <= implicit else "bdf2", explicit, implicit)
