"""Argument checks shared by the kernel contracts of cell data with face arrays (transport and
Fokker-Planck): shapes, dtypes, one entry per axis."""

from __future__ import annotations


def check_face_arrays(rho_n, rho_k, faces, spacing, periodic, what="velocity"):
    """Validated ``(faces, spacing, periodic)`` as tuples for cell arrays ``rho_n, rho_k`` and one
    face array per axis (``n_a + 1`` along axis ``a``, the dtype of ``rho_k``); ``what`` names
    the face arrays in the messages."""
    shape = tuple(rho_k.shape)
    ndim = len(shape)
    if not 1 <= ndim <= 3:
        raise ValueError(f"rho must have 1 to 3 dimensions, got shape {shape}")
    if tuple(rho_n.shape) != shape or rho_n.dtype != rho_k.dtype:
        raise ValueError("rho_n and rho_k must have the same shape and dtype")
    faces, spacing, periodic = tuple(faces), tuple(spacing), tuple(periodic)
    if not len(faces) == len(spacing) == len(periodic) == ndim:
        raise ValueError(f"need one {what}, spacing and periodic flag per axis ({ndim})")
    for axis, u in enumerate(faces):
        want = tuple(n + 1 if a == axis else n for a, n in enumerate(shape))
        if tuple(u.shape) != want or u.dtype != rho_k.dtype:
            raise ValueError(
                f"{what} along axis {axis} must have shape {want} and dtype {rho_k.dtype}, "
                f"got {tuple(u.shape)} {u.dtype}"
            )
    return faces, tuple(float(h) for h in spacing), tuple(bool(p) for p in periodic)
