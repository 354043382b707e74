"""Resize-convolution: a fixed interpolation, then a convolution to ``filters``.

Odena et al. (2016) recommend it over transpose convolution because every
output position sees the same number of input values, so it cannot produce
checkerboard artifacts at initialisation.

With ``filters: null`` the convolution is left out: the entry is a fixed,
parameter-free resize that keeps the input's channels (a bicubic skip for
residual super-resolution, MONAI's ``nontrainable`` upsampling, a cheap
feature-pyramid top-down path). ``kernel_size``, ``use_bias`` and
``kernel_initializer`` then have nothing to act on; ``activation`` still
applies.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from upspec import Strategy
from upspec import convolution_class
from upspec import hookimpl


INTERPOLATE_MODES = {"bilinear": "linear", "bicubic": "cubic"}


def resize(x: Any, factor: tuple[int, ...], interpolation: str, name: str, *, output_name: str | None = None,
           align_corners: Optional[bool] = None) -> Any:
    """Resize the spatial axes of ``x`` by ``factor`` with Keras's UpSampling layers.

    1-D inputs with a non-nearest interpolation go through a 2-D resize of a
    ``(length, 1)`` image, since Keras's ``UpSampling1D`` only repeats.
    Linear and cubic resizes in 3-D, or with ``align_corners`` set (PyTorch's
    conventions), use upspec's ``Interpolate`` layer. The layer that produces
    the result is named ``output_name`` (default ``{name}_resize``).
    """
    import keras

    rank = len(factor)
    last = output_name or f"{name}_resize"
    if interpolation in INTERPOLATE_MODES and (align_corners is not None or rank == 3):
        from upspec.layers.interpolation import Interpolate

        return Interpolate(factor, INTERPOLATE_MODES[interpolation], align_corners, name=last)(x)
    if interpolation == "nearest":
        if rank == 1:
            return keras.layers.UpSampling1D(size=factor[0], name=last)(x)
        if rank == 3:
            return keras.layers.UpSampling3D(size=tuple(factor), name=last)(x)
    if rank == 2 or interpolation == "nearest":
        return keras.layers.UpSampling2D(size=tuple(factor), interpolation=interpolation, name=last)(x)
    channels = x.shape[-1]
    x = keras.layers.Reshape((-1, 1, channels), name=f"{name}_as_2d")(x)
    x = keras.layers.UpSampling2D(size=(factor[0], 1), interpolation=interpolation, name=f"{name}_resize")(x)
    return keras.layers.Reshape((-1, channels), name=output_name or f"{name}_as_1d")(x)


def resize_only(y: Any, activation: Optional[str], name: str) -> Any:
    """The end of a ``filters: null`` entry: the activation, if any, as the layer named after the entry."""
    import keras

    return keras.layers.Activation(activation, name=name)(y)


def convolve(x: Any, *, filters: int, kernel_size: Any, activation: Any, use_bias: bool,
             kernel_initializer: Any, name: str) -> Any:
    """The "same"-padded convolution of matching rank that resize strategies end with."""
    return convolution_class(len(x.shape) - 2)(
        filters,
        kernel_size,
        padding="same",
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        name=name,
    )(x)


class ResizeConvolution(Strategy):
    """Resize with ``interpolation``, then a convolution named after the entry (none with ``filters: null``)."""

    interpolation = "nearest"
    keras_objects = ("upspec.layers.interpolation",)

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
        name: str,
    ) -> Any:
        return self.resize_then_convolve(x, factor=factor, filters=filters, kernel_size=kernel_size,
                                         activation=activation, use_bias=use_bias,
                                         kernel_initializer=kernel_initializer, name=name)

    def resize_then_convolve(self, x: Any, *, factor: tuple[int, ...], filters: Optional[int], kernel_size: Any,
                             activation: Optional[str], use_bias: bool, kernel_initializer: Any, name: str,
                             align_corners: Optional[bool] = None) -> Any:
        if filters is None:
            if activation is None:
                return resize(x, factor, self.interpolation, name, output_name=name, align_corners=align_corners)
            return resize_only(resize(x, factor, self.interpolation, name, align_corners=align_corners),
                               activation, name)
        x = resize(x, factor, self.interpolation, name, align_corners=align_corners)
        return convolve(x, filters=filters, kernel_size=kernel_size, activation=activation,
                        use_bias=use_bias, kernel_initializer=kernel_initializer, name=name)


class Nearest(ResizeConvolution):
    """Nearest-neighbour resize (``UpSampling*D``), then a convolution."""

    name = "nearest"
    interpolation = "nearest"


class InterpolatingResizeConvolution(ResizeConvolution):
    """A linear or cubic resize with a choice of corner alignment, then a convolution.

    ``align_corners`` unset keeps TensorFlow's resize (Keras's ``UpSampling2D``);
    ``true`` or ``false`` gives PyTorch's ``interpolate`` with that flag, value
    for value (see ``upspec.layers.interpolation``).
    """

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
        align_corners: Optional[bool] = None,
        name: str,
    ) -> Any:
        return self.resize_then_convolve(x, factor=factor, filters=filters, kernel_size=kernel_size,
                                         activation=activation, use_bias=use_bias,
                                         kernel_initializer=kernel_initializer, name=name,
                                         align_corners=align_corners)


class Bilinear(InterpolatingResizeConvolution):
    """Linear resize (linear, bilinear, trilinear by rank), then a convolution."""

    name = "bilinear"
    interpolation = "bilinear"


class Bicubic(InterpolatingResizeConvolution):
    """Separable cubic resize, then a convolution."""

    name = "bicubic"
    interpolation = "bicubic"


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [Nearest(), Bilinear(), Bicubic()]


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {"Interpolate": "upspec.layers.interpolation:Interpolate"}
