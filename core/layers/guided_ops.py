"""Building blocks shared by the guided layers: NumPy filter design and ``keras.ops`` kernels.

Filter design here is NumPy only (no SciPy: upspec does not depend on it); ``tests/references/guided.py``
(in the tests) checks it against StyleGAN3's SciPy code. The tensor functions are channels-last and use only
``keras.ops``, so they run on the TensorFlow and JAX backends; static shapes are not required
except for the channel axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- filter design (NumPy)


def kaiser_atten(numtaps: int, width: float) -> float:
    """Attenuation (dB) of a Kaiser FIR filter; ``width`` relative to Nyquist (scipy.signal.kaiser_atten)."""
    return 2.285 * (numtaps - 1) * np.pi * width + 7.95


def kaiser_beta(atten: float) -> float:
    """Kaiser window beta for an attenuation in dB (scipy.signal.kaiser_beta)."""
    if atten > 50:
        return 0.1102 * (atten - 8.7)
    if atten > 21:
        return 0.5842 * (atten - 21) ** 0.4 + 0.07886 * (atten - 21)
    return 0.0


def bessel_j1(x: np.ndarray) -> np.ndarray:
    """Bessel function of the first kind, order 1: J1(x) = 1/pi int_0^pi cos(t - x sin t) dt.

    The integrand is smooth and periodic, so the trapezoid rule on 512 points is exact to float64
    rounding for |x| < 100 (filter radii stay far below).
    """
    t = (np.arange(512) + 0.5) * (np.pi / 512)
    x = np.asarray(x, dtype=np.float64)
    return np.cos(t - x[..., None] * np.sin(t)).mean(axis=-1)


def design_lowpass_filter(numtaps: int, cutoff: float, width: float, fs: float, radial: bool = False) -> np.ndarray:
    """StyleGAN3's ``SynthesisLayer.design_lowpass_filter`` without SciPy.

    Separable: ``scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs)`` (Kaiser window, unit DC
    gain), a 1-D array. Radial: a jinc ``J1(2 pi cutoff r) / (pi r)`` times the outer product of
    1-D Kaiser windows, normalised to sum 1, a 2-D array. ``numtaps == 1`` gives ``[1.0]``
    (StyleGAN3 returns ``None``, the identity). One extension: for odd ``numtaps`` the radial
    filter's centre (r = 0, 0/0 in StyleGAN3's expression, which only uses even sizes) takes its
    limit ``cutoff``.
    """
    if numtaps < 1:
        raise ValueError(f"numtaps={numtaps} must be >= 1")
    if numtaps == 1:
        return np.ones([1], dtype=np.float64)
    nyq = fs / 2
    beta = kaiser_beta(kaiser_atten(numtaps, width / nyq))
    window = np.kaiser(numtaps, beta)
    if not radial:
        m = np.arange(numtaps) - (numtaps - 1) / 2
        c = cutoff / nyq
        h = c * np.sinc(c * m) * window
        return h / h.sum()
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    safe = np.where(r == 0, 1.0, r)
    f = np.where(r == 0, cutoff, bessel_j1(2 * cutoff * np.pi * safe) / (np.pi * safe))
    f = f * np.outer(window, window)
    return f / f.sum()


def upsample_padding(taps: int, factor: int) -> tuple[int, int]:
    """Zero padding (before, after) of the zero-inserted signal, as StyleGAN3's ``upfirdn2d.upsample2d``."""
    return (taps + factor - 1) // 2, (taps - factor) // 2


def cubic_weights(t: float, a: float = -0.75) -> np.ndarray:
    """PyTorch's bicubic coefficients (``get_cubic_upsample_coefficients``) for fraction ``t``."""

    def near(x: float) -> float:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: float) -> float:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.array([far(t + 1), near(t), near(1 - t), far(2 - t)])


# --------------------------------------------------------------------------- tensor ops (keras.ops)


def _ops() -> Any:
    from keras import ops

    return ops


def merge_axes(x: Any, axis: int) -> Any:
    """Merge ``axis`` and ``axis + 1`` of ``x`` (row-major), batch axis left dynamic."""
    ops = _ops()
    shape = list(ops.shape(x))
    new = [-1] + shape[1:axis] + [shape[axis] * shape[axis + 1]] + shape[axis + 2:]
    return ops.reshape(x, new)


def zero_insert(x: Any, factors: Sequence[int]) -> Any:
    """Insert ``factor - 1`` zeros after every sample of each spatial axis (channels-last)."""
    ops = _ops()
    for axis, f in enumerate(factors, start=1):
        if f == 1:
            continue
        y = ops.expand_dims(x, axis + 1)
        pad = [(0, 0)] * len(y.shape)
        pad[axis + 1] = (0, f - 1)
        x = merge_axes(ops.pad(y, pad), axis)
    return x


def nearest_up(x: Any, factors: Sequence[int]) -> Any:
    """Nearest-neighbour upsampling by integer factors along the spatial axes."""
    ops = _ops()
    for axis, f in enumerate(factors, start=1):
        if f > 1:
            x = ops.repeat(x, f, axis=axis)
    return x


def channels_to_batch(x: Any) -> Any:
    """(B, *S, C) -> (B*C, *S, 1), so a single-channel convolution filters every channel alike."""
    ops = _ops()
    rank = len(x.shape) - 2
    y = ops.transpose(x, [0, rank + 1] + list(range(1, rank + 1)))
    return ops.expand_dims(ops.reshape(y, [-1] + list(ops.shape(y))[2:]), -1)


def batch_to_channels(y: Any, channels: int) -> Any:
    """Inverse of ``channels_to_batch``."""
    ops = _ops()
    rank = len(y.shape) - 2
    y = ops.reshape(y[..., 0], [-1, channels] + list(ops.shape(y))[1:-1])
    return ops.transpose(y, [0] + list(range(2, rank + 2)) + [1])


def fir_upsample(x: Any, factors: Sequence[int], filters: Sequence[Any], radial: Any = None) -> Any:
    """Zero insertion then a FIR low-pass, StyleGAN3's ``upsample2d`` for any rank, 'same' size.

    ``filters``: one 1-D tensor per axis (gain already included; ignored where factor is 1);
    ``radial``: a 2-D filter used instead (rank 2). Convolution (the filter flipped), zero padding.
    """
    ops = _ops()
    channels = int(x.shape[-1])
    rank = len(factors)
    y = channels_to_batch(zero_insert(x, factors))
    if radial is not None:
        taps = int(radial.shape[0])
        p0, p1 = upsample_padding(taps, factors[0])
        y = ops.pad(y, [(0, 0), (p0, p1), (p0, p1), (0, 0)])
        kernel = ops.reshape(ops.flip(ops.flip(radial, 0), 1), (taps, taps, 1, 1))
        y = ops.conv(y, ops.cast(kernel, y.dtype), padding="valid")
    else:
        for axis, (f, h) in enumerate(zip(factors, filters)):
            if f == 1:
                continue
            taps = int(h.shape[0])
            pad = [(0, 0)] * (rank + 2)
            pad[axis + 1] = upsample_padding(taps, f)
            shape = [1] * rank + [1, 1]
            shape[axis] = taps
            kernel = ops.reshape(ops.flip(h, 0), shape)
            y = ops.conv(ops.pad(y, pad), ops.cast(kernel, y.dtype), padding="valid")
    return batch_to_channels(y, channels)


def windows_2d(x: Any, k: int, mode: str = "constant") -> Any:
    """(B, H, W, C) -> (B, H, W, k*k, C): the k x k neighbourhood of each pixel, row-major
    (index ``i * k + j`` reads pixel ``(h + i - k//2, w + j - k//2)``), as ``torch.nn.Unfold``.
    Borders: zeros (``mode="constant"``) or reflection (``"reflect"``)."""
    ops = _ops()
    r = k // 2
    xp = ops.pad(x, [(0, 0), (r, r), (r, r), (0, 0)], mode=mode)
    end = [None if i == k - 1 else i - (k - 1) for i in range(k)]
    patches = [xp[:, i:end[i], j:end[j], :] for i in range(k) for j in range(k)]
    return ops.stack(patches, axis=3)


def reassemble(x: Any, kernels: Any, k: int, factors: Sequence[int], window_mode: str = "constant") -> Any:
    """CARAFE reassembly: ``out[b, s*h+a, s*w+c] = sum_p kernels[b, s*h+a, s*w+c, p] * window(x)[b, h, w, p]``.

    ``x``: (B, H, W, C) low resolution; ``kernels``: (B, sy*H, sx*W, k*k), zero-padded windows.
    """
    ops = _ops()
    sy, sx = factors
    win = windows_2d(x, k, window_mode)
    shape = ops.shape(x)
    kern = ops.reshape(kernels, [-1, shape[1], sy, shape[2], sx, k * k])
    y = ops.einsum("bhywxp,bhwpc->bhywxc", kern, win)
    return ops.reshape(y, [-1, shape[1] * sy, shape[2] * sx, int(x.shape[-1])])


def conv_same(x: Any, kernel: Any, bias: Any = None) -> Any:
    """Convolution with zero 'same' padding (odd kernels: symmetric, as PyTorch's padding=k//2)."""
    ops = _ops()
    y = ops.conv(x, kernel, padding="same")
    return y if bias is None else y + bias


def layer_norm(x: Any, gamma: Any, beta: Any, eps: float = 1e-5) -> Any:
    """LayerNorm over the channel axis with PyTorch's default epsilon (Keras' default is 1e-3)."""
    ops = _ops()
    mean = ops.mean(x, axis=-1, keepdims=True)
    var = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) / ops.sqrt(var + eps) * gamma + beta


def _replicate_pad(x: Any, axis: int, n: int) -> Any:
    """Pad ``n`` copies of the edge samples on both sides of ``axis`` (PyTorch's clamped indices)."""
    ops = _ops()
    head = [slice(None)] * len(x.shape)
    tail = list(head)
    head[axis], tail[axis] = slice(0, 1), slice(-1, None)
    first = ops.repeat(x[tuple(head)], n, axis=axis)
    last = ops.repeat(x[tuple(tail)], n, axis=axis)
    return ops.concatenate([first, x, last], axis=axis)


def bicubic_up2(x: Any) -> Any:
    """x2 bicubic upsampling as PyTorch's ``interpolate(mode='bicubic', align_corners=False)``:
    Keys' cubic with a = -0.75 and clamped (replicated) borders, channels-last (B, H, W, C).
    ``keras.ops.image.resize`` uses a = -0.5, hence this function."""
    ops = _ops()
    even, odd = cubic_weights(0.75), cubic_weights(0.25)  # output 2i: source i - 0.25; 2i+1: i + 0.25
    for axis in (1, 2):
        xp = _replicate_pad(x, axis, 2)
        ends = [None if i == 4 else i - 4 for i in range(5)]

        def tap(i: int) -> Any:
            sl = [slice(None)] * 4
            sl[axis] = slice(i, ends[i])
            return xp[tuple(sl)]

        taps = [tap(i) for i in range(5)]  # taps[i] reads source index h + i - 2
        e = sum(float(w) * t for w, t in zip(even, taps[0:4]))
        o = sum(float(w) * t for w, t in zip(odd, taps[1:5]))
        x = merge_axes(ops.stack([e, o], axis=axis + 1), axis)
    return x


# --------------------------------------------------------------------------- weights by name


class NamedWeightsMixin:
    """Weights by reference name: ``named_weights()`` / ``set_named_weights()``."""

    _named: dict[str, Any]

    def _weight(self, name: str, shape: Sequence[int], initializer: Any, trainable: bool = True) -> Any:
        w = self.add_weight(name=name.replace("/", "__"), shape=tuple(shape), initializer=initializer,  # type: ignore[attr-defined]
                            trainable=trainable)
        self._named[name] = w
        return w

    def named_weights(self) -> dict[str, np.ndarray]:
        """The weights as NumPy arrays, keyed as in the NumPy references (``tests/references/guided.py``)."""
        return {k: np.asarray(_ops().convert_to_numpy(v)) for k, v in self._named.items()}

    def set_named_weights(self, values: Mapping[str, Any]) -> None:
        """Assign weights by name (shapes must match); unknown names are an error."""
        unknown = set(values) - set(self._named)
        if unknown:
            raise KeyError(f"unknown weight names {sorted(unknown)}; known: {sorted(self._named)}")
        for k, v in values.items():
            self._named[k].assign(np.asarray(v, dtype=self._named[k].dtype))
