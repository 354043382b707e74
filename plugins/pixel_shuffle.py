"""Sub-pixel convolution (pixel shuffle) with ICNR initialisation.

A convolution to ``filters * prod(factor)`` channels, then depth-to-space
(Shi et al., 2016). With ICNR (Aitken et al., 2017), the default, it starts
free of checkerboard artifacts at the cost of a resize-convolution.
``blur: true`` adds a fixed hold after the shuffle (pad ``factor - 1``
samples before each axis, average ``factor`` samples: MONAI's
``apply_pad_pool`` with ``blur_padding: zeros``, Sugawara et al.'s
zero-order hold), which keeps it free of the pattern after training too.
"""

from __future__ import annotations

import math
from typing import Any
from typing import Literal
from typing import Optional

from upspec import Strategy
from upspec import convolution_class
from upspec import hookimpl

LAYERS_MODULE = "upspec.layers.pixel_shuffle"


class PixelShuffleStrategy(Strategy):
    """Convolution to ``filters * prod(factor)`` channels, then ``PixelShuffle``."""

    name = "pixel_shuffle"
    keras_objects = ("upspec.layers.pixel_shuffle",)

    def build(
        self,
        x: Any,
        *,
        factor: tuple[int, ...],
        filters: int,
        kernel_size: Any = 3,
        activation: Optional[str] = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        icnr: bool = True,
        blur: bool = False,
        blur_padding: Literal["replicate", "zeros"] = "replicate",
        name: str,
    ) -> Any:
        from upspec.layers.pixel_shuffle import ICNR
        from upspec.layers.pixel_shuffle import PixelShuffle

        initializer = ICNR(kernel_initializer, factor) if icnr else kernel_initializer
        x = convolution_class(len(factor))(
            filters * math.prod(factor),
            kernel_size,
            padding="same",
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=initializer,
            name=f"{name}_conv",
        )(x)
        if not blur:
            return PixelShuffle(factor, name=name)(x)
        from upspec.layers.pixel_shuffle import HoldBlur

        x = PixelShuffle(factor, name=f"{name}_shuffle")(x)
        return HoldBlur(factor, blur_padding, name=name)(x)


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [PixelShuffleStrategy()]


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {"PixelShuffle": f"{LAYERS_MODULE}:PixelShuffle", "HoldBlur": f"{LAYERS_MODULE}:HoldBlur"}
