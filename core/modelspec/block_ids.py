"""How entries inside blocks are named: ids made for entries written without one, free ids, and aliases
(``body`` for the last instance's output) followed to the entry they name."""

from __future__ import annotations

import re
from typing import Any

from .limits import MAX_DEPTH


def resolve_alias(name: Any, aliases: dict[str, str]) -> Any:
    for _ in range(MAX_DEPTH + 1):
        if not isinstance(name, str) or name not in aliases:
            return name
        name = aliases[name]
    return name


def local_ids(entries: list) -> list[str]:
    ids = []
    for j, entry in enumerate(entries):
        if isinstance(entry, dict):
            written = entry.get("id")
            ids.append(written if isinstance(written, str) and "${" not in written else auto_id(entry, j))
    return ids


def auto_id(entry: dict, index: int) -> str:
    kind = entry.get("layer") or entry.get("upsample") or entry.get("block") or "entry"
    return f"{snake_case(str(kind))}_{index}"


def free_id(entry: dict, index: int, taken: set) -> str:
    kind = entry.get("layer") or entry.get("upsample") or "entry"
    base = f"{snake_case(str(kind))}_{index}"
    candidate, n = base, 1
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
