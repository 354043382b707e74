"""Keras 3 layers that reassemble features with kernels predicted from a guide: FADE and SAPA.

Both take ``[x, guide]``: ``x`` the low-resolution features (decoder), ``guide`` the
high-resolution tensor (encoder skip) with the output's spatial size. Rank 2, channels-last,
per-axis factors ``(fy, fx)`` (the references hard-code 2; the definitions carry over: a sub-pixel
position reads the window around its low-resolution parent). Output channels are ``x``'s.
"""

from __future__ import annotations

import math

from collections.abc import Sequence
from typing import Any
from typing import Literal
from typing import Optional
from typing import Union

import keras
from keras import ops

from .guided_ops import NamedWeightsMixin
from .guided_ops import conv_same
from .guided_ops import layer_norm
from .guided_ops import nearest_up
from .guided_ops import reassemble
from .guided_ops import windows_2d
from .guided_checks import as_factors
from .guided_checks import check_guide
from .guided_checks import check_odd_kernel
from .guided_checks import check_rank

Factor = Union[int, Sequence[int]]


class _Base(keras.layers.Layer):
    """Shared shape logic: ``[x, guide]`` in, ``x``'s channels at the guide's size out."""

    def compute_output_shape(self, input_shape: Sequence[Sequence[Optional[int]]]) -> tuple[Optional[int], ...]:
        x_shape = tuple(input_shape[0])
        f = as_factors(self.factor, 2)
        return (x_shape[0], *(None if n is None else n * k for n, k in zip(x_shape[1:3], f)), x_shape[-1])


@keras.saving.register_keras_serializable(package="upspec")
class FadeUpsample(NamedWeightsMixin, _Base):
    """FADE (Lu et al., ECCV 2022 / IJCV 2024; poppinace/fade ``FADE_H2L.py``, ``FADE_L2H.py``).

    Kernels from both decoder (``x``) and encoder (``guide``) by the semi-shift convolution:
    one ``encoder_kernel_size`` convolution over the compressed encoder map at full resolution
    plus the same convolution over the compressed decoder map, nearest-upsampled; softmax over
    ``kernel_size ** 2`` taps; CARAFE reassembly of ``x``; a gate (sigmoid of a 1x1 convolution
    of ``x``, nearest-upsampled) blends ``guide`` and the reassembled ``x``, so both need the
    same channels. ``lite``: FADE-Lite (compress to ``kernel_size ** 2`` channels, depthwise).
    """

    def __init__(self, factor: Factor = 2, kernel_size: int = 5, embedding_dim: int = 64,
                 encoder_kernel_size: int = 3, lite: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor if isinstance(factor, int) else [int(f) for f in factor]
        as_factors(self.factor, 2)
        check_odd_kernel("kernel_size", kernel_size)
        check_odd_kernel("encoder_kernel_size", encoder_kernel_size)
        self.kernel_size, self.embedding_dim = int(kernel_size), int(embedding_dim)
        self.encoder_kernel_size, self.lite = int(encoder_kernel_size), bool(lite)
        self._named = {}

    def build(self, input_shape: Sequence[Sequence[Optional[int]]]) -> None:
        x_shape, g_shape = (tuple(s) for s in input_shape)
        check_rank("fade", len(x_shape) - 2, (2,))
        check_guide("fade", x_shape, g_shape, as_factors(self.factor, 2), same_channels=True)
        c, k2, ek = int(x_shape[-1] or 0), self.kernel_size ** 2, self.encoder_kernel_size
        e = k2 if self.lite else self.embedding_dim
        self._weight("gate_w", (c, 1), "glorot_uniform")
        self._weight("gate_b", (1,), "zeros")
        self._weight("en_w", (c, e), "glorot_uniform")
        self._weight("en_b", (e,), "zeros")
        self._weight("de_w", (c, e), "glorot_uniform")
        self._weight("enc_w", (ek, ek, k2) if self.lite else (ek, ek, e, k2), "glorot_normal")
        self._weight("enc_b", (k2,), "zeros")

    def call(self, inputs: Sequence[Any]) -> Any:
        x, guide = inputs
        p = {k: ops.cast(v, x.dtype) for k, v in self._named.items()}
        f = as_factors(self.factor, 2)
        gate = ops.sigmoid(nearest_up(ops.matmul(x, p["gate_w"]) + p["gate_b"], f))
        ce = ops.matmul(guide, p["en_w"]) + p["en_b"]
        cd = ops.matmul(x, p["de_w"])
        if self.lite:
            dw = ops.expand_dims(p["enc_w"], -1)
            enc = ops.depthwise_conv(ce, dw, padding="same") + p["enc_b"]
            dec = ops.depthwise_conv(cd, dw, padding="same") + p["enc_b"]
        else:
            enc, dec = conv_same(ce, p["enc_w"], p["enc_b"]), conv_same(cd, p["enc_w"], p["enc_b"])
        kernels = ops.softmax(enc + nearest_up(dec, f), axis=-1)
        return gate * guide + (1 - gate) * reassemble(x, kernels, self.kernel_size, f)

    def count_macs(self, input_shape: Sequence[Sequence[int]], output_shape: Sequence[int]) -> int:
        """The gate, both compressors, the two kernel encoders and the reassembly, for one example."""
        x_shape, _ = input_shape
        low, high, c = _positions(x_shape), _positions(output_shape), int(x_shape[-1])
        k2, taps = self.kernel_size ** 2, self.encoder_kernel_size ** 2
        e = k2 if self.lite else self.embedding_dim
        encoder = taps * k2 * (1 if self.lite else e)  # per position (FADE-Lite's encoder is depthwise)
        return low * c + high * c * e + low * c * e + (high + low) * encoder + high * k2 * c

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "embedding_dim": self.embedding_dim, "encoder_kernel_size": self.encoder_kernel_size,
                "lite": self.lite}

@keras.saving.register_keras_serializable(package="upspec")
class SapaUpsample(NamedWeightsMixin, _Base):
    """SAPA (Lu et al., NeurIPS 2022; poppinace/sapa ``SAPA.py`` and ``SAPAExp.py``).

    Queries from the LayerNorm-ed guide, keys from the LayerNorm-ed features; each output pixel
    attends (dot product, softmax) to the ``kernel_size ** 2`` keys around its low-resolution
    parent and reassembles the raw features with those weights. ``variant``: ``B`` (SAPA-B,
    'encoder_only'), ``G`` (SAPA-G, 'gate') or ``cat`` (SAPAExp's 'cat'). Guide channels free.
    """

    def __init__(self, factor: Factor = 2, kernel_size: int = 5, embedding_dim: int = 64,
                 variant: Literal["B", "G", "cat"] = "B", qkv_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor if isinstance(factor, int) else [int(f) for f in factor]
        as_factors(self.factor, 2)
        check_odd_kernel("kernel_size", kernel_size)
        if variant not in ("B", "G", "cat"):
            raise ValueError(f"variant={variant!r}: SAPA's reference defines 'B' (encoder_only), "
                             f"'G' (gate) and 'cat'")
        self.kernel_size, self.embedding_dim = int(kernel_size), int(embedding_dim)
        self.variant, self.qkv_bias = variant, bool(qkv_bias)
        self._named = {}

    def _linear(self, name: str, n_in: int, n_out: int) -> None:
        self._weight(f"{name}_w", (n_in, n_out), keras.initializers.TruncatedNormal(stddev=0.02))
        if self.qkv_bias:
            self._weight(f"{name}_b", (n_out,), "zeros")

    def build(self, input_shape: Sequence[Sequence[Optional[int]]]) -> None:
        x_shape, g_shape = (tuple(s) for s in input_shape)
        check_rank("sapa", len(x_shape) - 2, (2,))
        check_guide("sapa", x_shape, g_shape, as_factors(self.factor, 2))
        cx, cy, e = int(x_shape[-1] or 0), int(g_shape[-1] or 0), self.embedding_dim
        for name, n in (("ny", cy), ("nx", cx)):
            self._weight(f"{name}_g", (n,), "ones")
            self._weight(f"{name}_b", (n,), "zeros")
        if self.variant == "B":
            self._linear("q", cy, e)
        elif self.variant == "cat":
            self._linear("q", cy + cx, e)
        else:
            self._linear("qy", cy, e)
            self._linear("qx", cx, e)
            self._linear("g", cx, 1)
        self._linear("k", cx, e)

    def _apply(self, p: dict[str, Any], name: str, x: Any) -> Any:
        y = ops.matmul(x, p[f"{name}_w"])
        return y + p[f"{name}_b"] if self.qkv_bias else y

    def call(self, inputs: Sequence[Any]) -> Any:
        x, guide = inputs
        p = {k: ops.cast(v, x.dtype) for k, v in self._named.items()}
        f = as_factors(self.factor, 2)
        yn = layer_norm(guide, p["ny_g"], p["ny_b"])
        xn = layer_norm(x, p["nx_g"], p["nx_b"])
        if self.variant == "B":
            q = self._apply(p, "q", yn)
        elif self.variant == "cat":
            q = self._apply(p, "q", ops.concatenate([yn, nearest_up(x, f)], -1))
        else:
            g = nearest_up(ops.sigmoid(self._apply(p, "g", xn)), f)
            q = g * self._apply(p, "qy", yn) + (1 - g) * self._apply(p, "qx", nearest_up(x, f))
        keys = reassemble_keys(self._apply(p, "k", xn), q, self.kernel_size, f)
        return reassemble(x, ops.softmax(keys, axis=-1), self.kernel_size, f)

    def count_macs(self, input_shape: Sequence[Sequence[int]], output_shape: Sequence[int]) -> int:
        """Queries, keys, the query-key similarities and the reassembly, for one example."""
        x_shape, g_shape = input_shape
        low, high = _positions(x_shape), _positions(output_shape)
        cx, cy, e, k2 = int(x_shape[-1]), int(g_shape[-1]), self.embedding_dim, self.kernel_size ** 2
        queries = {"B": high * cy * e, "cat": high * (cy + cx) * e, "G": high * (cy + cx) * e + low * cx}[self.variant]
        return queries + low * cx * e + high * k2 * e + high * k2 * cx

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "embedding_dim": self.embedding_dim, "variant": self.variant, "qkv_bias": self.qkv_bias}


def _positions(shape: Sequence[Any]) -> int:
    return math.prod(int(n) for n in shape[1:-1])


def reassemble_keys(key: Any, query: Any, k: int, factors: Sequence[int]) -> Any:
    """SAPA's ``sim``: ``out[b, oy, ox, p] = <query[b, oy, ox], window(key)[b, oy // sy, ox // sx, p]>``
    with zero-padded key windows; (B, sy*H, sx*W, k*k)."""
    sy, sx = factors
    win = windows_2d(key, k)  # (B, H, W, k*k, E)
    shape = ops.shape(key)
    q = ops.reshape(query, [-1, shape[1], sy, shape[2], sx, int(query.shape[-1])])
    s = ops.einsum("bhywxe,bhwpe->bhywxp", q, win)
    return ops.reshape(s, [-1, shape[1] * sy, shape[2] * sx, k * k])


__all__ = ["FadeUpsample", "SapaUpsample", "reassemble_keys"]
