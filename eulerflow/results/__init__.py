"""Result objects of the solvers: one base with the data, the grid, what was run, how it ended,
diagnostics and file I/O (:class:`Result`), and the snapshots of time-dependent equations
(:class:`Solution`). :func:`load` reads any saved result back."""

from __future__ import annotations

from .base import Result, ResultFileError, load
from .solution import Solution

__all__ = ["Result", "ResultFileError", "Solution", "load"]
