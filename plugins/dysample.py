"""``dysample``: DySample (Liu et al., ICCV 2023), dynamic upsampling by learnt point sampling.

Cheaper than CARAFE, FADE and SAPA in the paper and better on detection and
segmentation: a 1x1 convolution predicts where each output sample reads the
input, and the reading is linear interpolation (see
``upspec.layers.dysample``). Then, as for the resize strategies, a
convolution to ``filters`` (``filters: null``: the resampled input, channels
kept).
"""

from __future__ import annotations

from typing import Any
from typing import Literal
from typing import Optional


from upspec import Strategy
from upspec import hookimpl
from upspec import PositiveInt
from upspec.plugins.resize import convolve


class DySampleStrategy(Strategy):
    """DySample, then a convolution to ``filters``.

    ``style``: ``lp`` (offsets from the low-resolution input; the paper's
    DySample) or ``pl`` (pixel shuffle first; DySample-S, needs the channels to
    be a multiple of ``prod(factor)``); ``scope``: ``static`` (offsets times 0.25)
    or ``dynamic`` (times 0.5 * a learnt sigmoid; DySample+); ``groups``:
    channel groups with offsets of their own (default: 4 where the channels
    allow, else the largest divisor of the channels below 4).
    """

    name = "dysample"
    keras_objects = ("upspec.layers.dysample",)

    def build(
        self,
        x: Any,
        *,
        factor: tuple[int, ...],
        filters: Optional[int],
        kernel_size: Any = 3,
        activation: Optional[str] = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        style: Literal["lp", "pl"] = "lp",
        scope: Literal["static", "dynamic"] = "static",
        groups: Optional[PositiveInt] = None,
        name: str,
    ) -> Any:
        from upspec.layers.dysample import DySample

        if filters is None:
            y = DySample(factor, groups, style, scope, name=name if activation is None else f"{name}_sample")(x)
            if activation is None:
                return y
            from upspec.plugins.resize import resize_only

            return resize_only(y, activation, name)
        y = DySample(factor, groups, style, scope, name=f"{name}_sample")(x)
        return convolve(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, name=name)


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [DySampleStrategy()]


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {"DySample": "upspec.layers.dysample:DySample"}
