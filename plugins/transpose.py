"""Transpose convolution ("deconvolution") with stride = factor, padding same."""

from __future__ import annotations

from typing import Any
from typing import Literal
from typing import Optional
from typing import Union


from upspec import Strategy
from upspec import convolution_class
from upspec import hookimpl
from upspec import NonNegativeInt
from upspec import PositiveInt


def _per_axis(value: Any, rank: int) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if isinstance(value, (list, tuple)) else (int(value),) * rank


def check_output_padding(output_padding: Any, kernel: tuple[int, ...], factor: tuple[int, ...], alignment: str) -> None:
    """``output_padding`` is PyTorch's argument: it must be the one that gives ``n * factor`` samples."""
    from upspec.layers.transpose import pytorch_output_padding

    if output_padding is None:
        return
    if alignment != "pytorch":
        raise ValueError("output_padding is PyTorch's ConvTranspose argument; it needs alignment: pytorch")
    given = _per_axis(output_padding, len(factor))
    if len(given) != len(factor):
        raise ValueError(f"output_padding has {len(given)} values for {len(factor)} spatial axes")
    needed = tuple(pytorch_output_padding(k, s) for k, s in zip(kernel, factor))
    if given != needed:
        raise ValueError(
            f"output_padding={list(given)} with kernel_size={list(kernel)}, stride=factor={list(factor)} and "
            f"padding=(kernel_size - 1) // 2 does not give factor times the input size (the upsample contract); "
            f"output_padding={list(needed)} does")


class Transpose(Strategy):
    """``Conv{1,2,3}DTranspose(filters, kernel_size, strides=factor, padding="same")``.

    Learnable, but kernels overlap unevenly when ``kernel_size`` is not a
    multiple of the factor, which is the source of checkerboard artifacts.
    ``groups`` splits the channels into independent groups (``"depthwise"``:
    one per input channel); ``alignment: pytorch`` crops the output as
    PyTorch's ``ConvTranspose(padding=(k - 1) // 2, output_padding)`` does
    (MONAI's transposed ``Convolution``) instead of Keras's ``same``, which
    keeps the samples one later for odd kernels at stride 2.
    """

    name = "transpose"
    keras_objects = ("upspec.layers.transpose",)

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
        groups: Union[PositiveInt, Literal["depthwise"]] = 1,
        alignment: Literal["keras", "pytorch"] = "keras",
        output_padding: Optional[Union[NonNegativeInt, list[NonNegativeInt]]] = None,
        name: str,
    ) -> Any:
        rank = len(factor)
        kernel = _per_axis(kernel_size, rank)
        check_output_padding(output_padding, kernel, factor, alignment)
        groups = x.shape[-1] if groups == "depthwise" else groups
        if groups == 1 and alignment == "keras":
            conv = convolution_class(rank, transpose=True)(
                filters,
                kernel_size,
                strides=tuple(factor),
                padding="same",
                activation=activation,
                use_bias=use_bias,
                kernel_initializer=kernel_initializer,
                name=name,
            )
            return conv(x)
        from upspec.layers.transpose import ConvTranspose

        return ConvTranspose(filters, kernel, factor, rank=rank, groups=groups, alignment=alignment,
                             activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             name=name)(x)


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [Transpose()]


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {"ConvTranspose": "upspec.layers.transpose:ConvTranspose"}
