"""The JSON Schema of a spec, with every registered strategy's parameters.

One self-contained draft 2020-12 document with one root ``$defs``, so that
every validator resolves its references (Python ``jsonschema``, ``ajv``,
yaml-language-server). Each ``layers:`` entry is dispatched on its kind:
``upsample: NAME`` selects that strategy's parameters (from its ``build``
signature), ``layer: NAME`` that layer class's arguments, each closed with
``additionalProperties: false`` so a misspelt parameter is named. Forms the
loader accepts besides the typed ones (``optimizer: adam`` as well as a
mapping, one metric or input as a string) are described too.

Editors: put ``# yaml-language-server: $schema=upspec.schema.json`` at the
top of a spec (see docs/spec.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..registry.layer_signatures import REQUIRED
from ..registry.registry import Registry
from .entries import _parameter_model
from .model import ID_PATTERN
from .model import LINTS
from .model import NAME_PATTERN
from .model import CompileSpec
from .kinds import kinds
from .model import SUPERVISED
from .model import SpecKind

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REF = "#/$defs/{model}"

_ID = {"type": "string", "pattern": ID_PATTERN, "description": "names the entry and its Keras layer"}
_NAMES = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_INPUTS = {"description": "ids or input names this entry takes; default: the previous entry", **_NAMES}
_ALLOW = {"type": "array", "items": {"enum": list(LINTS)},
          "description": "best-practice warnings of validate/show this entry silences, e.g. [uneven_overlap]"}
_INTS = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "array", "items": {"type": "integer", "minimum": 1}}]}
_OBJECT_OR_NAME = {"anyOf": [{"type": "string"}, {"type": "object"}, {"type": "null"}]}

#: the types of Keras layer arguments that many classes share (the stored table holds only defaults)
KERAS_ARGUMENT_TYPES: dict[str, dict[str, Any]] = {
    "filters": {"type": "integer", "minimum": 1},
    "units": {"type": "integer", "minimum": 1},
    "kernel_size": _INTS, "strides": _INTS, "dilation_rate": _INTS, "pool_size": _INTS, "size": _INTS,
    "padding": {"anyOf": [{"enum": ["valid", "same", "causal", "full"]}, {"type": "integer"}, {"type": "array"}]},
    "activation": {"type": ["string", "null"]},
    "use_bias": {"type": "boolean"},
    "data_format": {"enum": ["channels_last", "channels_first", None]},
    "interpolation": {"type": "string"},
    "rate": {"type": "number", "minimum": 0, "maximum": 1},
    "axis": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
    "target_shape": {"type": "array", "items": {"type": "integer"}},
}


def _argument_schema(name: str, default: Any) -> dict[str, Any]:
    schema: dict[str, Any] = dict(KERAS_ARGUMENT_TYPES.get(name, {}))
    if not schema and name.endswith(("_initializer", "_regularizer", "_constraint")):
        schema = dict(_OBJECT_OR_NAME)
    if not schema and isinstance(default, bool):
        schema = {"type": "boolean"}
    if default != REQUIRED:
        schema["default"] = default
    return schema


def _summary(obj: Any) -> str:
    return ((type(obj).__doc__ or "").strip().splitlines() or [""])[0]


def _strategy_models(registry: Registry) -> dict[str, type[BaseModel]]:
    return {name: _parameter_model(name, tuple(registry.parameters(name).values())) for name in sorted(registry.strategies)}


def _pydantic_defs(registry: Registry) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Root ``$defs`` from pydantic, and each strategy's parameter properties (refs into those ``$defs``)."""
    models = _strategy_models(registry)
    expressible = {}
    for name, model in models.items():
        try:
            model.model_json_schema()
            expressible[name] = model
        except Exception:  # a plugin annotation pydantic cannot express: its parameters stay untyped
            pass
    sections = list(dict.fromkeys(model for kind in kinds().values() for model in kind.section_models.values()))
    keys, document = models_json_schema(
        [(CompileSpec, "validation"), *[(m, "validation") for m in sections],
         *[(m, "validation") for m in expressible.values()]], ref_template=REF,
    )
    defs = document.get("$defs", {})
    properties: dict[str, dict[str, Any]] = {}
    for name in models:
        parameters = registry.parameters(name)
        if name in expressible:
            model_def = keys[(expressible[name], "validation")]["$ref"].rpartition("/")[2]
            found = dict(defs.pop(model_def).get("properties", {}))
        else:
            found = {p: {} for p in parameters}
        for pname, parameter in parameters.items():
            found.setdefault(pname, {})["description"] = parameter.type_text + (
                "" if parameter.required else f" (default {parameter.default!r})"
            )
        properties[name] = found
    return defs, properties


def _accepts_single(schema: dict[str, Any], prop: str, single: dict[str, Any]) -> None:
    """The loader also takes one bare value (a name) where the typed model wants a mapping or a list."""
    typed = schema["properties"][prop]
    extra = {k: typed.pop(k) for k in ("title", "default", "description") if k in typed}
    schema["properties"][prop] = {**extra, "anyOf": [single, typed]}


def _compile_def(defs: dict[str, Any]) -> None:
    compile_def = defs["CompileSpec"]
    _accepts_single(compile_def, "optimizer", {"type": "string", "description": "an optimizer name, e.g. adam"})
    _accepts_single(compile_def, "metrics", {"type": "string"})


def _strategy_def(name: str, properties: dict[str, Any], registry: Registry) -> dict[str, Any]:
    parameters = registry.parameters(name)
    provided = registry.strategies[name]
    takes_guide = getattr(provided.value, "takes_guide", None)
    guide = {"guide": {"type": "string", "description": f"the entry (or input) whose output guides this one, at the "
                                                        f"output's spatial size ({takes_guide})"}} if takes_guide else {}
    return {
        "title": f"upsample: {name}",
        "description": _summary(provided.value) + f" [plugin {provided.plugin.name}, {provided.plugin.distribution}]",
        "type": "object",
        "required": ["upsample", *(["guide"] if takes_guide == "required" else []),
                     *[p for p, v in parameters.items() if v.required]],
        "properties": {"upsample": {"const": name}, "id": _ID, "inputs": _INPUTS, "allow": _ALLOW, **guide, **properties},
        "additionalProperties": False,
    }


def _layer_def(name: str, registry: Registry) -> dict[str, Any]:
    properties: dict[str, Any] = {"layer": {"const": name}, "id": _ID, "inputs": _INPUTS, "allow": _ALLOW}
    required = ["layer"]
    target = registry.layers[name].value
    lazy = isinstance(target, str) and not target.startswith("keras.layers:")
    try:
        if lazy:  # resolving "module:Class" would import Keras (seconds): its arguments stay unchecked
            raise LookupError(target)
        signature = registry.layer_signature(name)
    except Exception:  # also a plugin layer class that cannot be inspected
        return {"title": f"layer: {name}", "type": "object", "required": required, "properties": properties}
    for pname, default in signature.parameters.items():
        properties[pname] = _argument_schema(pname, default)
        if default == REQUIRED:
            required.append(pname)
    return {"title": f"layer: {name}", "type": "object", "required": required, "properties": properties,
            "additionalProperties": False}


def _dispatch(kind: str, name: str) -> dict[str, Any]:
    return {"if": {"required": [kind], "properties": {kind: {"const": name}}},
            "then": {"$ref": REF.format(model=f"{kind}_{name}")}}


def spec_schema(registry: Registry) -> dict[str, Any]:
    """The spec's JSON Schema (draft 2020-12), for the strategies and layers ``registry`` holds."""
    defs, strategy_properties = _pydantic_defs(registry)
    _compile_def(defs)
    strategies, layers = sorted(registry.strategies), sorted(registry.layers)
    for name in strategies:
        defs[f"upsample_{name}"] = _strategy_def(name, strategy_properties[name], registry)
    for name in layers:
        defs[f"layer_{name}"] = _layer_def(name, registry)
    for name in [*strategies, *layers]:
        _accept_references(defs[f"upsample_{name}" if name in strategies else f"layer_{name}"])
    defs["Entry"] = {
        "title": "a layers: entry",
        "description": "exactly one of 'upsample: STRATEGY', 'layer: TYPE' or 'block: NAME', its parameters, "
                       "optional id and inputs",
        "type": "object",
        "properties": {"upsample": {"enum": strategies}, "layer": {"enum": layers}, "block": {"type": "string"}},
        "oneOf": [{"required": ["upsample"]}, {"required": ["layer"]}, {"required": ["block"]},
                  {"$ref": REF.format(model="EntryChange")}],
        "allOf": [_dispatch("upsample", n) for n in strategies] + [_dispatch("layer", n) for n in layers]
        + [{"if": {"required": ["block"]}, "then": {"$ref": REF.format(model="BlockEntry")}}],
    }
    defs.update(_reuse_defs())
    graph = {
        "name": {"type": "string", "pattern": NAME_PATTERN},
        "description": {"type": "string"},
        "inputs": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "array", "minItems": 1,
                "items": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}, _REFERENCE]},
            },
        },
        "layers": {"type": "array", "minItems": 1, "items": {"$ref": REF.format(model="Entry")}},
        "outputs": _NAMES,
        "compile": {"$ref": REF.format(model="CompileSpec")},
    }
    top = {**graph, **_REUSE_KEYS}
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "title": "upspec model spec",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **top,
            "train": {"description": "training settings (docs/runner.md); their keys depend on the spec's kind"},
            "data": {"description": "the data source and task (docs/runner.md)"},
            **{key: {"description": f"{kind.description}: the spec above is one network, this graph the other "
                                    "(docs/runner.md)", "type": "object", "required": ["inputs", "layers"],
                     "additionalProperties": False, "properties": graph}
               for kind in kinds().values() for key in kind.sub_specs},
        },
        "allOf": [_kind_sections(list(kinds().values())), _complete_or_extending()],
        "$defs": defs,
    }
    for kind in kinds().values():  # a section added to a spec model later is accepted, if not yet described
        for key in kind.spec_class.model_fields:
            schema["properties"].setdefault(key, {"description": f"the {key}: section (see docs/spec.md)"})
    return schema


def _kind_sections(table: list[SpecKind]) -> dict[str, Any]:
    """``train:`` / ``data:`` as the spec's kind types them: the first kind whose selecting key is present, else
    the default's (an if / then / else chain, as yaml-language-server and jsonschema read it)."""
    def sections(kind: SpecKind) -> dict[str, Any]:
        return {"properties": {key: {"$ref": REF.format(model=model.__name__)}
                               for key, model in kind.section_models.items()}}

    others = [kind for kind in table if kind.selected_by]
    if not others:
        return sections(SUPERVISED)
    kind = others[0]
    return {"if": {"anyOf": [{"required": [key]} for key in kind.selected_by]}, "then": sections(kind),
            "else": _kind_sections([k for k in table if k is not kind])}


# -- the reuse layer: params:, blocks:, extends: (docs/spec.md, "Reusing parts of specs") -----------------

#: a ``${...}`` reference, accepted wherever a parameter value is
_REFERENCE = {"type": "string", "pattern": "\\$\\{[^{}]*\\}",
              "description": "a parameter, or integer arithmetic over parameters: ${width}, ${base * 2 ** index}"}
_REUSE_KEYS: dict[str, Any] = {
    "extends": {"description": "base specs: a shipped spec's name or a .yaml path relative to this file",
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
    "params": {"type": "object", "description": "named values, used as \"${name}\" (--set params.NAME=VALUE)",
               "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"}},
    "blocks": {"type": "object", "description": "named templates of entries, used by {id: ID, block: NAME, repeat: N}",
               "additionalProperties": {"$ref": REF.format(model="Block")}},
}


def _accept_references(definition: dict[str, Any]) -> None:
    """Every typed parameter of an entry also takes a ``${...}``; ``after`` / ``before`` / ``delete`` place or
    remove an entry of a base."""
    properties = definition["properties"]
    for name, schema in list(properties.items()):
        if name not in ("upsample", "layer") and schema:
            properties[name] = {"anyOf": [schema, _REFERENCE]}
    properties.update(_PLACEMENT)


_PLACEMENT = {
    "after": {"type": "string", "description": "extends: put this entry after the base's entry of this id"},
    "before": {"type": "string", "description": "extends: put this entry before the base's entry of this id"},
}


def _reuse_defs() -> dict[str, Any]:
    entries = {"type": "array", "minItems": 1, "items": {"$ref": REF.format(model="Entry")}}
    return {
        "BlockEntry": {
            "title": "block: NAME",
            "description": "the block's entries, namespaced ID.x (ID.1.x ... ID.N.x with repeat); other keys are "
                           "the block's params",
            "type": "object", "required": ["block", "id"],
            "properties": {"block": {"type": "string"}, "id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
                           "repeat": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 10_000}, _REFERENCE]},
                           "inputs": _INPUTS, **_PLACEMENT},
        },
        "Block": {
            "title": "a block", "type": "object", "required": ["layers"], "additionalProperties": False,
            "properties": {"params": {"type": "object", "description": "the block's parameters and their defaults"},
                           "inputs": {"description": "the block's inputs (default: one, named 'in')", **_NAMES},
                           "description": {"type": "string"}, "layers": entries},
        },
        "EntryChange": {
            "title": "a change to a base's entry (extends:): its id and the keys to change",
            "type": "object", "required": ["id"],
            "not": {"anyOf": [{"required": ["upsample"]}, {"required": ["layer"]}, {"required": ["block"]}]},
            "properties": {"id": _ID, "delete": {"const": True, "description": "remove the base's entry of this id"},
                           **_PLACEMENT},
        },
    }


def _complete_or_extending() -> dict[str, Any]:
    """A spec with ``extends:`` may give only what it changes; any other has name, inputs and layers."""
    whole = {"not": {"$ref": REF.format(model="EntryChange")},
             "description": "without extends:, an entry has 'layer:', 'upsample:' or 'block:'"}
    return {"if": {"required": ["extends"]}, "then": {},
            "else": {"required": ["name", "inputs", "layers"], "properties": {"layers": {"items": whole}}}}
