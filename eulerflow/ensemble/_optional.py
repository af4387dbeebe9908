"""The optional dependencies of :mod:`eulerflow.ensemble` (Dask, Zarr), imported on demand with an
error that says how to install them."""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = "pip install 'eulerflow[ensemble]'"


def require(module: str) -> ModuleType:
    """Import ``module`` (``"dask.distributed"``, ``"zarr"``, ...) or raise an ImportError saying
    how to install the ensemble extra."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"eulerflow.ensemble needs {module.split('.')[0]} ({err}); install the ensemble extra: "
            f"{INSTALL_HINT}"
        ) from err
