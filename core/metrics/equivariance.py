"""EQ-T: translation equivariance of an upsampler in dB (StyleGAN3, Karras et al., NeurIPS 2021), NumPy only.

EQ-T follows NVlabs/stylegan3 ``metrics/equivariance.py``: the translation operators are ported
line by line (NCHW -> NHWC; shifts given in pixels instead of fractions of the size, i.e. the
reference's ``tx * W``), and the PSNR is ``20 log10(2) - 10 log10(MSE)`` over the masked elements,
summed over all shifts before the ratio (the reference's ``sums`` over batches).

For an upsampler ``f`` by ``s`` the generator's "translate the input" becomes translating ``x``:
``EQ-T = PSNR(T_{s t}(f(x)), f(T_t(x)))``. Integer EQ-T: integer ``t`` (input pixels; the output moves
by ``s t``), zero-filled. Sub-pixel EQ-T (the reference's EQ-T_frac): fractional ``t`` for *both*
translations, by the reference's Lanczos (a = 3) windowed-sinc operator. The masks are the
reference's (where the translated reference exists). One addition: the reference translates the
input of a generator that is defined everywhere; an upsampler sees a finite image, so pixels near
the border where content left the frame differ for reasons that are not aliasing. ``margin`` drops
that many output pixels at every border (0 = the reference's masks exactly).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

import numpy as np



def apply_integer_translation(x: np.ndarray, tx: float, ty: float) -> tuple[np.ndarray, np.ndarray]:
    """Reference ``apply_integer_translation`` (operator T_x, Appendix E.1) on NHWC; shifts in pixels."""
    _n, h, w, _c = x.shape
    ix, iy = int(np.round(tx)), int(np.round(ty))
    z = np.zeros_like(x)
    m = np.zeros_like(x)
    if abs(ix) < w and abs(iy) < h:
        y = x[:, max(-iy, 0):h + min(-iy, 0), max(-ix, 0):w + min(-ix, 0)]
        z[:, max(iy, 0):h + min(iy, 0), max(ix, 0):w + min(ix, 0)] = y
        m[:, max(iy, 0):h + min(iy, 0), max(ix, 0):w + min(ix, 0)] = 1
    return z, m


def _filter_axis(x: np.ndarray, f: np.ndarray, axis: int, pad: tuple[int, int]) -> np.ndarray:
    """``upfirdn2d.filter2d`` along one axis: padding ``(p0 + fw // 2, p1 + (fw - 1) // 2)``, convolution."""
    fw = len(f)
    widths = [(0, 0)] * x.ndim
    widths[axis] = (pad[0] + fw // 2, pad[1] + (fw - 1) // 2)
    xp = np.pad(x, widths)
    n_out = xp.shape[axis] - fw + 1
    out = np.zeros(x.shape[:axis] + (n_out,) + x.shape[axis + 1:])
    for k in range(fw):
        sl = [slice(None)] * x.ndim
        sl[axis] = slice(fw - 1 - k, fw - 1 - k + n_out)
        out += f[k] * xp[tuple(sl)]
    return out


def apply_fractional_translation(x: np.ndarray, tx: float, ty: float, a: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Reference ``apply_fractional_translation`` (operator T_x, Appendix E.2) on NHWC; shifts in pixels.

    A separable Lanczos-windowed sinc (``sinc(t - f) * sinc((t - f) / a)``, normalised) moves the
    content by ``(tx, ty)``; outside the frame is zero; the mask drops the ``a`` / ``a - 1`` pixels
    the filter could not fill.
    """
    _n, h, w, _c = x.shape
    ix, iy = int(np.floor(tx)), int(np.floor(ty))
    fx, fy = tx - ix, ty - iy
    b = a - 1
    z = np.zeros_like(x)
    zx0, zy0 = max(ix - b, 0), max(iy - b, 0)
    zx1, zy1 = min(ix + a, 0) + w, min(iy + a, 0) + h
    if zx0 < zx1 and zy0 < zy1:
        taps = np.arange(a * 2) - b
        filter_x = np.sinc(taps - fx) * np.sinc((taps - fx) / a)
        filter_y = np.sinc(taps - fy) * np.sinc((taps - fy) / a)
        y = _filter_axis(x, filter_x / filter_x.sum(), 2, (b, a))
        y = _filter_axis(y, filter_y / filter_y.sum(), 1, (b, a))
        y = y[:, max(b - iy, 0):h + b + a + min(-iy - a, 0), max(b - ix, 0):w + b + a + min(-ix - a, 0)]
        z[:, zy0:zy1, zx0:zx1] = y
    m = np.zeros_like(x)
    mx0, my0 = max(ix + a, 0), max(iy + a, 0)
    mx1, my1 = min(ix - b, 0) + w, min(iy - b, 0) + h
    if mx0 < mx1 and my0 < my1:
        m[:, my0:my1, mx0:mx1] = 1
    return z, m


def equivariance_translation(f: Callable[..., np.ndarray], x: np.ndarray, factor: int | Sequence[int],
                             shifts: Sequence[tuple[float, float]], fractional: bool = False,
                             margin: int = 0, peak: float = 2.0, guide: np.ndarray | None = None) -> float:
    """EQ-T (``fractional=False``, integer shifts) or EQ-T_frac (``fractional=True``), in dB.

    ``f``: NHWC array -> NHWC array upsampled by ``factor`` (one int, or ``(fy, fx)``); ``shifts``: ``(tx, ty)``
    in input pixels (integers for EQ-T; the reference draws them uniformly in ``[-0.125, 0.125]`` of the size
    and rounds them). ``peak``: the reference's 2 (images in [-1, 1]). ``guide``: for a guided upsampler,
    ``f(x, guide)`` with the guide at the output's size, translated with the output (by ``factor * t``): the
    equivariance of the pair. Returns ``inf`` for exact equivariance.
    """
    fy, fx = (factor, factor) if isinstance(factor, int) else (int(factor[0]), int(factor[1]))
    x = np.asarray(x, dtype=np.float64)

    def apply(image: np.ndarray, moved_guide: np.ndarray | None) -> np.ndarray:
        return np.asarray(f(image) if moved_guide is None else f(image, moved_guide), dtype=np.float64)

    base = apply(x, guide)
    num = den = 0.0
    for tx, ty in shifts:
        if not fractional and (tx != round(tx) or ty != round(ty)):
            raise ValueError(f"integer EQ-T needs integer shifts, got {(tx, ty)}; use fractional=True")
        translate: Callable[[np.ndarray, float, float], tuple[np.ndarray, np.ndarray]] = (
            apply_fractional_translation if fractional else apply_integer_translation)
        xt, _ = translate(x, tx, ty)
        ref, mask = translate(base, fx * tx, fy * ty)
        gt = None if guide is None else translate(np.asarray(guide, dtype=np.float64), fx * tx, fy * ty)[0]
        img = apply(xt, gt)
        if margin:
            mask[:, :margin] = mask[:, -margin:] = 0
            mask[:, :, :margin] = mask[:, :, -margin:] = 0
        num += float(((ref - img) ** 2 * mask).sum())
        den += float(mask.sum())
    if den == 0:
        raise ValueError("the masks are empty: shifts or margin too large for the image")
    mse = num / den
    return float("inf") if mse == 0 else float(np.log10(peak) * 20 - np.log10(mse) * 10)


__all__ = ["apply_fractional_translation", "apply_integer_translation", "equivariance_translation"]
