"""The adoption package's imports form layers: no circles, and nothing imports a layer above it.

Every import counts, at module level or inside a function: a deferred import hides a circle, it does
not remove it. Tasks import services; services queue tasks by name (adoption.services.queue)."""

import ast
from pathlib import Path

import adoption

ROOT = Path(adoption.__file__).parent
# A module of these layers must not import a module of the layers named with it.
FORBIDDEN = {
    "adoption.models": ("adoption.maps", "adoption.services", "adoption.selectors", "adoption.tasks",
                        "adoption.views", "adoption.api", "adoption.admin"),
    "adoption.selectors": ("adoption.services", "adoption.tasks", "adoption.views", "adoption.api", "adoption.admin"),
    # The map stack sits below the services (they call its upkeep in their transactions) and the pages.
    "adoption.maps": ("adoption.services", "adoption.tasks", "adoption.views", "adoption.api", "adoption.admin"),
    "adoption.services": ("adoption.tasks", "adoption.views", "adoption.api", "adoption.admin"),
}
# What a layer may import from a layer above all the same: the maps' upkeep bumps the data version and
# queues a fold in the services' transaction. Both are leaves (see test_allowed_imports_are_leaves).
ALLOWED = {"adoption.maps": ("adoption.services.data_version", "adoption.services.queue")}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in ROOT.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The adoption module an imported name lands in (a module, else its package)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {target for name in targets if (target := _resolve(name)) and target != module}
    return found


def _graph() -> dict[str, set[str]]:
    return {module: _imports(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path for every circle found by a depth-first walk."""
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def _within(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def test_no_import_circle_among_adoption_modules():
    assert _cycles(_graph()) == []


def test_no_module_imports_a_layer_above_it():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for layer, above in FORBIDDEN.items() if _within(module, layer)
        for target in targets if any(_within(target, higher) for higher in above)
        and target not in ALLOWED.get(layer, ())
    )
    assert wrong == []


def test_allowed_imports_are_leaves():
    """The modules a lower layer may import from a higher one import nothing of the adoption package
    but models, so no path leads back up through them."""
    graph = _graph()
    for allowed in ALLOWED.values():
        for module in allowed:
            assert {target for target in graph[module] if not _within(target, "adoption.models")} == set()


def test_the_maps_are_one_package():
    """Map figures are computed in adoption.maps only: the old modules are gone and nothing imports them."""
    assert not {"adoption.aggregates", "adoption.figures", "adoption.services.maps"} & set(MODULES)
    assert "adoption.maps.upkeep" in _imports("adoption.services.moderation")
    assert "adoption.maps.figures" in _imports("adoption.views.browse")


def test_the_check_sees_deferred_imports():
    """A circle hidden in a function is still found (the check would pass vacuously otherwise)."""
    graph = {"a": {"b"}, "b": {"a"}}
    assert _cycles(graph) == [["a", "b", "a"]]
    # The admin's version check imports it inside a method.
    assert "adoption.services.workflow" in _imports("adoption.admin.base")
