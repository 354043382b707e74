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


def expand_spec_pattern(text: str) -> list[str]:
    """``specs/*.yaml`` that the shell left as it is (no such folder here): the shipped specs it matches."""
    import fnmatch

    path = Path(text)
    if not any(c in text for c in "*?[") or path.parent.name != "specs" or any(Path().glob(text)):
        return [text]
    found = [str(p) for name, p in shipped_specs().items() if fnmatch.fnmatch(name + SUFFIX, path.name)]
    return found or [text]


def shipped_spec(name: str) -> Path | None:
    """The shipped spec called ``name`` (with or without ``.yaml``), or None."""
    name = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
    return shipped_specs().get(name)


def resolve_spec_argument(value: str | os.PathLike) -> str:
    """``value`` itself if it exists (or is not a bare name), else the shipped spec of that name if any."""
    text = os.fspath(value)
    path = Path(text)
    if not path.exists() and path.parent.name == "specs" and path.suffix == SUFFIX and shipped_spec(path.name):
        return str(shipped_spec(path.name))  # the README's `specs/NAME.yaml`, pasted outside a source checkout
    if path.exists() or os.sep in text or "/" in text:
        return text
    found = shipped_spec(text)
    return str(found) if found is not None else text
