"""Guided upsampling: ``fade``, ``sapa`` and ``jbu``, each taking the ``guide:`` entry of the spec.

A guide is a tensor at the output's resolution (an encoder skip, the input image) whose content steers how
the low-resolution input is resampled:

- ``fade`` (FADE, Lu et al., ECCV 2022 / IJCV 2024): kernels from the decoder and the encoder (semi-shift
  convolution), CARAFE reassembly, and a gate that blends in the guide itself;
- ``sapa`` (SAPA, Lu et al., NeurIPS 2022): similarity-aware point affiliation, the guide's queries attend to
  the input's keys around each output pixel's parent;
- ``jbu`` (FeatUp's joint bilateral upsampler, Fu et al., ICLR 2024): x2 steps of a learnt range kernel on
  the guide times a spatial Gaussian, applied to the bicubic x2 input.

Each resamples the input (its channels kept), then, as the resize strategies, a convolution to ``filters``
(``filters: null``: the resampled input). Rank 2.
"""

from __future__ import annotations

from typing import Any
from typing import Literal
from typing import Optional

from upspec import ParameterError
from upspec import PositiveInt
from upspec import Strategy
from upspec import hookimpl
from upspec.plugins.alias_free import finish
from upspec.plugins.alias_free import inner_name

Shape = tuple[Optional[int], ...]


class FadeStrategy(Strategy):
    """FADE, then a convolution to ``filters``.

    ``up_kernel_size``: the odd reassembly window; ``embedding_dim``: the compressed channels the kernels are
    predicted from; ``lite``: FADE-Lite (compress to ``up_kernel_size ** 2`` channels, depthwise);
    ``align``: map the guide to the input's channels with a 1x1 convolution when they differ (the gate mixes
    the two), else refuse a guide of other channels.
    """

    name = "fade"
    ranks = (2,)
    per_axis_factors = True
    takes_guide = "required"
    keras_objects = ("upspec.layers.fade_sapa",)

    def check(self, input_shape: Shape, *, guide_shape: Optional[Shape], **params: Any) -> None:
        """An odd ``up_kernel_size``; with ``align: false``, a guide with the input's channels."""
        from upspec.layers.guided_checks import check_odd_kernel

        check_odd_kernel("up_kernel_size", params.get("up_kernel_size", 5))
        if (not params.get("align", True) and guide_shape is not None and None not in (guide_shape[-1], input_shape[-1])
                and guide_shape[-1] != input_shape[-1]):
            raise ParameterError(f"the guide has {guide_shape[-1]} channels and the input {input_shape[-1]}: FADE's "
                                 "gate mixes the two, so they must match", "align",
                                 "set align: true (a 1x1 convolution maps the guide to the input's channels)")

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
        up_kernel_size: PositiveInt = 5,
        embedding_dim: PositiveInt = 64,
        lite: bool = False,
        align: bool = True,
        guide: Any = None,
        name: str,
    ) -> Any:
        import keras

        from upspec.layers.fade_sapa import FadeUpsample

        if guide.shape[-1] != x.shape[-1] and align:
            guide = keras.layers.Conv2D(int(x.shape[-1]), 1, name=f"{name}_align")(guide)
        y = FadeUpsample(list(factor), up_kernel_size, embedding_dim, lite=lite,
                         name=inner_name(filters, activation, name, "fade"))([x, guide])
        return finish(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                      kernel_initializer=kernel_initializer, name=name)


class SapaStrategy(Strategy):
    """SAPA, then a convolution to ``filters``.

    ``variant``: ``B`` (queries from the guide; SAPA-B), ``G`` (a gate mixes guide and input queries; SAPA-G)
    or ``cat`` (queries from both, concatenated); ``up_kernel_size``: the odd window of keys each output pixel
    attends to; ``embedding_dim``: the query/key width. The guide may have any channels.
    """

    name = "sapa"
    ranks = (2,)
    per_axis_factors = True
    takes_guide = "required"
    keras_objects = ("upspec.layers.fade_sapa",)

    def check(self, input_shape: Shape, *, guide_shape: Optional[Shape], **params: Any) -> None:
        """An odd ``up_kernel_size``."""
        from upspec.layers.guided_checks import check_odd_kernel

        check_odd_kernel("up_kernel_size", params.get("up_kernel_size", 5))

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
        up_kernel_size: PositiveInt = 5,
        embedding_dim: PositiveInt = 64,
        variant: Literal["B", "G", "cat"] = "B",
        guide: Any = None,
        name: str,
    ) -> Any:
        from upspec.layers.fade_sapa import SapaUpsample

        y = SapaUpsample(list(factor), up_kernel_size, embedding_dim, variant,
                         name=inner_name(filters, activation, name, "sapa"))([x, guide])
        return finish(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                      kernel_initializer=kernel_initializer, name=name)


class JbuStrategy(Strategy):
    """FeatUp's joint bilateral upsampler (``log2(factor)`` stacked x2 steps), then a convolution to ``filters``.

    ``factor``: 2, 4, 8, ... on both axes; ``radius``: the window is ``2 * radius + 1`` wide (every side of the
    first x2 step must exceed it: reflection padding); ``key_dim``: the width of the guide's range features;
    ``dropout``: FeatUp's Dropout2d rate (training only); ``final_fixup``: FeatUp's closing ``0.1 * conv1x1(y)
    + y``. The guide may have any channels.
    """

    name = "jbu"
    ranks = (2,)
    per_axis_factors = False
    takes_guide = "required"
    keras_objects = ("upspec.layers.bilateral",)

    def check(self, input_shape: Shape, *, guide_shape: Optional[Shape], **params: Any) -> None:
        """Factors 2, 4, 8, ...; a radius every side of the first x2 step exceeds; a dropout rate in [0, 1)."""
        from upspec.layers.guided_checks import check_power_of_two

        check_power_of_two("jbu", params["factor"])
        radius = params.get("radius", 3)
        for size in input_shape[:-1]:
            if size is not None and 2 * size <= radius:
                raise ParameterError(f"radius={radius} does not fit an input side of {size}: the first x2 step is "
                                     f"{2 * size} pixels, and reflection padding needs more than the radius",
                                     "radius", f"use radius <= {2 * size - 1}")
        dropout = params.get("dropout", 0.1)
        if not 0 <= dropout < 1:
            raise ParameterError(f"dropout={dropout} is not a rate in [0, 1)", "dropout")

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
        key_dim: PositiveInt = 32,
        radius: PositiveInt = 3,
        dropout: float = 0.1,
        final_fixup: bool = True,
        guide: Any = None,
        name: str,
    ) -> Any:
        from upspec.layers.bilateral import JointBilateralUpsample

        y = JointBilateralUpsample(list(factor), key_dim, radius, dropout, final_fixup,
                                   name=inner_name(filters, activation, name, "jbu"))([x, guide])
        return finish(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                      kernel_initializer=kernel_initializer, name=name)


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [FadeStrategy(), SapaStrategy(), JbuStrategy()]


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {"FadeUpsample": "upspec.layers.fade_sapa:FadeUpsample",
            "SapaUpsample": "upspec.layers.fade_sapa:SapaUpsample",
            "JointBilateralUpsample": "upspec.layers.bilateral:JointBilateralUpsample"}
