"""Upsampling strategies from the literature, beyond the classic three.

- ``bilinear_additive``: Wojna et al., "The Devil is in the Decoder" (BMVC 2017 / IJCV 2019): bilinear
  resize, sum each group of ``channel_group`` consecutive channels, then a convolution to ``filters``.
- ``transpose_zoh``: Sugawara, Shiota, Kiya, "Super-resolution using convolutional neural networks
  without any checkerboard artifacts" (ICIP 2018; 2019): a transpose convolution followed by a fixed
  zero-order-hold filter (a box of ``factor`` samples per axis), which averages the ``factor`` phases
  of every period and so removes the periodic pattern; the activation comes after the hold.
- ``lanczos``: resize-convolution with Lanczos-3 interpolation (2-D).
"""

from __future__ import annotations

from typing import Any
from typing import Literal
from typing import Optional


from upspec import Strategy
from upspec import convolution_class
from upspec import hookimpl
from upspec.plugins.resize import convolve
from upspec.plugins.resize import resize
from upspec.plugins.resize import resize_only
from upspec import PositiveInt


class BilinearAdditive(Strategy):
    """Bilinear resize, channel groups summed, then a convolution (Wojna et al.)."""

    name = "bilinear_additive"
    keras_objects = ("upspec.plugins.literature_layers", "upspec.layers.interpolation")
    ranks = (1, 2)

    def build(self, x: Any, *, factor: tuple[int, ...], filters: int, kernel_size: Any = 3,
              activation: Optional[str] = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
              channel_group: PositiveInt = 4, name: str) -> Any:
        from upspec.plugins.literature_layers import ChannelGroupSum

        y = resize(x, factor, "bilinear", name)
        y = ChannelGroupSum(channel_group, name=f"{name}_group_sum")(y)
        return convolve(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, name=name)


class TransposeZeroOrderHold(Strategy):
    """Transpose convolution, then a fixed zero-order hold (Sugawara et al.): checkerboard-free."""

    name = "transpose_zoh"
    keras_objects = ("upspec.layers.transpose",)

    def build(self, x: Any, *, factor: tuple[int, ...], filters: int, kernel_size: Any = 3,
              activation: Optional[str] = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
              name: str) -> Any:
        import keras

        rank = len(factor)
        hold = {1: keras.layers.AveragePooling1D, 2: keras.layers.AveragePooling2D, 3: keras.layers.AveragePooling3D}
        y = convolution_class(rank, transpose=True)(filters, kernel_size, strides=tuple(factor), padding="same",
                                                    use_bias=use_bias, kernel_initializer=kernel_initializer,
                                                    name=f"{name}_deconv")(x)
        y = hold[rank](pool_size=factor[0] if rank == 1 else tuple(factor), strides=1, padding="same",
                       name=f"{name}_hold")(y)
        return keras.layers.Activation(activation or "linear", name=name)(y)


class Lanczos(Strategy):
    """Lanczos resize (3 or 5 lobes), then a convolution."""

    name = "lanczos"
    keras_objects = ("upspec.plugins.literature_layers", "upspec.layers.interpolation")
    ranks = (2,)

    def build(self, x: Any, *, factor: tuple[int, ...], filters: Optional[int], kernel_size: Any = 3,
              activation: Optional[str] = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
              lobes: Literal[3, 5] = 3, name: str) -> Any:
        from upspec.plugins.literature_layers import ResizeByFactor

        if filters is None:
            y = ResizeByFactor(factor, f"lanczos{lobes}", name=name if activation is None else f"{name}_resize")(x)
            return y if activation is None else resize_only(y, activation, name)
        y = ResizeByFactor(factor, f"lanczos{lobes}", name=f"{name}_resize")(x)
        return convolve(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, name=name)


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [BilinearAdditive(), TransposeZeroOrderHold(), Lanczos()]


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {"ChannelGroupSum": "upspec.plugins.literature_layers:ChannelGroupSum",
            "ResizeByFactor": "upspec.plugins.literature_layers:ResizeByFactor"}
