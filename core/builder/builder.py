"""From a checked graph to a compiled Keras functional model."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING
from typing import Any
from typing import Iterator

from .precision import dtype_policy
from .precision import is_mixed
from ..errors import PluginError
from ..errors import SpecError
from ..graph.graph import Graph
from ..graph.graph import Node
from ..graph.graph import build_graph
from ..graph.shapes import per_axis
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..modelspec.load import load_spec
from ..modelspec.model import Spec
from ..modelspec.model import UpsampleEntry
from .compile import compile_model

if TYPE_CHECKING:
    import keras

    from ..modelspec.load import Overrides
    from ..modelspec.load import SpecSource


def layers_between(inputs: list[Any], output: Any) -> list[Any]:
    """The Keras layers that lie between ``inputs`` and ``output``, in call order."""
    stop = {id(t) for t in inputs}
    found: list[Any] = []
    stack = [output]
    while stack:
        tensor = stack.pop()
        if id(tensor) in stop or not hasattr(tensor, "_keras_history"):
            continue
        operation, node_index, _ = tensor._keras_history
        if any(operation is f for f in found):
            continue
        found.append(operation)
        stack.extend(operation._inbound_nodes[node_index].input_tensors)
    return found[::-1]


def _build_node(node: Node, tensors: dict[str, Any], graph: Graph, registry: Registry) -> Any:
    entry = node.entry
    assert entry is not None
    inputs = [tensors[name] for name in node.inputs]
    if isinstance(entry, UpsampleEntry):
        strategy = registry.strategy(entry.upsample)
        params = dict(entry.params)
        params["factor"] = per_axis(params["factor"], len(inputs[0].shape) - 2, "factor")
        if strategy.takes_guide:
            params["guide"] = tensors[node.guide] if node.guide is not None else None
        try:
            return strategy.build(inputs[0], name=node.id, **params)
        except (SpecError, PluginError, ValueError, TypeError):  # a bad value, pointed at the entry by the caller
            raise
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a strategy's bug (or its sys.exit) must not end upspec
            raise _strategy_failed(node, registry, exc) from exc
    layer_class = registry.layer_class(entry.layer)
    layer = layer_class(**entry.params, name=node.id)
    return layer(inputs if len(inputs) > 1 else inputs[0])


def _strategy_failed(node: Node, registry: Registry, exc: BaseException) -> PluginError:
    """A strategy's ``build`` that raised (or called ``sys.exit``): the strategy, its plugin and its
    distribution named, as a failing hook is (``upspec.registry.hooks``)."""
    provided = registry.strategies.get(node.type_name)
    plugin = provided.plugin if provided else None
    shown = f"{type(exc).__name__}({exc.code!r})" if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}"
    return PluginError(plugin.name if plugin else node.type_name,
                       f"{plugin.distribution} {plugin.version}" if plugin else "?",
                       f"strategy {node.type_name!r} failed in build() for entry {node.id!r}: {shown}")


def _keras_error(graph: Graph, node: Node, exc: Exception) -> SpecError:
    """A Keras complaint about one entry, pointed at that entry in the file."""
    label = node.label
    message = f"Keras rejected {label}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
    return SpecError([graph.spec.diagnostic(node.path, message)])


#: Python frames Keras uses per layer when it walks a functional graph (measured: a chain of 3,000 layers
#: needs ~9,000 frames; this leaves room)
FRAMES_PER_LAYER = 8


@contextlib.contextmanager
def recursion_room(layers: int) -> Iterator[None]:
    """Raise Python's recursion limit while Keras walks a graph of ``layers`` (its traversal is recursive)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 1000 + FRAMES_PER_LAYER * layers))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def assemble(graph: Graph, registry: Registry) -> tuple[keras.Model, dict[str, list[str]]]:
    """The uncompiled functional model, and the Keras layer names of each entry."""
    import keras

    tensors: dict[str, Any] = {}
    layer_names: dict[str, list[str]] = {}
    for node in graph.inputs:
        tensors[node.id] = keras.Input(shape=node.shape, name=node.id)
    float32_outputs = is_mixed()  # mixed precision computes in 16 bits, but the outputs stay float32
    for node in graph.entries:
        try:
            with dtype_policy("float32" if float32_outputs and node.id in graph.outputs else None):
                tensors[node.id] = _build_node(node, tensors, graph, registry)
        except SpecError:
            raise
        except (ValueError, TypeError) as exc:
            raise _keras_error(graph, node, exc) from exc
        if node.kind == "upsample":
            _check_contract(node, tensors[node.id], registry)
        layer_names[node.id] = [layer.name for layer in layers_between([tensors[i] for i in node.sources], tensors[node.id])]
    with recursion_room(sum(len(names) for names in layer_names.values())):
        model = keras.Model(
            inputs=[tensors[n.id] for n in graph.inputs] if len(graph.inputs) > 1 else tensors[graph.inputs[0].id],
            outputs=[tensors[o] for o in graph.outputs] if len(graph.outputs) > 1 else tensors[graph.outputs[0]],
            name=graph.spec.name,
        )
    return model, layer_names


def _check_contract(node: Node, tensor: Any, registry: Registry) -> None:
    """A strategy must return exactly the contract's shape; a plugin bug is named here."""
    got = tuple(tensor.shape[1:])
    if node.shape is not None and got != tuple(node.shape):
        provided = registry.strategies.get(node.type_name)
        plugin = provided.plugin if provided else None
        raise PluginError(
            plugin.name if plugin else node.type_name,
            plugin.distribution if plugin else "?",
            f"strategy {node.type_name!r} broke the upsample contract in entry {node.id!r}: "
            f"expected output shape {tuple(node.shape)}, got {got}",
        )


def build_model(spec: SpecSource, *, strategy: str | None = None, overrides: Overrides = None,
                registry: Registry | None = None, compile: bool = True) -> keras.Model:
    """Build a compiled Keras functional model from a spec.

    ``spec`` is anything :func:`upspec.load_spec` accepts: a :class:`upspec.Spec`, a path to a YAML file,
    YAML text, or a dict. ``registry`` defaults to the process's registry of installed plugins;
    ``compile=False`` returns the model uncompiled. ``strategy``
    switches every ``upsample:`` entry to that strategy; ``overrides`` sets
    dotted paths (``{"layers.up.filters": 64}`` or ``["layers.up.filters=64"]``).
    The model is named after the spec and each layer after its entry's id.

    Raises :class:`upspec.SpecError` for any problem in the spec.
    """
    registry = registry or get_registry()
    if not isinstance(spec, Spec) or strategy is not None or overrides:
        spec = load_spec(spec, strategy=strategy, overrides=overrides, registry=registry)
    graph = build_graph(spec, registry)
    with recursion_room(len(graph.nodes)):
        model, _ = assemble(graph, registry)
    if compile:
        compile_model(model, spec, registry)
    registry.call("upspec_model_built", strict=True, model=model, spec=spec)
    return model
