"""Fail when a public name of eulerflow lacks a docstring, documents its arguments incompletely
or has no Returns section (numpydoc's checks GL08, PR01, PR02 and RT01).

The public names are ``eulerflow.__all__`` and the ``__all__`` (or the names without a leading
underscore) of the public submodules below. A class may document its constructor arguments
under ``Parameters`` or ``Attributes``, its own or a base class's; exceptions and warnings take
the message only.
Run from the repository root: ``python .ci/check_docstrings.py``.
"""

from __future__ import annotations

import importlib
import inspect
import sys

from numpydoc.docscrape import ClassDoc
from numpydoc.validate import validate

MODULES = (
    "eulerflow",
    "eulerflow.energies",
    "eulerflow.hamiltonians",
    "eulerflow.exact",
    "eulerflow.particles",
    "eulerflow.metrics",
    "eulerflow.problems",
    "eulerflow.sets",
    "eulerflow.systems",
    "eulerflow.validation",
    "eulerflow.ensemble",
    "eulerflow.ensemble.config",
)
CHECKS = ("GL08", "PR01", "PR02", "RT01")


def public_objects():
    """``(public name, object)`` for every public function and class, each object once."""
    seen = set()
    for name in MODULES:
        module = importlib.import_module(name)
        names = getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")])
        for attribute in names:
            obj = getattr(module, attribute)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not obj.__module__.startswith("eulerflow"):  # e.g. typing names imported
                continue
            key = f"{obj.__module__}.{obj.__qualname__}"
            if key not in seen:
                seen.add(key)
                yield f"{name}.{attribute}", key, obj


def documented_arguments(cls) -> set[str]:
    """Names under ``Parameters`` or ``Attributes`` in the docstrings of ``cls`` and its bases
    (a subclass of a dataclass inherits the documentation of the fields it inherits)."""
    names = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("eulerflow") and klass.__doc__:
            doc = ClassDoc(klass, config={})
            for entry in (*doc["Parameters"], *doc["Attributes"]):
                names |= {part.strip().lstrip("*") for part in entry.name.split(",")}
    return names


def problems(obj, key: str) -> list[str]:
    """The failed checks of one object, as ``CODE message`` lines."""
    errors = [(code, message) for code, message in validate(key)["errors"] if code in CHECKS]
    if inspect.isclass(obj):
        if issubclass(obj, (Exception, Warning)):
            return [f"{code} {message}" for code, message in errors if code == "GL08"]
        documented = documented_arguments(obj)
        kept = []
        for code, message in errors:
            if code == "PR01" and set(inspect.signature(obj).parameters) <= documented:
                continue
            if code != "RT01":
                kept.append((code, message))
        errors = kept
    return [f"{code} {message}" for code, message in errors]


def main() -> int:
    failures = 0
    count = 0
    for public, key, obj in public_objects():
        count += 1
        for line in problems(obj, key):
            failures += 1
            print(f"{public}: {line}")
    print(f"{count} public names checked, {failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
