"""``load_spec``: a path, YAML text or dict in; a validated :class:`Spec` out.

Every problem in the spec is collected before anything is raised, so one
:class:`SpecError` lists them all.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any
from typing import Iterable
from typing import Mapping
from typing import Union

from pydantic import ValidationError

from ..errors import Diagnostic
from ..errors import NotFoundError
from ..errors import SpecError
from ..errors import available
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..registry.strategy import keeps_channels
from .compile_names import compile_names_diagnostics
from .data_paths import resolve_data_paths
from .diagnose import diagnostics_from
from .entries import check_entries
from .kinds import kind_of
from .kinds import top_level_keys
from .model import ID_PATTERN
from .model import CompileSpec
from .model import Entry
from .model import LimitsSpec
from .model import Spec
from .model import SpecKind
from .model import parse_entry
from .sections import data_names_diagnostics
from .sections import section_diagnostics
from .overrides import apply_overrides
from .overrides import apply_strategy
from .reuse import prepare
from .yaml_source import Document
from .yaml_source import decode_spec
from .yaml_source import parse_yaml

SpecSource = Union[Spec, Document, Mapping[str, Any], str, os.PathLike]
Overrides = Union[Mapping[str, Any], Iterable[str], None]

_SECTION_KEYS = {("compile",): list(CompileSpec.model_fields), ("limits",): list(LimitsSpec.model_fields)}
#: what a section that is a spec of its own (a GAN's ``discriminator:``) may hold
SUB_SPEC_KEYS = ("name", "description", "inputs", "layers", "outputs", "compile")


def read_source(source: SpecSource) -> Document:
    """A fresh :class:`Document` for any accepted kind of source."""
    if isinstance(source, Spec):
        if source.document is None:
            return Document(data=source.model_dump(exclude_none=True), source="<spec>")
        source = source.document
    if isinstance(source, Document):
        return Document(copy.deepcopy(source.data), source.source, dict(source.values), dict(source.keys),
                        source.expansion)
    if isinstance(source, Mapping):
        return Document(data=copy.deepcopy(dict(source)), source="<dict>")
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source)
        if not path.exists():  # a shipped spec's name, or the README's specs/NAME.yaml outside a checkout
            from ..shipped import resolve_spec_argument

            path = Path(resolve_spec_argument(path))
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise SpecError([Diagnostic(str(path), 0, 0, "no such spec file")]) from None
        except OSError as exc:
            raise SpecError([Diagnostic(str(path), 0, 0, f"cannot read the spec: {exc.strerror or exc}")]) from None
        return parse_yaml(decode_spec(raw, str(path)), source=str(path), reuse_tags=True)
    if isinstance(source, str):
        return parse_yaml(source, source="<string>", reuse_tags=True)
    raise TypeError(f"load_spec() takes a path, YAML text, a dict or a Spec, not {type(source).__name__}")


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and (text.endswith((".yaml", ".yml")) or Path(text).is_file())


def _check_inputs(doc: Document) -> list[Diagnostic]:
    inputs = doc.data.get("inputs")
    found = []
    for name, shape in (inputs.items() if isinstance(inputs, dict) else ()):
        if not re.match(ID_PATTERN, str(name)):
            found.append(doc.diagnostic(("inputs", name), f"invalid input name {name!r}",
                                        "use letters, digits, '_' and '-', starting with a letter", key=True))
        if isinstance(shape, list) and not shape:
            found.append(doc.diagnostic(("inputs", name), f"input {name!r} needs a shape such as [28, 28, 1]"))
        elif isinstance(shape, list) and shape[-1] is None:
            found.append(doc.diagnostic(("inputs", name, len(shape) - 1),
                                        f"input {name!r} must give its channel count (the last dimension), not null"))
    return found


def validate_document(doc: Document, registry: Registry) -> Spec:
    """The typed spec of ``doc``, of the kind its sections select; ``SpecError`` with every problem found."""
    if not isinstance(doc.data, dict):
        raise SpecError([doc.diagnostic((), "a spec must be a mapping with the keys name, inputs and layers",
                                        "see specs/seed_transpose.yaml for an example")])
    kind = kind_of(doc.data)
    found = _check_inputs(doc)
    sections = kind.section_models
    spec = None
    try:
        # train: and data: are validated one by one below, so that their errors name the dotted key
        spec = kind.spec_class.model_validate({k: v for k, v in doc.data.items() if k not in sections})
    except ValidationError as exc:
        found += diagnostics_from(exc, doc, allowed_keys=lambda path: _allowed_keys(path, kind))
    # entries are checked against the registry even when another section is broken,
    # so that one run reports every problem
    found += check_entries(_valid_entries(doc.data.get("layers")), doc, registry)
    found += compile_names_diagnostics(doc, registry)
    typed: dict[str, Any] = {}
    for key, model in sections.items():
        settings, problems = section_diagnostics(doc, key, doc.data.get(key, {}), model)
        found += problems
        typed[key] = settings
    if typed.get("data") is not None:
        found += data_names_diagnostics(doc, typed["data"], registry)
    for key in kind.sub_specs:
        found += _sub_spec_problems(doc, key, registry)
    if kind.check is not None:
        found += kind.check(doc, registry)
    if found or spec is None:
        # the graph, which checks the wiring, is built only from a valid spec: say now what it would say later
        raise SpecError(_unique(found + _undefined_inputs(doc)))
    spec = spec.resolved(layers=[parse_entry(e) for e in doc.data["layers"]], **typed)
    spec._document = doc
    return spec


def _undefined_inputs(doc: Document) -> list[Diagnostic]:
    """Entries' ``inputs:`` that name neither an input nor an entry (names of automatic ids, ``conv2_d_3``, are
    left to the graph)."""
    layers = doc.data.get("layers") if isinstance(doc.data, dict) else None
    inputs = doc.data.get("inputs") if isinstance(doc.data, dict) else None
    if not isinstance(layers, list):
        return []
    known = set(inputs) if isinstance(inputs, dict) else set()
    known |= {str(e["id"]) for e in layers if isinstance(e, dict) and e.get("id") is not None}
    found = []
    for index, entry in enumerate(layers):
        names = entry.get("inputs") if isinstance(entry, dict) else None
        names = [names] if isinstance(names, str) else names
        for position, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str) and name not in known and not re.search(r"_\d+$", name):
                label = f"entry {entry['id']!r}" if entry.get("id") else f"layers[{index}]"
                path = ("layers", index, "inputs") + ((position,) if isinstance(entry.get("inputs"), list) else ())
                found.append(doc.diagnostic(path, f"{label} takes input {name!r}, which is not defined",
                                            available(known - {entry.get("id")}, name)))
    return found


def _allowed_keys(path: tuple, kind: SpecKind) -> list[str]:
    if path == ():  # a misspelt section of another kind (``discriminatr``) is still suggested
        return list(dict.fromkeys([*kind.spec_class.model_fields, *top_level_keys()]))
    return _SECTION_KEYS.get(path, [])


def _part(doc: Document, key: str) -> Document:
    """The part of ``doc`` under the top-level ``key``, every mark kept (paths re-rooted)."""
    def reroot(marks: dict) -> dict:
        return {path[1:]: mark for path, mark in marks.items() if path[:1] == (key,)}

    values, keys = reroot(doc.values), reroot(doc.keys)
    keys.pop((), None)
    return Document(data=doc.data[key], source=doc.source, values=values, keys=keys, expansion=doc.expansion)


def _sub_document(doc: Document, key: str) -> tuple[Document, list[Diagnostic]]:
    """The section ``key`` as a spec document of its own (unknown keys reported and dropped, a name given)."""
    sub = _part(doc, key)
    sub.data = dict(sub.data)
    found = [sub.diagnostic((name,), f"the {key} has no key {name!r}", available(SUB_SPEC_KEYS, name), key=True)
             for name in sub.data if name not in SUB_SPEC_KEYS]
    for name in [k for k in sub.data if k not in SUB_SPEC_KEYS]:
        del sub.data[name]
    spec_name = doc.data.get("name")
    sub.data.setdefault("name", f"{spec_name}-{key}" if isinstance(spec_name, str) else key)
    return sub, found


def _sub_spec_problems(doc: Document, key: str, registry: Registry) -> list[Diagnostic]:
    if not isinstance(doc.data.get(key), dict):
        return []  # absent, or not a mapping: the kind's Spec model says so
    sub, found = _sub_document(doc, key)
    try:
        validate_document(sub, registry)
    except SpecError as error:
        found += error.diagnostics
    return found


def sub_spec(spec: Spec, key: str, registry: Registry | None = None) -> Spec:
    """The section ``key`` of ``spec`` (a GAN's ``discriminator``) as a :class:`Spec` of its own, its
    errors at their places in the spec's file."""
    sub, found = _sub_document(read_source(spec), key)
    if found:
        raise SpecError(found)
    return validate_document(sub, registry or get_registry())


def _valid_entries(layers: Any) -> list[tuple[int, Entry]]:
    valid = []
    for index, item in enumerate(layers if isinstance(layers, list) else []):
        try:
            valid.append((index, parse_entry(item)))
        except ValidationError:
            pass  # already reported by the Spec validation
    return valid


def _unique(found: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(dict.fromkeys(found), key=lambda d: (d.source != found[0].source, d.line, d.column))


def load_spec(source: SpecSource, *, strategy: str | None = None, overrides: Overrides = None,
              registry: Registry | None = None) -> Spec:
    """Load and validate a spec.

    ``source`` is a path, YAML text, a dict, or a :class:`Spec` (re-validated
    with the overrides). Its ``extends:``, ``params:`` and ``blocks:`` are
    expanded first (``upspec.modelspec.reuse``): ``params.*`` / ``blocks.*``
    overrides apply before that, the others to the flat spec. ``strategy`` switches every ``upsample:`` entry;
    ``overrides`` maps dotted paths (``layers.up.filters``) to values, or is
    a list of ``"PATH=VALUE"`` strings as on the command line.

    Raises :class:`SpecError` listing every problem found.
    """
    registry = registry or get_registry()
    doc, overrides = prepare(read_source(source), overrides)
    if overrides:
        apply_overrides(doc, overrides)
    notes: list[str] = []
    if strategy is not None:
        try:
            accepted: list[str] | None = list(registry.parameters(strategy))
            resizes_only = keeps_channels(registry.strategy(strategy))
            takes_guide = registry.strategy(strategy).takes_guide
        except NotFoundError:
            accepted, resizes_only, takes_guide = None, False, None
        notes = apply_strategy(doc, strategy, accepted, resizes_only=resizes_only, takes_guide=takes_guide)
    resolve_data_paths(doc, registry)
    spec = validate_document(doc, registry)
    spec._notes = tuple(notes)
    return spec
