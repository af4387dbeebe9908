"""The parts of ``eulerflow demo``: one small problem per capability, checked against a reference.

A part is a function called as ``part(out, n, backend, animation=..., progress=...)`` that solves
its problem on ``n`` cells per axis (parts in 1D or with a fixed grid scale ``n`` as they document),
writes figures, animations and solution files into the existing folder ``out`` and returns a dict
with

``"title"``
    One line saying what was solved.
``"report"``
    ``(label, text)`` pairs, printed one per line.
``"numbers"``
    The measured values as plain numbers (for scripts and tests).
``"files"``
    ``{kind: path}`` of the files written.

Adding a part is writing such a function in a module of this package and adding one line to
:data:`DEMO_PARTS`. Parts draw on bare :class:`matplotlib.figure.Figure` objects (never through
pyplot), so they leave no figure open and need no display.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .continuity import continuity_demo
from .fokker_planck import fokker_planck_demo
from .hamilton_jacobi import hamilton_jacobi_demo
from .jko import jko_demo
from .optimal_transport import optimal_transport_demo

DemoPart = Callable[..., dict[str, Any]]

DEMO_PARTS: dict[str, DemoPart] = {
    "continuity": continuity_demo,
    "fokker-planck": fokker_planck_demo,
    "hamilton-jacobi": hamilton_jacobi_demo,
    "optimal-transport": optimal_transport_demo,
    "jko": jko_demo,
}
"""The demo parts, run in this order by ``eulerflow demo``."""

__all__ = [
    "DEMO_PARTS",
    "DemoPart",
    "continuity_demo",
    "fokker_planck_demo",
    "hamilton_jacobi_demo",
    "jko_demo",
    "optimal_transport_demo",
]
