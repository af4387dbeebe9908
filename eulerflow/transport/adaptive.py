"""Residual balancing of the step parameter of the Benamou-Brenier iterations.

Every method has one proximal step ``s`` for the kinetic action ``J`` (Douglas-Rachford:
``gamma``; Chambolle-Pock: ``1 / sigma``, with ``tau = theta / sigma`` so that ``sigma tau``
stays fixed; ALG2: ``1 / r``). A larger step moves the iterate faster towards the minimiser of
``J`` and slower towards the constraint, so it raises the ratio ``primal / dual`` of the
solver's relative residuals (:mod:`eulerflow.transport.iteration`); measured on smooth, peaked,
disk and near-vacuum pairs, the ratio grows monotonically with ``s`` for all three methods.
Residual balancing (He, Yang and Wang 2000 for the penalty of ADMM; Goldstein, Li, Yuan, Esser
and Baraniuk 2015 for the steps of primal-dual splitting) changes ``s`` by a factor when one
residual exceeds ``mu`` times the other:

    s <- s / factor   if primal > mu dual,
    s <- s * factor   if dual > mu primal,

and keeps it otherwise. The number of changes is bounded (``max_changes``), so the step is
eventually constant and the convergence of the fixed-step method applies (He, Yang and Wang
ask for summable relative changes; a finite number of them is a special case). Each method
rescales its internal state so that the current iterate and subgradient are kept
(:meth:`eulerflow.transport.iteration.Method.scale_step`).

References
----------
B. S. He, H. Yang and S. L. Wang, "Alternating direction method with self-adaptive penalty
parameters for monotone variational inequalities", J. Optim. Theory Appl. 106 (2000), 337-356.

T. Goldstein, M. Li, X. Yuan, E. Esser and R. Baraniuk, "Adaptive primal-dual splitting methods
for statistical learning and image processing", Advances in Neural Information Processing
Systems 28 (2015).
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass
class ResidualBalancing:
    """The rule above; :meth:`factor_for` returns the factor to apply to the step."""

    mu: float = 10.0
    factor: float = 2.0
    max_changes: int = 20
    changes: int = 0

    def factor_for(self, primal: float, dual: float) -> float:
        """The factor for the step given the relative residuals (1 when balanced, when either
        is not finite, or after ``max_changes`` changes)."""
        if self.changes >= self.max_changes or not (math.isfinite(primal) and math.isfinite(dual)):
            return 1.0
        if primal > self.mu * dual:
            self.changes += 1
            return 1.0 / self.factor
        if dual > self.mu * primal:
            self.changes += 1
            return self.factor
        return 1.0
