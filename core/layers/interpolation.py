"""``Interpolate``: separable linear / cubic resize by integer factors, in 1-D, 2-D and 3-D.

Keras resizes linearly or cubically in 2-D only (``UpSampling2D``) and with
TensorFlow's conventions only. This layer resizes every spatial axis in turn
(gather the neighbouring samples, weight them, sum), so it works in any rank,
with a different factor per axis, and under either convention:

``align_corners=None`` (TensorFlow, ``tf.image.resize``)
    half-pixel centres, ``src = (dst + 0.5) / factor - 0.5``; cubic uses Keys'
    kernel with ``a = -0.5`` and gives out-of-range taps zero weight
    (renormalising the others), as TensorFlow's ``ResizeBicubic`` does.
``align_corners=False`` (PyTorch ``interpolate(..., align_corners=False)``)
    the same source positions; cubic uses ``a = -0.75`` and replicates the
    border samples. Linear results equal the TensorFlow convention's.
``align_corners=True`` (PyTorch ``interpolate(..., align_corners=True)``)
    the corner samples are aligned: ``src = dst * (n - 1) / (n * factor - 1)``;
    cubic as for ``False``.

Linear positions below zero are clamped to zero in every convention
(PyTorch's ``area_pixel_compute_source_index``, TensorFlow's bounds).
Built from ``keras.ops`` only (floor, gather, multiply, add), so it runs on
every backend and converts to TFLite builtins.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

MODES = ("linear", "cubic")
#: Keys' cubic-convolution parameter: TensorFlow's ResizeBicubic uses -0.5, PyTorch's bicubic -0.75
CUBIC_A = {None: -0.5, False: -0.75, True: -0.75}


def cubic_weights(t: Any, a: float) -> list[Any]:
    """The four Keys-kernel weights of the taps at offsets -1, 0, 1, 2 for a fractional position ``t``."""

    def near(d: Any) -> Any:  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: Any) -> Any:  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _along(values: Any, axis: int, rank: int) -> Any:
    """``values`` (one per output position on ``axis``) shaped to broadcast against a ``(b, *spatial, c)`` tensor."""
    shape = [1] * (rank + 2)
    shape[axis] = -1
    return ops.reshape(values, shape)


@keras.saving.register_keras_serializable(package="upspec")
class Interpolate(keras.layers.Layer):
    """Resize each spatial axis by an integer factor with linear or cubic interpolation.

    ``factor``: one int per spatial axis; ``mode``: ``"linear"`` or ``"cubic"``;
    ``align_corners``: ``None`` (TensorFlow's convention), ``False`` or ``True``
    (PyTorch's ``interpolate`` definitions), see the module's documentation.
    """

    def __init__(self, factor: Any = (2, 2), mode: str = "linear", align_corners: bool | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        factor = tuple(factor) if isinstance(factor, (list, tuple)) else (factor,)
        if not factor or any(int(f) != f or int(f) < 1 for f in factor):
            raise ValueError(f"Invalid value for argument `factor`. Expected positive integers. Received factor={factor}")
        if mode not in MODES:
            raise ValueError(f"Invalid value for argument `mode`. Expected one of {MODES}. Received mode={mode!r}")
        if align_corners not in (None, True, False):
            raise ValueError(f"Invalid value for argument `align_corners`. Expected true, false or null. "
                             f"Received align_corners={align_corners!r}")
        self.factor = tuple(int(f) for f in factor)
        self.mode = mode
        self.align_corners = align_corners

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) - 2 != len(self.factor):
            raise ValueError(f"Interpolate got factor={self.factor} ({len(self.factor)} axes) for an input of "
                             f"{len(input_shape) - 2} spatial axes (shape {tuple(input_shape)})")

    def call(self, x: Any) -> Any:
        for axis, f in enumerate(self.factor, start=1):
            if f > 1:
                x = self._resize_axis(x, axis, f)
        return x

    def _source_positions(self, n: Any, f: int) -> Any:
        """Where each output sample of an axis of ``n`` samples reads from, in input coordinates."""
        out = n * f
        dst = ops.cast(ops.arange(out), "float32")
        if self.align_corners:
            step = ops.cast(n - 1, "float32") / ops.cast(ops.maximum(out - 1, 1), "float32")
            return dst * step
        return (dst + 0.5) / f - 0.5

    def _resize_axis(self, x: Any, axis: int, f: int) -> Any:
        rank = len(self.factor)
        n = x.shape[axis] if x.shape[axis] is not None else ops.shape(x)[axis]
        src = self._source_positions(n, f)
        last = n - 1
        if self.mode == "linear":
            src = ops.maximum(src, 0.0)
            low = ops.floor(src)
            weight = ops.cast(_along(src - low, axis, rank), x.dtype)
            i0 = ops.cast(low, "int32")
            i1 = ops.minimum(i0 + 1, last)
            return ops.take(x, i0, axis=axis) * (1 - weight) + ops.take(x, i1, axis=axis) * weight
        low = ops.floor(src)
        weights = cubic_weights(src - low, CUBIC_A[self.align_corners])
        base = ops.cast(low, "int32")
        taps = [base + k for k in (-1, 0, 1, 2)]
        if self.align_corners is None:  # TensorFlow: out-of-range taps get no weight, the rest renormalised
            weights = [ops.where((i >= 0) & (i <= last), w, 0.0) for i, w in zip(taps, weights)]
            total = weights[0] + weights[1] + weights[2] + weights[3]
            weights = [w / total for w in weights]
        y = None
        for i, w in zip(taps, weights):
            term = ops.take(x, ops.clip(i, 0, last), axis=axis) * ops.cast(_along(w, axis, rank), x.dtype)
            y = term if y is None else y + term
        return y

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        spatial = [None if s is None else s * f for s, f in zip(input_shape[1:-1], self.factor)]
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), "mode": self.mode,
                "align_corners": self.align_corners}
