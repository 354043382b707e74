"""The package's layers, read from the source: no import circle between the folders of ``core/``, the spec
and the graph below everything that uses them, core never importing the built-in plugins, the GAN lane below
``compare/``, the public facade imported by nobody inside, and small modules.

A *node* of the import graph is a folder of ``core/`` (a package, its nested folders each a node of their
own: ``runner``, ``runner.data``, ``runner.training`` ...) or a module at the root of ``core/`` (``errors``,
``files`` ...). Every import counts, at module level or inside a function; imports under
``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"
MAX_LINES = 400
#: what the spec package and the graph may import: themselves, what is below them, and the root's small modules
BELOW_THE_SPEC = {"modelspec", "registry", "errors", "hookspecs", "version", "shipped"}
BELOW_THE_GRAPH = BELOW_THE_SPEC | {"graph"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("upspec", *parts))] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                for other in getattr(child, "orelse", []):
                    visit(other)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def imported_modules(name: str) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for every upspec module ``name`` imports (``names``: the ``from`` list)."""
    package = name if _is_package(name) else name.rsplit(".", 1)[0]
    found = []
    for node in _imports(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "upspec"]
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        if target.split(".")[0] != "upspec":
            continue
        names = [alias.name for alias in node.names]
        submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
        found += [(m, []) for m in submodules]
        rest = [n for n in names if f"{target}.{n}" not in MODULES]
        if rest:
            found.append((target, rest))
    return found


def node_of(module: str) -> str:
    """The folder of ``module`` (``runner.data``), or the root module itself (``errors``); ``""``: the facade."""
    parts = module.split(".")[1:]
    if not parts:
        return ""
    return ".".join(parts) if _is_package(module) else ".".join(parts[:-1]) or parts[0]


def folder_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name in MODULES:
        source = node_of(name)
        for target, _ in imported_modules(name):
            if target not in MODULES:
                continue
            other = node_of(target)
            if other != source and other and source:
                edges.setdefault(source, set()).add(other)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_no_import_circle_between_the_folders_of_core():
    assert cycles(folder_graph()) == []


def test_the_runner_is_split_into_wings_that_do_not_import_each_other_in_a_circle():
    runner = {k: v for k, v in folder_graph().items() if k.startswith("runner")}
    assert {"runner.data", "runner.training", "runner.evaluation", "runner.reporting", "runner.artefacts",
            "runner.lanes"} <= set(runner)
    assert "runner.lanes" not in runner["runner.data"] | runner["runner.training"] | runner["runner.evaluation"]


def test_the_gan_lane_imports_nothing_from_compare_nor_from_the_runners_lanes():
    for name in MODULES:
        if node_of(name) == "gan":
            targets = {node_of(t) for t, _ in imported_modules(name) if t in MODULES}
            assert not targets & {"compare", "runner.lanes", "runner"}, name


def test_nothing_inside_core_takes_names_from_the_public_facade():
    takers = [name for name in MODULES if name != "upspec"
              for target, names in imported_modules(name) if target == "upspec" and names]
    assert takers == []


def test_no_module_is_over_the_line_limit():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_edges_are_read_from_the_source():
    edges = folder_graph()
    assert {"graph", "modelspec", "registry"} <= edges["builder"]  # relative imports, resolved
    assert "runner.data" in edges["runner.lanes"]  # nested folders are nodes of their own


def test_the_spec_and_the_graph_import_nothing_above_them():
    edges = folder_graph()
    assert edges.get("modelspec", set()) - BELOW_THE_SPEC == set()
    assert edges.get("graph", set()) - BELOW_THE_GRAPH == set()


def test_core_never_imports_the_builtin_plugins():
    # the registry loads them by name (one tuple of module names), as it loads a third party's
    reaching = [name for name in MODULES for target, _ in imported_modules(name)
                if target == "upspec.plugins" or target.startswith("upspec.plugins.")]
    assert reaching == []
