"""``JointBilateralUpsample``: FeatUp's learned joint bilateral upsampler (Fu et al., ICLR 2024).

Pure ``keras.ops``, channels-last, rank 2; takes ``[x, guide]``; registered as ``upspec>JointBilateralUpsample``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from typing import Optional
from typing import Union

import keras
import numpy as np
from keras import ops

from .guided_checks import as_factors
from .guided_checks import check_guide
from .guided_checks import check_power_of_two
from .guided_checks import check_rank
from .guided_checks import check_uniform
from .guided_ops import NamedWeightsMixin
from .guided_ops import bicubic_up2
from .guided_ops import windows_2d

Factor = Union[int, Sequence[int]]


@keras.saving.register_keras_serializable(package="upspec")
class JointBilateralUpsample(NamedWeightsMixin, keras.layers.Layer):
    """FeatUp's JBU stack (Fu et al., ICLR 2024; ``featup/upsamplers.py`` ``JBUStack``), ``[x, guide]``.

    ``log2(factor)`` x2 steps (``JBULearnedRange``): a range kernel learned on the guide
    (average-pooled to each step's output size) times a spatial Gaussian with a learned width,
    normalised, plus a learned 0.1-scaled fix-up, applied to the bicubic x2 input over a
    ``2 * radius + 1`` window (reflection padding). ``final_fixup``: JBUStack's closing
    ``0.1 * conv1x1(y) + y``. Rank 2; factor 2, 4, 8, ... equal on both axes; the guide has the
    output's size and any channel count. ``dropout``: FeatUp's Dropout2d rate (training only).
    """

    def __init__(self, factor: Factor = 2, key_dim: int = 32, radius: int = 3, dropout: float = 0.1,
                 final_fixup: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor if isinstance(factor, int) else [int(f) for f in factor]
        self.key_dim = int(key_dim)
        self.radius = int(radius)
        self.dropout = float(dropout)
        self.final_fixup = bool(final_fixup)
        factors = as_factors(self.factor, 2)
        check_uniform("jbu", factors)
        check_power_of_two("jbu", factors)
        if self.radius < 1:
            raise ValueError(f"radius={radius} must be >= 1")
        self.steps = int(math.log2(factors[0]))
        self._named = {}
        self._drop = keras.layers.SpatialDropout2D(self.dropout) if self.dropout > 0 else None

    def build(self, input_shape: Sequence[Sequence[Optional[int]]]) -> None:
        x_shape, g_shape = (tuple(s) for s in input_shape)
        check_rank("jbu", len(x_shape) - 2, (2,))
        factors = as_factors(self.factor, 2)
        check_guide("jbu", x_shape, g_shape, factors)
        for n in x_shape[1:3]:  # reflection padding: every step's size must exceed the radius
            if n is not None and 2 * n <= self.radius:
                raise ValueError(f"jbu: an input side of {n} gives a first step of {2 * n} pixels, "
                                 f"not more than radius={self.radius} (reflection padding); lower radius")
        c, g, k, d2 = int(x_shape[-1] or 0), int(g_shape[-1] or 0), self.key_dim, (2 * self.radius + 1) ** 2
        for s in range(self.steps):
            w = lambda name, shape, init="glorot_uniform": self._weight(f"step{s}/{name}", shape, init)  # noqa: E731
            w("r_w1", (g, k)), w("r_b1", (k,), "zeros"), w("r_w2", (k, k)), w("r_b2", (k,), "zeros")
            w("f_w1", (d2 + g, d2)), w("f_b1", (d2,), "zeros"), w("f_w2", (d2, d2)), w("f_b2", (d2,), "zeros")
            w("range_temp", (), "zeros"), w("sigma_spatial", (), "ones")
        if self.final_fixup:
            self._weight("final/w", (c, c), "glorot_uniform")
            self._weight("final/b", (c,), "zeros")

    def _dropped(self, x: Any, training: Optional[bool]) -> Any:
        return x if self._drop is None else self._drop(x, training=training)

    def _step(self, x: Any, guide: Any, s: int, training: Optional[bool]) -> Any:
        p = {k.split("/", 1)[1]: ops.cast(v, x.dtype) for k, v in self._named.items() if k.startswith(f"step{s}/")}
        d = 2 * self.radius + 1
        proj = ops.gelu(ops.matmul(guide, p["r_w1"]) + p["r_b1"], approximate=False)
        proj = ops.matmul(self._dropped(proj, training), p["r_w2"]) + p["r_b2"]
        win = windows_2d(proj, d, mode="reflect")  # (B, H, W, d*d, K)
        temp = ops.clip(ops.exp(p["range_temp"]), 1e-4, 1e4)
        range_kernel = ops.softmax(temp * ops.einsum("bhwpk,bhwk->bhwp", win, proj), axis=-1)
        dist = np.linspace(-1, 1, d)
        sq = (dist[:, None] ** 2 + dist[None, :] ** 2).reshape(d * d).astype("float32")
        spatial = ops.exp(-ops.convert_to_tensor(sq, x.dtype) / (2 * ops.square(p["sigma_spatial"])))
        kernel = range_kernel * spatial
        kernel = kernel / ops.maximum(ops.sum(kernel, axis=-1, keepdims=True), 1e-7)
        fix = ops.gelu(ops.matmul(ops.concatenate([kernel, guide], -1), p["f_w1"]) + p["f_b1"], approximate=False)
        kernel = kernel + 0.1 * (ops.matmul(self._dropped(fix, training), p["f_w2"]) + p["f_b2"])
        hr = windows_2d(bicubic_up2(x), d, mode="reflect")  # (B, H, W, d*d, C)
        return ops.einsum("bhwp,bhwpc->bhwc", kernel, hr)

    def call(self, inputs: Sequence[Any], training: Optional[bool] = None) -> Any:
        x, guide = inputs
        f = as_factors(self.factor, 2)[0]
        for s in range(self.steps):
            r = f // 2 ** (s + 1)
            g = ops.average_pool(guide, r, r, padding="valid") if r > 1 else guide
            x = self._step(x, ops.cast(g, x.dtype), s, training)
        if self.final_fixup:
            w, b = ops.cast(self._named["final/w"], x.dtype), ops.cast(self._named["final/b"], x.dtype)
            x = 0.1 * (ops.matmul(self._dropped(x, training), w) + b) + x
        return x

    def compute_output_shape(self, input_shape: Sequence[Sequence[Optional[int]]]) -> tuple[Optional[int], ...]:
        x_shape = tuple(input_shape[0])
        f = as_factors(self.factor, 2)
        return (x_shape[0], *(None if n is None else n * k for n, k in zip(x_shape[1:3], f)), x_shape[-1])

    def count_macs(self, input_shape: Sequence[Sequence[int]], output_shape: Sequence[int]) -> int:
        """Per x2 step: the guide's two-layer projection, the range similarities, the two-layer fix-up and the
        window sum; then the final fix-up (the bicubic x2 and the spatial Gaussian cost no MACs)."""
        x_shape, g_shape = input_shape
        c, g, k, d2 = int(x_shape[-1]), int(g_shape[-1]), self.key_dim, (2 * self.radius + 1) ** 2
        total, positions = 0, math.prod(int(n) for n in x_shape[1:3])
        for _ in range(self.steps):
            positions *= 4
            total += positions * (g * k + k * k + d2 * k + (d2 + g) * d2 + d2 * d2 + d2 * c)
        return total + (positions * c * c if self.final_fixup else 0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "key_dim": self.key_dim, "radius": self.radius,
                "dropout": self.dropout, "final_fixup": self.final_fixup}


__all__ = ["JointBilateralUpsample"]
