"""The import rule of the package: imports point down the layers, and there are no cycles.

The layers (lowest first) are written in ``docs/architecture.md``. Every ``import`` statement of
every module counts, function-level ones included; imports under ``if TYPE_CHECKING:`` do not
(they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import eulerflow

PACKAGE = Path(eulerflow.__file__).parent

LAYERS: list[set[str]] = [
    {"_version", "grid", "arrays", "exceptions", "cache"},
    {"schemes", "checks", "progress"},
    {"backends", "energies", "hamiltonians", "results", "sets"},
    {"marching", "exact"},
    {"equations", "particles", "transport"},
    {"jko_scheme", "systems"},
    {"problems", "metrics", "ensemble"},
    {"validation"},
    {"demos"},
    {"cli"},
    {"__main__", "__init__"},
]
"""Top-level modules and sub-packages of ``eulerflow`` by layer."""


def _layer(top: str) -> int:
    for level, names in enumerate(LAYERS):
        if top in names:
            return level
    raise AssertionError(f"eulerflow.{top} is in no layer: add it to LAYERS and the docs")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str | None = None) -> set[str]:
    """The ``eulerflow`` modules that ``path`` (the module ``module``, by default the one at
    that place in the package) imports, as absolute names."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "eulerflow")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "eulerflow":
                for alias in node.names:  # "from . import energies" imports a module
                    candidate = f"{target}.{alias.name}"
                    found.add(candidate if _exists(candidate) else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    found.discard(module)
    return found


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (
        PACKAGE / relative / "__init__.py"
    ).is_file()


MODULES = sorted(PACKAGE.rglob("*.py"))
GRAPH = {_module_name(path): _imports(path) for path in MODULES}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    """A module imports only from its own sub-package or from lower layers."""
    level = _layer(_top(module))
    for target in GRAPH[module]:
        if _top(target) == _top(module):
            continue
        assert _layer(_top(target)) < level, (
            f"{module} (layer {level}) imports {target} (layer {_layer(_top(target))})"
        )


def test_no_import_cycles():
    """Depth-first search over the module graph (an import of a package is an edge to its
    ``__init__``); a cycle is reported with its modules."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target == module.rpartition(".")[0] and module.endswith("__main__"):
                continue
            if state.get(target) == 1:
                cycle = stack[stack.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if state.get(target) is None and target in GRAPH:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_layer_rule_can_fail(tmp_path):
    """The checker sees an upward import, so that the tests above can fail."""
    source = (PACKAGE / "schemes" / "limiters.py").read_text()
    copy = tmp_path / "limiters.py"
    copy.write_text("from ..equations import continuity\n" + source)
    module = "eulerflow.schemes.limiters"
    assert "eulerflow.equations.continuity" in _imports(copy, module)
    assert _layer("equations") > _layer(_top(module))
