"""CARAFE: content-aware reassembly of features (Wang et al., ICCV 2019), as a Keras layer."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="upspec_carafe")
class CarafeReassembly(keras.layers.Layer):
    """Upsample by ``factor`` by reassembling each source neighbourhood with a predicted kernel.

    For every output position a ``kernel_size`` x ``kernel_size`` kernel is
    predicted from the content (a 1x1 channel compressor, then an
    ``encoder_size`` convolution with ``factor_h * factor_w * kernel_size**2``
    outputs, rearranged to the output grid), softmax-normalised, and applied to
    the neighbourhood of the source position ``(i // factor_h, j // factor_w)``.
    The output has the input's channels.
    """

    def __init__(self, factor=(2, 2), kernel_size=5, encoder_size=3, compressed_channels=32, **kwargs):
        super().__init__(**kwargs)
        self.factor = tuple(int(f) for f in (factor if isinstance(factor, (list, tuple)) else (factor, factor)))
        self.kernel_size = int(kernel_size)
        self.encoder_size = int(encoder_size)
        self.compressed_channels = int(compressed_channels)
        fh, fw = self.factor
        self.compressor = keras.layers.Conv2D(self.compressed_channels, 1, name="compressor")
        self.encoder = keras.layers.Conv2D(fh * fw * self.kernel_size**2, self.encoder_size, padding="same",
                                           name="encoder")

    def build(self, input_shape):
        self.compressor.build(input_shape)
        self.encoder.build((*input_shape[:-1], self.compressed_channels))

    def reassembly_kernels(self, x):
        """The normalised kernels, ``(batch, H * fh, W * fw, kernel_size**2)``."""
        fh, fw = self.factor
        k2 = self.kernel_size**2
        logits = self.encoder(self.compressor(x))
        h, w = ops.shape(x)[1], ops.shape(x)[2]
        logits = ops.reshape(logits, (-1, h, w, fh, fw, k2))
        logits = ops.transpose(logits, (0, 1, 3, 2, 4, 5))
        logits = ops.reshape(logits, (-1, h * fh, w * fw, k2))
        return ops.softmax(logits, axis=-1)

    def call(self, x):
        fh, fw = self.factor
        k, r = self.kernel_size, self.kernel_size // 2
        h, w = ops.shape(x)[1], ops.shape(x)[2]
        padded = ops.pad(x, ((0, 0), (r, r), (r, r), (0, 0)))
        # the k*k neighbourhood of every source position: (batch, H, W, k*k, C)
        neighbourhoods = ops.stack([padded[:, i:i + h, j:j + w, :] for i in range(k) for j in range(k)], axis=3)
        # each output position reads its source position's neighbourhood
        neighbourhoods = ops.repeat(ops.repeat(neighbourhoods, fh, axis=1), fw, axis=2)
        kernels = self.reassembly_kernels(x)
        return ops.sum(neighbourhoods * kernels[..., None], axis=3)

    def count_macs(self, input_shape, output_shape):
        """Multiply-accumulates per example (upspec's analytic count): the compressor and encoder
        convolutions, then ``kernel_size**2`` per output value for the reassembly."""
        fh, fw = self.factor
        positions, channels = input_shape[1] * input_shape[2], input_shape[-1]
        compressor = positions * channels * self.compressed_channels
        encoder = positions * self.encoder_size**2 * self.compressed_channels * fh * fw * self.kernel_size**2
        return compressor + encoder + output_shape[1] * output_shape[2] * channels * self.kernel_size**2

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        fh, fw = self.factor
        return (b, None if h is None else h * fh, None if w is None else w * fw, c)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "kernel_size": self.kernel_size,
                "encoder_size": self.encoder_size, "compressed_channels": self.compressed_channels}
