"""The 2-D image tasks: task shapes, patches and ``(x, y)`` pairs cut from a source's images.

A *source* (:mod:`upspec.runner.data.sources`) yields images, float32 in [0, 1], shaped ``(H, W, C)``, split
by image into train / validation / test. A *task* turns those images into ``(x, y)`` pairs whose shapes come
from the model's input and output (the graph's static shapes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...errors import NotFoundError
from ...errors import available
from .sources import DataError
from .sources import TASKS
from .sources import Images


def to_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """Grey or RGB to match the model: luminance for 1 channel, repeated grey for 3."""
    image = np.asarray(image, dtype="float32")
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] == 4:
        image = image[..., :3]
    have = image.shape[-1]
    if have == channels:
        return image
    if channels == 1 and have == 3:
        return (image @ np.array([0.299, 0.587, 0.114], "float32"))[..., None]
    if have == 1:
        return np.repeat(image, channels, axis=-1)
    raise DataError(f"cannot turn {have}-channel images into {channels}-channel ones")


def enlarge(image: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """``image`` unchanged, or resized (bilinear) until it covers ``size``."""
    h, w = image.shape[:2]
    if h >= size[0] and w >= size[1]:
        return image
    from .resize import resize

    scale = max(size[0] / h, size[1] / w)
    new = (max(size[0], int(np.ceil(h * scale))), max(size[1], int(np.ceil(w * scale))))
    return resize(image, new, "bilinear")


def _crop(image: np.ndarray, size: Sequence[int], rng: np.random.Generator | None) -> tuple[np.ndarray, slice, slice]:
    image = enlarge(image, size)
    h, w = image.shape[:2]
    if rng is None:  # fixed: the centre
        top, left = (h - size[0]) // 2, (w - size[1]) // 2
    else:
        top, left = int(rng.integers(0, h - size[0] + 1)), int(rng.integers(0, w - size[1] + 1))
    return image, slice(top, top + size[0]), slice(left, left + size[1])


def patches(data: Images, size: Sequence[int], count: int, seed: int | None,
            channels: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``count`` crops of ``size``: random (seeded) for training, or a fixed grid-free set (seed None: centre
    crops of each image, then seeded random crops to reach ``count``)."""
    rng = np.random.default_rng(seed if seed is not None else 12345)
    out, masks = [], []
    for i in range(count):
        index = i % len(data.images) if seed is None else int(rng.integers(len(data.images)))
        fixed = seed is None and i < len(data.images)
        image, rows, cols = _crop(data.images[index], size, None if fixed else rng)
        out.append(to_channels(image[rows, cols], channels))
        if data.masks is not None:
            masks.append(data.masks[index][rows, cols])
    return np.stack(out).astype("float32"), (np.stack(masks) if data.masks is not None else None)


def downsample(y: np.ndarray, factor: Sequence[int]) -> np.ndarray:
    """Antialiased downsampling by an integer factor per axis: the mean of each block."""
    n, h, w, c = y.shape
    fh, fw = factor
    return y.reshape(n, h // fh, fh, w // fw, fw, c).mean(axis=(2, 4)).astype("float32")


def upsample_bicubic(x: np.ndarray, size: tuple[int, int], degradation: str | None = "bicubic") -> np.ndarray:
    """The classical baseline for super-resolution: bicubic upscaling of each image with the kernel of the
    ``degradation`` that made it (MATLAB's ``imresize`` for ``matlab``, PIL's otherwise), 8-bit."""
    from .degrade import upscale_baseline

    return np.stack([upscale_baseline(image, size, degradation) for image in x]).astype("float32")


@dataclass(frozen=True)
class TaskShapes:
    task: str
    x: tuple[int, ...]  # without batch
    y: tuple[int, ...]

    @property
    def factor(self) -> tuple[int, int]:
        return (self.y[0] // self.x[0], self.y[1] // self.x[1])


def task_shapes(task: str, x_shape: tuple, y_shape: tuple, num_classes: int | None = None) -> TaskShapes:
    """Check that ``task`` can feed a model with these input / output shapes."""
    if task not in TASKS:
        raise NotFoundError(f"unknown task {task!r}", available(TASKS, task))
    if task == "generation":
        raise DataError("task 'generation' trains a GAN: the spec needs a 'discriminator:' section (see specs/dcgan_digits.yaml)")
    if len(x_shape) != 3 or len(y_shape) != 3 or None in x_shape or None in y_shape:
        raise DataError(f"the runner's tasks need 2-D images of known size; the model maps {x_shape} -> {y_shape}")
    if task == "segmentation":
        if y_shape[:2] != x_shape[:2]:
            raise DataError(f"segmentation needs an output of the input's size; the model maps {x_shape} -> {y_shape}")
        return TaskShapes(task, tuple(x_shape), tuple(y_shape))
    if y_shape[-1] != x_shape[-1]:
        raise DataError(
            f"task {task!r} compares the output with images of the input's {x_shape[-1]} channel(s), but the model "
            f"outputs {y_shape[-1]} channels (input {tuple(x_shape)}, output {tuple(y_shape)})",
        )
    if task == "super_resolution":
        if any(o % i for o, i in zip(y_shape[:2], x_shape[:2])) or y_shape[:2] == x_shape[:2]:
            raise DataError(f"super_resolution needs an output larger than the input by an integer factor; "
                            f"the model maps {tuple(x_shape)} -> {tuple(y_shape)}")
    elif y_shape[:2] != x_shape[:2]:
        raise DataError(f"task {task!r} needs an output of the input's size; the model maps {tuple(x_shape)} -> {tuple(y_shape)}")
    return TaskShapes(task, tuple(x_shape), tuple(y_shape))


def sr_pairs(data: Images, shapes: TaskShapes, count: int, seed: int | None, degradation: str = "matlab",
             blur_sigma: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``count`` aligned (low, high) resolution patch pairs: each whole image is degraded once, then patches
    are cut at the same place in both (random with ``seed``; centre crops first when ``seed`` is None)."""
    from .degrade import DEFAULT_BLUR_SIGMA
    from .degrade import degrade
    from .degrade import mod_crop

    factor, size = shapes.factor, shapes.x[:2]
    rng = np.random.default_rng(seed if seed is not None else 12345)
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    xs, ys = [], []
    for i in range(count):
        index = i % len(data.images) if seed is None else int(rng.integers(len(data.images)))
        if index not in cache:
            high = mod_crop(to_channels(enlarge(data.images[index], shapes.y[:2]), shapes.y[-1]), factor)
            cache[index] = (degrade(high, factor, degradation, blur_sigma or DEFAULT_BLUR_SIGMA), high)
        low, high = cache[index]
        _, rows, cols = _crop(low, size, None if seed is None and i < len(data.images) else rng)
        xs.append(low[rows, cols])
        ys.append(high[rows.start * factor[0]: rows.stop * factor[0], cols.start * factor[1]: cols.stop * factor[1]])
    return np.stack(xs).astype("float32"), np.stack(ys).astype("float32")


def make_pairs(shapes: TaskShapes, data: Images, count: int, seed: int | None,
               noise: float = 0.1, degradation: str = "matlab",
               blur_sigma: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    if shapes.task == "super_resolution":
        return sr_pairs(data, shapes, count, seed, degradation, blur_sigma)
    size = shapes.y[:2]
    y_images, masks = patches(data, size, count, seed, shapes.x[-1])
    if shapes.task == "denoise":
        rng = np.random.default_rng((seed or 0) + 1)
        return np.clip(y_images + rng.normal(0, noise, y_images.shape), 0, 1).astype("float32"), y_images
    if shapes.task == "autoencode":
        return y_images, y_images
    assert masks is not None, "segmentation needs a source with masks (checked when the data is prepared)"
    return y_images, segmentation_target(masks, shapes.y[-1])


def segmentation_target(masks: np.ndarray, classes: int) -> np.ndarray:
    """Class maps as the model's output: a binary foreground channel, or one-hot classes."""
    if classes == 1:
        return (masks > 0).astype("float32")[..., None]
    return np.eye(classes, dtype="float32")[np.clip(masks, 0, classes - 1)]
