"""Warnings and errors raised by eulerflow solvers."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance (see ``result.converged``)."""


class NonPeriodicVelocityWarning(UserWarning):
    """A velocity on a periodic axis differs between the two ends; the end faces were averaged."""


class UnstableSolutionError(FloatingPointError):
    """A time integration produced non-finite or negative values (an unstable setting)."""
