"""The specs shipped with upspec (``specs/`` in the source, ``upspec.specs`` once installed).

A spec argument on the command line may name one of them (``upspec run
seed_transpose``); a path that exists always wins over a name.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

SUFFIX = ".yaml"


def _folder() -> Path:
    try:
        return Path(str(importlib.resources.files("upspec.specs")))
    except ModuleNotFoundError:  # an old editable install without the upspec.specs package: the source tree
        return Path(__file__).resolve().parent.parent / "specs"


def shipped_specs() -> dict[str, Path]:
    """Each shipped spec by name (its file name without ``.yaml``), sorted."""
    folder = _folder()
    return {p.name[: -len(SUFFIX)]: p for p in sorted(folder.glob(f"*{SUFFIX}"))} if folder.is_dir() else {}


def shipped_spec(name: str) -> Path | None:
    """The shipped spec called ``name`` (with or without ``.yaml``), or None."""
    name = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
    return shipped_specs().get(name)


def resolve_spec_argument(value: str | os.PathLike) -> str:
    """``value`` itself if it exists (or is not a bare name), else the shipped spec of that name if any."""
    text = os.fspath(value)
    if Path(text).exists() or os.sep in text or "/" in text:
        return text
    found = shipped_spec(text)
    return str(found) if found is not None else text
