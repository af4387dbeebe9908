"""Validation of a method's output against a problem's grid reference: ``eulerflow.validate``.

:func:`validate` scores samples, densities or Hamilton-Jacobi values of a method at some of a
benchmark problem's times (:mod:`eulerflow.problems`) with the metrics of
:mod:`eulerflow.metrics`, each against its finite-sample floor, and returns a
:class:`ValidationReport` (table, pandas, xarray, JSON / netCDF, figure). :func:`read_outputs`
reads such outputs from ``.npz``, ``.npy`` or netCDF files (the layout is in
:mod:`eulerflow.validation.outputs`); ``eulerflow validate PROBLEM FILE`` does both on the
command line.
"""

from .outputs import Outputs, read_outputs
from .report import ValidationReport
from .rows import Row
from .run import validate

__all__ = ["Outputs", "Row", "ValidationReport", "read_outputs", "validate"]
