"""The operators of the back-and-forth method, for ``W2`` and for JKO steps: c-transforms with
their maps, push-forwards by those maps and the ``H^1`` preconditioner.

With potentials scaled so that the cost is ``|x - y|^2 / 2``, the c-transform of ``Psi``
is ``Psi^c(x) = min_y |x - y|^2 / 2 - Psi(y)``, computed exactly over the cell centres by the
backend kernel ``c_transform`` (separable lower envelopes), which also returns the index ``J``
of a minimiser. The minimiser is refined off the grid by one Newton step on the quadratic fit of
``F(y) = |x - y|^2 / 2 - Psi(y)`` along each axis through ``J - e_a, J, J + e_a``:

    y_a = y_{J,a} - h_a (F(J + e_a) - F(J - e_a)) / (2 (F(J + e_a) - 2 F(J) + F(J - e_a))),

a shift of at most half a cell (``J`` is a discrete minimiser) and zero where ``J`` is a wall
cell. The map ``S(x) = y(x)`` sends ``rho`` on the ``x`` side to ``mu`` on the ``y`` side. Two
discretisations of a push-forward by such a map are offered:

- the pull-back (:meth:`BackAndForthOperators.pull_back`): ``(S^{-1})_# mu`` is evaluated as

      (S^{-1})_# mu (x) = mu(S(x)) det DS(x),    DS = I - D(x - S(x)),

  with ``mu(S(x))`` the multilinear (cloud-in-cell) interpolant and ``D`` centred differences of
  the displacement ``x - S(x)`` (one-sided at walls): second-order accurate where the density
  and the map are smooth, but not mass-conserving, and wrong where the density jumps;
- sampling (:meth:`BackAndForthOperators.push_forward`): every cell is split into ``s^d``
  sub-cells, whose centres are moved by the multilinear interpolant of the displacement and
  deposited with cloud-in-cell weights (the sampling push-forward of Jacobs and Leger 2020) on
  the grid refined ``s`` times, then summed back to the cells: conserves mass exactly and
  handles jumps and vacuum, at the price of an aliasing error where the map stretches cells
  by more than ``s``.

The gradient steps are preconditioned by the inverse of ``theta - Laplace`` (Neumann on walled
axes by the DCT-II, periodic by the FFT, the eigenvalues of the five-point Laplacian) with the
zero mode dropped: a constant added to a potential changes nothing. The c-transform values are
the exact grid minima (only the map is refined): refining the values too breaks
``Phi^ccc = Phi^c`` on the grid.

References
----------
M. Jacobs and F. Leger, "A fast approach to optimal transport: the back-and-forth method",
Numer. Math. 146 (2020) 513-544.
P. F. Felzenszwalb and D. P. Huttenlocher, "Distance transforms of sampled functions", Theory
of Computing 8 (2012) 415-428.
"""

from __future__ import annotations

import numpy as np

from ..grid import Grid
from ..schemes.staggered import axis_eigenvalues


class BackAndForthOperators:
    """c-transforms, pull-backs and the preconditioner on one grid for one backend."""

    def __init__(self, grid: Grid, backend, dtype) -> None:
        self.grid = grid
        self._points = None
        self.be = backend
        xp = backend.xp
        self.xp = xp
        self.dtype = np.dtype(dtype)
        self.centres = [
            xp.asarray(grid.axis_centers(a), dtype=dtype).reshape(
                [-1 if b == a else 1 for b in range(grid.ndim)]
            )
            for a in range(grid.ndim)
        ]
        self._walled = tuple(a for a, p in enumerate(grid.periodic) if not p)
        self._periodic = tuple(a for a, p in enumerate(grid.periodic) if p)
        total = np.zeros([1] * grid.ndim)
        for a, (n, h, per) in enumerate(zip(grid.shape, grid.spacing, grid.periodic, strict=True)):
            length = n // 2 + 1 if per and a == self._periodic[-1] else n
            view = [1] * grid.ndim
            view[a] = length
            total = total + axis_eigenvalues(n, h, per, length).reshape(view)
        self._zero = (0,) * grid.ndim
        total[self._zero] = 1.0  # the zero mode is set to 0 after the division
        self._eigenvalues = xp.asarray(total)

    # -- preconditioner -------------------------------------------------------------------------
    def precondition(self, f, theta: float):
        """``(theta - Laplace)^{-1} f`` with its zero mode set to 0."""
        fft = self.be.fft
        coef = f
        if self._walled:
            coef = fft.dctn(coef, type=2, axes=self._walled, norm="ortho")
        if self._periodic:
            coef = fft.rfftn(coef, axes=self._periodic)
        coef = coef / (self._eigenvalues + theta)
        coef[self._zero] = 0
        if self._periodic:
            shape = [self.grid.shape[a] for a in self._periodic]
            coef = fft.irfftn(coef, s=shape, axes=self._periodic)
        if self._walled:
            coef = fft.idctn(coef, type=2, axes=self._walled, norm="ortho")
        return self.xp.ascontiguousarray(coef.astype(self.dtype, copy=False))

    # -- c-transform and its map ----------------------------------------------------------------
    def transform_values(self, Psi):
        """``Psi^c``, the c-transform without its map."""
        grid = self.grid
        return self.be.c_transform(-Psi, grid.spacing, grid.periodic, 1.0)

    def transform(self, Psi):
        """``(Psi^c, S)``: the c-transform and the refined minimiser map ``S(x)``, one array of
        positions per axis (unwrapped on periodic axes)."""
        xp, grid = self.xp, self.grid
        out, index = self.be.c_transform(-Psi, grid.spacing, grid.periodic, 1.0, minimiser=True)
        at = [j % n if p else j for j, n, p in zip(index, grid.shape, grid.periodic, strict=True)]
        strides = np.cumprod((1,) + grid.shape[:0:-1])[::-1]  # C order, in elements
        flat = sum(int(stride) * j for stride, j in zip(strides, at, strict=True))
        values = Psi.reshape(-1)
        centre_value = values.take(flat)
        positions = []
        for a, (n, h, per, lo) in enumerate(
            zip(grid.shape, grid.spacing, grid.periodic, grid.bounds, strict=True)
        ):
            stride = int(strides[a])
            y = lo[0] + (index[a] + 0.5) * h
            if per:
                up = values.take(flat + stride * xp.where(at[a] == n - 1, 1 - n, 1))
                down = values.take(flat - stride * xp.where(at[a] == 0, 1 - n, 1))
            else:
                up = values.take(flat + stride * (at[a] < n - 1))
                down = values.take(flat - stride * (at[a] > 0))
            gap = self.centres[a] - y  # x_a - y_a
            slope = -0.5 * (up - down) - h * gap  # (F(J + e) - F(J - e)) / 2
            curve = h * h - (up - 2 * centre_value + down)  # F(J + e) - 2 F(J) + F(J - e)
            inside = (curve > 0) if per else (curve > 0) & (at[a] > 0) & (at[a] < n - 1)
            shift = xp.clip(xp.where(inside, -slope / xp.where(inside, curve, 1.0), 0.0), -0.5, 0.5)
            positions.append(y + h * shift)
        return out, positions

    def pull_back(self, density, positions):
        """``density(S(x)) det DS(x)`` for the map ``S`` given by its ``positions``."""
        xp, grid = self.xp, self.grid
        points = xp.stack([p.reshape(-1) for p in positions], axis=1)
        if any(grid.periodic):  # wrap into the box for the interpolation
            lows = xp.asarray([b[0] for b in grid.bounds], dtype=self.dtype)
            lengths = xp.asarray(grid.lengths, dtype=self.dtype)
            wrapped = lows + xp.mod(points - lows, lengths)
            keep = xp.asarray(grid.periodic)
            points = xp.where(keep, wrapped, points)
        values = self.be.interpolate(density, points, grid.bounds, grid.periodic, "cic")
        values = xp.nan_to_num(values.reshape(grid.shape), nan=0.0)
        return values * self.jacobian(positions)

    def push_forward(self, density, positions, samples: int):
        """``S_# density`` by sampling: ``samples^d`` sub-cells per cell, their centres moved by
        the multilinear interpolant of the displacement ``S(x) - x``, deposited with
        cloud-in-cell weights on the grid refined ``samples`` times per axis, and summed back
        over the blocks of the fine cells. The mass is conserved to round-off, and the identity
        map gives ``density`` back exactly."""
        xp, grid, be = self.xp, self.grid, self.be
        d = grid.ndim
        mass = (density * grid.cell_volume).reshape(-1)
        if samples == 1:
            points = xp.stack([p.reshape(-1) for p in positions], axis=1)
            weights = mass
        else:
            displacement = [positions[a] - self.centres[a] for a in range(d)]
            offsets = (np.arange(samples) + 0.5) / samples - 0.5
            moved = []
            for shift in np.stack(np.meshgrid(*[offsets] * d, indexing="ij"), -1).reshape(-1, d):
                start = self._cell_points() + xp.asarray(shift * np.asarray(grid.spacing))
                step = [
                    be.interpolate(displacement[a], start, grid.bounds, grid.periodic, "cic")
                    for a in range(d)
                ]
                moved.append(start + xp.stack(step, axis=1))
            points = xp.concatenate(moved)
            weights = xp.tile(mass / samples**d, samples**d)
        points = self._into_box(points.astype(self.dtype, copy=False))
        fine = tuple(n * samples for n in grid.shape)
        pushed = be.deposit(points, weights, grid.bounds, fine, grid.periodic)
        if samples == 1:
            return pushed
        blocks = [m for n in grid.shape for m in (n, samples)]
        return pushed.reshape(blocks).mean(axis=tuple(range(1, 2 * d, 2)))

    def _cell_points(self):
        """The cell centres as an ``(n_cells, d)`` array (built once)."""
        if self._points is None:
            xp = self.xp
            mesh = xp.meshgrid(*[c.reshape(-1) for c in self.centres], indexing="ij")
            self._points = xp.stack([m.reshape(-1) for m in mesh], axis=1)
        return self._points

    def _into_box(self, points):
        """Points wrapped into the box on periodic axes and clipped to it on walled axes."""
        xp, grid = self.xp, self.grid
        lows = xp.asarray([b[0] for b in grid.bounds], dtype=self.dtype)
        highs = xp.asarray([b[1] for b in grid.bounds], dtype=self.dtype)
        wrapped = lows + xp.mod(points - lows, highs - lows)
        return xp.where(xp.asarray(grid.periodic), wrapped, xp.clip(points, lows, highs))

    def jacobian(self, positions):
        """``det DS`` from centred differences of the displacement ``x - S(x)``."""
        xp, grid = self.xp, self.grid
        d = grid.ndim
        matrix = [[None] * d for _ in range(d)]
        for b in range(d):
            displacement = self.centres[b] - positions[b]
            for a in range(d):
                matrix[b][a] = (1.0 if a == b else 0.0) - _centred(
                    displacement, a, grid.spacing[a], grid.periodic[a], xp
                )
        if d == 1:
            return matrix[0][0]
        if d == 2:
            return matrix[0][0] * matrix[1][1] - matrix[0][1] * matrix[1][0]
        m = matrix
        return (
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        )

    def transport_cost(self, rho, positions) -> float:
        """``|C| sum_i rho_i |x_i - S(x_i)|^2 / 2``, the transport cost of the map."""
        xp = self.xp
        total = xp.zeros_like(rho)
        for a in range(self.grid.ndim):
            total += (self.centres[a] - positions[a]) ** 2
        return 0.5 * float(xp.sum(rho * total)) * self.grid.cell_volume


def _centred(f, axis: int, h: float, periodic: bool, xp):
    """Centred difference of ``f`` along ``axis`` (one-sided in the wall cells)."""
    n = f.shape[axis]
    if n == 1:
        return xp.zeros_like(f)
    if periodic:
        return (xp.roll(f, -1, axis) - xp.roll(f, 1, axis)) / (2 * h)
    out = xp.empty_like(f)
    f = xp.moveaxis(f, axis, 0)
    view = xp.moveaxis(out, axis, 0)
    view[1:-1] = (f[2:] - f[:-2]) / (2 * h)
    view[0] = (f[1] - f[0]) / h
    view[-1] = (f[-1] - f[-2]) / h
    return out
