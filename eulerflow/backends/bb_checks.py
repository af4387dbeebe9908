"""Argument checks and output allocation for the Benamou-Brenier kernels of :class:`Backend`.

Shapes (see :mod:`eulerflow.schemes.staggered`): with ``N`` time cells and a spatial grid of shape
``shape`` (1 to 3 axes), ``rho_s`` is ``(N + 1, *shape)``, ``m_s[a]`` is ``(N, *shape)`` with
``n_a + 1`` along spatial axis ``a``, and the centred ``rho_c``, ``m_c[a]`` and potentials ``p`` are
``(N, *shape)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def face_shape(n_time: int, shape: Sequence[int], axis: int) -> tuple[int, ...]:
    """Shape of ``m_s[axis]``: ``(N, *shape)`` with ``n_axis + 1`` along spatial ``axis``."""
    return (n_time, *(n + 1 if a == axis else n for a, n in enumerate(shape)))


def _dtype(x, name: str) -> np.dtype:
    dtype = np.dtype(getattr(x, "dtype", None) or np.float64)
    if dtype not in _FLOATS:
        raise TypeError(f"{name} must be float32 or float64, got {dtype}")
    return dtype


def _space(x, name: str, extra_time: int) -> tuple[int, tuple[int, ...]]:
    shape = tuple(getattr(x, "shape", ()))
    if not 2 <= len(shape) <= 4:
        raise ValueError(
            f"{name} must have shape (time, *space) with 1 to 3 space axes, got shape {shape}"
        )
    n_time = shape[0] - extra_time
    if n_time < 1:
        raise ValueError(f"{name} needs at least {1 + extra_time} time entries, got shape {shape}")
    return n_time, shape[1:]


def _axes(spacing, periodic, ndim: int) -> tuple[tuple[float, ...], tuple[bool, ...]]:
    spacing, periodic = tuple(spacing), tuple(periodic)
    if not len(spacing) == len(periodic) == ndim:
        raise ValueError(f"need one spacing and one periodic flag per space axis ({ndim})")
    spacing = tuple(float(h) for h in spacing)
    if not all(math.isfinite(h) and h > 0 for h in spacing):
        raise ValueError(f"spacing must be positive and finite, got {spacing}")
    return spacing, tuple(bool(p) for p in periodic)


def _match(arrays: Sequence, shapes: Sequence[tuple], dtype, name: str) -> None:
    if len(arrays) != len(shapes):
        raise ValueError(
            f"{name} needs {len(shapes)} arrays (one per space axis), got {len(arrays)}"
        )
    for a, (x, want) in enumerate(zip(arrays, shapes, strict=True)):
        if tuple(getattr(x, "shape", ())) != want or x.dtype != dtype:
            raise ValueError(
                f"{name}[{a}] must have shape {want} and dtype {dtype}, got "
                f"{tuple(getattr(x, 'shape', ()))} {getattr(x, 'dtype', None)}"
            )


def check_staggered(rho_s, m_s, spacing=None, periodic=None):
    """Validate staggered ``(rho_s, m_s)``; return ``(n_time, shape, dtype, spacing, periodic)``."""
    dtype = _dtype(rho_s, "rho_s")
    n_time, shape = _space(rho_s, "rho_s", 1)
    m_s = tuple(m_s)
    _match(m_s, [face_shape(n_time, shape, a) for a in range(len(shape))], dtype, "m_s")
    if spacing is not None:
        spacing, periodic = _axes(spacing, periodic, len(shape))
    return n_time, shape, dtype, spacing, periodic


def check_centred(rho_c, m_c):
    """Validate centred ``(rho_c, m_c)``; return ``(n_time, shape, dtype)``."""
    dtype = _dtype(rho_c, "rho_c")
    n_time, shape = _space(rho_c, "rho_c", 0)
    _match(tuple(m_c), [(n_time, *shape)] * len(shape), dtype, "m_c")
    return n_time, shape, dtype


def check_cells(p, spacing, periodic, name: str = "p"):
    """Validate a cell-centred space-time array; return ``(spacing, periodic)``."""
    _dtype(p, name)
    _, shape = _space(p, name, 0)
    return _axes(spacing, periodic, len(shape))


def staggered_out(xp, out, n_time: int, shape, dtype, name: str = "out"):
    """``out`` checked as a staggered pair, or a new one (``rho`` ``(N + 1, *shape)``, faces)."""
    shapes = [face_shape(n_time, shape, a) for a in range(len(shape))]
    if out is None:
        rho = xp.empty((n_time + 1, *shape), dtype=dtype)
        return rho, tuple(xp.empty(s, dtype=dtype) for s in shapes)
    rho, m = out[0], tuple(out[1])
    _match([rho], [(n_time + 1, *shape)], dtype, name + "[0]")
    _match(m, shapes, dtype, name + "[1]")
    _contiguous([rho, *m], name)
    return rho, m


def centred_out(xp, out, n_time: int, shape, dtype, name: str = "out"):
    """``out`` checked as a centred pair, or a new one (``d + 1`` arrays ``(N, *shape)``)."""
    full = (n_time, *shape)
    if out is None:
        return xp.empty(full, dtype=dtype), tuple(
            xp.empty(full, dtype=dtype) for _ in range(len(shape))
        )
    rho, m = out[0], tuple(out[1])
    _match([rho], [full], dtype, name + "[0]")
    _match(m, [full] * len(shape), dtype, name + "[1]")
    _contiguous([rho, *m], name)
    return rho, m


def cells_out(xp, out, shape: tuple, dtype, name: str = "out"):
    """``out`` checked as one array of ``shape``, or a new one."""
    if out is None:
        return xp.empty(shape, dtype=dtype)
    _match([out], [shape], dtype, name)
    _contiguous([out], name)
    return out


def no_alias(out_arrays: Sequence, in_arrays: Sequence, name: str = "out") -> None:
    """Raise ``ValueError`` if an output array is one of the input arrays."""
    ids = {id(x) for x in in_arrays}
    if any(id(x) in ids for x in out_arrays):
        raise ValueError(f"{name} must not share arrays with the inputs")


def _contiguous(arrays: Sequence, name: str) -> None:
    for x in arrays:
        flags = getattr(x, "flags", None)
        if flags is not None and not flags.c_contiguous:
            raise ValueError(f"{name} arrays must be C-contiguous")


def check_gamma(gamma) -> float:
    """``gamma`` as a positive finite float."""
    try:
        value = float(gamma)
    except (TypeError, ValueError):
        raise TypeError(f"gamma must be a positive number, got {gamma!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"gamma must be positive and finite, got {gamma!r}")
    return value


def check_flat(arrays: Sequence, names: Sequence[str]):
    """The arrays checked as one-dimensional, C-contiguous, of one length and float dtype;
    returns ``(size, dtype)``."""
    size, dtype = None, None
    for x, name in zip(arrays, names, strict=True):
        shape = tuple(getattr(x, "shape", ()))
        if len(shape) != 1:
            raise ValueError(f"{name} must be a one-dimensional (flat) array, got shape {shape}")
        kind = _dtype(x, name)
        if size is None:
            size, dtype = shape[0], kind
        elif shape[0] != size or kind != dtype:
            raise ValueError(
                f"{name} must have length {size} and dtype {dtype} (as {names[0]}), got "
                f"{shape[0]} {kind}"
            )
    _contiguous(arrays, ", ".join(names))
    return size, dtype


def check_alpha(alpha) -> float:
    """``alpha`` as a finite float."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"alpha must be a number, got {alpha!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    return value
