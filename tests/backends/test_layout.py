"""The import structure of ``eulerflow.backends``: imports point down only.

Every module under ``eulerflow/backends`` is parsed (not imported) and every import statement
counted, function-level ones included: the import graph inside the package has no cycle, no
module imports the solver layers above it, and the only function-level imports of eulerflow
modules are the registry's lazy loading of the backends.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import eulerflow.backends

PACKAGE = "eulerflow.backends"
ROOT = Path(eulerflow.backends.__file__).parent

ABOVE = (
    "eulerflow.equations",
    "eulerflow.transport",
    "eulerflow.particles",
    "eulerflow.results",
    "eulerflow.demos",
    "eulerflow.cli",
)
"""The layers above the backends: no backend module may import them."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, path: Path):
    """``(target, lineno, in_function)`` for every import of the module, relative ones resolved;
    ``from p import x`` imports the submodule ``p.x`` when there is one, else the module ``p``."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = {id(x) for f in functions for x in ast.walk(f) if x is not f}
    for node in ast.walk(tree):
        in_function = id(node) in nested
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, in_function
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:  # a submodule, or a name defined in ``target``
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else target), node.lineno, in_function


def _graph() -> dict[str, set[str]]:
    return {
        name: {t for t, _, _ in _imports(name, path) if t in MODULES and t != name}
        for name, path in MODULES.items()
    }


def test_every_backend_module_is_parsed():
    for name in (
        "eulerflow.backends.base",
        "eulerflow.backends.numba.hamilton_jacobi",
        "eulerflow.backends.cupy.hamilton_jacobi",
        "eulerflow.backends.cupy.compile",
        "eulerflow.backends.contract.benamou_brenier",
    ):
        assert name in MODULES
    assert _graph()["eulerflow.backends.numba.backend"] >= {
        "eulerflow.backends.base",
        "eulerflow.backends.numba.transport",
        "eulerflow.backends.numba.benamou_brenier",
    }


def test_no_import_cycle_inside_the_backends():
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_backend_module_imports_the_layers_above():
    bad = {
        f"{path.relative_to(ROOT.parent.parent)}:{line} imports {target}"
        for name, path in MODULES.items()
        for target, line, _ in _imports(name, path)
        if target == "eulerflow" or target.startswith(tuple(a + "." for a in ABOVE) + ABOVE)
    }
    assert not bad, "\n".join(sorted(bad))


def test_function_level_imports_are_for_laziness_only():
    """Inside functions only optional or heavy packages (CuPy, SciPy) are imported, and the
    backends themselves by the registry (``eulerflow/backends/__init__.py``); never a module of
    eulerflow elsewhere, which would hide a cycle."""
    bad = {
        f"{path.relative_to(ROOT.parent.parent)}:{line} imports {target} inside a function"
        for name, path in MODULES.items()
        if name != PACKAGE
        for target, line, in_function in _imports(name, path)
        if in_function and (target == "eulerflow" or target.startswith("eulerflow."))
    }
    assert not bad, "\n".join(sorted(bad))


def test_importing_eulerflow_loads_no_compiled_backend():
    """``import eulerflow`` imports neither the Numba nor the CuPy backend modules, nor CuPy."""
    code = (
        "import sys, eulerflow\n"
        "print(sorted(m for m in sys.modules if m.startswith(('eulerflow.backends.numba',"
        " 'eulerflow.backends.cupy', 'cupy'))))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
