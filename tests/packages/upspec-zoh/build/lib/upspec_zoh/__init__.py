"""Zero-order hold: transpose convolution followed by a fixed box filter."""

import upspec


class ZeroOrderHold(upspec.Strategy):
    """Transpose convolution followed by a fixed box filter."""

    name = "zoh"
    ranks = (2,)

    def build(self, x, *, factor, filters, kernel_size=3, activation=None,
              use_bias=True, kernel_initializer="glorot_uniform", box: int = 2, name):
        import keras

        y = keras.layers.Conv2DTranspose(filters, kernel_size, strides=factor, padding="same",
                                         activation=activation, use_bias=use_bias,
                                         kernel_initializer=kernel_initializer, name=f"{name}_deconv")(x)
        return keras.layers.AveragePooling2D(box, strides=1, padding="same", name=name)(y)


@upspec.hookimpl
def upspec_strategies():
    return [ZeroOrderHold()]
