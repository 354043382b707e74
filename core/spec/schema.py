"""The JSON Schema of a spec, with every registered strategy's parameters.

Usable by yaml-language-server: put
``# yaml-language-server: $schema=upspec.schema.json`` at the top of a spec.
"""

from __future__ import annotations

from typing import Any

from upspec.registry.layer_signatures import REQUIRED
from upspec.registry.registry import Registry
from upspec.spec.entries import _parameter_model
from upspec.spec.model import ID_PATTERN
from upspec.spec.model import NAME_PATTERN
from upspec.spec.model import CompileSpec

_ID = {"type": "string", "pattern": ID_PATTERN, "description": "names the entry and its Keras layer"}
_INPUTS = {
    "description": "ids or input names this entry takes; default: the previous entry",
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
}


def _strategy_entry(name: str, registry: Registry) -> dict[str, Any]:
    parameters = registry.parameters(name)
    strategy = registry.strategy(name)
    model = _parameter_model(name, tuple(parameters.values()))
    try:
        properties = model.model_json_schema().get("properties", {})
    except Exception:  # a plugin annotation pydantic cannot express: still list the names
        properties = {p: {} for p in parameters}
    for pname, parameter in parameters.items():
        properties.setdefault(pname, {})["description"] = f"{parameter.type_text}" + (
            "" if parameter.required else f" (default {parameter.default!r})"
        )
    provided = registry.strategies[name]
    return {
        "title": f"upsample: {name}",
        "description": ((type(strategy).__doc__ or "").strip().splitlines() or [""])[0]
        + f" [plugin {provided.plugin.name}, {provided.plugin.distribution}]",
        "type": "object",
        "required": ["upsample", *[p for p, v in parameters.items() if v.required]],
        "properties": {"upsample": {"const": name}, "id": _ID, "inputs": _INPUTS, **properties},
        "additionalProperties": False,
    }


def _layer_entries(registry: Registry) -> list[dict[str, Any]]:
    entries = []
    for name, provided in sorted(registry.layers.items()):
        target = provided.value
        properties: dict[str, Any] = {"layer": {"const": name}, "id": _ID, "inputs": _INPUTS}
        required = ["layer"]
        additional: bool = True
        if isinstance(target, str) and target.startswith("keras.layers:"):
            signature = registry.layer_signature(name)
            for pname, default in signature.parameters.items():
                properties[pname] = {} if default == REQUIRED else {"default": default}
                if default == REQUIRED:
                    required.append(pname)
            additional = False
        entries.append({"title": f"layer: {name}", "type": "object", "required": required,
                        "properties": properties, "additionalProperties": additional})
    return entries


def spec_schema(registry: Registry) -> dict[str, Any]:
    strategies = [_strategy_entry(name, registry) for name in sorted(registry.strategies)]
    compile_schema = CompileSpec.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "upspec model spec",
        "type": "object",
        "required": ["name", "inputs", "layers"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": NAME_PATTERN},
            "description": {"type": "string"},
            "inputs": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {
                    "type": "array", "minItems": 1,
                    "items": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
                },
            },
            "layers": {"type": "array", "minItems": 1, "items": {"anyOf": strategies + _layer_entries(registry)}},
            "outputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "compile": compile_schema,
            "train": {"type": "object", "description": "training settings (see docs/spec.md)"},
            "data": {"type": "object", "description": "the data source and task (see docs/spec.md)"},
        },
    }
