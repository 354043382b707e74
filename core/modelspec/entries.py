"""Checking each ``layers:`` entry's parameters against the registry.

A strategy's parameters come from its ``build`` signature; a layer type's
from its class's ``__init``. Every unknown, missing or ill-typed parameter is
one diagnostic at the key that causes it.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import ValidationError
from pydantic import create_model

from ..errors import Diagnostic
from ..errors import NotFoundError
from ..errors import available
from ..registry.registry import Registry
from ..registry.strategy import Parameter
from .diagnose import diagnostics_from
from .layer_args import argument_problems
from .layer_args import combination_problems
from .model import Entry
from .model import LayerEntry
from .model import UpsampleEntry
from .strict_values import coerced
from .strict_values import describe_coercion
from .yaml_source import Document


@functools.lru_cache(maxsize=None)
def _parameter_model(strategy: str, parameters: tuple[Parameter, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        p.name: (p.annotation, ... if p.required else p.default) for p in parameters
    }
    config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    return create_model(f"{strategy}_parameters", __config__=config, **fields)


def validate_strategy_params(name: str, registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    """The validated parameters (raises pydantic's ``ValidationError``)."""
    parameters = registry.parameters(name)
    model = _parameter_model(name, tuple(parameters.values()))
    return model.model_validate(params).model_dump(exclude_unset=True)


def _check_upsample(entry: UpsampleEntry, index: int, doc: Document, registry: Registry) -> list[Diagnostic]:
    path = ("layers", index)
    label = entry.label(index, with_type=False)
    try:
        parameters = registry.parameters(entry.upsample)
    except NotFoundError as exc:
        return [doc.diagnostic(path + ("upsample",), f"{exc.message} ({label})", exc.hint)]
    strategy = registry.strategy(entry.upsample)
    try:
        validated = validate_strategy_params(entry.upsample, registry, entry.params)
    except ValidationError as exc:
        return diagnostics_from(
            exc, doc, base=path, data=entry.params,
            allowed_keys=lambda _: ["id", "inputs", "allow", "guide", *parameters],
            describe_path=lambda p: f"{label} (upsample: {entry.upsample})" if not p else f"{label}: {p[0]}",
            expected=lambda p: parameters[p[0]].type_text if p and p[0] in parameters else None,
        )
    loose = [doc.diagnostic(path + where, f"invalid value for {label}: {'.'.join(map(str, where))}: "
                                          f"{describe_coercion(value, read_as)}",
                            f"expected {parameters[where[0]].type_text}")
             for where, value, read_as in coerced(entry.params, validated)]
    if loose:
        return loose
    if entry.__pydantic_extra__ is not None:
        entry.__pydantic_extra__.update(validated)  # normalised values, e.g. "3" -> 3
    factor = validated.get("factor")
    if isinstance(factor, list) and len(set(factor)) > 1 and not strategy.per_axis_factors:
        return [doc.diagnostic(path + ("factor",), f"strategy {entry.upsample!r} does not support a different factor per axis (got {factor})",
                               "use one factor for every axis")]
    return _check_guide(entry, index, doc, registry)


def _check_guide(entry: UpsampleEntry, index: int, doc: Document, registry: Registry) -> list[Diagnostic]:
    """A guide only for a strategy that takes one; a required one present (its size is the graph's business)."""
    path = ("layers", index)
    label = entry.label(index, with_type=False)
    takes = registry.strategy(entry.upsample).takes_guide
    if entry.guide is not None and not takes:
        guided = sorted(name for name, p in registry.strategies.items() if getattr(p.value, "takes_guide", None))
        return [doc.diagnostic(path + ("guide",), f"strategy {entry.upsample!r} takes no guide ({label} names "
                                                  f"guide {entry.guide!r})",
                               "remove 'guide:', or use a strategy that takes one: " + ", ".join(guided), key=True)]
    if entry.guide is None and takes == "required":
        return [doc.diagnostic(path + ("upsample",), f"strategy {entry.upsample!r} needs a guide ({label})",
                               "add 'guide: ENTRY' naming an earlier entry (or input) whose spatial size is this "
                               "entry's output size: an encoder skip, the input image")]
    return []


def _check_layer(entry: LayerEntry, index: int, doc: Document, registry: Registry) -> list[Diagnostic]:
    path = ("layers", index)
    label = entry.label(index, with_type=False)
    try:
        signature = registry.layer_signature(entry.layer)
    except NotFoundError as exc:
        return [doc.diagnostic(path + ("layer",), f"{exc.message} ({label})", exc.hint)]
    found = []
    for key in entry.params:
        if key == "guide":
            found.append(doc.diagnostic(path + (key,), f"only upsample entries take 'guide:'; {label} is a layer "
                                                       f"({entry.layer})", "remove 'guide:'", key=True))
        elif key == "name":
            found.append(doc.diagnostic(path + (key,), f"{label} sets 'name'; layers are named after the entry's id",
                                        "write 'id: NAME' instead", key=True))
        elif key not in signature.parameters:
            found.append(doc.diagnostic(path + (key,), f"{entry.layer} has no argument {key!r} ({label})",
                                        available(["id", "inputs", "allow", *signature.parameters], key), key=True))
    for key, value in entry.params.items():
        if key in signature.parameters and key not in ("name", "guide"):
            for problem in argument_problems(entry.layer, key, value, signature.default(key), entry.params):
                found.append(doc.diagnostic(path + (key,), f"{entry.layer}: {problem} ({label})"))
    if not found:
        for key, problem in combination_problems(entry.params):
            found.append(doc.diagnostic(path + (key,), f"{entry.layer}: {problem} ({label})"))
    for required in signature.required:
        if required not in entry.params:
            found.append(doc.diagnostic(path + ("layer",), f"{entry.layer} needs the argument {required!r} ({label})"))
    return found


def check_entries(entries: list[tuple[int, Entry]], doc: Document, registry: Registry) -> list[Diagnostic]:
    """Check each ``(index, entry)``; validated strategy parameters are written back."""
    found: list[Diagnostic] = []
    for index, entry in entries:
        if isinstance(entry, UpsampleEntry):
            found += _check_upsample(entry, index, doc, registry)
        else:
            found += _check_layer(entry, index, doc, registry)
    return found
