"""Hamiltonians ``H(t, x, p)`` for ``d_t phi + H(t, x, grad phi) = 0``: the base class, the
power and potential Hamiltonians and user callables.

A Hamiltonian evaluates ``H`` on arrays and bounds ``|dH/dp_a|`` on boxes of momenta (the
dissipation that Lax-Friedrichs fluxes and the CFL condition need). The power Hamiltonians are
also understood by the compiled kernels (``kernel_power`` and ``potential_values``), so a solve
with them runs fused on every backend; those with a compiled scalar form (``scalar_kernel``,
:mod:`.control_affine` and :mod:`.scalar`) run fused through ``Backend.hj_update_point``; a user
callable runs through the array expressions.

Classes
-------
PowerHamiltonian(q)
    ``H(p) = |p|^q / q``, ``q > 1``; ``q = 2`` is the default ``|p|^2 / 2`` of optimal transport.
QuadraticPotentialHamiltonian(U)
    ``H(x, p) = |p|^2 / 2 + U(x)``.
CallableHamiltonian(H, dissipation)
    Any ``H(x, p)`` (or ``H(t, x, p)``) with a bound on ``|dH/dp_a|``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..schemes.hj_fluxes import power_dissipation


class Hamiltonian:
    """Base class: ``H(x, p)`` with a bound on ``|dH/dp_a|``.

    ``kernel_power`` is ``q`` when ``H = |p|^q/q + U(x)`` (the form the compiled kernels
    evaluate), else ``None``; ``is_even`` says whether ``H(x, -p) = H(x, p)``.
    """

    kernel_power: float | None = None
    is_even: bool = False

    def __call__(self, coords: Sequence, p: Sequence, xp=np, t: float = 0.0):
        """``H(t, x, p)`` for broadcastable coordinate arrays and momentum components."""
        raise NotImplementedError

    def dissipation(
        self, coords: Sequence, p_low: Sequence, p_high: Sequence, xp=np, t: float = 0.0
    ) -> tuple:
        """Per axis ``a``, a bound of ``|dH/dp_a|`` over the box ``p_low <= p <= p_high``."""
        raise NotImplementedError

    def scalar_kernel(self):
        """The compiled scalar form ``point(t, x, p, low, high, table, cell, index) -> (H,
        alpha)`` of ``Backend.hj_update_point``, or ``None`` when there is none (the default)."""
        return None

    def table(self, coords):
        """Per-cell data that ``point`` reads (a tuple of four 2D float64 arrays, indexed by the
        cell's flat index ``cell`` or its per-axis ``index``), tabulated on the grid of the 1D
        cell-centre ``coords``, or ``None`` (the default: ``point`` needs none)."""
        return None

    def potential_values(self, grid):
        """``U`` at the cell centres for the kernels (``None`` when ``U = 0``)."""
        return None

    def reflected(self) -> Hamiltonian:
        """``H~(x, p) = H(x, -p)``, the Hamiltonian of the time-reversed problem for ``-phi``."""
        return self if self.is_even else _Reflected(self)


class PowerHamiltonian(Hamiltonian):
    """``H(p) = |p|^q / q`` with ``q > 1``; ``|dH/dp_a| = |p_a| |p|^(q-2) <= |p|^(q-1)``.

    Parameters
    ----------
    q : float, default 2
        The power, finite and ``> 1`` (``q = 2``: the Hamiltonian of quadratic transport).

    Raises
    ------
    ValueError
        For ``q`` not a finite number above 1.
    """

    is_even = True

    def __init__(self, q: float = 2.0) -> None:
        if not (isinstance(q, int | float) and math.isfinite(q) and q > 1):
            raise ValueError(f"the power q of |p|^q/q must be a finite number > 1, got {q!r}")
        self.q = float(q)
        self.kernel_power = self.q

    def __call__(self, coords, p, xp=np, t=0.0):
        norm2 = sum(pa * pa for pa in p)
        if self.q == 2.0:
            return 0.5 * norm2
        return norm2 ** (self.q / 2) / self.q

    def dissipation(self, coords, p_low, p_high, xp=np, t=0.0):
        big = [xp.maximum(xp.abs(lo), xp.abs(hi)) for lo, hi in zip(p_low, p_high, strict=True)]
        return power_dissipation(big, self.q, xp)

    def __repr__(self) -> str:
        return f"PowerHamiltonian(q={self.q:g})"


class QuadraticPotentialHamiltonian(Hamiltonian):
    """``H(x, p) = |p|^2 / 2 + U(x)`` with ``U`` a callable ``U(*coords)`` or an array.

    Parameters
    ----------
    potential : callable or numpy.ndarray
        ``U(*coords)`` evaluated at the cell centres, or its values on the cells (an array
        broadcastable to ``grid.shape``).

    Raises
    ------
    TypeError
        For a ``potential`` that is neither callable nor an array.
    """

    kernel_power = 2.0
    is_even = True

    def __init__(self, potential: Callable | np.ndarray) -> None:
        if not (callable(potential) or hasattr(potential, "shape")):
            raise TypeError("potential must be a callable U(*coords) or an array on the cells")
        self.potential = potential

    def __call__(self, coords, p, xp=np, t=0.0):
        return 0.5 * sum(pa * pa for pa in p) + self._values(coords, xp)

    def dissipation(self, coords, p_low, p_high, xp=np, t=0.0):
        return tuple(
            xp.maximum(xp.abs(lo), xp.abs(hi)) for lo, hi in zip(p_low, p_high, strict=True)
        )

    def potential_values(self, grid):
        values = self._values(grid.centers, np)
        values = np.broadcast_to(np.asarray(values, dtype=float), grid.shape)
        if not np.all(np.isfinite(values)):
            raise ValueError("the potential U has non-finite values on the grid")
        return np.ascontiguousarray(values)

    def _values(self, coords, xp):
        if callable(self.potential):
            return self.potential(*coords)
        return xp.asarray(self.potential)

    def __repr__(self) -> str:
        return "QuadraticPotentialHamiltonian(U)"


class CallableHamiltonian(Hamiltonian):
    """A user Hamiltonian ``H(x, p)`` or ``H(t, x, p)`` with a bound on ``|dH/dp_a|``.

    Parameters
    ----------
    hamiltonian : callable
        ``H(coords, p) -> array``, ``coords`` and ``p`` tuples of broadcastable arrays;
        ``H(t, coords, p)`` when ``time_dependent``.
    dissipation : float, sequence of float, or callable
        A bound on ``|dH/dp_a|``: one number for all axes, one per axis, or a callable
        ``(coords, p_low, p_high) -> tuple of arrays`` bounding it over the box of momenta
        (``(t, coords, p_low, p_high)`` when ``time_dependent``).
    even : bool, default False
        Declare ``H(x, -p) = H(x, p)``.
    time_dependent : bool, default False
        ``hamiltonian`` (and a callable ``dissipation``) take the time ``t`` first.
    """

    def __init__(
        self,
        hamiltonian: Callable,
        dissipation,
        even: bool = False,
        time_dependent: bool = False,
    ) -> None:
        if not callable(hamiltonian):
            raise TypeError("hamiltonian must be a callable H(coords, p)")
        if dissipation is None:
            raise ValueError(
                "a user Hamiltonian needs a bound on |dH/dp| (dissipation=...) for the "
                "Lax-Friedrichs flux and the CFL condition"
            )
        if not callable(dissipation):
            values = np.atleast_1d(np.asarray(dissipation, dtype=float))
            if values.ndim != 1 or not np.all(np.isfinite(values)) or np.any(values < 0):
                raise ValueError(
                    f"dissipation must be non-negative finite numbers, got {dissipation!r}"
                )
        self.hamiltonian = hamiltonian
        self._dissipation = dissipation
        self.is_even = bool(even)
        self.time_dependent = bool(time_dependent)

    def __call__(self, coords, p, xp=np, t=0.0):
        if self.time_dependent:
            return self.hamiltonian(t, tuple(coords), tuple(p))
        return self.hamiltonian(tuple(coords), tuple(p))

    def dissipation(self, coords, p_low, p_high, xp=np, t=0.0):
        if callable(self._dissipation):
            box = (tuple(coords), tuple(p_low), tuple(p_high))
            if self.time_dependent:
                return tuple(self._dissipation(t, *box))
            return tuple(self._dissipation(*box))
        values = np.atleast_1d(np.asarray(self._dissipation, dtype=float))
        if values.size == 1:
            values = np.repeat(values, len(p_low))
        if values.size != len(p_low):
            raise ValueError(f"dissipation needs 1 or {len(p_low)} values, got {values.size}")
        return tuple(float(v) for v in values)

    def __repr__(self) -> str:
        return f"CallableHamiltonian({getattr(self.hamiltonian, '__name__', 'H')})"


class _Reflected(Hamiltonian):
    """``H(x, -p)`` of a Hamiltonian that is not even."""

    def __init__(self, base: Hamiltonian) -> None:
        self.base = base

    def __call__(self, coords, p, xp=np, t=0.0):
        return self.base(coords, tuple(-pa for pa in p), xp, t=t)

    def dissipation(self, coords, p_low, p_high, xp=np, t=0.0):
        return self.base.dissipation(
            coords, tuple(-hi for hi in p_high), tuple(-lo for lo in p_low), xp, t=t
        )

    def reflected(self) -> Hamiltonian:
        return self.base


def as_hamiltonian(hamiltonian, dissipation=None) -> Hamiltonian:
    """``None`` -> ``|p|^2/2``; a :class:`Hamiltonian` as is; a callable with its bound.

    Parameters
    ----------
    hamiltonian : Hamiltonian, callable or None
        ``None`` for :class:`PowerHamiltonian` ``(2)``, a :class:`Hamiltonian` (returned as
        is), or a callable ``H(coords, p)`` wrapped in a :class:`CallableHamiltonian`.
    dissipation : float, sequence of float or callable, optional
        The bound on ``|dH/dp_a|`` of a callable ``hamiltonian`` (required then; see
        :class:`CallableHamiltonian`); ignored otherwise.

    Returns
    -------
    Hamiltonian
        The Hamiltonian that the solvers use.

    Raises
    ------
    TypeError
        When ``hamiltonian`` is none of the above.
    ValueError
        When ``hamiltonian`` is a callable and ``dissipation`` is missing or invalid.
    """
    if hamiltonian is None:
        return PowerHamiltonian(2.0)
    if isinstance(hamiltonian, Hamiltonian):
        return hamiltonian
    if callable(hamiltonian):
        return CallableHamiltonian(hamiltonian, dissipation)
    raise TypeError(
        "hamiltonian must be None (|p|^2/2), a eulerflow Hamiltonian or a callable H(coords, p)"
    )


def compiled_tuple(n: int, item: Callable, arity: int) -> Callable:
    """A Numba-compiled ``each(*args) -> (item(0, *args), .., item(n - 1, *args))``.

    Written out with literal indices (generated source), so that the tuple is built in registers
    (no array, no loop over a tuple of mixed types); ``item`` is a Numba function of the index
    and ``arity`` further arguments.
    """
    from numba import njit

    args = ", ".join(f"x{j}" for j in range(arity))
    body = "".join(f"item({a}, {args}), " for a in range(n))
    namespace: dict = {"item": item}
    exec(f"def each({args}):\n    return ({body})\n", namespace)  # noqa: S102
    return njit(inline="always", nogil=True, error_model="numpy")(namespace["each"])
