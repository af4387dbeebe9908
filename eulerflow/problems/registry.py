"""The registry of named problems: register, look up, list."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, TextIO

from .base import REGISTRY as _problems
from .base import Problem


def register(cls: type[Problem] | None = None, *, replace: bool = False):
    """Add a :class:`~eulerflow.problems.Problem` subclass to the registry under its ``name``.

    Subclasses that set ``name`` are registered when they are defined; the decorator is for a
    class defined with ``register=False`` or to replace a registered problem of the same name
    (``replace=True``). ``register(cls)`` registers the class ``cls`` (a subclass that sets a
    non-empty class attribute ``name``) and returns it; without ``cls``,
    ``register(replace=...)`` returns the decorator.

    Parameters
    ----------
    replace : bool, default False
        Replace another class registered under the same ``name`` (otherwise ``ValueError``).

    Returns
    -------
    type or callable
        ``cls`` itself, registered; or, when ``cls`` is None, a decorator that registers the
        class it is given and returns it.

    Raises
    ------
    TypeError
        When ``cls`` is not a subclass of :class:`~eulerflow.problems.Problem`.
    ValueError
        When ``cls`` sets no ``name``, or the name is taken and ``replace`` is False.

    Examples
    --------
    >>> import dataclasses
    >>> import eulerflow as ef
    >>> @ef.problems.register(replace=True)
    ... @dataclasses.dataclass(frozen=True, kw_only=True)
    ... class WideHeat(ef.problems.HeatEquation, register=False):
    ...     name = "wide-heat"
    ...     description = "the heat problem with diffusion 2"
    ...     diffusion: float = 2.0
    >>> ef.problems.get("wide-heat").diffusion
    2.0
    """

    def add(cls: type[Problem]) -> type[Problem]:
        if not (isinstance(cls, type) and issubclass(cls, Problem)):
            raise TypeError(f"only subclasses of eulerflow.problems.Problem register, got {cls!r}")
        name = cls.__dict__.get("name", "")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{cls.__name__} needs a class attribute name = '...' to register")
        known = _problems.get(name)
        if known is not None and known is not cls and not replace:
            raise ValueError(
                f"a problem named {name!r} is registered already ({known.__qualname__}); "
                f"pass replace=True to replace it"
            )
        _problems[name] = cls
        return cls

    return add if cls is None else add(cls)


def names() -> list[str]:
    """The registered problem names, sorted.

    Returns
    -------
    list of str
        The names that :func:`get` accepts, in alphabetical order.
    """
    return sorted(_problems)


def get(name: str, **parameters: Any) -> Problem:
    """The problem registered as ``name``, with ``parameters`` replacing its defaults.

    Raises ``KeyError`` naming the registered problems when ``name`` is unknown, and
    ``TypeError`` naming the problem's parameters when one of ``parameters`` is not one.

    Parameters
    ----------
    name : str or Problem
        A registered name (see :func:`names`); a :class:`~eulerflow.problems.Problem` instance
        is returned as is, or copied with ``parameters`` replaced.
    **parameters
        Values of the problem's fields (its dataclass parameters, e.g. ``times``,
        ``resolution`` or ``diffusion``) that replace the defaults.

    Returns
    -------
    Problem
        A new instance of the registered class, with ``parameters`` applied.
    """
    if isinstance(name, Problem):
        return dataclasses.replace(name, **parameters) if parameters else name
    try:
        cls = _problems[name]
    except (KeyError, TypeError):
        raise KeyError(
            f"no problem named {name!r}; registered: {', '.join(names())} "
            f"(eulerflow.problems.list() describes them)"
        ) from None
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(parameters) - fields)
    if unknown:
        raise TypeError(
            f"problem {name!r} has no parameter {', '.join(unknown)}; its parameters: "
            f"{', '.join(sorted(fields))}"
        )
    return cls(**parameters)


def list_problems(file: TextIO | None = None) -> list[str]:
    """Print every registered problem: name, dimension, exact or grid reference, description.

    Returns the names (sorted). Exported as ``eulerflow.problems.list``.

    Parameters
    ----------
    file : file-like, optional
        Text stream to print to (default ``sys.stdout``).

    Returns
    -------
    list of str
        The registered names, sorted (as :func:`names`).
    """
    out = sys.stdout if file is None else file
    rows = [get(name) for name in names()]
    width = max((len(p.name) for p in rows), default=0)
    for p in rows:
        kind = "exact" if p.has_exact else "grid"
        print(f"{p.name.ljust(width)}  {p.dim}D  {kind:5}  {p.description}", file=out)
    return names()
