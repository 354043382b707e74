"""Static estimates of a model's size: parameters and activation memory per example, per entry.

Computed from the static shapes and the entries' arguments, before Keras
allocates anything, so that ``factor: 100000`` or ``filters: 1000000000`` is a
spec error naming the entry in milliseconds rather than an out-of-memory kill.
Layer rules are exact for Keras's weight layers and for the built-in strategies that are one convolution
(``ONE_CONVOLUTION``: a ``kernel_size`` window mapping the input's channels to ``filters``); any other upsample
entry's count is an upper bound from the upsample contract (that window for every one of the ``factor``
sub-positions), marked ``exact=False``.
Activations are float32 outputs (upsample entries twice: strategies make one
intermediate tensor of the output's size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .shapes import Shape

BYTES_PER_VALUE = 4


@dataclass(frozen=True)
class Estimate:
    params: int | None  # None: a layer type without a rule here
    memory: int | None  # bytes of activations per example; None: a size unknown until run time
    #: False when ``params`` is an upper bound (a strategy without an exact rule here)
    exact: bool = True


#: built-in strategies whose only weights are one convolution with a ``kernel_size`` window (and its bias)
ONE_CONVOLUTION = ("transpose", "transpose_zoh", "nearest", "bilinear", "bicubic", "lanczos")


def _ints(value: Any, rank: int) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    return (int(value),) * max(rank, 1)


def _bias(params: dict[str, Any], count: int) -> int:
    return count if params.get("use_bias", True) else 0


def layer_params(layer: str, params: dict[str, Any], parents: list[Shape | None]) -> int | None:
    """Trainable and non-trainable weights of a Keras layer, or None when there is no rule for it."""
    shape = parents[0] if len(parents) == 1 else None
    if shape is None or shape[-1] is None:
        return 0 if layer in _NO_WEIGHTS else None
    channels = int(shape[-1])
    rank = len(shape) - 1
    base = layer.replace("Convolution", "Conv")
    if base.startswith("SeparableConv"):
        k = math.prod(_ints(params["kernel_size"], rank))
        dm = int(params.get("depth_multiplier") or 1)
        filters = int(params["filters"])
        return k * channels * dm + channels * dm * filters + _bias(params, filters)
    if base.startswith("DepthwiseConv"):
        k = math.prod(_ints(params["kernel_size"], rank))
        dm = int(params.get("depth_multiplier") or 1)
        return k * channels * dm + _bias(params, channels * dm)
    if base.startswith("Conv") and base[4:5] in "123":
        k = math.prod(_ints(params["kernel_size"], rank))
        filters = int(params["filters"])
        groups = int(params.get("groups") or 1)
        return k * (channels // max(groups, 1)) * filters + _bias(params, filters)
    if layer == "Dense":
        units = int(params["units"])
        return channels * units + _bias(params, units)
    if layer == "BatchNormalization":
        return 4 * channels
    if layer in ("LayerNormalization", "GroupNormalization"):
        return 2 * channels
    if layer == "RMSNormalization":
        return channels
    if layer == "PReLU":  # one slope per value, shared along ``shared_axes`` (1-based, batch excluded)
        shared = params.get("shared_axes") or []
        shared = {int(a) for a in (shared if isinstance(shared, list) else [shared])}
        return math.prod(1 if i + 1 in shared else (d or 1) for i, d in enumerate(shape))
    if layer == "Embedding":
        return int(params["input_dim"]) * int(params["output_dim"])
    return 0 if layer in _NO_WEIGHTS else None


_NO_WEIGHTS = frozenset({
    "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Rescaling", "Identity", "Flatten",
    "Reshape", "Permute", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "UnitNormalization", "ActivityRegularization", "Masking",
    *(f"{kind}{d}D" for d in "123" for kind in (
        "MaxPooling", "AveragePooling", "MaxPool", "AvgPool", "GlobalMaxPooling", "GlobalAveragePooling",
        "GlobalMaxPool", "GlobalAvgPool", "UpSampling", "ZeroPadding", "Cropping")),
})


def upsample_params(params: dict[str, Any], shape: Shape | None, strategy: str = "") -> int | None:
    """The exact count for a strategy of ``ONE_CONVOLUTION``, else an upper bound for any strategy honouring
    the upsample contract."""
    if shape is None or shape[-1] is None:
        return None
    filters = params.get("filters")
    if filters is None:  # resize only
        return 0
    rank = len(shape) - 1
    window = math.prod(_ints(params.get("kernel_size") or 3, rank))
    if _exact_rule(strategy, params):
        return window * int(shape[-1]) * int(filters) + (int(filters) if params.get("use_bias", True) else 0)
    positions = math.prod(_ints(params.get("factor", 1), rank))
    return (window * int(shape[-1]) * int(filters) + int(filters)) * positions


def _exact_rule(strategy: str, params: dict[str, Any]) -> bool:
    return strategy in ONE_CONVOLUTION and params.get("groups") in (None, 1)


def activation_bytes(shape: Shape | None, copies: int = 1) -> int | None:
    if shape is None or any(d is None for d in shape):
        return None
    return math.prod(shape) * BYTES_PER_VALUE * copies  # type: ignore[arg-type]


def estimate(kind: str, type_name: str, params: dict[str, Any], parents: list[Shape | None], shape: Shape | None) -> Estimate:
    """The estimate of one entry (``kind`` "upsample" or "layer"); never raises."""
    try:
        if kind == "upsample":
            return Estimate(upsample_params(params, parents[0] if parents else None, type_name),
                            activation_bytes(shape, 2), exact=_exact_rule(type_name, params))
        return Estimate(layer_params(type_name, params, parents), activation_bytes(shape))
    except (ArithmeticError, LookupError, TypeError, ValueError):
        return Estimate(None, activation_bytes(shape) if shape is not None else None)


def human_bytes(count: int | None) -> str:
    if count is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return "?"
