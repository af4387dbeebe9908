"""A user Hamiltonian written as scalar functions, compiled into the fused kernel.

:class:`ScalarHamiltonian` takes ``H(t, x, p)`` and a bound ``alpha(t, x, p_low, p_high)`` of
``|dH/dp_a|`` over a box of momenta, both written once on tuples of floats with NumPy functions
and no branches on values, so that Numba compiles them into ``Backend.hj_update_point`` (no array
temporaries per stage) and the array backends call them on arrays.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from .base import Hamiltonian, compiled_tuple


class ScalarHamiltonian(Hamiltonian):
    """``H(t, x, p)`` and its dissipation bound as scalar functions (the fast user path).

    Parameters
    ----------
    hamiltonian : callable
        ``H(t, x, p) -> float`` with ``x`` and ``p`` tuples of ``ndim`` floats (arrays on the
        NumPy and CuPy backends); Numba-compatible.
    dissipation : callable
        ``(t, x, p_low, p_high) -> tuple`` of ``ndim`` bounds of ``|dH/dp_a|`` over the box
        ``p_low <= p <= p_high``; Numba-compatible.
    ndim : int
        Number of axes (1 to 3).
    even : bool, default False
        Declare ``H(t, x, -p) = H(t, x, p)``.

    Raises
    ------
    TypeError
        For functions that are not callable.
    ValueError
        For ``ndim`` outside 1 to 3.

    Examples
    --------
    >>> import numpy as np
    >>> from eulerflow.hamiltonians import ScalarHamiltonian
    >>> eikonal = ScalarHamiltonian(  # |p| (front moving at unit speed)
    ...     lambda t, x, p: np.sqrt(p[0] ** 2 + p[1] ** 2),
    ...     lambda t, x, lo, hi: (1.0, 1.0),
    ...     ndim=2,
    ...     even=True,
    ... )
    >>> float(eikonal((0.0, 0.0), (np.array(3.0), np.array(4.0))))
    5.0
    """

    def __init__(
        self,
        hamiltonian: Callable,
        dissipation: Callable,
        ndim: int,
        even: bool = False,
    ) -> None:
        if not (callable(hamiltonian) and callable(dissipation)):
            raise TypeError("hamiltonian and dissipation must be callables of (t, x, p...)")
        if ndim not in (1, 2, 3):
            raise ValueError(f"ndim must be 1, 2 or 3, got {ndim!r}")
        self.hamiltonian, self._dissipation = hamiltonian, dissipation
        self.ndim = int(ndim)
        self.is_even = bool(even)
        self.sign = 1.0
        self._kernel = None
        self._reflected: ScalarHamiltonian | None = None

    def __call__(self, coords, p, xp=np, t=0.0):
        return self.hamiltonian(t, tuple(coords), tuple(self.sign * pa for pa in p))

    def dissipation(self, coords, p_low, p_high, xp=np, t=0.0):
        if self.sign < 0:
            p_low, p_high = tuple(-hi for hi in p_high), tuple(-lo for lo in p_low)
        return tuple(self._dissipation(t, tuple(coords), tuple(p_low), tuple(p_high)))

    def scalar_kernel(self):
        """``point(t, x, p, low, high, table, cell, index) -> (H, alpha)`` compiled by Numba
        (``alpha`` the tuple of bounds as floats; ``table``, ``cell`` and ``index`` unused)."""
        if self._kernel is None:
            self._kernel = _compile(self.hamiltonian, self._dissipation, self.sign, self.ndim)
        return self._kernel

    def reflected(self) -> Hamiltonian:
        """``H(t, x, -p)`` (the same object on every call: its kernel is compiled once)."""
        if self.is_even:
            return self
        if self._reflected is None:
            flipped = copy.copy(self)
            flipped.sign, flipped._kernel, flipped._reflected = -self.sign, None, self
            self._reflected = flipped
        return self._reflected

    def __repr__(self) -> str:
        return f"ScalarHamiltonian({getattr(self.hamiltonian, '__name__', 'H')})"


def _negation(ndim: int):
    """Compiled ``-p`` for a tuple of ``ndim`` floats."""
    from numba import njit

    bodies = {
        1: lambda p: (-p[0],),
        2: lambda p: (-p[0], -p[1]),
        3: lambda p: (-p[0], -p[1], -p[2]),
    }
    return njit(inline="always", nogil=True)(bodies[ndim])


def _compile(hamiltonian, dissipation, sign, ndim):
    from numba import njit

    def jit(fn):
        if hasattr(fn, "py_func"):  # a Numba dispatcher
            return fn
        return njit(inline="always", nogil=True, error_model="numpy")(fn)

    h, bound = jit(hamiltonian), jit(dissipation)
    _negated = _negation(ndim)

    @njit(inline="always", nogil=True, error_model="numpy")
    def as_float(a, b):
        return float(b[a])

    floats = compiled_tuple(ndim, as_float, 1)
    if sign > 0:

        @njit(inline="always", nogil=True, error_model="numpy")
        def point(t, x, p, low, high, table, cell, index):
            return h(t, x, p), floats(bound(t, x, low, high))

        return point

    @njit(inline="always", nogil=True, error_model="numpy")
    def point_reflected(t, x, p, low, high, table, cell, index):
        return h(t, x, _negated(p)), floats(bound(t, x, _negated(high), _negated(low)))

    return point_reflected
