"""Static shape inference, before Keras is involved.

Shapes leave out the batch axis: ``(28, 28, 1)``. ``None`` stands for an
unknown size, and a whole shape of ``None`` for a layer type without a rule
here (Keras then checks it at build time). Every rule raises
:class:`ShapeProblem` naming the key that causes the problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from typing import Callable
from typing import Optional

Shape = tuple[Optional[int], ...]


@dataclass(frozen=True)
class Inferred:
    shape: Shape | None
    #: where a size was rounded on the way (a pooling of an odd size, ...),
    #: quoted when a later join does not line up
    notes: tuple[str, ...] = ()


class ShapeProblem(Exception):
    def __init__(self, message: str, key: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.hint = hint


def fmt(shape: Shape | None) -> str:
    if shape is None:
        return "(unknown)"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def per_axis(value: Any, rank: int, key: str) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        if len(value) != rank:
            raise ShapeProblem(f"'{key}' has {len(value)} values but the input has {rank} spatial axes", key,
                               f"give one value, or {rank}")
        return tuple(int(v) for v in value)
    return (int(value),) * rank


def _spatial_rank(shape: Shape, rank: int, layer: str) -> None:
    if len(shape) != rank + 1:
        axes = ("length", "height, width", "depth, height, width")[rank - 1]
        raise ShapeProblem(f"{layer} expects a {rank}-D input ({axes}, channels), got shape {fmt(shape)}")


def _rank_of(layer: str) -> int:
    for digit in "123":
        if f"{digit}D" in layer:
            return int(digit)
    raise KeyError(layer)


# -- sliding windows -----------------------------------------------------------

def window_output(size: int | None, window: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    if size is None:
        return None
    span = dilation * (window - 1) + 1
    if padding in ("same", "causal"):
        return -(-size // stride)
    return (size - span) // stride + 1


def _rounding_note(axis_size: int | None, window: int, stride: int, padding: str, who: str) -> str | None:
    if axis_size is None or stride == 1:
        return None
    if padding == "valid" and (axis_size - window) % stride:
        return f"{who} rounds {axis_size} down to {window_output(axis_size, window, stride, padding)} ({axis_size} - {window} is not divisible by the stride {stride})"
    if padding == "same" and axis_size % stride:
        return f"{who} rounds {axis_size} up to {window_output(axis_size, window, stride, padding)} ({axis_size} is not divisible by the stride {stride})"
    return None


def sliding(shape: Shape, params: dict, layer: str, who: str, *, channels: int | None, window_key: str,
            default_stride_is_window: bool = False) -> Inferred:
    rank = _rank_of(layer)
    _spatial_rank(shape, rank, layer)
    window = per_axis(params[window_key], rank, window_key)
    stride_value = params.get("strides")
    strides = window if stride_value is None and default_stride_is_window else per_axis(stride_value or 1, rank, "strides")
    dilation = per_axis(params.get("dilation_rate") or 1, rank, "dilation_rate")
    padding = str(params.get("padding", "valid")).lower()
    out, notes = [], []
    for n, k, s, d in zip(shape[:-1], window, strides, dilation):
        size = window_output(n, k, s, padding, d)
        if size is not None and size < 1:
            raise ShapeProblem(f"{layer} with {window_key}={k} and padding '{padding}' leaves no output from a size of {n} "
                               f"(input {fmt(shape)})", window_key, "use padding: same, or a smaller window")
        note = _rounding_note(n, k * d - d + 1, s, padding, who)
        if note:
            notes.append(note)
        out.append(size)
    return Inferred((*out, shape[-1] if channels is None else channels), tuple(notes))


# -- rules ---------------------------------------------------------------------

def conv(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    if layer.startswith("Depthwise"):
        channels = shape[-1] * int(params.get("depth_multiplier") or 1) if shape[-1] else None
    else:
        channels = int(params["filters"])
    return sliding(shape, params, layer, who, channels=channels, window_key="kernel_size")


def conv_transpose(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    rank = _rank_of(layer)
    _spatial_rank(shape, rank, layer)
    kernel = per_axis(params["kernel_size"], rank, "kernel_size")
    strides = per_axis(params.get("strides") or 1, rank, "strides")
    dilation = per_axis(params.get("dilation_rate") or 1, rank, "dilation_rate")
    padding = str(params.get("padding", "valid")).lower()
    extra = params.get("output_padding")
    extra = per_axis(extra, rank, "output_padding") if extra is not None else (None,) * rank
    out: list[int | None] = []
    for n, k, s, d, o in zip(shape[:-1], kernel, strides, dilation, extra):
        k = d * (k - 1) + 1
        if n is None:
            out.append(None)
        elif o is None:
            out.append(n * s if padding == "same" else n * s + max(k - s, 0))
        else:
            pad = k // 2 if padding == "same" else 0
            out.append((n - 1) * s + k - 2 * pad + o)
    return Inferred((*out, int(params["filters"])))


def pooling(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    return sliding(shape, params, layer, who, channels=None, window_key="pool_size", default_stride_is_window=True)


def global_pooling(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    _spatial_rank(shape, _rank_of(layer), layer)
    if params.get("keepdims"):
        return Inferred((*(1,) * (len(shape) - 1), shape[-1]))
    return Inferred((shape[-1],))


def upsampling(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    rank = _rank_of(layer)
    _spatial_rank(shape, rank, layer)
    size = per_axis(params.get("size"), rank, "size")
    return Inferred((*(None if n is None else n * f for n, f in zip(shape[:-1], size)), shape[-1]))


def _pad_pairs(value: Any, rank: int, key: str) -> list[tuple[int, int]]:
    if isinstance(value, (list, tuple)) and len(value) == rank and all(isinstance(v, (list, tuple)) for v in value):
        return [(int(a), int(b)) for a, b in value]
    if isinstance(value, (list, tuple)) and rank == 1 and len(value) == 2:
        return [(int(value[0]), int(value[1]))]
    return [(v, v) for v in per_axis(value, rank, key)]


def padding_layer(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    rank = _rank_of(layer)
    _spatial_rank(shape, rank, layer)
    key = "cropping" if layer.startswith("Cropping") else "padding"
    sign = -1 if key == "cropping" else 1
    pairs = _pad_pairs(params.get(key), rank, key)
    out = []
    for n, (a, b) in zip(shape[:-1], pairs):
        size = None if n is None else n + sign * (a + b)
        if size is not None and size < 1:
            raise ShapeProblem(f"{layer} crops {a + b} from a size of {n}", key)
        out.append(size)
    return Inferred((*out, shape[-1]))


def dense(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    return Inferred((*shape[:-1], int(params["units"])))


def flatten(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    return Inferred((None if None in shape else math.prod(shape),))  # type: ignore[arg-type]


def reshape(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    target = [int(v) for v in params["target_shape"]]
    if None in shape:
        return Inferred(tuple(None if v == -1 else v for v in target))
    total = math.prod(shape)  # type: ignore[arg-type]
    known = math.prod(v for v in target if v != -1)
    if -1 in target:
        if total % known:
            raise ShapeProblem(f"Reshape cannot turn {fmt(shape)} ({total} values) into {target}", "target_shape")
        target = [total // known if v == -1 else v for v in target]
    elif known != total:
        raise ShapeProblem(f"Reshape cannot turn {fmt(shape)} ({total} values) into {tuple(target)} ({known} values)",
                           "target_shape")
    return Inferred(tuple(target))


def permute(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    dims = [int(d) for d in params["dims"]]
    if sorted(dims) != list(range(1, len(shape) + 1)):
        raise ShapeProblem(f"Permute dims {dims} must be a permutation of 1..{len(shape)}", "dims")
    return Inferred(tuple(shape[d - 1] for d in dims))


def same_shape(shape: Shape, params: dict, layer: str, who: str) -> Inferred:
    return Inferred(shape)


SINGLE: dict[str, Callable[[Shape, dict, str, str], Inferred]] = {}
for _name in ("Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
              "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
              "DepthwiseConv1D", "DepthwiseConv2D"):
    SINGLE[_name] = conv
for _name in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
              "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose"):
    SINGLE[_name] = conv_transpose
for _d in "123":
    for _name in (f"MaxPooling{_d}D", f"AveragePooling{_d}D", f"MaxPool{_d}D", f"AvgPool{_d}D"):
        SINGLE[_name] = pooling
    for _name in (f"GlobalMaxPooling{_d}D", f"GlobalAveragePooling{_d}D", f"GlobalMaxPool{_d}D", f"GlobalAvgPool{_d}D"):
        SINGLE[_name] = global_pooling
    SINGLE[f"UpSampling{_d}D"] = upsampling
    SINGLE[f"ZeroPadding{_d}D"] = padding_layer
    SINGLE[f"Cropping{_d}D"] = padding_layer
SINGLE.update(Dense=dense, Flatten=flatten, Reshape=reshape, Permute=permute)
for _name in ("Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "BatchNormalization",
              "LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization", "Dropout",
              "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
              "AlphaDropout", "Rescaling", "Identity", "ActivityRegularization", "Masking"):
    SINGLE[_name] = same_shape

ELEMENTWISE = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}
MERGE = ELEMENTWISE | {"Concatenate", "Dot"}


def _mismatch_hint(notes: tuple[str, ...]) -> str:
    return ("; ".join(notes) + "; make the input size divisible by the total downsampling factor, or crop/pad") if notes else ""


def concatenate(shapes: list[Shape], names: list[str], params: dict, notes: tuple[str, ...]) -> Inferred:
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        raise ShapeProblem("Concatenate joins inputs of different ranks: " + _listing(shapes, names), "inputs")
    rank = len(shapes[0])
    axis = int(params.get("axis", -1))
    axis = axis - 1 if axis > 0 else rank + axis  # Keras counts the batch axis; shapes here do not
    if not 0 <= axis < rank:
        raise ShapeProblem(f"Concatenate axis {params.get('axis')} is out of range for shapes " + _listing(shapes, names), "axis")
    out = list(shapes[0])
    for i in range(rank):
        if i == axis:
            sizes = [s[i] for s in shapes]
            out[i] = None if None in sizes else sum(sizes)  # type: ignore[arg-type]
            continue
        known = {s[i] for s in shapes if s[i] is not None}
        if len(known) > 1:
            raise ShapeProblem(
                f"Concatenate needs equal sizes on every axis but the concatenation axis; axis {i + 1} differs: "
                + _listing(shapes, names),
                "inputs", _mismatch_hint(notes))
        out[i] = known.pop() if known else None
    return Inferred(tuple(out))


def elementwise(layer: str, shapes: list[Shape], names: list[str], notes: tuple[str, ...]) -> Inferred:
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for i in range(1, rank + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i and s[-i] not in (None, 1)}
        if len(sizes) > 1:
            raise ShapeProblem(f"{layer} needs inputs of the same shape: " + _listing(shapes, names), "inputs",
                               _mismatch_hint(notes))
        out.insert(0, sizes.pop() if sizes else (1 if all(len(s) >= i and s[-i] == 1 for s in shapes) else None))
    return Inferred(tuple(out))


def dot(shapes: list[Shape], names: list[str], params: dict) -> Inferred:
    """Keras's ``Dot``: the sum of products along ``axes`` (one for both inputs, or one each); the output is the
    first input's other axes then the second's, ``(1,)`` when none remain (two vectors give one number)."""
    if len(shapes) != 2:
        raise ShapeProblem(f"Dot multiplies two inputs; it got {len(shapes)}: " + _listing(shapes, names), "inputs")
    axes = params.get("axes")
    given = list(axes) if isinstance(axes, (list, tuple)) else [axes, axes]
    pair = [a for a in given if isinstance(a, int) and not isinstance(a, bool)]
    if len(given) != 2 or len(pair) != 2:
        return Inferred(None)  # Keras says what it takes
    picked = []
    for shape, axis, name in zip(shapes, pair, names):
        rank = len(shape) + 1  # with the batch axis, as Keras counts
        if not -rank <= axis < rank or axis % rank == 0:
            raise ShapeProblem(f"Dot axes {axes} do not fit {name!r} {fmt(shape)}: axis {axis} is "
                               f"{'the batch' if axis % rank == 0 and -rank <= axis < rank else 'out of range'}",
                               "axes", f"name an axis from 1 to {rank - 1} (or -1, the last)")
        picked.append(axis % rank - 1)
    sizes = [shapes[0][picked[0]], shapes[1][picked[1]]]
    if None not in sizes and sizes[0] != sizes[1]:
        raise ShapeProblem(f"Dot multiplies along axes {axes}, which must have the same size; they are {sizes[0]} and "
                           f"{sizes[1]}: " + _listing(shapes, names), "inputs")
    out = [s for i, s in enumerate(shapes[0]) if i != picked[0]] + [s for i, s in enumerate(shapes[1]) if i != picked[1]]
    return Inferred(tuple(out) or (1,))


def _listing(shapes: list[Shape], names: list[str]) -> str:
    return ", ".join(f"'{n}' {fmt(s)}" for n, s in zip(names, shapes))


#: the parameters that name axes of a layer's input (Keras counts the batch axis as 0)
AXIS_KEYS = ("axis", "shared_axes")


def check_axes(layer: str, params: dict, shape: Shape) -> None:
    """Every axis a layer names exists in its input: ``BatchNormalization`` with ``axis: 9`` on a
    ``(H, W, C)`` input is refused here, not by an IndexError inside Keras."""
    rank = len(shape) + 1  # with the batch axis, as Keras counts
    for key in AXIS_KEYS:
        value = params.get(key)
        if value is None or isinstance(value, bool):
            continue
        axes = value if isinstance(value, (list, tuple)) else [value]
        for axis in axes:
            if isinstance(axis, int) and not -rank <= axis < rank:
                raise ShapeProblem(f"{layer} {key} {axis} is out of range for its input of shape "
                                   f"(batch, {', '.join(map(str, shape))}) (rank {rank})", key,
                                   f"use an axis from 1 to {rank - 1} (or -1, the channels)")


def infer_layer(layer: str, params: dict, shapes: list[Shape | None], names: list[str],
                notes: tuple[str, ...], who: str) -> Inferred:
    """The output shape of ``layer`` (a layer type name) with ``params`` (defaults filled in)."""
    if layer in MERGE:
        if len(shapes) < 2:
            raise ShapeProblem(f"{layer} joins several inputs; it got {len(shapes)}", "inputs",
                               "list them with inputs: [a, b]")
        if any(s is None for s in shapes):
            return Inferred(None)
        if layer == "Dot":
            return dot(shapes, names, params)  # type: ignore[arg-type]
        if layer == "Concatenate":
            return concatenate(shapes, names, params, notes)  # type: ignore[arg-type]
        return elementwise(layer, shapes, names, notes)  # type: ignore[arg-type]
    if len(shapes) != 1:
        if layer not in SINGLE:  # a plugin's layer on several inputs (a guided upsampler's [x, guide]): Keras checks it
            return Inferred(None)
        raise ShapeProblem(f"{layer} takes one input; it got {len(shapes)}", "inputs")
    shape = shapes[0]
    if shape is not None:
        check_axes(layer, params, shape)
    rule = SINGLE.get(layer)
    if shape is None or rule is None or str(params.get("data_format") or "channels_last") != "channels_last":
        return Inferred(None)
    inferred = rule(shape, params, layer, who)
    return Inferred(inferred.shape, notes + inferred.notes)


def infer_upsample(strategy: str, ranks: tuple[int, ...], params: dict, shape: Shape | None,
                   notes: tuple[str, ...]) -> Inferred:
    """The upsample contract: ``(*spatial, C)`` -> ``(*(s * factor), filters)``; ``filters: null`` (resize-only
    strategies) keeps ``C``."""
    if shape is None:
        return Inferred(None)
    rank = len(shape) - 1
    if rank not in ranks:
        names = [f"{r}-D" for r in ranks]
        supported = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        raise ShapeProblem(f"strategy {strategy!r} supports {supported} inputs; it got a {rank}-D input of shape {fmt(shape)}",
                           "upsample", "pick a strategy that supports this rank, e.g. 'nearest' or 'transpose'")
    factor = per_axis(params["factor"], rank, "factor")
    spatial = tuple(None if n is None else n * f for n, f in zip(shape[:-1], factor))
    filters = params.get("filters")
    return Inferred((*spatial, shape[-1] if filters is None else int(filters)), notes)
