"""A Keras model read as a graph for :mod:`upspec.interop.from_keras`: its layers in order (an ``Upsample``
layer's strategy layers in its place), the nodes that call them, and each layer's arguments as a spec
entry writes them (non-default values only, Keras objects by name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..registry.registry import Registry

#: per-axis arguments written as one number when every axis has the same value
_PER_AXIS = {"kernel_size", "strides", "pool_size", "size", "dilation_rate"}


@dataclass(frozen=True)
class Unsupported:
    """One layer a spec cannot hold, and what to do about it."""

    layer: str
    kind: str
    reason: str

    def format(self) -> str:
        return f"layer {self.layer!r} ({self.kind}): {self.reason}"


def _flat_layers(model: Any) -> list[Any]:
    """The model's layers, an ``Upsample`` layer's strategy layers in its place."""
    found: list[Any] = []
    for layer in model.layers:
        inner = getattr(layer, "inner", None)
        found.extend(inner.layers[1:] if inner is not None else [layer])
    return found


# -- the graph of a Keras model ------------------------------------------------------------------------


@dataclass
class _Node:
    op: Any
    name: str
    inputs: list[Any]  # input Keras tensors
    output: Any


def _history(tensor: Any) -> tuple[Any, int, int]:
    history = tensor._keras_history
    return history.operation, history.node_index, history.tensor_index


def _walk(model: Any) -> tuple[list[Any], list[_Node], list[Unsupported]]:
    """The model's input layers and its nodes in a topological order (outputs first reached depth first)."""
    import keras

    problems: list[Unsupported] = []
    nodes: list[_Node] = []
    seen: dict[tuple[int, int], _Node] = {}
    calls: dict[int, set[int]] = {}
    input_layers: list[Any] = [_history(t)[0] for t in model.inputs]

    def visit(tensor: Any) -> None:
        op, node_index, tensor_index = _history(tensor)
        key = (id(op), node_index)
        if key in seen or any(op is layer for layer in input_layers):
            return
        node = op._inbound_nodes[node_index]
        if tensor_index or len(node.outputs) > 1:
            problems.append(Unsupported(op.name, type(op).__name__, "has several outputs; a spec entry has one"))
        inputs = list(node.input_tensors)
        seen[key] = _Node(op, op.name, inputs, node.outputs[0])
        for t in inputs:
            visit(t)
        calls.setdefault(id(op), set()).add(node_index)
        nodes.append(seen[key])

    for output in model.outputs:
        visit(output)
    nodes = _in_layer_order(model, nodes)
    for node in nodes:
        if len(calls[id(node.op)]) > 1 and not any(p.layer == node.name for p in problems):
            problems.append(Unsupported(node.name, type(node.op).__name__,
                                        f"is called {len(calls[id(node.op)])} times (a shared layer); a spec entry "
                                        f"is one call: write one layer per call (weights are then not shared)"))
    del keras
    return input_layers, nodes, problems


def _in_layer_order(model: Any, nodes: list[_Node]) -> list[_Node]:
    """A topological order that keeps the model's own layer order wherever the wiring allows."""
    rank = {id(layer): i for i, layer in enumerate(model.layers)}
    made_by = {id(n.output): n for n in nodes}
    done: set[int] = set()
    ordered: list[_Node] = []
    pending = sorted(nodes, key=lambda n: rank.get(id(n.op), len(rank)))
    while pending:
        for i, node in enumerate(pending):
            if all(id(t) not in made_by or id(made_by[id(t)]) in done for t in node.inputs):
                ordered.append(pending.pop(i))
                done.add(id(node))
                break
        else:  # cannot happen in a model Keras built; keep the depth-first order
            return nodes
    return ordered


# -- arguments ---------------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _keras_object(value: dict[str, Any]) -> Any:
    """A serialised Keras object (initializer, regularizer, constraint, dtype policy) in a spec's form:
    a name where the name means the same object, else ``{class_name, config}``."""
    import keras

    class_name, config = value["class_name"], value.get("config") or {}
    if class_name in ("DTypePolicy", "FloatDTypePolicy"):
        return config.get("name")
    if value.get("registered_name") and value["registered_name"] != class_name:  # a custom object: upspec>ICNR
        return {"class_name": value["registered_name"], "config": _plain(config)}
    for getter in (keras.initializers.get, keras.regularizers.get, keras.constraints.get):
        try:
            obj = getter({"class_name": class_name, "config": config})
            short = _snake(class_name)
            again = getter(short)
        except Exception:
            continue
        if type(again) is type(obj) and again.get_config() == obj.get_config():
            return short
        return {"class_name": class_name, "config": _plain(config)}
    return {"class_name": class_name, "config": _plain(config)}


def _plain(value: Any) -> Any:
    """JSON/YAML-ready: tuples as lists, serialised Keras objects in a spec's form."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:
            return _keras_object(value)
        return {k: _plain(v) for k, v in value.items()}
    return value


def _compact(key: str, value: Any) -> Any:
    if key in _PER_AXIS and isinstance(value, list) and value and len(set(map(str, value))) == 1:
        return value[0]
    return value


def _same(key: str, value: Any, default: Any) -> bool:
    if isinstance(default, str) and isinstance(value, dict) and "class_name" in value:
        return False
    if key == "activation" and value in ("linear", None) and default in ("linear", None):
        return True
    return _compact(key, _plain(value)) == _compact(key, _plain(default))


def layer_arguments(layer: Any, spec_name: str, registry: Registry) -> dict[str, Any]:
    """``layer``'s constructor arguments that differ from the signature's defaults, in a spec's form."""
    signature = registry.layer_signature(spec_name).parameters
    config = layer.get_config()
    args: dict[str, Any] = {}
    for key, default in signature.items():
        if key in ("name",) or key not in config:
            continue
        value = _plain(config[key])
        if key == "dtype" and value in ("float32", None):
            continue
        if key == "data_format" and value == "channels_last" and default in (None, "channels_last"):
            continue
        if key == "strides" and default is None and _compact(key, value) == _compact(key, _plain(config.get("pool_size"))):
            continue
        if default == "<required>" or not _same(key, value, default):
            args[key] = _compact(key, value)
    return args
