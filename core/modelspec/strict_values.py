"""Booleans are not integers and strings are not numbers, whatever a type checker would coerce.

pydantic (in its default, lax mode) reads ``true`` as ``1`` and ``"2"`` as
``2``; a spec that says ``factor: true`` means something else. Comparing what
was written with what validation made of it catches every such coercion,
whatever the annotation (a plugin's ``tuple[int, ...]`` included).
"""

from __future__ import annotations

from typing import Any
from typing import Iterator

from .yaml_source import Path


def coerced(given: Any, validated: Any, path: Path = ()) -> Iterator[tuple[Path, Any, str]]:
    """``(path, written value, what it was read as)`` for each bool or string read as another type."""
    if isinstance(given, bool):
        if not isinstance(validated, bool) and validated is not None:
            yield path, given, type(validated).__name__
    elif isinstance(given, str):
        if isinstance(validated, (int, float)) and not isinstance(validated, bool):
            yield path, given, "a number"
    elif isinstance(given, list) and isinstance(validated, (list, tuple)) and len(given) == len(validated):
        for index, (g, v) in enumerate(zip(given, validated)):
            yield from coerced(g, v, path + (index,))
    elif isinstance(given, dict) and isinstance(validated, dict):
        for key, value in given.items():
            if key in validated:
                yield from coerced(value, validated[key], path + (key,))


def describe_coercion(value: Any, read_as: str) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} is a boolean, not a number" if read_as in ("int", "float") else \
            f"{str(value).lower()} is a boolean, not {read_as}"
    return f"{value!r} is a string, not a number (write it without quotes)"
