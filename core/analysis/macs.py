"""Multiply-accumulates of a forward pass, counted analytically per layer (any Keras backend).

Convention (the "mult-adds" of the super-resolution literature): the
multiply-accumulates of the layers with weights, for one example:

- ``ConvND``: output positions x kernel positions x input channels / groups x filters
- ``ConvNDTranspose``: input positions x kernel positions x input channels x filters
- ``DepthwiseConvND``: output positions x kernel positions x channels x depth multiplier
- ``SeparableConvND``: its depthwise part plus a 1x1 convolution
- ``Dense``: leading positions x input units x units

Bias additions, activations, resizes, reshuffles and merges cost no MACs
here; TensorFlow's profiler counts them as float operations, so it reports a
little more (``tests/test_macs.py`` checks the two against each other). A
custom layer can report its own count with a method
``count_macs(input_shape, output_shape) -> int`` (``input_shape`` is a list of shapes for a layer with several
inputs, as the guided ones: their kernel-prediction projections and convolutions, the similarity and
reassembly einsums count; softmax, normalisation and the fixed resizes do not).
"""

from __future__ import annotations

import math
from typing import Any


def _shape(tensor: Any) -> tuple:
    return tuple(tensor.shape)


def _positions(shape: tuple) -> int:
    """Spatial positions of a ``(batch, *spatial, channels)`` shape."""
    return math.prod(int(s) for s in shape[1:-1])


def layer_macs(layer: Any) -> int:
    """Multiply-accumulates of one call of ``layer`` on one example (its recorded input and output shapes)."""
    if hasattr(layer, "layers") and layer.layers and hasattr(layer, "inputs"):  # a nested model
        return sum(layer_macs(inner) for inner in layer.layers)
    try:
        inputs = layer.input
        in_shape: Any = [_shape(t) for t in inputs] if isinstance(inputs, (list, tuple)) else _shape(inputs)
        out_shape = _shape(layer.output)
    except (AttributeError, ValueError):  # an input layer
        return 0
    custom = getattr(layer, "count_macs", None)
    if callable(custom):  # a layer with several inputs (a guided one) gets their shapes as a list
        return int(custom(in_shape, out_shape))
    if isinstance(in_shape, list):  # merges (Add, Concatenate): no MACs
        return 0
    kind = type(layer).__name__
    kernel = getattr(layer, "kernel_size", None)
    taps = math.prod(kernel) if kernel else 1
    if kind.startswith("SeparableConv"):
        depthwise = _positions(out_shape) * taps * in_shape[-1] * layer.depth_multiplier
        return int(depthwise + _positions(out_shape) * in_shape[-1] * layer.depth_multiplier * out_shape[-1])
    if kind.startswith("DepthwiseConv"):
        return int(_positions(out_shape) * taps * in_shape[-1] * layer.depth_multiplier)
    if kind.startswith("Conv") and kind.endswith("Transpose"):
        return int(_positions(in_shape) * taps * in_shape[-1] * out_shape[-1])
    if kind.startswith("Conv"):
        groups = getattr(layer, "groups", 1) or 1
        return int(_positions(out_shape) * taps * (in_shape[-1] // groups) * out_shape[-1])
    if kind == "Dense" or kind == "EinsumDense" and hasattr(layer, "kernel"):
        if kind == "Dense":
            return int(math.prod(int(s) for s in in_shape[1:-1]) * in_shape[-1] * out_shape[-1])
        return int(math.prod(int(s) for s in out_shape[1:]) * math.prod(layer.kernel.shape) // max(1, out_shape[-1]))
    return 0


def per_layer_macs(model: Any) -> dict[str, int]:
    """Each layer's multiply-accumulates, by layer name, in model order."""
    return {layer.name: layer_macs(layer) for layer in model.layers}


def multiply_accumulates(model: Any) -> int:
    """Multiply-accumulates of one forward pass on one example (see the module's convention)."""
    return sum(per_layer_macs(model).values())
