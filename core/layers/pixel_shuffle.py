"""Keras objects of the pixel-shuffle strategy: the shuffle layer, ICNR and the hold blur.

Imported only when a model is built or loaded (it imports Keras). Both are
registered as serialisable, so saved models reload once this module is
imported (:mod:`upspec.keras_objects` does that for every module of :mod:`upspec.layers`).
"""

from __future__ import annotations

import math
from typing import Any

import keras


def factor_tuple(factor: Any, rank: int | None = None) -> tuple[int, ...]:
    factor = tuple(factor) if isinstance(factor, (list, tuple)) else (int(factor),) * (rank or 2)
    if any(int(f) < 1 for f in factor):
        raise ValueError(f"Invalid value for argument `factor`. Expected positive integers. Received factor={factor}")
    return tuple(int(f) for f in factor)


def depth_to_space(x: Any, factor: tuple[int, ...]) -> Any:
    """``(b, *spatial, C * prod(factor))`` -> ``(b, *(s * f), C)`` in TensorFlow's channel order."""
    ops = keras.ops
    rank = len(factor)
    shape = ops.shape(x)
    spatial = [shape[1 + i] for i in range(rank)]
    channels = x.shape[-1] // math.prod(factor)
    x = ops.reshape(x, (-1, *spatial, *factor, channels))
    # interleave each spatial axis with its sub-pixel axis: (b, s1, f1, s2, f2, ..., C)
    order = [0]
    for i in range(rank):
        order += [1 + i, 1 + rank + i]
    order.append(1 + 2 * rank)
    x = ops.transpose(x, order)
    return ops.reshape(x, (-1, *[s * f for s, f in zip(spatial, factor)], channels))


@keras.saving.register_keras_serializable(package="upspec")
class PixelShuffle(keras.layers.Layer):
    """Depth-to-space for 1-D, 2-D and 3-D inputs, per-axis factors allowed.

    Maps ``(batch, *spatial, C * prod(factor))`` to
    ``(batch, *(s * f), C)`` with TensorFlow's channel order: output position
    ``(s_i * f_i + k_i)`` takes input channel ``flat(k) * C + c``, which is
    ``tf.nn.depth_to_space``'s order in 2-D (PyTorch's ``pixel_shuffle`` puts
    ``c`` first instead).
    """

    def __init__(self, factor: Any = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor_tuple(factor)

    def build(self, input_shape: tuple) -> None:
        rank = len(input_shape) - 2
        if len(self.factor) != rank:
            raise ValueError(
                f"PixelShuffle got factor={self.factor} ({len(self.factor)} axes) for an input of "
                f"{rank} spatial axes (shape {tuple(input_shape)})"
            )
        n = math.prod(self.factor)
        if input_shape[-1] is not None and input_shape[-1] % n:
            raise ValueError(
                f"PixelShuffle needs the channel count to be a multiple of prod(factor)={n}; "
                f"received input shape {tuple(input_shape)}"
            )

    def call(self, x: Any) -> Any:
        return depth_to_space(x, self.factor)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        spatial = [None if s is None else s * f for s, f in zip(input_shape[1:-1], self.factor)]
        return (input_shape[0], *spatial, input_shape[-1] // math.prod(self.factor))

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor)}


@keras.saving.register_keras_serializable(package="upspec")
class ICNR(keras.initializers.Initializer):
    """ICNR initialisation (Aitken et al., 2017) for a convolution before PixelShuffle.

    Draws a kernel for ``out / prod(factor)`` channels from ``initializer``
    and repeats it for every sub-pixel position, so that conv + shuffle
    starts out equal to conv + nearest-neighbour resize: no checkerboard at
    initialisation. The repeat is a tile along the channel axis because
    TensorFlow's depth-to-space puts the sub-pixel index before the channel.
    """

    def __init__(self, initializer: Any = "glorot_uniform", factor: Any = 2) -> None:
        self.initializer = keras.initializers.get(initializer)
        self.factor = factor_tuple(factor)

    def __call__(self, shape: tuple, dtype: Any = None) -> Any:
        n = math.prod(self.factor)
        if shape[-1] % n:
            raise ValueError(f"ICNR needs the output channels ({shape[-1]}) to be a multiple of prod(factor)={n}")
        sub = self.initializer((*shape[:-1], shape[-1] // n), dtype=dtype)
        return keras.ops.tile(sub, (1,) * (len(shape) - 1) + (n,))

    def get_config(self) -> dict:
        return {"initializer": keras.initializers.serialize(self.initializer), "factor": list(self.factor)}



@keras.saving.register_keras_serializable(package="upspec")
class HoldBlur(keras.layers.Layer):
    """Pad ``factor - 1`` samples before each spatial axis, then average ``factor`` samples with stride 1.

    The blur after a pixel shuffle of MONAI's ``SubpixelUpsample(apply_pad_pool=True)`` (``padding="zeros"``,
    value for value) and Sugawara et al.'s zero-order hold (2018/2019), which averages the ``factor`` phases
    of every period so that a periodic (checkerboard) pattern cancels. ``padding="replicate"`` repeats the
    first sample instead of zeros, so a constant stays constant at the border.
    """

    def __init__(self, factor: Any = 2, padding: str = "replicate", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if padding not in ("replicate", "zeros"):
            raise ValueError(f"Invalid value for argument `padding`. Expected 'replicate' or 'zeros'. "
                             f"Received padding={padding!r}")
        self.factor = factor_tuple(factor)
        self.padding = padding

    def call(self, x: Any) -> Any:
        ops = keras.ops
        rank = len(self.factor)
        for axis, f in enumerate(self.factor, start=1):
            if f == 1:
                continue
            if self.padding == "zeros":
                pads = [(0, 0)] * (rank + 2)
                pads[axis] = (f - 1, 0)
                x = ops.pad(x, pads)
            else:
                first = ops.take(x, ops.zeros((f - 1,), dtype="int32"), axis=axis)
                x = ops.concatenate([first, x], axis=axis)
        return ops.average_pool(x, pool_size=self.factor, strides=1, padding="valid")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "padding": self.padding}
