"""The optional dependency of the metrics: POT (Python Optimal Transport), for discrete W2."""

from __future__ import annotations

import importlib
from types import ModuleType


def require_pot(what: str) -> ModuleType:
    """The ``ot`` module, or an ``ImportError`` that says what needs it and how to install it.

    Examples
    --------
    >>> require_pot("w2_samples").__name__
    'ot'
    """
    try:
        return importlib.import_module("ot")
    except ImportError as err:
        raise ImportError(
            f"{what} needs POT (Python Optimal Transport, imported as 'ot'), which is not "
            "installed; install it with: pip install 'eulerflow[validate]' (or pip install pot)"
        ) from err
