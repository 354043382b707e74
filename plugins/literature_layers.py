"""Serialisable layers behind the strategies from the literature."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="upspec")
class ChannelGroupSum(keras.layers.Layer):
    """Sum each group of ``group`` consecutive channels (channels zero-padded to a multiple of ``group``).

    The channel reduction of Wojna et al.'s bilinear additive upsampling: ``C`` channels become
    ``ceil(C / group)``.
    """

    def __init__(self, group: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.group = int(group)

    def call(self, x):
        channels = x.shape[-1]
        pad = (-channels) % self.group
        if pad:
            x = ops.pad(x, [(0, 0)] * (len(x.shape) - 1) + [(0, pad)])
        groups = (channels + pad) // self.group
        x = ops.reshape(x, (*ops.shape(x)[:-1], groups, self.group))
        return ops.sum(x, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], -(-input_shape[-1] // self.group))

    def get_config(self):
        return {**super().get_config(), "group": self.group}


@keras.saving.register_keras_serializable(package="upspec")
class ResizeByFactor(keras.layers.Layer):
    """Resize the two spatial axes by an integer factor with any of ``keras.ops.image.resize``'s methods
    (Keras's ``UpSampling2D`` offers only nearest, bilinear and bicubic)."""

    def __init__(self, factor=(2, 2), interpolation: str = "lanczos3", **kwargs):
        super().__init__(**kwargs)
        self.factor = tuple(int(f) for f in factor)
        self.interpolation = interpolation

    def call(self, x):
        h, w = x.shape[1], x.shape[2]
        if h is None or w is None:
            h, w = ops.shape(x)[1], ops.shape(x)[2]
        return ops.image.resize(x, (h * self.factor[0], w * self.factor[1]), interpolation=self.interpolation)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else h * self.factor[0], None if w is None else w * self.factor[1], c)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "interpolation": self.interpolation}
