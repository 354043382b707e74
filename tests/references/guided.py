"""NumPy references of the papers' definitions, written for clarity, not speed (float64).

Every function is channels-last, ``(batch, *spatial, channels)``, and follows the reference code
named in its docstring line by line where that code defines the method (PyTorch's NCHW turned
into NHWC). The layers in ``upspec.layers`` (``alias_free``, ``bilateral``, ``fade_sapa``) are tested against these to
float32 rounding (``tests/test_guided_layers.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Optional

import numpy as np

Params = Mapping[str, np.ndarray]

# --------------------------------------------------------------------------- StyleGAN3 filters


def design_lowpass_filter(numtaps: int, cutoff: float, width: float, fs: float, radial: bool = False):
    """StyleGAN3 ``training/networks_stylegan3.py`` ``SynthesisLayer.design_lowpass_filter``, verbatim
    but for returning NumPy float64 instead of a float32 torch tensor (``None`` for ``numtaps == 1``).
    Needs SciPy (a test dependency only: upspec's own design is NumPy)."""
    import scipy.signal
    import scipy.special

    assert numtaps >= 1
    if numtaps == 1:
        return None
    if not radial:
        return scipy.signal.firwin(numtaps=numtaps, cutoff=cutoff, width=width, fs=fs)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    f = scipy.special.j1(2 * cutoff * (np.pi * r)) / (np.pi * r)
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, width / (fs / 2)))
    w = np.kaiser(numtaps, beta)
    f *= np.outer(w, w)
    f /= np.sum(f)
    return f


def _convolve_axis(x: np.ndarray, h: np.ndarray, axis: int, pad: tuple[int, int]) -> np.ndarray:
    """Zero-pad ``axis`` by ``pad`` then true convolution with ``h`` ('valid'), as ``upfirdn2d`` (flip_filter=False)."""
    widths = [(0, 0)] * x.ndim
    widths[axis] = pad
    xp = np.pad(x, widths)
    n_out = xp.shape[axis] - len(h) + 1
    out = np.zeros(x.shape[:axis] + (n_out,) + x.shape[axis + 1:])
    for n in range(n_out):
        for k in range(len(h)):  # y[n] = sum_k h[k] * xp[n + K - 1 - k]
            out_idx = [slice(None)] * x.ndim
            out_idx[axis] = n
            in_idx = [slice(None)] * x.ndim
            in_idx[axis] = n + len(h) - 1 - k
            out[tuple(out_idx)] += h[k] * xp[tuple(in_idx)]
    return out


def upfirdn_upsample(x: np.ndarray, factors: Sequence[int], filters: Sequence[Optional[np.ndarray]],
                     radial: Optional[np.ndarray] = None) -> np.ndarray:
    """StyleGAN3 ``upfirdn2d.upsample2d`` (``_upfirdn2d_ref`` path), any rank, per-axis factors.

    1. zero insertion: ``factor - 1`` zeros after each sample;
    2. padding ``((taps + f - 1) // 2, (taps - f) // 2)`` per axis;
    3. convolution with the filter times the gain: per axis ``f`` (separable; the product is
       StyleGAN3's ``gain = up_x * up_y``), or ``f_y * f_x`` for the 2-D (radial) filter.
    """
    x = np.asarray(x, dtype=np.float64)
    for axis, f in enumerate(factors, start=1):
        if f > 1:
            shape = list(x.shape)
            shape[axis] *= f
            z = np.zeros(shape)
            idx = [slice(None)] * x.ndim
            idx[axis] = slice(0, None, f)
            z[tuple(idx)] = x
            x = z
    if radial is not None:
        taps = radial.shape[0]
        p0, p1 = (taps + factors[0] - 1) // 2, (taps - factors[0]) // 2
        xp = np.pad(x, [(0, 0), (p0, p1), (p0, p1), (0, 0)])
        h = radial * factors[0] * factors[1]
        out = np.zeros_like(x)
        for i in range(taps):
            for j in range(taps):  # convolution: filter flipped
                out += h[taps - 1 - i, taps - 1 - j] * xp[:, i:i + x.shape[1], j:j + x.shape[2]]
        return out
    for axis, (f, h) in enumerate(zip(factors, filters), start=1):
        if f > 1 and h is not None:
            x = _convolve_axis(x, np.asarray(h) * f, axis, ((len(h) + f - 1) // 2, (len(h) - f) // 2))
    return x


def alias_free_upsample(x: np.ndarray, factors: Sequence[int], taps: Sequence[int], cutoff: float,
                        half_width: float, radial: bool = False) -> np.ndarray:
    """Zero insertion + Kaiser low-pass, frequencies in cycles per input sample (``fs = factor``);
    the filter is StyleGAN3's ``design_lowpass_filter(taps, cutoff, 2 * half_width, fs=factor)``."""
    import scipy.signal
    import scipy.special

    if radial:
        f = design_lowpass_filter(taps[0], cutoff, 2 * half_width, factors[0], radial=True)
        if taps[0] % 2:  # StyleGAN3's 0/0 at r = 0 (it only uses even sizes): the limit, then renormalise
            with np.errstate(invalid="ignore", divide="ignore"):
                x0 = (np.arange(taps[0]) - (taps[0] - 1) / 2) / factors[0]
                r = np.hypot(*np.meshgrid(x0, x0))
                f = scipy.special.j1(2 * cutoff * (np.pi * r)) / (np.pi * r)
            c = taps[0] // 2
            f[c, c] = cutoff
            beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(taps[0], 2 * half_width / (factors[0] / 2)))
            f = f * np.outer(np.kaiser(taps[0], beta), np.kaiser(taps[0], beta))
            f /= f.sum()
        return upfirdn_upsample(x, factors, [None] * len(factors), radial=f)
    hs = [design_lowpass_filter(t, cutoff, 2 * half_width, f) if f > 1 else None for t, f in zip(taps, factors)]
    return upfirdn_upsample(x, factors, hs)


# --------------------------------------------------------------------------- small helpers


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def gelu(x: np.ndarray) -> np.ndarray:
    """``torch.nn.GELU()`` (exact, erf)."""
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """``torch.nn.LayerNorm(C)`` on the last axis."""
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * gamma + beta


def nearest(x: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    """``F.interpolate(mode='nearest')`` by integer factors."""
    for axis, f in enumerate(factors, start=1):
        x = np.repeat(x, f, axis=axis)
    return x


def conv2d_same(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None) -> np.ndarray:
    """``nn.Conv2d(padding=k // 2)`` on NHWC with an HWIO kernel (cross-correlation, zero padding)."""
    kh, kw = w.shape[:2]
    xp = np.pad(x, [(0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)])
    out = np.zeros(x.shape[:3] + (w.shape[-1],))
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i:i + x.shape[1], j:j + x.shape[2]] @ w[i, j]
    return out if b is None else out + b


def depthwise_same(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None) -> np.ndarray:
    """``nn.Conv2d(groups=C, padding=k // 2)``; ``w`` of shape (kh, kw, C)."""
    kh, kw = w.shape[:2]
    xp = np.pad(x, [(0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)])
    out = sum(xp[:, i:i + x.shape[1], j:j + x.shape[2]] * w[i, j] for i in range(kh) for j in range(kw))
    return out if b is None else out + b


# --------------------------------------------------------------------------- CARAFE, FADE, SAPA


def carafe(x: np.ndarray, kernels: np.ndarray, k: int, factors: Sequence[int]) -> np.ndarray:
    """CARAFE reassembly (mmcv ``carafe`` / FADE's ``pytorch_implementation`` ``CARAFE``):
    output pixel ``(oy, ox)`` is the ``k x k`` zero-padded neighbourhood of input pixel
    ``(oy // sy, ox // sx)`` weighted by ``kernels[:, oy, ox, :]`` (row-major window index)."""
    sy, sx = factors
    n, h, w, c = x.shape
    r = k // 2
    xp = np.pad(x, [(0, 0), (r, r), (r, r), (0, 0)])
    out = np.zeros((n, h * sy, w * sx, c))
    for oy in range(h * sy):
        for ox in range(w * sx):
            iy, ix = oy // sy, ox // sx
            patch = xp[:, iy:iy + k, ix:ix + k, :].reshape(n, k * k, c)
            out[:, oy, ox] = np.einsum("np,npc->nc", kernels[:, oy, ox], patch)
    return out


def fade(x: np.ndarray, guide: np.ndarray, p: Params, factors: Sequence[int], k: int = 5,
         lite: bool = False) -> np.ndarray:
    """FADE (poppinace/fade ``FADE_H2L.py``; FADE-Lite from ``FADE_L2H.py``).

    ``x``: decoder features (low resolution), ``guide``: encoder features (high resolution,
    same channels). Semi-shift convolution: the kernel of output pixel ``(s*i+a, s*j+c)`` is one
    3x3 convolution (weights shared) over the compressed encoder map centred on that pixel plus the
    same convolution, bias included again, over the compressed decoder map centred on ``(i, j)``;
    softmax over the ``k*k`` taps; CARAFE reassembly of the decoder; gate = sigmoid of a 1x1 conv of
    the decoder, nearest-upsampled; output ``gate * guide + (1 - gate) * reassembled``.
    Params: ``gate_w (C,1) gate_b (1,) en_w (C,E) en_b (E,) de_w (C,E) enc_w (3,3,E,k*k)
    enc_b (k*k,)``; FADE-Lite: ``en_w (C,k*k) de_w (C,k*k) enc_w (3,3,k*k)`` (depthwise).
    """
    sy, sx = factors
    n, h, w, _ = x.shape
    gate = sigmoid(nearest(x @ p["gate_w"] + p["gate_b"], factors))
    ce = guide @ p["en_w"] + p["en_b"]
    cd = x @ p["de_w"]
    wk, bk = p["enc_w"], p["enc_b"]
    kh = wk.shape[0]
    r = kh // 2
    cep = np.pad(ce, [(0, 0), (r, r), (r, r), (0, 0)])
    cdp = np.pad(cd, [(0, 0), (r, r), (r, r), (0, 0)])
    kernels = np.zeros((n, h * sy, w * sx, k * k))
    for i in range(h):
        for j in range(w):
            dec = cdp[:, i:i + kh, j:j + kh]
            dec_term = (np.einsum("nyxe,yxek->nk", dec, wk) if not lite
                        else np.einsum("nyxe,yxe->ne", dec, wk)) + bk
            for a in range(sy):  # the semi-shift: a stride-s window over the encoder per sub-position
                for c in range(sx):
                    enc = cep[:, sy * i + a:sy * i + a + kh, sx * j + c:sx * j + c + kh]
                    enc_term = (np.einsum("nyxe,yxek->nk", enc, wk) if not lite
                                else np.einsum("nyxe,yxe->ne", enc, wk)) + bk
                    kernels[:, sy * i + a, sx * j + c] = enc_term + dec_term
    kernels = softmax(kernels, -1)
    return gate * guide + (1 - gate) * carafe(x, kernels, k, factors)


def sapa(x: np.ndarray, guide: np.ndarray, p: Params, factors: Sequence[int], k: int = 5,
         variant: str = "B") -> np.ndarray:
    """SAPA (poppinace/sapa ``SAPA.py``, ``SAPAExp.py`` and the CPU check ``sim_``/``atn_``).

    ``x``: features to upsample (low resolution), ``guide``: ``y`` in the reference (high resolution).
    ``q`` from the LayerNorm-ed guide, ``k`` from the LayerNorm-ed features; similarity of each
    high-resolution query with the ``k x k`` keys around its low-resolution parent (zero-padded keys
    count, with similarity 0); softmax; reassembly of the *raw* features (zero-padded).
    Variants (``SAPAExp.q_mode``): ``B`` = 'encoder_only' (``SAPA.py``); ``cat``: q from
    ``[norm(y), nearest(x)]``; ``G`` = 'gate': ``g * qy(norm(y)) + (1 - g) * qx(nearest(x))``
    with ``g = nearest(sigmoid(gate(norm(x))))``.
    Params: ``ny_g ny_b nx_g nx_b k_w k_b`` and ``q_w q_b`` (B, cat) or ``qy_w qy_b qx_w qx_b g_w g_b`` (G).
    """
    sy, sx = factors
    n, h, w, c = x.shape
    yn = layer_norm(guide, p["ny_g"], p["ny_b"])
    xn = layer_norm(x, p["nx_g"], p["nx_b"])
    if variant == "B":
        q = yn @ p["q_w"] + p["q_b"]
    elif variant == "cat":
        q = np.concatenate([yn, nearest(x, factors)], -1) @ p["q_w"] + p["q_b"]
    elif variant == "G":
        g = nearest(sigmoid(xn @ p["g_w"] + p["g_b"]), factors)
        q = g * (yn @ p["qy_w"] + p["qy_b"]) + (1 - g) * (nearest(x, factors) @ p["qx_w"] + p["qx_b"])
    else:
        raise ValueError(variant)
    key = xn @ p["k_w"] + p["k_b"]
    r = k // 2
    kp = np.pad(key, [(0, 0), (r, r), (r, r), (0, 0)])
    sim = np.zeros((n, h * sy, w * sx, k * k))
    for oy in range(h * sy):
        for ox in range(w * sx):
            keys = kp[:, oy // sy:oy // sy + k, ox // sx:ox // sx + k].reshape(n, k * k, -1)
            sim[:, oy, ox] = np.einsum("ne,npe->np", q[:, oy, ox], keys)
    return carafe(x, softmax(sim, -1), k, factors)


# --------------------------------------------------------------------------- FeatUp JBU


def bicubic_torch(x: np.ndarray, out_hw: tuple[int, int], a: float = -0.75) -> np.ndarray:
    """``F.interpolate(mode='bicubic', align_corners=False)`` (PyTorch's ``upsample_bicubic2d``):
    source ``(dst + 0.5) * in / out - 0.5``, taps at floor - 1 .. floor + 2 clamped to the image."""

    def cc1(t: float) -> float:
        return ((a + 2) * t - (a + 3)) * t * t + 1

    def cc2(t: float) -> float:
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a

    for axis, n_out in zip((1, 2), out_hw):
        n_in = x.shape[axis]
        out = np.zeros(x.shape[:axis] + (n_out,) + x.shape[axis + 1:])
        for d in range(n_out):
            real = (d + 0.5) * n_in / n_out - 0.5
            i0 = int(np.floor(real))
            t = real - i0
            coeffs = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)]
            for m, cf in enumerate(coeffs):
                src = min(max(i0 - 1 + m, 0), n_in - 1)
                out[(slice(None),) * axis + (d,)] += cf * np.take(x, src, axis=axis)
        x = out
    return x


def jbu_step(source: np.ndarray, guide: np.ndarray, p: Params, radius: int = 3) -> np.ndarray:
    """FeatUp ``featup/upsamplers.py`` ``JBULearnedRange.forward`` (inference: dropout off).

    Range kernel: ``softmax_p(exp(range_temp).clip(1e-4, 1e4) * <proj(g)[neighbour p], proj(g)[centre]>)``
    with ``proj = conv1x1 -> GELU -> conv1x1`` and reflection padding; spatial kernel
    ``exp(-(u^2 + v^2) / (2 sigma^2))`` on ``u, v in linspace(-1, 1, 2r+1)``; their product
    normalised to sum 1 (denominator clamped at 1e-7); plus ``0.1 * fixup([kernel, guide])``
    (conv1x1 -> GELU -> conv1x1); applied to the bicubic x2 source, reflection-padded.
    Params: ``r_w1 (G,K) r_b1 r_w2 (K,K) r_b2 f_w1 (d*d+G, d*d) f_b1 f_w2 (d*d, d*d) f_b2
    range_temp () sigma_spatial ()``.
    """
    d = 2 * radius + 1
    n, gh, gw, _ = guide.shape
    proj = gelu(guide @ p["r_w1"] + p["r_b1"]) @ p["r_w2"] + p["r_b2"]
    pp = np.pad(proj, [(0, 0), (radius, radius), (radius, radius), (0, 0)], mode="reflect")
    logits = np.zeros((n, gh, gw, d * d))
    for i in range(d):
        for j in range(d):
            logits[..., i * d + j] = (pp[:, i:i + gh, j:j + gw] * proj).sum(-1)
    temp = np.clip(np.exp(p["range_temp"]), 1e-4, 1e4)
    range_kernel = softmax(temp * logits, -1)
    dist = np.linspace(-1, 1, d)
    u, v = np.meshgrid(dist, dist, indexing="ij")
    spatial = np.exp(-(u ** 2 + v ** 2) / (2 * p["sigma_spatial"] ** 2)).reshape(d * d)
    kernel = range_kernel * spatial
    kernel = kernel / np.clip(kernel.sum(-1, keepdims=True), 1e-7, None)
    fix_in = np.concatenate([kernel, guide], -1)
    kernel = kernel + 0.1 * (gelu(fix_in @ p["f_w1"] + p["f_b1"]) @ p["f_w2"] + p["f_b2"])
    hr = bicubic_torch(source, (gh, gw))
    hp = np.pad(hr, [(0, 0), (radius, radius), (radius, radius), (0, 0)], mode="reflect")
    out = np.zeros(hr.shape)
    for i in range(d):
        for j in range(d):  # AdaptiveConv: out[h, w] += filters[h, w, i, j] * input[h + i, w + j]
            out += kernel[..., i * d + j:i * d + j + 1] * hp[:, i:i + gh, j:j + gw]
    return out


def avg_pool(x: np.ndarray, r: int) -> np.ndarray:
    """``F.adaptive_avg_pool2d`` to ``size / r`` when ``r`` divides the size: plain r x r averages."""
    n, h, w, c = x.shape
    return x.reshape(n, h // r, r, w // r, r, c).mean(axis=(2, 4))


def jbu_stack(source: np.ndarray, guide: np.ndarray, steps: Sequence[Params], radius: int = 3,
              final: Optional[Params] = None) -> np.ndarray:
    """FeatUp ``JBUStack.forward``: x2 JBU steps, the guide average-pooled to twice each step's
    input size; then ``0.1 * conv1x1(out) + out`` (``final``: ``w (C,C) b (C,)``), if given."""
    out = source
    for p in steps:
        r = guide.shape[1] // (2 * out.shape[1])
        out = jbu_step(out, avg_pool(guide, r) if r > 1 else guide, p, radius)
    if final is not None:
        out = 0.1 * (out @ final["w"] + final["b"]) + out
    return out
