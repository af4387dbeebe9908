"""Named choices of the solvers (limiters, schemes, fluxes, steppers, ...) looked up in one way.

Every option that selects a variant by name goes through :func:`lookup`, so that an unknown name
always raises the same kind of error: a ``ValueError`` that names the argument, repeats the value
and lists the accepted names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(table: Mapping[str, T], name: object, argument: str) -> T:
    """``table[name]``, or a ``ValueError`` naming ``argument`` and listing the choices.

    Parameters
    ----------
    table : mapping of str to value
        The accepted names and what they select.
    name : object
        The value the user passed (any type: non-strings are reported, not looked up).
    argument : str
        Name of the argument, for the message.

    Returns
    -------
    value
        ``table[name]``.

    Raises
    ------
    ValueError
        ``name`` is not a key of ``table``.

    Examples
    --------
    >>> lookup({"minmod": 1, "vanleer": 2}, "minmod", "limiter")
    1
    """
    if isinstance(name, str) and name in table:
        return table[name]
    choices = ", ".join(repr(key) for key in table)
    raise ValueError(f"{argument} must be one of {choices}, got {name!r}")
