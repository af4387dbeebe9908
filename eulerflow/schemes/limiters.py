"""Slope limiters for MUSCL reconstruction.

A limiter maps the backward and forward differences of a cell, ``dl = q_i - q_{i-1}`` and
``dr = q_{i+1} - q_i``, to a limited slope ``s_i`` (per cell, not per unit length). All limiters
here return 0 unless ``dl`` and ``dr`` have the same strict sign, and then (with ``sgn`` that
common sign)

======== ==================================================================
none     ``0`` (first-order donor cell)
minmod   ``sgn * min(|dl|, |dr|)``
vanleer  ``2 dl dr / (dl + dr)``  (harmonic mean)
superbee ``sgn * max(min(2|dl|, |dr|), min(|dl|, 2|dr|))``
mc       ``sgn * min(2|dl|, 2|dr|, |dl + dr| / 2)``  (monotonised central)
======== ==================================================================

Every limiter satisfies ``|s_i| <= 2 min(|dl|, |dr|)``, so the reconstructed face values
``q_i +- s_i / 2`` lie between the neighbouring cell averages: they are non-negative for
non-negative data, which gives positivity of the finite-volume update under the CFL bound of
:mod:`eulerflow.schemes.cfl`.
"""

from __future__ import annotations

from .choices import lookup

LIMITERS: dict[str, int] = {"none": 0, "minmod": 1, "vanleer": 2, "superbee": 3, "mc": 4}
"""Limiter names and the integer codes the compiled kernels use."""


def limiter_code(limiter: str) -> int:
    """Integer code of a limiter name; ``ValueError`` listing the choices for unknown names."""
    return lookup(LIMITERS, limiter, "limiter")


def limited_slope(dl, dr, limiter: str, xp):
    """Limited slopes ``s(dl, dr)`` elementwise for arrays of module ``xp`` (NumPy or CuPy)."""
    code = limiter_code(limiter)
    same_sign = dl * dr > 0
    if code == 0:
        return xp.zeros_like(dl)
    adl, adr = xp.abs(dl), xp.abs(dr)
    if code == 1:
        mag = xp.minimum(adl, adr)
    elif code == 2:
        safe = xp.where(same_sign, dl + dr, 1)
        return xp.where(same_sign, 2 * dl * dr / safe, 0)
    elif code == 3:
        mag = xp.maximum(xp.minimum(2 * adl, adr), xp.minimum(adl, 2 * adr))
    else:
        mag = xp.minimum(xp.minimum(2 * adl, 2 * adr), 0.5 * xp.abs(dl + dr))
    return xp.where(same_sign, xp.sign(dl) * mag, 0)
