"""``upspec.spec_from_model``: a functional or ``Sequential`` Keras model as a spec.

One entry per layer, with its non-default arguments and the wiring as ``inputs:``; every recognisable
upsampling step becomes an ``upsample:`` entry of the matching strategy:

- ``Conv*DTranspose`` (``padding="same"``, a stride above 1) -> ``transpose``;
- ``UpSampling*D`` or ``Resizing`` by an integer factor, with the ``"same"`` convolution that follows it
  (when only that convolution reads it) -> ``nearest`` / ``bilinear`` / ``bicubic``, without one a resize
  only (``filters: null``);
- a convolution followed by a depth-to-space (upspec's ``PixelShuffle``, or any weightless layer or
  operation that computes TensorFlow's ``depth_to_space``, checked on numbers) -> ``pixel_shuffle``;
- an ``upspec.layers.Upsample`` layer -> its strategy, as it is.

What a spec cannot hold (a ``Lambda``, a subclassed layer or model, a layer called twice, a custom class no
plugin provides, a ``keras.ops`` call on Keras tensors) is reported per layer in one
:class:`UnsupportedModelError`, and no spec is made.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..errors import UpspecError
from ..registry.registry import Registry
from ..registry.registry import get_registry
from .keras_graph import Unsupported
from .keras_graph import _flat_layers
from .keras_graph import _Node
from .keras_graph import _walk
from .keras_graph import _plain
from .keras_graph import _compact
from .keras_graph import layer_arguments
from .spec_yaml import spec_yaml

#: arguments of a convolution an upsample entry can carry (the strategies' common parameters)
_COMMON = {"filters", "kernel_size", "activation", "use_bias", "kernel_initializer"}
_RESIZE_KINDS = {"nearest": "nearest", "bilinear": "bilinear", "bicubic": "bicubic"}


class UnsupportedModelError(UpspecError):
    """The model has layers a spec cannot express; ``problems`` names each one (the CLI exits with 2)."""

    def __init__(self, model: str, problems: list[Unsupported]) -> None:
        self.problems = problems
        lines = "\n".join("  " + p.format() for p in problems)
        super().__init__(f"model {model!r} cannot be written as a spec; {len(problems)} "
                         f"layer{'s' if len(problems) != 1 else ''} to change:\n{lines}")


@dataclass
class ImportedModel:
    """A model turned into a spec: ``spec`` (a dict ``upspec.load_spec`` / ``build_model`` take), the
    entries that became ``upsample:`` entries, and the weight names of layers the rebuilt model names
    otherwise (``renamed``: original layer name -> rebuilt layer name; every other layer keeps its name)."""

    spec: dict[str, Any]
    upsample_entries: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)

    def to_yaml(self) -> str:
        return spec_yaml(self.spec)

    def copy_weights(self, original: Any, rebuilt: Any) -> int:
        """Copy ``original``'s weights into ``rebuilt`` (built from :attr:`spec`) by entry id; returns the
        number of weight arrays copied."""
        targets = {layer.name: layer for layer in _flat_layers(rebuilt)}
        copied = 0
        for layer in _flat_layers(original):
            target = targets.get(self.renamed.get(layer.name, layer.name))
            if layer.weights and target is not None:
                target.set_weights(layer.get_weights())
                copied += len(layer.weights)
        return copied


# -- which registered layer a Keras layer is -----------------------------------------------------------


def _spec_layer_name(layer: Any, registry: Registry) -> str | None:
    """The name a spec uses for ``layer``'s class (``Conv2D``, a plugin's ``PixelShuffle``), or None."""
    from ..registry.layer_signatures import resolve

    cls = type(layer)
    provided = registry.layers.get(cls.__name__)
    if provided is None:
        return None
    try:
        return cls.__name__ if resolve(provided.value) is cls else None
    except Exception:
        return None


def _unsupported(op: Any, registry: Registry) -> Unsupported | None:
    import keras

    from .layer import Upsample

    if isinstance(op, Upsample):  # upspec's own layer: an upsample entry of its strategy
        return None
    kind = type(op).__name__
    if not isinstance(op, keras.layers.Layer):
        return Unsupported(op.name, f"keras.ops {kind}", "a keras.ops call on Keras tensors; use the matching "
                                                          "keras.layers layer (Add, Multiply, Concatenate, ...)")
    if isinstance(op, keras.layers.Lambda):
        return Unsupported(op.name, kind, "runs Python code a spec cannot hold; replace it with a Keras layer "
                                          "or a plugin's layer (an upspec_layers hook)")
    if isinstance(op, keras.Model):
        return Unsupported(op.name, kind, "a model used as a layer; call its layers on the outer model's "
                                          "tensors instead (a flat model)")
    if _spec_layer_name(op, registry) is None:
        return Unsupported(op.name, f"{type(op).__module__}.{kind}",
                           "a custom layer no plugin provides; provide it from a plugin's upspec_layers hook "
                           "(it needs get_config), or rebuild it from Keras layers")
    return None


# -- recognising upsampling ----------------------------------------------------------------------------


def _rank(tensor: Any) -> int:
    return len(tensor.shape) - 2


def _factor(values: Any) -> Any:
    values = [int(v) for v in values]
    return values[0] if len(set(values)) == 1 else values


def _conv_args(layer: Any, kind: str, rank: int, registry: Registry) -> dict[str, Any] | None:
    """The common parameters of a ``padding="same"`` convolution an upsample entry can build exactly."""
    import keras

    cls = getattr(keras.layers, f"Conv{rank}D{'Transpose' if kind == 'transpose' else ''}", None)
    if cls is None or type(layer) is not cls:
        return None
    args = layer_arguments(layer, cls.__name__, registry)
    strides = _compact("strides", _plain(layer.get_config().get("strides")))
    if args.get("padding") != "same" or args.get("data_format") not in (None, "channels_last"):
        return None
    if set(args) - _COMMON - {"padding", "strides", "data_format"}:
        return None
    if kind != "transpose" and strides != 1:
        return None
    params = {"filters": args["filters"], "kernel_size": args["kernel_size"]}
    params.update({k: args[k] for k in ("activation", "use_bias", "kernel_initializer") if k in args})
    if params.get("activation") == "linear":
        del params["activation"]
    return params


def _resize_kind(layer: Any, input_tensor: Any, output: Any) -> tuple[str, Any] | None:
    """``(strategy, factor)`` of an ``UpSampling*D`` or an integer ``Resizing`` a resize strategy builds alike."""
    import keras

    rank = _rank(input_tensor)
    config = layer.get_config()
    if isinstance(layer, (keras.layers.UpSampling1D, keras.layers.UpSampling2D, keras.layers.UpSampling3D)):
        interpolation = config.get("interpolation", "nearest")
        if interpolation not in _RESIZE_KINDS or (rank != 2 and interpolation != "nearest"):
            return None
        if config.get("data_format") not in (None, "channels_last"):
            return None
        size = config.get("size")
        factor = [size] * rank if isinstance(size, int) else list(size)
        return _RESIZE_KINDS[interpolation], _factor(factor)
    if isinstance(layer, keras.layers.Resizing) and rank == 2:
        if config.get("crop_to_aspect_ratio") or config.get("pad_to_aspect_ratio"):
            return None
        interpolation = config.get("interpolation")
        spatial_in, spatial_out = input_tensor.shape[1:3], output.shape[1:3]
        if interpolation not in _RESIZE_KINDS or None in (*spatial_in, *spatial_out):
            return None
        if any(o % i or o // i < 2 for i, o in zip(spatial_in, spatial_out)):
            return None
        return _RESIZE_KINDS[interpolation], _factor([o // i for i, o in zip(spatial_in, spatial_out)])
    return None


def _depth_to_space_factor(node: _Node) -> Any:
    """The factor of a weightless node that computes TensorFlow's depth-to-space (checked on numbers)."""
    import numpy as np

    from ..layers.pixel_shuffle import PixelShuffle
    from ..layers.pixel_shuffle import depth_to_space

    if isinstance(node.op, PixelShuffle):
        return _factor(node.op.factor)
    if len(node.inputs) != 1 or getattr(node.op, "weights", None):
        return None
    before, after = tuple(node.inputs[0].shape[1:]), tuple(node.output.shape[1:])
    if len(before) != len(after) or len(before) < 2 or None in before[-1:] + after[-1:]:
        return None
    if after[-1] == 0 or before[-1] % after[-1]:
        return None
    n = before[-1] // after[-1]
    rank = len(before) - 1
    factors = [a // b for a, b in zip(after[:-1], before[:-1])] if None not in (*before, *after) else [round(n ** (1 / rank))] * rank
    if math.prod(factors) != n or n < 2:
        return None
    probe = np.random.default_rng(0).random((1, *(3,) * rank, before[-1]), dtype="float32")
    try:
        got = np.asarray(node.op(probe))
        expected = np.asarray(depth_to_space(probe, tuple(factors)))
    except Exception:
        return None
    if got.shape != expected.shape or not np.allclose(got, expected):
        return None
    return _factor(factors)


# -- the spec ------------------------------------------------------------------------------------------


def _spec_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", name or "imported")
    return cleaned if re.match(r"^[A-Za-z_]", cleaned) else f"model-{cleaned}"


def _id(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", name)  # dots stay: the ids of expanded blocks (body.3.conv1)
    cleaned = re.sub(r"\.(?![A-Za-z0-9_-])|(?<![A-Za-z0-9_-])\.", "_", cleaned)  # but not a leading/trailing/double dot
    return cleaned if re.match(r"^[A-Za-z_]", cleaned) else f"layer_{cleaned}"


def _compile_section(model: Any) -> dict[str, Any] | None:
    optimizer = getattr(model, "optimizer", None)
    loss = getattr(model, "loss", None)
    if optimizer is None or not isinstance(loss, str):
        return None
    section: dict[str, Any] = {"optimizer": {"name": type(optimizer).__name__.lower(),
                                             "learning_rate": float(f"{float(optimizer.learning_rate):.7g}")}, "loss": loss}
    return section


def spec_from_model(model: Any, *, keep_upsampling: bool = False, name: str | None = None,
                    registry: Registry | None = None) -> ImportedModel:
    """The spec of a functional or ``Sequential`` Keras ``model`` (see the module's docstring).

    ``keep_upsampling`` leaves the upsampling layers as plain ``layer:`` entries. Entry ids are the layer
    names, so ``ImportedModel.copy_weights(model, upspec.build_model(result.spec))`` carries the weights
    over. Raises :class:`UnsupportedModelError` naming every layer a spec cannot hold.
    """
    import keras

    registry = registry or get_registry()
    label = getattr(model, "name", type(model).__name__)
    if not isinstance(model, keras.Model) or not hasattr(model, "_inbound_nodes"):
        raise UnsupportedModelError(label, [Unsupported(label, type(model).__name__, "not a Keras model")])
    try:
        has_graph = bool(model.inputs) and bool(model.outputs)
    except (AttributeError, ValueError):
        has_graph = False
    if not has_graph:
        kind = "Sequential model without an input shape" if isinstance(model, keras.Sequential) else "subclassed model"
        raise UnsupportedModelError(label, [Unsupported(label, type(model).__name__,
                                                        f"a {kind} has no graph of layers to read; write it with "
                                                        f"the functional API or start it with keras.Input(shape)")])
    input_layers, nodes, problems = _walk(model)
    problems += [p for p in (_unsupported(n.op, registry) for n in nodes
                             if _depth_to_space_factor(n) is None) if p is not None]
    if problems:
        raise UnsupportedModelError(label, problems)
    return _Writer(model, input_layers, nodes, registry, keep_upsampling).spec(name or label)


class _Writer:
    def __init__(self, model: Any, input_layers: list[Any], nodes: list[_Node], registry: Registry,
                 keep_upsampling: bool) -> None:
        self.model, self.input_layers, self.nodes = model, input_layers, nodes
        self.registry, self.keep = registry, keep_upsampling
        self.producer: dict[int, str] = {}  # id(tensor) -> entry id
        for layer, tensor in zip(input_layers, model.inputs):
            self.producer[id(tensor)] = _id(layer.name)
        self.readers: dict[int, list[_Node]] = {}
        for node in nodes:
            for t in node.inputs:
                self.readers.setdefault(id(t), []).append(node)
        self.outputs = {id(t) for t in model.outputs}
        self.result = ImportedModel({})

    def _sole_reader(self, tensor: Any) -> _Node | None:
        """The node that alone reads ``tensor`` (not a model output), when it reads nothing else."""
        readers = self.readers.get(id(tensor), [])
        if len(readers) != 1 or id(tensor) in self.outputs or len(readers[0].inputs) != 1:
            return None
        return readers[0]

    def spec(self, name: str) -> ImportedModel:
        entries: list[dict[str, Any]] = []
        previous: str | None = self.producer[id(self.model.inputs[0])] if len(self.model.inputs) == 1 else None
        skip: set[int] = set()
        for node in self.nodes:
            if id(node) in skip:
                continue
            entry, source, output, consumed = self._entry(node)
            skip.update(consumed)
            refs = [self.producer[id(t)] for t in source]
            if "upsample" in entry and len(refs) == 2:  # an Upsample layer called on [x, guide]
                entry["guide"] = refs.pop()
            if len(refs) > 1:
                entry["inputs"] = refs
            elif refs[0] != previous:
                entry["inputs"] = refs[0]
            self.producer[id(output)] = entry["id"]
            previous = entry["id"]
            entries.append(entry)
        spec: dict[str, Any] = {
            "name": _spec_name(name),
            "description": f"Imported from the Keras model {self.model.name!r} by upspec import.",
            "inputs": {_id(layer.name): [None if d is None else int(d) for d in tensor.shape[1:]]
                       for layer, tensor in zip(self.input_layers, self.model.inputs)},
            "layers": entries,
        }
        outputs = [self.producer[id(t)] for t in self.model.outputs]
        if outputs != [previous]:
            spec["outputs"] = outputs
        compile_section = _compile_section(self.model)
        if compile_section:
            spec["compile"] = compile_section
        self.result.spec = spec
        return self.result

    def _upsample(self, entry_id: str, strategy: str, params: dict[str, Any]) -> dict[str, Any]:
        self.result.upsample_entries.append(entry_id)
        return {"id": entry_id, "upsample": strategy, **params}

    def _entry(self, node: _Node) -> tuple[dict[str, Any], list[Any], Any, set[int]]:
        """The entry for ``node`` (perhaps with the node after it): entry, input tensors, output, nodes used."""
        from .layer import Upsample

        op = node.op
        entry_id = _id(node.name)
        if entry_id != node.name:
            self.result.renamed[node.name] = entry_id
        if isinstance(op, Upsample):
            return self._upsample(entry_id, op.strategy, dict(op.params)), node.inputs, node.output, set()
        d2s = _depth_to_space_factor(node)
        if not self.keep and len(node.inputs) == 1:
            rank = _rank(node.inputs[0])
            conv = _conv_args(op, "transpose", rank, self.registry)
            if conv is not None and max(op.strides) > 1:
                params = {"factor": _factor(op.strides), **conv}
                return self._upsample(entry_id, "transpose", params), node.inputs, node.output, set()
            resize = _resize_kind(op, node.inputs[0], node.output)
            if resize is not None:
                strategy, factor = resize
                following = self._sole_reader(node.output)
                conv = _conv_args(following.op, "conv", rank, self.registry) if following is not None else None
                if following is not None and conv is not None:
                    conv_id = _id(following.name)
                    if conv_id != following.name:
                        self.result.renamed[following.name] = conv_id
                    return (self._upsample(conv_id, strategy, {"factor": factor, **conv}), node.inputs,
                            following.output, {id(following)})
                return (self._upsample(entry_id, strategy, {"factor": factor, "filters": None}), node.inputs,
                        node.output, set())
            following = self._sole_reader(node.output)
            conv = _conv_args(op, "conv", rank, self.registry)
            shuffle = _depth_to_space_factor(following) if following is not None and conv is not None else None
            if following is not None and conv is not None and shuffle is not None:
                shuffle_id = _id(following.name)
                factor_count = math.prod(shuffle if isinstance(shuffle, list) else [shuffle] * rank)
                self.result.renamed[node.name] = f"{shuffle_id}_conv"
                if shuffle_id != following.name:
                    self.result.renamed[following.name] = shuffle_id
                params = {"factor": shuffle, **conv, "filters": conv["filters"] // factor_count}
                initializer = params.get("kernel_initializer")
                if isinstance(initializer, dict) and initializer.get("class_name") == "upspec>ICNR":
                    inner = initializer["config"].get("initializer", "glorot_uniform")
                    params.pop("kernel_initializer")
                    if inner != "glorot_uniform":
                        params["kernel_initializer"] = inner
                else:
                    params["icnr"] = False
                return (self._upsample(shuffle_id, "pixel_shuffle", params), node.inputs, following.output,
                        {id(following)})
        if d2s is not None and _spec_layer_name(op, self.registry) != "PixelShuffle":
            return {"id": entry_id, "layer": "PixelShuffle", "factor": d2s}, node.inputs, node.output, set()
        spec_name = _spec_layer_name(op, self.registry)
        assert spec_name is not None
        return ({"id": entry_id, "layer": spec_name, **layer_arguments(op, spec_name, self.registry)},
                node.inputs, node.output, set())
