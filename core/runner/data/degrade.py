"""Super-resolution degradations: how a low-resolution input is made from a high-resolution image.

``matlab`` (the default) is the literature's: MATLAB's ``imresize(hr, 1/s, 'bicubic')`` (Keys cubic, a = -0.5,
kernel widened by the factor, MATLAB's index mapping and mirrored borders; :mod:`.matlab_resize`), computed in
float and rounded once to 8 bits, as BasicSR's ``generate_bicubic_img.m`` makes Set5 / DIV2K inputs. ``bicubic``
is PIL's ``Image.resize(..., Image.BICUBIC)`` on 8-bit pixels (the same kernel, but PIL renormalises the kernel at
the borders and rounds each pass in fixed point: about 15% of pixels differ from MATLAB's by up to 12 levels),
so a photo degraded that way is the photo a user gets from PIL. ``area`` is the mean of
each ``factor`` block; ``gaussian`` blurs with a Gaussian of ``blur_sigma`` pixels and keeps every
``factor``-th pixel (the "BD" degradation of Zhang et al. 2018). Every degraded image is rounded to 8 bits,
as a low-resolution image saved to disk is.
"""

from __future__ import annotations

from typing import Callable
from typing import Sequence

import numpy as np

from ...errors import NotFoundError
from ...errors import available

DEGRADATIONS = ("matlab", "bicubic", "area", "gaussian")
#: the super-resolution default (``data.degradation``), the literature's
DEFAULT_DEGRADATION = "matlab"
DEFAULT_BLUR_SIGMA = 1.6


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0).round().astype("uint8")


def quantize(image: np.ndarray) -> np.ndarray:
    """Round to the nearest 8-bit level, as saving a PNG does."""
    return (to_uint8(image).astype("float32") / 255.0).astype("float32")


def pil_resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """One ``(H, W, C)`` image in [0, 1] resized to ``size = (height, width)`` by PIL's bicubic, channel by
    channel on 8-bit pixels (antialiased when shrinking); the result is 8-bit, returned as float32."""
    from PIL import Image

    pixels = to_uint8(image)
    channels = [np.asarray(Image.fromarray(pixels[..., c]).resize((size[1], size[0]), Image.Resampling.BICUBIC))
                for c in range(pixels.shape[-1])]
    return np.stack(channels, axis=-1).astype("float32") / 255.0


def matlab_resize(image: np.ndarray, scale: Sequence[float]) -> np.ndarray:
    """One ``(H, W, C)`` image resized by MATLAB's bicubic ``imresize`` with a scale per axis, in float (unrounded,
    unclipped: the cubic overshoots [0, 1] near edges, as MATLAB's does on doubles)."""
    from .matlab_resize import imresize

    return imresize(np.asarray(image, "float64"), (float(scale[0]), float(scale[1]))).astype("float32")


def _matlab(image: np.ndarray, factor: Sequence[int], sigma: float) -> np.ndarray:
    return quantize(matlab_resize(image, (1 / factor[0], 1 / factor[1])))


def _bicubic(image: np.ndarray, factor: Sequence[int], sigma: float) -> np.ndarray:
    h, w = image.shape[:2]
    return pil_resize(image, (h // factor[0], w // factor[1]))


def _area(image: np.ndarray, factor: Sequence[int], sigma: float) -> np.ndarray:
    h, w, c = image.shape
    fh, fw = factor
    image = image[: h - h % fh, : w - w % fw]
    return quantize(image.reshape(h // fh, fh, w // fw, fw, c).mean(axis=(1, 3)))


def _gaussian(image: np.ndarray, factor: Sequence[int], sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    blurred = gaussian_filter(image, sigma=(sigma, sigma, 0), mode="reflect")
    h, w = image.shape[:2]
    return quantize(blurred[: h - h % factor[0]: factor[0], : w - w % factor[1]: factor[1]])


_FUNCTIONS: dict[str, Callable[[np.ndarray, Sequence[int], float], np.ndarray]] = {
    "matlab": _matlab, "bicubic": _bicubic, "area": _area, "gaussian": _gaussian}


def check_degradation(name: str) -> str:
    if name not in _FUNCTIONS:
        raise NotFoundError(f"unknown degradation {name!r}", available(DEGRADATIONS, name))
    return name


def degrade(image: np.ndarray, factor: Sequence[int], name: str = DEFAULT_DEGRADATION,
            blur_sigma: float = DEFAULT_BLUR_SIGMA) -> np.ndarray:
    """The low-resolution version of one ``(H, W, C)`` image (sides divisible by ``factor``)."""
    return _FUNCTIONS[check_degradation(name)](np.asarray(image, "float32"), tuple(factor), blur_sigma)


def degrade_batch(images: np.ndarray, factor: Sequence[int], name: str = DEFAULT_DEGRADATION,
                  blur_sigma: float = DEFAULT_BLUR_SIGMA) -> np.ndarray:
    return np.stack([degrade(image, factor, name, blur_sigma) for image in images]).astype("float32")


def mod_crop(image: np.ndarray, factor: Sequence[int]) -> np.ndarray:
    """Crop the bottom / right so each side is a multiple of its factor (BasicSR's ``mod_crop``)."""
    h, w = image.shape[:2]
    return image[: h - h % factor[0], : w - w % factor[1]]


def describe(name: str, factor: Sequence[int], blur_sigma: float = DEFAULT_BLUR_SIGMA) -> str:
    scale = "x".join(map(str, factor)) if len(set(factor)) > 1 else str(factor[0])
    return {
        "matlab": f"MATLAB imresize bicubic downscaling by {scale} (antialiased, a = -0.5, mirrored borders), "
                  "float then rounded to 8 bits",
        "bicubic": f"PIL bicubic downscaling by {scale} (antialiased, a = -0.5, on 8-bit pixels)",
        "area": f"block mean over {scale} blocks, 8-bit",
        "gaussian": f"Gaussian blur (sigma {blur_sigma:g} px) then one pixel in {scale} kept per axis, 8-bit",
    }[name]


def upscale_baseline(image: np.ndarray, size: tuple[int, int], degradation: str | None) -> np.ndarray:
    """The bicubic baseline's upscaling of one low-resolution image with the kernel that made it: MATLAB's
    ``imresize(lr, s)`` for ``matlab`` (clipped and rounded to 8 bits, as ``imwrite`` saves it), PIL's bicubic
    on 8-bit pixels otherwise."""
    if degradation == "matlab":
        h, w = image.shape[:2]
        return quantize(matlab_resize(image, (size[0] / h, size[1] / w)))
    return pil_resize(image, size)


def baseline_name(degradation: str | None) -> str:
    """How the bicubic baseline upscales, in words, for reports."""
    return ("MATLAB imresize bicubic upscaling" if degradation == "matlab" else "PIL bicubic upscaling")
