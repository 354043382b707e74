"""Which folders may import which: read from the source (the AST of every module), so a boundary cannot erode
unnoticed. Each rule is one test over :func:`import_edges`."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT

#: the folders that install as ``upspec`` and ``upspec.plugins`` (setup.cfg's ``package_dir``)
PACKAGES = {"upspec": ROOT / "core", "upspec.plugins": ROOT / "plugins"}


@dataclass(frozen=True)
class Edge:
    """One import of an upspec module: the folder that imports, the folder imported, and where."""

    source: str  # "core", "core/run", "plugins", ...
    target: str
    where: str  # "core/run/evaluate.py:48"


def folder_of(module: str) -> str:
    """The folder holding ``module`` (absolute, ``upspec...``): "plugins", "core/<subpackage>" or "core"."""
    parts = module.split(".")
    if parts[1:2] == ["plugins"]:
        return "plugins"
    if len(parts) > 1 and (ROOT / "core" / parts[1]).is_dir():
        return f"core/{parts[1]}"
    return "core"


def _module_name(package: str, folder: Path, path: Path) -> str:
    parts = list(path.relative_to(folder).with_suffix("").parts)
    return ".".join([package, *parts[:-1]] if parts[-1] == "__init__" else [package, *parts])


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The absolute upspec module names (or ``module.name`` for a name taken from one) that ``node`` imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [f"{base}.{alias.name}" for alias in node.names]


def import_edges() -> list[Edge]:
    """Every import of an upspec module by a module under ``core/`` or ``plugins/``, as folder-to-folder edges."""
    edges = []
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            module = _module_name(package, folder, path)
            source = folder_of(module)
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                for imported in _imported(node, module, path.name == "__init__.py"):
                    if imported.split(".")[0] == "upspec":
                        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                        edges.append(Edge(source, folder_of(imported), where))
    return edges


def test_the_edges_are_read_from_the_source():
    edges = {(edge.source, edge.target) for edge in import_edges()}
    assert ("core/registry", "core") in edges  # relative: from .. import hookspecs
    assert ("plugins", "core") in edges and ("plugins", "core/layers") in edges  # absolute: from upspec import ...


def test_core_never_imports_the_builtin_plugins():
    # the registry loads them by name (one tuple of module names), as it loads a third party's
    assert [edge.where for edge in import_edges() if edge.source.startswith("core") and edge.target == "plugins"] == []
