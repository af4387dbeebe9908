"""The NumPy reference backend: readable vectorised kernels, the oracle of the contract tests."""

from __future__ import annotations

import numpy as np

from ..schemes.limiters import LIMITERS
from ..schemes.muscl import transport_rate
from .base import Backend

_LIMITER_NAMES = {code: name for name, code in LIMITERS.items()}


class NumpyBackend(Backend):
    """Reference implementation of every kernel with NumPy array expressions."""

    name = "numpy"
    xp = np

    def info(self) -> dict[str, str]:
        return {"name": self.name, "version": np.__version__, "device": "CPU (1 thread)"}

    def _transport_update(self, rho_n, rho_k, velocities, spacing, periodic, code, a, b, c, out):
        rate = transport_rate(rho_k, velocities, spacing, periodic, _LIMITER_NAMES[code], np)
        out[...] = a * rho_n + b * rho_k + c * rate
