"""The ``carafe`` upsampling strategy: content-aware reassembly, then a convolution to ``filters``."""

from __future__ import annotations

from typing import Annotated
from typing import Any

from annotated_types import Gt

from upspec import Strategy

PositiveInt = Annotated[int, Gt(0)]  # pydantic's PositiveInt; importing pydantic here would slow every TAB


class Carafe(Strategy):
    """CARAFE (Wang et al., ICCV 2019): reassemble each source neighbourhood with a kernel predicted from
    the content, then convolve to ``filters``."""

    name = "carafe"
    keras_objects = ("upspec_carafe.layers",)
    ranks = (2,)
    per_axis_factors = True

    def build(self, x: Any, *, factor: tuple[int, ...], filters: int, kernel_size: int | list[int] = 3,
              activation: str | None = None, use_bias: bool = True, kernel_initializer: str | dict = "glorot_uniform",
              up_kernel: PositiveInt = 5, encoder_kernel: PositiveInt = 3,
              compressed_channels: PositiveInt = 32, name: str) -> Any:
        import keras

        from upspec_carafe.layers import CarafeReassembly

        y = CarafeReassembly(factor, kernel_size=up_kernel, encoder_size=encoder_kernel,
                             compressed_channels=compressed_channels, name=f"{name}_reassemble")(x)
        return keras.layers.Conv2D(filters, kernel_size, padding="same", activation=activation, use_bias=use_bias,
                                   kernel_initializer=kernel_initializer, name=name)(y)
