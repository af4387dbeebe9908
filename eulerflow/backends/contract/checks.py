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


class LastWeights:
    """What was derived from the last pair of face-weight tuples (their validation, or views of
    them), for a pair passed again: an explicit run passes the same tuples at every stage.

    Tuples are immutable and the entry holds them, so the identity of the pair cannot be reused
    by other objects while it is kept; ``key`` holds whatever else the derived value depends on
    (shapes, dtypes, spacing, flags).
    """

    def __init__(self) -> None:
        self._entry: tuple | None = None

    def get(self, forwards, backwards, key):
        """The value kept for these tuple objects and an equal ``key``, else ``None``."""
        entry = self._entry
        if entry is None or entry[0] is not forwards or entry[1] is not backwards:
            return None
        return entry[3] if entry[2] == key else None

    def keep(self, forwards, backwards, key, value) -> None:
        """Keep ``value`` for ``(forwards, backwards, key)`` when both are tuples."""
        if isinstance(forwards, tuple) and isinstance(backwards, tuple):
            self._entry = (forwards, backwards, key, value)
