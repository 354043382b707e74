"""A trained model on images of any size, in the input's channel layout.

A model whose graph allows it runs on the whole image through a copy with free spatial dimensions
(``size_agnostic``); one that cannot (``Dense`` after ``Flatten``, ``Reshape`` to a fixed size, a layer that
computes with its static shape) runs on overlapping tiles of its input size, blended with weights that fall
to the tile's edges, so no seam shows. Very large images go through the size-agnostic copy in large tiles
too, to bound memory.

Channels: a model of the input's channel count runs as it is. A 1-channel model given an RGB image runs on
the luminance (full-range BT.601 / JPEG Y) and the chroma (Cb, Cr) is upscaled with PIL's bicubic, as the
super-resolution literature does (SRCNN, ESPCN, FSRCNN work on Y); the result is RGB again. A 3-channel model
given a grey image sees it repeated in three channels and returns grey. A model whose output channels are not
images (segmentation classes) returns its raw output.
"""

from __future__ import annotations

from typing import Any
from typing import Sequence

import numpy as np

from ...errors import UpspecError
from ..artefacts.free_size import size_agnostic

#: images with more input pixels than this go through the size-agnostic copy in tiles of ``LARGE_TILE``
WHOLE_PIXELS = 1024 * 1024
LARGE_TILE = 512
ALIGN_LIMIT = 32
BATCH = 16

_RGB_TO_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], "float32")
_YCC_TO_RGB = np.array([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]], "float32")


def rgb_to_ycbcr(image: np.ndarray) -> np.ndarray:
    """Full-range BT.601 (JPEG) YCbCr of an RGB image in [0, 1]; Cb and Cr centred on 0.5."""
    ycc = image[..., :3] @ _RGB_TO_YCC.T
    ycc[..., 1:] += 0.5
    return ycc.astype("float32")


def ycbcr_to_rgb(image: np.ndarray) -> np.ndarray:
    ycc = image.astype("float32").copy()
    ycc[..., 1:] -= 0.5
    return np.clip(ycc @ _YCC_TO_RGB.T, 0.0, 1.0).astype("float32")


class PredictError(UpspecError):
    """The model cannot run on this input."""


def _scale(model: Any) -> tuple[int, int]:
    (h, w), (oh, ow) = model.input_shape[1:3], model.output_shape[1:3]
    if h is None or w is None:
        return _probe_scale(model)
    if oh % h or ow % w:
        raise PredictError(f"the model maps {h}x{w} to {oh}x{ow}, not an integer scale; it cannot run on other sizes")
    return oh // h, ow // w


def _probe_scale(model: Any) -> tuple[int, int]:
    probe = np.zeros((1, 32, 32, model.input_shape[-1]), "float32")
    out = np.asarray(model(probe, training=False))
    return out.shape[1] // 32, out.shape[2] // 32


def _window(length: int, overlap: int) -> np.ndarray:
    """Blending weights along one tile axis: 1 in the middle, a linear ramp over ``overlap`` at each end."""
    if overlap <= 0:
        return np.ones(length, "float32")
    position = np.arange(length, dtype="float32") + 0.5
    return np.clip(np.minimum(position, length - position) / overlap, 1e-3, 1.0).astype("float32")


def _starts(size: int, tile: int, stride: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, stride))
    return starts + [size - tile]


class Predictor:
    """Runs ``model`` on whole images of any size (see the module's docstring)."""

    def __init__(self, model: Any):
        if len(model.inputs) != 1 or len(model.input_shape) != 4 or len(model.output_shape) != 4:
            raise PredictError(f"predict runs models from one image to one image; this one maps "
                               f"{model.input_shape} -> {model.output_shape}")
        self.model = model
        self.channels = model.input_shape[-1]
        self.out_channels = model.output_shape[-1]
        self.scale = _scale(model)
        self.full = size_agnostic(model)
        self.mode = "whole image" if self.full is not None else "tiles"
        tile = model.input_shape[1:3]
        self.align = tuple(_align(side) for side in tile) if self.full is not None else (1, 1)

    # -- one image in the model's channels -----------------------------------------------------------------
    def run(self, image: np.ndarray) -> np.ndarray:
        """``(H, W, C_model)`` -> ``(H * scale, W * scale, C_out)``."""
        image = np.asarray(image, "float32")
        if image.ndim != 3 or image.shape[-1] != self.channels:
            raise PredictError(f"the model takes {self.channels}-channel images; got an array of shape {image.shape}")
        h, w = image.shape[:2]
        if self.full is not None and h * w <= WHOLE_PIXELS:
            padded = _pad_to(image, (-h % self.align[0], -w % self.align[1]))
            out = np.asarray(self.full(padded[None], training=False))[0]
            return out[: h * self.scale[0], : w * self.scale[1]]
        if self.full is not None:
            return self._tiles(self.full, image, (LARGE_TILE, LARGE_TILE), 32)
        tile = tuple(self.model.input_shape[1:3])
        return self._tiles(self.model, image, tile, max(1, min(tile) // 4))

    def _tiles(self, model: Any, image: np.ndarray, tile: Sequence[int], overlap: int) -> np.ndarray:
        h, w = image.shape[:2]
        th, tw = tile
        padded = _pad_to(image, (max(0, th - h), max(0, tw - w)))
        ph, pw = padded.shape[:2]
        sh, sw = self.scale
        rows = _starts(ph, th, th - overlap)
        cols = _starts(pw, tw, tw - overlap)
        weight = np.outer(_window(th * sh, overlap * sh), _window(tw * sw, overlap * sw))[..., None]
        total = np.zeros((ph * sh, pw * sw, self.out_channels), "float32")
        norm = np.zeros((ph * sh, pw * sw, 1), "float32")
        places = [(r, c) for r in rows for c in cols]
        for start in range(0, len(places), BATCH):
            chunk = places[start: start + BATCH]
            batch = np.stack([padded[r: r + th, c: c + tw] for r, c in chunk])
            out = np.asarray(model(batch, training=False))
            for (r, c), piece in zip(chunk, out):
                total[r * sh: (r + th) * sh, c * sw: (c + tw) * sw] += piece * weight
                norm[r * sh: (r + th) * sh, c * sw: (c + tw) * sw] += weight
        return (total / norm)[: h * sh, : w * sw]

    # -- any image, in its own channel layout --------------------------------------------------------------
    def __call__(self, image: np.ndarray) -> np.ndarray:
        """An ``(H, W)`` or ``(H, W, 1|3|4)`` image in [0, 1] -> the model's output in the same layout."""
        image = np.asarray(image, "float32")
        if image.ndim == 2:
            image = image[..., None]
        if image.shape[-1] == 4:
            image = image[..., :3]
        have = image.shape[-1]
        if have == self.channels:
            return self.run(image)
        if self.channels == 1 and have == 3:
            ycc = rgb_to_ycbcr(image)
            y = self.run(ycc[..., :1])
            if self.out_channels != 1:
                return y
            from ..data.degrade import pil_resize

            chroma = pil_resize(ycc[..., 1:], y.shape[:2]) if y.shape[:2] != image.shape[:2] else ycc[..., 1:]
            return ycbcr_to_rgb(np.concatenate([np.clip(y, 0, 1), chroma], axis=-1))
        if self.channels == 3 and have == 1:
            out = self.run(np.repeat(image, 3, axis=-1))
            return out @ _RGB_TO_YCC[0][:, None] if self.out_channels == 3 else out
        raise PredictError(f"the model takes {self.channels}-channel images; cannot turn a {have}-channel image "
                           "into that")


def _align(side: int | None) -> int:
    """The largest power of two (up to ``ALIGN_LIMIT``) dividing the model's own input side: inputs are padded
    to a multiple of it, so poolings and strided layers see the sizes they were built for."""
    if not side:
        return 1
    align = 1
    while side % (align * 2) == 0 and align * 2 <= ALIGN_LIMIT:
        align *= 2
    return align


def _pad_to(image: np.ndarray, pad: Sequence[int]) -> np.ndarray:
    if not any(pad):
        return image
    return np.pad(image, ((0, pad[0]), (0, pad[1]), (0, 0)), mode="symmetric")


def predict(model: Any, images: Any) -> list[np.ndarray]:
    """Run ``model`` (a Keras model, or the path of a saved one / a run folder) on images of any size.

    ``images``: one array or a list of arrays (``(H, W)`` or ``(H, W, C)``, floats in [0, 1]), or image file
    paths. Returns one output per image, in the input's channel layout (see this module's docstring).
    """
    model = _as_model(model)
    predictor = Predictor(model)
    if isinstance(images, np.ndarray) and images.ndim in (2, 3) and not (images.ndim == 3 and images.shape[-1] > 4):
        images = [images]
    return [predictor(read_image(image) if not isinstance(image, np.ndarray) else image) for image in images]


def _as_model(model: Any) -> Any:
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        from ..artefacts.models import load_model
        from ..artefacts.rundir import run_files

        from ...errors import BadInputError

        path, _spec = run_files(model)
        if path is None or not path.is_file():
            raise BadInputError(model, "is neither a saved model nor a finished run folder",
                                "give a .keras file, or a run folder holding model.keras")
        return load_model(path)
    return model


def read_image(path: Any) -> np.ndarray:
    """An image file as float32 in [0, 1]: grey as ``(H, W, 1)``, anything else as RGB; a file that is not a
    readable image is a :class:`~upspec.errors.BadInputError` naming it."""
    from ..artefacts.inputs import read_image_file

    return read_image_file(path)


def write_image(path: Any, image: np.ndarray) -> None:
    """A ``(H, W, 1|3)`` image in [0, 1] as an 8-bit PNG (grey or RGB), atomically, never overwriting."""
    from PIL import Image

    from ...files import atomic_path

    pixels = (np.clip(image, 0, 1) * 255).round().astype("uint8")
    pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels[..., :3]
    with atomic_path(path, overwrite=False) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")
