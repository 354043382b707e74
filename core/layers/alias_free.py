"""``AliasFreeUpsample``: zero insertion and a Kaiser-windowed sinc low-pass (StyleGAN3, Karras et al. 2021).

Pure ``keras.ops``, channels-last, ranks 1 to 3 (separable) or 2 (radial); registered as
``upspec>AliasFreeUpsample``. The filter is designed in NumPy (``guided_ops.design_lowpass_filter``, equal to
StyleGAN3's SciPy design) and stored as non-trainable weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from typing import Optional
from typing import Union

import keras
from keras import ops

from .guided_checks import alias_free_taps
from .guided_checks import as_factors
from .guided_checks import check_alias_free
from .guided_checks import check_rank
from .guided_ops import NamedWeightsMixin
from .guided_ops import design_lowpass_filter
from .guided_ops import fir_upsample

#: StyleGAN3's critically sampled layers: stop band at ``2 ** 0.3`` times the cutoff; with the
#: cutoff at the input's Nyquist frequency (0.5) the half width is ``0.5 * (2 ** 0.3 - 1)``.
DEFAULT_HALF_WIDTH = 0.5 * (2 ** 0.3 - 1)

Factor = Union[int, Sequence[int]]


@keras.saving.register_keras_serializable(package="upspec")
class AliasFreeUpsample(NamedWeightsMixin, keras.layers.Layer):
    """Zero insertion then a Kaiser-windowed sinc low-pass (StyleGAN3's ``upfirdn2d.upsample2d``
    with ``design_lowpass_filter``); the channels are kept and nothing is trained.

    Frequencies are in cycles per input sample (input Nyquist 0.5); the filter for an axis with
    factor ``f`` is ``design_lowpass_filter(taps, cutoff, 2 * half_width, fs=f)`` times ``f``
    (StyleGAN3's gain). ``taps``: an int, one per axis, or ``None`` for ``6 * factor`` (+1 if odd).
    ``radial``: one 2-D jinc filter (rank 2, equal factors) instead of the separable one.
    Ranks 1, 2, 3 (separable) and per-axis factors; a factor of 1 leaves its axis untouched.
    """

    def __init__(self, factor: Factor = 2, taps: Optional[Factor] = None, cutoff: float = 0.5,
                 half_width: float = DEFAULT_HALF_WIDTH, radial: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor if isinstance(factor, int) else [int(f) for f in factor]
        self.taps = taps if taps is None or isinstance(taps, int) else [int(t) for t in taps]
        self.cutoff = float(cutoff)
        self.half_width = float(half_width)
        self.radial = bool(radial)
        self._named = {}
        rank = len(self.factor) if isinstance(self.factor, list) else (2 if radial else 1)
        factors = as_factors(self.factor, rank)
        check_alias_free(factors, alias_free_taps(factors, self.taps), self.cutoff, self.half_width, self.radial)

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        rank = len(input_shape) - 2
        check_rank("alias_free", rank, (1, 2, 3))
        self.factors = as_factors(self.factor, rank)
        self.taps_per_axis = alias_free_taps(self.factors, self.taps)
        check_alias_free(self.factors, self.taps_per_axis, self.cutoff, self.half_width, self.radial)
        width = 2 * self.half_width
        if self.radial:
            f, t = self.factors[0], self.taps_per_axis[0]
            h = design_lowpass_filter(t, self.cutoff, width, fs=f, radial=True) * f * f
            self._weight("radial", h.shape, "zeros", trainable=False).assign(h.astype("float32"))
        else:
            for axis, (f, t) in enumerate(zip(self.factors, self.taps_per_axis)):
                if f > 1:
                    h = design_lowpass_filter(t, self.cutoff, width, fs=f) * f
                    self._weight(f"filter_{axis}", h.shape, "zeros", trainable=False).assign(h.astype("float32"))

    def call(self, x: Any) -> Any:
        if self.radial:
            return fir_upsample(x, self.factors, [], radial=ops.cast(self._named["radial"], x.dtype))
        filters = [ops.cast(self._named[f"filter_{a}"], x.dtype) if f > 1 else None
                   for a, f in enumerate(self.factors)]
        return fir_upsample(x, self.factors, filters)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple[Optional[int], ...]:
        factors = as_factors(self.factor, len(input_shape) - 2)
        spatial = tuple(None if n is None else n * f for n, f in zip(input_shape[1:-1], factors))
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "taps": self.taps, "cutoff": self.cutoff,
                "half_width": self.half_width, "radial": self.radial}


__all__ = ["DEFAULT_HALF_WIDTH", "AliasFreeUpsample"]
