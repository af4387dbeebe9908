"""Interaction energy ``E(rho) = 1/2 int int W(x - y) rho(x) rho(y) dx dy``, by FFT convolution.

Discretisation, with cell centres ``x_i`` and cell volume ``|C|``:

    E_h(rho) = |C|^2 / 2 sum_i sum_j W_s(x_i - x_j) rho_i rho_j,
    first_variation(rho)_i = (W_s * rho)_i = |C| sum_j W_s(x_i - x_j) rho_j,

where ``W_s(z) = (W(z) + W(-z)) / 2`` is the symmetric part of ``W`` (the quadratic form only
sees it; using it makes the first variation the exact gradient of ``E_h``). The differences
``x_i - x_j`` lie on the *difference grid*: ``k_a h_a`` with ``k_a = -(n_a - 1)..(n_a - 1)``,
``2 n_a - 1`` values per axis.

- On a walled axis the sum is a linear (aperiodic) convolution. It is computed by a circular
  FFT convolution of length ``N >= 2 n - 1`` (``scipy.fft.next_fast_len``) with ``rho``
  zero-padded, the kernel placed at ``k`` for ``k >= 0`` and at ``N + k`` for ``k < 0``: no
  index difference ``|i - j| <= n - 1`` wraps onto another, so nothing wraps around.
- On a periodic axis the differences are periodic: ``i - j`` is taken modulo ``n`` and ``W``
  is evaluated at the nearest image ``k h`` with ``|k| <= n / 2`` (for even ``n`` the
  half-period difference ``k = n / 2`` takes the mean of ``W`` at ``+-L / 2``). The
  convolution is circular of length ``n``.

The FFT is the backend's (``scipy.fft`` for NumPy arrays, ``cupyx.scipy.fft`` for CuPy arrays)
in the precision of ``rho``; the transformed kernel is computed once per grid and dtype.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft

from ..arrays import array_module
from ..grid import Grid
from .base import Energy, check_density_shape


def difference_grid_shape(grid: Grid) -> tuple[int, ...]:
    """Shape ``(2 n_a - 1, ...)`` of an interaction kernel array for ``grid``.

    Parameters
    ----------
    grid : Grid
        The grid of the densities, with ``n_a`` cells along axis ``a``.

    Returns
    -------
    tuple of int
        ``2 n_a - 1`` per axis: the number of cell-centre differences ``k_a h_a`` along it.
    """
    return tuple(2 * n - 1 for n in grid.shape)


def difference_coordinates(grid: Grid) -> tuple[np.ndarray, ...]:
    """Broadcastable coordinates ``k_a h_a``, ``k_a = -(n_a-1)..(n_a-1)``, of the differences.

    Parameters
    ----------
    grid : Grid
        The grid of the densities, with ``n_a`` cells of width ``h_a`` along axis ``a``.

    Returns
    -------
    tuple of numpy.ndarray
        One array per axis ``a``, of length ``2 n_a - 1`` along axis ``a`` and 1 along the
        others (so they broadcast to :func:`difference_grid_shape`), holding ``k_a h_a`` in the
        units of the grid's coordinates.
    """
    coords = []
    for axis, (n, h) in enumerate(zip(grid.shape, grid.spacing, strict=True)):
        shape = [1] * grid.ndim
        shape[axis] = 2 * n - 1
        coords.append((h * np.arange(-(n - 1), n)).reshape(shape))
    return tuple(coords)


class Interaction(Energy):
    """Interaction energy ``1/2 int int W(x - y) rho(x) rho(y) dx dy`` (not local).

    Parameters
    ----------
    W : callable or array
        ``W(*dx)``, a vectorised function of the components of the difference vector
        ``x - y`` (for example ``lambda *dx: 0.5 * sum(c**2 for c in dx)``), evaluated on the
        difference grid; or an array of shape ``(2 n_a - 1, ...)`` of its values there (index
        ``k_a + n_a - 1`` holds ``W`` at the difference ``k_a h_a``), see
        :func:`difference_grid_shape`.

    Notes
    -----
    Convexity depends on ``W`` (convex for positive-definite kernels such as a Gaussian; the
    quadratic ``|x|^2 / 2`` is convex on densities of fixed mass only up to the mean), so
    ``convex`` is False. The first variation for a user ``W`` that is not symmetric uses its
    symmetric part (see the module docstring).

    Examples
    --------
    With ``W(z) = z^2 / 2`` the energy of a probability density is half its variance:

    >>> import eulerflow as ef
    >>> grid = ef.Grid(64, (-4, 4))
    >>> rho = ef.exact.gaussian_density(grid, mean=1.0, cov=0.5)
    >>> E = ef.energies.Interaction(lambda dx: dx**2 / 2)
    >>> round(E.value(rho, grid), 3)
    0.251
    """

    is_local = False
    convex = False

    def __init__(self, W: Callable | object) -> None:
        if not (callable(W) or hasattr(W, "shape") or isinstance(W, list | tuple)):
            raise TypeError(f"W must be a callable W(*dx) or an array, got {type(W)!r}")
        if not callable(W) and not hasattr(W, "shape"):
            W = np.asarray(W, dtype=float)
        self.W = W
        self._cache: dict = {}

    # -- the kernel -----------------------------------------------------------------------------
    def kernel(self, grid: Grid) -> np.ndarray:
        """Symmetrised ``W_s`` on the difference grid, float64 NumPy, shape ``(2 n_a - 1, ...)``."""
        want = difference_grid_shape(grid)
        if callable(self.W):
            values = np.asarray(self.W(*difference_coordinates(grid)), dtype=float)
            try:
                values = np.broadcast_to(values, want)
            except ValueError:
                raise ValueError(
                    f"W returned an array of shape {values.shape}, which does not broadcast to "
                    f"the difference grid shape {want}"
                ) from None
        else:
            values = self.W.get() if hasattr(self.W, "get") else np.asarray(self.W, dtype=float)
            values = np.asarray(values, dtype=float)
            if values.shape != want:
                raise ValueError(
                    f"the interaction kernel array W has shape {values.shape}, but on a grid of "
                    f"shape {grid.shape} it must have shape {want} (2 n - 1 differences per "
                    f"axis, index k + n - 1 for the difference k h)"
                )
        if not np.all(np.isfinite(values)):
            raise ValueError("the interaction kernel W must be finite on the difference grid")
        return 0.5 * (values + np.flip(values))

    def _kernel_fft(self, grid: Grid, rho):
        xp = array_module(rho)
        key = (grid, np.dtype(rho.dtype).str, xp.__name__)
        if key not in self._cache:
            kernel = self.kernel(grid)
            fft_shape = []
            for axis, (n, periodic) in enumerate(zip(grid.shape, grid.periodic, strict=True)):
                kernel, length = _arrange_axis(kernel, axis, n, periodic)
                fft_shape.append(length)
            kernel = xp.asarray(kernel * grid.cell_volume, dtype=rho.dtype)
            fft = _fft_module(xp)
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[key] = (fft.rfftn(kernel, s=fft_shape), tuple(fft_shape))
        return self._cache[key]

    # -- the energy -----------------------------------------------------------------------------
    def convolve(self, rho, grid: Grid):
        """``(W_s * rho)_i = |C| sum_j W_s(x_i - x_j) rho_j`` by FFT (the first variation)."""
        check_density_shape(rho, grid)
        xp = array_module(rho)
        kernel_hat, fft_shape = self._kernel_fft(grid, rho)
        fft = _fft_module(xp)
        axes = tuple(range(grid.ndim))
        full = fft.irfftn(fft.rfftn(rho, s=fft_shape, axes=axes) * kernel_hat, s=fft_shape)
        out = full[tuple(slice(0, n) for n in grid.shape)]
        return xp.ascontiguousarray(out.astype(rho.dtype, copy=False))

    def value(self, rho, grid: Grid) -> float:
        conv = self.convolve(rho, grid)
        return 0.5 * float((rho * conv).sum()) * grid.cell_volume

    def first_variation(self, rho, grid: Grid):
        return self.convolve(rho, grid)

    def __repr__(self) -> str:
        name = getattr(self.W, "__name__", type(self.W).__name__)
        return f"Interaction({name})"


def _fft_module(xp):
    if xp is np:
        return scipy.fft
    import cupyx.scipy.fft

    return cupyx.scipy.fft


def _arrange_axis(kernel: np.ndarray, axis: int, n: int, periodic: bool):
    """Lay the ``2n - 1`` differences of ``axis`` out for a circular convolution.

    Returns the rearranged kernel and its length along ``axis`` (``n`` periodic, else
    ``N = next_fast_len(2n - 1)``).
    """
    centre = n - 1  # index of the difference k = 0
    if periodic:
        k = np.arange(n)
        plus = np.where(k <= n // 2, k, k - n)  # nearest image of k modulo n
        minus = np.where(2 * k == n, -k, plus)  # the other image at the half period
        a = np.take(kernel, centre + plus, axis=axis)
        b = np.take(kernel, centre + minus, axis=axis)
        return 0.5 * (a + b), n
    length = scipy.fft.next_fast_len(2 * n - 1, real=True)
    index = np.zeros(length, dtype=int)
    used = np.zeros(length, dtype=bool)
    k = np.arange(n)
    index[k], used[k] = centre + k, True  # differences 0..n-1
    index[length - k[1:]], used[length - k[1:]] = centre - k[1:], True  # differences -1..-(n-1)
    shape = [1] * kernel.ndim
    shape[axis] = length
    return np.take(kernel, index, axis=axis) * used.reshape(shape), length
