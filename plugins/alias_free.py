"""``alias_free``: zero insertion and a Kaiser-windowed sinc low-pass (StyleGAN3, Karras et al., NeurIPS 2021).

The upsampler of StyleGAN3's alias-free generator (``upfirdn2d.upsample2d`` with ``design_lowpass_filter``):
the spectral images that zero insertion creates are removed by a fixed low-pass filter before anything is
learnt, so the output stays equivariant to sub-pixel translations (EQ-T, ``upspec checkerboard``). Then, as
for the resize strategies, a convolution to ``filters`` (``filters: null``: the filtered signal, channels
kept, no weights). Ranks 1, 2 and 3, per-axis factors; the filter is separable, or one 2-D jinc (``radial``).
"""

from __future__ import annotations

from typing import Any
from typing import Optional
from typing import Union

from upspec import PositiveInt
from upspec import Strategy
from upspec import hookimpl
from upspec.plugins.resize import convolve
from upspec.plugins.resize import resize_only


def finish(y: Any, *, filters: Optional[int], kernel_size: Any, activation: Optional[str], use_bias: bool,
           kernel_initializer: Any, name: str) -> Any:
    """The end of a resampling strategy: ``filters: null`` keeps ``y`` (with the activation, if any); otherwise
    a "same" convolution to ``filters`` named after the entry."""
    if filters is None:
        return y if activation is None else resize_only(y, activation, name)
    return convolve(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                    kernel_initializer=kernel_initializer, name=name)


def inner_name(filters: Optional[int], activation: Optional[str], name: str, role: str) -> str:
    """The resampling layer's name: the entry's own when nothing follows it, else ``f"{name}_{role}"``."""
    return name if filters is None and activation is None else f"{name}_{role}"


class AliasFreeStrategy(Strategy):
    """Zero insertion + Kaiser-windowed sinc low-pass (StyleGAN3), then a convolution to ``filters``.

    Frequencies are in cycles per input sample (the input's Nyquist frequency is 0.5). ``cutoff``: the
    pass band's edge (at most 0.5); ``half_width``: half the transition band (default StyleGAN3's
    ``0.5 * (2 ** 0.3 - 1)``); ``taps``: the filter length per axis (default ``6 * factor``, plus one for odd
    factors; its parity must be the factor's, so the output stays centred on the input grid); ``radial``: a
    2-D jinc filter instead of the separable one (rank 2, one factor).
    """

    name = "alias_free"
    ranks = (1, 2, 3)
    per_axis_factors = True
    keras_objects = ("upspec.layers.alias_free",)

    def check(self, input_shape: tuple[Optional[int], ...], *, guide_shape: Any = None, **params: Any) -> None:
        """Refuses, at ``validate``: ``cutoff`` above the input's Nyquist frequency (0.5), ``taps`` whose parity
        differs from the factor's, no stop band below the output's Nyquist, ``radial`` with unequal factors."""
        from upspec.layers.alias_free import DEFAULT_HALF_WIDTH
        from upspec.layers.guided_checks import alias_free_taps
        from upspec.layers.guided_checks import check_alias_free

        factor = params["factor"]
        half_width = params.get("half_width")
        check_alias_free(factor, alias_free_taps(factor, params.get("taps")), params.get("cutoff", 0.5),
                         DEFAULT_HALF_WIDTH if half_width is None else half_width, params.get("radial", False))

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
        taps: Optional[Union[PositiveInt, list[PositiveInt]]] = None,
        cutoff: float = 0.5,
        half_width: Optional[float] = None,
        radial: bool = False,
        name: str,
    ) -> Any:
        from upspec.layers.alias_free import DEFAULT_HALF_WIDTH
        from upspec.layers.alias_free import AliasFreeUpsample

        y = AliasFreeUpsample(list(factor), taps, cutoff, DEFAULT_HALF_WIDTH if half_width is None else half_width,
                              radial, name=inner_name(filters, activation, name, "filter"))(x)
        return finish(y, filters=filters, kernel_size=kernel_size, activation=activation, use_bias=use_bias,
                      kernel_initializer=kernel_initializer, name=name)


@hookimpl
def upspec_strategies() -> list[Strategy]:
    return [AliasFreeStrategy()]


@hookimpl
def upspec_layers() -> dict[str, str]:
    return {"AliasFreeUpsample": "upspec.layers.alias_free:AliasFreeUpsample"}
