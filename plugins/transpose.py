"""Transpose convolution ("deconvolution") with stride = factor, padding same."""

from __future__ import annotations

from typing import Any
from typing import Optional

from upspec import Strategy
from upspec import convolution_class
from upspec import hookimpl


class Transpose(Strategy):
    """``Conv{1,2,3}DTranspose(filters, kernel_size, strides=factor, padding="same")``.

    Learnable, but kernels overlap unevenly when ``kernel_size`` is not a
    multiple of the factor, which is the source of checkerboard artifacts.
    """

    name = "transpose"

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
        name: str,
    ) -> Any:
        conv = convolution_class(len(factor), transpose=True)(
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


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [Transpose()]
