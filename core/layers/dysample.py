"""``DySample``: dynamic upsampling by point sampling (Liu, Lu, Fu, Cao, ICCV 2023,
"Learning to Upsample by Learning to Sample"), in 1-D, 2-D and 3-D, from ``keras.ops`` only.

Every output sample reads the input at one point: its bilinear-upsampling
position (half-pixel centres, ``(o + 0.5) / factor - 0.5`` per axis) moved by
an offset that a 1x1 convolution predicts from the content, per channel group.
The sampling is linear interpolation between the neighbouring input samples
(bilinear in 2-D, trilinear in 3-D), with coordinates clamped to the input
(``grid_sample(align_corners=False, padding_mode="border")`` in the paper's
code), done with gathers.

As in the paper's reference code (tiny-smart/dysample):

- ``style="lp"`` ("linear + pixel-shuffle"): the offsets of the ``prod(factor)``
  sub-positions come from the low-resolution input, ``2 * groups * factor**2``
  channels in 2-D, rearranged by a pixel shuffle; ``style="pl"``
  ("pixel-shuffle + linear", DySample-S): the input is pixel-shuffled first
  (its channels must be a multiple of ``prod(factor)``) and the offsets
  predicted at full resolution.
- ``scope="static"``: offset = 0.25 * conv(x), the 0.25 "scope factor" that keeps
  neighbouring sampling points from overlapping; ``scope="dynamic"``
  (DySample+): offset = 0.5 * sigmoid(conv_scope(x)) * conv(x).
- the offset convolution starts from N(0, 0.001) weights and zero bias, the
  scope convolution from zeros, so DySample starts as bilinear upsampling.

Offsets are in input samples, one component per spatial axis, in axis order.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import keras
from keras import ops

from .pixel_shuffle import depth_to_space
from .pixel_shuffle import factor_tuple

STYLES = ("lp", "pl")
SCOPES = ("static", "dynamic")
STATIC_SCOPE = 0.25
DYNAMIC_SCOPE = 0.5
OFFSET_INIT_STD = 0.001


def default_groups(channels: int, preferred: int = 4) -> int:
    """The paper's 4 groups where the channels divide into 4, else the largest divisor of ``channels`` below it."""
    return max(g for g in range(1, preferred + 1) if channels % g == 0)


def sample_points(x: Any, positions: Any, groups: int) -> Any:
    """Linear interpolation of ``x`` at ``positions``, clamped to the input ("border" padding).

    ``x``: ``(b, *spatial, C)``; ``positions``: ``(b, *out_spatial, groups, rank)``, in input samples
    (0 = the first sample's centre); channel ``c`` is read at its group's ``c // (C // groups)`` position.
    Returns ``(b, *out_spatial, C)``.
    """
    rank = positions.shape[-1]
    channels = x.shape[-1]
    per_group = channels // groups
    x_shape = ops.shape(x)
    p_shape = ops.shape(positions)
    batch = x_shape[0]
    sizes = [x.shape[1 + a] if x.shape[1 + a] is not None else x_shape[1 + a] for a in range(rank)]
    out_spatial = [positions.shape[1 + a] if positions.shape[1 + a] is not None else p_shape[1 + a]
                   for a in range(rank)]
    # one row per (batch, group): (b * groups, samples, channels of the group)
    inputs = ops.transpose(ops.reshape(x, (batch, -1, groups, per_group)), (0, 2, 1, 3))
    inputs = ops.reshape(inputs, (batch * groups, -1, per_group))
    points = ops.transpose(ops.reshape(positions, (batch, -1, groups, rank)), (0, 2, 1, 3))
    points = ops.reshape(points, (batch * groups, -1, rank))
    low, high, frac = [], [], []
    for a in range(rank):
        last = sizes[a] - 1
        p = ops.clip(points[..., a], 0.0, ops.cast(last, points.dtype))
        floor = ops.floor(p)
        i0 = ops.cast(floor, "int32")
        low.append(i0)
        high.append(ops.minimum(i0 + 1, last))
        frac.append(ops.cast(p - floor, x.dtype))
    result = None
    for corner in itertools.product((0, 1), repeat=rank):
        index, weight = None, None
        for a, upper in enumerate(corner):
            i = high[a] if upper else low[a]
            w = frac[a] if upper else 1 - frac[a]
            index = i if index is None else index * sizes[a] + i
            weight = w if weight is None else weight * w
        gathered = ops.take_along_axis(inputs, ops.repeat(ops.expand_dims(index, -1), per_group, axis=-1), axis=1)
        term = gathered * ops.expand_dims(weight, -1)
        result = term if result is None else result + term
    result = ops.reshape(result, (batch, groups, -1, per_group))
    result = ops.transpose(result, (0, 2, 1, 3))
    return ops.reshape(result, (batch, *out_spatial, channels))


def upsampling_positions(sizes: list[Any], factor: tuple[int, ...]) -> list[Any]:
    """Per axis, the input position each output sample reads at initialisation: ``(o + 0.5) / f - 0.5``."""
    return [(ops.cast(ops.arange(n * f), "float32") + 0.5) / f - 0.5 for n, f in zip(sizes, factor)]


@keras.saving.register_keras_serializable(package="upspec")
class DySample(keras.layers.Layer):
    """Upsample ``(b, *spatial, C)`` to ``(b, *(s * f), C)`` by content-aware point sampling (DySample)."""

    def __init__(self, factor: Any = 2, groups: int | None = None, style: str = "lp", scope: str = "static",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if style not in STYLES:
            raise ValueError(f"Invalid value for argument `style`. Expected one of {STYLES}. Received style={style!r}")
        if scope not in SCOPES:
            raise ValueError(f"Invalid value for argument `scope`. Expected one of {SCOPES}. Received scope={scope!r}")
        if groups is not None and int(groups) < 1:
            raise ValueError(f"Invalid value for argument `groups`. Expected a positive integer. Received groups={groups}")
        self.factor = factor_tuple(factor, rank=1)  # an int: the same factor on every axis (see build)
        self.groups = None if groups is None else int(groups)
        self.style = style
        self.scope = scope

    def build(self, input_shape: tuple) -> None:
        rank = len(input_shape) - 2
        if len(self.factor) == 1:
            self.factor = self.factor * rank
        if len(self.factor) != rank:
            raise ValueError(f"DySample got factor={self.factor} ({len(self.factor)} axes) for an input of "
                             f"{rank} spatial axes (shape {tuple(input_shape)})")
        channels = input_shape[-1]
        self.group_count = default_groups(channels) if self.groups is None else self.groups
        if channels % self.group_count:
            raise ValueError(f"DySample needs the input channels ({channels}) to be a multiple of "
                             f"groups={self.group_count}")
        n = math.prod(self.factor)
        offsets = rank * self.group_count
        if self.style == "pl":
            if channels % n:
                raise ValueError(f"DySample style 'pl' pixel-shuffles its input: the channels ({channels}) must be a "
                                 f"multiple of prod(factor)={n}; use style 'lp'")
            conv_in, conv_out = channels // n, offsets
        else:
            conv_in, conv_out = channels, offsets * n
        self.offset_kernel = self.add_weight(name="offset_kernel", shape=(conv_in, conv_out),
                                             initializer=keras.initializers.RandomNormal(stddev=OFFSET_INIT_STD))
        self.offset_bias = self.add_weight(name="offset_bias", shape=(conv_out,), initializer="zeros")
        if self.scope == "dynamic":
            self.scope_kernel = self.add_weight(name="scope_kernel", shape=(conv_in, conv_out), initializer="zeros")
            self.scope_bias = self.add_weight(name="scope_bias", shape=(conv_out,), initializer="zeros")

    def _offsets(self, x: Any) -> Any:
        """``(b, *out_spatial, groups * rank)``: each output sample's offset, per group and axis."""
        source = depth_to_space(x, self.factor) if self.style == "pl" else x
        offset = ops.matmul(source, self.offset_kernel) + self.offset_bias
        if self.scope == "dynamic":
            offset = offset * ops.sigmoid(ops.matmul(source, self.scope_kernel) + self.scope_bias) * DYNAMIC_SCOPE
        else:
            offset = offset * STATIC_SCOPE
        return offset if self.style == "pl" else depth_to_space(offset, self.factor)

    def call(self, x: Any) -> Any:
        rank = len(self.factor)
        shape = ops.shape(x)
        sizes = [x.shape[1 + a] if x.shape[1 + a] is not None else shape[1 + a] for a in range(rank)]
        offsets = ops.cast(self._offsets(x), "float32")
        offsets = ops.reshape(offsets, (shape[0], *[n * f for n, f in zip(sizes, self.factor)], self.group_count, rank))
        base = []
        for a, coords in enumerate(upsampling_positions(sizes, self.factor)):
            view = [1] * (rank + 3)
            view[1 + a] = -1
            base.append(ops.reshape(coords, view))
        positions = ops.concatenate([offsets[..., a:a + 1] + base[a] for a in range(rank)], axis=-1)
        return sample_points(x, positions, self.group_count)

    def count_macs(self, input_shape: tuple, output_shape: tuple) -> int:
        """The 1x1 offset (and scope) convolutions (``upspec.analysis.macs``); the sampling, like a resize,
        counts none."""
        source = output_shape if self.style == "pl" else input_shape
        positions = math.prod(int(n) for n in source[1:-1])
        convolutions = 2 if self.scope == "dynamic" else 1
        return convolutions * positions * int(self.offset_kernel.shape[0]) * int(self.offset_kernel.shape[1])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        factor = self.factor if len(self.factor) > 1 else self.factor * (len(input_shape) - 2)
        spatial = [None if s is None else s * f for s, f in zip(input_shape[1:-1], factor)]
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "groups": self.groups, "style": self.style,
                "scope": self.scope}
