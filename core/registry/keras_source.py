"""Keras layer signatures read from the installed Keras's source files, without importing Keras.

``keras_layers.json`` holds the signatures of the Keras version it was
generated with. For another installed version, importing Keras (and so
TensorFlow) would cost seconds on every ``validate``; parsing the layer
modules with :mod:`ast` costs a fraction of that, once: the table is cached
per Keras version under ``$XDG_CACHE_HOME/upspec`` (``~/.cache/upspec``).
A class the parser cannot follow is left out, and looked up live.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

_EMPTY = object()
#: names ``keras.layers`` exports that are not layer classes
NOT_LAYERS = frozenset({"InputSpec"})


def _keras_root() -> Path | None:
    spec = importlib.util.find_spec("keras")  # finds, does not import
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _module_file(root: Path, module: str) -> Path | None:
    parts = module.split(".")[1:]  # drop "keras"
    for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.Module) -> dict[str, tuple[str, str]]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module, alias.name)
    return found


def _listed(value: Any) -> Any:
    return [_listed(v) for v in value] if isinstance(value, (tuple, list)) else value


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def _default(node: ast.expr, constants: dict[str, ast.expr]) -> Any:
    if isinstance(node, ast.Name) and node.id in constants:  # a module-level constant
        node = constants[node.id]
    try:
        return _listed(ast.literal_eval(node))
    except (ValueError, SyntaxError, TypeError):
        return ast.unparse(node)


def _init_parameters(root: Path, module: str, name: str, depth: int = 0) -> dict[str, Any] | None:
    """``__init__``'s parameters (name -> default or REQUIRED) of ``module.name``, following base classes."""
    from .layer_signatures import REQUIRED

    path = _module_file(root, module)
    if path is None or depth > 8:
        return None
    tree = _parse(path)
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if cls is None:
        return None
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:  # inherited: follow the first base class
        if not cls.bases:
            return {}
        base = ast.unparse(cls.bases[0]).split(".")[-1]
        if base == "Layer":
            return {}
        imports = _imports(tree)
        target_module, target_name = imports.get(base, (module, base))
        return _init_parameters(root, target_module, target_name, depth + 1)
    args = init.args
    constants = _constants(tree)
    positional = args.posonlyargs + args.args
    defaults: list[Any] = [_EMPTY] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params: dict[str, Any] = {}
    for arg, default in zip(positional, defaults):
        params[arg.arg] = REQUIRED if default is _EMPTY else _default(default, constants)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params[arg.arg] = REQUIRED if default is None else _default(default, constants)
    params.pop("self", None)
    params.pop("name", None)
    return params


def table_from_source() -> dict[str, Any] | None:
    """``{"keras_version": ..., "layers": {name: {arg: default}}}`` for the installed Keras, or None."""
    import importlib.metadata

    from .layer_signatures import BASE_PARAMETERS
    from .layer_signatures import FORBIDDEN_LAYERS

    root = _keras_root()
    if root is None:
        return None
    index = next((p for p in (root / "layers" / "__init__.py", root / "api" / "layers" / "__init__.py") if p.is_file()),
                 None)
    if index is None:
        return None
    layers: dict[str, Any] = {}
    for public, (module, name) in _imports(_parse(index)).items():
        if public in FORBIDDEN_LAYERS or public in NOT_LAYERS or not public[:1].isupper() \
                or not module.startswith("keras.src."):
            continue
        try:
            params = _init_parameters(root, module, name)
        except (OSError, SyntaxError, ValueError):
            params = None
        if params is not None:
            for base_name, default in BASE_PARAMETERS.items():
                params.setdefault(base_name, default)
            layers[public] = params
    return {"keras_version": importlib.metadata.version("keras"), "layers": layers, "from": "source"}


def _cache_file(version: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "upspec" / f"keras_layers-{version}.json"


def cached_table(version: str) -> dict[str, Any] | None:
    """The source-parsed table for Keras ``version``, from the cache or parsed now (and cached)."""
    path = _cache_file(version)
    try:
        table = json.loads(path.read_text())
        if table.get("keras_version") == version:
            return table
    except (OSError, ValueError):
        pass
    table = table_from_source()
    if table is None or table["keras_version"] != version:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table))
        os.replace(tmp, path)
    except OSError:  # a read-only home: parse again next time
        pass
    return table
