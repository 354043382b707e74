"""The package's layers, read from the source: no import circle between the folders of ``core/``, the GAN
lane below ``compare/``, the public facade imported by nobody inside, and small modules.

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
#: modules on their way into the spec package, whose edges are left out until they have moved: ``core/run/``
#: holds only ``settings.py`` (and ``data.py``, the two data names it checks), and ``gan/spec.py`` (the
#: discriminator section, which the spec loader and the graph read) is the spec side of the GAN
PENDING = ("upspec.run", "upspec.run.settings", "upspec.run.data", "upspec.gan.spec")


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
            if target not in MODULES or name in PENDING or target in PENDING:
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


def test_core_run_holds_only_the_settings_on_their_way_to_the_spec_package():
    assert sorted(p.name for p in (CORE / "run").glob("*.py")) == ["__init__.py", "data.py", "settings.py"]
