"""Static checks for the guided and alias-free strategies (pure Python, no Keras).

Each function raises :class:`upspec.ParameterError` (a ``ValueError``) with a
message that names the parameter, the value and the fix, and the spec key to
point at. They are shared by the layers (at construction / build)
and by the strategies' static ``check`` (``upspec validate``, before Keras), so a bad spec fails
with the same words in both places.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional
from typing import Union

from ..errors import ParameterError

IntOrSeq = Union[int, Sequence[int]]


def as_factors(factor: IntOrSeq, rank: int, *, name: str = "factor") -> tuple[int, ...]:
    """``factor`` as one positive int per spatial axis (an int is broadcast)."""
    if isinstance(factor, int):
        values = (factor,) * rank
    else:
        values = tuple(int(f) for f in factor)
    if len(values) != rank:
        raise ParameterError(f"{name}={list(values)} has {len(values)} entries; the input has {rank} spatial axes", name)
    if any(f < 1 for f in values):
        raise ParameterError(f"{name}={list(values)}: every factor must be a positive integer", name)
    return values


def check_rank(method: str, rank: int, supported: Sequence[int]) -> None:
    """Refuse a spatial rank the method does not define."""
    if rank not in supported:
        raise ParameterError(f"{method} supports spatial rank(s) {list(supported)}, not {rank} "
                             f"(input of shape (batch, {', '.join(['n'] * rank)}, channels))", "upsample")


def check_uniform(method: str, factors: Sequence[int]) -> None:
    """Refuse per-axis factors where the method needs one factor for all axes."""
    if len(set(factors)) != 1:
        raise ParameterError(f"{method} needs the same factor on every axis, got factor={list(factors)}", "factor")


def check_power_of_two(method: str, factors: Sequence[int]) -> None:
    """JBU stacks x2 steps: each factor must be 2, 4, 8, ..."""
    for f in factors:
        if f < 2 or f & (f - 1):
            raise ParameterError(f"{method} stacks x2 steps, so factor must be 2, 4, 8, ...; got {f}", "factor")


def check_odd_kernel(name: str, size: int) -> None:
    """Window sizes of CARAFE-style reassembly are odd (a centre pixel)."""
    if size < 1 or size % 2 == 0:
        raise ParameterError(f"{name}={size} must be an odd positive integer (the window is centred on a pixel)", name)


def alias_free_taps(factors: Sequence[int], taps: Optional[IntOrSeq]) -> tuple[int, ...]:
    """Taps per axis: default ``6 * factor`` (StyleGAN3's ``filter_size=6`` times the up factor), plus one
    for odd factors (which need odd taps); 1 where factor is 1 (no filter)."""
    if taps is None:
        return tuple(6 * f + f % 2 if f > 1 else 1 for f in factors)
    values = as_factors(taps, len(factors), name="taps")
    return tuple(t if f > 1 else 1 for t, f in zip(values, factors))


def check_alias_free(factors: Sequence[int], taps: Sequence[int], cutoff: float, half_width: float,
                     radial: bool) -> None:
    """Filter design checks for ``alias_free``.

    Frequencies are in cycles per *input* sample: the input's Nyquist frequency is 0.5 and the
    zero-inserted signal is sampled at ``factor``.

    - ``cutoff`` must lie in (0, 0.5]: above the input's Nyquist frequency the filter passes
      the spectral images that zero insertion creates, which is the aliasing it exists to remove.
    - ``half_width`` must be positive and ``cutoff + half_width`` below the output Nyquist
      (``factor / 2``), else the Kaiser design has no stop band.
    - ``taps`` must have the parity of ``factor`` on each upsampled axis: with StyleGAN3's padding
      (``upfirdn2d.upsample2d``) that is the only way the output grid stays centred on the input's
      (pixel-centre convention); even taps with an odd factor (or odd with even) shift the output
      by half an output pixel.
    - ``radial`` (jinc) is a 2-D filter: rank 2, the same factor and taps on both axes.
    """
    if not (isinstance(cutoff, (int, float)) and math.isfinite(cutoff)) or cutoff <= 0:
        raise ParameterError(f"cutoff={cutoff!r} must be a positive number (cycles per input sample)", "cutoff")
    if cutoff > 0.5:
        raise ParameterError(f"cutoff={cutoff} is above the input's Nyquist frequency 0.5 (cycles per input sample): "
                             f"the filter would keep the spectral images of zero insertion (aliasing); use cutoff <= 0.5", "cutoff")
    if not (isinstance(half_width, (int, float)) and math.isfinite(half_width)) or half_width <= 0:
        raise ParameterError(f"half_width={half_width!r} must be a positive number (cycles per input sample)", "half_width")
    for axis, (f, t) in enumerate(zip(factors, taps)):
        if f == 1:
            continue
        if cutoff + half_width >= f / 2:
            raise ParameterError(f"cutoff + half_width = {cutoff + half_width:g} reaches the output Nyquist frequency "
                                 f"{f / 2:g} on axis {axis} (factor {f}); lower half_width", "half_width")
        if t < 2:
            raise ParameterError(f"taps={t} on axis {axis}: a low-pass filter for factor {f} needs at least 2 taps", "taps")
        if t % 2 != f % 2:
            need = "odd" if f % 2 else "even"
            raise ParameterError(f"taps={t} on axis {axis} is {'even' if t % 2 == 0 else 'odd'} but factor {f} needs "
                                 f"{need} taps to keep the output centred on the input grid; use taps={t + 1} or {t - 1}", "taps")
    if radial:
        check_rank("alias_free with radial=true", len(factors), (2,))
        if len(set(factors)) != 1 or len(set(taps)) != 1:
            raise ParameterError(f"radial=true designs one square 2-D jinc filter: factor {list(factors)} and "
                                 f"taps {list(taps)} must be the same on both axes", "radial")


def check_guide(method: str, x_shape: Sequence[Optional[int]], guide_shape: Sequence[Optional[int]],
                factors: Sequence[int], *, same_channels: bool = False, min_size: int = 1) -> None:
    """The guide must have the output's spatial size (x's times factor), and what the method's kernels need.

    ``same_channels``: FADE blends ``gate * guide + (1 - gate) * reassembled(x)``, so the guide must
    have x's channels (align it with a 1x1 convolution first otherwise). ``min_size``: JBU pads the
    guide by reflection with its radius, which needs every guide side above the radius at each step.
    """
    x_shape, guide_shape = tuple(x_shape), tuple(guide_shape)
    if len(guide_shape) != len(x_shape):
        raise ParameterError(f"{method}: guide of shape {guide_shape} has rank {len(guide_shape)}, "
                             f"the input {x_shape} has rank {len(x_shape)}", "guide")
    for axis, (n, g, f) in enumerate(zip(x_shape[1:-1], guide_shape[1:-1], factors)):
        if n is not None and g is not None and g != n * f:
            raise ParameterError(f"{method}: the guide's spatial axis {axis} has size {g}, but the output's is "
                                 f"{n} * {f} = {n * f}; guide a layer whose output has the upsampled size", "guide")
        if g is not None and g < min_size:
            raise ParameterError(f"{method}: the guide's spatial axis {axis} has size {g}; the kernel needs at least {min_size}", "guide")
    if same_channels and x_shape[-1] is not None and guide_shape[-1] is not None and x_shape[-1] != guide_shape[-1]:
        raise ParameterError(f"{method}: the guide has {guide_shape[-1]} channels and the input {x_shape[-1]}; the gate "
                             f"mixes them, so they must match (align the guide with a 1x1 convolution, align=true)", "guide")
