"""Turning pydantic validation errors into ``FILE:LINE:COL`` diagnostics."""

from __future__ import annotations

from typing import Any
from typing import Callable

from pydantic import ValidationError

from ..errors import Diagnostic
from ..errors import available
from .yaml_source import Document
from .yaml_source import Path


def data_path(data: Any, loc: tuple) -> tuple[Path, Any]:
    """The part of pydantic's ``loc`` that names places in ``data``.

    pydantic puts union members and validator names into ``loc``; those are
    skipped. Returns the path and the part of ``loc`` left over once the
    data ends (a missing key, for instance).
    """
    path: list = []
    current = data
    for i, item in enumerate(loc):
        if isinstance(current, dict) and item in current:
            path.append(item)
            current = current[item]
        elif isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current):
            path.append(item)
            current = current[item]
        elif isinstance(item, str) and _is_union_tag(item):
            continue
        else:
            return tuple(path), tuple(loc[i:])
    return tuple(path), ()


def _is_union_tag(item: str) -> bool:
    return "[" in item or "-" in item or item in {"int", "str", "float", "bool", "list", "dict", "none"}


def describe(path: Path, rename: Callable[[Path], str] | None = None) -> str:
    if rename is not None:
        return rename(path)
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "spec"


def diagnostics_from(
    exc: ValidationError,
    doc: Document,
    *,
    base: Path = (),
    data: Any = None,
    allowed_keys: Callable[[Path], list[str]],
    describe_path: Callable[[Path], str] = describe,
    expected: Callable[[Path], str | None] = lambda path: None,
) -> list[Diagnostic]:
    """One diagnostic per offending place, even when pydantic reports several (unions)."""
    data = doc.data if data is None else data
    by_place: dict[tuple[Path, tuple], list[Any]] = {}
    for error in exc.errors():
        path, rest = data_path(data, tuple(error["loc"]))
        by_place.setdefault((path, rest), []).append(error)
    result = []
    for (path, rest), errors in by_place.items():
        first = errors[0]
        full = base + path
        kind = first["type"]
        if kind == "extra_forbidden" and path:
            where = describe_path(path[:-1])
            hint = available(allowed_keys(path[:-1]), path[-1])
            result.append(doc.diagnostic(full, f"unknown key {path[-1]!r} in {where}", hint, key=True))
        elif kind == "missing":
            key = rest[0] if rest else "?"
            where = describe_path(path)
            result.append(doc.diagnostic(full, f"{where} is missing the required key {key!r}", key=True))
        else:
            value = first.get("input")
            wanted = expected(path)
            if wanted:
                message = f"invalid value for {describe_path(path)}: expected {wanted}, got {value!r}"
            else:
                detail = "; or ".join(dict.fromkeys(_lower(e["msg"]) for e in errors))
                message = f"invalid value for {describe_path(path)}: {detail}, got {value!r}"
            result.append(doc.diagnostic(full, message))
    return result


def _lower(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]
