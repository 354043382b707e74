"""The reuse layer of the spec language, between parsing and validation.

``extends:`` (``extends.py``) merges base specs into the spec; ``params:`` and ``blocks:`` (``blocks.py``)
are evaluated and expanded into flat entries. The result is an ordinary flat :class:`Document`, so every
later check runs unchanged on it; each value keeps the mark of where it was written and a trail of how
it got there, which every diagnostic prints as ``in:`` lines. :func:`expanded_yaml` prints the flat spec
with, above each entry, where it came from (``upspec show --resolved``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Iterable
from typing import Mapping

import yaml

from ..errors import Diagnostic
from ..errors import SpecError
from ..errors import available
from .block_checks import check_blocks
from .block_ids import resolve_alias
from .blocks import Budget
from .blocks import Expander
from .blocks import Scope
from .kinds import kind_of
from .yaml_source import Document
from .yaml_source import Path

#: the top-level keys of the reuse layer; none of them is left in the flat spec
REUSE_KEYS = ("extends", "params", "blocks")
#: overrides applied before expansion (the others apply to the flat spec, whose ids they name)
EARLY_OVERRIDES = ("params", "blocks")


@dataclass(frozen=True)
class Expansion:
    """What the reuse layer did to a spec: entries as written (after ``extends:``) and once expanded."""

    written: int
    entries: int
    bases: tuple[str, ...] = ()


def _has_reference(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "${" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def needs_expansion(data: Any) -> bool:
    """Whether ``data`` uses ``params:``, ``blocks:`` or a ``${...}`` (a flat spec is passed through untouched)."""
    if not isinstance(data, dict):
        return False
    return any(key in data for key in REUSE_KEYS) or _has_reference(data)


def split_overrides(overrides: Mapping[str, Any] | Iterable[str], data: Any = None) -> tuple[Any, Any]:
    """(``params.*`` / ``blocks.*`` overrides and those of a written block entry, ``layers.BODY.filters`` for
    ``{id: BODY, block: ...}`` in ``data``: they apply before the expansion; the others, to the flat spec), in
    the form they were given."""
    layers = data.get("layers") if isinstance(data, dict) else None
    block_entries = {str(e["id"]) for e in layers if isinstance(e, dict) and "block" in e and e.get("id")} \
        if isinstance(layers, list) else set()

    def early(path: str) -> bool:
        parts = path.strip().split(".")
        return parts[0] in EARLY_OVERRIDES or (parts[0] == "layers" and len(parts) == 3 and parts[1] in block_entries)

    if isinstance(overrides, Mapping):
        return ({k: v for k, v in overrides.items() if early(k)}, {k: v for k, v in overrides.items() if not early(k)})
    items = list(overrides)
    return [t for t in items if early(t.partition("=")[0])], [t for t in items if not early(t.partition("=")[0])]


def check_parameter_overrides(doc: Document, overrides: Mapping[str, Any] | Iterable[str]) -> None:
    """``--set params.NAME=...`` names a parameter the spec has (a new one would silently do nothing)."""
    params = doc.data.get("params") if isinstance(doc.data, dict) else None
    names = list(params) if isinstance(params, dict) else []
    paths = overrides if isinstance(overrides, Mapping) else [t.partition("=")[0].strip() for t in overrides]
    found = []
    for path in paths:
        parts = path.split(".")
        if parts[0] == "params" and len(parts) > 1 and parts[1] not in names:
            where = f"--set {path}" if not isinstance(overrides, Mapping) else f"--set {path}={overrides[path]!r}"
            for text in ([] if isinstance(overrides, Mapping) else overrides):
                if text.partition("=")[0].strip() == path:
                    where = f"--set {text}"
            found.append(Diagnostic(where, 1, len("--set params.") + 1, f"the spec has no parameter {parts[1]!r}",
                                    available(names, parts[1]) if names else "this spec has no params:"))
    if found:
        raise SpecError(found)


def prepare(doc: Document, overrides: Mapping[str, Any] | Iterable[str] | None) -> tuple[Document, Any]:
    """``doc`` with its bases merged, the ``params.*`` / ``blocks.*`` overrides applied and expanded; returns
    it with the overrides still to apply (to the flat spec)."""
    from .extends import resolve_extends
    from .overrides import apply_overrides

    doc, bases = resolve_extends(doc)
    late = overrides
    if overrides:
        early, late = split_overrides(overrides, doc.data)
        if early:
            check_parameter_overrides(doc, early)
            apply_overrides(doc, early)
    return expand(doc, bases), late


def expand(doc: Document, bases: tuple[str, ...] = ()) -> Document:
    """The flat document of ``doc``: parameters evaluated, block entries expanded, ``params:`` and
    ``blocks:`` gone. Raises :class:`SpecError` with every problem found (a budget passed stops at once)."""
    data = doc.data
    if not needs_expansion(data):
        if isinstance(data, dict) and isinstance(data.get("layers"), list):
            count = len(data["layers"])
            doc.expansion = Expansion(count, count, bases) if bases else None
        return doc
    expander = Expander(doc)
    try:
        scope = expander.parameters(data.get("params"), ("params",), Scope())
        check_blocks(expander, data.get("blocks"))
        flat = _graph(expander, data, (), scope, skip=REUSE_KEYS)
        for key in kind_of(data).sub_specs:
            if isinstance(data.get(key), dict):
                flat[key] = _graph(expander, data[key], (key,), scope, skip=())
                expander.out.values[(key,)] = doc.values.get((key,))  # type: ignore[assignment]
    except Budget as exceeded:
        raise SpecError([exceeded.diagnostic]) from None
    if expander.errors:
        raise SpecError(expander.errors)
    out = expander.out
    out.data = flat
    out.values[()] = doc.values.get((), out.values.get(()))  # type: ignore[assignment]
    written = data.get("layers")
    out.expansion = Expansion(len(written) if isinstance(written, list) else 0,
                              len(flat["layers"]) if isinstance(flat.get("layers"), list) else 0, bases)
    return out


def _graph(expander: Expander, data: dict, src: Path, scope: Scope, skip: tuple[str, ...]) -> dict:
    """One graph's mapping (the spec, or a sub-spec such as ``discriminator:``) copied flat."""
    flat: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    sub_specs = kind_of(data).sub_specs if not src else ()
    for key, value in data.items():
        if key in skip:
            continue
        mark = expander.doc.keys.get(src + (key,))
        if mark is not None:
            expander.out.keys[src + (key,)] = mark
        if key in sub_specs and isinstance(value, dict):
            flat[key] = None  # filled in by the caller, in this place
            continue
        if key == "layers":
            inputs = data.get("inputs")
            single = next(iter(inputs)) if isinstance(inputs, dict) and len(inputs) == 1 else None
            listing = expander.layers(value, src + (key,), src + (key,), scope, single)
            flat[key] = listing.out
            aliases = listing.aliases
        else:
            flat[key] = expander.value(value, src + (key,), src + (key,), scope)
    if aliases and "outputs" in flat:
        flat["outputs"] = _resolved(flat["outputs"], aliases)
    return flat


def _resolved(outputs: Any, aliases: dict[str, str]) -> Any:
    if isinstance(outputs, list):
        return [resolve_alias(o, aliases) for o in outputs]
    return resolve_alias(outputs, aliases)


# -- the flat spec as YAML, with where each entry came from ------------------


def origin(doc: Document, path: Path) -> list[str]:
    """Where the entry at ``path`` was written, then how it got into the flat spec (``in:`` steps)."""
    mark = doc.values.get(path)
    if mark is None:
        return []
    return [mark.where(doc.source), *(f"in: {step}" for step in mark.trail)]


def expanded_yaml(doc: Document) -> str:
    """The flat spec of ``doc`` as YAML, each entry preceded by comments naming where it came from."""
    lines = [f"# {doc.source}, expanded: every entry written out, with where it came from"]
    if doc.expansion is not None and doc.expansion.bases:
        lines.append("# bases: " + ", ".join(doc.expansion.bases))
    data = doc.data if isinstance(doc.data, dict) else {}
    for key, value in data.items():
        if key == "layers" and isinstance(value, list):
            lines += _layers(doc, (key,), value, "")
        elif isinstance(value, dict) and isinstance(value.get("layers"), list):
            lines.append(f"{key}:")
            for sub, item in value.items():
                if sub == "layers":
                    lines += _layers(doc, (key, sub), item, "  ")
                else:
                    lines += ["  " + line for line in _dump({sub: item}, _flow(item)).splitlines()]
        else:
            lines += _dump({key: value}, _flow(value)).splitlines()
    return "\n".join(lines) + "\n"


def _layers(doc: Document, path: Path, entries: list, indent: str) -> list[str]:
    lines = [f"{indent}layers:"]
    for index, entry in enumerate(entries):
        for note in origin(doc, path + (index,)):
            lines.append(f"{indent}  # {note}")
        lines.append(f"{indent}  - " + _dump(entry, flow=True).strip())
    return lines


def _flow(value: Any) -> bool | None:
    return None if isinstance(value, (dict, list)) else False


def _dump(value: Any, flow: bool | None = None) -> str:
    """Block style for sections, flow style for their innermost lists and mappings (``flow=True``: all)."""
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=flow, width=10_000, allow_unicode=True)
