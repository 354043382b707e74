"""Write a new plugin package from the templates in ``templates.py``."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import UpspecError
from .templates import FILES
from ..version import __version__

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(UpspecError):
    pass


def plugin_names(name: str) -> dict[str, str]:
    if not NAME_RE.match(name):
        raise ScaffoldError(f"plugin name {name!r} must be lower case letters, digits and underscores, "
                            "starting with a letter (it becomes the strategy name and part of the module name)")
    return {
        "name": name,
        "module": f"upspec_{name}",
        "distribution": f"upspec-{name.replace('_', '-')}",
        "class_name": "".join(part.capitalize() for part in name.split("_")) + "Upsample",
        "upspec_version": __version__,
    }


def _taken(name: str) -> str:
    """Who already provides a strategy called ``name`` (a built-in or an installed plugin), or ''."""
    from ..registry.registry import get_registry

    provided = get_registry().strategies.get(name)
    if provided is None:
        return ""
    info = provided.plugin
    return f"{info.name} ({'built-in' if info.builtin else info.distribution})"


def new_plugin(name: str, parent: str | os.PathLike = ".") -> Path:
    """Create ``<parent>/upspec-<name>/``; refuses an existing path and a name an installed strategy has. Written
    in a temporary folder and renamed, so an interrupted scaffold leaves nothing behind."""
    names = plugin_names(name)
    owner = _taken(name)
    if owner:
        raise ScaffoldError(f"a strategy called {name!r} exists already, from {owner}; two strategies of one name "
                            "cannot both be used: choose another NAME")
    target = Path(parent) / names["distribution"]
    if target.exists():
        raise ScaffoldError(f"{target} already exists; refusing to overwrite it (choose another NAME or folder)")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for relative, template in FILES.items():
            path = tmp / relative.format(**names)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(**names).lstrip("\n"), encoding="utf-8")
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
