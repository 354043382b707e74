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
from ..gan.spec import discriminator_diagnostics
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..registry.strategy import keeps_channels
from ..run.settings import check_sections
from .diagnose import diagnostics_from
from .entries import check_entries
from .model import ID_PATTERN
from .model import CompileSpec
from .model import Entry
from .model import LimitsSpec
from .model import Spec
from .model import parse_entry
from .overrides import apply_overrides
from .overrides import apply_strategy
from .yaml_source import Document
from .yaml_source import decode_spec
from .yaml_source import parse_yaml

SpecSource = Union[Spec, Document, Mapping[str, Any], str, os.PathLike]
Overrides = Union[Mapping[str, Any], Iterable[str], None]

_SECTION_KEYS = {(): list(Spec.model_fields), ("compile",): list(CompileSpec.model_fields),
                 ("limits",): list(LimitsSpec.model_fields)}


def read_source(source: SpecSource) -> Document:
    """A fresh :class:`Document` for any accepted kind of source."""
    if isinstance(source, Spec):
        if source.document is None:
            return Document(data=source.model_dump(exclude_none=True), source="<spec>")
        source = source.document
    if isinstance(source, Document):
        return Document(copy.deepcopy(source.data), source.source, dict(source.values), dict(source.keys))
    if isinstance(source, Mapping):
        return Document(data=copy.deepcopy(dict(source)), source="<dict>")
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise SpecError([Diagnostic(str(path), 0, 0, "no such spec file")]) from None
        except OSError as exc:
            raise SpecError([Diagnostic(str(path), 0, 0, f"cannot read the spec: {exc.strerror or exc}")]) from None
        return parse_yaml(decode_spec(raw, str(path)), source=str(path))
    if isinstance(source, str):
        return parse_yaml(source, source="<string>")
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
    if not isinstance(doc.data, dict):
        raise SpecError([doc.diagnostic((), "a spec must be a mapping with the keys name, inputs and layers",
                                        "see specs/seed_transpose.yaml for an example")])
    found = _check_inputs(doc)
    spec = None
    try:
        spec = Spec.model_validate(doc.data)
    except ValidationError as exc:
        found += diagnostics_from(exc, doc, allowed_keys=lambda path: _SECTION_KEYS.get(path, []))
    # entries are checked against the registry even when another section is broken,
    # so that one run reports every problem
    found += check_entries(_valid_entries(doc.data.get("layers")), doc, registry)
    found += check_sections(doc, registry)
    found += discriminator_diagnostics(doc, registry)
    if found or spec is None:
        raise SpecError(_unique(found))
    spec.layers = [parse_entry(e) for e in doc.data["layers"]]
    spec._document = doc
    return spec


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
    with the overrides). ``strategy`` switches every ``upsample:`` entry;
    ``overrides`` maps dotted paths (``layers.up.filters``) to values, or is
    a list of ``"PATH=VALUE"`` strings as on the command line.

    Raises :class:`SpecError` listing every problem found.
    """
    registry = registry or get_registry()
    doc = read_source(source)
    if overrides:
        apply_overrides(doc, overrides)
    if strategy is not None:
        try:
            accepted: list[str] | None = list(registry.parameters(strategy))
            resizes_only = keeps_channels(registry.strategy(strategy))
        except NotFoundError:
            accepted, resizes_only = None, False
        apply_strategy(doc, strategy, accepted, resizes_only=resizes_only)
    return validate_document(doc, registry)
