"""Warnings and errors raised by eulerflow solvers."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance (see ``result.converged``)."""


class NonPeriodicVelocityWarning(UserWarning):
    """A velocity on a periodic axis differs between the two ends; the end faces were averaged."""


class DissipationWarning(UserWarning):
    """A user's bound on ``|dH/dp|`` (``dissipation``) is below a slope that the Hamiltonian
    shows on the solution: the Lax-Friedrichs scheme is then not monotone."""


class StepBudgetWarning(UserWarning):
    """A time-marching solver used up its step budget (``max_steps``) before ``t_final``; the
    result ends where it stopped (``status=1``)."""


class UnstableSolutionError(FloatingPointError):
    """A time integration produced non-finite or negative values (an unstable setting).

    Raised by the time-marching solvers; ``err.solution``, where set, is the partial
    :class:`~eulerflow.Solution` (``status=-1``) whose last snapshot is the invalid state.
    """

    solution = None
