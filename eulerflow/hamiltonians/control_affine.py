"""The Hamiltonian of a control-affine differential game, in closed form and compiled.

For the dynamics ``x' = f(t, x) + G(t, x) u + D(t, x) d`` with controls ``u`` in a set ``U`` and
disturbances ``d`` in a set ``V`` (boxes or balls, :mod:`.control_sets`), the value function of
reachability solves ``d_t phi + H(t, x, grad phi) = 0`` backward in time with

- ``mode="reach"`` (the control drives the state into the target, the disturbance opposes):
  ``H(t, x, p) = min_u max_d p . (f + G u + D d)
  = p . f + min_u (G^T p) . u + max_d (D^T p) . d``;
- ``mode="avoid"`` (the control keeps the state out of the target):
  ``H(t, x, p) = max_u min_d p . (f + G u + D d)``

(Mitchell, Bayen and Tomlin, IEEE Trans. Automat. Control 50, 2005; the game is separable in
``u`` and ``d``, so the order of max and min does not matter). Each extreme is a closed form of
the set. ``dH/dp = f + G u* + D d*`` with optimal ``u*``, ``d*``, so the dissipation bound of axis
``a`` is ``alpha_a = max(|f_a + min_u (G u)_a + min_d (D d)_a|, |f_a + max_u (G u)_a + max_d (D
d)_a|)``: the largest ``|dH/dp_a|`` at ``x`` over all momenta.

The dynamics are written once, as functions of ``(t, x)`` with ``x`` a tuple of coordinates,
using NumPy functions (``np.cos``, ...) and no branches on values: the same code runs on arrays
(NumPy and CuPy backends) and, compiled by Numba, on scalars inside the fused kernel of
``Backend.hj_update_point``. With ``time_invariant=True`` they are evaluated once on the grid
(:meth:`ControlAffine.table`), and the CuPy backend's fused CUDA kernel reads that table and the
set constants of :meth:`ControlAffine.kernel_parameters`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .base import Hamiltonian, compiled_tuple
from .control_sets import ControlSet

MODES = ("reach", "avoid")
"""The modes of :class:`ControlAffine`."""


class KernelParameters(NamedTuple):
    """The constants of a time-invariant :class:`ControlAffine` for a CUDA kernel (see
    :meth:`ControlAffine.kernel_parameters`)."""

    sign: float
    """``1.0``, or ``-1.0`` for the reflected game ``H(t, x, -p)``."""
    maximize: bool
    """The control maximises ``p . G u`` (``mode="avoid"``); it minimises for ``"reach"``."""
    control: tuple
    """``(code, values, dim)`` of the control set (:meth:`.ControlSet.kernel_parameters`)."""
    disturbance: tuple | None
    """The same for the disturbance set, ``None`` without disturbance."""


class ControlAffine(Hamiltonian):
    """``H(t, x, p)`` of ``x' = f(t, x) + G(t, x) u + D(t, x) d``, ``u`` in ``U``, ``d`` in ``V``.

    Parameters
    ----------
    drift : callable
        ``f(t, x) -> tuple`` of ``ndim`` values; ``x`` is a tuple of ``ndim`` coordinates
        (scalars in the compiled kernel, arrays otherwise). Write it with NumPy functions and
        return floats (``0.0``, not ``0``).
    control_matrix : callable
        ``G(t, x) -> tuple`` of ``ndim`` rows, each a tuple of ``control_set.dim`` values.
    disturbance_matrix : callable, optional
        ``D(t, x)`` likewise with ``disturbance_set.dim`` columns; ``None``: no disturbance.
    control_set : ControlBox or ControlBall
        The set ``U`` of controls.
    disturbance_set : ControlBox or ControlBall, optional
        The set ``V`` of disturbances (required with ``disturbance_matrix``).
    mode : {"reach", "avoid"}
        ``"reach"``: the control minimises ``p . x'`` and the disturbance maximises it;
        ``"avoid"``: the reverse (see the module docstring).
    ndim : int, optional
        Number of state variables; default found by calling ``drift(0.0, x)`` with
        ``x = (0.0,) * n`` for ``n = 1, 2, 3``.
    time_invariant : bool, default False
        Declare that ``f``, ``G`` and ``D`` do not depend on ``t``: the fused kernel then reads
        them from a table computed once on the grid instead of evaluating them at every cell and
        stage; entries returned as numbers are compiled in, entries of one coordinate are
        tabulated along its axis, only the others per cell (:meth:`table`) on
        Numba; on CuPy this selects the fused CUDA kernel, which reads :meth:`dense_table`.

    Raises
    ------
    TypeError
        For dynamics that are not callable or sets that are not a ControlBox or ControlBall.
    ValueError
        For an unknown ``mode``, a disturbance matrix without its set (or the reverse), or
        dynamics whose shapes do not match ``ndim`` and the sets.

    References
    ----------
    .. [1] I. M. Mitchell, A. M. Bayen and C. J. Tomlin, "A time-dependent Hamilton-Jacobi
       formulation of reachable sets for continuous dynamic games", IEEE Trans. Automat.
       Control 50 (2005) 947-957.
    .. [2] L. C. Evans and P. E. Souganidis, "Differential games and representation formulas
       for solutions of Hamilton-Jacobi-Isaacs equations", Indiana Univ. Math. J. 33 (1984)
       773-797.

    Examples
    --------
    >>> import numpy as np
    >>> from eulerflow.hamiltonians import ControlAffine, ControlBox
    >>> car = ControlAffine(  # x' = u, |u| <= 1: H = -|p| for reaching
    ...     lambda t, x: (0.0,), lambda t, x: ((1.0,),), control_set=ControlBox([-1], [1])
    ... )
    >>> float(car((np.zeros(1),), (np.array([2.0]),))[0])
    -2.0
    """

    def __init__(
        self,
        drift: Callable,
        control_matrix: Callable,
        disturbance_matrix: Callable | None = None,
        control_set: ControlSet | None = None,
        disturbance_set: ControlSet | None = None,
        mode: str = "reach",
        ndim: int | None = None,
        time_invariant: bool = False,
    ) -> None:
        for name, fn in (("drift", drift), ("control_matrix", control_matrix)):
            if not callable(fn):
                raise TypeError(f"{name} must be a callable f(t, x), got {fn!r}")
        if disturbance_matrix is not None and not callable(disturbance_matrix):
            raise TypeError("disturbance_matrix must be a callable D(t, x) or None")
        if not isinstance(control_set, ControlSet):
            raise TypeError("control_set must be a ControlBox or a ControlBall")
        if (disturbance_matrix is None) != (disturbance_set is None):
            raise ValueError(
                "disturbance_matrix and disturbance_set go together: pass both or none"
            )
        if disturbance_set is not None and not isinstance(disturbance_set, ControlSet):
            raise TypeError("disturbance_set must be a ControlBox or a ControlBall")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.drift, self.control_matrix = drift, control_matrix
        self.disturbance_matrix = disturbance_matrix
        self.control_set, self.disturbance_set = control_set, disturbance_set
        self.mode = mode
        self.sign = 1.0
        self.ndim = _infer_ndim(drift) if ndim is None else int(ndim)
        self._check_shapes()
        self.time_invariant = bool(time_invariant)
        self._kernel = None
        self._table = None
        self._dense_table = None
        self._layout: tuple | None = None
        self._reflected: ControlAffine | None = None

    def _check_shapes(self) -> None:
        x = (0.0,) * self.ndim
        try:
            f = self.drift(0.0, x)
        except (IndexError, TypeError, ValueError) as err:
            raise ValueError(f"drift(t, x) fails for a state x of ndim={self.ndim}: {err}") from err
        if len(f) != self.ndim:
            raise ValueError(f"drift returned {len(f)} values for ndim={self.ndim}")
        pairs = [("control_matrix", self.control_matrix, self.control_set)]
        if self.disturbance_matrix is not None:
            pairs.append(("disturbance_matrix", self.disturbance_matrix, self.disturbance_set))
        for name, fn, space in pairs:
            rows = fn(0.0, x)
            if len(rows) != self.ndim or any(len(row) != space.dim for row in rows):
                raise ValueError(
                    f"{name} must return {self.ndim} rows of {space.dim} values (the dimension "
                    "of its set)"
                )

    # -- arrays ---------------------------------------------------------------------------------
    def __call__(self, coords, p, xp=np, t=0.0):
        x = tuple(coords)
        q = [self.sign * pa for pa in p]
        maximize = self.mode == "avoid"
        value = 0.0
        for qa, fa in zip(q, self.drift(t, x), strict=True):
            value = value + qa * fa
        value = value + self.control_set.extreme(
            _columns(q, self.control_matrix(t, x), self.control_set.dim), maximize, xp
        )
        if self.disturbance_matrix is not None:
            value = value + self.disturbance_set.extreme(
                _columns(q, self.disturbance_matrix(t, x), self.disturbance_set.dim),
                not maximize,
                xp,
            )
        return value

    def dissipation(self, coords, p_low, p_high, xp=np, t=0.0):
        x = tuple(coords)
        f = self.drift(t, x)
        g = self.control_matrix(t, x)
        d = self.disturbance_matrix(t, x) if self.disturbance_matrix is not None else None
        bounds = []
        for a in range(self.ndim):
            low, high = self.control_set.row_range(g[a], xp)
            low, high = f[a] + low, f[a] + high
            if d is not None:
                d_low, d_high = self.disturbance_set.row_range(d[a], xp)
                low, high = low + d_low, high + d_high
            bounds.append(xp.maximum(xp.abs(low), xp.abs(high)))
        return tuple(bounds)

    # -- compiled -------------------------------------------------------------------------------
    def scalar_kernel(self):
        """``point(t, x, p, low, high, table, cell, index) -> (H, alpha)``: the closed form on
        scalars, Numba-compiled with the dynamics inlined (or read from the :meth:`table` at the
        cell's flat index ``cell`` and per-axis ``index`` when ``time_invariant``), and the tuple
        of bounds ``alpha_a`` (see the module docstring)."""
        if self._kernel is None:
            self._kernel = _compile(self)
        return self._kernel

    def table(self, coords):
        """Time-invariant dynamics tabulated on the grid of the 1D cell-centre ``coords``:
        ``(grid, axis_0, axis_1, axis_2)``, 2D float64 arrays. The entries of ``f``, ``G`` and
        ``D`` that depend on one axis only are tabulated along it (a row of ``axis_a`` per entry,
        one column per cell of the axis), those that depend on several in ``grid`` (a row per
        entry, one column per cell in C order), and those the dynamics return as numbers are
        compiled into the kernel (see :meth:`layout`); unused arrays are ``(1, 1)`` zeros.
        ``None`` when the dynamics may depend on time (the kernel evaluates them at every cell
        and stage)."""
        if not self.time_invariant:
            return None
        coords = tuple(coords)
        if self._table is not None and self._table[0] is coords:
            return self._table[1]
        grids = _open_grids(coords)
        shape = tuple(len(c) for c in coords)
        rows: list[list] = [[], [], [], []]
        for entry, (kind, where) in zip(self._entries(grids), self.layout(), strict=True):
            if kind == "grid":
                rows[0].append(np.broadcast_to(np.asarray(entry, dtype=float), shape).reshape(-1))
            elif kind == "axis":
                rows[1 + where].append(np.asarray(entry, dtype=float).reshape(-1))
        table = tuple(
            np.ascontiguousarray(np.stack(group)) if group else np.zeros((1, 1)) for group in rows
        )
        self._table = (coords, table)
        return table

    def layout(self) -> tuple:
        """Per entry of ``f``, then ``G`` and ``D`` row by row: ``("constant", value)`` for an
        entry the dynamics return as a number, ``("axis", a)`` for one that depends on axis ``a``
        only, ``("grid", None)`` otherwise; found once by evaluating the dynamics on probe
        coordinates with two values per axis."""
        if self._layout is None:
            probe = _open_grids((np.array([1.0, 2.0]),) * self.ndim)
            layout = []
            with np.errstate(all="ignore"):
                entries = self._entries(probe)
            for entry in entries:
                if not isinstance(entry, np.ndarray) and np.ndim(entry) == 0:
                    layout.append(("constant", float(entry)))
                    continue
                axes = [a for a, n in enumerate(np.shape(entry)) if n > 1]
                layout.append(("axis", axes[0]) if len(axes) == 1 else ("grid", None))
            self._layout = tuple(layout)
        return self._layout

    def _entries(self, grids) -> list:
        """``f``, then the rows of ``G`` and ``D``, flattened, at ``t = 0`` on ``grids``."""
        entries = list(self.drift(0.0, grids))
        matrices = [self.control_matrix(0.0, grids)]
        if self.disturbance_matrix is not None:
            matrices.append(self.disturbance_matrix(0.0, grids))
        for matrix in matrices:
            entries += [entry for row in matrix for entry in row]
        return entries

    def dense_table(self, coords):
        """Time-invariant dynamics on the grid of the 1D cell-centre ``coords`` as one 2D float64
        array: row ``r`` holds entry ``r`` of ``f``, then of ``G`` and ``D`` row by row, one
        column per cell in C order (every entry at every cell, whatever :meth:`layout` says: the
        layout of the CUDA kernel, whose threads read consecutive cells of a row); ``None`` when
        the dynamics may depend on time."""
        if not self.time_invariant:
            return None
        coords = tuple(coords)
        if self._dense_table is not None and self._dense_table[0] is coords:
            return self._dense_table[1]
        grids = _open_grids(coords)
        shape = tuple(len(c) for c in coords)
        rows = [
            np.broadcast_to(np.asarray(entry, dtype=float), shape).reshape(-1)
            for entry in self._entries(grids)
        ]
        table = np.ascontiguousarray(np.stack(rows))
        self._dense_table = (coords, table)
        return table

    def kernel_parameters(self) -> KernelParameters | None:
        """The constants that a CUDA kernel needs besides :meth:`dense_table` (the set codes and
        bounds, the sign and the mode), or ``None`` when the dynamics may depend on time or a
        set is unknown to the kernels (see ``eulerflow.backends.cupy.hj_point``)."""
        if not self.time_invariant:
            return None
        sets = [self.control_set]
        if self.disturbance_set is not None:
            sets.append(self.disturbance_set)
        found = [space.kernel_parameters() for space in sets]
        if any(params is None for params in found):
            return None
        described = [
            (code, tuple(values), space.dim)
            for (code, values), space in zip(found, sets, strict=True)
        ]
        return KernelParameters(
            self.sign,
            self.mode == "avoid",
            described[0],
            described[1] if len(described) > 1 else None,
        )

    def reflected(self) -> ControlAffine:
        """``H(t, x, -p)``: the game with the momenta negated (for ``direction="backward"``); the
        same object on every call, so that its compiled kernel is reused."""
        if self._reflected is None:
            flipped = copy.copy(self)
            flipped.sign, flipped._kernel, flipped._reflected = -self.sign, None, self
            flipped._table = flipped._dense_table = None
            self._reflected = flipped
        return self._reflected

    def __repr__(self) -> str:
        flip = ", reflected" if self.sign < 0 else ""
        return (
            f"ControlAffine({getattr(self.drift, '__name__', 'f')}, mode={self.mode!r}, "
            f"U={self.control_set!r}, V={self.disturbance_set!r}{flip})"
        )


def _open_grids(coords) -> tuple:
    """The 1D ``coords`` as float arrays that broadcast to the grid (axis ``a`` along ``a``)."""
    ndim = len(coords)
    return tuple(
        np.asarray(c, dtype=float).reshape([-1 if b == a else 1 for b in range(ndim)])
        for a, c in enumerate(coords)
    )


def _columns(q, matrix, dim):
    """``c_j = sum_a q_a matrix[a][j]`` for ``j < dim`` (the order of the scalar ``_column``)."""
    columns = []
    for j in range(dim):
        c = 0.0
        for qa, row in zip(q, matrix, strict=True):
            c = c + qa * row[j]
        columns.append(c)
    return columns


def _infer_ndim(drift) -> int:
    for n in (1, 2, 3):
        try:
            if len(drift(0.0, (0.0,) * n)) == n:
                return n
        except (IndexError, TypeError, ValueError):
            continue
    raise ValueError("could not infer the number of state variables from drift: pass ndim=")


def _jit(fn):
    """``fn`` compiled by Numba for inlining (as is when it already is a Numba function)."""
    from numba import njit

    if hasattr(fn, "py_func"):  # a Numba dispatcher
        return fn
    return njit(inline="always", nogil=True, error_model="numpy")(fn)


def _compile(h: ControlAffine):
    """The scalar ``point`` of :meth:`ControlAffine.scalar_kernel` (closures over constants).

    The closed form reads ``f``, ``G`` and ``D`` either from the user's functions (tuples) or,
    for time-invariant dynamics, from the cell's column of the table: the same operations in the
    same order either way.
    """
    from numba import njit

    u_extreme, u_range = h.control_set.scalar_functions()
    sign = h.sign
    maximize = h.mode == "avoid"
    jit = {"nogil": True, "error_model": "numpy"}
    has_d = h.disturbance_matrix is not None
    d_extreme, d_range = (
        h.disturbance_set.scalar_functions() if has_d else h.control_set.scalar_functions()
    )

    @njit(inline="always", **jit)
    def axis_bound(a, f, g, d):
        lo, hi = u_range(g[a])
        lo, hi = f[a] + lo, f[a] + hi
        if has_d:
            d_lo, d_hi = d_range(d[a])
            lo, hi = lo + d_lo, hi + d_hi
        return max(abs(lo), abs(hi))

    bounds = compiled_tuple(h.ndim, axis_bound, 3)

    @njit(inline="always", **jit)
    def closed_form(p, f, g, d):
        value = 0.0
        for a in range(len(p)):
            value = value + (sign * p[a]) * f[a]
        value = value + u_extreme(p, sign, g, maximize)
        if has_d:
            value = value + d_extreme(p, sign, d, not maximize)
        return value, bounds(f, g, d)

    if h.time_invariant:
        n, m = h.ndim, h.control_set.dim
        k = h.disturbance_set.dim if has_d else 0

        unpack = _unpacker(n, m, k, h.layout())

        @njit(inline="always", **jit)
        def point_table(t, x, p, low, high, table, cell, index):
            f, g, d = unpack(table, cell, index)
            return closed_form(p, f, g, d if has_d else g)

        return point_table

    drift, gmat = _jit(h.drift), _jit(h.control_matrix)
    dmat = _jit(h.disturbance_matrix) if has_d else gmat

    @njit(inline="always", **jit)
    def point(t, x, p, low, high, table, cell, index):
        return closed_form(p, drift(t, x), gmat(t, x), dmat(t, x))

    return point


def _unpacker(n: int, m: int, k: int, layout: tuple):
    """A compiled ``unpack(table, cell, index) -> (f, G, D)``: the cell's entries as tuples of the
    dynamics' shapes (``D = ()`` when ``k = 0``), each a constant, a read of ``table[1 + a]`` at
    the cell's ``index[a]`` or of ``table[0]`` at its flat index ``cell`` (the ``layout``). Tuples
    of literal reads are what Numba keeps in registers; array views would be built at every
    cell."""
    namespace: dict = {}
    used = [0, 0, 0, 0]
    reads = []
    for e, (kind, where) in enumerate(layout):
        if kind == "constant":
            namespace[f"c{e}"] = where
            reads.append(f"c{e}")
        elif kind == "axis":
            reads.append(f"table[{1 + where}][{used[1 + where]}, index[{where}]]")
            used[1 + where] += 1
        else:
            reads.append(f"table[0][{used[0]}, cell]")
            used[0] += 1
    reads = iter(reads)

    def tuple_of(items):
        return "(" + "".join(f"{item}, " for item in items) + ")"

    f = tuple_of(next(reads) for _ in range(n))
    g = tuple_of(tuple_of(next(reads) for _ in range(m)) for _ in range(n))
    d = tuple_of(tuple_of(next(reads) for _ in range(k)) for _ in range(n)) if k else "()"
    from numba import njit

    exec(f"def unpack(table, cell, index):\n    return {f}, {g}, {d}\n", namespace)  # noqa: S102
    return njit(inline="always", nogil=True, error_model="numpy")(namespace["unpack"])
