"""Paths in a spec's ``data.options`` resolved against the file that wrote them, as docker-compose, Hydra and
MONAI bundles do: ``path: imgs`` in ``myproj/mysr.yaml`` is ``myproj/imgs`` from whatever folder upspec runs in.

A value written in a spec file is relative to that file's folder (a base spec's value to the base's folder); a
value given with ``--set`` or in a dict or YAML text is relative to the current folder. Every resolved path is
absolute, so the run folder's ``spec.yaml`` (and ``evaluate`` of it later, from anywhere) names the same files.
Which options are paths: ``path`` always, and whatever a data source lists in its ``path_options``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .yaml_source import Document

#: options that are paths for every data source
COMMON_PATH_OPTIONS = ("path",)


def path_options(source_name: Any, registry: Any) -> tuple[str, ...]:
    """``path`` and the path options the data source ``source_name`` declares (``path_options``)."""
    declared: tuple[str, ...] = ()
    for _info, provided in registry.call("upspec_datasets"):
        for source in provided or ():
            if getattr(source, "name", None) == source_name:
                declared = tuple(getattr(source, "path_options", ()) or ())
    return tuple(dict.fromkeys((*COMMON_PATH_OPTIONS, *declared)))


def _base_folder(doc: Document, where: str | None) -> Path:
    """The folder a relative path written at ``where`` (a mark's source; None: the document itself) is
    relative to."""
    origin = where or doc.source
    if origin and not origin.startswith(("<", "--")) and Path(origin).is_file():
        return Path(origin).resolve().parent
    return Path.cwd()


def resolve_data_paths(doc: Document, registry: Any) -> None:
    """Make each path option of ``doc``'s ``data.options`` absolute, in place (see the module's docstring)."""
    data = doc.data.get("data") if isinstance(doc.data, dict) else None
    options = data.get("options") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(options, dict):
        return
    assert isinstance(data, dict)  # options came from it
    for key in path_options(data.get("source", "photos"), registry):
        value = options.get(key)
        if not isinstance(value, str) or not value.strip() or "://" in value:
            continue
        path = Path(os.path.expanduser(value))
        if not path.is_absolute():
            mark = doc.values.get(("data", "options", key))
            path = _base_folder(doc, mark.source if mark is not None else None) / path
        options[key] = os.path.normpath(path)
