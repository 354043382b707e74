"""``ConvTranspose``: grouped transpose convolution with a chosen alignment, in 1-D, 2-D and 3-D.

Keras's ``Conv*DTranspose`` has no ``groups`` and aligns its output the
TensorFlow way. This layer computes the full ("valid") transposed convolution
of each channel group and keeps ``n * stride`` samples per axis starting at
``crop``: ``crop = (kernel - stride) // 2`` (clamped at 0) is Keras's
``padding="same"``; ``crop = (kernel - 1) // 2`` is PyTorch's
``ConvTranspose(padding=(kernel - 1) // 2, output_padding=...)`` (MONAI's
``Convolution(is_transposed=True)``). Samples past the full output (a kernel
smaller than the stride) are zeros before the bias, as PyTorch's
``output_padding`` samples are.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

ALIGNMENTS = ("keras", "pytorch")


def _per_axis(value: Any, rank: int, name: str) -> tuple[int, ...]:
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,) * rank
    if len(values) != rank or any(int(v) != v or int(v) < 1 for v in values):
        raise ValueError(f"Invalid value for argument `{name}`. Expected a positive integer or {rank} of them. "
                         f"Received {name}={value}")
    return tuple(int(v) for v in values)


def crop_start(kernel: int, stride: int, alignment: str) -> int:
    """Where the ``n * stride`` output samples start in the full transposed convolution."""
    return max(kernel - stride, 0) // 2 if alignment == "keras" else (kernel - 1) // 2


def pytorch_output_padding(kernel: int, stride: int) -> int:
    """PyTorch's ``output_padding`` that makes ``padding=(kernel - 1) // 2`` give ``n * stride`` samples."""
    return stride - kernel + 2 * ((kernel - 1) // 2)


@keras.saving.register_keras_serializable(package="upspec")
class ConvTranspose(keras.layers.Layer):
    """Transpose convolution by ``strides`` with ``groups`` channel groups; output ``n * stride`` per axis.

    The kernel has shape ``(*kernel_size, filters // groups, in_channels)``:
    input channel ``c`` belongs to group ``c // (in_channels // groups)`` and
    feeds that group's ``filters // groups`` outputs (PyTorch's grouping).
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any, *, rank: int = 2, groups: int = 1,
                 alignment: str = "keras", activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(filters) < 1:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}")
        if alignment not in ALIGNMENTS:
            raise ValueError(f"Invalid value for argument `alignment`. Expected one of {ALIGNMENTS}. "
                             f"Received alignment={alignment!r}")
        self.rank = int(rank)
        self.filters = int(filters)
        self.kernel_size = _per_axis(kernel_size, self.rank, "kernel_size")
        self.strides = _per_axis(strides, self.rank, "strides")
        self.groups = int(groups)
        if self.groups < 1 or self.filters % self.groups:
            raise ValueError(f"Invalid value for argument `groups`. Expected a positive divisor of filters={filters}. "
                             f"Received groups={groups}")
        self.alignment = alignment
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) - 2 != self.rank:
            raise ValueError(f"ConvTranspose of rank {self.rank} got an input of shape {tuple(input_shape)}")
        channels = input_shape[-1]
        if channels is None or channels % self.groups:
            raise ValueError(f"ConvTranspose needs the input channels ({channels}) to be a multiple of "
                             f"groups={self.groups}")
        self.kernel = self.add_weight(name="kernel", shape=(*self.kernel_size, self.filters // self.groups, channels),
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer) \
            if self.use_bias else None

    def call(self, x: Any) -> Any:
        cin = x.shape[-1] // self.groups
        parts = []
        for g in range(self.groups):  # group g: input channels [g*cin, (g+1)*cin) -> its filters // groups outputs
            xg = x[..., g * cin:(g + 1) * cin] if self.groups > 1 else x
            kg = self.kernel[..., g * cin:(g + 1) * cin] if self.groups > 1 else self.kernel
            parts.append(ops.conv_transpose(xg, kg, strides=self.strides, padding="valid"))
        y = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        y = self._align(y, ops.shape(x))
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def _align(self, y: Any, input_shape: Any) -> Any:
        """Keep ``n * stride`` samples per axis from the alignment's start, zero-padding past the end."""
        for axis, (k, s) in enumerate(zip(self.kernel_size, self.strides), start=1):
            start = crop_start(k, s, self.alignment)
            want = input_shape[axis] * s
            have = y.shape[axis] if y.shape[axis] is not None else ops.shape(y)[axis]
            if isinstance(have, int) and isinstance(want, int):
                short = max(start + want - have, 0)
            else:
                short = ops.maximum(start + want - have, 0)
            if not isinstance(short, int) or short:
                pads = [(0, 0)] * len(y.shape)
                pads[axis] = (0, short)
                y = ops.pad(y, pads)
            index = [slice(None)] * len(y.shape)
            index[axis] = slice(start, start + want)
            y = y[tuple(index)]
        return y

    def count_macs(self, input_shape: tuple, output_shape: tuple) -> int:
        """Input positions x kernel taps x input channels per group x filters (``upspec.analysis.macs``)."""
        positions = math.prod(int(n) for n in input_shape[1:-1])
        return positions * math.prod(self.kernel_size) * (int(input_shape[-1]) // self.groups) * self.filters

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        spatial = [None if n is None else n * s for n, s in zip(input_shape[1:-1], self.strides)]
        return (input_shape[0], *spatial, self.filters)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "rank": self.rank, "groups": self.groups, "alignment": self.alignment,
                "activation": keras.activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}
