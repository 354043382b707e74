"""``--set PATH=VALUE`` and ``--strategy NAME``: changes applied before validation.

Overridden values get marks that point into the override text, so a bad
override is reported like a bad line in the file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from typing import Iterable
from typing import Mapping

from ..errors import Diagnostic
from ..errors import SpecError
from ..errors import available
from .yaml_source import Document
from .yaml_source import Mark
from .yaml_source import parse_yaml


def override_strings(overrides: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    """Overrides in their one written form, ``["PATH=VALUE", ...]``: a mapping's values as JSON (which YAML
    reads back as the same value), a list as it is. Every API function takes either."""
    import json

    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    if isinstance(overrides, Mapping):
        return [f"{path}={json.dumps(value)}" for path, value in overrides.items()]
    return [str(text) for text in overrides]


def _pairs(overrides: Mapping[str, Any] | Iterable[str]) -> Iterable[tuple[str, Any, str]]:
    """(dotted path, value, the text to quote in errors)."""
    if isinstance(overrides, Mapping):
        for path, value in overrides.items():
            yield path, value, f"--set {path}={value!r}"
        return
    for text in overrides:
        path, sep, raw = text.partition("=")
        where = f"--set {text}"
        if not sep or not path.strip():
            raise SpecError([Diagnostic(where, 1, 1, "an override must look like PATH=VALUE",
                                        "for example: --set layers.up.filters=64")])
        value = _parse_value(raw, where, column=len("--set ") + len(path) + 2) if raw.strip() else None
        yield path.strip(), value, where


def _parse_value(raw: str, where: str, column: int) -> Any:
    """The YAML value of an override; errors point into the ``--set`` argument (its column)."""
    try:
        return parse_yaml(raw, source=where).data
    except SpecError as error:
        raise SpecError([replace(d, line=1, column=column + (d.column - 1 if d.line == 1 else len(raw)))
                         for d in error.diagnostics]) from None


def _part_columns(dotted: str) -> list[int]:
    """The column of each dotted part inside ``--set PATH=VALUE``."""
    columns, at = [], len("--set ") + 1
    for part in dotted.split("."):
        columns.append(at)
        at += len(part) + 1
    return columns


def _step(container: Any, part: str, walked: str, where: str, column: int = 1) -> Any:
    """The key or index that ``part`` names in ``container``."""
    if isinstance(container, list):
        if part.lstrip("-").isdigit() and -len(container) <= int(part) < len(container):
            return int(part) % len(container)
        ids = [str(e["id"]) for e in container if isinstance(e, dict) and e.get("id")]
        for index, entry in enumerate(container):
            if isinstance(entry, dict) and entry.get("id") == part:
                return index
        raise SpecError([Diagnostic(where, 1, column, f"{walked} has no entry with id {part!r}",
                                    available(ids, part, "upspec show --resolved SPEC")
                                    + f", or an index 0..{len(container) - 1}")])
    if isinstance(container, dict):
        return part
    raise SpecError([Diagnostic(where, 1, column, f"{walked} is a {type(container).__name__}, it has no key {part!r}")])


def _join_dotted_id(container: Any, parts: list[str], columns: list[int], depth: int) -> tuple[list[str], list[int]]:
    """In a list of entries, the longest run of parts from ``depth`` that is one entry's id joins into one part:
    a block's expanded entries have dotted ids (``layers.body.1.conv1.filters``)."""
    if not isinstance(container, list):
        return parts, columns
    ids = {str(e.get("id")) for e in container if isinstance(e, dict)}
    for end in range(len(parts) - 1, depth + 1, -1):  # keep at least one part after the id
        if ".".join(parts[depth:end]) in ids:
            return parts[:depth] + [".".join(parts[depth:end])] + parts[end:], columns[:depth + 1] + columns[end:]
    if parts[depth] not in ids and any(i.startswith(parts[depth] + ".") for i in ids) and len(parts) > depth + 2:
        end = len(parts) - 1  # no such dotted id: the error names all of it (and the closest ids)
        return parts[:depth] + [".".join(parts[depth:end])] + parts[end:], columns[:depth + 1] + columns[end:]
    return parts, columns


def apply_overrides(doc: Document, overrides: Mapping[str, Any] | Iterable[str]) -> None:
    """Set each dotted path (``layers.up.filters``) in ``doc.data``, in place."""
    if not isinstance(doc.data, dict):
        return
    for dotted, value, where in _pairs(overrides):
        parts = dotted.split(".")
        columns = _part_columns(dotted)
        for part, column in zip(parts, columns):
            if not part.strip():
                raise SpecError([Diagnostic(where, 1, column, f"the path {dotted!r} has an empty part",
                                            "a path is keys, ids or indexes joined by '.', e.g. layers.up.filters")])
        container: Any = doc.data
        path: tuple = ()
        depth = 0
        while depth < len(parts):
            parts, columns = _join_dotted_id(container, parts, columns, depth)
            part = parts[depth]
            key = _step(container, part, ".".join(parts[:depth]) or "the spec", where, columns[depth])
            path += (key,)
            if isinstance(container, dict) and key not in container:  # a key the override adds: errors about it
                doc.keys[path] = Mark(1, columns[depth], source=where)  # (an unknown key) point at the option
                doc.values[path] = Mark(1, columns[depth], source=where)
            if depth == len(parts) - 1:
                container[key] = value
            else:
                if isinstance(container, dict) and not isinstance(container.get(key), (dict, list)):
                    # a shorthand such as `optimizer: adam` expands to `{name: adam}`
                    current = container.get(key)
                    container[key] = {"name": current} if isinstance(current, str) else {}
                container = container[key]
            depth += 1
        column = len("--set ") + len(dotted) + 2
        for known in [p for p in doc.values if p[: len(path)] == path]:
            del doc.values[known]
        doc.values[path] = Mark(1, column, source=where)
        doc.keys[path] = Mark(1, len("--set ") + 1, source=where)


def apply_strategy(doc: Document, strategy: str, accepted: Iterable[str] | None, *,
                   resizes_only: bool = True, takes_guide: str | None = "optional") -> list[str]:
    """Switch every ``upsample:`` entry to ``strategy``.

    Parameters the new strategy does not take (another strategy's own
    options) are dropped, so that any spec can be switched; the returned
    notes say what was dropped. ``accepted`` is None when the strategy is
    unknown, which validation then reports. A fixed resize (``filters:
    null``) is switched only to a strategy that can resize without a
    convolution (``resizes_only``): a learnt upsampler would need a
    ``filters`` the spec does not give. An entry's ``guide:`` stays for a
    strategy that takes one (``takes_guide``) and is dropped, with a note,
    for one that takes none.
    """
    notes = []
    layers = doc.data.get("layers") if isinstance(doc.data, dict) else None
    for index, entry in enumerate(layers if isinstance(layers, list) else []):
        if not isinstance(entry, dict) or "upsample" not in entry:
            continue
        if "filters" in entry and entry["filters"] is None and not resizes_only:
            notes.append(f"layers[{index}] ({entry.get('id', 'no id')}): kept {entry['upsample']!r} (filters: null), "
                         f"which {strategy!r} cannot take")
            continue
        entry["upsample"] = strategy
        doc.values[("layers", index, "upsample")] = Mark(1, len("--strategy ") + 1, source=f"--strategy {strategy}")
        if entry.get("guide") is not None and not takes_guide and accepted is not None:
            notes.append(f"layers[{index}] ({entry.get('id', 'no id')}): ignores its guide {entry['guide']!r}, "
                         f"which {strategy!r} does not take")
            del entry["guide"]
        if accepted is None:
            continue
        keep = set(accepted) | {"id", "inputs", "upsample", "allow", "guide"}
        for key in [k for k in entry if k not in keep]:
            del entry[key]
            notes.append(f"layers[{index}] ({entry.get('id', 'no id')}): dropped {key!r}, which {strategy!r} does not take")
    return notes
